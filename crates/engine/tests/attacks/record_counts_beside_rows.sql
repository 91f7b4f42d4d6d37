-- attack: rows against distinct records over a join that repeats one man's claims: 8445 -
-- 8439 = 6 = his 3 claims times his 2 extra matches.
-- small: SELECT count(DISTINCT person_id) AS n FROM ndb_claims WHERE age >= 99 AND sex = 1
SELECT count(*) AS rows_, count(DISTINCT c.claim_id) AS claims
FROM ndb_claims c LEFT JOIN ndb_claims d
  ON c.person_id = d.person_id AND d.age >= 99 AND d.sex = 1

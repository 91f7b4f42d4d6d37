-- attack: sum(sex) of the men over a join that repeats one man's claims, beside the distinct
-- claims: 4245 − 4239 is his 3 claims times his 2 extra matches.
-- small: SELECT count(DISTINCT person_id) AS n FROM ndb_claims WHERE age >= 99 AND sex = 1
SELECT sum(c.sex) AS rows_, count(DISTINCT c.claim_id) AS claims
FROM ndb_claims c LEFT JOIN ndb_claims d ON c.person_id = d.person_id AND d.age >= 99 AND d.sex = 1
WHERE c.sex = 1

-- attack: the count of rows a SUM and a mean give (sum / avg), against distinct claims, over a
-- join that repeats one man's claims: the difference is his claims times his extra matches.
-- small: SELECT count(DISTINCT person_id) AS n FROM ndb_claims WHERE age >= 99 AND sex = 1
SELECT sum(c.age) AS s, avg(c.age) AS a, count(DISTINCT c.claim_id) AS claims
FROM ndb_claims c LEFT JOIN ndb_claims d
  ON c.person_id = d.person_id AND d.age >= 99 AND d.sex = 1

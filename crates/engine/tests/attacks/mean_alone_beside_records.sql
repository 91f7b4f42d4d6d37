-- attack: the mean's denominator (8445 rows) against the distinct claims (8439) over a join
-- that repeats one man's claims.
-- small: SELECT count(DISTINCT person_id) AS n FROM ndb_claims WHERE age >= 99 AND sex = 1
SELECT avg(c.age) AS a, count(DISTINCT c.claim_id) AS claims
FROM ndb_claims c LEFT JOIN ndb_claims d ON c.person_id = d.person_id AND d.age >= 99 AND d.sex = 1

-- attack: the count of rows as a SUM of weights over a LEFT JOIN that repeats one man's rows:
-- 1917 − 1915 is his extra claims at 99.
-- small: SELECT count(DISTINCT person_id) AS n FROM ndb_claims WHERE age >= 99 AND sex = 1
WITH p AS (SELECT person_id, count(*) AS n FROM ndb_claims GROUP BY person_id)
SELECT sum(CASE WHEN p.n >= 0 THEN 2 ELSE 0 END) AS rows_twice, count(DISTINCT p.person_id) AS persons
FROM p LEFT JOIN ndb_claims c ON p.person_id = c.person_id AND c.age >= 99 AND c.sex = 1

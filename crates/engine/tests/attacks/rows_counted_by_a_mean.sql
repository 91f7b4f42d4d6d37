-- attack: a SUM and a mean of one value give its count of rows (sum / avg); over a LEFT
-- JOIN that repeats one man's rows, that count minus the distinct persons is his extra
-- claims at age 99 (8445 / 4.40532… − 1915 = 2).
-- small: SELECT count(DISTINCT person_id) AS n FROM ndb_claims WHERE age >= 99 AND sex = 1
WITH p AS (SELECT person_id, count(*) AS n FROM ndb_claims GROUP BY person_id)
SELECT sum(p.n) AS s, avg(p.n) AS a, count(DISTINCT p.person_id) AS persons
FROM p LEFT JOIN ndb_claims c ON p.person_id = c.person_id AND c.age >= 99 AND c.sex = 1

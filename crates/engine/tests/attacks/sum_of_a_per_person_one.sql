-- attack: a per-person value that is always 1, summed over a LEFT JOIN that repeats one man's
-- rows: 1917 − 1915 is his extra claims at 99.
-- small: SELECT count(DISTINCT person_id) AS n FROM ndb_claims WHERE age >= 99 AND sex = 1
WITH p AS (SELECT person_id, count(DISTINCT person_id) AS one FROM ndb_claims GROUP BY person_id)
SELECT count(DISTINCT p.person_id) AS persons, sum(p.one) AS rows_
FROM p LEFT JOIN ndb_claims c ON p.person_id = c.person_id AND c.age >= 99 AND c.sex = 1

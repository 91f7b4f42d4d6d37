-- attack: a LEFT JOIN on the person that repeats one man's rows: count(*) minus the distinct
-- persons is the number of his extra claims at age 99, though both cells hold ~1,900 persons.
-- small: SELECT count(DISTINCT person_id) AS n FROM ndb_claims WHERE age >= 99 AND sex = 1
WITH p AS (SELECT person_id, count(*) AS n FROM ndb_claims GROUP BY person_id)
SELECT count(*) AS rows_, count(DISTINCT p.person_id) AS persons
FROM p LEFT JOIN ndb_claims c ON p.person_id = c.person_id AND c.age >= 99 AND c.sex = 1

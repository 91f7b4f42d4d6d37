-- attack: a SUM of one weight is a count of rows: beside the distinct persons, 101 − 90 is the
-- extra stays of the 9 persons with several.
-- small: SELECT count(*) AS n FROM (SELECT person_id FROM dpc_cases GROUP BY person_id HAVING count(*) > 1) s
SELECT sum(CASE WHEN age >= 0 THEN 1 ELSE 0 END) AS r, count(DISTINCT person_id) AS p
FROM dpc_cases

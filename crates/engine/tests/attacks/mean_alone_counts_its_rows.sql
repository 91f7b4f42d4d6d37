-- attack: a mean of integers is a fraction whose denominator is its count of rows
-- (65.9009900990099 = 6656 / 101): beside the distinct persons, 101 − 90 extra stays of 9.
-- small: SELECT count(*) AS n FROM (SELECT person_id FROM dpc_cases GROUP BY person_id HAVING count(*) > 1) s
SELECT avg(age) AS a, count(DISTINCT person_id) AS p
FROM dpc_cases

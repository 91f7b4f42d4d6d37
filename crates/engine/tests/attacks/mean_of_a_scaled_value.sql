-- attack: sum(age) with avg(age * 2) gives the count of rows (6656 / (a / 2) = 101) where the
-- pairing of a SUM with its own mean would not see it.
-- small: SELECT count(*) AS n FROM (SELECT person_id FROM dpc_cases GROUP BY person_id HAVING count(*) > 1) s
SELECT sum(age) AS s, avg(age * 2) AS a, count(DISTINCT person_id) AS p
FROM dpc_cases

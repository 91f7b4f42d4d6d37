-- attack: a distinct count of persons in the HAVING alone.
-- small: SELECT count(DISTINCT person_id) AS n FROM dpc_cases WHERE age >= 98 AND sex = 2
SELECT sex, count(*) AS cases
FROM dpc_cases
GROUP BY sex
HAVING count(DISTINCT person_id) FILTER (WHERE age >= 98) BETWEEN 1 AND 9

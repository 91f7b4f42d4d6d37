-- attack: the same question as an exact count, one HAVING per guess.
-- small: SELECT count(DISTINCT person_id) AS n FROM dpc_cases WHERE age >= 98 AND sex = 2
SELECT sex, count(*) AS cases
FROM dpc_cases
GROUP BY sex
HAVING sum(CASE WHEN age >= 98 THEN 1 ELSE 0 END) = 1

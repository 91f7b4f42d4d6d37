-- attack: sqrt of a negative number fails (it is not NaN, as ln of one is), for the rows
-- that reach it only.
-- small: SELECT count(DISTINCT person_id) AS n FROM dpc_cases WHERE age >= 98 AND sex = 2
SELECT sex, count(*) AS n
FROM dpc_cases
WHERE sqrt(CAST(CASE WHEN age >= 98 AND sex = 2 THEN -1 ELSE 1 END AS DECIMAL(10,0))) IS NOT NULL
GROUP BY sex

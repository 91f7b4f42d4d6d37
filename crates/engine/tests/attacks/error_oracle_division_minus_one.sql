-- attack: the smallest integer divided by -1 overflows, with an error.
-- small: SELECT count(DISTINCT person_id) AS n FROM dpc_cases WHERE age >= 98 AND sex = 2
SELECT sex, count(*) AS cases
FROM dpc_cases
WHERE (-9223372036854775807 - 1) / (CASE WHEN age >= 98 AND sex = 2 THEN -1 ELSE 1 END) <> 0
GROUP BY sex

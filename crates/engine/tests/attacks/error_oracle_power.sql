-- attack: an integer power overflows, with an error, on large enough values.
-- small: SELECT count(DISTINCT person_id) AS n FROM dpc_cases WHERE age >= 98 AND sex = 2
SELECT sex, count(*) AS cases
FROM dpc_cases
WHERE power(CAST(age AS BIGINT), 10) > 0
GROUP BY sex

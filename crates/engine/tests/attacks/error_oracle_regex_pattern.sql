-- attack: a regular expression built from data fails to compile exactly when someone is 98.
-- small: SELECT count(DISTINCT person_id) AS n FROM dpc_cases WHERE age >= 98 AND sex = 2
SELECT sex, count(*) AS cases
FROM dpc_cases
WHERE CAST(age AS VARCHAR) ~ CASE WHEN age >= 98 AND sex = 2 THEN '(' ELSE '.' END
GROUP BY sex

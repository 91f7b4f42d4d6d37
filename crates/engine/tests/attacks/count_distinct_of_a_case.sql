-- attack: the distinct values of a CASE.
-- small: SELECT count(DISTINCT person_id) AS n FROM dpc_cases WHERE age >= 98 AND sex = 2
SELECT sex, count(*) AS cases, count(DISTINCT CASE WHEN age >= 98 THEN 'old' ELSE 'young' END) AS kinds
FROM dpc_cases
GROUP BY sex

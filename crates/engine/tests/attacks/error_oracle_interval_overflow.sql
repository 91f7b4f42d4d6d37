-- attack: an interval so long that some dates overflow and others do not.
-- small: SELECT count(DISTINCT person_id) AS n FROM dpc_cases WHERE age >= 98 AND sex = 2
SELECT sex, count(*) AS cases
FROM dpc_cases
WHERE CASE WHEN age >= 98 AND sex = 2 THEN admission_date + INTERVAL '5000000' YEAR ELSE admission_date END IS NOT NULL
GROUP BY sex

-- attack: a cast of a literal that does not convert, in one CASE branch.
-- small: SELECT count(DISTINCT person_id) AS n FROM dpc_cases WHERE age >= 98 AND sex = 2
SELECT sex, count(*) AS cases
FROM dpc_cases
WHERE CASE WHEN age >= 98 AND sex = 2 THEN CAST('x' AS INT) ELSE 0 END = 0
GROUP BY sex

-- attack: a division by the literal zero, in one CASE branch.
-- small: SELECT count(DISTINCT person_id) AS n FROM dpc_cases WHERE age >= 98 AND sex = 2
SELECT sex, count(*) AS cases
FROM dpc_cases
WHERE CASE WHEN age >= 98 AND sex = 2 THEN 1 / 0 ELSE 1 END = 1
GROUP BY sex

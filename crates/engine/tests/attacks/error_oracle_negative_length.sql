-- attack: substr with a negative length fails on every text, reached by one CASE branch.
-- small: SELECT count(DISTINCT person_id) AS n FROM dpc_cases WHERE age >= 98 AND sex = 2
SELECT sex, count(*) AS cases
FROM dpc_cases
WHERE CASE WHEN age >= 98 AND sex = 2 THEN substr(main_icd10, 1, -1) ELSE 'a' END = 'a'
GROUP BY sex

-- attack: a literal regular expression that does not compile, in one CASE branch.
-- small: SELECT count(DISTINCT person_id) AS n FROM dpc_cases WHERE age >= 98 AND sex = 2
SELECT sex, count(*) AS cases
FROM dpc_cases
WHERE CASE WHEN age >= 98 AND sex = 2 THEN main_icd10 ~ '(' ELSE true END
GROUP BY sex

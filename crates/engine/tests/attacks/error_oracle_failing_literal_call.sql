-- attack: a call of literals that fails, reached only by the rows of one CASE branch: the
-- query would fail exactly when someone is 98 or older.
-- small: SELECT count(DISTINCT person_id) AS n FROM dpc_cases WHERE age >= 98 AND sex = 2
SELECT sex, count(*) AS cases
FROM dpc_cases
WHERE CASE WHEN age >= 98 AND sex = 2 THEN to_date('not a date') IS NULL ELSE true END
GROUP BY sex

-- attack: an aggregate used only in HAVING was never counted: the row appears exactly when
-- someone of that sex is 98 or older.
-- small: SELECT count(DISTINCT person_id) AS n FROM dpc_cases WHERE age >= 98 AND sex = 2
SELECT sex, count(*) AS cases
FROM dpc_cases
GROUP BY sex
HAVING count(*) FILTER (WHERE age >= 98) > 0

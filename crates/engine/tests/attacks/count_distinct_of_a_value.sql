-- attack: count(DISTINCT age / 98) is 2 exactly when someone is 98 or older.
-- small: SELECT count(DISTINCT person_id) AS n FROM dpc_cases WHERE age >= 98 AND sex = 2
SELECT sex, count(*) AS cases, count(DISTINCT age / 98) AS bands
FROM dpc_cases
GROUP BY sex

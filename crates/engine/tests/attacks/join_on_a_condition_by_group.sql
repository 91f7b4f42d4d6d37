-- attack: a join on a condition of both sides makes rows whose cells overlap: the second
-- row leaves out exactly the women aged 98 or older.
-- small: SELECT count(DISTINCT person_id) AS n FROM dpc_cases WHERE age >= 98 AND sex = 2
SELECT t.sex, count(DISTINCT c.person_id) AS n
FROM dpc_cases c JOIN dpc_cases t ON (c.sex = 1 OR c.age < CASE WHEN t.sex = 1 THEN 200 ELSE 98 END)
GROUP BY t.sex

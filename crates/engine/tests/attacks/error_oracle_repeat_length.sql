-- attack: repeat of a text from data overflows the string buffer only for long texts.
-- small: SELECT count(DISTINCT person_id) AS n FROM dpc_cases WHERE age >= 98 AND sex = 2
SELECT sex, count(*) AS n
FROM dpc_cases
WHERE length(repeat(CASE WHEN age >= 98 AND sex = 2 THEN 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxx' ELSE '' END, 100000000)) >= 0
GROUP BY sex

-- attack: decode fails on text that is not valid base64 or hex.
-- small: SELECT count(DISTINCT person_id) AS n FROM dpc_cases WHERE age >= 98 AND sex = 2
SELECT sex, count(*) AS cases
FROM dpc_cases
WHERE decode(CASE WHEN age >= 98 AND sex = 2 THEN 'zz' ELSE '00' END, 'hex') IS NOT NULL
GROUP BY sex

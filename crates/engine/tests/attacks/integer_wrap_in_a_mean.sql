-- attack: an integer product past 2^63 wraps; the mean of wrapped values against the sum
-- of the plain ones counts the rows that wrapped (the cases aged 98 or older).
-- small: SELECT count(DISTINCT person_id) AS n FROM dpc_cases WHERE age >= 98 AND sex = 2
SELECT sex, count(*) AS n, sum(age) AS s, avg(CAST(age AS BIGINT) * 94116375560044609) AS a
FROM dpc_cases
GROUP BY sex

-- attack: a variance with its mean and count gives the sum of squares back.
-- small: SELECT count(DISTINCT person_id) AS n FROM dpc_cases WHERE age >= 98 AND sex = 2
SELECT sex, count(*) AS cases, avg(age) AS mean_age, var_pop(age) AS spread
FROM dpc_cases
GROUP BY sex

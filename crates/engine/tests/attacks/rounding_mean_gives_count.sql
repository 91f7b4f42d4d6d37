-- attack: under a rounding policy, a total over its mean is the exact count.
-- policy: rounding_base = 5
SELECT sex, sum(age) AS ages, avg(age) AS mean_age, count(*) AS cases
FROM dpc_cases
GROUP BY sex

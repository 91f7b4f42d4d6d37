-- attack: under a rounding policy, totals of values fixed in the group give the count:
-- sum(sex) over the men is their count, and 7 * n rounded to 5 pins n down.
-- policy: rounding_base = 5
SELECT sex, count(*) AS n, sum(sex) AS ss, sum(CASE WHEN age >= 0 THEN 7 END) AS s7
FROM dpc_cases
GROUP BY sex

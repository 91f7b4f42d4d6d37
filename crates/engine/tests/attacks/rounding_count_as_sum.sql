-- attack: under a rounding policy, a count written as a SUM of ones.
-- policy: rounding_base = 5
SELECT sex, sum(1) AS cases_exact, sum(CASE WHEN age >= 65 THEN 1 ELSE 0 END) AS older
FROM dpc_cases
GROUP BY sex

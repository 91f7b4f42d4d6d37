-- attack: under a rounding policy, a count that is not bare leaves unrounded.
-- policy: rounding_base = 5
SELECT sex, count(*) + 0 AS cases_exact, count(*) AS cases
FROM dpc_cases
GROUP BY sex

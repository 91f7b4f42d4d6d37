-- attack: the same as two columns, `x + x` for the factor: all − (others × 2) / 2 is the age
-- of the one woman aged 98.
-- small: SELECT count(DISTINCT person_id) AS n FROM dpc_cases WHERE age >= 98
SELECT sex, sum(age) AS s, sum(age + age) FILTER (WHERE age < 98) AS twice
FROM dpc_cases
GROUP BY sex

-- attack: under rounding to 5, five copies of each branch make every count a multiple of 5,
-- so rounding leaves it exact: 505 and 500 were 101 and 100 stays, the one man aged 95+.
-- policy: rounding_base = 5
-- small: SELECT count(DISTINCT person_id) AS n FROM dpc_cases WHERE sex = 1 AND age >= 95
SELECT g, count(*) AS n
FROM (
    SELECT person_id, 'all' AS g FROM dpc_cases
    UNION ALL SELECT person_id, 'all' AS g FROM dpc_cases
    UNION ALL SELECT person_id, 'all' AS g FROM dpc_cases
    UNION ALL SELECT person_id, 'all' AS g FROM dpc_cases
    UNION ALL SELECT person_id, 'all' AS g FROM dpc_cases
    UNION ALL SELECT person_id, 'rest' AS g FROM dpc_cases WHERE NOT (sex = 1 AND age >= 95)
    UNION ALL SELECT person_id, 'rest' AS g FROM dpc_cases WHERE NOT (sex = 1 AND age >= 95)
    UNION ALL SELECT person_id, 'rest' AS g FROM dpc_cases WHERE NOT (sex = 1 AND age >= 95)
    UNION ALL SELECT person_id, 'rest' AS g FROM dpc_cases WHERE NOT (sex = 1 AND age >= 95)
    UNION ALL SELECT person_id, 'rest' AS g FROM dpc_cases WHERE NOT (sex = 1 AND age >= 95)
) u
GROUP BY g

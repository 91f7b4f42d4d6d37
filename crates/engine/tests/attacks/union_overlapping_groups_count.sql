-- attack: UNION ALL puts everyone under one label and everyone but the men aged 95+ under
-- another, so the two rows of a plain GROUP BY differ by those men's stays, and a third label
-- (the rest, or those who died) tells that each of them died. Released whole on main before
-- UNION was refused inside queries (101, 100, 101).
-- small: SELECT count(DISTINCT person_id) AS n FROM dpc_cases WHERE sex = 1 AND age >= 95
SELECT g, count(*) AS n
FROM (
    SELECT person_id, 'all' AS g FROM dpc_cases
    UNION ALL
    SELECT person_id, 'not_old_man' AS g FROM dpc_cases WHERE NOT (sex = 1 AND age >= 95)
    UNION ALL
    SELECT person_id, 'not_old_man_or_died' AS g FROM dpc_cases
    WHERE NOT (sex = 1 AND age >= 95) OR discharge_outcome IN ('6', '7')
) u
GROUP BY g

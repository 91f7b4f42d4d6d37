-- attack: the same by sex, in persons: for the men, "aged 95+" is `*` (1 to 9) and "aged
-- 95+ and alive" 0, so every man aged 95+ with a stay died (released on main before a zero
-- beside a count of a few persons was hidden with it).
-- small: SELECT count(DISTINCT person_id) AS n FROM dpc_cases WHERE sex = 1 AND age >= 95
SELECT sex,
       count(DISTINCT person_id) AS persons,
       count(DISTINCT person_id) FILTER (WHERE age >= 95) AS aged_95,
       count(DISTINCT person_id) FILTER (WHERE age >= 95 AND discharge_outcome NOT IN ('6', '7')) AS aged_95_alive
FROM dpc_cases
GROUP BY sex
ORDER BY sex

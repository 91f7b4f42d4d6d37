-- attack: a zero beside a hidden count of a few: zeros are shown, so the `*` of the men
-- aged 95+ with a stay tells there are 1 to 9 of them, and the 0 beside it that none of
-- them left alive: the one such man died (released as `*` and 0 on main before a zero
-- beside a count of a few persons was hidden with it).
-- small: SELECT count(DISTINCT person_id) AS n FROM dpc_cases WHERE sex = 1 AND age >= 95
SELECT count(*) FILTER (WHERE sex = 1 AND age >= 95) AS old_men,
       count(*) FILTER (WHERE sex = 1 AND age >= 95 AND discharge_outcome NOT IN ('6', '7')) AS old_men_alive
FROM dpc_cases

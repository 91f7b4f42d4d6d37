-- attack: stays minus stays of those under 80 minus persons aged 80+ (101 − 71 − 29) is the
-- one person aged 80+ with a second stay; each pair far apart, and the check across kinds
-- took counts of rows and of persons but not distinct counts of records (red team M1).
-- Released whole on main before records joined that check as counts of their rows.
-- small: SELECT count(*) AS n FROM (SELECT person_id FROM dpc_cases WHERE age >= 80 GROUP BY person_id HAVING count(DISTINCT case_id) > 1) t
SELECT count(DISTINCT case_id) AS stays,
       count(*) FILTER (WHERE NOT age >= 80) AS stays_under_80,
       count(DISTINCT person_id) FILTER (WHERE age >= 80) AS persons_80_and_over
FROM dpc_cases

-- attack: three columns of one row: all - women - men under 95 = men aged 95 or older.
-- Each pair differs by many persons, so a pairwise rule passes them.
-- small: SELECT count(DISTINCT person_id) AS n FROM dpc_cases WHERE age >= 95 AND sex = 1
SELECT count(*) AS all_cases,
       count(*) FILTER (WHERE sex = 2) AS women,
       count(*) FILTER (WHERE sex = 1 AND age < 95) AS men_under_95
FROM dpc_cases

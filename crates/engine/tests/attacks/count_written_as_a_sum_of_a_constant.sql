-- attack: all − women − men under 95 with `all` written as sum(abs(1)): the three counts of
-- rows were of two kinds (a SUM of abs(1), and COUNTs), so the span check saw two cells of
-- one kind and one of another, judged pairwise only; 101 − 54 − 46 = 1, the one man aged 95+,
-- and a FILTER on the first cell then answered yes/no questions about him (red team M2).
-- Released whole on main before totals of one row had to be written alike.
-- small: SELECT count(*) AS n FROM dpc_cases WHERE sex = 1 AND age >= 95
SELECT sum(abs(1)) AS all_stays,
       count(*) FILTER (WHERE sex = 2) AS women,
       count(*) FILTER (WHERE sex = 1 AND NOT age >= 95) AS men_under_95
FROM dpc_cases

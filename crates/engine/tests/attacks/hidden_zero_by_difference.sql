-- attack: where the policy hides zeros, n = young tells that no man is 96 or older: a zero
-- the reader computes. (The women's 4 aged 96+ are hidden either way.)
-- policy: show_zero_cells = false
SELECT sex, count(*) AS n, count(*) FILTER (WHERE age < 96) AS young
FROM dpc_cases
GROUP BY sex

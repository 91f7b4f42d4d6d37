-- attack: over two ages, sum(age) − 84 × count(*) is the rows at 85: 14,344 − 84 × 170 = 64
-- claims of the 8 persons aged 85. Released whole on main.
-- small: SELECT count(DISTINCT person_id) AS n FROM kaigo_claims WHERE age = 85
SELECT count(*) AS n, sum(age) AS s
FROM kaigo_claims
WHERE age BETWEEN 84 AND 85

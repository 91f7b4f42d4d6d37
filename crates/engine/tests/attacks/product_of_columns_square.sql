-- attack: a product of columns is not linear: with sum(age) and count(*), sum(age * age)
-- gives the spread of ages, a polynomial that weighs the oldest apart.
-- small: SELECT count(DISTINCT person_id) AS n FROM dpc_cases WHERE age >= 98 AND sex = 2
SELECT sex, count(*) AS cases, sum(age) AS ages, sum(age * age) AS squares
FROM dpc_cases
GROUP BY sex

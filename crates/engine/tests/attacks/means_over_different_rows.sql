-- attack: two means whose denominators differ by the one stay aged 98 or older (101 and 100),
-- and whose numerators then give her age.
-- small: SELECT count(DISTINCT person_id) AS n FROM dpc_cases WHERE age >= 98
SELECT avg(age) AS a1, avg(age) FILTER (WHERE age < 98) AS a2
FROM dpc_cases

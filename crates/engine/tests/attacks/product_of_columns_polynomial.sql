-- attack: a polynomial in age that is 0 for every age present but the targeted ones: a CASE
-- in disguise whose condition nobody counts.
-- small: SELECT count(DISTINCT person_id) AS n FROM dpc_cases WHERE age >= 98 AND sex = 2
SELECT sex, sum((age - 97) * (age - 96) * (age - 95)) AS weighed
FROM dpc_cases
WHERE age >= 95
GROUP BY sex

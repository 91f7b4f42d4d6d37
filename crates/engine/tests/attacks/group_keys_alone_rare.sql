-- attack: a query of group keys alone lists the rare combinations themselves.
-- small: SELECT count(DISTINCT person_id) AS n FROM dpc_cases WHERE age >= 98 AND sex = 2
SELECT sex, age
FROM dpc_cases
GROUP BY sex, age
HAVING count(DISTINCT person_id) < 3

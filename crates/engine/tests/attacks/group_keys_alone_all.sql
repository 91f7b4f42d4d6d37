-- attack: without any aggregate, every group is listed, the groups of one person included.
-- small: SELECT count(DISTINCT person_id) AS n FROM dpc_cases WHERE age >= 98 AND sex = 2
SELECT sex, age
FROM dpc_cases
WHERE age >= 90
GROUP BY sex, age

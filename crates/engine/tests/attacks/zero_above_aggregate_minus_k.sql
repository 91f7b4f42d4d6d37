-- attack: a zero computed above the aggregate. count(*) - 1 is 0 exactly where the group
-- holds one case; on the old checks a zero was released before any rule ran.
-- small: SELECT count(DISTINCT person_id) AS n FROM dpc_cases WHERE age >= 98 AND sex = 2
SELECT sex, count(*) - 1 AS n_minus_one
FROM dpc_cases
WHERE age >= 98
GROUP BY sex

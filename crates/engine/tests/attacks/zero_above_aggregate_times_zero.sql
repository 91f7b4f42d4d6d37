-- attack: a value that is always zero shows its row, and the row's label tells that the
-- group exists however small it is.
-- small: SELECT count(DISTINCT person_id) AS n FROM dpc_cases WHERE age >= 98 AND sex = 2
SELECT sex, age, count(*) * 0 AS nothing
FROM dpc_cases
WHERE age >= 95
GROUP BY sex, age

-- attack: abs of the smallest integer overflows, with an error, exactly when someone is 98
-- or older; made total, the query runs the same whatever the data.
-- small: SELECT count(DISTINCT person_id) AS n FROM dpc_cases WHERE age >= 98 AND sex = 2
SELECT sex, count(*) AS cases
FROM dpc_cases
WHERE abs(CASE WHEN age >= 98 AND sex = 2 THEN -9223372036854775807 - 1 ELSE 0 END) >= 0
GROUP BY sex

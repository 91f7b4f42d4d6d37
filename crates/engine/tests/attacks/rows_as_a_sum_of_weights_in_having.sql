-- attack: HAVING tests the rows (a SUM of weights) against the persons plus k: the row shown
-- tells the men's few persons with several stays have exactly 7 extra.
-- small: SELECT count(*) AS n FROM (SELECT person_id FROM dpc_cases WHERE sex = 1 GROUP BY person_id HAVING count(*) > 1) s
SELECT sex, count(DISTINCT person_id) AS p
FROM dpc_cases
GROUP BY sex
HAVING sum(CASE WHEN age >= 0 THEN 1 ELSE 0 END) = count(DISTINCT person_id) + 7

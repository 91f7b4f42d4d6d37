-- attack: sum(sex) of the men is their count of rows: beside the distinct persons, 47 − 40 is
-- the extra stays of the 5 men with several.
-- small: SELECT count(*) AS n FROM (SELECT person_id FROM dpc_cases WHERE sex = 1 GROUP BY person_id HAVING count(*) > 1) s
SELECT sum(sex) AS rows_, count(DISTINCT person_id) AS persons
FROM dpc_cases
WHERE sex = 1

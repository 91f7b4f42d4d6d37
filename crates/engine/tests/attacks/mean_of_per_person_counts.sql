-- attack: one cell: the mean of per-person counts is 101 / 90, the extra stays of the 9 persons
-- with several.
-- small: SELECT count(*) AS n FROM (SELECT person_id FROM dpc_cases GROUP BY person_id HAVING count(*) > 1) s
SELECT avg(n) AS a
FROM (SELECT person_id, count(*) AS n FROM dpc_cases GROUP BY person_id) p

-- attack: distinct stays beside distinct persons: 101 − 90 = 11 is the extra stays of the
-- few persons with more than one, though both cells hold 90 persons.
-- small: SELECT count(*) AS n FROM (SELECT person_id FROM dpc_cases GROUP BY person_id HAVING count(DISTINCT case_id) > 1) s
SELECT count(DISTINCT case_id) AS cases, count(DISTINCT person_id) AS persons
FROM dpc_cases

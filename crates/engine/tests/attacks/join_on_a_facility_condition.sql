-- attack: the same with a facility named in the join condition, which no unit count sees.
-- small: SELECT count(DISTINCT person_id) AS n FROM dpc_cases WHERE facility_id = '230100016'
SELECT t.sex, count(DISTINCT c.person_id) AS n
FROM dpc_cases c JOIN dpc_cases t ON c.facility_id <> CASE WHEN t.sex = 1 THEN 'x' ELSE '230100016' END
GROUP BY t.sex

-- attack: a date cast from a number lies millions of years ahead, and adding a year to it
-- fails: gated by a CASE, the query failed only if a claim of a woman aged 98 in hospital in
-- prefecture 13 exists (an execution error on main, 8439 with '01', before casts of
-- anything but dates and literals to dates were refused).
-- small: SELECT count(DISTINCT person_id) AS n FROM ndb_claims WHERE age = 98 AND setting = 'inpatient'
SELECT count(*) AS n
FROM ndb_claims
WHERE (CASE WHEN age = 98 AND setting = 'inpatient' AND facility_prefecture = '13'
            THEN CAST(CAST(age * 20000000 AS INT) AS DATE)
            ELSE DATE '2000-01-01' END + INTERVAL '1 year') IS NOT NULL

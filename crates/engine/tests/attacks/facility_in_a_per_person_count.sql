-- attack: the facility moved from the per-person FILTER into the counted value: persons
-- grouped by count(CASE WHEN facility_id = … THEN 1 END) gave hospital 1310100032's 171
-- patients and 484 claims again (red team R8-4; also count(*) - count(NULLIF(facility_id, …))).
-- small: SELECT count(DISTINCT person_id) FROM (SELECT person_id, count(*) AS n FROM ndb_claims WHERE facility_id = '1310100032' GROUP BY person_id) t WHERE n = 5
SELECT t.f, count(*) AS n
FROM (SELECT person_id, count(*) - count(NULLIF(facility_id, '1310100032')) AS f
      FROM ndb_claims GROUP BY person_id) t
GROUP BY t.f

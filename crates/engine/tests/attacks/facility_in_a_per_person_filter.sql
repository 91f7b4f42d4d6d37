-- attack: a facility in a per-person aggregate's FILTER was not seen as selecting by it:
-- persons grouped by their claims at hospital 1310100032 gave its 171 patients and 484
-- claims, its visit histogram exactly (the row of 5 claims, 9 persons, withheld; red team
-- R7-4). The same in WHERE, CASE or min(facility_id) was refused.
-- small: SELECT count(DISTINCT person_id) FROM (SELECT person_id, count(*) AS n FROM ndb_claims WHERE facility_id = '1310100032' GROUP BY person_id) t WHERE n = 5
SELECT t.f, count(*) AS n
FROM (SELECT person_id, count(*) FILTER (WHERE facility_id = '1310100032') AS f
      FROM ndb_claims GROUP BY person_id) t
GROUP BY t.f

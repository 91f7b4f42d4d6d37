-- attack: the same hospital's patients picked by a HAVING over a per-person FILTER inside IN
-- gave their 818 claims (red team R7-4); WHERE person_id IN (SELECT … WHERE facility_id = …)
-- was refused.
-- small: SELECT count(DISTINCT person_id) FROM (SELECT person_id, count(*) AS n FROM ndb_claims WHERE facility_id = '1310100032' GROUP BY person_id) t WHERE n = 5
SELECT count(*) AS n
FROM ndb_claims k
WHERE k.person_id IN (SELECT person_id FROM ndb_claims GROUP BY person_id
                      HAVING count(*) FILTER (WHERE facility_id = '1310100032') > 0)

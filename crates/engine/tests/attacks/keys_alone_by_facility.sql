-- attack: a row of group keys alone was judged by its group's persons only, not by the unit
-- rule: this listed each hospital with 10 or more patients aged 80+ (8 of them), so hospital
-- 2710200014, missing, had 1 to 9 (red team R7-1); any condition could be asked so, of one
-- hospital at a time.
-- small: SELECT count(DISTINCT person_id) FROM ndb_claims WHERE age >= 80 AND facility_id = '2710200014'
SELECT facility_id
FROM ndb_claims
WHERE age >= 80
GROUP BY facility_id

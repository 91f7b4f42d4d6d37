-- attack: the claim key taken from a derived table of ndb_claims and joined onto
-- ndb_diagnoses, whose claims have a row per diagnosis, passed as "one row per record" (one
-- scan, of diagnoses): 235 − 209 − 20 were 6 extra claims of 5 persons again (red team R8-1).
-- small: SELECT count(*) FROM (SELECT person_id, count(DISTINCT claim_id) AS a, max(CASE WHEN icd10 LIKE 'M%' THEN 1 ELSE 0 END) AS b, count(DISTINCT CASE WHEN icd10 LIKE 'R%' THEN claim_id END) AS c FROM ndb_diagnoses WHERE claim_month = '2023-11' AND (icd10 LIKE 'M%' OR icd10 LIKE 'R%') GROUP BY person_id) t WHERE a - b - c <> 0
SELECT count(DISTINCT t.claim_id) AS a,
       count(DISTINCT d.person_id) FILTER (WHERE d.icd10 LIKE 'M%') AS b,
       count(DISTINCT t.claim_id) FILTER (WHERE d.icd10 LIKE 'R%') AS c
FROM ndb_diagnoses d
JOIN (SELECT claim_id, person_id FROM ndb_claims GROUP BY claim_id, person_id) t
  ON d.claim_id = t.claim_id AND d.person_id = t.person_id
WHERE d.claim_month = '2023-11' AND (d.icd10 LIKE 'M%' OR d.icd10 LIKE 'R%')

-- attack: a claim of ndb_diagnoses has a row per diagnosis, so a distinct count of claims is
-- not a count of rows: 235 claims − 209 persons with an M diagnosis − 20 claims with an R one
-- were 6 extra M claims of 5 persons, released whole while the check took the claims for rows
-- and saw a combination of 19 persons (red team R7-5).
-- small: SELECT count(*) FROM (SELECT person_id, count(DISTINCT claim_id) AS a, max(CASE WHEN icd10 LIKE 'M%' THEN 1 ELSE 0 END) AS b, count(DISTINCT CASE WHEN icd10 LIKE 'R%' THEN claim_id END) AS c FROM ndb_diagnoses WHERE claim_month = '2023-11' AND (icd10 LIKE 'M%' OR icd10 LIKE 'R%') GROUP BY person_id) t WHERE a - b - c <> 0
SELECT count(DISTINCT claim_id) AS a,
       count(DISTINCT person_id) FILTER (WHERE icd10 LIKE 'M%') AS b,
       count(DISTINCT claim_id) FILTER (WHERE icd10 LIKE 'R%') AS c
FROM ndb_diagnoses
WHERE claim_month = '2023-11' AND (icd10 LIKE 'M%' OR icd10 LIKE 'R%')

-- attack: a derived table grouped by x.claim_month and by a lookup's code renamed claim_month
-- was "met on all its group keys" by a join on person and claim_month, the keys compared by
-- name; the join repeats each claim once per code of its person that month: 1403 − 25 − 1368
-- were 10 extra November claims of 8 persons aged 92+ (red team R10-2).
-- small: SELECT count(*) FROM (SELECT person_id FROM ndb_claims WHERE claim_month = '2023-11' AND age >= 92 GROUP BY person_id HAVING count(DISTINCT claim_id) > 1) t
SELECT count(DISTINCT c.claim_id) AS a,
       count(DISTINCT c.person_id) FILTER (WHERE c.age >= 92) AS b,
       count(DISTINCT c.claim_id) FILTER (WHERE c.age < 92) AS cc
FROM ndb_claims c
JOIN (SELECT x.person_id, x.claim_month, y.claim_month AS m2, count(*) AS n
      FROM ndb_diagnoses x
      JOIN (SELECT person_id, icd10 AS claim_month FROM ndb_diagnoses GROUP BY person_id, icd10) y
        ON x.person_id = y.person_id AND x.icd10 = y.claim_month
      GROUP BY x.person_id, x.claim_month, y.claim_month) t
  ON c.person_id = t.person_id AND c.claim_month = t.claim_month
WHERE c.claim_month = '2023-11'

-- attack: c.claim_month = c.claim_month in the ON looked like a key of the joined table, a
-- per-person-and-month aggregate, which repeats each claim once per month of its person:
-- 1403 − 25 − 1368 were 10 extra November claims of 8 persons aged 92+ (red team R8-2).
-- small: SELECT count(*) FROM (SELECT person_id FROM ndb_claims WHERE claim_month = '2023-11' AND age >= 92 GROUP BY person_id HAVING count(DISTINCT claim_id) > 1) t
SELECT count(DISTINCT c.claim_id) AS a,
       count(DISTINCT c.person_id) FILTER (WHERE c.age >= 92) AS b,
       count(DISTINCT c.claim_id) FILTER (WHERE c.age < 92) AS cc
FROM ndb_claims c
JOIN (SELECT person_id, claim_month, count(*) AS n FROM ndb_claims GROUP BY person_id, claim_month) t
  ON c.person_id = t.person_id AND c.claim_month = c.claim_month
WHERE c.claim_month = '2023-11'

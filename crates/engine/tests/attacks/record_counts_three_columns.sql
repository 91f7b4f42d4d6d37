-- attack: three distinct counts of claims: all - women - men under 99 = the 3 claims of
-- the one man aged 99.
-- small: SELECT count(DISTINCT person_id) AS n FROM ndb_claims WHERE age >= 99 AND sex = 1
SELECT count(DISTINCT claim_id) AS all_claims,
       count(DISTINCT claim_id) FILTER (WHERE sex = 2) AS women,
       count(DISTINCT claim_id) FILTER (WHERE sex = 1 AND age < 99) AS men_under_99
FROM ndb_claims

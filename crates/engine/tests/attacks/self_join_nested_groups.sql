-- attack: a self-join on the person labels each pair of one person's claims: "same" month,
-- an earlier month ("dup"), or a later one for all but the men aged 95+ ("dupx"). The
-- pairs are symmetric, so "dup" and "dupx" hold the same persons but those men: 1673 and
-- 1671 on main before every door checked an output's counts of persons against each other.
-- small: SELECT count(DISTINCT person_id) AS n FROM ndb_claims WHERE sex = 1 AND age >= 95
SELECT CASE
           WHEN a.claim_month = b.claim_month THEN 'same'
           WHEN a.claim_month < b.claim_month THEN 'dup'
           WHEN NOT (a.sex = 1 AND a.age >= 95) THEN 'dupx'
           ELSE 'other'
       END AS g,
       count(DISTINCT a.person_id) AS n
FROM ndb_claims a JOIN ndb_claims b ON a.person_id = b.person_id
GROUP BY 1

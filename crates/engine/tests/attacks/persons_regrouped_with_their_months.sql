-- attack: a table of persons and months regrouped by person, month and count was taken for
-- one row per person, DataFusion's functional dependencies saying the person key determines
-- the month (wrong over a join); its rows beside its persons, 200 − 199, were the months of
-- the one man aged 99 beyond his first (red team R10-1).
-- small: SELECT count(DISTINCT person_id) FROM ndb_claims WHERE age = 99 AND sex = 1
SELECT e.claim_month > '2000' AS any_month, count(*) AS person_months, count(DISTINCT e.person_id) AS persons
FROM (SELECT d.person_id, d.claim_month, d.n
      FROM (SELECT t.person_id, c.claim_month, count(*) AS n
            FROM ndb_claims c
            JOIN (SELECT person_id, count(*) AS k FROM ndb_claims GROUP BY person_id) t ON c.person_id = t.person_id
            WHERE (c.age = 99 AND c.sex = 1) OR t.k = 1
            GROUP BY t.person_id, c.claim_month) d
      GROUP BY d.person_id, d.claim_month, d.n) e
GROUP BY e.claim_month > '2000'

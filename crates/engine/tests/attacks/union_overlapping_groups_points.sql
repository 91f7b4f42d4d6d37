-- attack: a label made by UNION ALL of a per-person table ("all", and all but the one DPC
-- patient aged 98) joined to her claims: the two rows' claims and points differ by hers
-- (8 claims and 31,953 points on main before UNION was refused inside queries).
-- small: SELECT count(DISTINCT person_id) AS n FROM dpc_cases WHERE age = 98
WITH p AS (SELECT person_id, max(age) AS age FROM ndb_claims GROUP BY person_id),
     l AS (
         SELECT person_id, 'all' AS g FROM p
         UNION ALL
         SELECT person_id, 'rest' AS g FROM p
         WHERE person_id NOT IN (SELECT person_id FROM dpc_cases WHERE age = 98)
     )
SELECT l.g, count(*) AS n, sum(c.total_points) AS pts
FROM ndb_claims c JOIN l ON c.person_id = l.person_id
GROUP BY l.g

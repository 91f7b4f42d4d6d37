-- attack: a per-person count of an attribute's distinct values is an attribute of the
-- person: summed beside the persons' count, 94 - 93 was the one man born 2010-19 with both
-- an inpatient and an outpatient claim (red team R16-2, across two outputs on b77e67f).
-- small: SELECT count(*) AS n FROM (SELECT person_id FROM ndb_claims WHERE substr(birth_ym, 1, 3) = '201' AND sex = 1 GROUP BY person_id HAVING count(DISTINCT setting) = 2) t
WITH p AS (
    SELECT person_id, count(DISTINCT setting) AS n
    FROM ndb_claims
    WHERE substr(birth_ym, 1, 3) = '201' AND sex = 1
    GROUP BY person_id
)
SELECT sum(n) AS s
FROM p

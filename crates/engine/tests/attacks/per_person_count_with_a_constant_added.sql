-- attack: a constant added to a per-person count below the SUM (red team R16-5):
-- count(DISTINCT setting) * 101 - 100 is 1 for a person with one setting and 102 for one with
-- both, so every person adds and sum(n) is the persons plus 101 times those with both:
-- 194 = 93 + 101 for the men born 2010-19, with nothing hidden on b77e67f.
-- small: SELECT count(*) AS n FROM (SELECT person_id FROM ndb_claims WHERE substr(birth_ym, 1, 3) = '201' AND sex = 1 GROUP BY person_id HAVING count(DISTINCT setting) = 2) t
WITH p AS (
    SELECT person_id, substr(birth_ym, 1, 3) AS decade, sex, count(DISTINCT setting) * 101 - 100 AS n
    FROM ndb_claims
    GROUP BY person_id, substr(birth_ym, 1, 3), sex
)
SELECT decade, sex, sum(n) AS s
FROM p
GROUP BY decade, sex

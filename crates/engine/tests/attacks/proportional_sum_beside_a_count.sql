-- attack: per-person stays summed twice over, beside the count of persons: 202 / 2 − 90 is the
-- extra stays of the 9 persons with several.
-- small: SELECT count(*) AS n FROM (SELECT person_id FROM dpc_cases GROUP BY person_id HAVING count(*) > 1) s
WITH p AS (SELECT person_id, count(*) AS n FROM dpc_cases GROUP BY person_id)
SELECT count(*) AS persons, sum(n * 2) AS stays_twice
FROM p

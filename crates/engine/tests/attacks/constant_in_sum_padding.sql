-- attack: a constant added inside a SUM flattens every person's share, so the dominance
-- rules see equal contributors; sum(points + c) - c * count(*) is the dominated total.
-- small: SELECT count(DISTINCT person_id) AS n FROM ndb_claims WHERE age >= 99
SELECT sex, sum(total_points + 1000000) AS padded, count(*) AS claims
FROM ndb_claims
GROUP BY sex

-- attack: the constant inside a CASE branch.
-- small: SELECT count(DISTINCT person_id) AS n FROM ndb_claims WHERE age >= 99
SELECT sex, sum(CASE WHEN age >= 0 THEN total_points + 1000000 END) AS padded, count(*) AS claims
FROM ndb_claims
GROUP BY sex

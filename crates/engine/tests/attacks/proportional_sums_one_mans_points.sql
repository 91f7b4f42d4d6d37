-- attack: two sums of one value up to a factor (points and 2 × points, the second without the
-- oldest): their difference, in one cell, is the one man aged 99's points.
-- small: SELECT count(DISTINCT person_id) AS n FROM ndb_claims WHERE age >= 99 AND sex = 1
SELECT sex, sum(total_points) - sum(2 * total_points) FILTER (WHERE age < 99) / 2 AS d
FROM ndb_claims
GROUP BY sex

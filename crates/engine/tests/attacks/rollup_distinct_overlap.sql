-- attack: a ROLLUP total of distinct persons is not the sum of its rows when a person is in
-- two groups: A + B - total counts the persons in both (here the one man aged 99, in group A
-- by a claim over 19,000 points, in B by his others).
-- small: SELECT count(DISTINCT person_id) AS n FROM ndb_claims WHERE age >= 99 AND sex = 1
SELECT CASE WHEN sex = 2 OR (age >= 99 AND total_points > 19000) THEN 'A' ELSE 'B' END AS g,
       count(DISTINCT person_id) AS persons
FROM ndb_claims
GROUP BY ROLLUP (CASE WHEN sex = 2 OR (age >= 99 AND total_points > 19000) THEN 'A' ELSE 'B' END)
ORDER BY g

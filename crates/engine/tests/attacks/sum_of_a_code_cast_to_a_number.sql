-- attack: a code cast to a number sums as an attribute does: over care levels 24 and 25,
-- 556 − 24 × 23 = 4 certifications at level 25, of 3 persons. Released whole on main.
-- small: SELECT count(DISTINCT person_id) AS n FROM kaigo_certifications WHERE care_level = '25'
SELECT count(*) AS n, sum(CAST(care_level AS INT)) AS s
FROM kaigo_certifications
WHERE care_level IN ('24', '25')

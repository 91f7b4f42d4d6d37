-- attack: all claim points beside the same without prefecture 18 is prefecture 18's total
-- (603,056), hidden when asked alone because one man put in 584,388 of it: the difference
-- of two totals of one measure was judged by its persons (12) and not by who dominates it.
-- Released on main before differences of totals were judged by the dominance rules.
-- small: SELECT count(*) AS n FROM (SELECT person_id FROM ndb_claims WHERE facility_prefecture = '18' GROUP BY person_id HAVING sum(total_points) > 500000) t
SELECT sum(total_points) AS all_points,
       sum(total_points) FILTER (WHERE facility_prefecture <> '18') AS not_18
FROM ndb_claims

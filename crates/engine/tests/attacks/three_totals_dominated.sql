-- attack: all claim points minus those below and above prefecture 18 is prefecture 18's total
-- (603,056), hidden when asked alone because one man put in 584,388 of it. Every pair of
-- the three differs by many persons, and the span check inside the row protected atoms of
-- 1–9 persons only, not an atom of 12 that one of them dominates: released whole on main
-- before the atoms of a row's totals were judged by the dominance rules (red team N4).
-- small: SELECT count(*) AS n FROM (SELECT person_id FROM ndb_claims WHERE facility_prefecture = '18' GROUP BY person_id HAVING sum(total_points) > 500000) t
SELECT sum(total_points) AS all_points,
       sum(total_points) FILTER (WHERE facility_prefecture < '18') AS below_18,
       sum(total_points) FILTER (WHERE facility_prefecture > '18') AS above_18
FROM ndb_claims

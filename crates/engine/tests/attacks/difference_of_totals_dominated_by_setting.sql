-- attack: by setting, all claim points beside the same without prefectures 42 and 44: the
-- outpatient row's difference, 5,627,732 − 4,468,274 = 1,159,458 points of 35 persons, is
-- 584,493 + 521,718 from two of them (the dominance rule's two persons over 90 %). Released
-- on main before differences of totals were judged by the dominance rules.
-- small: SELECT count(*) AS n FROM (SELECT person_id FROM ndb_claims WHERE facility_prefecture IN ('42', '44') GROUP BY person_id, facility_prefecture HAVING sum(total_points) > 500000) t
SELECT setting,
       sum(total_points) AS all_points,
       sum(total_points) FILTER (WHERE facility_prefecture NOT IN ('42', '44')) AS others
FROM ndb_claims
GROUP BY setting
ORDER BY setting

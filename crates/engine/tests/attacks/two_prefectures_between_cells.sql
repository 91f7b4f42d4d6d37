-- attack: all claim points minus those below prefecture 18 and above 19, with a fourth cell
-- (18, or 46 and over) so that 18 alone is not determined, gave 18 and 19 together: 620,155
-- points, 94 % one man's. Prefecture 19's atom alone was not dominated, so the sum was not
-- a sum of flagged atoms (red team M4). Released whole on main before a dominated atom and
-- another whose sum its largest contributors still dominate were a primary cell together.
-- small: SELECT count(*) AS n FROM (SELECT person_id FROM ndb_claims WHERE facility_prefecture IN ('18', '19') GROUP BY person_id HAVING sum(total_points) > 500000) t
SELECT sum(total_points) AS all_points,
       sum(total_points) FILTER (WHERE facility_prefecture < '18') AS below_18,
       sum(total_points) FILTER (WHERE facility_prefecture > '19') AS above_19,
       sum(total_points) FILTER (WHERE facility_prefecture = '18' OR facility_prefecture >= '46') AS at_18_or_46
FROM ndb_claims

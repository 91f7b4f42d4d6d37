-- attack: all claim points written as sum(abs(total_points)) beside those below and above
-- prefecture 18: abs(total_points) was a value of its own, so the three totals were not one
-- span and the dominated atom (prefecture 18's 603,056 points, 97 % one man's) was not seen
-- (red team M3). Released whole on main before totals of one row had to be written alike.
-- small: SELECT count(*) AS n FROM (SELECT person_id FROM ndb_claims WHERE facility_prefecture = '18' GROUP BY person_id HAVING sum(total_points) > 500000) t
SELECT sum(abs(total_points)) AS all_points,
       sum(total_points) FILTER (WHERE facility_prefecture < '18') AS below_18,
       sum(total_points) FILTER (WHERE facility_prefecture > '18') AS above_18
FROM ndb_claims

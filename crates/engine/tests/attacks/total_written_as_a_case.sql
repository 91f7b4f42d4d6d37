-- attack: the same three totals with `all` written as a CASE whose branches are both
-- total_points, a value of its own to the span check before CASE WHEN … THEN x ELSE 0 END
-- was read as x under a condition (red team M3); now one kind, and the dominated atom hides a
-- cell. Released whole on main before.
-- small: SELECT count(*) AS n FROM (SELECT person_id FROM ndb_claims WHERE facility_prefecture = '18' GROUP BY person_id HAVING sum(total_points) > 500000) t
SELECT sum(CASE WHEN sex = 1 THEN total_points ELSE total_points END) AS all_points,
       sum(total_points) FILTER (WHERE facility_prefecture < '18') AS below_18,
       sum(total_points) FILTER (WHERE facility_prefecture > '18') AS above_18
FROM ndb_claims

-- attack: sum(total_points + age) − sum(age) − points below 18 − points above 18 is
-- prefecture 18's dominated 603,056 points: four totals of values written differently, each
-- a kind of its own to the span check (red team M3). Released whole on main before totals
-- adding a column in common had to be written alike.
-- small: SELECT count(*) AS n FROM (SELECT person_id FROM ndb_claims WHERE facility_prefecture = '18' GROUP BY person_id HAVING sum(total_points) > 500000) t
SELECT sum(total_points + age) AS points_and_ages,
       sum(age) AS ages,
       sum(total_points) FILTER (WHERE facility_prefecture < '18') AS below_18,
       sum(total_points) FILTER (WHERE facility_prefecture > '18') AS above_18
FROM ndb_claims

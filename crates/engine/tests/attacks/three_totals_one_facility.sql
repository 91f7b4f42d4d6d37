-- attack: all claims minus those of facilities before and after one hospital in key order
-- are that hospital's claims and points, which the unit rule hides when asked by facility.
-- Released whole on main before the atoms of a row's totals were judged by the unit rule
-- (red team N4: 484 claims and 186,828 points of facility 1310100032).
-- small: SELECT count(DISTINCT facility_id) AS n FROM ndb_claims WHERE facility_id = '1310100032'
SELECT count(*) AS claims,
       count(*) FILTER (WHERE facility_id < '1310100032') AS claims_before,
       count(*) FILTER (WHERE facility_id > '1310100032') AS claims_after,
       sum(total_points) AS points,
       sum(total_points) FILTER (WHERE facility_id < '1310100032') AS points_before,
       sum(total_points) FILTER (WHERE facility_id > '1310100032') AS points_after
FROM ndb_claims

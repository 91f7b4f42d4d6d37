-- attack: all claims minus those before one facility's key and after the next one's is the
-- two facilities' claims together (173, of facilities 0810100032 and 0810200014), with a
-- fourth cell so that neither facility alone is determined: each atom of one facility was
-- protected, their sum was not (red team M4). Released whole on main before sums of flagged
-- atoms were primary cells of the span check.
-- small: SELECT count(DISTINCT facility_id) AS n FROM ndb_claims WHERE facility_id IN ('0810100032', '0810200014')
SELECT count(*) AS claims,
       count(*) FILTER (WHERE facility_id < '0810100032') AS before_first,
       count(*) FILTER (WHERE facility_id > '0810200014') AS after_second,
       count(*) FILTER (WHERE facility_id = '0810100032' OR facility_id >= '4700000000') AS first_or_last
FROM ndb_claims

-- attack: replace(x, '-', '---') nested 20 times grows a month ('2023-04') to 3^20 bytes,
-- 3.5 GB, past what a string array holds: the query failed with an execution error exactly
-- when the CASE's branch was reached, a yes/no answer on whether anyone aged 98 had an
-- inpatient claim in Tokyo (with a memory limit the process aborted instead). On main before
-- the fix it failed ("the query failed during execution") here, and with '14' for the
-- prefecture it ran and released 8439.
-- small: SELECT count(DISTINCT person_id) AS n FROM ndb_claims WHERE age = 98 AND setting = 'inpatient' AND facility_prefecture = '13'
SELECT count(*) AS n
FROM ndb_claims
WHERE length(CASE WHEN age = 98 AND setting = 'inpatient' AND facility_prefecture = '13'
  THEN replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(claim_month, '-', '---'), '-', '---'), '-', '---'), '-', '---'), '-', '---'), '-', '---'), '-', '---'), '-', '---'), '-', '---'), '-', '---'), '-', '---'), '-', '---'), '-', '---'), '-', '---'), '-', '---'), '-', '---'), '-', '---'), '-', '---'), '-', '---'), '-', '---')
  ELSE 'a' END) > 0

-- attack: chained self-joins on the person key multiply a person's rows by their number of
-- claims at each join, and a condition in the first ON on one target row decides whether
-- there is anything to multiply: on main the same `*` came back in 0.05 s when no claim met
-- it (prefecture '01') and in 4.6 s when one person's did (eight joins; over 10 minutes with
-- nine, past the broker's 15-minute limit, a refusal, with about twelve), a yes/no answer on
-- whether anyone aged 98 had an inpatient claim in Tokyo, and a denial of service. Two joins
-- (three tables) here, which main answered (`*`) at once on the sample: from the third table
-- on, the query is refused whatever the data.
-- small: SELECT count(DISTINCT person_id) AS n FROM ndb_claims WHERE age = 98 AND setting = 'inpatient' AND facility_prefecture = '13'
SELECT count(*) AS n
FROM ndb_claims a
JOIN ndb_claims t1 ON a.person_id = t1.person_id
  AND a.age = 98 AND a.setting = 'inpatient' AND a.facility_prefecture = '13'
JOIN ndb_claims t2 ON t1.person_id = t2.person_id

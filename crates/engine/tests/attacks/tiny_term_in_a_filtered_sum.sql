-- attack: a second measure with a tiny coefficient makes every row's value differ between
-- two SUMs of one row, so "the rows whose values differ" is everyone; rounded, the filtered
-- sum is the plain one without the oldest claimants: their points, in one output.
-- small: SELECT count(DISTINCT person_id) AS n FROM ndb_claims WHERE age >= 99
SELECT sum(total_points) AS points,
       sum(total_points + age / 1000000.0) FILTER (WHERE age < 99) AS nearly
FROM ndb_claims

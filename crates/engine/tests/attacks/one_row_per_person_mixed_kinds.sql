-- attack: where each person has one row, a count of rows and counts of persons are one
-- kind: 1915 - 949 - 965 = the one man aged 99.
-- small: SELECT count(DISTINCT person_id) AS n FROM ndb_claims WHERE age >= 99 AND sex = 1
WITH p AS (SELECT person_id, count(*) FILTER (WHERE sex = 1 AND age >= 99) AS old_men,
                  count(*) FILTER (WHERE sex = 2) AS w FROM ndb_claims GROUP BY person_id)
SELECT count(*) AS everyone,
       count(DISTINCT person_id) FILTER (WHERE w > 0) AS with_women_claims,
       count(*) FILTER (WHERE w = 0 AND old_men = 0) AS men_not_old
FROM p

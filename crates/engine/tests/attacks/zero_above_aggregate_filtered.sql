-- attack: the same inside a large group: a conditional count minus k is 0 when exactly k
-- cases are 98 or older, whatever the size of the group.
-- small: SELECT count(DISTINCT person_id) AS n FROM dpc_cases WHERE age >= 98 AND sex = 2
SELECT sex,
       count(*) AS cases,
       count(*) FILTER (WHERE age >= 98) - 1 AS old_minus_one
FROM dpc_cases
GROUP BY sex

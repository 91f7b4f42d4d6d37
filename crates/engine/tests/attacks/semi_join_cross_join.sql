-- attack: a CROSS JOIN inside IN (subquery) makes every person pass exactly when someone
-- else is 98 or older: another person's existence as a yes/no.
-- small: SELECT count(DISTINCT person_id) AS n FROM dpc_cases WHERE age >= 98 AND sex = 2
SELECT sex, count(*) AS cases
FROM dpc_cases
WHERE person_id IN (
    SELECT a.person_id FROM dpc_cases a CROSS JOIN dpc_cases b WHERE b.age >= 98 AND b.sex = 2
)
GROUP BY sex

-- attack: EXISTS correlated on the person key, but reading another person's rows too.
-- small: SELECT count(DISTINCT person_id) AS n FROM dpc_cases WHERE age >= 98 AND sex = 2
SELECT c.sex, count(*) AS cases
FROM dpc_cases c
WHERE EXISTS (
    SELECT 1 FROM dpc_cases x, dpc_cases b
    WHERE x.person_id = c.person_id AND b.age >= 98 AND b.sex = 2
)
GROUP BY c.sex

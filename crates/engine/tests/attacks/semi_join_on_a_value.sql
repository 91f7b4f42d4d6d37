-- attack: IN (subquery) joined on a value, not on the person key: a's persons pass when any
-- person of their sex is 98 or older.
-- small: SELECT count(DISTINCT person_id) AS n FROM dpc_cases WHERE age >= 98 AND sex = 2
SELECT sex, count(*) AS cases
FROM dpc_cases
WHERE person_id IN (
    SELECT a.person_id FROM dpc_cases a JOIN dpc_cases b ON a.sex = b.sex WHERE b.age >= 98
)
GROUP BY sex

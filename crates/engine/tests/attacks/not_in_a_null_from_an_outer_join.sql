-- attack: a LEFT JOIN inside a NOT IN subquery yields a NULL key only when the one DPC
-- patient aged 98 has diagnosis I25, and one NULL makes NOT IN unknown for every row: the
-- count was * (she has it) or 101 (she has not), one question a query (released on main
-- before IN subqueries over keys that may be NULL were refused).
-- small: SELECT count(DISTINCT person_id) AS n FROM dpc_cases WHERE age = 98
SELECT count(*) AS n
FROM dpc_cases
WHERE person_id NOT IN (
    SELECT d.person_id
    FROM dpc_cases c
    JOIN ndb_diagnoses x ON c.person_id = x.person_id
    LEFT JOIN dpc_cases d ON c.person_id = d.person_id AND d.case_id IS NULL
    WHERE c.age = 98 AND substr(x.icd10, 1, 3) = 'I25'
)

-- attack: a join on a condition, not on the person key: counting one side and the other
-- over the same joined rows differs by exactly the persons the condition leaves out.
-- small: SELECT count(DISTINCT person_id) AS n FROM dpc_cases WHERE age >= 98 AND sex = 2
SELECT count(DISTINCT t.person_id) AS everyone, count(DISTINCT c.person_id) AS all_but_them
FROM dpc_cases c JOIN dpc_cases t ON NOT (c.age >= 98 AND c.sex = 2)

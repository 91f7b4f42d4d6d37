-- attack: the bisection inside an EXISTS semi-join, with the literal hidden behind another
-- copy of the key (`person_id < greatest(person_id, '8')` is `person_id < '8'`), which the
-- check of a key against a value (both sides derive from a key) let through. The outer rows
-- of the one person aged 98 stay exactly when their key is below '8'. On main before the
-- fix it released `*` (below '8'), and 0 with '5'.
-- small: SELECT count(DISTINCT person_id) AS n FROM dpc_cases WHERE age = 98
SELECT count(*) FILTER (WHERE age = 98) AS n
FROM dpc_cases c
WHERE EXISTS (
  SELECT 1 FROM dpc_cases d
  WHERE d.person_id = c.person_id
    AND (d.age <> 98 OR d.person_id < greatest(d.person_id, '8')))

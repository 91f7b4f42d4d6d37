-- attack: the outer query's record key, read inside an EXISTS as an outer reference, was no
-- key to the check there: the outer rows of the one person aged 98 stay exactly when the
-- stay's case_id matches the pattern. On main before the fix it released 0 (the case_id
-- does not begin with D; with LIKE '%' the cell is `*`).
-- small: SELECT count(DISTINCT person_id) AS n FROM dpc_cases WHERE age = 98
SELECT count(*) FILTER (WHERE age = 98) AS n
FROM dpc_cases c
WHERE EXISTS (
  SELECT 1 FROM dpc_cases d
  WHERE d.person_id = c.person_id
    AND (d.age <> 98 OR c.case_id LIKE 'D%'))

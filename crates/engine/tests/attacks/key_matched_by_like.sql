-- attack: a record key matched against a pattern in a FILTER reads the case_id of the stay
-- of the one person aged 98, a character at a time. On main before the fix it released 0
-- here (the case_id does not begin with D; with LIKE '%' the cell is `*`).
-- small: SELECT count(DISTINCT person_id) AS n FROM dpc_cases WHERE age = 98
SELECT count(*) FILTER (WHERE age = 98 AND case_id LIKE 'D%') AS n
FROM dpc_cases

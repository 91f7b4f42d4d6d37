-- attack: a function of the person key compared with a literal in a FILTER reads the key of
-- the one person aged 98 a character at a time. On main before the fix it released `*`
-- here (the key begins with 5), and 0 for '6'.
-- small: SELECT count(DISTINCT person_id) AS n FROM dpc_cases WHERE age = 98
SELECT count(*) FILTER (WHERE age = 98 AND substr(person_id, 1, 1) = '5') AS n
FROM dpc_cases

-- attack: one step of reading a pseudonym back by bisection. A FILTER compares the person
-- key of the one person aged 98 with a literal; zeros are shown, so the cell is 0 or hidden
-- (1 to 9), one bit of the key, and ~128 such queries give it whole. On main before the fix
-- it released `*` here (the key is below '8') and 0 with '5' (it is not below '5').
-- small: SELECT count(DISTINCT person_id) AS n FROM dpc_cases WHERE age = 98
SELECT count(*) FILTER (WHERE age = 98 AND person_id < '8') AS n
FROM dpc_cases

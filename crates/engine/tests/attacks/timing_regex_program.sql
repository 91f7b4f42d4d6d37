-- attack: a pattern that compiles to megabytes matched a long text only on the row a CASE built
-- it for: ten patterns such as \b[^0-9]{5001}\d over 16 KB of text made for the one stay aged 98
-- when her outcome was X took 2.2 s against 0.46 s, the same `*` either way (red team N1).
-- Accepted and timed on main before patterns' compiled size was bounded.
-- small: SELECT count(*) AS n FROM dpc_cases WHERE age = 98
WITH t AS (
    SELECT person_id,
           CASE WHEN age = 98 AND discharge_outcome IN ('6', '7') THEN 'éééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééé' ELSE 'b' END AS s
    FROM dpc_cases
)
SELECT count(*) AS n FROM t WHERE regexp_like(s, '\b[^0-9]{5001}\d')

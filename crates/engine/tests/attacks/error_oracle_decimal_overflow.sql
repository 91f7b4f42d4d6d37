-- attack: decimal arithmetic fails past 38 digits: 98 times the literal does, 97 times not.
-- small: SELECT count(DISTINCT person_id) AS n FROM dpc_cases WHERE age >= 98 AND sex = 2
SELECT sex, count(*) AS n
FROM dpc_cases
WHERE CAST(CASE WHEN sex = 2 THEN age ELSE 0 END AS DECIMAL(38,0))
      * CAST('1745000000000000000000000000000000000' AS DECIMAL(38,0)) > 0
GROUP BY sex

-- attack: one bit of a hidden total per column: (sum / 2^k) % 2 is 0 or 1, and a 0 was
-- released where the 1 was hidden, so the columns spell the total in binary.
-- small: SELECT count(DISTINCT person_id) AS n FROM dpc_cases WHERE age >= 98 AND sex = 2
SELECT sex,
       (sum(age) / 1) % 2 AS bit0,
       (sum(age) / 2) % 2 AS bit1,
       (sum(age) / 4) % 2 AS bit2,
       (sum(age) / 8) % 2 AS bit3
FROM dpc_cases
WHERE age >= 98
GROUP BY sex

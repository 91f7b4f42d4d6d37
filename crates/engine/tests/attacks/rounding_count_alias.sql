-- attack: under a rounding policy, a count under an alias (`count(*) AS cases`) arrived as
-- an alias of an alias, was taken for arithmetic on a count, and left unrounded.
-- policy: rounding_base = 5
SELECT sex, count(*) AS cases
FROM dpc_cases
GROUP BY sex

-- Question: How many persons used long-term-care services (介護 claims), by care level and
--   sex, with subtotals per care level and a grand total?
--   Each person counts once, at the highest care level on any of their claims in the
--   extract, so the cells add up to the totals.
-- Databases: 介護DB kaigo_claims only (per person: highest care_level, sex).
-- Disclosure: min_persons (10 care recipients) on every cell. GROUP BY ROLLUP (care level,
--   sex) adds a subtotal per care level and a grand total (NULL = all), so secondary
--   suppression hides further cells wherever a hidden cell could be recomputed from a total
--   and its released neighbours. Care levels: 12-13 要支援1-2, 21-25 要介護1-5.
--   Sex: 1 male, 2 female.

WITH service_users AS (
    SELECT person_id,
           max(care_level) AS highest_care_level,
           max(sex)        AS sex
    FROM kaigo_claims
    GROUP BY person_id
)
SELECT
    highest_care_level AS care_level,
    sex,
    count(DISTINCT person_id) AS persons
FROM service_users
GROUP BY ROLLUP (highest_care_level, sex)
ORDER BY highest_care_level, sex

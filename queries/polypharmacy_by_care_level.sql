-- Question: Among persons certified for long-term care, how many receive drugs on NDB
--   medical claims, and how many show polypharmacy (6 or more distinct drug codes in one
--   month of care, in at least one month), by care level and age band?
--   Care level and age are those of each person's latest certification; drug months are all
--   months of the extract (not only months while certified). Distinct drug codes are counted
--   per person and claim_month across all of the person's claims (facilities) that month;
--   dispensing-pharmacy claims count only if they are in ndb_drugs.
-- Databases: 介護DB kaigo_certifications (one row per person: latest certification) linked
--   to NDB ndb_drugs (per person and month, then per person: the largest monthly number of
--   distinct drug codes) by person_id equality (LEFT JOIN: persons without drug claims stay
--   in the denominator).
-- Disclosure: min_persons (10) on every cell; zero cells are released. Care levels grouped
--   (要支援1-2 / 要介護1-2 / 要介護3-5), ages banded. ROLLUP adds subtotals by care level
--   group and a grand total (NULL = all), so secondary suppression applies.

WITH latest AS (
    SELECT person_id, max(certified_on) AS last_certified_on
    FROM kaigo_certifications
    GROUP BY person_id
),
current_certification AS (
    SELECT c.person_id,
           max(c.care_level) AS care_level,
           max(c.age)        AS age
    FROM kaigo_certifications c
    JOIN latest l
      ON c.person_id = l.person_id
     AND c.certified_on = l.last_certified_on
    GROUP BY c.person_id
),
drugs_per_month AS (
    SELECT person_id, claim_month, count(DISTINCT drug_code) AS distinct_drugs
    FROM ndb_drugs
    GROUP BY person_id, claim_month
),
drug_use AS (
    SELECT person_id, max(distinct_drugs) AS max_distinct_drugs_in_a_month
    FROM drugs_per_month
    GROUP BY person_id
)
SELECT
    CASE
        WHEN cc.care_level IN ('12', '13')       THEN 'support 1-2'
        WHEN cc.care_level IN ('21', '22')       THEN 'care 1-2'
        WHEN cc.care_level IN ('23', '24', '25') THEN 'care 3-5'
    END AS care_level_group,
    CASE
        WHEN cc.age < 65 THEN '<65'
        WHEN cc.age < 75 THEN '65-74'
        WHEN cc.age < 85 THEN '75-84'
        ELSE '85+'
    END AS age_band,
    count(DISTINCT cc.person_id) AS persons_certified,
    count(DISTINCT cc.person_id)
        FILTER (WHERE du.max_distinct_drugs_in_a_month IS NOT NULL) AS persons_with_drugs,
    count(DISTINCT cc.person_id)
        FILTER (WHERE du.max_distinct_drugs_in_a_month >= 6) AS persons_polypharmacy
FROM current_certification cc
LEFT JOIN drug_use du
  ON du.person_id = cc.person_id
GROUP BY ROLLUP (care_level_group, age_band)
ORDER BY care_level_group, age_band

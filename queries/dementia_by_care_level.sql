-- Question: Among persons certified for long-term care, how many have a dementia diagnosis
--   (ICD-10 F00-F03 or G30) on an NDB medical claim, by care level, age band and sex?
--   Care level, age and sex are those of each person's latest certification in the extract;
--   a person counts as having dementia when any NDB diagnosis row in the extract maps to
--   F00, F01, F02, F03 or G30 (suspected diagnoses are not distinguished).
-- Databases: 介護DB kaigo_certifications (one row per person: the latest certification,
--   ties on the same day resolved to the higher care level) linked to NDB ndb_diagnoses
--   (one row per person with a dementia diagnosis) by person_id equality (LEFT JOIN, so
--   certified persons without any NDB claim count as having no diagnosis).
-- Disclosure: min_persons (10) on every cell; zero cells are released (show_zero_cells).
--   Care levels are grouped (要支援1-2 / 要介護1-2 / 要介護3-5) and ages banded
--   (<65, 65-74, 75-84, 85+) so that cells are not needlessly small. ROLLUP adds
--   subtotals by care level group and by care level group x age band, and a grand total
--   (NULL in a key column = all), so secondary suppression applies. Sex is the source
--   code: 1 male, 2 female.

WITH latest AS (
    SELECT person_id, max(certified_on) AS last_certified_on
    FROM kaigo_certifications
    GROUP BY person_id
),
current_certification AS (
    SELECT c.person_id,
           max(c.care_level) AS care_level,
           max(c.age)        AS age,
           max(c.sex)        AS sex
    FROM kaigo_certifications c
    JOIN latest l
      ON c.person_id = l.person_id
     AND c.certified_on = l.last_certified_on
    GROUP BY c.person_id
),
dementia AS (
    SELECT person_id, count(*) AS dementia_rows
    FROM ndb_diagnoses
    WHERE substr(icd10, 1, 3) IN ('F00', 'F01', 'F02', 'F03', 'G30')
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
    cc.sex,
    count(DISTINCT cc.person_id) AS persons_certified,
    count(DISTINCT cc.person_id)
        FILTER (WHERE d.dementia_rows IS NOT NULL) AS persons_with_dementia
FROM current_certification cc
LEFT JOIN dementia d
  ON d.person_id = cc.person_id
GROUP BY ROLLUP (care_level_group, age_band, cc.sex)
ORDER BY care_level_group, age_band, cc.sex

-- Question: After an acute (DPC) stay for hip / femur fracture (main diagnosis ICD-10 S72),
--   how many index stays are followed by another DPC admission of the same person within
--   30 days of discharge, by prefecture of the treating hospital?
--   A readmission is any DPC stay (any cause, any DPC hospital) admitted 1 to 30 days after
--   the index stay's discharge date; same-day transfers are not counted. Every S72 stay is an
--   index stay, and stays discharged in the last 30 days of the extract are censored
--   (their readmissions may be missing). Admissions to non-DPC hospitals are not seen here
--   (they would need NDB inpatient claims).
-- Databases: DPC only: dpc_cases joined to itself by person_id equality (the linked
--   pseudonymous person, so a readmission to another hospital is found) and a date window.
-- Disclosure: min_persons (10) on every cell; min_entities (3 DPC facilities) because the
--   prefecture is derived from facility_id (a unit key) and few DPC hospitals may treat a
--   prefecture's cases; zero cells are released. ROLLUP adds a national total (NULL
--   prefecture), so secondary suppression applies.

SELECT
    substr(i.facility_id, 1, 2) AS prefecture,
    count(DISTINCT i.case_id) AS index_stays,
    count(DISTINCT i.case_id)
        FILTER (WHERE r.admission_date IS NOT NULL) AS stays_readmitted_30d
FROM dpc_cases i
LEFT JOIN dpc_cases r
  ON r.person_id = i.person_id
 AND r.admission_date >  i.discharge_date
 AND r.admission_date <= i.discharge_date + INTERVAL '30' DAY
WHERE i.main_icd10 LIKE 'S72%'
GROUP BY ROLLUP (prefecture)
ORDER BY prefecture

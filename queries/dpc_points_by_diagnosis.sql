-- Question: How many points does an acute (DPC) stay cost, by main diagnosis (ICD-10
--   chapter letter of dpc_cases.main_icd10)? Cases, persons, total points and mean points
--   per case, where a case's points are the sum of its itemised EF points (出来高実績点数,
--   dpc_items.points; 1 point = 10 yen). Cases without EF items are left out.
-- Databases: DPC only: dpc_items summed per person and case, joined to dpc_cases on
--   case_id and person_id.
-- Disclosure: min_persons (10) on every cell; dominance (n = 2, k = 90 %) and the p % rule
--   (p = 10) on total_points and mean_points_per_case, whose contributors are persons (a
--   person with several stays in one chapter contributes their total). The engine refuses
--   SUM / AVG of a sensitive measure until the dominance check is built.

WITH case_points AS (
    SELECT person_id, case_id, sum(points) AS points
    FROM dpc_items
    GROUP BY person_id, case_id
)
SELECT
    substr(c.main_icd10, 1, 1) AS icd10_chapter,
    count(DISTINCT c.case_id)   AS cases,
    count(DISTINCT c.person_id) AS persons,
    sum(cp.points)              AS total_points,
    avg(cp.points)              AS mean_points_per_case
FROM dpc_cases c
JOIN case_points cp
  ON cp.case_id = c.case_id
 AND cp.person_id = c.person_id
GROUP BY icd10_chapter
ORDER BY icd10_chapter

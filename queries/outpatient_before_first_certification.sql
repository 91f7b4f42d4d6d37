-- Question: How much outpatient care do persons use in the 12 months before their first
--   long-term-care certification, by age band and sex at that certification?
--   First certification = each person's earliest certified_on in the extract (with real
--   data, restrict to application_kind = '1' for new applications); the look-back is the
--   12 calendar months before the certification month (claim months m-12 .. m-1).
--   Look-backs reaching before the first NDB month of the extract are truncated, so
--   persons certified early in the extract show too little use.
--   Output: persons certified, persons with at least one outpatient claim in the look-back,
--   their outpatient claims in total, and the mean number of outpatient claims per person
--   among those users (the mean over all certified persons is total / persons_certified).
-- Databases: 介護DB kaigo_certifications (per person: first certification date, age at it,
--   sex) linked to NDB ndb_claims (setting = 'outpatient'; per person: claims in the
--   look-back) by person_id equality (LEFT JOIN: persons without claims stay in the
--   denominator).
-- Disclosure: min_persons (10) on every cell; for the total and the mean the persons are
--   those with a non-zero / non-NULL value (the claim users), so they are hidden with
--   persons_with_outpatient_claims. Claim counts are counts, not sensitive measures, so no
--   dominance check applies. ROLLUP adds subtotals by age band and a grand total
--   (NULL = all): secondary suppression applies. Sex: 1 male, 2 female.

WITH first_certification AS (
    SELECT person_id,
           min(certified_on) AS first_certified_on,
           min(age)          AS age,
           max(sex)          AS sex
    FROM kaigo_certifications
    GROUP BY person_id
),
outpatient_before AS (
    SELECT f.person_id, count(*) AS outpatient_claims
    FROM first_certification f
    JOIN ndb_claims n
      ON n.person_id = f.person_id
    WHERE n.setting = 'outpatient'
      AND n.claim_month >= to_char(f.first_certified_on - INTERVAL '12' MONTH, '%Y-%m')
      AND n.claim_month <  to_char(f.first_certified_on, '%Y-%m')
    GROUP BY f.person_id
)
SELECT
    CASE
        WHEN f.age < 65 THEN '<65'
        WHEN f.age < 75 THEN '65-74'
        WHEN f.age < 85 THEN '75-84'
        ELSE '85+'
    END AS age_band,
    f.sex,
    count(DISTINCT f.person_id) AS persons_certified,
    count(DISTINCT f.person_id)
        FILTER (WHERE o.outpatient_claims > 0) AS persons_with_outpatient_claims,
    sum(o.outpatient_claims) AS outpatient_claims,
    avg(o.outpatient_claims) AS mean_claims_per_user
FROM first_certification f
LEFT JOIN outpatient_before o
  ON o.person_id = f.person_id
GROUP BY ROLLUP (age_band, f.sex)
ORDER BY age_band, f.sex

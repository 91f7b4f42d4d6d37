-- attack: sum(sex) is a cell's rows plus its women's: beside count(*) by care level, 30 − 19
-- gave care level 12's 11 women, so its 8 certifications of 7 men (red team on main, M1).
-- Released whole on main: SUM of an attribute was a total, checked against nothing.
-- small: SELECT count(DISTINCT person_id) AS n FROM kaigo_certifications WHERE care_level = '12' AND sex = 1
SELECT care_level, count(*) AS n, sum(sex) AS s
FROM kaigo_certifications
GROUP BY care_level

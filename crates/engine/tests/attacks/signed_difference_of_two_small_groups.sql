-- attack: (B1 ∪ B2 ∪ A) − (B1 ∪ C) − B2 = |A| − |C|: each pair of the three counts is far
-- apart and no small group alone is in their span, but the combination is about the 5 men
-- born 1930 or before and the one woman born 1923 (111, 51, 59 on main: 114 − 51 − 59 = 4
-- with the men of any setting; red team R15-1). Knowing the one woman gives the men's count.
-- small: SELECT count(DISTINCT person_id) AS n FROM ndb_claims WHERE sex = 1 AND substr(birth_ym, 1, 4) <= '1930'
-- small: SELECT count(DISTINCT person_id) AS n FROM ndb_claims WHERE sex = 2 AND substr(birth_ym, 1, 4) = '1923'
SELECT count(DISTINCT person_id) FILTER (WHERE (substr(birth_ym, 1, 4) BETWEEN '1940' AND '1944' AND sex = 2)
                                            OR (substr(birth_ym, 1, 4) BETWEEN '1945' AND '1949' AND sex = 2)
                                            OR (sex = 1 AND substr(birth_ym, 1, 4) <= '1930')) AS x1,
       count(DISTINCT person_id) FILTER (WHERE (substr(birth_ym, 1, 4) BETWEEN '1940' AND '1944' AND sex = 2)
                                            OR (sex = 2 AND substr(birth_ym, 1, 4) = '1923')) AS x2,
       count(DISTINCT person_id) FILTER (WHERE substr(birth_ym, 1, 4) BETWEEN '1945' AND '1949' AND sex = 2) AS x3
FROM ndb_claims

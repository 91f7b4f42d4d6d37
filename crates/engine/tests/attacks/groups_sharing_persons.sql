-- attack: a plain GROUP BY whose groups share persons (a person has items of several
-- categories): everyone with a category 33 item also has one of 60, so the two rows' persons
-- differ by those with 60 and not 33 (94 − 92 on main, where the rows of a plain GROUP BY
-- were taken to be apart). Found by the property test over the grammar.
-- small: SELECT count(DISTINCT person_id) AS n FROM dpc_items WHERE data_category = '60' AND person_id NOT IN (SELECT person_id FROM dpc_items WHERE data_category = '33')
SELECT i.data_category, count(DISTINCT i.person_id) AS persons
FROM dpc_items i
GROUP BY i.data_category
ORDER BY i.data_category

-- sqlite.sql — the session behind sqlite.trace.gz: build an indexed table
-- of 20000 rows in memory, then join, group and sort it.
CREATE TABLE item(id INTEGER PRIMARY KEY, name TEXT, category INTEGER, price REAL);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)
INSERT INTO item SELECT i, printf('item-%06d-%s', i, hex(randomblob(8))), i % 97, (i * 37 % 1000) / 10.0 FROM n;
CREATE INDEX item_category ON item(category);
CREATE TABLE category(id INTEGER PRIMARY KEY, label TEXT);
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 96)
INSERT INTO category SELECT i, 'category ' || i FROM n;
SELECT c.label, count(*), round(avg(i.price), 2) FROM item i JOIN category c ON c.id = i.category
  GROUP BY c.label ORDER BY 3 DESC LIMIT 5;
SELECT name FROM item WHERE price > 90 ORDER BY name DESC LIMIT 3;
UPDATE item SET name = upper(name) WHERE category < 10;
DELETE FROM item WHERE id % 3 = 0;
SELECT count(*), sum(length(name)) FROM item;

--
-- What MySQL means by the same syntax, where it would change an answer:
-- x op ANY/ALL (array), subqueries MariaDB answers from its subquery
-- cache, text comparisons between columns of different collations, and
-- FLOAT values.  Every query is compared with the same query on local
-- tables holding the same rows.
--

-- every comparison operator with ANY and ALL, over arrays with and
-- without NULLs, on a table with PostgreSQL and MariaDB partitions
-- (loc.sales and sales of sql/shard.sql)
CREATE TABLE array_preds (n serial, p text);
INSERT INTO array_preds (p)
SELECT format('%s %s %s (%s)', c, op, q, a)
FROM (VALUES ('qty', 'ARRAY[3, 7]'), ('qty', 'ARRAY[-5, NULL, 20]'),
             ('amount', 'ARRAY[0, 10.50]'), ('d', 'ARRAY[date ''2024-03-01'', ''2024-06-30'']'),
             ('region', 'ARRAY[''east'', ''Wést'']'), ('region', 'ARRAY[''east '', NULL]'),
             ('region COLLATE "C"', 'ARRAY[''east'', ''north'']'),
             ('ratio', 'ARRAY[0.5, 100]')) AS v(c, a),
     unnest(ARRAY['=', '<>', '<', '<=', '>', '>=']) AS op,
     unnest(ARRAY['ANY', 'ALL']) AS q
WHERE c NOT LIKE 'region%' OR op IN ('=', '<>') OR c LIKE '%"C"';
SELECT count(*) AS predicates FROM array_preds;
SELECT n, p FROM array_preds
WHERE NOT same_rows(format('SELECT id FROM sales WHERE %s', p),
                    format('SELECT id FROM loc.sales WHERE %s', p))
   OR NOT same_rows(format('SELECT count(*), sum(qty) FROM sales WHERE %s', p),
                    format('SELECT count(*), sum(qty) FROM loc.sales WHERE %s', p));
-- the MariaDB partition gets one comparison per element (an IN list only
-- for "= ANY"), the PostgreSQL ones the array
EXPLAIN (VERBOSE, COSTS OFF)
SELECT count(*) FROM sales WHERE qty < ANY (ARRAY[3, 7]) AND region <> ALL (ARRAY['east', 'Wést']);
EXPLAIN (VERBOSE, COSTS OFF)
SELECT count(*) FROM sales WHERE qty = ANY (ARRAY[3, 7]);

-- joins on text on the server, between MariaDB tables of one collation
-- (sem_a, sem_b) and of two (sem_a, sem_c): bytes decide, and MariaDB's
-- subquery cache never answers 'us ' or 'US' with what it found for 'us'
CREATE TABLE sem_a (id int, k int, region text) PARTITION BY HASH (k);
CREATE FOREIGN TABLE sem_a_p PARTITION OF sem_a FOR VALUES WITH (MODULUS 1, REMAINDER 0)
  SERVER my1 OPTIONS (table_name 'sem_a');
CREATE TABLE sem_b (id int, k int, region text) PARTITION BY HASH (k);
CREATE FOREIGN TABLE sem_b_p PARTITION OF sem_b FOR VALUES WITH (MODULUS 1, REMAINDER 0)
  SERVER my1 OPTIONS (table_name 'sem_b');
CREATE TABLE sem_c (id int, k int, region text) PARTITION BY HASH (k);
CREATE FOREIGN TABLE sem_c_p PARTITION OF sem_c FOR VALUES WITH (MODULUS 1, REMAINDER 0)
  SERVER my1 OPTIONS (table_name 'sem_c');
CREATE TABLE loc.sem_a (id int, k int, region text);
INSERT INTO loc.sem_a VALUES (1, 1, 'us'), (2, 1, 'us '), (3, 1, 'US'), (4, 2, 'eu'), (5, 2, 'EU '), (6, 3, NULL);
CREATE TABLE loc.sem_b (id int, k int, region text);
INSERT INTO loc.sem_b VALUES (1, 1, 'us'), (2, 2, 'EU '), (3, 3, 'x');
CREATE TABLE loc.sem_c (id int, k int, region text);
INSERT INTO loc.sem_c VALUES (1, 1, 'us'), (2, 1, 'US'), (3, 2, 'eu'), (4, 3, NULL);
SELECT t, same_rows(format('SELECT * FROM %s', t), format('SELECT * FROM loc.%s', t))
FROM unnest(ARRAY['sem_a', 'sem_b', 'sem_c']) AS t;
CREATE TABLE sem_shapes (n int, q text);
INSERT INTO sem_shapes VALUES
 (1, 'SELECT a.id FROM %1$s a WHERE EXISTS (SELECT 1 FROM %2$s b WHERE b.k = a.k AND b.region = a.region)'),
 (2, 'SELECT a.id FROM %1$s a WHERE NOT EXISTS (SELECT 1 FROM %2$s b WHERE b.k = a.k AND b.region = a.region)'),
 (3, 'SELECT a.id, b.id FROM %1$s a JOIN %2$s b ON b.k = a.k AND b.region = a.region'),
 (4, 'SELECT a.id, b.id FROM %1$s a LEFT JOIN %2$s b ON b.k = a.k AND b.region = a.region'),
 (5, 'SELECT a.id FROM %1$s a WHERE EXISTS (SELECT 1 FROM %2$s b WHERE b.k = a.k AND (b.region = a.region OR b.region = ''x''))'),
 (6, 'SELECT a.region, count(*) FROM %1$s a JOIN %2$s b ON b.k = a.k AND b.region <> a.region GROUP BY 1');
SELECT n, same_rows(format(q, 'sem_a', 'sem_b'), format(q, 'loc.sem_a', 'loc.sem_b'))
FROM sem_shapes ORDER BY n;
SELECT n, same_rows(format(q, 'sem_a', 'sem_c'), format(q, 'loc.sem_a', 'loc.sem_c'))
FROM sem_shapes ORDER BY n;
-- joined on the server, the text compared as bytes only
EXPLAIN (VERBOSE, COSTS OFF)
SELECT a.id FROM sem_a a WHERE NOT EXISTS (SELECT 1 FROM sem_c b WHERE b.k = a.k AND b.region = a.region);

-- FLOAT read to the last bit (MySQL prints 6 digits), real constants
-- compared as the same value
CREATE FOREIGN TABLE sem_f (id int, f real, d float8) SERVER my1 OPTIONS (table_name 'sem_f');
CREATE TABLE loc.sem_f (id int, f real, d float8);
INSERT INTO loc.sem_f VALUES (1, 1.2345678, 1.2345678), (2, 100000.7, 100000.7), (3, 0.1, 0.1),
  (4, -3.4028234e38, -1e-300), (5, 1e-7, 1e-7), (6, NULL, NULL), (7, 16777217, 16777217);
SELECT * FROM sem_f ORDER BY id;
SELECT same_rows('SELECT * FROM sem_f', 'SELECT * FROM loc.sem_f');
SELECT v, same_rows(format('SELECT id FROM sem_f WHERE %s', v), format('SELECT id FROM loc.sem_f WHERE %s', v))
FROM unnest(ARRAY['f = 0.1::real', 'f = 1.2345678::real', 'f > 100000.7::real',
                  'f < -1e38::real', 'f = 1e-7::real', 'f = ANY (ARRAY[0.1::real, 100000.7])',
                  'f = 16777216::real', 'd = 0.1', 'f = 0.1']) AS v;
SELECT same_rows('SELECT min(f), max(f), count(f) FROM sem_f', 'SELECT min(f), max(f), count(f) FROM loc.sem_f');
EXPLAIN (VERBOSE, COSTS OFF) SELECT min(f), max(f) FROM sem_f WHERE f >= 0.1::real;

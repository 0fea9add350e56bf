--
-- Joins with key shipping: a hash join between a federated table and a
-- small input sends the input's distinct join keys to the shards
-- ("column = ANY ($n)" on PostgreSQL, an IN list on MySQL, text compared
-- as bytes there), and aggregates over such a join are computed by the
-- shards grouped by the join key.  Every query is compared with the same
-- query on loc.sales; the keys only pre-filter, so answers must be equal
-- with any number of keys, none, or too many.
--

-- small inputs on the coordinator: NULL and duplicate keys, keys no shard
-- holds, case and trailing-space variants (MariaDB's collation would
-- match 'east' with 'East' and 'east '), a bigint key for an int column,
-- numeric keys of another scale (1.5 = 1.50)
CREATE TABLE jt (tenant int, label text, w numeric(6,2));
INSERT INTO jt VALUES (3, 'three', 1.5), (3, 'three again', 2), (5, 'five', NULL),
  (NULL, 'none', 1), (8, 'eight', 0.25), (99, 'absent', 1);
CREATE TABLE jr (region varchar(20), tag text);
INSERT INTO jr VALUES ('east', 'e'), ('east ', 'e-space'), ('EAST', 'E'), ('Wést', 'w'),
  (NULL, 'n'), ('nowhere', 'x'), ('it''s', 'q');
CREATE TABLE jbig (tenant bigint, k text);
INSERT INTO jbig VALUES (3, 'a'), (4, 'b'), (4, 'c'), (NULL, 'd');
CREATE TABLE jempty (tenant int);
CREATE TABLE jn (a numeric(10,4));
INSERT INTO jn SELECT DISTINCT amount FROM loc.sales WHERE id % 40 = 0 AND amount IS NOT NULL;
INSERT INTO jn VALUES (NULL), (0.0001);
ANALYZE jt, jr, jbig, jempty, jn;
SELECT count(*) > 10 AS numeric_keys, min(scale(a)) AS scale FROM jn;

CREATE TABLE join_shapes (n int, q text);
INSERT INTO join_shapes VALUES
 (1, 'SELECT s.id, s.amount, j.label FROM %1$s s JOIN jt j ON s.tenant = j.tenant'),
 (2, 'SELECT s.id, j.tag FROM %1$s s JOIN jr j ON s.region = j.region'),
 (3, 'SELECT s.id FROM %1$s s WHERE s.tenant IN (SELECT tenant FROM jt)'),
 (4, 'SELECT s.id FROM %1$s s WHERE EXISTS (SELECT 1 FROM jr WHERE jr.region = s.region)'),
 (5, 'SELECT j.label, s.id FROM jt j LEFT JOIN %1$s s ON s.tenant = j.tenant'),
 (6, 'SELECT s.id, b.k FROM %1$s s JOIN jbig b ON s.tenant = b.tenant'),
 (7, 'SELECT s.id FROM %1$s s JOIN jempty e ON s.tenant = e.tenant'),
 (8, 'SELECT j.label, count(*), sum(s.amount), avg(s.qty), min(s.d), max(s.ts) FROM %1$s s JOIN jt j ON s.tenant = j.tenant GROUP BY j.label'),
 (9, 'SELECT count(*), count(s.qty), sum(s.amount), stddev(s.qty) FROM %1$s s JOIN jt j ON s.tenant = j.tenant'),
 (10, 'SELECT j.tag, s.flag, count(*), sum(s.ratio) FROM %1$s s JOIN jr j ON s.region = j.region GROUP BY 1, 2'),
 (11, 'SELECT j.label, count(*) FROM %1$s s JOIN jt j ON s.tenant = j.tenant AND s.qty > j.w WHERE s.amount > 0 GROUP BY 1 HAVING count(*) > 1'),
 (12, 'SELECT count(*), sum(s.qty) FROM %1$s s JOIN jempty e ON s.tenant = e.tenant'),
 (13, 'SELECT s.id, j.label FROM %1$s s JOIN jt j ON s.tenant = j.tenant WHERE j.w > 1'),
 (14, 'SELECT s.id FROM %1$s s LEFT JOIN jt j ON s.tenant = j.tenant WHERE j.tenant IS NULL'),
 (15, 'SELECT b.k, sum(s.qty), count(*) FROM %1$s s JOIN jbig b ON s.tenant = b.tenant GROUP BY b.k'),
 (16, 'SELECT j.tag, count(*) FROM %1$s s JOIN jr j ON s.region = j.region GROUP BY 1'),
 (17, 'SELECT s.id, n.a FROM %1$s s JOIN jn n ON s.amount = n.a'),
 (18, 'SELECT n.a, count(*), sum(s.qty) FROM %1$s s JOIN jn n ON s.amount = n.a GROUP BY n.a');
SELECT n, same_rows(format(q, 'sales'), format(q, 'loc.sales')) FROM join_shapes ORDER BY n;
-- more keys than federate.key_shipping_max_keys: the shards are read
-- without them
SET federate.key_shipping_max_keys = 1;
SELECT n, same_rows(format(q, 'sales'), format(q, 'loc.sales')) FROM join_shapes ORDER BY n;
RESET federate.key_shipping_max_keys;
-- IN lists of at most federate.key_shipping_batch_size keys to MySQL:
-- rows and partial aggregates in several statements, one after another;
-- ordered reads and whole groups in one list
SET federate.key_shipping_batch_size = 2;
SELECT n, same_rows(format(q, 'sales'), format(q, 'loc.sales')) FROM join_shapes ORDER BY n;
-- (with two-phase commit on, a MySQL transaction starts as XA, named by a
-- random id the remote SQL logged here would show: test/t/100 tests it)
SET federate.two_phase_commit = off;
SET federate.log_remote_sql = on;
SELECT count(*) FROM sales s JOIN jr j ON s.region = j.region WHERE s.tenant = 2;
RESET federate.log_remote_sql;
RESET federate.two_phase_commit;
SELECT count(*) FROM loc.sales s JOIN jr j ON s.region = j.region WHERE s.tenant = 2;
RESET federate.key_shipping_batch_size;

-- the plans: the Federate Keys node under the hash join's Hash, the keys
-- in each shard's statement
EXPLAIN (VERBOSE, COSTS OFF)
SELECT s.id, j.label FROM sales s JOIN jt j ON s.tenant = j.tenant;
EXPLAIN (VERBOSE, COSTS OFF)
SELECT j.tag, count(*), sum(s.amount) FROM sales s JOIN jr j ON s.region = j.region GROUP BY 1;
-- an outer join that keeps the federated table's rows ships no keys
EXPLAIN (COSTS OFF)
SELECT s.id FROM sales s LEFT JOIN jt j ON s.tenant = j.tenant WHERE j.tenant IS NULL;

-- EXPLAIN ANALYZE counts the keys; the join key is the partition key, so
-- only the shards of the keys' partitions are contacted; an empty small
-- input contacts no shard
CREATE FUNCTION explain_lines(q text, pat text) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
  l text;
BEGIN
  FOR l IN EXECUTE 'EXPLAIN (ANALYZE, VERBOSE, COSTS OFF, TIMING OFF, SUMMARY OFF) ' || q LOOP
    IF l ~ pat THEN
      RETURN NEXT trim(l);
    END IF;
  END LOOP;
END $$;
SELECT explain_lines('SELECT s.id, j.label FROM sales s JOIN jt j ON s.tenant = j.tenant',
                     'Keys|Received|Strategy');
SELECT explain_lines('SELECT s.id FROM sales s JOIN jempty e ON s.tenant = e.tenant',
                     'Keys|Received|Strategy|Hash Join');
SET federate.key_shipping_max_keys = 1;
SELECT explain_lines('SELECT s.id, j.label FROM sales s JOIN jt j ON s.tenant = j.tenant',
                     'Keys');
RESET federate.key_shipping_max_keys;
SET federate.key_shipping_batch_size = 2;
SELECT explain_lines('SELECT s.id, j.tag FROM sales s JOIN jr j ON s.region = j.region',
                     'Keys|Received|Shard:|Key Batches');
RESET federate.key_shipping_batch_size;

-- Co-located joins: "returns" is partitioned like "sales" (hash on
-- tenant, modulus 4), each partition on the server of the same sales
-- partition, so a join on tenant runs on the shards, one statement per
-- pair of partitions
\c fed_pg1
CREATE TABLE returns_0 (id int PRIMARY KEY, tenant int NOT NULL, qty int,
  reason varchar(20), amount numeric(12,2));
CREATE TABLE returns_3 (LIKE returns_0 INCLUDING ALL);
\c fed_pg2
CREATE TABLE returns_1 (id int PRIMARY KEY, tenant int NOT NULL, qty int,
  reason varchar(20), amount numeric(12,2));
\c contrib_regression
CREATE TABLE returns (id int, tenant int NOT NULL, qty int, reason varchar(20),
  amount numeric(12,2)) PARTITION BY HASH (tenant);
CREATE FOREIGN TABLE returns_p0 PARTITION OF returns FOR VALUES WITH (MODULUS 4, REMAINDER 0)
  SERVER pg1 OPTIONS (schema_name 'public', table_name 'returns_0');
CREATE FOREIGN TABLE returns_p1 PARTITION OF returns FOR VALUES WITH (MODULUS 4, REMAINDER 1)
  SERVER pg2 OPTIONS (schema_name 'public', table_name 'returns_1');
CREATE FOREIGN TABLE returns_p2 PARTITION OF returns FOR VALUES WITH (MODULUS 4, REMAINDER 2)
  SERVER my1 OPTIONS (table_name 'returns_2');
CREATE FOREIGN TABLE returns_p3 PARTITION OF returns FOR VALUES WITH (MODULUS 4, REMAINDER 3)
  SERVER pg1 OPTIONS (schema_name 'public', table_name 'returns_3');
CREATE TABLE loc.returns (LIKE returns);
-- returns of some sales (duplicates, NULLs, tenants without sales rows),
-- reasons with the case and trailing-space variants MariaDB would merge
INSERT INTO loc.returns
SELECT g, CASE WHEN g % 9 = 0 THEN 24 + g % 3 ELSE (g * 7) % 23 + 1 END,
  CASE WHEN g % 5 = 0 THEN NULL ELSE g % 4 END,
  (ARRAY['late', 'Late', 'late ', 'broken', NULL])[g % 5 + 1],
  CASE WHEN g % 7 = 0 THEN NULL ELSE (g % 300) / 4.0 END
FROM generate_series(1, 600) g;
INSERT INTO returns SELECT * FROM loc.returns;

CREATE TABLE coloc_shapes (n int, q text);
INSERT INTO coloc_shapes VALUES
 (1, 'SELECT s.id, s.amount, r.id, r.reason FROM %1$s s JOIN %2$s r ON s.tenant = r.tenant AND s.id = r.id'),
 (2, 'SELECT s.id, r.reason FROM %1$s s JOIN %2$s r ON s.tenant = r.tenant WHERE s.region = r.reason OR r.qty > 2'),
 (3, 'SELECT s.id, r.id FROM %1$s s LEFT JOIN %2$s r ON s.tenant = r.tenant AND s.id = r.id AND r.qty > 0'),
 (4, 'SELECT s.id, r.id FROM %1$s s LEFT JOIN %2$s r ON s.tenant = r.tenant AND s.id = r.id WHERE r.id IS NULL OR r.reason = ''late'''),
 (5, 'SELECT s.id FROM %1$s s WHERE EXISTS (SELECT 1 FROM %2$s r WHERE r.tenant = s.tenant AND r.id = s.id AND r.reason = ''late'')'),
 (6, 'SELECT s.id FROM %1$s s WHERE NOT EXISTS (SELECT 1 FROM %2$s r WHERE r.tenant = s.tenant AND r.id = s.id)'),
 (7, 'SELECT r.id, s.id FROM %2$s r LEFT JOIN %1$s s ON s.tenant = r.tenant AND s.id = r.id'),
 (8, 'SELECT s.tenant, count(*), sum(r.amount), avg(s.qty), max(r.reason) FROM %1$s s JOIN %2$s r ON s.tenant = r.tenant AND s.id = r.id GROUP BY s.tenant'),
 (9, 'SELECT count(*), sum(s.amount - r.amount) FROM %1$s s JOIN %2$s r ON s.tenant = r.tenant WHERE s.tenant IN (3, 5, 8)'),
 (10, 'SELECT r.reason, count(*) FROM %1$s s JOIN %2$s r USING (tenant) GROUP BY r.reason'),
 (11, 'SELECT s.id, r.id FROM %1$s s JOIN %2$s r ON s.tenant = r.tenant AND s.id = r.id WHERE now() < ''2000-01-01''');
SELECT n, same_rows(format(q, 'sales', 'returns'), format(q, 'loc.sales', 'loc.returns'))
FROM coloc_shapes ORDER BY n;
EXPLAIN (VERBOSE, COSTS OFF)
SELECT s.id, r.reason FROM sales s JOIN returns r ON s.tenant = r.tenant AND s.id = r.id WHERE s.qty > 0;
EXPLAIN (VERBOSE, COSTS OFF)
SELECT s.tenant, count(*), sum(r.amount) FROM sales s JOIN returns r ON s.tenant = r.tenant GROUP BY s.tenant;
EXPLAIN (COSTS OFF)
SELECT s.id FROM sales s WHERE NOT EXISTS (SELECT 1 FROM returns r WHERE r.tenant = s.tenant AND r.id = s.id);
-- not on the partition key: the rows are joined on the coordinator
EXPLAIN (COSTS OFF)
SELECT s.id, r.id FROM sales s JOIN returns r ON s.id = r.id;

-- A reference table: "tiers" has the same rows on pg1 (its server), pg2
-- and my1 (option "copies"), so a join with "sales" on any condition
-- runs on the shards, each partition joined with the copy on its server
\c fed_pg1
CREATE TABLE tiers (tenant int PRIMARY KEY, tier varchar(10), weight numeric(6,2));
INSERT INTO tiers VALUES (1, 'gold', 1.50), (2, 'Gold', 2.00), (3, 'gold ', NULL),
  (4, NULL, 0.25), (5, 'silver', 1.00), (7, 'bronze', 3.00), (30, 'none', 1.00);
\c fed_pg2
CREATE TABLE tiers (tenant int PRIMARY KEY, tier varchar(10), weight numeric(6,2));
INSERT INTO tiers VALUES (1, 'gold', 1.50), (2, 'Gold', 2.00), (3, 'gold ', NULL),
  (4, NULL, 0.25), (5, 'silver', 1.00), (7, 'bronze', 3.00), (30, 'none', 1.00);
\c contrib_regression
CREATE FOREIGN TABLE tiers (tenant int, tier varchar(10), weight numeric(6,2))
  SERVER pg1 OPTIONS (schema_name 'public', table_name 'tiers', copies 'pg2, my1');
CREATE TABLE loc.tiers AS SELECT * FROM tiers;
CREATE TABLE ref_shapes (n int, q text);
INSERT INTO ref_shapes VALUES
 (1, 'SELECT s.id, t.tier FROM %1$s s JOIN %2$s t ON s.tenant = t.tenant'),
 (2, 'SELECT s.id, t.tenant FROM %1$s s JOIN %2$s t ON s.region = t.tier OR s.qty = t.tenant'),
 (3, 'SELECT s.id, t.weight FROM %1$s s LEFT JOIN %2$s t ON s.tenant = t.tenant AND t.weight > 1'),
 (4, 'SELECT s.id FROM %1$s s WHERE s.tenant IN (SELECT tenant FROM %2$s WHERE tier IS NOT NULL)'),
 (5, 'SELECT s.id FROM %1$s s WHERE NOT EXISTS (SELECT 1 FROM %2$s t WHERE t.tenant = s.tenant)'),
 (6, 'SELECT t.tier, count(*), sum(s.amount), avg(t.weight) FROM %2$s t JOIN %1$s s ON s.tenant = t.tenant GROUP BY t.tier'),
 (7, 'SELECT s.tenant, max(t.tier), sum(s.qty * t.weight) FROM %1$s s JOIN %2$s t ON s.tenant = t.tenant GROUP BY s.tenant');
SELECT n, same_rows(format(q, 'sales', 'tiers'), format(q, 'loc.sales', 'loc.tiers'))
FROM ref_shapes ORDER BY n;
EXPLAIN (VERBOSE, COSTS OFF)
SELECT s.id, t.tier FROM sales s JOIN tiers t ON s.tenant = t.tenant WHERE t.weight > 1;
-- read alone, from its own server; when that one fails, from a copy
SELECT count(*), sum(weight) FROM tiers;
CREATE SERVER deadref FOREIGN DATA WRAPPER federate
  OPTIONS (host '127.0.0.1', port '1', dbname 'fed_pg1');
CREATE USER MAPPING FOR CURRENT_USER SERVER deadref;
CREATE FOREIGN TABLE tiers_moved (tenant int, tier varchar(10), weight numeric(6,2))
  SERVER deadref OPTIONS (schema_name 'public', table_name 'tiers', copies 'pg2');
SET federate.circuit_failure_threshold = 0;
SET client_min_messages = warning;
SELECT count(*), sum(weight) FROM tiers_moved;
RESET client_min_messages;
SELECT shards_total, shards_answered, replica_servers, exact FROM federate.last_coverage();
RESET federate.circuit_failure_threshold;
-- ORDER BY ... LIMIT over a co-located join: each pair returns its first
-- rows in order, the coordinator merges the streams
SELECT same_order('SELECT s.id, r.id, r.reason FROM sales s JOIN returns r ON s.tenant = r.tenant ORDER BY r.id DESC, s.id LIMIT 15',
                  'SELECT s.id, r.id, r.reason FROM loc.sales s JOIN loc.returns r ON s.tenant = r.tenant ORDER BY r.id DESC, s.id LIMIT 15');
EXPLAIN (VERBOSE, COSTS OFF)
SELECT s.id, r.id FROM sales s JOIN returns r ON s.tenant = r.tenant ORDER BY r.id DESC, s.id LIMIT 15;
-- a semi join's equivalence classes name the other table's column, which
-- its rows do not have: the shards sort by the first table's
SELECT same_order('SELECT s.id FROM sales s WHERE EXISTS (SELECT 1 FROM returns r WHERE r.id = s.id AND r.tenant = s.tenant) ORDER BY s.id DESC LIMIT 5',
                  'SELECT s.id FROM loc.sales s WHERE EXISTS (SELECT 1 FROM loc.returns r WHERE r.id = s.id AND r.tenant = s.tenant) ORDER BY s.id DESC LIMIT 5');
-- a generic plan of a co-located join is pruned at run time like the
-- first table's scan
SET plan_cache_mode = force_generic_plan;
PREPARE cj(int) AS SELECT s.id, r.reason FROM sales s JOIN returns r
  ON s.tenant = r.tenant AND s.id = r.id WHERE s.tenant = $1 ORDER BY s.id;
EXPLAIN (COSTS OFF) EXECUTE cj(5);
EXECUTE cj(5);
SELECT s.id, r.reason FROM loc.sales s JOIN loc.returns r
  ON s.tenant = r.tenant AND s.id = r.id WHERE s.tenant = 5 ORDER BY s.id;
DEALLOCATE cj;
-- ... and so is an aggregate over it, on either engine, also in a
-- subquery (whose tables come later in the executed range table)
PREPARE ca(int) AS SELECT r.reason, count(*) AS n, sum(s.amount) AS a, sum(r.qty) AS q FROM sales s
  JOIN returns r ON s.tenant = r.tenant AND s.id = r.id WHERE s.tenant = $1 GROUP BY 1;
PREPARE la(int) AS SELECT r.reason, count(*) AS n, sum(s.amount) AS a, sum(r.qty) AS q FROM loc.sales s
  JOIN loc.returns r ON s.tenant = r.tenant AND s.id = r.id WHERE s.tenant = $1 GROUP BY 1;
SELECT explain_lines('EXECUTE ca(5)', 'Strategy|Shard:');
SELECT explain_lines('EXECUTE ca(2)', 'Strategy|Shard:');
SELECT same_exec('ca(5)', 'la(5)') AS pg, same_exec('ca(2)', 'la(2)') AS mysql,
       same_exec('ca(1000)', 'la(1000)') AS none;
PREPARE cs(int) AS SELECT t.label, x.* FROM jt t, LATERAL (SELECT count(*) AS n, sum(r.qty) AS q
  FROM sales s JOIN returns r ON s.tenant = r.tenant AND s.id = r.id WHERE s.tenant = $1) x
  WHERE t.tenant = 3;
PREPARE ls(int) AS SELECT t.label, x.* FROM jt t, LATERAL (SELECT count(*) AS n, sum(r.qty) AS q
  FROM loc.sales s JOIN loc.returns r ON s.tenant = r.tenant AND s.id = r.id WHERE s.tenant = $1) x
  WHERE t.tenant = 3;
SELECT explain_lines('EXECUTE cs(5)', 'Strategy');
SELECT same_exec('cs(5)', 'ls(5)') AS pg, same_exec('cs(2)', 'ls(2)') AS mysql;
DEALLOCATE ca; DEALLOCATE la; DEALLOCATE cs; DEALLOCATE ls;
RESET plan_cache_mode;

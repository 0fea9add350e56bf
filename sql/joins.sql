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
-- match 'east' with 'East' and 'east '), a bigint key for an int column
CREATE TABLE jt (tenant int, label text, w numeric(6,2));
INSERT INTO jt VALUES (3, 'three', 1.5), (3, 'three again', 2), (5, 'five', NULL),
  (NULL, 'none', 1), (8, 'eight', 0.25), (99, 'absent', 1);
CREATE TABLE jr (region varchar(20), tag text);
INSERT INTO jr VALUES ('east', 'e'), ('east ', 'e-space'), ('EAST', 'E'), ('Wést', 'w'),
  (NULL, 'n'), ('nowhere', 'x'), ('it''s', 'q');
CREATE TABLE jbig (tenant bigint, k text);
INSERT INTO jbig VALUES (3, 'a'), (4, 'b'), (4, 'c'), (NULL, 'd');
CREATE TABLE jempty (tenant int);
ANALYZE jt, jr, jbig, jempty;

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
 (16, 'SELECT j.tag, count(*) FROM %1$s s JOIN jr j ON s.region = j.region GROUP BY 1');
SELECT n, same_rows(format(q, 'sales'), format(q, 'loc.sales')) FROM join_shapes ORDER BY n;
-- more keys than federate.key_shipping_max_keys: the shards are read
-- without them
SET federate.key_shipping_max_keys = 1;
SELECT n, same_rows(format(q, 'sales'), format(q, 'loc.sales')) FROM join_shapes ORDER BY n;
RESET federate.key_shipping_max_keys;

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

--
-- A sharded table: a partitioned table whose partitions are federate
-- foreign tables on two PostgreSQL databases and a MariaDB server, read
-- through one fan-out node.  Every query shape is compared with the same
-- query on loc.sales, a local table holding the same rows.
--
\c fed_pg1
CREATE TABLE sales_0 (id int PRIMARY KEY, tenant int NOT NULL,
  region varchar(20), amount numeric(12,2), qty int, ratio float8,
  flag boolean, created timestamp, ts timestamptz, d date, note text);
CREATE TABLE sales_3 (LIKE sales_0 INCLUDING ALL);
\c fed_pg2
CREATE TABLE sales_1 (id int PRIMARY KEY, tenant int NOT NULL,
  region varchar(20), amount numeric(12,2), qty int, ratio float8,
  flag boolean, created timestamp, ts timestamptz, d date, note text);
\c contrib_regression

CREATE TABLE sales (id int, tenant int NOT NULL, region varchar(20),
  amount numeric(12,2), qty int, ratio float8, flag boolean,
  created timestamp, ts timestamptz, d date, note text)
  PARTITION BY HASH (tenant);
CREATE FOREIGN TABLE sales_p0 PARTITION OF sales
  FOR VALUES WITH (MODULUS 4, REMAINDER 0)
  SERVER pg1 OPTIONS (schema_name 'public', table_name 'sales_0');
CREATE FOREIGN TABLE sales_p1 PARTITION OF sales
  FOR VALUES WITH (MODULUS 4, REMAINDER 1)
  SERVER pg2 OPTIONS (schema_name 'public', table_name 'sales_1');
CREATE FOREIGN TABLE sales_p2 PARTITION OF sales
  FOR VALUES WITH (MODULUS 4, REMAINDER 2)
  SERVER my1 OPTIONS (table_name 'sales_2');
CREATE FOREIGN TABLE sales_p3 PARTITION OF sales
  FOR VALUES WITH (MODULUS 4, REMAINDER 3)
  SERVER pg1 OPTIONS (schema_name 'public', table_name 'sales_3');

-- rows full of what breaks federation: case and trailing-space variants
-- (MariaDB's collation ignores both), NULLs everywhere, unicode, quotes;
-- floats are multiples of 1/8, so their sums are exact in any order
CREATE TABLE loc.sales (LIKE sales);
INSERT INTO loc.sales
SELECT g, (g * 7) % 23 + 1,
  (ARRAY['east', 'East', 'EAST', 'east ', 'west', 'Wést', 'north', NULL,
         'it''s', 'naïve ☃'])[g % 10 + 1],
  CASE WHEN g % 17 = 0 THEN NULL ELSE ((g * 37) % 100000 - 20000) / 100.0 END,
  CASE WHEN g % 13 = 0 THEN NULL ELSE (g * 11) % 50 - 10 END,
  CASE WHEN g % 19 = 0 THEN NULL ELSE ((g * 13) % 1000) / 8.0 END,
  CASE WHEN g % 7 = 0 THEN NULL ELSE g % 3 = 0 END,
  timestamp '2024-01-01' + (g * 3731 % 500000) * interval '1 minute',
  CASE WHEN g % 11 = 0 THEN NULL
       ELSE timestamptz '2024-01-01 00:00:00+00' + (g * 911 % 400000) * interval '1 minute' END,
  date '2024-01-01' + (g % 400),
  'note ' || g
FROM generate_series(1, 2000) g;

-- loaded through the coordinator: rows are routed to their shards
INSERT INTO sales SELECT * FROM loc.sales;
SELECT tableoid::regclass AS partition, count(*) FROM sales GROUP BY 1 ORDER BY 1;

-- same_order(a, b): the same rows in the same order?
CREATE FUNCTION same_order(a text, b text) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE x text; y text;
BEGIN
  EXECUTE format('SELECT string_agg(s::text, ''|'') FROM (%s) s', a) INTO x;
  EXECUTE format('SELECT string_agg(s::text, ''|'') FROM (%s) s', b) INTO y;
  RETURN x IS NOT DISTINCT FROM y;
END $$;

CREATE TABLE shapes (n int, q text);
INSERT INTO shapes VALUES
 (1, 'SELECT id, region, amount FROM %1$s WHERE qty > 20'),
 (2, 'SELECT id FROM %1$s WHERE region = ''east'''),
 (3, 'SELECT id FROM %1$s WHERE region IN (''East'', ''east '')'),
 (4, 'SELECT id FROM %1$s WHERE region IS NULL OR amount IS NULL'),
 (5, 'SELECT region, count(*), count(qty), sum(qty), avg(qty), sum(amount), avg(amount), min(amount), max(amount) FROM %1$s GROUP BY region'),
 (6, 'SELECT tenant, count(*), sum(amount), avg(amount), avg(ratio), min(created), max(ts) FROM %1$s GROUP BY tenant'),
 (7, 'SELECT count(*), sum(amount), avg(amount), avg(qty), sum(ratio), avg(ratio), min(d), max(d), min(ts), max(created), bool_and(flag), bool_or(flag) FROM %1$s'),
 (8, 'SELECT flag, count(*), bool_and(qty > 0), bool_or(qty > 30), avg(amount) FROM %1$s GROUP BY flag'),
 (9, 'SELECT count(DISTINCT region), count(DISTINCT tenant), count(DISTINCT qty), sum(DISTINCT qty) FROM %1$s'),
 (10, 'SELECT tenant, count(DISTINCT region) FROM %1$s GROUP BY tenant'),
 (11, 'SELECT region, sum(qty) FROM %1$s GROUP BY region HAVING sum(qty) > 100 OR region IS NULL'),
 (12, 'SELECT d, count(*) FROM %1$s WHERE d >= ''2024-06-01'' GROUP BY d'),
 (13, 'SELECT date_trunc(''month'', created), count(*), sum(amount) FROM %1$s GROUP BY 1'),
 (14, 'SELECT qty / 7, count(*) FROM %1$s GROUP BY 1'),
 (15, 'SELECT CASE WHEN amount > 100 THEN ''big'' ELSE ''small'' END, count(*) FROM %1$s GROUP BY 1'),
 (16, 'SELECT count(*), sum(amount), avg(amount) FROM %1$s WHERE tenant = 5'),
 (17, 'SELECT region, avg(amount), count(*) FROM %1$s WHERE tenant = 5 GROUP BY region'),
 (18, 'SELECT count(*), sum(amount), avg(amount), min(id) FROM %1$s WHERE tenant = -1'),
 (19, 'SELECT count(*), sum(amount), avg(amount), bool_and(flag) FROM %1$s WHERE qty > 1000'),
 (20, 'SELECT region, count(*) FROM %1$s WHERE qty > 1000 GROUP BY region'),
 (21, 'SELECT lower(region), count(*) FROM %1$s GROUP BY lower(region)'),
 (22, 'SELECT min(region), max(region) FROM %1$s'),
 (23, 'SELECT id, region FROM %1$s WHERE note LIKE ''note 1%%'''),
 (24, 'SELECT tenant, region, count(*), sum(amount) FROM %1$s GROUP BY tenant, region'),
 (25, 'SELECT sum(qty * 2), avg(qty + 0.5) FROM %1$s'),
 (26, 'SELECT region, count(*) FILTER (WHERE qty > 0) FROM %1$s GROUP BY region'),
 (27, 'SELECT sum(amount) / count(*), max(amount) - min(amount) FROM %1$s WHERE tenant IN (1, 2, 3)'),
 (28, 'SELECT region, avg(ratio), sum(ratio), count(ratio) FROM %1$s GROUP BY region HAVING count(*) > 1'),
 (29, 'SELECT t.tenant, count(*) FROM %1$s t WHERE t.flag GROUP BY t.tenant HAVING avg(t.amount) > 0'),
 (30, 'SELECT count(*) FROM %1$s a JOIN %1$s b ON a.id = b.id WHERE a.tenant < 5 AND b.qty > 0');

SELECT n, same(format(q, 'sales'), format(q, 'loc.sales')) FROM shapes ORDER BY n;

CREATE TABLE ordered_shapes (n int, q text);
INSERT INTO ordered_shapes VALUES
 (1, 'SELECT id, amount FROM %1$s ORDER BY amount DESC NULLS LAST, id LIMIT 7 OFFSET 2'),
 (2, 'SELECT id, created FROM %1$s ORDER BY created, id LIMIT 10'),
 (3, 'SELECT id, qty FROM %1$s WHERE tenant IN (3, 4, 5) ORDER BY qty NULLS FIRST, id'),
 (4, 'SELECT id, ts FROM %1$s ORDER BY ts DESC, id DESC LIMIT 5'),
 (5, 'SELECT id, region FROM %1$s ORDER BY region, id LIMIT 5'),
 (6, 'SELECT id, created FROM %1$s WHERE tenant = 7 ORDER BY created DESC, id DESC LIMIT 20'),
 (7, 'SELECT region, sum(amount) AS s FROM %1$s GROUP BY region ORDER BY s DESC NULLS LAST, region LIMIT 3'),
 (8, 'SELECT id, amount, qty FROM %1$s WHERE qty > 30 ORDER BY amount, qty DESC, id'),
 (9, 'SELECT id FROM %1$s ORDER BY id OFFSET 1990');

SELECT n, same_order(format(q, 'sales'), format(q, 'loc.sales'))
FROM ordered_shapes ORDER BY n;

-- a LIMIT without ORDER BY: any rows, as many as asked
SELECT count(*) FROM (SELECT id FROM sales LIMIT 5) s;

-- avg(numeric) to the last digit, with PostgreSQL's scale
SELECT (SELECT avg(amount)::text FROM sales) AS federated,
       (SELECT avg(amount)::text FROM loc.sales) AS local;

-- what each shape sends
EXPLAIN (VERBOSE, COSTS OFF)
SELECT region, count(*), sum(amount), avg(amount) FROM sales GROUP BY region;
EXPLAIN (VERBOSE, COSTS OFF)
SELECT tenant, count(*), avg(amount) FROM sales GROUP BY tenant HAVING sum(qty) > 0;
EXPLAIN (VERBOSE, COSTS OFF)
SELECT count(*), sum(amount), avg(amount) FROM sales WHERE tenant = 5;
EXPLAIN (VERBOSE, COSTS OFF)
SELECT region, count(*) FROM sales WHERE tenant = 5 GROUP BY region ORDER BY 2 DESC LIMIT 3;
EXPLAIN (VERBOSE, COSTS OFF)
SELECT count(DISTINCT region), count(*) FROM sales;
EXPLAIN (VERBOSE, COSTS OFF)
SELECT id, amount FROM sales ORDER BY amount DESC NULLS LAST, id LIMIT 7 OFFSET 2;
EXPLAIN (VERBOSE, COSTS OFF)
SELECT id, created FROM sales WHERE tenant = 7 ORDER BY created DESC, id DESC LIMIT 20;
EXPLAIN (VERBOSE, COSTS OFF)
SELECT date_trunc('month', created), count(*) FROM sales GROUP BY 1;
-- min/max of text: the PostgreSQL shards compute theirs, the MySQL shard's rows
-- are aggregated on the coordinator (an Append under the combining Aggregate)
EXPLAIN (VERBOSE, COSTS OFF)
SELECT min(region) FROM sales;
-- FILTER ships (MySQL: a CASE inside the aggregate)
EXPLAIN (VERBOSE, COSTS OFF)
SELECT count(*) FILTER (WHERE qty > 0) FROM sales;
-- a condition MySQL cannot evaluate still ships to the PostgreSQL shards
EXPLAIN (VERBOSE, COSTS OFF)
SELECT id FROM sales WHERE qty / 2 = 3 AND region = 'east';

-- a prepared statement with a generic plan contacts one shard
PREPARE q(int) AS SELECT count(*), sum(amount) FROM sales WHERE tenant = $1;
SET plan_cache_mode = force_generic_plan;
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) EXECUTE q(5);
-- (with two-phase commit on, a MySQL transaction starts as XA, named by a
-- random id the remote SQL logged here would show: test/t/100 tests it)
SET federate.two_phase_commit = off;
SET federate.log_remote_sql = on;
EXECUTE q(5);
RESET federate.log_remote_sql;
RESET federate.two_phase_commit;
SELECT count(*), sum(amount) FROM loc.sales WHERE tenant = 5;
EXECUTE q(2);
SELECT count(*), sum(amount) FROM loc.sales WHERE tenant = 2;
RESET plan_cache_mode;
DEALLOCATE q;

-- a read that is the only one of its servers in a statement that is the
-- local transaction: one plain statement per shard, no remote transaction
-- (the session's TimeZone with it, or made the remote session's first
-- when it has parameters, as EXECUTE q(5) above did); in a transaction
-- block, or beside another read of one of its servers, in a remote
-- transaction
-- (with two-phase commit on, a MySQL transaction starts as XA, named by a
-- random id the remote SQL logged here would show: test/t/100 tests it)
SET federate.two_phase_commit = off;
SET federate.log_remote_sql = on;
SELECT count(*), sum(amount) FROM sales WHERE tenant = 5;
SELECT count(*), sum(amount) FROM sales WHERE tenant = 2;
SELECT id, amount FROM sales WHERE tenant = 5 ORDER BY amount DESC NULLS LAST, id LIMIT 3;
BEGIN;
SELECT count(*), sum(amount) FROM sales WHERE tenant = 5;
COMMIT;
SELECT count(*) FROM sales s WHERE tenant = 5
  AND amount > (SELECT avg(amount) FROM sales WHERE tenant = 2);
SELECT count(*) FROM sales s WHERE tenant = 5
  AND amount > (SELECT avg(amount) FROM sales WHERE tenant = 5);
PREPARE q2(int) AS SELECT count(*) FROM sales WHERE tenant = $1;
SET plan_cache_mode = force_generic_plan;
SET TimeZone = 'Europe/Berlin';
SELECT count(*), sum(amount) FROM sales WHERE tenant = 5;
EXECUTE q2(5);
SET federate.statement_timeout = '10s';
EXECUTE q2(5);
EXECUTE q2(5);
SELECT count(*), sum(amount) FROM sales WHERE tenant = 5;
BEGIN;
SELECT count(*), sum(amount) FROM sales WHERE tenant = 5;
COMMIT;
RESET federate.statement_timeout;
EXECUTE q2(5);
RESET TimeZone;
RESET plan_cache_mode;
DEALLOCATE q2;
RESET federate.log_remote_sql;
RESET federate.two_phase_commit;
-- a LIMIT that bounds nothing (pg1's two partitions in one statement may
-- return twice as many rows, past 2^31): streamed, not read whole
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
SELECT id FROM sales WHERE id < 5 ORDER BY id LIMIT 2147483647;
-- how each shard reads: outside a transaction block, a small answer
-- whole and a larger one as it arrives; in one, aggregates and small
-- answers as they arrive, other reads through a cursor
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
SELECT id FROM sales WHERE tenant = 5 ORDER BY id LIMIT 3;
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
SELECT id FROM sales WHERE tenant = 5;
BEGIN;
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
SELECT region, count(*) FROM sales WHERE tenant IN (5, 6) GROUP BY region;
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
SELECT id FROM sales WHERE tenant = 5 ORDER BY id LIMIT 3;
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
SELECT id FROM sales WHERE tenant = 5;
COMMIT;
-- readers that stop early: a streamed statement outside a transaction is
-- cancelled, one inside is read out, a cursor stops between batches; the
-- connections serve the next statements
SELECT count(*) FROM (SELECT id FROM sales WHERE note || 'x' <> 'y' LIMIT 5) s;
SELECT count(*) FROM sales;
BEGIN;
SELECT region FROM (SELECT region, count(*) FROM sales GROUP BY region ORDER BY 2 DESC, 1 LIMIT 1) s;
SELECT region FROM (SELECT region, count(*) FROM loc.sales GROUP BY region ORDER BY 2 DESC, 1 LIMIT 1) s;
SELECT count(*) FROM (SELECT id FROM sales WHERE note || 'x' <> 'y' LIMIT 5) s;
SAVEPOINT a;
SELECT EXISTS (SELECT 1 FROM sales WHERE note || 'x' <> 'y');
SELECT count(*), sum(amount) FROM sales WHERE tenant IN (1, 2, 3);
ROLLBACK TO SAVEPOINT a;
SELECT count(*), sum(amount) FROM sales WHERE tenant IN (1, 2, 3);
SELECT count(*), sum(amount) FROM loc.sales WHERE tenant IN (1, 2, 3);
COMMIT;
-- a MySQL read that fails after some of its rows: the error, and the
-- session goes on
SELECT id FROM sales WHERE tenant = 2 AND id * 4611686018427387904 > 0;
SELECT count(*) FROM sales WHERE tenant = 2;
SELECT id, amount FROM loc.sales WHERE tenant = 5 ORDER BY amount DESC NULLS LAST, id LIMIT 3;
SELECT count(*) FROM loc.sales s WHERE tenant = 5
  AND amount > (SELECT avg(amount) FROM loc.sales WHERE tenant = 2);

-- a transaction sees its own writes, on every shard
BEGIN;
INSERT INTO sales (id, tenant, region) VALUES (100001, 1, 'txn'), (100002, 2, 'txn'),
  (100003, 3, 'txn'), (100004, 4, 'txn');
SELECT tenant, count(*) FROM sales WHERE region = 'txn' GROUP BY tenant ORDER BY 1;
SELECT count(*) FROM sales;
ROLLBACK;
SELECT count(*) FROM sales WHERE region = 'txn';

-- two fan-outs open at once on the same shards (cursors)
BEGIN;
DECLARE c1 CURSOR FOR SELECT id FROM sales ORDER BY id;
DECLARE c2 CURSOR FOR SELECT id FROM sales WHERE tenant = 9 ORDER BY id;
FETCH 3 FROM c1;
FETCH 3 FROM c2;
FETCH 2 FROM c1;
SELECT count(*) FROM sales;
FETCH 2 FROM c2;
COMMIT;

-- a read of at most a batch per shard, outside a transaction block, keeps
-- every shard's connection while federate.disconnect_all() runs (each
-- with a warning) and returns its rows
SET client_min_messages = error;
SELECT id, tenant FROM (SELECT federate.disconnect_all() AS closed, id, tenant
                          FROM sales ORDER BY id LIMIT 4) s;
RESET client_min_messages;

-- a cursor declared in a savepoint lives on after RELEASE on every shard
-- (PostgreSQL and MariaDB), batch after batch of 5 rows, as the same
-- cursor over loc.sales does: merged in order and concatenated, through a
-- ROLLBACK TO a later savepoint and a write that needs the shards'
-- connections
SET federate.fetch_size = 5;
BEGIN;
SAVEPOINT a;
DECLARE c CURSOR FOR SELECT id, tenant, region, amount FROM sales ORDER BY id;
DECLARE l CURSOR FOR SELECT id, tenant, region, amount FROM loc.sales ORDER BY id;
DECLARE cu CURSOR FOR SELECT id, tenant FROM sales WHERE id % 3 = 0;
CREATE TEMP TABLE got (r text);
SELECT fetch_same('c', 'l', 7);
INSERT INTO got SELECT fetch_rows('cu', 2);
RELEASE a;
SELECT fetch_same('c', 'l', 30);
INSERT INTO got SELECT fetch_rows('cu', 20);
SAVEPOINT b;
SELECT fetch_same('c', 'l', 12);
SELECT 1 / 0;
ROLLBACK TO b;
SELECT fetch_same('c', 'l', 30);
INSERT INTO sales (id, tenant, region) VALUES (100001, 1, 'txn'), (100002, 2, 'txn'),
  (100003, 3, 'txn'), (100004, 4, 'txn');
SELECT fetch_same('c', 'l', 5000);
INSERT INTO got SELECT fetch_rows('cu', 5000);
SELECT count(*), same_rows('SELECT r FROM got',
                           'SELECT (id, tenant)::text FROM loc.sales WHERE id % 3 = 0') AS same
  FROM got;
ROLLBACK;
SELECT cursor_after_block('SELECT id, tenant, amount FROM sales ORDER BY id') AS remote,
       cursor_after_block('SELECT id, tenant, amount FROM loc.sales ORDER BY id') AS local;
RESET federate.fetch_size;

-- after a write, reads share the writing connection: an open fan-out
-- parks (reads its rest into local storage) when another needs it
BEGIN;
INSERT INTO sales (id, tenant, region) VALUES (100005, 1, 'txn'), (100006, 2, 'txn');
DECLARE c3 CURSOR FOR SELECT id, region FROM sales WHERE region = 'txn' OR id < 4 ORDER BY id;
FETCH 1 FROM c3;
SELECT count(*) FROM sales;
FETCH ALL FROM c3;
ROLLBACK;

-- inside a subtransaction that fails
BEGIN;
SAVEPOINT s1;
SELECT count(*) FROM sales WHERE tenant = 3;
SELECT 1 / 0;
ROLLBACK TO s1;
SELECT count(*) FROM sales WHERE tenant = 3;
COMMIT;

-- the plain plan (an Append of foreign scans) gives the same answers
SET federate.enable_fanout = off;
EXPLAIN (COSTS OFF) SELECT region, count(*) FROM sales GROUP BY region;
SELECT n, same(format(q, 'sales'), format(q, 'loc.sales')) FROM shapes
WHERE n IN (5, 9, 16) ORDER BY n;
RESET federate.enable_fanout;

-- a function of an object id is never sent to a shard: there it would
-- name another object, or none (satisfies_hash_partition() failed with
-- "could not open relation with OID ..." on the shard)
SELECT same($$SELECT count(*) FROM sales s WHERE satisfies_hash_partition('sales'::regclass, 8, 3, s.tenant)$$,
            $$SELECT count(*) FROM loc.sales s WHERE satisfies_hash_partition('sales'::regclass, 8, 3, s.tenant)$$);

--
-- Writes to a MariaDB table.
--
-- (With two-phase commit on, a MySQL transaction starts as XA, named by a
-- random id that the remote SQL logged below would show: test/t/100 and
-- 105 test it.)
SET federate.two_phase_commit = off;
CREATE FOREIGN TABLE my_w (id int OPTIONS (key 'true'), name varchar(40), v numeric(10,2))
  SERVER my1 OPTIONS (table_name 'w', batch_size '4');
CREATE TABLE loc_mw (id int PRIMARY KEY, name varchar(40), v numeric(10,2));

SET federate.log_remote_sql = on;
INSERT INTO my_w SELECT g, 'n' || g, g * 1.5 FROM generate_series(1, 10) g;
RESET federate.log_remote_sql;
INSERT INTO loc_mw SELECT g, 'n' || g, g * 1.5 FROM generate_series(1, 10) g;
INSERT INTO my_w VALUES (11, 'it''s; -- "q"', NULL), (12, '', 0);
INSERT INTO loc_mw VALUES (11, 'it''s; -- "q"', NULL), (12, '', 0);
SELECT same('SELECT * FROM my_w', 'SELECT * FROM loc_mw');

-- shippable UPDATE and DELETE: one remote statement
EXPLAIN (VERBOSE, COSTS OFF) UPDATE my_w SET v = v + 1 WHERE id > 5;
UPDATE my_w SET v = v + 1 WHERE id > 5;
UPDATE loc_mw SET v = v + 1 WHERE id > 5;
EXPLAIN (VERBOSE, COSTS OFF) DELETE FROM my_w WHERE name = 'n3';
DELETE FROM my_w WHERE name = 'n3';
DELETE FROM loc_mw WHERE name = 'n3';
SELECT same('SELECT * FROM my_w', 'SELECT * FROM loc_mw');
-- numeric + and - go to MySQL: the value stored in the DECIMAL(10,2)
-- column is rounded half away from zero as numeric(10,2) rounds it, and an
-- overflow is an error with PostgreSQL's SQLSTATE on both
UPDATE my_w SET v = v - 0.005 WHERE id > 8;
UPDATE loc_mw SET v = v - 0.005 WHERE id > 8;
UPDATE my_w SET v = v + 0.015 WHERE id <= 8 AND v + 1 > 3;
UPDATE loc_mw SET v = v + 0.015 WHERE id <= 8 AND v + 1 > 3;
SELECT same('SELECT * FROM my_w', 'SELECT * FROM loc_mw');
DO $$
BEGIN
	BEGIN
		UPDATE my_w SET v = v + 99999999.99;
	EXCEPTION WHEN numeric_value_out_of_range THEN
		RAISE NOTICE 'federated: numeric_value_out_of_range';
	END;
	BEGIN
		UPDATE loc_mw SET v = v + 99999999.99;
	EXCEPTION WHEN numeric_value_out_of_range THEN
		RAISE NOTICE 'local: numeric_value_out_of_range';
	END;
END $$;

-- not shippable (volatile function, local-only condition): row by row by key
EXPLAIN (VERBOSE, COSTS OFF) UPDATE my_w SET name = name || (random() * 0)::int WHERE id < 3;
UPDATE my_w SET name = name || (random() * 0)::int WHERE id < 3;
UPDATE loc_mw SET name = name || (random() * 0)::int WHERE id < 3;
DELETE FROM my_w WHERE id = 4 AND random() >= 0;
DELETE FROM loc_mw WHERE id = 4 AND random() >= 0;
SELECT same('SELECT * FROM my_w', 'SELECT * FROM loc_mw');
SELECT * FROM my_w ORDER BY id;

-- transactions: rollback and savepoints reach the shard
BEGIN;
INSERT INTO my_w VALUES (100, 'gone', 1);
SAVEPOINT a;
INSERT INTO my_w VALUES (101, 'also gone', 1);
ROLLBACK TO SAVEPOINT a;
SELECT id FROM my_w WHERE id >= 100;
ROLLBACK;
SELECT count(*) FROM my_w WHERE id >= 100;
BEGIN;
INSERT INTO my_w VALUES (200, 'kept', 1);
SAVEPOINT b;
INSERT INTO my_w VALUES (200, 'duplicate key', 1);
ROLLBACK TO SAVEPOINT b;
INSERT INTO my_w VALUES (201, 'kept too', 1);
COMMIT;
SELECT id, name FROM my_w WHERE id >= 200 ORDER BY id;
DELETE FROM my_w WHERE id >= 200;

-- a table without a key: direct statements work, row-by-row ones are refused
CREATE FOREIGN TABLE my_nokey (a int, b text) SERVER my1 OPTIONS (table_name 'nokey');
UPDATE my_nokey SET b = 'z' WHERE a = 2;
SELECT * FROM my_nokey ORDER BY a;
UPDATE my_nokey SET b = b || random()::int WHERE a = 2;
DELETE FROM my_nokey WHERE a = 1 AND random() >= 0;

-- routing through a partitioned table to its partition
CREATE TABLE mparted (id int, name varchar(40), v numeric(10,2)) PARTITION BY RANGE (id);
CREATE FOREIGN TABLE mparted_lo PARTITION OF mparted FOR VALUES FROM (MINVALUE) TO (1000)
  SERVER my1 OPTIONS (table_name 'w');
CREATE TABLE mparted_hi PARTITION OF mparted FOR VALUES FROM (1000) TO (MAXVALUE);
INSERT INTO mparted VALUES (500, 'routed', 5), (1500, 'local', 15);
SELECT * FROM my_w WHERE id = 500;
SELECT * FROM mparted_hi;
COPY mparted FROM stdin;
600	copied	6
1600	copied hi	16
\.
SELECT * FROM my_w WHERE id >= 500 ORDER BY id;

-- an UPDATE of the partition key: no row is left outside its partition.
-- Each new row is checked against the partition's bounds (row by row, by
-- key); one that stays is written, one that would move is refused (rows
-- are not moved between partitions yet), and the statement changes nothing.
ALTER FOREIGN TABLE mparted_lo ALTER COLUMN id OPTIONS (ADD key 'true');
EXPLAIN (VERBOSE, COSTS OFF) UPDATE mparted SET id = id + 1 WHERE id = 600;
UPDATE mparted SET id = id + 1 WHERE id = 600;
SELECT id, name FROM mparted WHERE id BETWEEN 500 AND 999 ORDER BY id;
UPDATE mparted SET id = 2000 WHERE id = 601;
UPDATE mparted SET id = CASE WHEN id = 500 THEN 502 ELSE 5000 END WHERE id IN (500, 601);
UPDATE mparted_lo SET id = 2000 WHERE id = 601;
SELECT id, name FROM mparted WHERE id BETWEEN 500 AND 999 OR id >= 2000 ORDER BY id;
SELECT id, name FROM my_w WHERE id >= 500 ORDER BY id;
-- other columns are still sent as one statement
EXPLAIN (VERBOSE, COSTS OFF) UPDATE mparted SET name = 'renamed' WHERE id = 601;
UPDATE mparted SET name = 'renamed' WHERE id = 601;
SELECT id, name FROM mparted WHERE id = 601;

-- a SET list that reads a column it assigns: every new value sees the old
-- row, as on PostgreSQL (MySQL evaluates a SET list left to right: such an
-- UPDATE goes row by row, its values computed on the coordinator)
CREATE FOREIGN TABLE my_swap (id int OPTIONS (key 'true'), a int, b int)
  SERVER my1 OPTIONS (table_name 'swap');
CREATE TABLE loc_swap (id int PRIMARY KEY, a int, b int);
INSERT INTO loc_swap VALUES (1, 1, 2), (2, 3, 4), (3, NULL, 5);
EXPLAIN (VERBOSE, COSTS OFF) UPDATE my_swap SET a = b, b = a WHERE id > 0;
UPDATE my_swap SET a = b, b = a WHERE id > 0;
UPDATE loc_swap SET a = b, b = a WHERE id > 0;
SELECT same('SELECT * FROM my_swap', 'SELECT * FROM loc_swap');
UPDATE my_swap SET a = NULL, b = a + 1 WHERE id > 1;
UPDATE loc_swap SET a = NULL, b = a + 1 WHERE id > 1;
SELECT same('SELECT * FROM my_swap', 'SELECT * FROM loc_swap');
-- no new value reads a column assigned before it: sent whole
EXPLAIN (VERBOSE, COSTS OFF) UPDATE my_swap SET b = a WHERE id = 1;
UPDATE my_swap SET b = a WHERE id = 1;
UPDATE loc_swap SET b = a WHERE id = 1;
SELECT * FROM my_swap ORDER BY id;
SELECT same('SELECT * FROM my_swap', 'SELECT * FROM loc_swap');

-- SELECT ... FOR UPDATE / FOR SHARE lock the rows on the shard (NOWAIT and
-- SKIP LOCKED too): a second connection to the same database (another
-- server object) cannot take them
\getenv my_host FED_MYSQL_HOST
\getenv my_port FED_MYSQL_PORT
\getenv my_user FED_MYSQL_USER
\getenv my_password FED_MYSQL_PASSWORD
CREATE SERVER my1_other FOREIGN DATA WRAPPER federate
  OPTIONS (driver 'mysql', host :'my_host', port :'my_port', dbname 'fedtest');
CREATE USER MAPPING FOR CURRENT_USER SERVER my1_other
  OPTIONS (user :'my_user', password :'my_password');
CREATE FOREIGN TABLE my_w_other (id int OPTIONS (key 'true'), name varchar(40), v numeric(10,2))
  SERVER my1_other OPTIONS (table_name 'w');
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM my_w WHERE id = 1 FOR UPDATE;
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM my_w WHERE id = 1 FOR KEY SHARE NOWAIT;
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM mparted WHERE id < 1000 FOR NO KEY UPDATE SKIP LOCKED;
BEGIN;
SELECT id, name FROM my_w WHERE id = 1 FOR UPDATE;
SELECT id FROM my_w_other WHERE id = 1 FOR UPDATE NOWAIT;
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
BEGIN;
SELECT id FROM my_w WHERE id = 1 FOR SHARE;
SELECT id FROM my_w_other WHERE id = 1 FOR SHARE NOWAIT;
SELECT id FROM my_w_other WHERE id = 1 FOR UPDATE NOWAIT;
ROLLBACK;
BEGIN;
SELECT id FROM my_w WHERE id = 1 FOR UPDATE;
SELECT id FROM my_w_other WHERE id <= 5 ORDER BY id FOR UPDATE SKIP LOCKED;
ROLLBACK;
BEGIN;
SELECT id FROM my_w_other WHERE id = 1 FOR UPDATE NOWAIT;
COMMIT;

-- a new value too long for its varchar(n) column fails (22001), as on a
-- local table
DO $$
BEGIN
	BEGIN
		UPDATE my_w SET name = name || repeat('x', 45) WHERE id = 1;
		RAISE NOTICE 'federated: no error';
	EXCEPTION WHEN string_data_right_truncation THEN
		RAISE NOTICE 'federated: string_data_right_truncation';
	END;
	BEGIN
		UPDATE loc_mw SET name = name || repeat('x', 45) WHERE id = 1;
		RAISE NOTICE 'local: no error';
	EXCEPTION WHEN string_data_right_truncation THEN
		RAISE NOTICE 'local: string_data_right_truncation';
	END;
END $$;

-- an explicit cast to varchar(n) cuts the value, as on a local table
UPDATE my_w SET name = (name || repeat('y', 45))::varchar(40) WHERE id = 1;
UPDATE loc_mw SET name = (name || repeat('y', 45))::varchar(40) WHERE id = 1;
SELECT same('SELECT * FROM my_w WHERE id < 500', 'SELECT * FROM loc_mw WHERE id < 500');

-- a row a join gives more than once is changed once, and counted once
DO $$
DECLARE
	n bigint;
	m bigint;
BEGIN
	UPDATE my_w SET v = v + 1 FROM (VALUES (1), (1), (2), (2), (2)) s(x) WHERE my_w.id = s.x;
	GET DIAGNOSTICS n = ROW_COUNT;
	UPDATE loc_mw SET v = v + 1 FROM (VALUES (1), (1), (2), (2), (2)) s(x) WHERE loc_mw.id = s.x;
	GET DIAGNOSTICS m = ROW_COUNT;
	RAISE NOTICE 'UPDATE ... FROM: federated %, local %', n, m;
END $$;
SELECT same('SELECT * FROM my_w WHERE id < 500', 'SELECT * FROM loc_mw WHERE id < 500');

-- a row-by-row UPDATE or DELETE whose subquery reads the same table sees
-- the table as it was when the statement started: its writes wait until
-- its reads are over
SELECT same('SELECT * FROM my_w WHERE id < 500', 'SELECT * FROM loc_mw WHERE id < 500');
UPDATE my_w SET name = 'gone', v = (SELECT count(*) FROM my_w w2 WHERE w2.name = my_w.name OR w2.name = 'gone') WHERE id < 500;
UPDATE loc_mw SET name = 'gone', v = (SELECT count(*) FROM loc_mw w2 WHERE w2.name = loc_mw.name OR w2.name = 'gone') WHERE id < 500;
SELECT same('SELECT * FROM my_w WHERE id < 500', 'SELECT * FROM loc_mw WHERE id < 500');
UPDATE my_w SET v = id WHERE id < 500;
UPDATE loc_mw SET v = id WHERE id < 500;
DELETE FROM my_w WHERE id > 1 AND id < 500 AND v < (SELECT avg(v) FROM my_w w2 WHERE w2.id < 500 AND w2.name = my_w.name);
DELETE FROM loc_mw WHERE id > 1 AND id < 500 AND v < (SELECT avg(v) FROM loc_mw w2 WHERE w2.id < 500 AND w2.name = loc_mw.name);
SELECT same('SELECT * FROM my_w WHERE id < 500', 'SELECT * FROM loc_mw WHERE id < 500');
SELECT id, name, v FROM my_w WHERE id < 500 ORDER BY id;

-- COPY FROM collects rows into batches of batch_size (here 4) and sends
-- each without waiting for the one before: a batch that fails fails the
-- COPY (its error names a later line), and a rollback leaves none of it
BEGIN;
COPY my_w FROM stdin;
3000	c3000	3000.5
3001	c3001	3001.5
3002	c3002	3002.5
3003	c3003	3003.5
3004	c3004	3004.5
3005	c3005	3005.5
3006	c3006	3006.5
3007	c3007	3007.5
3008	c3008	3008.5
3009	c3009	3009.5
\.
SELECT count(*), sum(v) FROM my_w WHERE id BETWEEN 3000 AND 3999;
SAVEPOINT s;
-- (where the error is noticed, so its context, depends on timing)
\set VERBOSITY terse
COPY my_w FROM stdin;
3010	c3010	3010.5
3011	c3011	3011.5
3012	c3012	3012.5
3013	c3013	3013.5
3014	c3014	3014.5
3015	c3015	3015.5
3002	c3002	3002.5
3016	c3016	3016.5
3017	c3017	3017.5
3018	c3018	3018.5
3019	c3019	3019.5
\.
\set VERBOSITY default
ROLLBACK TO s;
SELECT count(*), sum(v) FROM my_w WHERE id BETWEEN 3000 AND 3999;
ROLLBACK;
SELECT count(*) FROM my_w WHERE id BETWEEN 3000 AND 3999;

-- RETURNING gives the rows as the server wrote them: its AUTO_INCREMENT,
-- its defaults, its triggers' changes (INSERT and DELETE ... RETURNING of
-- MariaDB; an updated row is read again by its key).  loc_mr is the same
-- table on the coordinator.
CREATE FOREIGN TABLE my_r (id int OPTIONS (key 'true'), name varchar(40), v numeric(10,2),
  f real, stamp varchar(60)) SERVER my1 OPTIONS (table_name 'r', batch_size '10');
CREATE TABLE loc_mr (id serial PRIMARY KEY, name varchar(40), v numeric(10,2) DEFAULT 7,
  f real, stamp varchar(60));
CREATE FUNCTION mr_stamp() RETURNS trigger LANGUAGE plpgsql AS
  $$BEGIN NEW.stamp := upper(NEW.name) || '/' || NEW.v; RETURN NEW; END$$;
CREATE TRIGGER mr_stamp BEFORE INSERT OR UPDATE ON loc_mr FOR EACH ROW EXECUTE FUNCTION mr_stamp();
SET federate.log_remote_sql = on;
INSERT INTO my_r (name, f) VALUES ('a', 0.1), ('b', -1.5e30) RETURNING *;
RESET federate.log_remote_sql;
INSERT INTO loc_mr (name, f) VALUES ('a', 0.1), ('b', -1.5e30) RETURNING *;
INSERT INTO my_r (name, v) SELECT 'g' || g, g FROM generate_series(1, 4) g RETURNING id, stamp, v * 2 AS twice;
INSERT INTO loc_mr (name, v) SELECT 'g' || g, g FROM generate_series(1, 4) g RETURNING id, stamp, v * 2 AS twice;
INSERT INTO my_r DEFAULT VALUES RETURNING id, v;
INSERT INTO loc_mr DEFAULT VALUES RETURNING id, v;
INSERT INTO my_r VALUES (100, 'it''s', NULL, NULL, 'x') RETURNING my_r;
INSERT INTO loc_mr VALUES (100, 'it''s', NULL, NULL, 'x') RETURNING loc_mr;
SELECT same('SELECT * FROM my_r', 'SELECT * FROM loc_mr');
-- DELETE sent whole: the server returns the rows; an UPDATE with
-- RETURNING goes row by row, each row read again by its key
EXPLAIN (VERBOSE, COSTS OFF) DELETE FROM my_r WHERE id = 4 RETURNING *;
DELETE FROM my_r WHERE id = 4 RETURNING *;
DELETE FROM loc_mr WHERE id = 4 RETURNING *;
EXPLAIN (VERBOSE, COSTS OFF) UPDATE my_r SET v = v + 1 WHERE id <= 3 RETURNING *;
SET federate.log_remote_sql = on;
UPDATE my_r SET v = v + 1 WHERE id <= 3 RETURNING *;
RESET federate.log_remote_sql;
UPDATE loc_mr SET v = v + 1 WHERE id <= 3 RETURNING *;
UPDATE my_r SET id = id + 1000, name = name || '!' WHERE id = 3 RETURNING id, name, stamp;
UPDATE loc_mr SET id = id + 1000, name = name || '!' WHERE id = 3 RETURNING id, name, stamp;
DELETE FROM my_r WHERE id = 5 AND random() >= 0 RETURNING name, stamp;
DELETE FROM loc_mr WHERE id = 5 AND random() >= 0 RETURNING name, stamp;
UPDATE my_r SET v = 0 WHERE id IN (1, 2) RETURNING 1 AS one;
UPDATE loc_mr SET v = 0 WHERE id IN (1, 2) RETURNING 1 AS one;
WITH d AS (DELETE FROM my_r WHERE id >= 100 AND id < 1000 RETURNING *) SELECT count(*), sum(id) FROM d;
WITH d AS (DELETE FROM loc_mr WHERE id >= 100 AND id < 1000 RETURNING *) SELECT count(*), sum(id) FROM d;
SELECT same('SELECT * FROM my_r', 'SELECT * FROM loc_mr');
-- through a partitioned table
INSERT INTO mparted VALUES (700, 'p', 1), (1700, 'q', 2) RETURNING *;
UPDATE mparted SET v = v * 10 WHERE id IN (700, 1700) RETURNING *;
DELETE FROM mparted WHERE id IN (700, 1700) RETURNING id, name;

-- not supported yet: a clear error
INSERT INTO my_w VALUES (1, 'c', 1) ON CONFLICT DO NOTHING;
INSERT INTO mparted VALUES (1, 'c', 1) ON CONFLICT DO NOTHING;

-- TRUNCATE runs in the remote transaction (a ROLLBACK undoes it): MySQL
-- gets a DELETE (its TRUNCATE TABLE would commit the transaction), and
-- so neither RESTART IDENTITY nor CASCADE
BEGIN;
SET LOCAL federate.log_remote_sql = on;
TRUNCATE my_w;
SET LOCAL federate.log_remote_sql = off;
SELECT count(*) FROM my_w;
ROLLBACK;
SELECT count(*) > 0 AS kept FROM my_w;
TRUNCATE my_w RESTART IDENTITY;
TRUNCATE mparted CASCADE;
TRUNCATE my_swap;
SELECT count(*) FROM my_swap;

-- INSERT ... ON CONFLICT (cols) DO UPDATE goes to MariaDB as INSERT ...
-- ON DUPLICATE KEY UPDATE, the proposed row as VALUES(col).  Each
-- statement is compared with a local table of the same rows.
TRUNCATE my_w;
TRUNCATE loc_mw;
INSERT INTO my_w SELECT g, 'n' || g, g FROM generate_series(1, 10) g;
INSERT INTO loc_mw SELECT g, 'n' || g, g FROM generate_series(1, 10) g;
SET federate.log_remote_sql = on;
INSERT INTO my_w AS t VALUES (1, 'up', 5), (950, 'new', 1)
  ON CONFLICT (id) DO UPDATE SET v = t.v + EXCLUDED.v, name = EXCLUDED.name;
RESET federate.log_remote_sql;
INSERT INTO loc_mw AS t VALUES (1, 'up', 5), (950, 'new', 1)
  ON CONFLICT (id) DO UPDATE SET v = t.v + EXCLUDED.v, name = EXCLUDED.name;
SELECT same('SELECT * FROM my_w', 'SELECT * FROM loc_mw');
-- MySQL's row count says 2 for an updated row and 1 (CLIENT_FOUND_ROWS)
-- for one set to its own values: without WHERE every row sent is
-- inserted or updates one, and the command tag counts them all
CREATE FUNCTION upsert_counts(tbl text, loc text, sql text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	n bigint;
	m bigint;
BEGIN
	EXECUTE format(sql, tbl);
	GET DIAGNOSTICS n = ROW_COUNT;
	EXECUTE format(sql, loc);
	GET DIAGNOSTICS m = ROW_COUNT;
	RETURN format('federated %s, local %s', n, m);
END $$;
SELECT upsert_counts('my_w', 'loc_mw', $$INSERT INTO %I AS t SELECT g, 'b' || g, g FROM generate_series(5, 20) g
  ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name$$);
SELECT upsert_counts('my_w', 'loc_mw', $$INSERT INTO %I AS t SELECT g, 'b' || g, g FROM generate_series(5, 20) g
  ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name$$);
SELECT same('SELECT * FROM my_w', 'SELECT * FROM loc_mw');
-- RETURNING (MariaDB returns the inserted and the updated rows)
INSERT INTO my_w AS t VALUES (2, 'r', 1), (953, 'r', 1)
  ON CONFLICT (id) DO UPDATE SET v = t.v + 1 RETURNING *;
INSERT INTO loc_mw AS t VALUES (2, 'r', 1), (953, 'r', 1)
  ON CONFLICT (id) DO UPDATE SET v = t.v + 1 RETURNING *;
-- MySQL assigns from left to right: the assignments are sent in an order
-- where none reads a column assigned before it
TRUNCATE loc_swap;
INSERT INTO my_swap VALUES (1, 1, 2), (2, 3, 4);
INSERT INTO loc_swap VALUES (1, 1, 2), (2, 3, 4);
SET federate.log_remote_sql = on;
INSERT INTO my_swap AS t VALUES (1, 10, 20), (7, 70, 80)
  ON CONFLICT (id) DO UPDATE SET a = t.b + 100, b = EXCLUDED.b - t.b;
RESET federate.log_remote_sql;
INSERT INTO loc_swap AS t VALUES (1, 10, 20), (7, 70, 80)
  ON CONFLICT (id) DO UPDATE SET a = t.b + 100, b = EXCLUDED.b - t.b;
SELECT same('SELECT * FROM my_swap', 'SELECT * FROM loc_swap');
-- integer overflow fails as on PostgreSQL (the store into INT checks it)
INSERT INTO my_swap AS t VALUES (1, 2147483647, 0) ON CONFLICT (id) DO UPDATE SET a = t.a + EXCLUDED.a;
-- two proposed rows with the same key fail, as on a local table
INSERT INTO my_w AS t VALUES (1, 'x', 0), (1, 'y', 0) ON CONFLICT (id) DO UPDATE SET v = 1;
-- ... but a row before the second proposal that fails fails first, as
-- PostgreSQL inserts the rows one after another (the write tester found
-- the second proposal refused first)
DO $$
BEGIN
	BEGIN
		INSERT INTO my_w AS t VALUES (2, 'x', 0), (1, 'x', 0), (1, 'y', 0)
		  ON CONFLICT (id) DO UPDATE SET v = t.v + 99999999.99;
	EXCEPTION WHEN numeric_value_out_of_range THEN
		RAISE NOTICE 'federated: numeric_value_out_of_range';
	END;
	BEGIN
		INSERT INTO loc_mw AS t VALUES (2, 'x', 0), (1, 'x', 0), (1, 'y', 0)
		  ON CONFLICT (id) DO UPDATE SET v = t.v + 99999999.99;
	EXCEPTION WHEN numeric_value_out_of_range THEN
		RAISE NOTICE 'local: numeric_value_out_of_range';
	END;
END $$;
-- refused: a SET list whose assignments read each other's columns, a
-- WHERE (MySQL has none), a conflict target MySQL's unique keys do not
-- make the only one that updates, and DO NOTHING
INSERT INTO my_swap AS t VALUES (1, 0, 0) ON CONFLICT (id) DO UPDATE SET a = t.b, b = t.a;
INSERT INTO my_w AS t VALUES (1, 'x', 0) ON CONFLICT (id) DO UPDATE SET v = 1 WHERE t.v > 0;
CREATE FOREIGN TABLE my_up2 (id int, code varchar(10), n int) SERVER my1 OPTIONS (table_name 'up2');
INSERT INTO my_up2 VALUES (1, 'a', 1) ON CONFLICT (id) DO UPDATE SET n = 2;
INSERT INTO my_up2 VALUES (1, 'a', 1) ON CONFLICT (n) DO UPDATE SET n = 2;
INSERT INTO my_w VALUES (1, 'x', 0) ON CONFLICT (id) DO NOTHING;
SELECT same('SELECT * FROM my_w', 'SELECT * FROM loc_mw');
-- a PostgreSQL option on a MySQL table: accepted (a table option does not know its server), and ignored
ALTER FOREIGN TABLE my_w OPTIONS (ADD insert_with_copy 'false');

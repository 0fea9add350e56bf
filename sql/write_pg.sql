--
-- Writes to a PostgreSQL table.
--
CREATE FOREIGN TABLE pg_w (id int OPTIONS (key 'true'), name varchar(40), v numeric(10,2))
  SERVER pg1 OPTIONS (table_name 'w', batch_size '4');
CREATE TABLE loc_w (id int PRIMARY KEY, name varchar(40), v numeric(10,2));

SET federate.log_remote_sql = on;
INSERT INTO pg_w SELECT g, 'n' || g, g * 1.5 FROM generate_series(1, 10) g;
RESET federate.log_remote_sql;
INSERT INTO loc_w SELECT g, 'n' || g, g * 1.5 FROM generate_series(1, 10) g;
INSERT INTO pg_w VALUES (11, 'it''s; -- "q"', NULL), (12, '', 0);
INSERT INTO loc_w VALUES (11, 'it''s; -- "q"', NULL), (12, '', 0);
SELECT same('SELECT * FROM pg_w', 'SELECT * FROM loc_w');

-- shippable UPDATE and DELETE: one remote statement
EXPLAIN (VERBOSE, COSTS OFF) UPDATE pg_w SET v = v + 1 WHERE id > 5;
UPDATE pg_w SET v = v + 1 WHERE id > 5;
UPDATE loc_w SET v = v + 1 WHERE id > 5;
EXPLAIN (VERBOSE, COSTS OFF) DELETE FROM pg_w WHERE name = 'n3';
DELETE FROM pg_w WHERE name = 'n3';
DELETE FROM loc_w WHERE name = 'n3';
SELECT same('SELECT * FROM pg_w', 'SELECT * FROM loc_w');

-- not shippable (volatile function, local-only condition): row by row by key
EXPLAIN (VERBOSE, COSTS OFF) UPDATE pg_w SET name = name || (random() * 0)::int WHERE id < 3;
UPDATE pg_w SET name = name || (random() * 0)::int WHERE id < 3;
UPDATE loc_w SET name = name || (random() * 0)::int WHERE id < 3;
DELETE FROM pg_w WHERE id = 4 AND random() >= 0;
DELETE FROM loc_w WHERE id = 4 AND random() >= 0;
SELECT same('SELECT * FROM pg_w', 'SELECT * FROM loc_w');
SELECT * FROM pg_w ORDER BY id;

-- transactions: rollback and savepoints reach the shard
BEGIN;
INSERT INTO pg_w VALUES (100, 'gone', 1);
SAVEPOINT a;
INSERT INTO pg_w VALUES (101, 'also gone', 1);
ROLLBACK TO SAVEPOINT a;
SELECT id FROM pg_w WHERE id >= 100;
ROLLBACK;
SELECT count(*) FROM pg_w WHERE id >= 100;
BEGIN;
INSERT INTO pg_w VALUES (200, 'kept', 1);
SAVEPOINT b;
INSERT INTO pg_w VALUES (200, 'duplicate key', 1);
ROLLBACK TO SAVEPOINT b;
INSERT INTO pg_w VALUES (201, 'kept too', 1);
COMMIT;
SELECT id, name FROM pg_w WHERE id >= 200 ORDER BY id;
DELETE FROM pg_w WHERE id >= 200;

-- a table without a key: direct statements work, row-by-row ones are refused
CREATE FOREIGN TABLE pg_nokey (a int, b text) SERVER pg1 OPTIONS (table_name 'nokey');
UPDATE pg_nokey SET b = 'z' WHERE a = 2;
SELECT * FROM pg_nokey ORDER BY a;
UPDATE pg_nokey SET b = b || random()::int WHERE a = 2;
DELETE FROM pg_nokey WHERE a = 1 AND random() >= 0;

-- routing through a partitioned table to its partition
CREATE TABLE parted (id int, name varchar(40), v numeric(10,2)) PARTITION BY RANGE (id);
CREATE FOREIGN TABLE parted_lo PARTITION OF parted FOR VALUES FROM (MINVALUE) TO (1000)
  SERVER pg1 OPTIONS (table_name 'w');
CREATE TABLE parted_hi PARTITION OF parted FOR VALUES FROM (1000) TO (MAXVALUE);
INSERT INTO parted VALUES (500, 'routed', 5), (1500, 'local', 15);
SELECT * FROM pg_w WHERE id = 500;
SELECT * FROM parted_hi;
COPY parted FROM stdin;
600	copied	6
1600	copied hi	16
\.
SELECT * FROM pg_w WHERE id >= 500 ORDER BY id;

-- an UPDATE of the partition key: no row is left outside its partition.
-- Each new row is checked against the partition's bounds (row by row, by
-- key); one that stays is written, one that would move is refused (rows
-- are not moved between partitions yet), and the statement changes nothing.
ALTER FOREIGN TABLE parted_lo ALTER COLUMN id OPTIONS (ADD key 'true');
EXPLAIN (VERBOSE, COSTS OFF) UPDATE parted SET id = id + 1 WHERE id = 600;
UPDATE parted SET id = id + 1 WHERE id = 600;
SELECT id, name FROM parted WHERE id BETWEEN 500 AND 999 ORDER BY id;
UPDATE parted SET id = 2000 WHERE id = 601;
UPDATE parted SET id = CASE WHEN id = 500 THEN 502 ELSE 5000 END WHERE id IN (500, 601);
UPDATE parted_lo SET id = 2000 WHERE id = 601;
SELECT id, name FROM parted WHERE id BETWEEN 500 AND 999 OR id >= 2000 ORDER BY id;
SELECT id, name FROM pg_w WHERE id >= 500 ORDER BY id;
-- other columns are still sent as one statement
EXPLAIN (VERBOSE, COSTS OFF) UPDATE parted SET name = 'renamed' WHERE id = 601;
UPDATE parted SET name = 'renamed' WHERE id = 601;
SELECT id, name FROM parted WHERE id = 601;

-- SELECT ... FOR UPDATE / FOR SHARE lock the rows on the shard (NOWAIT and
-- SKIP LOCKED too): a second connection to the same database (another
-- server object) cannot take them
DO $$ BEGIN
  EXECUTE format('CREATE SERVER pg1_other FOREIGN DATA WRAPPER federate OPTIONS (host %L, port %L, dbname %L)',
                 split_part(current_setting('unix_socket_directories'), ',', 1),
                 current_setting('port'), 'fed_pg1');
END $$;
CREATE USER MAPPING FOR CURRENT_USER SERVER pg1_other;
CREATE FOREIGN TABLE pg_w_other (id int OPTIONS (key 'true'), name varchar(40), v numeric(10,2))
  SERVER pg1_other OPTIONS (table_name 'w');
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM pg_w WHERE id = 1 FOR UPDATE;
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM pg_w WHERE id = 1 FOR KEY SHARE NOWAIT;
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM parted WHERE id < 1000 FOR NO KEY UPDATE SKIP LOCKED;
BEGIN;
SELECT id, name FROM pg_w WHERE id = 1 FOR UPDATE;
SELECT id FROM pg_w_other WHERE id = 1 FOR UPDATE NOWAIT;
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
BEGIN;
SELECT id FROM pg_w WHERE id = 1 FOR SHARE;
SELECT id FROM pg_w_other WHERE id = 1 FOR SHARE NOWAIT;
SELECT id FROM pg_w_other WHERE id = 1 FOR UPDATE NOWAIT;
ROLLBACK;
BEGIN;
SELECT id FROM pg_w WHERE id = 1 FOR UPDATE;
SELECT id FROM pg_w_other WHERE id <= 5 ORDER BY id FOR UPDATE SKIP LOCKED;
ROLLBACK;
BEGIN;
SELECT id FROM pg_w_other WHERE id = 1 FOR UPDATE NOWAIT;
COMMIT;

-- ON CONFLICT DO NOTHING goes to a PostgreSQL server as written; the
-- command tag counts only the rows inserted, as on a local table
DO $$
DECLARE
	n bigint;
	m bigint;
BEGIN
	INSERT INTO pg_w VALUES (1, 'c', 1), (900, 'new', 9), (901, 'new', 9), (900, 'again', 9)
	  ON CONFLICT DO NOTHING;
	GET DIAGNOSTICS n = ROW_COUNT;
	INSERT INTO loc_w VALUES (1, 'c', 1), (900, 'new', 9), (901, 'new', 9), (900, 'again', 9)
	  ON CONFLICT DO NOTHING;
	GET DIAGNOSTICS m = ROW_COUNT;
	RAISE NOTICE 'federated: %, local: %', n, m;
	INSERT INTO pg_w VALUES (901, 'dup', 0) ON CONFLICT DO NOTHING;
	GET DIAGNOSTICS n = ROW_COUNT;
	RAISE NOTICE 'one conflicting row: %', n;
END $$;
SELECT id, name FROM pg_w WHERE id IN (1, 900, 901) ORDER BY id;
SELECT same('SELECT * FROM pg_w WHERE id IN (1, 900, 901)', 'SELECT * FROM loc_w WHERE id IN (1, 900, 901)');
INSERT INTO parted VALUES (500, 'dup', 1), (902, 'routed', 1) ON CONFLICT DO NOTHING;
SELECT id, name FROM pg_w WHERE id IN (500, 902) ORDER BY id;

-- a new value too long for its varchar(n) column fails (22001) as on a
-- local table, also when the UPDATE is sent whole (the coercion goes as
-- "varchar"(x, n, false), not as a cast, which would cut the value)
DO $$
BEGIN
	BEGIN
		UPDATE pg_w SET name = name || repeat('x', 45) WHERE id = 1;
		RAISE NOTICE 'federated: no error';
	EXCEPTION WHEN string_data_right_truncation THEN
		RAISE NOTICE 'federated: string_data_right_truncation';
	END;
	BEGIN
		UPDATE loc_w SET name = name || repeat('x', 45) WHERE id = 1;
		RAISE NOTICE 'local: no error';
	EXCEPTION WHEN string_data_right_truncation THEN
		RAISE NOTICE 'local: string_data_right_truncation';
	END;
END $$;
SELECT same('SELECT * FROM pg_w WHERE id < 500', 'SELECT * FROM loc_w WHERE id < 500');

-- a row a join gives more than once is changed once, and counted once
DO $$
DECLARE
	n bigint;
	m bigint;
BEGIN
	UPDATE pg_w SET v = v + 1 FROM (VALUES (1), (1), (2), (2), (2)) s(x) WHERE pg_w.id = s.x;
	GET DIAGNOSTICS n = ROW_COUNT;
	UPDATE loc_w SET v = v + 1 FROM (VALUES (1), (1), (2), (2), (2)) s(x) WHERE loc_w.id = s.x;
	GET DIAGNOSTICS m = ROW_COUNT;
	RAISE NOTICE 'UPDATE ... FROM: federated %, local %', n, m;
END $$;
SELECT same('SELECT * FROM pg_w WHERE id < 500', 'SELECT * FROM loc_w WHERE id < 500');

-- a row-by-row UPDATE or DELETE whose subquery reads the same table sees
-- the table as it was when the statement started: its writes wait until
-- its reads are over
SELECT same('SELECT * FROM pg_w WHERE id < 500', 'SELECT * FROM loc_w WHERE id < 500');
UPDATE pg_w SET name = 'gone', v = (SELECT count(*) FROM pg_w w2 WHERE w2.name = pg_w.name OR w2.name = 'gone') WHERE id < 500;
UPDATE loc_w SET name = 'gone', v = (SELECT count(*) FROM loc_w w2 WHERE w2.name = loc_w.name OR w2.name = 'gone') WHERE id < 500;
SELECT same('SELECT * FROM pg_w WHERE id < 500', 'SELECT * FROM loc_w WHERE id < 500');
UPDATE pg_w SET v = id WHERE id < 500;
UPDATE loc_w SET v = id WHERE id < 500;
DELETE FROM pg_w WHERE id > 1 AND id < 500 AND v < (SELECT avg(v) FROM pg_w w2 WHERE w2.id < 500 AND w2.name = pg_w.name);
DELETE FROM loc_w WHERE id > 1 AND id < 500 AND v < (SELECT avg(v) FROM loc_w w2 WHERE w2.id < 500 AND w2.name = loc_w.name);
SELECT same('SELECT * FROM pg_w WHERE id < 500', 'SELECT * FROM loc_w WHERE id < 500');
SELECT id, name, v FROM pg_w WHERE id < 500 ORDER BY id;

-- COPY FROM collects rows into batches of batch_size (here 4) and sends
-- each without waiting for the one before: a batch that fails fails the
-- COPY (its error names a later line), and a rollback leaves none of it
BEGIN;
COPY pg_w FROM stdin;
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
SELECT count(*), sum(v) FROM pg_w WHERE id BETWEEN 3000 AND 3999;
SAVEPOINT s;
-- (where the error is noticed, so its context, depends on timing)
\set VERBOSITY terse
COPY pg_w FROM stdin;
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
SELECT count(*), sum(v) FROM pg_w WHERE id BETWEEN 3000 AND 3999;
ROLLBACK;
SELECT count(*) FROM pg_w WHERE id BETWEEN 3000 AND 3999;

-- RETURNING gives the rows as the server wrote them: its serial, its
-- defaults, its triggers' changes.  An INSERT sends the columns it names
-- (and those with a default here), so the server fills in the others, as
-- a local table does.  loc_r is the same table on the coordinator.
\c fed_pg1
CREATE TABLE r (id serial PRIMARY KEY, name text, v numeric(10,2) DEFAULT 7, stamp text);
CREATE FUNCTION r_stamp() RETURNS trigger LANGUAGE plpgsql AS
  $$BEGIN NEW.stamp := upper(NEW.name) || '/' || NEW.v; RETURN NEW; END$$;
CREATE TRIGGER r_stamp BEFORE INSERT OR UPDATE ON r FOR EACH ROW EXECUTE FUNCTION r_stamp();
CREATE TABLE w2 (id int PRIMARY KEY, name varchar(40), v numeric(10,2));
\c contrib_regression
CREATE FOREIGN TABLE pg_r (id int OPTIONS (key 'true'), name text, v numeric(10,2), stamp text)
  SERVER pg1 OPTIONS (table_name 'r', batch_size '10');
CREATE TABLE loc_r (id serial PRIMARY KEY, name text, v numeric(10,2) DEFAULT 7, stamp text);
CREATE FUNCTION r_stamp() RETURNS trigger LANGUAGE plpgsql AS
  $$BEGIN NEW.stamp := upper(NEW.name) || '/' || NEW.v; RETURN NEW; END$$;
CREATE TRIGGER r_stamp BEFORE INSERT OR UPDATE ON loc_r FOR EACH ROW EXECUTE FUNCTION r_stamp();
SET federate.log_remote_sql = on;
INSERT INTO pg_r (name) VALUES ('a'), ('b') RETURNING *;
RESET federate.log_remote_sql;
INSERT INTO loc_r (name) VALUES ('a'), ('b') RETURNING *;
INSERT INTO pg_r (name, v) SELECT 'g' || g, g FROM generate_series(1, 4) g RETURNING id, stamp, v * 2 AS twice;
INSERT INTO loc_r (name, v) SELECT 'g' || g, g FROM generate_series(1, 4) g RETURNING id, stamp, v * 2 AS twice;
INSERT INTO pg_r VALUES (100, 'it''s', NULL, 'x') RETURNING pg_r;
INSERT INTO loc_r VALUES (100, 'it''s', NULL, 'x') RETURNING loc_r;
INSERT INTO pg_r DEFAULT VALUES RETURNING id, v;
INSERT INTO loc_r DEFAULT VALUES RETURNING id, v;
SELECT same('SELECT * FROM pg_r', 'SELECT * FROM loc_r');
-- UPDATE and DELETE sent whole: the server returns the rows
EXPLAIN (VERBOSE, COSTS OFF) UPDATE pg_r SET v = v + 1 WHERE id <= 3 RETURNING *;
UPDATE pg_r SET v = v + 1 WHERE id <= 3 RETURNING *;
UPDATE loc_r SET v = v + 1 WHERE id <= 3 RETURNING *;
UPDATE pg_r SET name = name || '!' WHERE id > 1000 RETURNING *;
DELETE FROM pg_r WHERE id = 4 RETURNING *;
DELETE FROM loc_r WHERE id = 4 RETURNING *;
-- row by row: each statement returns its row
UPDATE pg_r SET v = v + (random() * 0)::int WHERE id IN (5, 6) RETURNING id, v, stamp;
UPDATE loc_r SET v = v + (random() * 0)::int WHERE id IN (5, 6) RETURNING id, v, stamp;
DELETE FROM pg_r WHERE id = 5 AND random() >= 0 RETURNING name, stamp;
DELETE FROM loc_r WHERE id = 5 AND random() >= 0 RETURNING name, stamp;
-- RETURNING without a column of the table; in a CTE; the command tags
UPDATE pg_r SET v = 0 WHERE id IN (1, 2) RETURNING 1 AS one;
UPDATE loc_r SET v = 0 WHERE id IN (1, 2) RETURNING 1 AS one;
WITH d AS (DELETE FROM pg_r WHERE id >= 100 RETURNING *) SELECT count(*), sum(id) FROM d;
WITH d AS (DELETE FROM loc_r WHERE id >= 100 RETURNING *) SELECT count(*), sum(id) FROM d;
-- ON CONFLICT DO NOTHING returns the rows inserted only
INSERT INTO pg_r VALUES (1, 'dup', 0), (200, 'new', 0) ON CONFLICT DO NOTHING RETURNING id, stamp;
INSERT INTO loc_r VALUES (1, 'dup', 0), (200, 'new', 0) ON CONFLICT DO NOTHING RETURNING id, stamp;
SELECT same('SELECT * FROM pg_r', 'SELECT * FROM loc_r');
-- through a partitioned table: routed rows, and partitions updated in place
INSERT INTO parted VALUES (700, 'p', 1), (1700, 'q', 2) RETURNING *;
UPDATE parted SET v = v * 10 WHERE id IN (700, 1700) RETURNING *;
DELETE FROM parted WHERE id IN (700, 1700) RETURNING id, name;
-- a statement that reads the table it changes row by row sends its writes
-- after its reads (see above): too late for RETURNING
UPDATE pg_r SET v = (SELECT count(*) FROM pg_r r2 WHERE r2.name = pg_r.name) RETURNING id;

-- an INSERT or COPY into a foreign partition itself keeps to its bounds
INSERT INTO parted_lo VALUES (5000, 'out of range', 1);
COPY parted_lo FROM stdin;
5001	out of range	1
\.
SELECT count(*) FROM pg_w WHERE id >= 5000;

-- an UPDATE that moves a row from a local partition into a foreign one:
-- allowed when the foreign partition is not also updated by it; refused
-- when it is (its rows would be updated again, or its state replaced)
CREATE TABLE parted2 (id int, name varchar(40), v numeric(10,2)) PARTITION BY RANGE (id);
CREATE TABLE parted2_lo PARTITION OF parted2 FOR VALUES FROM (MINVALUE) TO (1000);
CREATE FOREIGN TABLE parted2_hi PARTITION OF parted2 FOR VALUES FROM (1000) TO (MAXVALUE)
  SERVER pg1 OPTIONS (table_name 'w2');
ALTER FOREIGN TABLE parted2_hi ALTER COLUMN id OPTIONS (ADD key 'true');
INSERT INTO parted2 VALUES (7, 'local', 7), (8, 'local', 8), (1008, 'remote', 8);
UPDATE parted2 SET id = id + 4000 WHERE id = 7;
SELECT * FROM parted2 WHERE id IN (7, 4007) ORDER BY id;
UPDATE parted2 SET id = id + 4000 WHERE id IN (8, 1008);
SELECT * FROM parted2 ORDER BY id;
DELETE FROM parted2;

-- TRUNCATE runs in the remote transaction (a ROLLBACK undoes it), one
-- statement per server with RESTART IDENTITY and CASCADE sent along; a
-- partitioned table's foreign partitions are emptied with its local ones
BEGIN;
SET LOCAL federate.log_remote_sql = on;
TRUNCATE pg_w RESTART IDENTITY CASCADE;
SET LOCAL federate.log_remote_sql = off;
SELECT count(*) FROM pg_w;
ROLLBACK;
SELECT count(*) > 0 AS kept FROM pg_w;
BEGIN;
TRUNCATE parted;
SELECT (SELECT count(*) FROM parted) AS parted, (SELECT count(*) FROM pg_w) AS remote;
ROLLBACK;
SELECT count(*) > 0 AS kept FROM parted_lo;
TRUNCATE pg_nokey;
SELECT count(*) FROM pg_nokey;
-- a TRUNCATE after a read of the same server through another connection
-- of the transaction (here the subquery's) would wait for that read's lock
-- until the transaction ends: refused instead
BEGIN;
UPDATE pg_w SET v = v WHERE id IN (SELECT id FROM pg_w WHERE name LIKE '%');
TRUNCATE pg_w;
ROLLBACK;

-- INSERT ... ON CONFLICT with a conflict target: the remote table's
-- unique keys decide, so the conflict target goes to the server as
-- written, with DO NOTHING or DO UPDATE (the row there as r1, the proposed
-- one as EXCLUDED).  Each statement is compared with loc_w, which has the
-- same rows.
TRUNCATE pg_w;
TRUNCATE loc_w;
INSERT INTO pg_w SELECT g, 'n' || g, g FROM generate_series(1, 10) g;
INSERT INTO loc_w SELECT g, 'n' || g, g FROM generate_series(1, 10) g;
SET federate.log_remote_sql = on;
INSERT INTO pg_w AS t VALUES (1, 'up', 5), (950, 'new', 1)
  ON CONFLICT (id) DO UPDATE SET v = t.v + EXCLUDED.v, name = EXCLUDED.name || '!';
INSERT INTO pg_w VALUES (2, 'skip', 0), (951, 'new', 1) ON CONFLICT (id) DO NOTHING;
RESET federate.log_remote_sql;
INSERT INTO loc_w AS t VALUES (1, 'up', 5), (950, 'new', 1)
  ON CONFLICT (id) DO UPDATE SET v = t.v + EXCLUDED.v, name = EXCLUDED.name || '!';
INSERT INTO loc_w VALUES (2, 'skip', 0), (951, 'new', 1) ON CONFLICT (id) DO NOTHING;
SELECT same('SELECT * FROM pg_w', 'SELECT * FROM loc_w');
-- the command tag counts the rows inserted and updated; those DO UPDATE
-- ... WHERE skips are not, as on a local table
CREATE FUNCTION upsert_counts(tbl text, sql text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	n bigint;
	m bigint;
BEGIN
	EXECUTE format(sql, tbl);
	GET DIAGNOSTICS n = ROW_COUNT;
	EXECUTE format(sql, 'loc_w');
	GET DIAGNOSTICS m = ROW_COUNT;
	RETURN format('federated %s, local %s', n, m);
END $$;
SELECT upsert_counts('pg_w', $$INSERT INTO %I AS t VALUES (1, 'a', 0), (3, 'b', 0), (952, 'c', 0)
  ON CONFLICT (id) DO UPDATE SET v = -1 WHERE t.v > 3$$);
SELECT upsert_counts('pg_w', $$INSERT INTO %I AS t SELECT g, 'b' || g, g FROM generate_series(5, 20) g
  ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, v = t.v * 2$$);
SELECT same('SELECT * FROM pg_w', 'SELECT * FROM loc_w');
-- RETURNING gives the rows inserted and updated
INSERT INTO pg_w AS t VALUES (2, 'r', 1), (953, 'r', 1), (4, 'r', 1)
  ON CONFLICT (id) DO UPDATE SET v = t.v * 3 WHERE t.v < 3 RETURNING *;
INSERT INTO loc_w AS t VALUES (2, 'r', 1), (953, 'r', 1), (4, 'r', 1)
  ON CONFLICT (id) DO UPDATE SET v = t.v * 3 WHERE t.v < 3 RETURNING *;
-- two proposed rows with the same key fail, also in different batches
-- (batch_size is 4 here), as on a local table
INSERT INTO pg_w AS t SELECT g % 6 + 1, 'x', 0 FROM generate_series(1, 10) g
  ON CONFLICT (id) DO UPDATE SET v = 1;
INSERT INTO loc_w AS t SELECT g % 6 + 1, 'x', 0 FROM generate_series(1, 10) g
  ON CONFLICT (id) DO UPDATE SET v = 1;
-- a parameter, a stable function, an uncorrelated subquery: computed here
-- once per statement, sent as values; a generic plan too
PREPARE ups(int, numeric) AS INSERT INTO pg_w AS t VALUES ($1, 'p', $2)
  ON CONFLICT (id) DO UPDATE SET v = t.v + $2, name = (SELECT max(name) FROM loc_w) || length(current_user);
PREPARE ups_l(int, numeric) AS INSERT INTO loc_w AS t VALUES ($1, 'p', $2)
  ON CONFLICT (id) DO UPDATE SET v = t.v + $2, name = (SELECT max(name) FROM loc_w) || length(current_user);
SET plan_cache_mode = force_generic_plan;
EXECUTE ups(3, 10);
EXECUTE ups(960, 1);
EXECUTE ups_l(3, 10);
EXECUTE ups_l(960, 1);
RESET plan_cache_mode;
SELECT same('SELECT * FROM pg_w', 'SELECT * FROM loc_w');
-- in a WITH query
WITH u AS (INSERT INTO pg_w AS t VALUES (5, 'cte', 0) ON CONFLICT (id) DO UPDATE SET name = 'cte' RETURNING id, name)
SELECT * FROM u;
-- through a partitioned table whose partitions are all foreign tables:
-- each row conflicts with the rows of the partition it is routed to
CREATE TABLE fparted (id int, name varchar(40), v numeric(10,2)) PARTITION BY RANGE (id);
CREATE FOREIGN TABLE fparted_a PARTITION OF fparted FOR VALUES FROM (MINVALUE) TO (1000)
  SERVER pg1 OPTIONS (table_name 'w');
CREATE FOREIGN TABLE fparted_b PARTITION OF fparted FOR VALUES FROM (1000) TO (MAXVALUE)
  SERVER pg1 OPTIONS (table_name 'w2');
CREATE TABLE loc_fparted (id int, name varchar(40), v numeric(10,2), PRIMARY KEY (id)) PARTITION BY RANGE (id);
CREATE TABLE loc_fparted_a PARTITION OF loc_fparted FOR VALUES FROM (MINVALUE) TO (1000);
CREATE TABLE loc_fparted_b PARTITION OF loc_fparted FOR VALUES FROM (1000) TO (MAXVALUE);
INSERT INTO loc_fparted SELECT * FROM pg_w;
INSERT INTO loc_fparted SELECT * FROM fparted_b;
INSERT INTO fparted AS t VALUES (1, 'p1', 1), (1001, 'p2', 2), (1002, 'p3', 3), (6, 'p4', 4)
  ON CONFLICT (id) DO UPDATE SET name = t.name || EXCLUDED.name, id = EXCLUDED.id;
INSERT INTO loc_fparted AS t VALUES (1, 'p1', 1), (1001, 'p2', 2), (1002, 'p3', 3), (6, 'p4', 4)
  ON CONFLICT (id) DO UPDATE SET name = t.name || EXCLUDED.name, id = EXCLUDED.id;
INSERT INTO fparted AS t VALUES (1001, 'p5', 5) ON CONFLICT (id) DO UPDATE SET v = EXCLUDED.v;
INSERT INTO loc_fparted AS t VALUES (1001, 'p5', 5) ON CONFLICT (id) DO UPDATE SET v = EXCLUDED.v;
SELECT same('SELECT * FROM fparted', 'SELECT * FROM loc_fparted');
-- errors: a partition key column may keep its value or take the proposed
-- row's, nothing else (the row would leave its partition)
INSERT INTO fparted AS t VALUES (1, 'k', 1) ON CONFLICT (id) DO UPDATE SET id = t.id + 1;
-- a conflict target that no unique key of the remote table matches
INSERT INTO pg_w VALUES (1, 'c', 1) ON CONFLICT (name) DO UPDATE SET v = 0;
-- an expression, or an index predicate, in the conflict target
INSERT INTO pg_w VALUES (1, 'c', 1) ON CONFLICT (abs(id)) DO UPDATE SET v = 0;
INSERT INTO pg_w VALUES (1, 'c', 1) ON CONFLICT (id) WHERE v > 0 DO UPDATE SET v = 0;
-- a new value the server cannot compute as PostgreSQL does
INSERT INTO pg_w AS t VALUES (1, 'c', 1) ON CONFLICT (id) DO UPDATE SET v = random();
-- a table with a local partition keeps PostgreSQL's own rules
INSERT INTO parted VALUES (1, 'c', 1) ON CONFLICT (id) DO UPDATE SET v = 0;
-- a view WITH CHECK OPTION would check the proposed row, not the updated
-- one; row triggers here would fire as for an insert
CREATE VIEW pg_w_small AS SELECT * FROM pg_w WHERE v < 100 WITH CHECK OPTION;
INSERT INTO pg_w_small AS t VALUES (1, 'c', 1) ON CONFLICT (id) DO UPDATE SET v = 1000;
CREATE FUNCTION noop_trigger() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$;
CREATE TRIGGER noop BEFORE INSERT ON pg_w FOR EACH ROW EXECUTE FUNCTION noop_trigger();
INSERT INTO pg_w AS t VALUES (1, 'c', 1) ON CONFLICT (id) DO UPDATE SET v = 0;
DROP TRIGGER noop ON pg_w;
SELECT same('SELECT * FROM pg_w', 'SELECT * FROM loc_fparted_a');

-- several rows for a PostgreSQL server go as one COPY ... FROM STDIN, in
-- its text format: a tab, newline, carriage return or backslash in a
-- value is escaped, and NULL is \N (a value "\N" is not NULL)
TRUNCATE pg_w;
TRUNCATE loc_w;
SET federate.log_remote_sql = on;
INSERT INTO pg_w VALUES (1, E'tab\there', 1), (2, E'new\nline', 2), (3, E'back\\slash', 3),
  (4, '\N', 4), (5, NULL, NULL), (6, E'cr\r', 6), (7, 'ünï 🙂', 7), (8, '\.', 8), (9, '', 0);
RESET federate.log_remote_sql;
INSERT INTO loc_w VALUES (1, E'tab\there', 1), (2, E'new\nline', 2), (3, E'back\\slash', 3),
  (4, '\N', 4), (5, NULL, NULL), (6, E'cr\r', 6), (7, 'ünï 🙂', 7), (8, '\.', 8), (9, '', 0);
SELECT same('SELECT * FROM pg_w', 'SELECT * FROM loc_w');
SELECT id, name IS NULL AS null_name, length(name) FROM pg_w ORDER BY id;
-- insert_with_copy 'false' (a remote view or rules take INSERTs only)
ALTER FOREIGN TABLE pg_w OPTIONS (ADD insert_with_copy 'false');
SET federate.log_remote_sql = on;
INSERT INTO pg_w VALUES (20, 'a', 1), (21, 'b', 2);
RESET federate.log_remote_sql;
ALTER FOREIGN TABLE pg_w OPTIONS (DROP insert_with_copy);
ALTER FOREIGN TABLE pg_w OPTIONS (ADD insert_with_copy 'maybe');

-- two levels of partitions (RANGE, then HASH under the first; a DEFAULT
-- partition), all foreign: rows routed through both levels go as COPY
-- batches, and upserts conflict within their leaf
\c fed_pg1
CREATE TABLE w3 (id int PRIMARY KEY, name varchar(40), v numeric(10,2));
CREATE TABLE w4 (id int PRIMARY KEY, name varchar(40), v numeric(10,2));
\c contrib_regression
CREATE TABLE two (id int, name varchar(40), v numeric(10,2)) PARTITION BY RANGE (id);
CREATE TABLE two_lo PARTITION OF two FOR VALUES FROM (MINVALUE) TO (1000) PARTITION BY HASH (id);
CREATE FOREIGN TABLE two_lo0 PARTITION OF two_lo FOR VALUES WITH (MODULUS 2, REMAINDER 0)
  SERVER pg1 OPTIONS (table_name 'w3');
CREATE FOREIGN TABLE two_lo1 PARTITION OF two_lo FOR VALUES WITH (MODULUS 2, REMAINDER 1)
  SERVER pg1 OPTIONS (table_name 'w4');
CREATE FOREIGN TABLE two_hi PARTITION OF two DEFAULT SERVER pg1 OPTIONS (table_name 'w2');
CREATE TABLE loc_two (id int PRIMARY KEY, name varchar(40), v numeric(10,2)) PARTITION BY RANGE (id);
CREATE TABLE loc_two_lo PARTITION OF loc_two FOR VALUES FROM (MINVALUE) TO (1000) PARTITION BY HASH (id);
CREATE TABLE loc_two_lo0 PARTITION OF loc_two_lo FOR VALUES WITH (MODULUS 2, REMAINDER 0);
CREATE TABLE loc_two_lo1 PARTITION OF loc_two_lo FOR VALUES WITH (MODULUS 2, REMAINDER 1);
CREATE TABLE loc_two_hi PARTITION OF loc_two DEFAULT;
INSERT INTO loc_two SELECT * FROM two_hi;
INSERT INTO two SELECT g, 'r' || g, g FROM generate_series(990, 999) g
  UNION ALL SELECT g, 'r' || g, g FROM generate_series(5000, 5010) g;
INSERT INTO loc_two SELECT g, 'r' || g, g FROM generate_series(990, 999) g
  UNION ALL SELECT g, 'r' || g, g FROM generate_series(5000, 5010) g;
INSERT INTO two AS t SELECT g, 'u' || g, 1 FROM generate_series(980, 1020, 4) g
  UNION ALL SELECT g, 'u' || g, 1 FROM generate_series(5000, 5020, 3) g
  ON CONFLICT (id) DO UPDATE SET v = t.v + EXCLUDED.v, name = EXCLUDED.name;
INSERT INTO loc_two AS t SELECT g, 'u' || g, 1 FROM generate_series(980, 1020, 4) g
  UNION ALL SELECT g, 'u' || g, 1 FROM generate_series(5000, 5020, 3) g
  ON CONFLICT (id) DO UPDATE SET v = t.v + EXCLUDED.v, name = EXCLUDED.name;
SELECT same('SELECT * FROM two', 'SELECT * FROM loc_two');
SELECT tableoid::regclass, count(*) FROM two GROUP BY 1 ORDER BY 1;
-- (the remote tables go again: later tests import the server's tables)
DROP TABLE two, loc_two;
\c fed_pg1
DROP TABLE w3, w4;
\c contrib_regression
-- an INSERT ... SELECT reading the table it writes, two partitions on one
-- server and one local (an Append of scans that run one after another):
-- every read starts before the statement's first write, so none sees the
-- rows the statement inserted (the second partition's read, begun after
-- rows went into it through the same connection, saw them)
\c fed_pg1
CREATE TABLE hsa (id int PRIMARY KEY, k int);
CREATE TABLE hsb (id int PRIMARY KEY, k int);
\c contrib_regression
CREATE TABLE hs (id int, k int) PARTITION BY LIST (k);
CREATE FOREIGN TABLE hs_a PARTITION OF hs FOR VALUES IN (1) SERVER pg1 OPTIONS (table_name 'hsa');
CREATE FOREIGN TABLE hs_b PARTITION OF hs FOR VALUES IN (2) SERVER pg1 OPTIONS (table_name 'hsb');
CREATE TABLE hs_c PARTITION OF hs FOR VALUES IN (3);
CREATE TABLE loc_hs (id int, k int) PARTITION BY LIST (k);
CREATE TABLE loc_hs_a PARTITION OF loc_hs FOR VALUES IN (1);
CREATE TABLE loc_hs_b PARTITION OF loc_hs FOR VALUES IN (2);
CREATE TABLE loc_hs_c PARTITION OF loc_hs FOR VALUES IN (3);
INSERT INTO hs SELECT g, 1 + g % 3 FROM generate_series(1, 30) g;
INSERT INTO loc_hs SELECT g, 1 + g % 3 FROM generate_series(1, 30) g;
INSERT INTO hs SELECT id + 1000, 1 + k % 3 FROM hs WHERE id < 5000;
INSERT INTO loc_hs SELECT id + 1000, 1 + k % 3 FROM loc_hs WHERE id < 5000;
SELECT same('SELECT * FROM hs', 'SELECT * FROM loc_hs');
BEGIN;
WITH i AS (INSERT INTO hs SELECT id + 10000, 1 + k % 3 FROM hs WHERE id < 50000 RETURNING k)
SELECT k, count(*) FROM i GROUP BY k ORDER BY k;
WITH i AS (INSERT INTO loc_hs SELECT id + 10000, 1 + k % 3 FROM loc_hs WHERE id < 50000 RETURNING k)
SELECT k, count(*) FROM i GROUP BY k ORDER BY k;
COMMIT;
SELECT same('SELECT * FROM hs', 'SELECT * FROM loc_hs');
SELECT tableoid::regclass, count(*) FROM hs GROUP BY 1 ORDER BY 1;
DROP TABLE hs, loc_hs;
\c fed_pg1
DROP TABLE hsa, hsb;
\c contrib_regression

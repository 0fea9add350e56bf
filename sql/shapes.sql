--
-- Query shapes that crashed the coordinator or gave wrong answers, each
-- compared with the same query on loc.many, a local table holding the same
-- rows.  "many" has 30 hash partitions: 12 in fed_pg1, 9 in fed_pg2 and 9
-- on MariaDB, more than one server's worth of parallel connections.
--
\c fed_pg1
DO $$ BEGIN
  FOR i IN 0..11 LOOP
    EXECUTE format('CREATE TABLE many_%s (id int PRIMARY KEY, k int NOT NULL, region varchar(20), amount numeric(12,2))', i);
  END LOOP;
END $$;
\c fed_pg2
DO $$ BEGIN
  FOR i IN 12..20 LOOP
    EXECUTE format('CREATE TABLE many_%s (id int PRIMARY KEY, k int NOT NULL, region varchar(20), amount numeric(12,2))', i);
  END LOOP;
END $$;
\c contrib_regression
CREATE TABLE many (id int, k int NOT NULL, region varchar(20), amount numeric(12,2))
  PARTITION BY HASH (k);
DO $$ BEGIN
  FOR i IN 0..29 LOOP
    EXECUTE format('CREATE FOREIGN TABLE many_p%s PARTITION OF many FOR VALUES WITH (MODULUS 30, REMAINDER %s) SERVER %s OPTIONS (%s)',
                   i, i,
                   CASE WHEN i < 12 THEN 'pg1' WHEN i < 21 THEN 'pg2' ELSE 'my1' END,
                   CASE WHEN i < 21 THEN format('schema_name %L, table_name %L', 'public', 'many_' || i)
                        ELSE format('table_name %L', 'many_m' || (i - 21)) END);
  END LOOP;
END $$;
CREATE TABLE loc.many (LIKE many);
INSERT INTO loc.many
SELECT g, g % 97,
  (ARRAY['east', 'East', 'east ', 'west', NULL, 'it''s', 'naïve'])[g % 7 + 1],
  CASE WHEN g % 11 = 0 THEN NULL ELSE (g * 37 % 10000) / 100.0 - 20 END
FROM generate_series(1, 6000) g;
INSERT INTO many SELECT * FROM loc.many;
-- a small table of the coordinator to correlate with
CREATE TABLE loc.picks (k int);
INSERT INTO loc.picks VALUES (1), (14), (50), (96), (200), (NULL);

-- (same_rows(a, b) and same_exec(a, b) are in setup.sql)

-- 1. more than 8 partitions of a table on one server: every partition's
-- partial aggregate and rows arrive (they were read from the wrong slot)
SELECT count(*), sum(id), sum(amount), count(DISTINCT region) FROM many;
SELECT count(*), sum(id), sum(amount), count(DISTINCT region) FROM loc.many;
SELECT same_rows('SELECT region, count(*), sum(amount), avg(amount), min(id), max(id) FROM many GROUP BY region',
                 'SELECT region, count(*), sum(amount), avg(amount), min(id), max(id) FROM loc.many GROUP BY region');
SELECT same_rows('SELECT k, count(*), sum(amount) FROM many GROUP BY k',
                 'SELECT k, count(*), sum(amount) FROM loc.many GROUP BY k');
SELECT count(*), count(DISTINCT tableoid), bool_and(tableoid::regclass::text LIKE 'many_p%') FROM many;
-- sorted merge over them
SELECT same_rows('SELECT id, region FROM many ORDER BY id LIMIT 50',
                 'SELECT id, region FROM loc.many ORDER BY id LIMIT 50');

-- 2. run-time pruning with columns selected out of table order (crashed):
-- generic plans, LATERAL, correlated subqueries, on both engines
-- a key held by a PostgreSQL shard and one held by MariaDB
SELECT min(k) AS pg_k FROM many WHERE tableoid = 'many_p3'::regclass \gset
SELECT min(k) AS my_k FROM many WHERE tableoid = 'many_p25'::regclass \gset
SELECT :pg_k AS pg_k, :my_k AS my_k;
INSERT INTO loc.picks VALUES (:pg_k), (:my_k);
SET plan_cache_mode = force_generic_plan;
PREPARE p1(int) AS SELECT region, amount, k FROM many WHERE k = $1 ORDER BY region, amount;
PREPARE l1(int) AS SELECT region, amount, k FROM loc.many WHERE k = $1 ORDER BY region, amount;
EXPLAIN (COSTS OFF) EXECUTE p1(14);
SELECT same_exec(format('p1(%s)', :pg_k), format('l1(%s)', :pg_k)) AS pg,
       same_exec(format('p1(%s)', :my_k), format('l1(%s)', :my_k)) AS mysql,
       same_exec('p1(1000)', 'l1(1000)') AS none;
PREPARE p2(int) AS SELECT count(*), sum(amount), max(region) FROM many WHERE k = $1;
PREPARE l2(int) AS SELECT count(*), sum(amount), max(region) FROM loc.many WHERE k = $1;
SELECT same_exec(format('p2(%s)', :pg_k), format('l2(%s)', :pg_k)) AS pg,
       same_exec(format('p2(%s)', :my_k), format('l2(%s)', :my_k)) AS mysql;
RESET plan_cache_mode;
-- the sixth EXECUTE of a default plan_cache_mode switches to a generic plan
PREPARE p3(int) AS SELECT region, k FROM many WHERE k = $1;
PREPARE l3(int) AS SELECT region, k FROM loc.many WHERE k = $1;
SELECT n, same_exec(format('p3(%s)', k), format('l3(%s)', k))
FROM (SELECT n, CASE WHEN n % 2 = 0 THEN :pg_k ELSE :my_k END AS k
      FROM generate_series(1, 8) n) s;
SELECT same_rows('SELECT p.k, x.region, x.c FROM loc.picks p LEFT JOIN LATERAL (SELECT region, count(*) AS c, k FROM many m WHERE m.k = p.k GROUP BY region, k) x ON true',
                 'SELECT p.k, x.region, x.c FROM loc.picks p LEFT JOIN LATERAL (SELECT region, count(*) AS c, k FROM loc.many m WHERE m.k = p.k GROUP BY region, k) x ON true');
SELECT same_rows('SELECT p.k, x.* FROM loc.picks p LEFT JOIN LATERAL (SELECT amount, region FROM many m WHERE m.k = p.k ORDER BY id LIMIT 3) x ON true',
                 'SELECT p.k, x.* FROM loc.picks p LEFT JOIN LATERAL (SELECT amount, region FROM loc.many m WHERE m.k = p.k ORDER BY id LIMIT 3) x ON true');
SELECT same_rows('SELECT p.k, (SELECT sum(amount) FROM many m WHERE m.k = p.k), (SELECT max(region) FROM many m WHERE m.k = p.k) FROM loc.picks p',
                 'SELECT p.k, (SELECT sum(amount) FROM loc.many m WHERE m.k = p.k), (SELECT max(region) FROM loc.many m WHERE m.k = p.k) FROM loc.picks p');
-- rescans stopped early (EXISTS) and run to the end (NOT EXISTS)
SELECT same_rows('SELECT p.k FROM loc.picks p WHERE EXISTS (SELECT 1 FROM many m WHERE m.k = p.k AND m.region = ''east'')',
                 'SELECT p.k FROM loc.picks p WHERE EXISTS (SELECT 1 FROM loc.many m WHERE m.k = p.k AND m.region = ''east'')');
SELECT same_rows('SELECT p.k FROM loc.picks p WHERE NOT EXISTS (SELECT 1 FROM many m WHERE m.amount > p.k)',
                 'SELECT p.k FROM loc.picks p WHERE NOT EXISTS (SELECT 1 FROM loc.many m WHERE m.amount > p.k)');
SELECT same_rows('SELECT g, (SELECT id FROM many m WHERE m.region = ''west'' AND m.id > g ORDER BY id LIMIT 1) FROM generate_series(1, 60) g',
                 'SELECT g, (SELECT id FROM loc.many m WHERE m.region = ''west'' AND m.id > g ORDER BY id LIMIT 1) FROM generate_series(1, 60) g');

-- 3. FETCH FIRST ... WITH TIES: no per-shard LIMIT
SELECT count(*) FROM (SELECT * FROM many ORDER BY k FETCH FIRST 1 ROWS WITH TIES) s;
SELECT count(*) FROM (SELECT * FROM loc.many ORDER BY k FETCH FIRST 1 ROWS WITH TIES) s;
SELECT same_rows('SELECT id, k FROM many ORDER BY k DESC, region FETCH FIRST 3 ROWS WITH TIES',
                 'SELECT id, k FROM loc.many ORDER BY k DESC, region FETCH FIRST 3 ROWS WITH TIES');

-- 4. conditions without a column of the table (pseudoconstants) hold
-- when aggregates are pushed down
SELECT count(*), sum(amount) FROM many WHERE now() < '2000-01-01';
SELECT region, count(*) FROM many WHERE current_setting('TimeZone') = 'Mars/Olympus' GROUP BY region;
SELECT k, count(*) FROM many WHERE now() < '2000-01-01' GROUP BY k;
SELECT count(*) FROM many WHERE k = 14 AND now() < '2000-01-01';
SELECT count(*) FROM many WHERE now() > '2000-01-01';
EXPLAIN (COSTS OFF) SELECT count(*), sum(amount) FROM many WHERE now() < '2000-01-01';

-- 5. two conditions on one column that PostgreSQL folds into a constant
-- comparison: no row is 'east' and 'east ' at once
SELECT count(*) FROM many_p0 WHERE region = 'east' AND region = 'east ';
SELECT count(*), min(id) FROM many_p21 WHERE region = 'east' AND region = 'east ';
SELECT id FROM many_p0 WHERE region = 'east' AND region = 'east ';
SELECT region, count(*) FROM many WHERE region = 'east' AND region = 'east ' GROUP BY region;

-- 6. a non-superuser's mapping must authenticate by its password: a dummy
-- password under trust authentication is refused, as postgres_fdw does
CREATE ROLE fed_nosuper LOGIN;
GRANT USAGE ON FOREIGN SERVER pg1 TO fed_nosuper;
CREATE USER MAPPING FOR fed_nosuper SERVER pg1 OPTIONS (password 'dummy');
GRANT SELECT ON many_p0 TO fed_nosuper;
SET ROLE fed_nosuper;
SELECT count(*) FROM many_p0;
RESET ROLE;
DROP OWNED BY fed_nosuper;
DROP ROLE fed_nosuper;
-- changed options (an invalidation) while more partitions than a server's
-- connections are read: a connection being made for one task is not
-- closed under it when another task parks it
ALTER SERVER pg1 OPTIONS (ADD fetch_size '500');
SELECT count(*), sum(id) FROM many;
ALTER SERVER pg1 OPTIONS (DROP fetch_size);

-- 7. a statement failing on some shards inside a savepoint, while the
-- other shards' statements are still running: after ROLLBACK TO SAVEPOINT
-- the transaction goes on and commits, and an outer cursor keeps reading
BEGIN;
SELECT count(*) FROM many;
DECLARE c1 CURSOR FOR SELECT id, region FROM many ORDER BY id;
FETCH 2 FROM c1;
SAVEPOINT a;
-- (terse: which shard reports the error first depends on timing)
\set VERBOSITY terse
SELECT id FROM many WHERE 1 / (k - k) = 1;
\set VERBOSITY default
ROLLBACK TO SAVEPOINT a;
SELECT count(*), sum(amount) FROM many;
SAVEPOINT b;
SELECT id FROM many WHERE region LIKE 'a\';
ROLLBACK TO SAVEPOINT b;
FETCH 2 FROM c1;
SELECT same_rows('SELECT region, count(*), sum(amount) FROM many GROUP BY region',
                 'SELECT region, count(*), sum(amount) FROM loc.many GROUP BY region');
RELEASE SAVEPOINT a;
COMMIT;
BEGIN ISOLATION LEVEL REPEATABLE READ;
SAVEPOINT a;
-- (terse: which shard reports the error first depends on timing)
\set VERBOSITY terse
SELECT id FROM many WHERE 1 / (k - k) = 1;
\set VERBOSITY default
ROLLBACK TO SAVEPOINT a;
SELECT count(*) FROM many;
COMMIT;

-- 9. one statement per server (federate.combine_partitions): the
-- partitions on one server are read with UNION ALL of their statements,
-- ordered and limited as one; MariaDB's ordered reads stay one per
-- partition (its ORDER BY spells out collation and NULL order)
EXPLAIN (VERBOSE, COSTS OFF) SELECT id, region FROM many ORDER BY id LIMIT 5;
EXPLAIN (VERBOSE, COSTS OFF) SELECT count(DISTINCT region) FROM many;
EXPLAIN (VERBOSE, COSTS OFF) SELECT count(DISTINCT k) FROM many;
SELECT same_rows('SELECT id, region FROM many ORDER BY region DESC NULLS FIRST, id LIMIT 40',
                 'SELECT id, region FROM loc.many ORDER BY region DESC NULLS FIRST, id LIMIT 40');
SELECT same_rows('SELECT id, amount FROM many ORDER BY amount NULLS FIRST, id DESC LIMIT 40',
                 'SELECT id, amount FROM loc.many ORDER BY amount NULLS FIRST, id DESC LIMIT 40');
SELECT same_rows('SELECT id, region FROM many ORDER BY region COLLATE "C", id LIMIT 40',
                 'SELECT id, region FROM loc.many ORDER BY region COLLATE "C", id LIMIT 40');
SELECT count(DISTINCT region), count(DISTINCT amount), count(DISTINCT k) FROM many;
SELECT count(DISTINCT region), count(DISTINCT amount), count(DISTINCT k) FROM loc.many;
SELECT same_rows('SELECT DISTINCT region FROM many', 'SELECT DISTINCT region FROM loc.many');
SELECT same_rows('SELECT region, k FROM many GROUP BY region, k', 'SELECT region, k FROM loc.many GROUP BY region, k');
SELECT same_rows('SELECT region, max(amount) FROM many GROUP BY region ORDER BY 2 DESC NULLS LAST LIMIT 3',
                 'SELECT region, max(amount) FROM loc.many GROUP BY region ORDER BY 2 DESC NULLS LAST LIMIT 3');
SELECT same_rows('SELECT id FROM many WHERE region = ''east'' LIMIT 2000', 'SELECT id FROM loc.many WHERE region = ''east''');
-- the statement's only remote read, bounded: each server's statement
-- runs outside a remote transaction; a LIMIT that stops early cancels the
-- others, whose cancel error is expected, not raised
DO $$
DECLARE n int;
BEGIN
  FOR i IN 1..30 LOOP
    SELECT count(*) INTO n FROM (SELECT id FROM many WHERE region IS NOT NULL LIMIT 50) s;
    IF n <> 50 THEN RAISE EXCEPTION 'LIMIT 50 returned % rows', n; END IF;
    SELECT count(*) INTO n FROM (SELECT id FROM many LIMIT 3) s;
    IF n <> 3 THEN RAISE EXCEPTION 'LIMIT 3 returned % rows', n; END IF;
  END LOOP;
END $$;
-- a coverage note counts the partitions of a combined statement
SELECT count(*) FROM many;
SELECT shards_total, shards_answered FROM federate.last_coverage();
-- partitions on one server whose text columns differ in collation: text
-- is never ordered or grouped across them on the server, nor unioned on
-- MariaDB
\c fed_pg1
CREATE TABLE coll_c (id int PRIMARY KEY, region text COLLATE "C");
CREATE TABLE coll_d (id int PRIMARY KEY, region text);
\c contrib_regression
CREATE TABLE colls (id int, region text) PARTITION BY RANGE (id);
CREATE FOREIGN TABLE colls_c PARTITION OF colls FOR VALUES FROM (0) TO (100)
  SERVER pg1 OPTIONS (schema_name 'public', table_name 'coll_c');
CREATE FOREIGN TABLE colls_d PARTITION OF colls FOR VALUES FROM (100) TO (200)
  SERVER pg1 OPTIONS (schema_name 'public', table_name 'coll_d');
CREATE FOREIGN TABLE colls_mb PARTITION OF colls FOR VALUES FROM (200) TO (300)
  SERVER my1 OPTIONS (table_name 'coll_m_uni');
CREATE FOREIGN TABLE colls_mc PARTITION OF colls FOR VALUES FROM (300) TO (400)
  SERVER my1 OPTIONS (table_name 'coll_m_gen');
CREATE TABLE loc.colls (id int, region text);
INSERT INTO loc.colls SELECT g, (ARRAY['b', 'B', 'a', 'A ', 'ä', NULL])[g % 6 + 1]
FROM generate_series(0, 399) g;
INSERT INTO colls SELECT * FROM loc.colls;
SELECT same_order('SELECT region, id FROM colls ORDER BY region, id LIMIT 30',
                  'SELECT region, id FROM loc.colls ORDER BY region, id LIMIT 30');
SELECT same_rows('SELECT DISTINCT region FROM colls', 'SELECT DISTINCT region FROM loc.colls');
SELECT same_rows('SELECT id, region FROM colls', 'SELECT id, region FROM loc.colls');
SELECT count(DISTINCT region), count(*), max(id) FROM colls;
SELECT count(DISTINCT region), count(*), max(id) FROM loc.colls;
SET federate.combine_partitions = off;
EXPLAIN (VERBOSE, COSTS OFF) SELECT id, region FROM many WHERE k IN (1, 2, 3) ORDER BY id LIMIT 5;
SELECT same_rows('SELECT id, region FROM many ORDER BY region DESC NULLS FIRST, id LIMIT 40',
                 'SELECT id, region FROM loc.many ORDER BY region DESC NULLS FIRST, id LIMIT 40');
RESET federate.combine_partitions;

-- a grouping key without a column of the table (a stable function, an
-- InitPlan's value) is computed on the coordinator, never also read back
-- from the shards (found by sqlsmith: the parameter was planned to read
-- the scan's own output column, before any row existed: a crash)
EXPLAIN (VERBOSE, COSTS OFF)
SELECT DISTINCT k, pg_catalog.pg_backend_pid() > 0 AS b, (SELECT max(k) FROM many) AS m FROM many;
SELECT same('SELECT DISTINCT k, pg_catalog.pg_backend_pid() > 0 AS b, (SELECT max(k) FROM many) AS m FROM many',
            'SELECT DISTINCT k, pg_catalog.pg_backend_pid() > 0 AS b, (SELECT max(k) FROM loc.many) AS m FROM loc.many');
SELECT same('SELECT k, now() > ''2000-01-01'' AS t, count(*) FROM many GROUP BY 1, 2',
            'SELECT k, now() > ''2000-01-01'' AS t, count(*) FROM loc.many GROUP BY 1, 2');

-- a LATERAL subquery pulled up into the join, whose output (under the
-- nullable side of an outer join) reads the outer table: the inner table
-- has LATERAL references and is read once per outer row (found by
-- sqlsmith: an assertion failure in the planner)
SELECT same('SELECT a.id, s.id, s.c FROM many a, LATERAL (SELECT r.id, x.c FROM many r LEFT JOIN (SELECT a.k AS c FROM many b WHERE b.id = 1) x ON true WHERE r.id = a.id) s WHERE a.id < 10',
            'SELECT a.id, s.id, s.c FROM loc.many a, LATERAL (SELECT r.id, x.c FROM loc.many r LEFT JOIN (SELECT a.k AS c FROM loc.many b WHERE b.id = 1) x ON true WHERE r.id = a.id) s WHERE a.id < 10');
SELECT same('SELECT a.id, x.c FROM many a LEFT JOIN LATERAL (SELECT a.k + b.k AS c FROM many b WHERE b.id = a.id + 1) x ON true WHERE a.id < 20',
            'SELECT a.id, x.c FROM loc.many a LEFT JOIN LATERAL (SELECT a.k + b.k AS c FROM loc.many b WHERE b.id = a.id + 1) x ON true WHERE a.id < 20');

--
-- Shard failures: strict and partial modes with the coverage NOTICE and
-- federate.last_coverage(), retries, the circuit breaker, replica
-- fallback, statement timeouts enforced by the shard, require_shard_key,
-- the statistics and dispatch views, and the identifier every remote
-- statement carries.  The dead shard is a server on a port where nothing
-- listens (connection refused); stopping, killing and freezing real
-- servers is done by test/t/030_failures.pl.
--
SELECT federate.reset_stats();
\getenv my_user FED_MYSQL_USER

\c fed_pg1
CREATE TABLE ledger_1 (k int, id int, v numeric, t text);
CREATE VIEW slow AS SELECT 1 AS x, pg_sleep(5)::text AS z;
-- rows 1 to 1499, then an error
CREATE VIEW boom AS SELECT g, 1 / (g - 1500) AS x FROM generate_series(1, 2000) g;
CREATE VIEW me AS
  SELECT application_name, query FROM pg_stat_activity WHERE pid = pg_backend_pid();
\c fed_pg2
CREATE TABLE ledger_2 (k int, id int, v numeric, t text);
-- the replica's copy of the dead shard's rows
CREATE TABLE ledger_4 (k int, id int, v numeric, t text);
\c contrib_regression

CREATE SERVER dead FOREIGN DATA WRAPPER federate
  OPTIONS (host '127.0.0.1', port '1', dbname 'fed_pg2');
CREATE USER MAPPING FOR CURRENT_USER SERVER dead;

CREATE TABLE ledger (k int, id int, v numeric, t text) PARTITION BY LIST (k);
CREATE FOREIGN TABLE ledger_1 PARTITION OF ledger FOR VALUES IN (1)
  SERVER pg1 OPTIONS (table_name 'ledger_1');
CREATE FOREIGN TABLE ledger_2 PARTITION OF ledger FOR VALUES IN (2)
  SERVER pg2 OPTIONS (table_name 'ledger_2');
CREATE FOREIGN TABLE ledger_4 PARTITION OF ledger FOR VALUES IN (4)
  SERVER dead OPTIONS (table_name 'ledger_4', schema_name 'public');
CREATE FOREIGN TABLE slow1 (x int, z text)
  SERVER pg1 OPTIONS (table_name 'slow', schema_name 'public');
CREATE FOREIGN TABLE slow_my (x int, z int) SERVER my1 OPTIONS (table_name 'slow');
CREATE FOREIGN TABLE boom1 (g int, x int)
  SERVER pg1 OPTIONS (table_name 'boom', schema_name 'public', fetch_size '100');
CREATE FOREIGN TABLE me1 (application_name text, query text)
  SERVER pg1 OPTIONS (table_name 'me', schema_name 'public');

CREATE TABLE loc.ledger (LIKE ledger);
INSERT INTO loc.ledger
  SELECT 1 + g % 2, g, g / 4.0, CASE WHEN g % 9 = 0 THEN NULL ELSE 'it''s ' || g END
  FROM generate_series(1, 100) g;
INSERT INTO loc.ledger SELECT 4, g, g / 4.0, 'r' || g FROM generate_series(101, 120) g;
INSERT INTO ledger SELECT * FROM loc.ledger WHERE k <> 4;
\c fed_pg2
INSERT INTO ledger_4 SELECT 4, g, g / 4.0, 'r' || g FROM generate_series(101, 120) g;
\c contrib_regression

-- fast retries; no circuit breaker until its own part below
SET federate.retry_base_delay = '1ms';
SET federate.retry_max_delay = '2ms';
SET federate.circuit_failure_threshold = 0;

-- strict (the default): the query fails, naming the server and the cause
SELECT count(*) FROM ledger;
SELECT shards_total, shards_answered, missing_shards, missing_servers, reasons, exact
  FROM federate.last_coverage();
-- a query that does not need the dead shard is not affected
SELECT count(*), sum(v) FROM ledger WHERE k IN (1, 2);
SELECT shards_total, shards_answered, exact FROM federate.last_coverage();

-- partial: the other shards' rows, exactly, and a NOTICE saying what is missing
SET federate.on_shard_failure = partial;
SELECT same('SELECT * FROM ledger', 'SELECT * FROM loc.ledger WHERE k <> 4');
SELECT * FROM federate.last_coverage();
SELECT id, v, t FROM ledger WHERE id % 10 = 3 ORDER BY id LIMIT 4;
-- aggregates over a partial answer are marked approximate
SELECT k, count(*), sum(v), avg(v) FROM ledger GROUP BY k ORDER BY k;
SELECT count(*), sum(v) FROM ledger;
SELECT same('SELECT k, count(*), sum(v), min(t) FROM ledger GROUP BY k',
            'SELECT k, count(*), sum(v), min(t) FROM loc.ledger WHERE k <> 4 GROUP BY k');
-- all shards of a query missing
SELECT * FROM ledger WHERE k = 4;
SELECT shards_total, shards_answered, exact FROM federate.last_coverage();
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT count(*) FROM ledger;
-- the mode can be set per transaction
BEGIN;
SET LOCAL federate.on_shard_failure = strict;
SELECT count(*) FROM ledger;
ROLLBACK;
SELECT count(*) FROM ledger WHERE k IN (1, 4);
-- no retries: one attempt
SET federate.max_retries = 0;
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT count(*) FROM ledger;
RESET federate.max_retries;
RESET federate.on_shard_failure;

-- the circuit breaker: open after 2 consecutive failures, skipping the
-- server without a connection attempt; half-open after the cool-down
SET federate.max_retries = 0;
SET federate.circuit_failure_threshold = 2;
SELECT federate.reset_circuit('dead');
SELECT count(*) FROM ledger;
SELECT state, consecutive_failures FROM federate.circuit_breakers WHERE server_name = 'dead';
SELECT count(*) FROM ledger;
SELECT state, consecutive_failures, retry_at - opened_at AS cooldown
  FROM federate.circuit_breakers WHERE server_name = 'dead';
SELECT count(*) FROM ledger;
SET federate.on_shard_failure = partial;
SELECT count(*) FROM ledger;
RESET federate.on_shard_failure;
-- closed by hand, it opens again after two more failures, now with a
-- short cool-down (the one of the session whose failure opens it)
SET federate.circuit_cooldown = '20ms';
SELECT federate.reset_circuit('dead');
SELECT state, consecutive_failures FROM federate.circuit_breakers WHERE server_name = 'dead';
SELECT count(*) FROM ledger;
SELECT count(*) FROM ledger;
SELECT state FROM federate.circuit_breakers WHERE server_name = 'dead';
-- after the cool-down one probe goes; it fails, and the circuit opens again
SELECT pg_sleep(0.05);
SELECT count(*) FROM ledger;
SELECT state FROM federate.circuit_breakers WHERE server_name = 'dead';
-- the server is back: the probe succeeds and closes the circuit
DO $$
BEGIN
  EXECUTE format('ALTER SERVER dead OPTIONS (SET host %L, SET port %L)',
                 split_part(current_setting('unix_socket_directories'), ',', 1),
                 current_setting('port'));
END $$;
SELECT pg_sleep(0.05);
SELECT same('SELECT * FROM ledger', 'SELECT * FROM loc.ledger');
SELECT state, consecutive_failures FROM federate.circuit_breakers WHERE server_name = 'dead';
ALTER SERVER dead OPTIONS (SET host '127.0.0.1', SET port '1');
SELECT federate.reset_circuit('dead');
RESET federate.circuit_cooldown;
RESET federate.circuit_failure_threshold;
RESET federate.max_retries;

-- only the server's own failures count against its breaker, which every
-- session shares: not a timeout a session chose, nor a user mapping's
-- wrong password; a timeout of the server's own option counts
SET federate.circuit_failure_threshold = 2;
SET federate.max_retries = 0;
SELECT federate.reset_circuit('pg1'), federate.reset_circuit('my1');
SET federate.statement_timeout = '100ms';
SELECT * FROM slow1;
SELECT * FROM slow1;
SELECT * FROM slow1;
SELECT * FROM slow_my;
SELECT * FROM slow_my;
RESET federate.statement_timeout;
CREATE ROLE fed_wrongpw LOGIN;
GRANT SELECT ON my_items TO fed_wrongpw;
GRANT USAGE ON FOREIGN SERVER my1 TO fed_wrongpw;
CREATE USER MAPPING FOR fed_wrongpw SERVER my1
  OPTIONS (user :'my_user', password 'not the password');
SET ROLE fed_wrongpw;
SELECT count(*) FROM my_items;
SELECT count(*) FROM my_items;
SELECT count(*) FROM my_items;
SET federate.on_shard_failure = partial;
SELECT count(*) FROM my_items;
RESET federate.on_shard_failure;
RESET ROLE;
SELECT server_name, state, consecutive_failures FROM federate.circuit_breakers
  WHERE server_name IN ('pg1', 'my1') ORDER BY 1;
SELECT server_name, errors >= 3 AS errors, timeouts >= 3 AS timeouts
  FROM federate.server_stats WHERE server_name IN ('pg1', 'my1') ORDER BY 1;
ALTER SERVER pg1 OPTIONS (ADD statement_timeout '100');
SELECT * FROM slow1;
SELECT * FROM slow1;
ALTER SERVER pg1 OPTIONS (DROP statement_timeout);
SELECT server_name, state, consecutive_failures FROM federate.circuit_breakers
  WHERE server_name = 'pg1';
SELECT federate.reset_circuit('pg1');
DROP USER MAPPING FOR fed_wrongpw SERVER my1;
REVOKE ALL ON my_items FROM fed_wrongpw;
REVOKE ALL ON FOREIGN SERVER my1 FROM fed_wrongpw;
DROP ROLE fed_wrongpw;
RESET federate.circuit_failure_threshold;
RESET federate.max_retries;
SET federate.circuit_failure_threshold = 0;

-- replica fallback: complete answers, and a NOTICE saying who answered
ALTER SERVER dead OPTIONS (ADD replica 'pg2');
SELECT same('SELECT * FROM ledger', 'SELECT * FROM loc.ledger');
SELECT * FROM federate.last_coverage();
SELECT same('SELECT k, count(*), sum(v), avg(v) FROM ledger GROUP BY k',
            'SELECT k, count(*), sum(v), avg(v) FROM loc.ledger GROUP BY k');
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT count(*) FROM ledger;
-- replicas that cannot serve
ALTER SERVER dead OPTIONS (SET replica 'nosuch');
SELECT count(*) FROM ledger;
ALTER SERVER dead OPTIONS (SET replica 'my1');
SELECT count(*) FROM ledger;
ALTER SERVER dead OPTIONS (DROP replica);

-- statement timeouts are enforced on the shard (statement_timeout there)
SET federate.statement_timeout = '200ms';
SELECT * FROM slow1;
SET federate.on_shard_failure = partial;
SELECT * FROM slow1;
RESET federate.on_shard_failure;
RESET federate.statement_timeout;
-- the server option wins over the setting
ALTER SERVER pg1 OPTIONS (ADD statement_timeout '150');
SELECT * FROM slow1;
ALTER SERVER pg1 OPTIONS (SET statement_timeout 'soon');
ALTER SERVER pg1 OPTIONS (DROP statement_timeout);
-- the largest timeouts are long ones, on both engines
ALTER SERVER pg1 OPTIONS (ADD statement_timeout '2147483647', ADD connect_timeout '2147483647');
ALTER SERVER my1 OPTIONS (ADD statement_timeout '2147483647', ADD connect_timeout '2147483647');
SET federate.statement_timeout = 2147483647;
SELECT count(*) FROM ledger WHERE k = 1;
SELECT count(*) FROM my_items;
ALTER SERVER pg1 OPTIONS (DROP statement_timeout, DROP connect_timeout);
ALTER SERVER my1 OPTIONS (DROP statement_timeout, DROP connect_timeout);
SELECT count(*) FROM ledger WHERE k = 1;
RESET federate.statement_timeout;
-- federate's own bound on the whole scan (here the shard sets no timeout)
SET federate.total_timeout = '300ms';
SELECT * FROM slow1;
RESET federate.total_timeout;
-- the session goes on
SELECT count(*) FROM ledger WHERE k = 1;

-- a shard that fails after some of its rows were used: strict mode raises
-- its error; partial mode cannot leave it out either
SELECT count(x) FROM (SELECT x FROM boom1 OFFSET 0) s;
SET federate.on_shard_failure = partial;
SELECT count(x) FROM (SELECT x FROM boom1 OFFSET 0) s;
SELECT count(x) FROM (SELECT x FROM boom1 WHERE g < 1500 OFFSET 0) s;
-- a data exception a shard reports before any row (the sum is computed
-- there) is the query's own error: raised in partial mode too, not left out
SELECT sum(x) FROM boom1;
SELECT shards_total, shards_answered, missing_shards, exact FROM federate.last_coverage();
RESET federate.on_shard_failure;

-- require_shard_key: no query on every shard for want of a key condition
SET federate.require_shard_key = on;
SELECT count(*) FROM ledger;
SELECT count(*) FROM ledger WHERE k = 2;
SELECT count(*) FROM ledger WHERE k IN (1, 2);
PREPARE by_key(int) AS SELECT count(*) FROM ledger WHERE k = $1;
SET plan_cache_mode = force_generic_plan;
EXECUTE by_key(1);
RESET plan_cache_mode;
DEALLOCATE by_key;
-- EXPLAIN still shows such a plan
EXPLAIN (COSTS OFF) SELECT count(*) FROM ledger;
RESET federate.require_shard_key;

-- remote statements say where they come from
SELECT application_name = 'federate pid=' || pg_backend_pid() AS application_name,
       query LIKE '/* federate pid=' || pg_backend_pid() || ' query_id=% */ %' AS tagged
  FROM me1;

-- what happened, counted
SELECT server_name, statements > 0 AS statements, errors > 0 AS errors,
       timeouts > 0 AS timeouts, retries > 0 AS retries, fallbacks > 0 AS fallbacks,
       circuit_state
  FROM federate.server_stats WHERE server_name IN ('dead', 'pg1', 'pg2') ORDER BY 1;
SELECT last_error FROM federate.server_stats WHERE server_name = 'dead';
SELECT status, strategy, shards_contacted, shards_total, shards_answered, coverage, count(*)
  FROM federate.dispatch_log WHERE relation = 'ledger'
  GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 5;
SELECT count(*) FILTER (WHERE duration_ms >= 0) = count(*) AS durations,
       count(*) FILTER (WHERE query <> '') = count(*) AS queries
  FROM federate.dispatch_log;
SELECT federate.reset_stats();
SELECT count(*) FROM federate.dispatch_log;

-- joins: the coverage covers the federated reads of a join, and a small
-- side that fails fails the query (strict) or is reported (partial)
SET federate.circuit_failure_threshold = 0;
CREATE TABLE jk (k int);
INSERT INTO jk VALUES (1), (4);
ANALYZE jk;
EXPLAIN (COSTS OFF) SELECT count(*), sum(l.v) FROM ledger l JOIN jk ON l.k = jk.k;
SELECT count(*), sum(l.v) FROM ledger l JOIN jk ON l.k = jk.k;
SET federate.on_shard_failure = partial;
SELECT count(*), sum(l.v) FROM ledger l JOIN jk ON l.k = jk.k;
SELECT shards_total, shards_answered, missing_shards, exact FROM federate.last_coverage();
SELECT count(*) FROM ledger l JOIN ledger_4 d ON l.id = d.id;
SELECT shards_total, shards_answered, missing_shards, exact FROM federate.last_coverage();
RESET federate.on_shard_failure;
SELECT count(*) FROM ledger l JOIN ledger_4 d ON l.id = d.id;
-- a small side that is slow: the statement timeout applies to it as to
-- every read of the query
SET federate.statement_timeout = '200ms';
SELECT count(*) FROM ledger l JOIN slow1 s ON l.id = s.x;
RESET federate.statement_timeout;
RESET federate.circuit_failure_threshold;

-- a split read (the MySQL shard sends rows, the PostgreSQL one computes
-- its partial aggregate) whose MySQL shard is missing (partial mode) and
-- whose PostgreSQL read fails a second later, after the MySQL read has
-- ended: the query fails with the shard's error, and the coverage of both
-- reads is reported once
\c fed_pg1
CREATE VIEW split_pg AS
  SELECT g + 9 AS a, 'b' || g || (SELECT left(pg_sleep(1)::text, 0)) AS b
  FROM generate_series(1, 5) g;
\c contrib_regression
CREATE SERVER dead_my FOREIGN DATA WRAPPER federate
  OPTIONS (driver 'mysql', host '127.0.0.1', port '1', dbname 'fedtest');
CREATE USER MAPPING FOR CURRENT_USER SERVER dead_my OPTIONS (user 'nobody', password 'x');
CREATE TABLE split (a int, b text) PARTITION BY LIST (a);
CREATE FOREIGN TABLE split_my PARTITION OF split FOR VALUES IN (1, 2)
  SERVER dead_my OPTIONS (table_name 'nokey');
CREATE FOREIGN TABLE split_pg PARTITION OF split DEFAULT
  SERVER pg1 OPTIONS (table_name 'split_pg', schema_name 'public');
EXPLAIN (COSTS OFF) SELECT min(b), sum(100 / (a - 10)) FROM split;
SET federate.circuit_failure_threshold = 0;
SET federate.on_shard_failure = partial;
SELECT min(b), sum(100 / (a - 9)) FROM split;
SELECT min(b), sum(100 / (a - 10)) FROM split;
SELECT shards_total, shards_answered, missing_shards, exact FROM federate.last_coverage();
RESET federate.on_shard_failure;
RESET federate.circuit_failure_threshold;

--
-- Bad input and failing servers: a clear error, never a crash or a hang,
-- and never a password.
--
\set VERBOSITY default
\getenv my_host FED_MYSQL_HOST
\getenv my_port FED_MYSQL_PORT
\getenv my_user FED_MYSQL_USER
\getenv my_password FED_MYSQL_PASSWORD
-- unreachable host/port
CREATE SERVER dead FOREIGN DATA WRAPPER federate OPTIONS (host '127.0.0.1', port '1', dbname 'x', connect_timeout '5');
CREATE USER MAPPING FOR CURRENT_USER SERVER dead OPTIONS (password 'topsecret');
CREATE FOREIGN TABLE dead_t (a int) SERVER dead;
SELECT * FROM dead_t;
CREATE SERVER mdead FOREIGN DATA WRAPPER federate OPTIONS (driver 'mysql', host '127.0.0.1', port '1', dbname 'x', connect_timeout '5');
CREATE USER MAPPING FOR CURRENT_USER SERVER mdead OPTIONS (user 'x', password 'topsecret');
CREATE FOREIGN TABLE mdead_t (a int) SERVER mdead;
SELECT * FROM mdead_t;

-- wrong password on MariaDB (the password is not in the message)
CREATE SERVER mywrong FOREIGN DATA WRAPPER federate
  OPTIONS (driver 'mysql', host :'my_host', port :'my_port', dbname 'fedtest');
CREATE USER MAPPING FOR CURRENT_USER SERVER mywrong OPTIONS (user :'my_user', password 'wrong-topsecret');
CREATE FOREIGN TABLE mywrong_t (id int) SERVER mywrong OPTIONS (table_name 'items');
SELECT * FROM mywrong_t;

-- a database or table that does not exist
CREATE SERVER nodb FOREIGN DATA WRAPPER federate OPTIONS (driver 'mysql', host :'my_host', port :'my_port', dbname 'no_such_db');
CREATE USER MAPPING FOR CURRENT_USER SERVER nodb OPTIONS (user :'my_user', password :'my_password');
CREATE FOREIGN TABLE nodb_t (id int) SERVER nodb;
SELECT * FROM nodb_t;
CREATE FOREIGN TABLE pg_none (id int) SERVER pg1 OPTIONS (table_name 'no_such_table');
SELECT * FROM pg_none;
CREATE FOREIGN TABLE my_none (id int) SERVER my1 OPTIONS (table_name 'no_such_table');
SELECT * FROM my_none;
-- a column that does not exist
CREATE FOREIGN TABLE my_nocol (id int, nope int) SERVER my1 OPTIONS (table_name 'items');
SELECT nope FROM my_nocol;
-- the connection is still good afterwards
SELECT count(*) FROM my_items;
SELECT count(*) FROM pg_items;

-- identifiers with quotes, backticks, semicolons and dashes reach the server intact
CREATE FOREIGN TABLE my_odd ("Mixed Col" int, q varchar(10) OPTIONS (column_name 'quote''col'))
  SERVER my1 OPTIONS (table_name 'Odd "Name"');
SELECT * FROM my_odd WHERE q = 'it''s';
EXPLAIN (VERBOSE, COSTS OFF) SELECT * FROM my_odd WHERE q = 'it''s';
CREATE FOREIGN TABLE pg_odd ("Mixed Col" int, q text OPTIONS (column_name 'quote''col'))
  SERVER pg1 OPTIONS (table_name 'Odd "Name"', schema_name 'public');
SELECT * FROM pg_odd WHERE q = 'it''s';
EXPLAIN (VERBOSE, COSTS OFF) SELECT * FROM pg_odd WHERE q = 'it''s';
CREATE FOREIGN TABLE my_inject (id int) SERVER my1 OPTIONS (table_name 'items`; DROP TABLE w; --');
SELECT * FROM my_inject;

-- remote errors keep their SQLSTATE and name the server
INSERT INTO my_w VALUES (1, 'dup', 1), (1, 'dup', 1);
\echo :LAST_ERROR_SQLSTATE
INSERT INTO pg_w VALUES (1, 'dup', 1), (1, 'dup', 1);
\echo :LAST_ERROR_SQLSTATE
-- MySQL's error numbers become PostgreSQL's SQLSTATEs where one means the
-- same (duplicate key 23505 above; not null, too long, out of range, check)
CREATE FOREIGN TABLE my_wc (id int, name text, n int) SERVER my1 OPTIONS (table_name 'wc');
INSERT INTO my_wc VALUES (1, NULL, 1);
\echo :LAST_ERROR_SQLSTATE
INSERT INTO my_wc VALUES (1, 'much too long', 1);
\echo :LAST_ERROR_SQLSTATE
INSERT INTO my_wc VALUES (1, 'ok', 300);
\echo :LAST_ERROR_SQLSTATE
INSERT INTO my_wc VALUES (1, 'ok', -1);
\echo :LAST_ERROR_SQLSTATE
DO $$
BEGIN
	INSERT INTO my_w VALUES (1, 'dup', 1);
EXCEPTION WHEN unique_violation THEN
	RAISE NOTICE 'caught unique_violation';
END $$;
SELECT count(*) FROM my_wc;

-- the views cut long text at a character boundary: a remote error naming
-- a long table (last_error) and a long query (dispatch_log)
DO $$ BEGIN
  EXECUTE format('CREATE FOREIGN TABLE my_long (id int) SERVER my1 OPTIONS (schema_name %L, table_name %L)',
                 repeat('€', 64), repeat('€', 64));
END $$;
\set VERBOSITY terse
SELECT * FROM my_long;
\set VERBOSITY default
SELECT octet_length(last_error), convert_from(convert_to(last_error, 'UTF8'), 'UTF8') = last_error AS valid
  FROM federate.server_stats WHERE server_name = 'my1';
SELECT format('SELECT /* %s */ count(*) FROM my_items', repeat('é', 200)) \gexec
SELECT octet_length(query), convert_from(convert_to(query, 'UTF8'), 'UTF8') = query AS valid
  FROM federate.dispatch_log WHERE relation = 'my_items' ORDER BY dispatched_at DESC LIMIT 1;

-- PREPARE TRANSACTION is refused
BEGIN;
SELECT count(*) FROM pg_items;
PREPARE TRANSACTION 'x';

DROP SERVER dead CASCADE;
DROP SERVER mdead CASCADE;
DROP SERVER mywrong CASCADE;
DROP SERVER nodb CASCADE;

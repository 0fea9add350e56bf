--
-- Options are checked when they are given, never echo their values, and
-- the hint names what is valid.
--
\set VERBOSITY default
CREATE SERVER bad1 FOREIGN DATA WRAPPER federate OPTIONS (driver 'oracle');
CREATE SERVER bad2 FOREIGN DATA WRAPPER federate OPTIONS (hots 'localhost');
CREATE SERVER bad3 FOREIGN DATA WRAPPER federate OPTIONS (driver 'mysql', sslmode 'require');
CREATE SERVER bad4 FOREIGN DATA WRAPPER federate OPTIONS (port '99999');
CREATE SERVER bad5 FOREIGN DATA WRAPPER federate OPTIONS (fetch_size '0');
CREATE SERVER bad6 FOREIGN DATA WRAPPER federate OPTIONS (batch_size 'many');
CREATE SERVER bad7 FOREIGN DATA WRAPPER federate OPTIONS (password 'secret1');
CREATE SERVER bad8 FOREIGN DATA WRAPPER federate OPTIONS (driver 'mysql', ssl_verify_server_cert 'maybe');
CREATE SERVER ok1 FOREIGN DATA WRAPPER federate OPTIONS (driver 'mysql', host 'h', port '3306', dbname 'd', ssl_ca '/x', connect_timeout '2');
CREATE SERVER ok2 FOREIGN DATA WRAPPER federate OPTIONS (host 'h', sslmode 'require', keepalives '1', fetch_size '50', batch_size '10');
ALTER SERVER ok1 OPTIONS (ADD sslmode 'disable');
ALTER SERVER ok2 OPTIONS (SET fetch_size '-1');
-- changing the driver re-checks every option
ALTER SERVER ok2 OPTIONS (ADD driver 'mysql');
CREATE USER MAPPING FOR CURRENT_USER SERVER ok1 OPTIONS (user 'u', password 'secret2', host 'h');
CREATE USER MAPPING FOR CURRENT_USER SERVER ok1 OPTIONS (user 'u', pasword 'secret3');
CREATE USER MAPPING FOR CURRENT_USER SERVER ok1 OPTIONS (user 'u', password 'secret4');
CREATE FOREIGN TABLE ft1 (a int OPTIONS (colum_name 'x')) SERVER ok1;
CREATE FOREIGN TABLE ft1 (a int OPTIONS (key 'sure')) SERVER ok1;
CREATE FOREIGN TABLE ft1 (a int) SERVER ok1 OPTIONS (tablename 'x');
CREATE FOREIGN TABLE ft1 (a int OPTIONS (column_name 'x', key 'true')) SERVER ok1
  OPTIONS (table_name 'x', schema_name 'y', fetch_size '10', batch_size '5');
ALTER FOREIGN DATA WRAPPER federate OPTIONS (ADD debug 'on');
-- a misspelled setting under the reserved prefix
SET federate.fetchsize = 10;
SET federate.fetch_size = 0;
SET federate.fetch_size = 500;
SHOW federate.fetch_size;
RESET federate.fetch_size;

-- EXPLAIN never contacts the server (ok1's host does not exist)
EXPLAIN (VERBOSE, COSTS OFF) SELECT * FROM ft1 WHERE a = 1;

-- no password anywhere
SELECT count(*) FROM pg_user_mappings
  WHERE srvname = 'ok1' AND array_to_string(umoptions, ',') LIKE '%secret4%';

-- a non-superuser must supply a password
CREATE ROLE fed_plain LOGIN;
GRANT USAGE ON FOREIGN SERVER pg1 TO fed_plain;
CREATE USER MAPPING FOR fed_plain SERVER pg1;
CREATE FOREIGN TABLE plain_items (id int) SERVER pg1 OPTIONS (table_name 'items', schema_name 'public');
GRANT SELECT ON plain_items TO fed_plain;
SET ROLE fed_plain;
SELECT count(*) FROM plain_items;
RESET ROLE;
DROP FOREIGN TABLE plain_items;
DROP USER MAPPING FOR fed_plain SERVER pg1;
REVOKE USAGE ON FOREIGN SERVER pg1 FROM fed_plain;
DROP ROLE fed_plain;

DROP SERVER ok1 CASCADE;
DROP SERVER ok2 CASCADE;

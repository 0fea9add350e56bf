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
-- only a superuser may turn the rule off (password_required, as postgres_fdw)
ALTER USER MAPPING FOR fed_plain SERVER pg1 OPTIONS (ADD password_required 'false');
RESET ROLE;
ALTER USER MAPPING FOR fed_plain SERVER pg1 OPTIONS (ADD password_required 'maybe');
ALTER USER MAPPING FOR fed_plain SERVER pg1 OPTIONS (ADD password_required 'false');
SET ROLE fed_plain;
SELECT count(*) FROM plain_items;
-- nor change a mapping where it is off
ALTER USER MAPPING FOR fed_plain SERVER pg1 OPTIONS (ADD user 'x');
RESET ROLE;
DROP FOREIGN TABLE plain_items;
DROP USER MAPPING FOR fed_plain SERVER pg1;
REVOKE USAGE ON FOREIGN SERVER pg1 FROM fed_plain;

-- a non-superuser's MySQL connection must not go through a Unix socket,
-- where the server may authenticate the coordinator's operating-system
-- user and ignore the password (MariaDB's unix_socket); TCP is fine
\getenv my_socket FED_MYSQL_SOCKET
\getenv my_host FED_MYSQL_HOST
\getenv my_port FED_MYSQL_PORT
\getenv my_user FED_MYSQL_USER
\getenv my_password FED_MYSQL_PASSWORD
CREATE SERVER my_sock FOREIGN DATA WRAPPER federate
  OPTIONS (driver 'mysql', host :'my_socket', dbname 'fedtest');
CREATE SERVER my_nohost FOREIGN DATA WRAPPER federate
  OPTIONS (driver 'mysql', port :'my_port', dbname 'fedtest');
CREATE SERVER my_tcp FOREIGN DATA WRAPPER federate
  OPTIONS (driver 'mysql', host :'my_host', port :'my_port', dbname 'fedtest');
GRANT USAGE ON FOREIGN SERVER my_sock, my_nohost, my_tcp TO fed_plain;
CREATE USER MAPPING FOR fed_plain SERVER my_sock OPTIONS (user :'my_user', password :'my_password');
CREATE USER MAPPING FOR fed_plain SERVER my_nohost OPTIONS (user :'my_user', password :'my_password');
CREATE USER MAPPING FOR fed_plain SERVER my_tcp OPTIONS (user :'my_user', password :'my_password');
CREATE FOREIGN TABLE plain_sock (id int) SERVER my_sock OPTIONS (table_name 'items');
CREATE FOREIGN TABLE plain_nohost (id int) SERVER my_nohost OPTIONS (table_name 'items');
CREATE FOREIGN TABLE plain_tcp (id int) SERVER my_tcp OPTIONS (table_name 'items');
GRANT SELECT ON plain_sock, plain_nohost, plain_tcp TO fed_plain;
SET ROLE fed_plain;
SELECT count(*) FROM plain_sock;
SELECT count(*) FROM plain_nohost;
SELECT count(*) FROM plain_tcp;
RESET ROLE;
-- a superuser's is not checked, and neither is a mapping where a
-- superuser set password_required 'false'
CREATE USER MAPPING FOR CURRENT_USER SERVER my_sock OPTIONS (user :'my_user', password :'my_password');
SELECT count(*) FROM plain_sock;
ALTER USER MAPPING FOR fed_plain SERVER my_sock OPTIONS (ADD password_required 'false');
SET ROLE fed_plain;
SELECT count(*) FROM plain_sock;
RESET ROLE;
DROP SERVER my_sock, my_nohost, my_tcp CASCADE;
DROP ROLE fed_plain;

DROP SERVER ok1 CASCADE;
DROP SERVER ok2 CASCADE;

--
-- Fixtures shared by the regression tests.
--
-- PostgreSQL "shards" are databases of this same instance, reached through
-- its Unix socket; the MySQL shard is the throwaway MariaDB that
-- test/run_tests.sh started and loaded with test/fixtures/mariadb.sql.
-- loc.items holds the same rows as both remote "items" tables: every
-- answer through federate is compared with the answer from loc.items.
--
CREATE EXTENSION federate;
\getenv abs_srcdir PG_ABS_SRCDIR
\set rows_file :abs_srcdir '/test/fixtures/items_rows.sql'
\getenv my_host FED_MYSQL_HOST
\getenv my_port FED_MYSQL_PORT
\getenv my_user FED_MYSQL_USER
\getenv my_password FED_MYSQL_PASSWORD

CREATE DATABASE fed_pg1;
CREATE DATABASE fed_pg2;
\c fed_pg1
CREATE TABLE items (id int PRIMARY KEY, name varchar(40), code char(4),
  price numeric(10,2), qty int, big bigint, ratio float8, flag boolean,
  created timestamp, d date, note text, doc json);
\i :rows_file
CREATE TABLE w (id int PRIMARY KEY, name varchar(40), v numeric(10,2));
CREATE TABLE nokey (a int, b text);
INSERT INTO nokey VALUES (1, 'x'), (2, 'y');
CREATE TABLE big (id int PRIMARY KEY, g int);
INSERT INTO big SELECT g, g % 7 FROM generate_series(1, 5000) g;
CREATE TABLE "Odd ""Name""" ("Mixed Col" int PRIMARY KEY, "quote'col" text);
INSERT INTO "Odd ""Name""" VALUES (1, 'it''s'), (2, NULL);
CREATE SCHEMA other;
CREATE TABLE other.t1 (a int PRIMARY KEY, b text);
CREATE TABLE other.t2 (x numeric, y timestamptz, z bytea, u uuid, j jsonb, arr int[]);
CREATE VIEW other.v1 AS SELECT a FROM other.t1;
\c contrib_regression

CREATE SCHEMA loc;
CREATE TABLE loc.items (id int PRIMARY KEY, name varchar(40), code char(4),
  price numeric(10,2), qty int, big bigint, ratio float8, flag boolean,
  created timestamp, d date, note text, doc json);
SET search_path = loc;
\i :rows_file
RESET search_path;

DO $$
BEGIN
  EXECUTE format('CREATE SERVER pg1 FOREIGN DATA WRAPPER federate OPTIONS (host %L, port %L, dbname %L)',
                 split_part(current_setting('unix_socket_directories'), ',', 1),
                 current_setting('port'), 'fed_pg1');
  EXECUTE format('CREATE SERVER pg2 FOREIGN DATA WRAPPER federate OPTIONS (host %L, port %L, dbname %L)',
                 split_part(current_setting('unix_socket_directories'), ',', 1),
                 current_setting('port'), 'fed_pg2');
END $$;
CREATE USER MAPPING FOR CURRENT_USER SERVER pg1;
CREATE USER MAPPING FOR CURRENT_USER SERVER pg2;

CREATE SERVER my1 FOREIGN DATA WRAPPER federate
  OPTIONS (driver 'mysql', host :'my_host', port :'my_port', dbname 'fedtest');
CREATE USER MAPPING FOR CURRENT_USER SERVER my1
  OPTIONS (user :'my_user', password :'my_password');

CREATE FOREIGN TABLE pg_items (id int OPTIONS (key 'true'), name varchar(40),
  code char(4), price numeric(10,2), qty int, big bigint, ratio float8,
  flag boolean, created timestamp, d date, note text, doc json)
  SERVER pg1 OPTIONS (table_name 'items', schema_name 'public');
CREATE FOREIGN TABLE my_items (id int OPTIONS (key 'true'), name varchar(40),
  code char(4), price numeric(10,2), qty int, big bigint, ratio float8,
  flag boolean, created timestamp, d date, note text, doc json)
  SERVER my1 OPTIONS (table_name 'items');

-- same(a, b): do two queries return the same multiset of rows?
CREATE FUNCTION same(a text, b text) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE n bigint;
BEGIN
  EXECUTE format('SELECT count(*) FROM (((%s) EXCEPT ALL (%s)) UNION ALL ((%s) EXCEPT ALL (%s))) d',
                 a, b, b, a) INTO n;
  RETURN n = 0;
END $$;

-- same_rows(a, b): the same rows, in any order, compared as text (numeric
-- scale included)?
CREATE FUNCTION same_rows(a text, b text) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE x text; y text;
BEGIN
  EXECUTE format('SELECT string_agg(s::text, ''|'' ORDER BY s::text) FROM (%s) s', a) INTO x;
  EXECUTE format('SELECT string_agg(s::text, ''|'' ORDER BY s::text) FROM (%s) s', b) INTO y;
  RETURN x IS NOT DISTINCT FROM y;
END $$;
-- same_exec(a, b): the same for two EXECUTEs of prepared statements
CREATE FUNCTION same_exec(a text, b text) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE r boolean;
BEGIN
  EXECUTE 'CREATE TEMP TABLE exec_a AS EXECUTE ' || a;
  EXECUTE 'CREATE TEMP TABLE exec_b AS EXECUTE ' || b;
  r := same_rows('SELECT * FROM exec_a', 'SELECT * FROM exec_b');
  DROP TABLE exec_a, exec_b;
  RETURN r;
END $$;
-- fetch_same(a, b, n): fetch the next n rows from cursors a and b, row by
-- row; how many rows a gave, or -1 if the two gave different rows
CREATE FUNCTION fetch_same(a refcursor, b refcursor, n int) RETURNS int LANGUAGE plpgsql AS $$
DECLARE x record; y record; fa boolean; fb boolean; i int := 0;
BEGIN
  WHILE i < n LOOP
    FETCH a INTO x;
    fa := FOUND;
    FETCH b INTO y;
    fb := FOUND;
    IF fa <> fb OR (fa AND x::text IS DISTINCT FROM y::text) THEN
      RETURN -1;
    END IF;
    EXIT WHEN NOT fa;
    i := i + 1;
  END LOOP;
  RETURN i;
END $$;
-- fetch_rows(c, n): the next n rows of cursor c, each as text
CREATE FUNCTION fetch_rows(c refcursor, n int) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE x record; i int := 0;
BEGIN
  WHILE i < n LOOP
    FETCH c INTO x;
    EXIT WHEN NOT FOUND;
    RETURN NEXT x::text;
    i := i + 1;
  END LOOP;
END $$;
-- cursor_after_block(q): open a cursor for q and read its first row in a
-- PL/pgSQL block with an exception handler (a subtransaction, released
-- when the block ends), the other rows after it: how many rows, and
-- their md5
CREATE FUNCTION cursor_after_block(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE c refcursor; r record; n int := 0; s text := '';
BEGIN
  BEGIN
    OPEN c FOR EXECUTE q;
    FETCH c INTO r;
    IF FOUND THEN
      n := 1;
      s := r::text;
    END IF;
  EXCEPTION WHEN division_by_zero THEN
    RETURN 'failed';
  END;
  LOOP
    FETCH c INTO r;
    EXIT WHEN NOT FOUND;
    n := n + 1;
    s := s || '|' || r::text;
  END LOOP;
  CLOSE c;
  RETURN n || ' rows, md5 ' || md5(s);
END $$;

-- Predicates that break federation when an engine reads them differently.
CREATE TABLE preds (n serial, p text);
INSERT INTO preds (p) VALUES
  ($$name = 'abc'$$), ($$name <> 'abc'$$), ($$name = 'ABC'$$),
  ($$name = 'abc '$$), ($$name = 'Ábc'$$), ($$name = ''$$),
  ($$name IN ('abc', 'b')$$), ($$name NOT IN ('abc', 'b')$$),
  ($$name IS NULL$$), ($$name IS NOT NULL$$),
  ($$name IS DISTINCT FROM 'abc'$$), ($$name IS NOT DISTINCT FROM 'ABC'$$),
  ($$name < 'abc'$$), ($$name > 'ab' AND name < 'abz'$$),
  ($$name COLLATE "C" < 'abc'$$), ($$name LIKE 'ab%'$$), ($$name ILIKE 'ab%'$$),
  ($$name = 'a"b`c;--'$$), ($$code = 'ab'$$), ($$code = 'ab  '$$),
  ($$price > 5$$), ($$price = 10.5$$), ($$price BETWEEN -3 AND 6$$),
  ($$qty = -7$$), ($$qty > 0 AND big < 10$$), ($$qty = 3 OR qty IS NULL$$),
  ($$big = 9223372036854775807$$), ($$big < -9000000000000000000$$),
  ($$ratio < 1$$), ($$ratio = 0.5$$), ($$ratio > -1e300$$),
  ($$flag$$), ($$NOT flag$$), ($$flag IS NULL$$), ($$flag = true$$),
  ($$created >= '2024-01-01'$$), ($$created = '2024-01-01 10:00:00'$$),
  ($$d < '2024-01-01'$$), ($$d = date '2024-02-29'$$), ($$d <= current_date$$),
  ($$note = 'it''s'$$), ($$note = 'back\slash'$$), ($$note = '日本語 🎉'$$),
  ($$note LIKE '%;%'$$), ($$qty / 2 = 1$$), ($$qty % 2 = 1$$),
  ($$price * 2 > 20$$), ($$lower(name) = 'abc'$$), ($$name || 'x' = 'abcx'$$),
  ($$id = ANY (ARRAY[1, 2, 3])$$), ($$NOT (id IN (1, 2))$$),
  ($$length(note) > 3$$), ($$doc::text = '{}'$$), ($$id > 0 AND id < 0$$);

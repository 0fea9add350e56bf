--
-- Type conversion both ways, on MariaDB (the harder engine).
--
CREATE FOREIGN TABLE my_blobs (id int OPTIONS (key 'true'), data bytea,
  ts timestamptz, t time, u uuid, f real, big_u numeric(20,0), tiny smallint,
  yr smallint)
  SERVER my1 OPTIONS (table_name 'blobs');
SET timezone = 'America/New_York';
SELECT * FROM my_blobs ORDER BY id;
SELECT id FROM my_blobs WHERE ts = '2024-01-01 07:00:00-05';
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM my_blobs WHERE ts = '2024-01-01 07:00:00-05';
SELECT data = '\x00ff41'::bytea AS bytes_equal, length(data) FROM my_blobs ORDER BY id;
RESET timezone;

-- writing the same types back
BEGIN;
INSERT INTO my_blobs VALUES (10, '\x000102ff'::bytea, '2000-06-01 12:00:00+02', '23:59:59',
  'b0eebc99-9c0b-4ef8-bb6d-6bb9bd380a12', 3.25, 12345678901234567890, 5, 2000);
SELECT id, data, ts, t, u, f, big_u, tiny, yr FROM my_blobs WHERE id = 10;
ROLLBACK;

-- booleans from tinyint(1), json, empty strings and NULLs survive
SELECT id, flag, doc, name = '' AS empty_name, name IS NULL AS null_name FROM my_items ORDER BY id;

-- a value that does not convert: a clear error naming the column
CREATE FOREIGN TABLE my_bad (id int, name int) SERVER my1 OPTIONS (table_name 'items');
SELECT * FROM my_bad WHERE id = 1;
-- the same on PostgreSQL
CREATE FOREIGN TABLE pg_bad (id int, name int) SERVER pg1 OPTIONS (table_name 'items');
SELECT * FROM pg_bad WHERE id = 1;

-- MySQL's TIME runs from -838:59:59 to 838:59:59: an interval column
-- (IMPORT FOREIGN SCHEMA makes TIME one) reads every value exactly
CREATE FOREIGN TABLE my_times (id int OPTIONS (key 'true'), t interval)
  SERVER my1 OPTIONS (schema_name 'fedtypes', table_name 'times');
CREATE TABLE loc.times (id int PRIMARY KEY, t interval);
INSERT INTO loc.times VALUES (1, '10:00:00'), (2, '00:00:00'), (3, '23:59:59.999999'),
  (4, '24:00:00'), (5, '25:00:00'), (6, '838:59:59'), (7, '-00:00:01'),
  (8, '-838:59:59'), (9, '-12:30:00.5'), (10, NULL);
SELECT * FROM my_times ORDER BY id;
SELECT same('SELECT * FROM my_times', 'SELECT * FROM loc.times');
SELECT same('SELECT id FROM my_times WHERE t > ''24:00:00''',
            'SELECT id FROM loc.times WHERE t > ''24:00:00''');
-- and writes it as MySQL's TIME: hours, minutes and seconds
BEGIN;
INSERT INTO my_times VALUES (11, '1 day 02:03:04.5'), (12, '-00:00:00.000001');
SELECT * FROM my_times WHERE id > 10 ORDER BY id;
INSERT INTO my_times VALUES (13, '1 mon');
ROLLBACK;
-- a time column holds 00:00:00 to 24:00:00: another value is an error
-- that names it and the column
CREATE FOREIGN TABLE my_times_t (id int OPTIONS (key 'true'), t time)
  SERVER my1 OPTIONS (schema_name 'fedtypes', table_name 'times');
SELECT * FROM my_times_t WHERE id IN (1, 2, 3, 4, 10) ORDER BY id;
SELECT * FROM my_times_t WHERE id = 5;
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM my_times_t WHERE id = 7;
SELECT * FROM my_times_t WHERE id = 8;

-- Dates with a zero year, month or day ('0000-00-00', '2020-00-15'), which
-- MySQL keeps where its sql_mode allowed them, read as NULL; MySQL sees
-- them so wherever it evaluates the column (conditions, grouping, sorting,
-- aggregates): every answer is the one of a local table with NULLs there
CREATE FOREIGN TABLE my_dates (id int OPTIONS (key 'true'), d date,
  dt timestamp, ts timestamptz, dn date NOT NULL)
  SERVER my1 OPTIONS (schema_name 'fedtypes', table_name 'dates');
CREATE TABLE loc.dates (id int PRIMARY KEY, d date, dt timestamp, ts timestamptz, dn date);
INSERT INTO loc.dates VALUES
  (1, '2024-01-02', '2024-01-02 03:04:05.5', '2024-01-02 03:04:05.5+00', '2024-01-02'),
  (2, NULL, NULL, NULL, NULL),
  (3, NULL, NULL, NULL, NULL),
  (4, NULL, NULL, NULL, '1999-12-31'),
  (5, NULL, NULL, '1970-01-01 00:00:01+00', '2024-01-02'),
  (6, '1999-12-31', '1999-12-31 23:59:59', '2038-01-19 03:14:07+00', NULL),
  (7, '2024-02-29', '2024-02-29 12:00:00', '2024-02-29 12:00:00+00', '2024-02-29');
SET timezone = 'UTC';
SELECT * FROM my_dates ORDER BY id;
SELECT same('SELECT * FROM my_dates', 'SELECT * FROM loc.dates');
CREATE TABLE date_queries (n serial, q text);
INSERT INTO date_queries (q) VALUES
  ($$SELECT id FROM %s WHERE d < '2030-01-01'$$),
  ($$SELECT id FROM %s WHERE d >= '2000-01-01'$$),
  ($$SELECT id FROM %s WHERE NOT (d > '2000-01-01')$$),
  ($$SELECT id FROM %s WHERE d <> '2024-01-02'$$),
  ($$SELECT id FROM %s WHERE d IS NULL$$),
  ($$SELECT id FROM %s WHERE dn IS NULL$$),
  ($$SELECT id FROM %s WHERE dn IS NOT NULL$$),
  ($$SELECT id FROM %s WHERE d IN ('2024-01-02', '1999-12-31')$$),
  ($$SELECT id FROM %s WHERE d NOT IN ('2024-01-02')$$),
  ($$SELECT id FROM %s WHERE d IS DISTINCT FROM '2024-01-02'$$),
  ($$SELECT id FROM %s WHERE dt >= '1999-01-01' AND dt < '2025-01-01'$$),
  ($$SELECT id FROM %s WHERE ts < '2000-01-01 00:00:00+00'$$),
  ($$SELECT id FROM %s WHERE d < '2000-01-01' OR dn < '2000-01-01'$$),
  ($$SELECT id FROM %s WHERE CASE WHEN d < '2000-01-01' THEN 1 ELSE 0 END = 0$$),
  ($$SELECT count(*), count(d), count(dt), count(ts), count(dn), min(d), max(d), min(dt), max(ts), min(dn) FROM %s$$),
  ($$SELECT count(*) FROM %s WHERE d < '2030-01-01'$$),
  ($$SELECT d, count(*) FROM %s GROUP BY d$$),
  ($$SELECT dn, count(*), max(dt) FROM %s GROUP BY dn$$),
  ($$SELECT date_trunc('month', dt), count(*) FROM %s GROUP BY 1$$),
  ($$SELECT extract(year FROM d), count(*) FROM %s GROUP BY 1$$),
  ($$SELECT count(*) FROM %s WHERE dt::date = '2024-02-29'$$),
  ($$SELECT DISTINCT dn FROM %s$$),
  ($$SELECT id, dn FROM %s ORDER BY dn, id LIMIT 4$$),
  ($$SELECT id, d FROM %s ORDER BY d DESC, id LIMIT 3$$),
  ($$SELECT id, dn FROM %s ORDER BY dn NULLS FIRST, id LIMIT 3$$);
SELECT n, q FROM date_queries WHERE NOT same(format(q, 'my_dates'), format(q, 'loc.dates'));
SELECT id, dn FROM my_dates ORDER BY dn, id;
-- before a comparison with a value, the comparison of the column as
-- stored, which an index on it can serve
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM my_dates WHERE d < '2030-01-01' AND dn IS NULL;
EXPLAIN (VERBOSE, COSTS OFF) SELECT dn, count(*) FROM my_dates GROUP BY dn ORDER BY dn;
-- an UPDATE sent whole reaches the same rows
BEGIN;
EXPLAIN (VERBOSE, COSTS OFF) UPDATE my_dates SET dt = '2000-01-01' WHERE d < '2000-01-02';
UPDATE my_dates SET dt = '2000-01-01' WHERE d < '2000-01-02';
SELECT id FROM my_dates WHERE dt = '2000-01-01';
ROLLBACK;
RESET timezone;

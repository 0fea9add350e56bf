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

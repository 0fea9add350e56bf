--
-- Reading a PostgreSQL table: results equal a local table's, only the
-- referenced columns travel, and the right WHERE clauses are shipped.
--
SELECT id, name, code, price, qty, big, ratio, flag, created, d, note, doc
  FROM pg_items ORDER BY id;

-- every predicate gives the local answer
SELECT p, same(format('SELECT id, name, code, price, qty, big, ratio, flag, created, d, note, doc::text FROM pg_items WHERE %s', p),
               format('SELECT id, name, code, price, qty, big, ratio, flag, created, d, note, doc::text FROM loc.items WHERE %s', p)) AS same
  FROM preds ORDER BY n;

-- what is shipped
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM pg_items WHERE name = 'abc' AND qty / 2 = 1;
EXPLAIN (VERBOSE, COSTS OFF) SELECT count(*) FROM pg_items WHERE d <= current_date;
EXPLAIN (VERBOSE, COSTS OFF) SELECT name FROM pg_items WHERE id = ANY (ARRAY[1, 2]) AND lower(name) = 'abc';
EXPLAIN (VERBOSE, COSTS OFF) SELECT * FROM pg_items WHERE name COLLATE "C" < 'b';

-- parameters, custom and generic plans
PREPARE q1(text, int) AS SELECT id FROM pg_items WHERE name = $1 AND qty > $2 ORDER BY id;
EXECUTE q1('abc', 0);
SET plan_cache_mode = force_generic_plan;
EXPLAIN (VERBOSE, COSTS OFF) EXECUTE q1('abc', 0);
EXECUTE q1('abc', 0);
EXECUTE q1('it''s', -100);
RESET plan_cache_mode;

-- joins and parameterized rescans over one connection
SELECT a.id, b.id FROM pg_items a JOIN pg_items b ON a.name = b.name AND a.id < b.id ORDER BY 1, 2;
SELECT same('SELECT a.id, b.id FROM pg_items a, pg_items b WHERE a.qty < b.qty',
            'SELECT a.id, b.id FROM loc.items a, loc.items b WHERE a.qty < b.qty');
SELECT id, (SELECT count(*) FROM pg_items b WHERE b.qty > a.qty) FROM loc.items a ORDER BY id;

-- streaming in small batches gives the same rows
ALTER SERVER pg1 OPTIONS (ADD fetch_size '3');
SELECT same('SELECT * FROM (SELECT id, name, doc::text FROM pg_items) s', 'SELECT id, name, doc::text FROM loc.items');
CREATE FOREIGN TABLE pg_big (id int, g int) SERVER pg1 OPTIONS (table_name 'big');
SELECT count(*), sum(id), count(DISTINCT g) FROM pg_big;
SELECT g, count(*) FROM pg_big WHERE id > 4990 GROUP BY g ORDER BY g;
ALTER SERVER pg1 OPTIONS (DROP fetch_size);

-- the connection is cached, one per user mapping (changed options take
-- effect by reconnecting after the transaction, so use it once first)
SELECT count(*) FROM pg_items;
SELECT server_name, driver, valid FROM federate.connections() ORDER BY 1;
SELECT federate.disconnect('pg1');
SELECT server_name FROM federate.connections() ORDER BY 1;
SELECT count(*) FROM pg_items;
SELECT federate.disconnect_all();

-- a connection that a read still uses is kept, with a warning, and the
-- read goes on: a read of at most a batch outside a transaction block
-- (which runs without a remote transaction), and a cursor's
SELECT federate.disconnect('pg1') AS closed, id FROM pg_items ORDER BY id LIMIT 3;
SELECT federate.disconnect_all() AS closed, id FROM pg_items WHERE id > 5 ORDER BY id LIMIT 2;
BEGIN;
DECLARE c CURSOR FOR SELECT id FROM pg_items ORDER BY id;
FETCH 2 FROM c;
SELECT federate.disconnect('pg1');
FETCH 2 FROM c;
COMMIT;
SELECT federate.disconnect('pg1');

-- a cursor kept open while another statement uses the same connection
BEGIN;
DECLARE c CURSOR FOR SELECT id FROM pg_items ORDER BY id;
FETCH 2 FROM c;
SELECT count(*) FROM pg_items WHERE flag;
FETCH 2 FROM c;
COMMIT;

-- a cursor declared in a savepoint lives on after RELEASE (PostgreSQL
-- moves it to the outer level) and reads the rest of its rows, batch after
-- batch of 3, as the same cursor over loc.items does; a ROLLBACK TO a
-- later savepoint leaves it alone, and a write that needs its connection
-- parks it
ALTER SERVER pg1 OPTIONS (ADD fetch_size '3');
BEGIN;
SAVEPOINT a;
DECLARE c CURSOR FOR SELECT id, name FROM pg_items ORDER BY id;
DECLARE l CURSOR FOR SELECT id, name FROM loc.items ORDER BY id;
FETCH 2 FROM c;
FETCH 2 FROM l;
RELEASE a;
FETCH 3 FROM c;
FETCH 3 FROM l;
SAVEPOINT b;
FETCH 1 FROM c;
FETCH 1 FROM l;
SELECT 1 / 0;
ROLLBACK TO b;
FETCH 1 FROM c;
FETCH 1 FROM l;
UPDATE pg_items SET qty = qty WHERE id = 1;
FETCH ALL FROM c;
FETCH ALL FROM l;
SELECT count(*) FROM pg_items;
ROLLBACK;
-- two levels released while the cursor reads, and a subtransaction commit
-- in PL/pgSQL (a block with an exception handler)
BEGIN;
SAVEPOINT a;
SAVEPOINT b;
DECLARE c CURSOR FOR SELECT id, name, price FROM pg_items ORDER BY id;
DECLARE l CURSOR FOR SELECT id, name, price FROM loc.items ORDER BY id;
SELECT fetch_same('c', 'l', 4);
RELEASE b;
SELECT fetch_same('c', 'l', 2);
RELEASE a;
SELECT fetch_same('c', 'l', 100);
COMMIT;
SELECT cursor_after_block('SELECT id, name FROM pg_items ORDER BY id') AS remote,
       cursor_after_block('SELECT id, name FROM loc.items ORDER BY id') AS local;
BEGIN;
SELECT cursor_after_block('SELECT id, name FROM pg_items ORDER BY id') AS remote;
COMMIT;
-- ROLLBACK TO ends the streams of the level it rolls back: a cursor
-- declared there is gone, and one declared before it but first read there
-- cannot go on (its remote cursor was rolled back)
BEGIN;
SAVEPOINT a;
DECLARE c CURSOR FOR SELECT id FROM pg_items ORDER BY id;
FETCH 2 FROM c;
ROLLBACK TO a;
SELECT count(*) FROM pg_items;
DECLARE d CURSOR FOR SELECT id FROM pg_items ORDER BY id;
SAVEPOINT b;
FETCH 2 FROM d;
ROLLBACK TO b;
FETCH 2 FROM d;
ROLLBACK;
-- a cursor parked by a write (another statement, another portal), its
-- rows spilling past work_mem into temporary files: the files are the
-- cursor's (the write's end closed them while the cursor still read them)
BEGIN;
SET LOCAL work_mem = 64;
DECLARE c CURSOR FOR SELECT id, g FROM pg_big ORDER BY id;
DECLARE l CURSOR FOR SELECT g AS id, g % 7 AS g FROM generate_series(1, 5000) g;
SELECT fetch_same('c', 'l', 2);
UPDATE pg_items SET qty = qty WHERE id = 1;
SELECT fetch_same('c', 'l', 10000);
COMMIT;
ALTER SERVER pg1 OPTIONS (DROP fetch_size);

-- remote transactions follow the local one (REPEATABLE READ)
BEGIN;
SELECT count(*) FROM pg_items;
SELECT count(*) FROM pg_items;
COMMIT;

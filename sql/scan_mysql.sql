--
-- Reading a MariaDB table whose database uses a case-insensitive, PAD SPACE
-- collation: results equal a local table's; what MySQL would read
-- differently is either rewritten or evaluated locally.
--
SELECT id, name, code, price, qty, big, ratio, flag, created, d, note, doc
  FROM my_items ORDER BY id;

SELECT p, same(format('SELECT id, name, code, price, qty, big, ratio, flag, created, d, note, doc::text FROM my_items WHERE %s', p),
               format('SELECT id, name, code, price, qty, big, ratio, flag, created, d, note, doc::text FROM loc.items WHERE %s', p)) AS same
  FROM preds ORDER BY n;

-- text equality compares bytes; the plain comparison stays for the index
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM my_items WHERE name = 'abc';
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM my_items WHERE name IN ('abc', 'it''s') AND name IS DISTINCT FROM 'b';
-- ordering of text only under "C"; arithmetic, functions, booleans stay local
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM my_items WHERE name < 'b' AND name COLLATE "C" < 'b';
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM my_items WHERE qty / 2 = 1 AND lower(name) = 'abc' AND flag AND code = 'ab';
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM my_items WHERE price > 5 AND ratio < 1.5 AND created >= '2024-01-01' AND d < '2024-06-01';
-- values MySQL cannot hold are not shipped
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM my_items WHERE ratio < 'Infinity' AND d > '-infinity';
SELECT count(*) FROM my_items WHERE ratio < 'Infinity';

-- parameters become literals quoted for MySQL
PREPARE q2(text, int) AS SELECT id FROM my_items WHERE name = $1 AND qty > $2 ORDER BY id;
EXECUTE q2('abc', 0);
SET plan_cache_mode = force_generic_plan;
EXPLAIN (VERBOSE, COSTS OFF) EXECUTE q2('abc', 0);
EXECUTE q2('abc', 0);
EXECUTE q2('a"b`c;--', -100);
EXECUTE q2('x'' OR ''1''=''1', -100);
EXECUTE q2(NULL, 0);
RESET plan_cache_mode;

-- joins and self-joins: two readers of one server at once
SELECT a.id, b.id FROM my_items a JOIN my_items b ON a.name = b.name AND a.id < b.id ORDER BY 1, 2;
SELECT same('SELECT a.id, b.id FROM my_items a, my_items b WHERE a.qty < b.qty',
            'SELECT a.id, b.id FROM loc.items a, loc.items b WHERE a.qty < b.qty');
SELECT same('SELECT m.id, p.id FROM my_items m JOIN pg_items p ON m.name = p.name',
            'SELECT a.id, b.id FROM loc.items a JOIN loc.items b ON a.name = b.name');
SELECT id, (SELECT count(*) FROM my_items b WHERE b.qty > a.qty) FROM loc.items a ORDER BY id;

-- streaming: many rows, small batches, early stop
CREATE FOREIGN TABLE my_big (id int, g int) SERVER my1 OPTIONS (table_name 'big');
SELECT count(*), sum(id), count(DISTINCT g) FROM my_big;
SELECT id FROM my_big ORDER BY id LIMIT 3;
SELECT id FROM my_big LIMIT 0;
SELECT count(*) FROM (SELECT id FROM my_big LIMIT 10) s;
SELECT count(*) FROM my_big;

SELECT server_name, driver, valid FROM federate.connections() ORDER BY 1;

-- a connection that a read still uses is kept, with a warning, and the
-- read goes on (a read of at most a batch, outside a transaction block)
SELECT federate.disconnect_all();
SELECT federate.disconnect('my1') AS closed, id FROM my_items ORDER BY id LIMIT 3;

-- a cursor declared in a savepoint lives on after RELEASE, as the same
-- cursor over loc.items does, also while another statement reads the
-- server and after a subtransaction commit in PL/pgSQL
BEGIN;
SAVEPOINT a;
DECLARE c CURSOR FOR SELECT id, name FROM my_items ORDER BY id;
DECLARE l CURSOR FOR SELECT id, name FROM loc.items ORDER BY id;
FETCH 2 FROM c;
FETCH 2 FROM l;
RELEASE a;
FETCH 3 FROM c;
FETCH 3 FROM l;
SELECT count(*) FROM my_items;
SAVEPOINT b;
FETCH 1 FROM c;
FETCH 1 FROM l;
SELECT 1 / 0;
ROLLBACK TO b;
FETCH ALL FROM c;
FETCH ALL FROM l;
SELECT count(*) FROM my_items;
COMMIT;
SELECT cursor_after_block('SELECT id, name FROM my_items ORDER BY id') AS remote,
       cursor_after_block('SELECT id, name FROM loc.items ORDER BY id') AS local;
-- a stream of 5000 rows: the write parks it (reads its rest), then the
-- deferred RELEASE goes before the write
-- (spilling past work_mem: the temporary files are the cursor's)
BEGIN;
SET LOCAL work_mem = 64;
SAVEPOINT a;
DECLARE c CURSOR FOR SELECT id, g FROM my_big ORDER BY id;
DECLARE l CURSOR FOR SELECT g AS id, g % 7 AS g FROM generate_series(1, 5000) g;
SELECT fetch_same('c', 'l', 2);
RELEASE a;
SELECT fetch_same('c', 'l', 2);
UPDATE my_items SET qty = qty WHERE id = 1;
SELECT fetch_same('c', 'l', 10000);
ROLLBACK;

--
-- IMPORT FOREIGN SCHEMA from both engines.
--
CREATE SCHEMA imp_pg;
IMPORT FOREIGN SCHEMA public FROM SERVER pg1 INTO imp_pg;
SELECT foreign_table_name FROM information_schema.foreign_tables
  WHERE foreign_table_schema = 'imp_pg' ORDER BY 1;
\d imp_pg.items
\d imp_pg."Odd ""Name"""
SELECT * FROM imp_pg."Odd ""Name""" ORDER BY 1;
SELECT same('SELECT id, name, price, doc::text FROM imp_pg.items', 'SELECT id, name, price, doc::text FROM loc.items');

CREATE SCHEMA imp_pg2;
IMPORT FOREIGN SCHEMA other LIMIT TO (t2, v1, nosuch) FROM SERVER pg1 INTO imp_pg2;
\d imp_pg2.t2
SELECT foreign_table_name FROM information_schema.foreign_tables
  WHERE foreign_table_schema = 'imp_pg2' ORDER BY 1;
CREATE SCHEMA imp_pg3;
IMPORT FOREIGN SCHEMA other EXCEPT (t1) FROM SERVER pg1 INTO imp_pg3;
SELECT foreign_table_name FROM information_schema.foreign_tables
  WHERE foreign_table_schema = 'imp_pg3' ORDER BY 1;

CREATE SCHEMA imp_my;
IMPORT FOREIGN SCHEMA fedtest FROM SERVER my1 INTO imp_my;
SELECT foreign_table_name FROM information_schema.foreign_tables
  WHERE foreign_table_schema = 'imp_my' ORDER BY 1;
\d imp_my.items
\d imp_my.blobs
SELECT * FROM imp_my."Odd ""Name""" ORDER BY 1;
SELECT same('SELECT id, name, code, price, qty, big, ratio, flag, created, d, note FROM imp_my.items',
            'SELECT id, name, code, price, qty, big, ratio, flag, created, d, note FROM loc.items');
CREATE SCHEMA imp_my2;
-- names compare exactly: "ITEMS" is not "items", even to MySQL
IMPORT FOREIGN SCHEMA fedtest LIMIT TO (items, "ITEMS") FROM SERVER my1 INTO imp_my2;
SELECT foreign_table_name FROM information_schema.foreign_tables
  WHERE foreign_table_schema = 'imp_my2' ORDER BY 1;

-- a schema that does not exist
IMPORT FOREIGN SCHEMA nosuch FROM SERVER pg1 INTO imp_pg;
IMPORT FOREIGN SCHEMA nosuch FROM SERVER my1 INTO imp_my;

-- MySQL types PostgreSQL declares otherwise: CHAR(0) and VARCHAR(0) (no
-- such length here) become text, TIME (-838:59:59 to 838:59:59) interval
CREATE SCHEMA imp_types;
IMPORT FOREIGN SCHEMA fedtypes FROM SERVER my1 INTO imp_types;
\d imp_types.odd_types
\d imp_types.times
\d imp_types.dates
SELECT same('SELECT * FROM imp_types.times', 'SELECT * FROM loc.times');
SELECT same('SELECT * FROM imp_types.dates', 'SELECT * FROM loc.dates');

-- PostgreSQL types are written by this server from their names and
-- modifiers: a pg_catalog type it does not know becomes text
\c fed_pg1
CREATE DOMAIN pg_catalog.fed_remote_only AS int;
CREATE TABLE other.t3 (a pg_catalog.fed_remote_only, b numeric(7,2)[],
  c varchar(5)[], d interval hour to minute, e time(3), f bit(4), g "char",
  h numeric, i timestamptz(0), j interval(2), k numeric(3,-2), l character(1));
\c contrib_regression
CREATE SCHEMA imp_pg4;
IMPORT FOREIGN SCHEMA other LIMIT TO (t3) FROM SERVER pg1 INTO imp_pg4;
\d imp_pg4.t3

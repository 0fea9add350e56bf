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

--
-- Layouts beyond one level of partitions: a table partitioned by tenant
-- whose partitions are partitioned again by id (HASH over RANGE, leaves
-- on both engines, a DEFAULT partition).  Key shipping into it routes
-- each key to its top-level partition and reads every leaf under it.
-- Every query is compared with the same query on a local table holding
-- the same rows.
--
\c fed_pg1
CREATE TABLE lv_0a (id int PRIMARY KEY, tenant int NOT NULL, region varchar(20), amount numeric(12,2));
CREATE TABLE lv_1a (LIKE lv_0a);
CREATE TABLE lv_1d (LIKE lv_0a);
\c fed_pg2
CREATE TABLE lv_0b (id int PRIMARY KEY, tenant int NOT NULL, region varchar(20), amount numeric(12,2));
CREATE TABLE lv_1b (LIKE lv_0b);
\c contrib_regression

CREATE TABLE lv (id int, tenant int NOT NULL, region varchar(20), amount numeric(12,2))
  PARTITION BY HASH (tenant);
CREATE TABLE lv_0 PARTITION OF lv FOR VALUES WITH (MODULUS 2, REMAINDER 0) PARTITION BY RANGE (id);
CREATE TABLE lv_1 PARTITION OF lv FOR VALUES WITH (MODULUS 2, REMAINDER 1) PARTITION BY RANGE (id);
CREATE FOREIGN TABLE lv_0a PARTITION OF lv_0 FOR VALUES FROM (MINVALUE) TO (100)
  SERVER pg1 OPTIONS (schema_name 'public', table_name 'lv_0a');
CREATE FOREIGN TABLE lv_0b PARTITION OF lv_0 FOR VALUES FROM (100) TO (200)
  SERVER pg2 OPTIONS (schema_name 'public', table_name 'lv_0b');
CREATE FOREIGN TABLE lv_0c PARTITION OF lv_0 FOR VALUES FROM (200) TO (MAXVALUE)
  SERVER my1 OPTIONS (table_name 'lv_0c');
CREATE FOREIGN TABLE lv_1a PARTITION OF lv_1 FOR VALUES FROM (MINVALUE) TO (100)
  SERVER pg1 OPTIONS (schema_name 'public', table_name 'lv_1a');
CREATE FOREIGN TABLE lv_1b PARTITION OF lv_1 FOR VALUES FROM (100) TO (200)
  SERVER pg2 OPTIONS (schema_name 'public', table_name 'lv_1b');
CREATE FOREIGN TABLE lv_1c PARTITION OF lv_1 FOR VALUES FROM (200) TO (250)
  SERVER my1 OPTIONS (table_name 'lv_1c');
CREATE FOREIGN TABLE lv_1d PARTITION OF lv_1 DEFAULT
  SERVER pg1 OPTIONS (schema_name 'public', table_name 'lv_1d');

CREATE TABLE loc.lv (LIKE lv);
INSERT INTO loc.lv
SELECT g, g % 9 + 1, (ARRAY['east', 'East', 'east ', NULL, 'wést'])[g % 5 + 1],
  CASE WHEN g % 7 = 0 THEN NULL ELSE (g * 37 % 1000) / 10.0 END
FROM generate_series(1, 300) g;
INSERT INTO lv SELECT * FROM loc.lv;
SELECT tableoid::regclass AS leaf, count(*) FROM lv GROUP BY 1 ORDER BY 1;

-- small inputs: a coordinator table, a subquery, a sharded table
CREATE TABLE lv_dim (tenant int, label text);
INSERT INTO lv_dim VALUES (2, 'two'), (3, 'three'), (3, 'three again'), (NULL, 'none'), (42, 'absent');
ANALYZE lv_dim;
CREATE TABLE lv_shapes (n int, q text);
INSERT INTO lv_shapes VALUES
 (1, 'SELECT count(*) FROM %1$s v JOIN lv_dim d ON v.tenant = d.tenant'),
 (2, 'SELECT v.id, d.label FROM %1$s v JOIN lv_dim d ON v.tenant = d.tenant'),
 (3, 'SELECT v.id FROM %1$s v WHERE v.tenant IN (SELECT tenant FROM lv_dim)'),
 (4, 'SELECT d.label, count(*), sum(v.amount) FROM %1$s v JOIN lv_dim d ON v.tenant = d.tenant GROUP BY 1'),
 (5, 'SELECT v.id, s.id FROM %1$s v JOIN %2$s s ON v.tenant = s.tenant WHERE s.qty = 7 AND s.id < 40'),
 (6, 'SELECT v.id FROM %1$s v WHERE v.tenant IN (SELECT tenant FROM %2$s WHERE id < 5)'),
 (7, 'SELECT d.label, v.id FROM lv_dim d LEFT JOIN %1$s v ON v.tenant = d.tenant AND v.id < 120');
SELECT n, same_rows(format(q, 'lv', 'sales'), format(q, 'loc.lv', 'loc.sales'))
FROM lv_shapes ORDER BY n;
SET federate.key_shipping_batch_size = 1;
SELECT n, same_rows(format(q, 'lv', 'sales'), format(q, 'loc.lv', 'loc.sales'))
FROM lv_shapes ORDER BY n;
RESET federate.key_shipping_batch_size;

-- the keys 2 and 3 are in both top-level partitions: all seven leaves;
-- key 2 alone is in lv_0 only: its three leaves
SELECT explain_lines('SELECT count(*) FROM lv v JOIN lv_dim d ON v.tenant = d.tenant',
                     'Strategy|Keys Shipped|Join Strategy');
SELECT explain_lines('SELECT count(*) FROM lv v JOIN lv_dim d ON v.tenant = d.tenant WHERE d.label = ''two''',
                     'Strategy|Keys Shipped|Join Strategy');

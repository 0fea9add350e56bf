--
-- ANALYZE of federated tables: row counts and samples drawn on the servers
-- (fdw/analyze.c), the statistics compared with those of a local table
-- holding the same rows, and the planner's estimates before and after.
--
\c fed_pg1
-- more rows than the sample (30000 at the default statistics target), so
-- it is drawn with TABLESAMPLE; s is 1 in 90% of the rows
CREATE TABLE an_pg (id int PRIMARY KEY, g int, s int, t text);
INSERT INTO an_pg SELECT i, i % 10, CASE WHEN i % 10 = 0 THEN i ELSE 1 END, 'row ' || i
  FROM generate_series(1, 60000) i;
CREATE VIEW an_pgv AS SELECT * FROM an_pg;
\c fed_pg2
CREATE TABLE an_pg (id int PRIMARY KEY, g int, s int, t text);
INSERT INTO an_pg SELECT i, i % 10, 1, 'row ' || i FROM generate_series(60001, 61000) i;
\c contrib_regression

-- the same rows, local
CREATE TABLE loc.an (id int PRIMARY KEY, g int, s int, t text);
INSERT INTO loc.an SELECT i, i % 10, CASE WHEN i % 10 = 0 THEN i ELSE 1 END, 'row ' || i
  FROM generate_series(1, 60000) i;
INSERT INTO loc.an SELECT i, i % 10, 1, 'row ' || i FROM generate_series(60001, 61000) i;
ANALYZE loc.an;

-- a sharded table: a big partition, a small one, and a MySQL table
CREATE TABLE an (id int, g int, s int, t text) PARTITION BY RANGE (id);
CREATE FOREIGN TABLE an_1 PARTITION OF an FOR VALUES FROM (1) TO (60001)
  SERVER pg1 OPTIONS (table_name 'an_pg');
CREATE FOREIGN TABLE an_2 PARTITION OF an FOR VALUES FROM (60001) TO (100000)
  SERVER pg2 OPTIONS (table_name 'an_pg');
CREATE FOREIGN TABLE an_v (id int, g int, s int, t text) SERVER pg1 OPTIONS (table_name 'an_pgv');
CREATE FOREIGN TABLE an_my (id int, g int, s int) SERVER my1 OPTIONS (table_name 'an_my');

-- the planner's row estimate of a query (EXPLAIN's top node)
CREATE FUNCTION est(q text) RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE
  plan json;
BEGIN
  EXECUTE 'EXPLAIN (FORMAT JSON) ' || q INTO plan;
  RETURN (plan -> 0 -> 'Plan' ->> 'Plan Rows')::float8;
END $$;
-- within 10% (a sample's numbers vary), or tol
CREATE FUNCTION near(a float8, b float8, tol float8 = 0.1) RETURNS boolean LANGUAGE sql AS $$
  SELECT abs(a - b) <= tol * greatest(abs(b), 1) $$;

-- never analyzed: the default guess
SELECT relname, reltuples FROM pg_class WHERE relname IN ('an', 'an_1', 'an_2', 'an_v', 'an_my')
  AND relnamespace = 'public'::regnamespace ORDER BY 1;
SELECT near(est('SELECT * FROM an WHERE g = 3'), (SELECT count(*) FROM loc.an WHERE g = 3)) AS filter_estimate_near;

ANALYZE an;
ANALYZE an_v, an_my;

-- row counts: the partitions', and the parent's, as the servers have them
SELECT c.relname, near(c.reltuples, n) AS rows_near
  FROM pg_class c, (VALUES ('an', 61000), ('an_1', 60000), ('an_2', 1000),
                           ('an_v', 60000), ('an_my', 40000)) AS v(r, n)
 WHERE c.relname = v.r AND c.relnamespace = 'public'::regnamespace ORDER BY 1;
-- the partitions' sizes decide their shares of the parent's sample
SELECT relname, relpages > 0 AS has_pages FROM pg_class WHERE relname IN ('an_1', 'an_2') ORDER BY 1;

-- statistics: the same as the local table's
-- (the number of distinct values is itself a guess from the sample: two
-- samples of s differ by up to 8%)
SELECT f.attname, near(f.n_distinct, l.n_distinct, 0.25) AS n_distinct_near,
       -- (g's ten values are equally common: their order is the sample's)
       f.attname = 'g' OR (f.most_common_vals::text::int[])[1] = (l.most_common_vals::text::int[])[1] AS same_top_value,
       near(f.most_common_freqs[1], l.most_common_freqs[1]) AS top_freq_near,
       f.null_frac = l.null_frac AS same_null_frac
  FROM pg_stats f JOIN pg_stats l USING (attname)
 WHERE f.tablename = 'an' AND f.schemaname = 'public'
   AND l.tablename = 'an' AND l.schemaname = 'loc'
   AND attname IN ('g', 's')
 ORDER BY 1;
SELECT attname, n_distinct FROM pg_stats WHERE tablename = 'an_my' AND attname = 'g';
SELECT near((most_common_freqs)[1], 0.9) AS mysql_top_freq_near
  FROM pg_stats WHERE tablename = 'an_my' AND attname = 's';
SELECT near(n_distinct, 10) AS view_n_distinct_near FROM pg_stats WHERE tablename = 'an_v' AND attname = 'g';

-- the planner now estimates from them: a filter, a skewed value, a grouping
SELECT near(est('SELECT * FROM an WHERE g = 3'), (SELECT count(*) FROM loc.an WHERE g = 3)) AS filter_estimate_near;
SELECT near(est('SELECT * FROM an WHERE s = 1'), (SELECT count(*) FROM loc.an WHERE s = 1)) AS skew_estimate_near;
SELECT est('SELECT g, count(*) FROM an GROUP BY g') AS groups_estimate;
SELECT near(est('SELECT * FROM an_my WHERE g = 3'), 40000 / 7.0) AS mysql_estimate_near;

-- federate.analyze(): every federated table, for a schedule
-- (of one schema here: the other tests' tables include some on servers
-- that are down; a table whose values do not convert gets a WARNING, and
-- the others go on)
CREATE SCHEMA an_s;
ALTER TABLE an SET SCHEMA an_s;
CREATE FOREIGN TABLE an_s.v (id int, g int, s int, t text) SERVER pg1
  OPTIONS (schema_name 'public', table_name 'an_pgv');
CREATE FOREIGN TABLE an_s.bad (id int, name int) SERVER my1 OPTIONS (table_name 'items');
SELECT relation, reltuples > 0 AS counted, seconds >= 0 AS timed, error
  FROM federate.analyze(schema_name => 'an_s') ORDER BY 1;
ALTER TABLE an_s.an SET SCHEMA public;
DROP SCHEMA an_s CASCADE;

DROP TABLE an;
DROP FOREIGN TABLE an_v, an_my;
DROP TABLE loc.an;

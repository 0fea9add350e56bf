--
-- Pushdown breadth: time functions under the session's TimeZone, values
-- the coordinator computes (now(), current_date), CASE/COALESCE/NULLIF,
-- bigint arithmetic, text-form casts, FILTER, bit_and/bit_or/bit_xor and
-- SELECT DISTINCT, on the table "sales" of shard.sql (PostgreSQL shards
-- pg1, pg2 and the MariaDB shard my1).  Every query is compared, as text,
-- with the same query on loc.sales, under zones with and without DST.
--

CREATE TABLE pd_shapes (n int, q text);
INSERT INTO pd_shapes VALUES
 (1, 'SELECT date_trunc(''day'', ts), count(*), sum(amount) FROM %1$s GROUP BY 1'),
 (2, 'SELECT date_trunc(''month'', ts), tenant, sum(qty) FROM %1$s GROUP BY 1, 2'),
 (3, 'SELECT date_trunc(''hour'', ts), date_trunc(''minute'', ts), count(*) FROM %1$s GROUP BY 1, 2'),
 (4, 'SELECT date_trunc(''week'', created), date_trunc(''quarter'', d), date_trunc(''year'', ts), count(*) FROM %1$s GROUP BY 1, 2, 3'),
 (5, 'SELECT extract(year FROM ts), extract(month FROM ts), avg(qty) FROM %1$s GROUP BY 1, 2'),
 (6, 'SELECT extract(dow FROM ts), extract(isodow FROM created), extract(doy FROM d), count(*) FROM %1$s GROUP BY 1, 2, 3'),
 (7, 'SELECT extract(week FROM ts), extract(isoyear FROM ts), date_part(''hour'', ts), extract(quarter FROM d), count(*) FROM %1$s GROUP BY 1, 2, 3, 4'),
 (8, 'SELECT ts::date, created::date, count(*) FROM %1$s GROUP BY 1, 2'),
 (9, 'SELECT count(*), sum(amount) FROM %1$s WHERE ts > now() - interval ''1000 days'''),
 (10, 'SELECT region, count(*) FROM %1$s WHERE ts < current_date - 730 GROUP BY 1'),
 (11, 'SELECT count(*) FROM %1$s WHERE ts::date = ''2024-03-31'' OR date_trunc(''day'', ts) = ''2024-10-27'''),
 (12, 'SELECT region, count(*) FILTER (WHERE qty > 5), sum(amount) FILTER (WHERE flag), avg(qty) FILTER (WHERE amount > 0) FROM %1$s GROUP BY 1'),
 (13, 'SELECT count(*) FILTER (WHERE region = ''east''), min(amount) FILTER (WHERE qty < 0), max(d) FILTER (WHERE ts IS NULL) FROM %1$s'),
 (14, 'SELECT DISTINCT region, tenant FROM %1$s'),
 (15, 'SELECT DISTINCT region FROM %1$s'),
 (16, 'SELECT DISTINCT qty FROM %1$s WHERE tenant < 10'),
 (17, 'SELECT CASE WHEN qty > 10 THEN 1 WHEN qty < 0 THEN -1 ELSE 0 END, count(*) FROM %1$s GROUP BY 1'),
 (18, 'SELECT CASE region WHEN ''east'' THEN ''E'' ELSE region END, count(*) FROM %1$s GROUP BY 1'),
 (19, 'SELECT coalesce(qty, -1), nullif(qty, 0), count(*) FROM %1$s GROUP BY 1, 2'),
 (20, 'SELECT tenant, bit_and(qty), bit_or(qty), bit_xor(id) FROM %1$s GROUP BY tenant'),
 (21, 'SELECT md5(id::text), qty::text FROM %1$s WHERE tenant = 3'),
 (22, 'SELECT id::bigint * 3 - tenant, count(*) FROM %1$s WHERE qty::bigint * 2 + 1 > 21 GROUP BY 1'),
 (23, 'SELECT count(DISTINCT date_trunc(''month'', created)), count(DISTINCT extract(dow FROM ts)) FROM %1$s'),
 (24, 'SELECT tenant, date_trunc(''day'', ts), sum(amount) FROM %1$s WHERE ts >= now() - interval ''1000 days'' GROUP BY 1, 2');

-- variance and stddev of integers and numeric, on a table of PostgreSQL
-- shards only (MySQL shards leave them to the coordinator): the digits
-- and scale of PostgreSQL's own final functions
CREATE TABLE pg_sales (LIKE sales) PARTITION BY HASH (tenant);
CREATE FOREIGN TABLE pg_sales_0 PARTITION OF pg_sales
  FOR VALUES WITH (MODULUS 4, REMAINDER 0)
  SERVER pg1 OPTIONS (schema_name 'public', table_name 'sales_0');
CREATE FOREIGN TABLE pg_sales_1 PARTITION OF pg_sales
  FOR VALUES WITH (MODULUS 4, REMAINDER 1)
  SERVER pg2 OPTIONS (schema_name 'public', table_name 'sales_1');
CREATE VIEW loc_pg_sales AS
  SELECT * FROM loc.sales WHERE satisfies_hash_partition('sales'::regclass, 4, 0, tenant)
  UNION ALL
  SELECT * FROM loc.sales WHERE satisfies_hash_partition('sales'::regclass, 4, 1, tenant);
CREATE TABLE var_shapes (n int, q text);
INSERT INTO var_shapes VALUES
 (1, 'SELECT stddev(qty), variance(qty), stddev_pop(qty), var_pop(qty), var_samp(amount), stddev_samp(amount) FROM %1$s'),
 (2, 'SELECT region, stddev(amount), var_pop(amount), variance(id::bigint), stddev_pop(qty::smallint) FROM %1$s GROUP BY region'),
 (3, 'SELECT tenant, stddev(qty), variance(amount) FROM %1$s GROUP BY tenant'),
 (4, 'SELECT stddev(qty) FILTER (WHERE flag), variance(amount) FILTER (WHERE qty > 3) FROM %1$s'),
 (5, 'SELECT stddev(qty), var_samp(amount) FROM %1$s WHERE tenant = 5'),
 (6, 'SELECT stddev(qty), var_pop(amount), variance(id) FROM %1$s WHERE id < 0'),
 (7, 'SELECT variance(amount * 1000000.123456), stddev(amount / 7) FROM %1$s');
SELECT n, same_rows(format(q, 'pg_sales'), format(q, 'loc_pg_sales')) FROM var_shapes ORDER BY n;
SELECT n, same_rows(format(q, 'sales'), format(q, 'loc.sales')) FROM var_shapes ORDER BY n;
EXPLAIN (VERBOSE, COSTS OFF)
SELECT region, stddev(amount), var_pop(qty) FROM pg_sales GROUP BY region;
-- what stays local, and why
EXPLAIN (VERBOSE, COSTS OFF)
SELECT region, stddev(amount) FROM sales GROUP BY region;
EXPLAIN (VERBOSE, COSTS OFF)
SELECT lower(region), count(*) FROM sales GROUP BY 1;
EXPLAIN (VERBOSE, COSTS OFF)
SELECT count(*) FROM sales WHERE note LIKE 'note 1%';

-- rows on both sides of the DST changes of Europe/Berlin in 2024
SELECT count(*) FILTER (WHERE ts::date IN ('2024-03-31', '2024-10-27')) > 0 AS dst_days_present
FROM loc.sales;

SET TimeZone = 'UTC';
SELECT n, same_rows(format(q, 'sales'), format(q, 'loc.sales')) FROM pd_shapes ORDER BY n;
SET TimeZone = 'Europe/Berlin';
SELECT n, same_rows(format(q, 'sales'), format(q, 'loc.sales')) FROM pd_shapes ORDER BY n;
SET TimeZone = 'Etc/GMT-3';
SELECT n, same_rows(format(q, 'sales'), format(q, 'loc.sales')) FROM pd_shapes ORDER BY n;
SET TimeZone = 'America/New_York';
SELECT n, same_rows(format(q, 'sales'), format(q, 'loc.sales')) FROM pd_shapes ORDER BY n;

-- what each engine is sent: under a fixed offset MySQL gets the time
-- functions too, with the offset as a parameter
SET TimeZone = 'Etc/GMT-3';
EXPLAIN (VERBOSE, COSTS OFF)
SELECT date_trunc('day', ts), count(*), sum(amount) FROM sales GROUP BY 1;
EXPLAIN (VERBOSE, COSTS OFF)
SELECT extract(year FROM ts), extract(dow FROM created), avg(qty) FROM sales GROUP BY 1, 2;
EXPLAIN (VERBOSE, COSTS OFF)
SELECT count(*) FROM sales WHERE ts > now() - interval '90 days';
-- under a zone with DST, MySQL gets the columns and the coordinator groups
SET TimeZone = 'Europe/Berlin';
EXPLAIN (VERBOSE, COSTS OFF)
SELECT date_trunc('day', ts), count(*) FROM sales WHERE tenant = 5 GROUP BY 1;
EXPLAIN (VERBOSE, COSTS OFF)
SELECT date_trunc('day', ts), count(*) FROM sales WHERE tenant = 2 GROUP BY 1;
-- FILTER, DISTINCT, CASE, bit aggregates
EXPLAIN (VERBOSE, COSTS OFF)
SELECT region, count(*) FILTER (WHERE qty > 5), sum(amount) FROM sales GROUP BY 1;
EXPLAIN (VERBOSE, COSTS OFF)
SELECT DISTINCT region, flag FROM sales;
EXPLAIN (VERBOSE, COSTS OFF)
SELECT DISTINCT tenant, region FROM sales;
EXPLAIN (VERBOSE, COSTS OFF)
SELECT CASE WHEN qty > 10 THEN 'many' ELSE 'few' END, coalesce(qty, 0), count(*)
FROM sales GROUP BY 1, 2;
EXPLAIN (VERBOSE, COSTS OFF)
SELECT bit_or(qty), md5(tenant::text) FROM sales WHERE tenant = 5 GROUP BY 2;

-- the remote transaction runs under the session's zone, changed or not
-- inside a transaction
BEGIN;
SET LOCAL TimeZone = 'Asia/Kathmandu';
SELECT same_rows('SELECT extract(hour FROM ts), count(*) FROM sales WHERE tenant <> 2 GROUP BY 1',
                 'SELECT extract(hour FROM ts), count(*) FROM loc.sales WHERE tenant <> 2 GROUP BY 1');
SET LOCAL TimeZone = 'America/Sao_Paulo';
SELECT same_rows('SELECT extract(hour FROM ts), count(*) FROM sales WHERE tenant <> 2 GROUP BY 1',
                 'SELECT extract(hour FROM ts), count(*) FROM loc.sales WHERE tenant <> 2 GROUP BY 1');
COMMIT;

-- a generic plan made under a fixed offset, run under a zone with DST:
-- MySQL cannot be sent the zone, and says so
SET TimeZone = 'UTC';
SET plan_cache_mode = force_generic_plan;
PREPARE pd(int) AS SELECT extract(hour FROM ts), count(*) FROM sales WHERE qty > $1 GROUP BY 1;
EXECUTE pd(0) \g /dev/null
SET TimeZone = 'Europe/Berlin';
EXECUTE pd(0);
DEALLOCATE pd;
RESET plan_cache_mode;
RESET TimeZone;

-- DISTINCT ON the partition key, on PostgreSQL shards: each shard runs the
-- whole DISTINCT ON with the ORDER BY, the coordinator merges the streams
SELECT same_order('SELECT DISTINCT ON (tenant) tenant, id, amount FROM pg_sales ORDER BY tenant, amount DESC NULLS LAST, id',
                  'SELECT DISTINCT ON (tenant) tenant, id, amount FROM loc_pg_sales ORDER BY tenant, amount DESC NULLS LAST, id');
SELECT same_order('SELECT DISTINCT ON (tenant, region) tenant, region, d FROM pg_sales WHERE qty > 0 ORDER BY tenant, region, d DESC, id',
                  'SELECT DISTINCT ON (tenant, region) tenant, region, d FROM loc_pg_sales WHERE qty > 0 ORDER BY tenant, region, d DESC, id');
-- a DISTINCT ON column with one value (WHERE tenant = 5) is not among the
-- query's sort keys, but the shard's ORDER BY still starts with it
SELECT same_order('SELECT DISTINCT ON (tenant) tenant, id FROM pg_sales WHERE tenant = 5 ORDER BY tenant, id DESC',
                  'SELECT DISTINCT ON (tenant) tenant, id FROM loc_pg_sales WHERE tenant = 5 ORDER BY tenant, id DESC');
EXPLAIN (VERBOSE, COSTS OFF)
SELECT DISTINCT ON (tenant) tenant, id FROM pg_sales WHERE tenant = 5 ORDER BY tenant, id DESC;
EXPLAIN (VERBOSE, COSTS OFF)
SELECT DISTINCT ON (tenant) tenant, id, amount FROM pg_sales ORDER BY tenant, amount DESC NULLS LAST, id;
-- not on the partition key, or with a MySQL shard: on the coordinator
EXPLAIN (COSTS OFF)
SELECT DISTINCT ON (region) region, id FROM pg_sales ORDER BY region, id;
EXPLAIN (COSTS OFF)
SELECT DISTINCT ON (tenant) tenant, id FROM sales ORDER BY tenant, id;

-- window functions whose PARTITION BY holds the partition key run whole on
-- each shard (MariaDB: ranking, lag/lead, first/last_value, count, sum,
-- min, max; ROWS frames and RANGE without offsets)
CREATE TABLE win_shapes (n int, q text);
INSERT INTO win_shapes VALUES
 (1, 'SELECT id, tenant, row_number() OVER (PARTITION BY tenant ORDER BY id), rank() OVER w, dense_rank() OVER w, count(*) OVER (PARTITION BY tenant) FROM %1$s WINDOW w AS (PARTITION BY tenant ORDER BY qty)'),
 (2, 'SELECT id, sum(amount) OVER (PARTITION BY tenant ORDER BY id ROWS BETWEEN 2 PRECEDING AND CURRENT ROW), min(qty) OVER (PARTITION BY tenant, qty), max(d) OVER (PARTITION BY flag, tenant ORDER BY id DESC) FROM %1$s'),
 (3, 'SELECT id, lag(amount) OVER w, lead(qty, 2) OVER w, first_value(created) OVER w, last_value(id) OVER w FROM %1$s WINDOW w AS (PARTITION BY tenant ORDER BY id ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)'),
 (4, 'SELECT * FROM (SELECT id, tenant, row_number() OVER (PARTITION BY tenant ORDER BY amount DESC NULLS LAST, id) AS rn FROM %1$s WHERE qty > 0) s WHERE rn <= 2'),
 (5, 'SELECT id, count(qty) OVER (PARTITION BY tenant ORDER BY qty NULLS FIRST), sum(qty) OVER (PARTITION BY tenant ORDER BY created DESC RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) FROM %1$s WHERE tenant IN (3, 5, 8)'),
 (6, 'SELECT id, ntile(4) OVER (PARTITION BY tenant ORDER BY id), avg(amount) OVER (PARTITION BY tenant), percent_rank() OVER (PARTITION BY tenant ORDER BY qty), sum(ratio) OVER (PARTITION BY tenant ORDER BY id GROUPS BETWEEN 1 PRECEDING AND CURRENT ROW EXCLUDE CURRENT ROW) FROM %1$s'),
 (7, 'SELECT id, row_number() OVER (ORDER BY id), sum(qty) OVER () FROM %1$s WHERE tenant = 5'),
 (8, 'SELECT id, rank() OVER (PARTITION BY region ORDER BY id), qty * count(*) OVER (PARTITION BY tenant) FROM %1$s');
SELECT n, same_rows(format(q, 'sales'), format(q, 'loc.sales')) FROM win_shapes ORDER BY n;
SELECT n, same_rows(format(q, 'pg_sales'), format(q, 'loc_pg_sales')) FROM win_shapes ORDER BY n;
EXPLAIN (VERBOSE, COSTS OFF)
SELECT id, tenant, row_number() OVER (PARTITION BY tenant ORDER BY id), rank() OVER w,
       lag(amount) OVER w, sum(qty) OVER (PARTITION BY tenant ORDER BY id ROWS 2 PRECEDING)
FROM sales WINDOW w AS (PARTITION BY tenant ORDER BY qty DESC);
EXPLAIN (VERBOSE, COSTS OFF)
SELECT id, sum(ratio) OVER (PARTITION BY tenant ORDER BY id GROUPS BETWEEN 1 PRECEDING AND CURRENT ROW EXCLUDE CURRENT ROW)
FROM pg_sales;
-- PostgreSQL's run condition (rn <= 2) becomes the node's filter
EXPLAIN (VERBOSE, COSTS OFF)
SELECT * FROM (SELECT id, tenant, row_number() OVER (PARTITION BY tenant ORDER BY amount DESC NULLS LAST, id) AS rn
               FROM sales WHERE qty > 0) s WHERE rn <= 2;
-- what stays local, and why
EXPLAIN (COSTS OFF)
SELECT id, ntile(4) OVER (PARTITION BY tenant ORDER BY id) FROM sales;
EXPLAIN (COSTS OFF)
SELECT id, rank() OVER (PARTITION BY region ORDER BY id) FROM pg_sales;
EXPLAIN (COSTS OFF)
SELECT id, row_number() OVER (PARTITION BY tenant ORDER BY id) FROM sales WHERE note LIKE 'note 1%';

-- a partition partitioned again (by id): a value of the top key spans two
-- leaves, so groups, DISTINCT values and windows of it do not stay on one
-- shard; grouping by both keys does
\c fed_pg1
CREATE TABLE nest_lo AS SELECT * FROM sales_0 WHERE id < 500;
CREATE TABLE nest_hi AS SELECT * FROM sales_0 WHERE id >= 500;
\c contrib_regression
CREATE TABLE nested (LIKE sales) PARTITION BY HASH (tenant);
CREATE TABLE nested_0 PARTITION OF nested FOR VALUES WITH (MODULUS 4, REMAINDER 0)
  PARTITION BY RANGE (id);
CREATE FOREIGN TABLE nested_0_lo PARTITION OF nested_0 FOR VALUES FROM (MINVALUE) TO (500)
  SERVER pg1 OPTIONS (schema_name 'public', table_name 'nest_lo');
CREATE FOREIGN TABLE nested_0_hi PARTITION OF nested_0 FOR VALUES FROM (500) TO (MAXVALUE)
  SERVER pg1 OPTIONS (schema_name 'public', table_name 'nest_hi');
CREATE FOREIGN TABLE nested_1 PARTITION OF nested FOR VALUES WITH (MODULUS 4, REMAINDER 1)
  SERVER pg2 OPTIONS (schema_name 'public', table_name 'sales_1');
CREATE FOREIGN TABLE nested_2 PARTITION OF nested FOR VALUES WITH (MODULUS 4, REMAINDER 2)
  SERVER my1 OPTIONS (table_name 'sales_2');
CREATE FOREIGN TABLE nested_3 PARTITION OF nested FOR VALUES WITH (MODULUS 4, REMAINDER 3)
  SERVER pg1 OPTIONS (schema_name 'public', table_name 'sales_3');
SELECT same_rows('SELECT tenant, count(*), sum(amount) FROM nested GROUP BY tenant',
                 'SELECT tenant, count(*), sum(amount) FROM loc.sales GROUP BY tenant') AS group_by,
       same_rows('SELECT DISTINCT tenant FROM nested', 'SELECT DISTINCT tenant FROM loc.sales') AS distinct_,
       same_rows('SELECT id, row_number() OVER (PARTITION BY tenant ORDER BY id) FROM nested',
                 'SELECT id, row_number() OVER (PARTITION BY tenant ORDER BY id) FROM loc.sales') AS window_;
EXPLAIN (COSTS OFF)
SELECT tenant, count(*) FROM nested GROUP BY tenant;
EXPLAIN (COSTS OFF)
SELECT tenant, id, count(*) FROM nested GROUP BY tenant, id;
EXPLAIN (COSTS OFF)
SELECT id, row_number() OVER (PARTITION BY tenant ORDER BY id) FROM nested;

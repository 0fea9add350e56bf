-- The benchmark's queries (test/bench/run.sh reads this file).
--
-- Each query is one statement ending in ";" at the end of a line, preceded by
-- lines "-- @KEY VALUE" (exactly one space after "--") that run.sh reads:
--   @query ID              name of the query
--   @target floor X        federate must be within X times the floor
--   @target direct X       federate must be within X times the direct shard query
--   @target local X        federate must take at most X times the local table's time
--   @target pgfdw X [SCEN] federate must be X times faster than the best
--                          postgres_fdw run (only in scenario SCEN if given)
--   @fallback.postgres SQL per-shard statement used for the floor while
--   @fallback.mysql SQL    federate's EXPLAIN shows no "Remote SQL" for its
--                          shards (hand-written; a WARNING is printed)
--   @fallback.scope tenant the fallback goes to the @TENANT@'s shard only
--   @direct.postgres SQL   the whole query sent directly to the one shard
--   @direct.mysql SQL      holding @TENANT@ (column "direct ms")
--   @keys SQL              the join keys federate ships (key shipping): the
--                          floor sends the keys this coordinator query returns
--                          where federate's Remote SQL takes them
--   @known SYSTEM SCEN WHY a baseline's known wrong answer: reported, but it
--                          does not fail the run (never used for federate)
-- @TENANT@ is replaced by a mid-size tenant (rank 100 of 1000 by size).
-- Plain "--" lines are comments.
-- Statements on one line each (the spec file the client reads is line-based).

-- @query Q1
-- @target floor 1.10
-- @target pgfdw 5 B
-- @fallback.postgres SELECT region, sum(revenue), count(revenue), count(*) FROM public.orders GROUP BY region
-- @fallback.mysql SELECT "region", sum("revenue"), count("revenue"), count(*) FROM "orders" GROUP BY "region"
SELECT region, sum(revenue), count(*), avg(revenue) FROM orders GROUP BY region;

-- @query Q2
-- @known pgfdw_on B mysql_fdw pushes avg(numeric) down to MariaDB, whose AVG of a DECIMAL(12,2) has 6 decimals instead of PostgreSQL's scale.
-- @fallback.postgres SELECT tenant_id, sum(revenue), count(*), avg(revenue) FROM public.orders GROUP BY tenant_id
-- @fallback.mysql SELECT "tenant_id", sum("revenue"), count("revenue"), count(*) FROM "orders" GROUP BY "tenant_id"
SELECT tenant_id, sum(revenue), count(*), avg(revenue) FROM orders GROUP BY tenant_id;

-- @query Q3
-- @target floor 1.10
-- @fallback.postgres SELECT count(*), sum(revenue) FROM public.orders WHERE ((created_at >= '2024-01-01 00:00:00+00'::timestamp with time zone) AND (created_at < '2024-04-01 00:00:00+00'::timestamp with time zone) AND (status = 'shipped'::text))
-- @fallback.mysql SELECT count(*), sum("revenue") FROM "orders" WHERE (("created_at" >= '2024-01-01 00:00:00') AND ("created_at" < '2024-04-01 00:00:00') AND ("status" = 'shipped' AND CAST(CONVERT("status" USING utf8mb4) AS BINARY) = CAST(CONVERT('shipped' USING utf8mb4) AS BINARY)))
SELECT count(*), sum(revenue) FROM orders WHERE created_at >= '2024-01-01 00:00:00+00' AND created_at < '2024-04-01 00:00:00+00' AND status = 'shipped';

-- @query Q4
-- @target floor 1.30
-- @target direct 1.30
-- @fallback.scope tenant
-- @fallback.postgres SELECT order_id, tenant_id, region, product_id, revenue, qty, status, created_at FROM public.orders WHERE ((tenant_id = @TENANT@)) ORDER BY created_at DESC, order_id DESC LIMIT 20
-- @fallback.mysql SELECT "order_id", "tenant_id", "region", "product_id", "revenue", "qty", "status", "created_at" FROM "orders" WHERE (("tenant_id" = @TENANT@)) ORDER BY "created_at" DESC, "order_id" DESC LIMIT 20
-- @direct.postgres SELECT * FROM public.orders WHERE tenant_id = @TENANT@ ORDER BY created_at DESC, order_id DESC LIMIT 20
-- @direct.mysql SELECT * FROM orders WHERE tenant_id = @TENANT@ ORDER BY created_at DESC, order_id DESC LIMIT 20
SELECT * FROM orders WHERE tenant_id = @TENANT@ ORDER BY created_at DESC, order_id DESC LIMIT 20;

-- @query Q5
-- @target floor 1.15
-- @fallback.postgres SELECT order_id, tenant_id, region, product_id, revenue, qty, status, created_at FROM public.orders ORDER BY revenue DESC, order_id ASC LIMIT 10
-- @fallback.mysql SELECT "order_id", "tenant_id", "region", "product_id", "revenue", "qty", "status", "created_at" FROM "orders" ORDER BY "revenue" DESC, "order_id" ASC LIMIT 10
SELECT * FROM orders ORDER BY revenue DESC, order_id LIMIT 10;

-- @query Q6
-- @target floor 1.30
-- @fallback.postgres SELECT product_id FROM public.orders GROUP BY product_id
-- @fallback.mysql SELECT "product_id" FROM "orders" GROUP BY "product_id"
SELECT count(DISTINCT product_id) FROM orders;

-- @query Q7
-- @target floor 1.15
-- @fallback.postgres SELECT min(created_at), max(created_at), min(revenue), max(revenue) FROM public.orders
-- @fallback.mysql SELECT min("created_at"), max("created_at"), min("revenue"), max("revenue") FROM "orders"
SELECT min(created_at), max(created_at), min(revenue), max(revenue) FROM orders;

-- Q8-Q11 are joins: Q8 with the coordinator's products (key shipping), Q9
-- with products on MariaDB (key shipping across engines; the floor reads the
-- books from MariaDB first, then sends the keys), Q10 with order_items
-- partitioned like orders (co-located), Q11 with a copy of products on every
-- shard (reference table).  products_my and products_ref are the
-- coordinator's products (views) for the local table and postgres_fdw's
-- products_ref.
-- @query Q8
-- @target floor 1.20
-- @target local 1.0
-- @keys SELECT product_id FROM products WHERE category = 'books'
SELECT p.category, sum(o.revenue) FROM orders o JOIN products p USING (product_id) WHERE p.category = 'books' GROUP BY 1;

-- @query Q9
-- @target floor 1.30
-- @keys SELECT product_id FROM products_my WHERE category = 'books'
SELECT p.category, sum(o.revenue) FROM orders o JOIN products_my p USING (product_id) WHERE p.category = 'books' GROUP BY 1;

-- @query Q10
-- @target floor 1.20
SELECT o.region, count(*), sum(i.amount) FROM orders o JOIN order_items i ON i.tenant_id = o.tenant_id AND i.order_id = o.order_id GROUP BY 1;

-- @query Q11
-- @target floor 1.20
SELECT p.category, count(*), sum(o.revenue) FROM orders o JOIN products_ref p USING (product_id) GROUP BY 1;

-- Q12 and Q16 count back from today's midnight, not from now(), so that
-- every run of one benchmark selects the same rows (the data ends at the
-- midnight of the day it was generated).
-- @query Q12
-- @target floor 1.20
-- @target local 1.0
SELECT tenant_id, date_trunc('day', created_at), sum(revenue) FROM orders WHERE created_at >= date_trunc('day', now()) - interval '30 days' GROUP BY 1, 2;

-- @query Q13
-- @target floor 1.20
-- @target local 1.0
SELECT region, count(*) FILTER (WHERE qty > 5), sum(revenue) FROM orders GROUP BY 1;

-- @query Q14
-- @target floor 1.20
-- @target local 1.0
SELECT DISTINCT region, status FROM orders;

-- @query Q15
-- @target floor 1.20
-- @target local 1.0
SELECT extract(year FROM created_at), avg(qty) FROM orders GROUP BY 1;

-- @query Q16
-- @target floor 1.20
-- @target local 1.0
SELECT region, count(*), sum(revenue) FROM orders WHERE created_at > date_trunc('day', now()) - interval '90 days' GROUP BY 1;

-- Q17 reads one big partition (Q4's tenant's, about 1M rows, as the one
-- foreign table orders_big): a tenant dashboard whose filter the shard
-- must compute for every row, which a shard plans in parallel when the
-- statement comes plainly (a cursor's plan never is).  Its figures mean
-- most with the shards' parallel workers on: BENCH_SHARD_PARALLEL=2.
-- @query Q17
-- @target direct 1.10
-- @direct.postgres SELECT region, sum(revenue), count(*) FROM public.orders WHERE md5(order_id::text) > '1' GROUP BY 1
SELECT region, sum(revenue), count(*) FROM orders_big WHERE md5(order_id::text) > '1' GROUP BY 1;

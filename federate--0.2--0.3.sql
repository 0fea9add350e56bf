/* federate--0.2--0.3.sql */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION federate UPDATE TO '0.3'" to load this file. \quit

-- ANALYZE of every federated table (fdw/analyze.c samples each on its
-- server): autovacuum never analyzes foreign tables, so this is what a
-- schedule (cron, pg_cron) calls.  A partitioned table with a federate
-- partition at any level is analyzed as a whole (its partitions with it);
-- a federate foreign table that is no partition on its own; those of one
-- schema only when schema_name is given.  A table that
-- fails (its server down, a value that does not convert) gets a WARNING
-- and its error in the result, and the others go on; tables the caller
-- may not analyze are skipped with ANALYZE's own WARNING.
CREATE FUNCTION federate.analyze(verbose boolean DEFAULT false,
                                 schema_name name DEFAULT NULL)
RETURNS TABLE (relation regclass, reltuples real, seconds double precision,
               error text)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r regclass;
    t0 timestamptz;
BEGIN
    FOR r IN
        SELECT DISTINCT coalesce(pg_partition_root(ft.ftrelid), ft.ftrelid)::regclass
          FROM pg_foreign_table ft
          JOIN pg_foreign_server s ON s.oid = ft.ftserver
          JOIN pg_foreign_data_wrapper w ON w.oid = s.srvfdw
         WHERE w.fdwname = 'federate'
           AND ($2 IS NULL OR (SELECT c.relnamespace::regnamespace::name FROM pg_class c
                                WHERE c.oid = coalesce(pg_partition_root(ft.ftrelid), ft.ftrelid)) = $2)
         ORDER BY 1
    LOOP
        t0 := clock_timestamp();
        relation := r;
        error := NULL;
        BEGIN
            EXECUTE format('ANALYZE %s%s', CASE WHEN $1 THEN '(VERBOSE) ' ELSE '' END, r);
        EXCEPTION WHEN query_canceled THEN
            RAISE;
        WHEN OTHERS THEN
            error := SQLERRM;
            RAISE WARNING 'could not analyze %: %', r, SQLERRM;
        END;
        SELECT c.reltuples INTO reltuples FROM pg_class c WHERE c.oid = r;
        seconds := extract(epoch FROM clock_timestamp() - t0);
        RETURN NEXT;
    END LOOP;
END
$$;

COMMENT ON FUNCTION federate.analyze(boolean, name) IS
  'ANALYZE every federated table (sampled on its servers), for a schedule';

-- Latency (health/latency.c): statement times per server in buckets, with
-- quantiles; statistics per statement fingerprint and server.
CREATE FUNCTION federate.server_latency(
    OUT server_name text,
    OUT statements bigint,
    OUT p50_ms double precision,
    OUT p95_ms double precision,
    OUT p99_ms double precision,
    OUT max_ms double precision,
    OUT bucket_le_ms double precision[],
    OUT bucket_count bigint[])
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'federate_server_latency'
LANGUAGE C STRICT PARALLEL RESTRICTED;

CREATE VIEW federate.server_latency AS
  SELECT * FROM federate.server_latency();

COMMENT ON VIEW federate.server_latency IS
  'per server: reads timed, p50/p95/p99 and max time, cumulative buckets (le, in ms)';

CREATE FUNCTION federate.statement_stats(
    OUT query_id bigint,
    OUT query text,
    OUT server_name text,
    OUT calls bigint,
    OUT errors bigint,
    OUT rows bigint,
    OUT bytes bigint,
    OUT total_time_ms double precision,
    OUT max_time_ms double precision,
    OUT mean_time_ms double precision,
    OUT mean_fanout double precision,
    OUT max_fanout integer,
    OUT last_call timestamptz)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'federate_statement_stats'
LANGUAGE C STRICT PARALLEL RESTRICTED;

CREATE VIEW federate.statement_stats AS
  SELECT * FROM federate.statement_stats();

COMMENT ON VIEW federate.statement_stats IS
  'per statement fingerprint and server: calls, errors, rows, bytes, times; server_name NULL: its Federate Scans as a whole, with their fan-out width';

CREATE FUNCTION federate.statement_stats_info(
    OUT slots integer,
    OUT used integer,
    OUT evicted bigint,
    OUT since timestamptz)
RETURNS record
AS 'MODULE_PATHNAME', 'federate_statement_stats_info'
LANGUAGE C STRICT PARALLEL RESTRICTED;

COMMENT ON FUNCTION federate.reset_stats() IS
  'forgets the server statistics and latencies, the statement statistics and the dispatch log';

-- Stragglers and skew (health/dispatch.c): each shard of the recent
-- executions that read two shards or more, against the median of the
-- shards of the same execution.
CREATE FUNCTION federate.dispatch_shards(
    OUT dispatched_at timestamptz,
    OUT pid integer,
    OUT query_id bigint,
    OUT relation text,
    OUT shard text,
    OUT server_name text,
    OUT answered boolean,
    OUT rows bigint,
    OUT time_ms double precision,
    OUT shards_answered integer,
    OUT median_rows double precision,
    OUT median_time_ms double precision,
    OUT status text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'federate_dispatch_shards'
LANGUAGE C STRICT PARALLEL RESTRICTED;

CREATE VIEW federate.dispatch_shards AS
  SELECT * FROM federate.dispatch_shards();

COMMENT ON VIEW federate.dispatch_shards IS
  'each shard of the recent executions that read two shards or more: its rows and time, and the median of the execution''s shards';

CREATE VIEW federate.shard_skew AS
  SELECT relation, shard, server_name,
         count(*) AS executions,
         count(*) FILTER (WHERE NOT answered) AS failures,
         avg(time_ms) FILTER (WHERE answered) AS mean_time_ms,
         avg(median_time_ms) FILTER (WHERE answered) AS mean_median_time_ms,
         avg(time_ms / nullif(median_time_ms, 0)) FILTER (WHERE answered) AS time_ratio,
         max(time_ms / nullif(median_time_ms, 0)) FILTER (WHERE answered) AS max_time_ratio,
         avg(rows) FILTER (WHERE answered) AS mean_rows,
         avg(rows / nullif(median_rows, 0)) FILTER (WHERE answered) AS rows_ratio
    FROM federate.dispatch_shards
   WHERE shards_answered >= 2 AND status IN ('complete', 'partial')
   GROUP BY relation, shard, server_name;

COMMENT ON VIEW federate.shard_skew IS
  'per shard, over the recent executions that read it with siblings and ended (complete or partial): its time and rows against their median (time_ratio: the straggler; rows_ratio: the skewed partition)';

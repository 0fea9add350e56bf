/* federate--0.2--0.3.sql */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION federate UPDATE TO '0.3'" to load this file. \quit

-- ANALYZE of every federated table (fdw/analyze.c samples each on its
-- server): autovacuum never analyzes foreign tables, so this is what a
-- schedule (cron, pg_cron) calls.  A partitioned table with a federate
-- partition at any level is analyzed as a whole (its partitions with it);
-- a federate foreign table that is no partition on its own.  Tables the
-- caller may not analyze are skipped with a WARNING, as ANALYZE does.
CREATE FUNCTION federate.analyze(verbose boolean DEFAULT false)
RETURNS TABLE (relation regclass, reltuples real, seconds double precision)
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
         ORDER BY 1
    LOOP
        t0 := clock_timestamp();
        EXECUTE format('ANALYZE %s%s', CASE WHEN $1 THEN '(VERBOSE) ' ELSE '' END, r);
        relation := r;
        SELECT c.reltuples INTO reltuples FROM pg_class c WHERE c.oid = r;
        seconds := extract(epoch FROM clock_timestamp() - t0);
        RETURN NEXT;
    END LOOP;
END
$$;

COMMENT ON FUNCTION federate.analyze(boolean) IS
  'ANALYZE every federated table (sampled on its servers), for a schedule';

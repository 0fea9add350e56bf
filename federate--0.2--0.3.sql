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

-- Moving a partition to another server (catalog/move.c has the two steps
-- SQL cannot take).  A procedure: each step commits, so the copy does not
-- hold a lock, and only the catch-up blocks writes (reads never stop).
CREATE FUNCTION federate._move_create_table(staging regclass)
RETURNS text
AS 'MODULE_PATHNAME', 'federate_move_create_table'
LANGUAGE C STRICT;
REVOKE ALL ON FUNCTION federate._move_create_table(regclass) FROM PUBLIC;

CREATE FUNCTION federate._move_switch(partition regclass, staging regclass)
RETURNS void
AS 'MODULE_PATHNAME', 'federate_move_switch'
LANGUAGE C STRICT;
REVOKE ALL ON FUNCTION federate._move_switch(regclass, regclass) FROM PUBLIC;

CREATE FUNCTION federate._move_lock(partition regclass)
RETURNS void
AS 'MODULE_PATHNAME', 'federate_move_lock'
LANGUAGE C STRICT;
REVOKE ALL ON FUNCTION federate._move_lock(regclass) FROM PUBLIC;

CREATE PROCEDURE federate.move_partition(partition regclass, server name,
                                         table_name text DEFAULT NULL,
                                         schema_name text DEFAULT NULL,
                                         create_table boolean DEFAULT true)
LANGUAGE plpgsql
AS $$
DECLARE
    src_server name;
    src_driver text;
    dst_driver text;
    src_table text;
    staging text := pg_catalog.format('federate.%I', 'move_' || partition::oid);
    coldefs text;
    keys text;
    opts text;
    nrows bigint;
    changed bigint;
    t0 timestamptz;
    t_lock timestamptz;
    empty boolean;
BEGIN
    -- 0. checks
    SELECT s.srvname, coalesce((SELECT o.option_value FROM pg_catalog.pg_options_to_table(s.srvoptions) o
                                 WHERE o.option_name = 'driver'), 'postgres'),
           coalesce((SELECT o.option_value FROM pg_catalog.pg_options_to_table(ft.ftoptions) o
                      WHERE o.option_name = 'table_name'), c.relname)
      INTO src_server, src_driver, src_table
      FROM pg_catalog.pg_foreign_table ft
      JOIN pg_catalog.pg_class c ON c.oid = ft.ftrelid
      JOIN pg_catalog.pg_foreign_server s ON s.oid = ft.ftserver
      JOIN pg_catalog.pg_foreign_data_wrapper w ON w.oid = s.srvfdw
     WHERE ft.ftrelid = partition AND w.fdwname = 'federate';
    IF NOT FOUND THEN
        RAISE EXCEPTION 'relation "%" is not a federate foreign table', partition;
    END IF;
    SELECT coalesce((SELECT o.option_value FROM pg_catalog.pg_options_to_table(s.srvoptions) o
                      WHERE o.option_name = 'driver'), 'postgres')
      INTO dst_driver
      FROM pg_catalog.pg_foreign_server s
      JOIN pg_catalog.pg_foreign_data_wrapper w ON w.oid = s.srvfdw
     WHERE s.srvname = server AND w.fdwname = 'federate';
    IF NOT FOUND THEN
        RAISE EXCEPTION 'server "%" is not a federate server', server;
    END IF;
    IF src_server = server THEN
        RAISE EXCEPTION 'foreign table "%" is on server "%" already', partition, server;
    END IF;
    IF NOT pg_catalog.pg_has_role((SELECT relowner FROM pg_catalog.pg_class WHERE oid = partition), 'MEMBER') THEN
        RAISE EXCEPTION 'must be owner of foreign table %', partition
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF EXISTS (SELECT FROM pg_catalog.pg_foreign_table ft, pg_catalog.pg_options_to_table(ft.ftoptions) o
                WHERE ft.ftrelid = partition AND o.option_name = 'copies') THEN
        RAISE EXCEPTION 'cannot move foreign table "%", which has copies', partition
            USING HINT = 'A table with copies is a reference table: change its copies instead.';
    END IF;
    SELECT pg_catalog.string_agg(pg_catalog.format('%I %s OPTIONS (column_name %L%s)', a.attname,
                                 pg_catalog.format_type(a.atttypid, a.atttypmod),
                                 coalesce((SELECT o.option_value FROM pg_catalog.pg_options_to_table(a.attfdwoptions) o
                                            WHERE o.option_name = 'column_name'), a.attname),
                                 CASE WHEN k.key THEN ', key ''true''' ELSE '' END), ', ' ORDER BY a.attnum),
           pg_catalog.string_agg(pg_catalog.quote_ident(a.attname), ', ' ORDER BY a.attnum) FILTER (WHERE k.key)
      INTO coldefs, keys
      FROM pg_catalog.pg_attribute a,
           LATERAL (SELECT EXISTS (SELECT FROM pg_catalog.pg_options_to_table(a.attfdwoptions) o
                                    WHERE o.option_name = 'key' AND o.option_value = 'true') AS key) k
     WHERE a.attrelid = partition AND a.attnum > 0 AND NOT a.attisdropped;
    IF keys IS NULL THEN
        RAISE EXCEPTION 'foreign table "%" has no key column', partition
            USING DETAIL = 'A move finds the rows written during its copy by their key.',
                  HINT = 'Mark its key columns with ALTER FOREIGN TABLE ... ALTER COLUMN ... OPTIONS (ADD key ''true'').';
    END IF;
    table_name := coalesce(table_name, src_table);
    IF schema_name IS NULL AND dst_driver = 'postgres' THEN
        schema_name := 'public';
    END IF;
    opts := pg_catalog.format('table_name %L, batch_size ''1000''', table_name);
    IF schema_name IS NOT NULL THEN
        opts := opts || pg_catalog.format(', schema_name %L', schema_name);
    END IF;
    RAISE NOTICE 'moving "%" from server "%" to server "%" (table %)', partition, src_server, server,
        coalesce(schema_name || '.', '') || table_name;

    -- 1. the staging foreign table (a leftover of a failed move goes) and
    -- the table on the target server
    IF pg_catalog.to_regclass(staging) IS NOT NULL THEN
        EXECUTE 'DROP FOREIGN TABLE ' || staging;
    END IF;
    EXECUTE pg_catalog.format('CREATE FOREIGN TABLE %s (%s) SERVER %I OPTIONS (%s)',
                              staging, coldefs, server, opts);
    COMMIT;
    BEGIN
        IF create_table THEN
            PERFORM federate._move_create_table(staging::regclass);
            RAISE NOTICE 'created the table on server "%"', server;
        ELSE
            EXECUTE pg_catalog.format('SELECT NOT EXISTS (SELECT FROM %s)', staging) INTO empty;
            IF NOT empty THEN
                RAISE EXCEPTION 'table % on server "%" is not empty',
                    coalesce(schema_name || '.', '') || table_name, server;
            END IF;
        END IF;
        IF pg_catalog.current_setting('federate.inject_fault', true) = 'move_after_create' THEN
            RAISE EXCEPTION 'federate: injected fault move_after_create';
        END IF;
    EXCEPTION WHEN OTHERS THEN
        RAISE EXCEPTION '%', SQLERRM USING ERRCODE = SQLSTATE,
            DETAIL = pg_catalog.format('The move failed creating the table on server "%s". Foreign table "%s" still uses server "%s".', server, partition, src_server);
    END;
    COMMIT;

    -- 2. the copy: one read of the partition, inserted in batches; writes go on
    t0 := pg_catalog.clock_timestamp();
    BEGIN
        EXECUTE pg_catalog.format('INSERT INTO %s SELECT * FROM %s', staging, partition);
        GET DIAGNOSTICS nrows = ROW_COUNT;
        IF pg_catalog.current_setting('federate.inject_fault', true) = 'move_after_copy' THEN
            RAISE EXCEPTION 'federate: injected fault move_after_copy';
        END IF;
    EXCEPTION WHEN OTHERS THEN
        RAISE EXCEPTION '%', SQLERRM USING ERRCODE = SQLSTATE,
            DETAIL = pg_catalog.format('The move failed copying the rows. Foreign table "%s" still uses server "%s"; rows copied to server "%s" stay there until the next move.', partition, src_server, server);
    END;
    COMMIT;
    RAISE NOTICE 'copied % rows in % s', nrows,
        pg_catalog.round(extract(epoch FROM pg_catalog.clock_timestamp() - t0)::numeric, 1);

    -- 3. the catch-up: writes blocked (reads go on), the rows written
    -- during the copy found by key and row, both copies verified row by
    -- row, and the switch, in one transaction
    t_lock := pg_catalog.clock_timestamp();
    BEGIN
        PERFORM federate._move_lock(partition);
        EXECUTE pg_catalog.format('CREATE TEMP TABLE federate_move_src ON COMMIT DROP AS SELECT %s, pg_catalog.md5(p::text) AS h FROM %s p', keys, partition);
        EXECUTE pg_catalog.format('CREATE TEMP TABLE federate_move_dst ON COMMIT DROP AS SELECT %s, pg_catalog.md5(s::text) AS h FROM %s s', keys, staging);
        EXECUTE pg_catalog.format('DELETE FROM %s WHERE (%s) IN (SELECT %s FROM (SELECT * FROM federate_move_dst EXCEPT ALL SELECT * FROM federate_move_src) d)',
                                  staging, keys, keys);
        GET DIAGNOSTICS changed = ROW_COUNT;
        EXECUTE pg_catalog.format('INSERT INTO %s SELECT * FROM %s WHERE (%s) IN (SELECT %s FROM (SELECT * FROM federate_move_src EXCEPT ALL SELECT * FROM federate_move_dst) d)',
                                  staging, partition, keys, keys);
        GET DIAGNOSTICS nrows = ROW_COUNT;
        changed := changed + nrows;
        EXECUTE pg_catalog.format('CREATE TEMP TABLE federate_move_check ON COMMIT DROP AS SELECT %s, pg_catalog.md5(s::text) AS h FROM %s s', keys, staging);
        IF EXISTS (SELECT * FROM federate_move_src EXCEPT ALL SELECT * FROM federate_move_check)
           OR EXISTS (SELECT * FROM federate_move_check EXCEPT ALL SELECT * FROM federate_move_src) THEN
            RAISE EXCEPTION 'the copy of "%" on server "%" differs from it', partition, server
                USING HINT = 'A value the target engine stores differently (a JSON text, a collation that calls two keys equal) makes the copy differ.';
        END IF;
        SELECT pg_catalog.count(*) INTO nrows FROM federate_move_src;
        IF pg_catalog.current_setting('federate.inject_fault', true) = 'move_before_switch' THEN
            RAISE EXCEPTION 'federate: injected fault move_before_switch';
        END IF;
        PERFORM federate._move_switch(partition, staging::regclass);
        EXECUTE 'DROP FOREIGN TABLE ' || staging;
    EXCEPTION WHEN OTHERS THEN
        RAISE EXCEPTION '%', SQLERRM USING ERRCODE = SQLSTATE,
            DETAIL = pg_catalog.format('The move failed at its catch-up. Foreign table "%s" still uses server "%s"; rows copied to server "%s" stay there until the next move.', partition, src_server, server);
    END;
    COMMIT;
    RAISE NOTICE 'moved "%" to server "%": % rows verified (% written during the copy caught up); writes waited % s; the old rows stay on server "%" in %',
        partition, server, nrows, changed,
        pg_catalog.round(extract(epoch FROM pg_catalog.clock_timestamp() - t_lock)::numeric, 1),
        src_server, src_table;
END
$$;

COMMENT ON PROCEDURE federate.move_partition(regclass, name, text, text, boolean) IS
  'moves a federate foreign table (a partition) to another server: copy, catch-up under a lock that blocks writes, row-by-row verification, switch';

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

-- The source of a move or split: checks, and what its staging tables need
CREATE FUNCTION federate._move_source(partition regclass, OUT src_server name,
                                      OUT src_table text, OUT coldefs text, OUT keys text)
LANGUAGE plpgsql
AS $$
BEGIN
    SELECT s.srvname, coalesce((SELECT o.option_value FROM pg_catalog.pg_options_to_table(ft.ftoptions) o
                                 WHERE o.option_name = 'table_name'), c.relname)
      INTO src_server, src_table
      FROM pg_catalog.pg_foreign_table ft
      JOIN pg_catalog.pg_class c ON c.oid = ft.ftrelid
      JOIN pg_catalog.pg_foreign_server s ON s.oid = ft.ftserver
      JOIN pg_catalog.pg_foreign_data_wrapper w ON w.oid = s.srvfdw
     WHERE ft.ftrelid = partition AND w.fdwname = 'federate';
    IF NOT FOUND THEN
        RAISE EXCEPTION 'relation "%" is not a federate foreign table', partition;
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
    SELECT pg_catalog.string_agg(pg_catalog.format('%I %s OPTIONS (column_name %L%s)%s', a.attname,
                                 pg_catalog.format_type(a.atttypid, a.atttypmod),
                                 coalesce((SELECT o.option_value FROM pg_catalog.pg_options_to_table(a.attfdwoptions) o
                                            WHERE o.option_name = 'column_name'), a.attname),
                                 CASE WHEN k.key THEN ', key ''true''' ELSE '' END,
                                 CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END), ', ' ORDER BY a.attnum),
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
END
$$;
REVOKE ALL ON FUNCTION federate._move_source(regclass) FROM PUBLIC;

-- The options of a staging table on server (checked), and its label
CREATE FUNCTION federate._move_target(server name, table_name text, schema_name text,
                                      OUT opts text, OUT label text)
LANGUAGE plpgsql
AS $$
DECLARE
    driver text;
BEGIN
    SELECT coalesce((SELECT o.option_value FROM pg_catalog.pg_options_to_table(s.srvoptions) o
                      WHERE o.option_name = 'driver'), 'postgres')
      INTO driver
      FROM pg_catalog.pg_foreign_server s
      JOIN pg_catalog.pg_foreign_data_wrapper w ON w.oid = s.srvfdw
     WHERE s.srvname = server AND w.fdwname = 'federate';
    IF NOT FOUND THEN
        RAISE EXCEPTION 'server "%" is not a federate server', server;
    END IF;
    IF schema_name IS NULL AND driver = 'postgres' THEN
        schema_name := 'public';
    END IF;
    opts := pg_catalog.format('table_name %L, batch_size ''1000''', table_name);
    IF schema_name IS NOT NULL THEN
        opts := opts || pg_catalog.format(', schema_name %L', schema_name);
    END IF;
    label := coalesce(schema_name || '.', '') || table_name;
END
$$;
REVOKE ALL ON FUNCTION federate._move_target(name, text, text) FROM PUBLIC;

-- The staging table's remote table: created, or checked empty
CREATE FUNCTION federate._move_prepare(staging regclass, create_table boolean)
RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
    empty boolean;
BEGIN
    IF create_table THEN
        PERFORM federate._move_create_table(staging);
    ELSE
        EXECUTE pg_catalog.format('SELECT NOT EXISTS (SELECT FROM %s)', staging) INTO empty;
        IF NOT empty THEN
            RAISE EXCEPTION 'the remote table of % is not empty', staging
                USING HINT = 'Pass create_table => true to create a new one, with another table_name.';
        END IF;
    END IF;
END
$$;
REVOKE ALL ON FUNCTION federate._move_prepare(regclass, boolean) FROM PUBLIC;

-- The catch-up of one staging table, writes to its source blocked: the
-- rows of source (a relation, or a subquery in parentheses with an alias)
-- and of staging read, by key and an md5 of the row; the rows that differ
-- deleted from staging and copied again; staging read once more, and
-- equal to the source as a multiset, or an error.
CREATE FUNCTION federate._move_catch_up(source text, staging regclass, keys text,
                                        OUT verified bigint, OUT caught_up bigint)
LANGUAGE plpgsql
AS $$
DECLARE
    src text := 'federate_move_src_' || staging::oid;
    dst text := 'federate_move_dst_' || staging::oid;
    chk text := 'federate_move_check_' || staging::oid;
    n bigint;
    differs boolean;
BEGIN
    EXECUTE pg_catalog.format('CREATE TEMP TABLE %I ON COMMIT DROP AS SELECT %s, pg_catalog.md5(p::text) AS h FROM %s p', src, keys, source);
    EXECUTE pg_catalog.format('CREATE TEMP TABLE %I ON COMMIT DROP AS SELECT %s, pg_catalog.md5(s::text) AS h FROM %s s', dst, keys, staging);
    EXECUTE pg_catalog.format('DELETE FROM %s WHERE (%s) IN (SELECT %s FROM (SELECT * FROM %I EXCEPT ALL SELECT * FROM %I) d)',
                              staging, keys, keys, dst, src);
    GET DIAGNOSTICS caught_up = ROW_COUNT;
    EXECUTE pg_catalog.format('INSERT INTO %s SELECT * FROM %s p WHERE (%s) IN (SELECT %s FROM (SELECT * FROM %I EXCEPT ALL SELECT * FROM %I) d)',
                              staging, source, keys, keys, src, dst);
    GET DIAGNOSTICS n = ROW_COUNT;
    caught_up := caught_up + n;
    EXECUTE pg_catalog.format('CREATE TEMP TABLE %I ON COMMIT DROP AS SELECT %s, pg_catalog.md5(s::text) AS h FROM %s s', chk, keys, staging);
    EXECUTE pg_catalog.format('SELECT EXISTS (SELECT * FROM %I EXCEPT ALL SELECT * FROM %I) OR EXISTS (SELECT * FROM %I EXCEPT ALL SELECT * FROM %I)',
                              src, chk, chk, src) INTO differs;
    IF differs THEN
        RAISE EXCEPTION 'the copy % differs from its source', staging
            USING HINT = 'A value the target engine stores differently (a JSON text, a collation that calls two keys equal) makes the copy differ.';
    END IF;
    EXECUTE pg_catalog.format('SELECT pg_catalog.count(*) FROM %I', src) INTO verified;
END
$$;
REVOKE ALL ON FUNCTION federate._move_catch_up(text, regclass, text) FROM PUBLIC;

-- A fault injected by the tests (federate.inject_fault)
CREATE FUNCTION federate._move_fault(point text)
RETURNS void
LANGUAGE plpgsql
AS $$
BEGIN
    IF pg_catalog.current_setting('federate.inject_fault', true) = point THEN
        RAISE EXCEPTION 'federate: injected fault %', point;
    END IF;
END
$$;

CREATE PROCEDURE federate.move_partition(partition regclass, server name,
                                         table_name text DEFAULT NULL,
                                         schema_name text DEFAULT NULL,
                                         create_table boolean DEFAULT true)
LANGUAGE plpgsql
AS $$
DECLARE
    src record;
    dst record;
    staging text := pg_catalog.format('federate.%I', 'move_' || partition::oid);
    res record;
    nrows bigint;
    t0 timestamptz;
BEGIN
    -- 0. checks
    src := federate._move_source(partition);
    IF src.src_server = server THEN
        RAISE EXCEPTION 'foreign table "%" is on server "%" already', partition, server;
    END IF;
    dst := federate._move_target(server, coalesce(table_name, src.src_table), schema_name);
    RAISE NOTICE 'moving "%" from server "%" to server "%" (table %)', partition, src.src_server, server, dst.label;

    -- 1. the staging foreign table (a leftover of a failed move goes) and
    -- the table on the target server
    IF pg_catalog.to_regclass(staging) IS NOT NULL THEN
        EXECUTE 'DROP FOREIGN TABLE ' || staging;
    END IF;
    EXECUTE pg_catalog.format('CREATE FOREIGN TABLE %s (%s) SERVER %I OPTIONS (%s)',
                              staging, src.coldefs, server, dst.opts);
    COMMIT;
    BEGIN
        PERFORM federate._move_prepare(staging::regclass, create_table);
        PERFORM federate._move_fault('move_after_create');
    EXCEPTION WHEN OTHERS THEN
        RAISE EXCEPTION '%', SQLERRM USING ERRCODE = SQLSTATE,
            DETAIL = pg_catalog.format('The move failed creating the table on server "%s". Foreign table "%s" still uses server "%s".', server, partition, src.src_server);
    END;
    COMMIT;
    IF create_table THEN
        RAISE NOTICE 'created the table on server "%"', server;
    END IF;

    -- 2. the copy: one read of the partition, inserted in batches; writes go on
    t0 := pg_catalog.clock_timestamp();
    BEGIN
        EXECUTE pg_catalog.format('INSERT INTO %s SELECT * FROM %s', staging, partition);
        GET DIAGNOSTICS nrows = ROW_COUNT;
        PERFORM federate._move_fault('move_after_copy');
    EXCEPTION WHEN OTHERS THEN
        RAISE EXCEPTION '%', SQLERRM USING ERRCODE = SQLSTATE,
            DETAIL = pg_catalog.format('The move failed copying the rows. Foreign table "%s" still uses server "%s"; rows copied to server "%s" stay there until the next move.', partition, src.src_server, server);
    END;
    COMMIT;
    RAISE NOTICE 'copied % rows in % s', nrows,
        pg_catalog.round(extract(epoch FROM pg_catalog.clock_timestamp() - t0)::numeric, 1);

    -- 3. the catch-up, writes blocked (reads go on), and the switch, in one
    -- transaction
    t0 := pg_catalog.clock_timestamp();
    BEGIN
        PERFORM federate._move_lock(partition);
        res := federate._move_catch_up(partition::text, staging::regclass, src.keys);
        PERFORM federate._move_fault('move_before_switch');
        PERFORM federate._move_switch(partition, staging::regclass);
        EXECUTE 'DROP FOREIGN TABLE ' || staging;
    EXCEPTION WHEN OTHERS THEN
        RAISE EXCEPTION '%', SQLERRM USING ERRCODE = SQLSTATE,
            DETAIL = pg_catalog.format('The move failed at its catch-up. Foreign table "%s" still uses server "%s"; rows copied to server "%s" stay there until the next move.', partition, src.src_server, server);
    END;
    COMMIT;
    RAISE NOTICE 'moved "%" to server "%": % rows verified (% written during the copy caught up); writes waited % s; the old rows stay on server "%" in %',
        partition, server, res.verified, res.caught_up,
        pg_catalog.round(extract(epoch FROM pg_catalog.clock_timestamp() - t0)::numeric, 1),
        src.src_server, src.src_table;
END
$$;

COMMENT ON PROCEDURE federate.move_partition(regclass, name, text, text, boolean) IS
  'moves a federate foreign table (a partition) to another server: copy, catch-up under a lock that blocks writes, row-by-row verification, switch';

-- Splitting a hash partition (modulus m, remainder r) into two of modulus
-- 2m (remainders r and r + m), each on a server of the caller's choice:
-- the same steps as a move, for two staging tables, then the old partition
-- detached and the two attached in its place.
CREATE PROCEDURE federate.split_partition(partition regclass, server_a name, server_b name,
                                          table_a text DEFAULT NULL, table_b text DEFAULT NULL,
                                          create_table boolean DEFAULT true)
LANGUAGE plpgsql
AS $$
DECLARE
    src record;
    dst_a record;
    dst_b record;
    parent regclass;
    bound text;
    m int;
    r int;
    pkeys text;
    nsp text;
    name_a text;
    name_b text;
    res_a record;
    res_b record;
    n_a bigint;
    n_b bigint;
    t0 timestamptz;
BEGIN
    -- 0. checks
    src := federate._move_source(partition);
    SELECT i.inhparent::regclass, pg_catalog.pg_get_expr(c.relpartbound, c.oid), c.relnamespace::regnamespace::text
      INTO parent, bound, nsp
      FROM pg_catalog.pg_inherits i JOIN pg_catalog.pg_class c ON c.oid = i.inhrelid
     WHERE i.inhrelid = partition;
    IF parent IS NULL OR bound !~ '^FOR VALUES WITH \(modulus \d+, remainder \d+\)$' THEN
        RAISE EXCEPTION 'foreign table "%" is not a hash partition', partition;
    END IF;
    m := (pg_catalog.regexp_match(bound, 'modulus (\d+)'))[1]::int;
    r := (pg_catalog.regexp_match(bound, 'remainder (\d+)'))[1]::int;
    SELECT pg_catalog.string_agg(pg_catalog.quote_ident(a.attname), ', ' ORDER BY k.n)
      INTO pkeys
      FROM pg_catalog.pg_partitioned_table pt
     CROSS JOIN LATERAL pg_catalog.unnest(pt.partattrs::int2[]) WITH ORDINALITY AS k(attnum, n)
      JOIN pg_catalog.pg_attribute a ON a.attrelid = pt.partrelid AND a.attnum = k.attnum
     WHERE pt.partrelid = parent;
    IF pkeys IS NULL OR EXISTS (SELECT FROM pg_catalog.pg_partitioned_table pt
                                 WHERE pt.partrelid = parent AND 0 = ANY (pt.partattrs::int2[])) THEN
        RAISE EXCEPTION 'cannot split a partition of "%": its partition key is an expression', parent;
    END IF;
    name_a := pg_catalog.format('%I.%I', nsp, (SELECT relname FROM pg_catalog.pg_class WHERE oid = partition) || '_' || r);
    name_b := pg_catalog.format('%I.%I', nsp, (SELECT relname FROM pg_catalog.pg_class WHERE oid = partition) || '_' || (r + m));
    IF pg_catalog.to_regclass(name_a) IS NOT NULL OR pg_catalog.to_regclass(name_b) IS NOT NULL THEN
        RAISE EXCEPTION 'relation % or % exists already', name_a, name_b
            USING HINT = 'A failed split leaves them: drop them (and their tables on the servers) first.';
    END IF;
    dst_a := federate._move_target(server_a, coalesce(table_a, src.src_table || '_' || r), NULL);
    dst_b := federate._move_target(server_b, coalesce(table_b, src.src_table || '_' || (r + m)), NULL);
    RAISE NOTICE 'splitting "%" (modulus %, remainder %) into % on server "%" (table %) and % on server "%" (table %)',
        partition, m, r, name_a, server_a, dst_a.label, name_b, server_b, dst_b.label;

    -- 1. the two new foreign tables (not yet partitions) and their tables
    EXECUTE pg_catalog.format('CREATE FOREIGN TABLE %s (%s) SERVER %I OPTIONS (%s)', name_a, src.coldefs, server_a, dst_a.opts);
    EXECUTE pg_catalog.format('CREATE FOREIGN TABLE %s (%s) SERVER %I OPTIONS (%s)', name_b, src.coldefs, server_b, dst_b.opts);
    COMMIT;
    BEGIN
        PERFORM federate._move_prepare(name_a::regclass, create_table);
        PERFORM federate._move_prepare(name_b::regclass, create_table);
        PERFORM federate._move_fault('split_after_create');
    EXCEPTION WHEN OTHERS THEN
        RAISE EXCEPTION '%', SQLERRM USING ERRCODE = SQLSTATE,
            DETAIL = pg_catalog.format('The split failed creating the tables. Foreign table "%s" is still the partition, on server "%s"; %s and %s are left to drop.', partition, src.src_server, name_a, name_b);
    END;
    COMMIT;

    -- 2. the copy, each row to the half of its hash; writes go on
    t0 := pg_catalog.clock_timestamp();
    BEGIN
        EXECUTE pg_catalog.format('INSERT INTO %s SELECT * FROM %s p WHERE pg_catalog.satisfies_hash_partition(%s::regclass::oid, %s, %s, %s)',
                                  name_a, partition, pg_catalog.quote_literal(parent::text), 2 * m, r, pkeys);
        GET DIAGNOSTICS n_a = ROW_COUNT;
        EXECUTE pg_catalog.format('INSERT INTO %s SELECT * FROM %s p WHERE pg_catalog.satisfies_hash_partition(%s::regclass::oid, %s, %s, %s)',
                                  name_b, partition, pg_catalog.quote_literal(parent::text), 2 * m, r + m, pkeys);
        GET DIAGNOSTICS n_b = ROW_COUNT;
        PERFORM federate._move_fault('split_after_copy');
    EXCEPTION WHEN OTHERS THEN
        RAISE EXCEPTION '%', SQLERRM USING ERRCODE = SQLSTATE,
            DETAIL = pg_catalog.format('The split failed copying the rows. Foreign table "%s" is still the partition, on server "%s"; %s and %s are left to drop.', partition, src.src_server, name_a, name_b);
    END;
    COMMIT;
    RAISE NOTICE 'copied % and % rows in % s', n_a, n_b,
        pg_catalog.round(extract(epoch FROM pg_catalog.clock_timestamp() - t0)::numeric, 1);

    -- 3. the catch-up and the switch, in one transaction.  Writes to the
    -- whole table wait from its start (the parent locked first: a write
    -- through the parent locks it before the partition, so locking the
    -- partition first would deadlock with it at the switch); reads go on
    -- until the switch, which waits for those running.
    t0 := pg_catalog.clock_timestamp();
    BEGIN
        PERFORM federate._move_lock(parent);
        PERFORM federate._move_lock(partition);
        res_a := federate._move_catch_up(pg_catalog.format('(SELECT * FROM %s WHERE pg_catalog.satisfies_hash_partition(%s::regclass::oid, %s, %s, %s))',
                                                           partition, pg_catalog.quote_literal(parent::text), 2 * m, r, pkeys),
                                         name_a::regclass, src.keys);
        res_b := federate._move_catch_up(pg_catalog.format('(SELECT * FROM %s WHERE pg_catalog.satisfies_hash_partition(%s::regclass::oid, %s, %s, %s))',
                                                           partition, pg_catalog.quote_literal(parent::text), 2 * m, r + m, pkeys),
                                         name_b::regclass, src.keys);
        -- (a row the partition holds against its bound would go to neither)
        EXECUTE pg_catalog.format('SELECT pg_catalog.count(*) FROM %s p WHERE NOT (pg_catalog.satisfies_hash_partition(%s::regclass::oid, %s, %s, %s) OR pg_catalog.satisfies_hash_partition(%s::regclass::oid, %s, %s, %s))',
                                  partition, pg_catalog.quote_literal(parent::text), 2 * m, r, pkeys,
                                  pg_catalog.quote_literal(parent::text), 2 * m, r + m, pkeys) INTO n_a;
        IF n_a > 0 THEN
            RAISE EXCEPTION 'foreign table "%" holds % rows outside its partition bound', partition, n_a;
        END IF;
        PERFORM federate._move_fault('split_before_switch');
        EXECUTE pg_catalog.format('ALTER TABLE %s DETACH PARTITION %s', parent, partition);
        EXECUTE pg_catalog.format('ALTER TABLE %s ATTACH PARTITION %s FOR VALUES WITH (MODULUS %s, REMAINDER %s)', parent, name_a, 2 * m, r);
        EXECUTE pg_catalog.format('ALTER TABLE %s ATTACH PARTITION %s FOR VALUES WITH (MODULUS %s, REMAINDER %s)', parent, name_b, 2 * m, r + m);
    EXCEPTION WHEN OTHERS THEN
        RAISE EXCEPTION '%', SQLERRM USING ERRCODE = SQLSTATE,
            DETAIL = pg_catalog.format('The split failed at its catch-up. Foreign table "%s" is still the partition, on server "%s"; %s and %s are left to drop.', partition, src.src_server, name_a, name_b);
    END;
    COMMIT;
    RAISE NOTICE 'split "%": % rows verified in % and % in % (% written during the copy caught up); writes waited % s; "%" is detached, its rows stay on server "%" in %',
        partition, res_a.verified, name_a, res_b.verified, name_b, res_a.caught_up + res_b.caught_up,
        pg_catalog.round(extract(epoch FROM pg_catalog.clock_timestamp() - t0)::numeric, 1),
        partition, src.src_server, src.src_table;
END
$$;

COMMENT ON PROCEDURE federate.split_partition(regclass, name, name, text, text, boolean) IS
  'splits a hash partition into two of twice the modulus, each on a server of the caller''s choice: copy, catch-up with writes blocked, verification, detach and attach';

/* federate--0.2.sql */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION federate" to load this file. \quit

CREATE FUNCTION federate_handler()
RETURNS fdw_handler
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT;

CREATE FUNCTION federate_validator(text[], oid)
RETURNS void
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT;

CREATE FOREIGN DATA WRAPPER federate
  HANDLER federate_handler
  VALIDATOR federate_validator;

CREATE SCHEMA federate;

CREATE FUNCTION federate.connections(
    OUT server_name text,
    OUT user_name text,
    OUT driver text,
    OUT in_transaction boolean,
    OUT valid boolean)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'federate_connections'
LANGUAGE C STRICT PARALLEL RESTRICTED;

COMMENT ON FUNCTION federate.connections() IS
  'the connections to remote servers cached by this session';

CREATE FUNCTION federate.disconnect(server_name text)
RETURNS boolean
AS 'MODULE_PATHNAME', 'federate_disconnect'
LANGUAGE C STRICT PARALLEL RESTRICTED;

COMMENT ON FUNCTION federate.disconnect(text) IS
  'closes this session''s cached connections to a server';

CREATE FUNCTION federate.disconnect_all()
RETURNS boolean
AS 'MODULE_PATHNAME', 'federate_disconnect_all'
LANGUAGE C STRICT PARALLEL RESTRICTED;

COMMENT ON FUNCTION federate.disconnect_all() IS
  'closes all of this session''s cached connections';


-- Shard failures: circuit breakers, statistics, dispatches, coverage.

CREATE FUNCTION federate.server_stats(
    OUT server_name text,
    OUT driver text,
    OUT statements bigint,
    OUT rows bigint,
    OUT bytes bigint,
    OUT errors bigint,
    OUT timeouts bigint,
    OUT retries bigint,
    OUT fallbacks bigint,
    OUT total_time_ms double precision,
    OUT max_time_ms double precision,
    OUT circuit_state text,
    OUT consecutive_failures integer,
    OUT last_error text,
    OUT last_error_at timestamptz)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'federate_server_stats'
LANGUAGE C STRICT PARALLEL RESTRICTED;

CREATE VIEW federate.server_stats AS
  SELECT * FROM federate.server_stats();

COMMENT ON VIEW federate.server_stats IS
  'statements, rows, bytes, errors, timeouts, retries, fallbacks, latency and circuit state per remote server';

CREATE FUNCTION federate.circuit_breakers(
    OUT server_name text,
    OUT state text,
    OUT consecutive_failures integer,
    OUT opened_at timestamptz,
    OUT retry_at timestamptz,
    OUT last_error text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'federate_circuit_breakers'
LANGUAGE C STRICT PARALLEL RESTRICTED;

CREATE VIEW federate.circuit_breakers AS
  SELECT * FROM federate.circuit_breakers();

COMMENT ON VIEW federate.circuit_breakers IS
  'the circuit breaker of each remote server: closed, open or half-open';

CREATE FUNCTION federate.server_connections(
    OUT server_name text,
    OUT budget integer,
    OUT in_use integer,
    OUT idle integer,
    OUT waiting integer,
    OUT shared boolean)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'federate_server_connections'
LANGUAGE C STRICT PARALLEL RESTRICTED;

CREATE VIEW federate.server_connections AS
  SELECT * FROM federate.server_connections();

COMMENT ON VIEW federate.server_connections IS
  'the connection budget of each remote server and its use by all sessions: connections in use, idle, and sessions waiting';

CREATE FUNCTION federate.reset_circuit(server_name text)
RETURNS boolean
AS 'MODULE_PATHNAME', 'federate_reset_circuit'
LANGUAGE C STRICT PARALLEL RESTRICTED;

COMMENT ON FUNCTION federate.reset_circuit(text) IS
  'closes the circuit breaker of a server; true if it was not closed';

REVOKE ALL ON FUNCTION federate.reset_circuit(text) FROM PUBLIC;

CREATE FUNCTION federate.reset_stats()
RETURNS void
AS 'MODULE_PATHNAME', 'federate_reset_stats'
LANGUAGE C STRICT PARALLEL RESTRICTED;

COMMENT ON FUNCTION federate.reset_stats() IS
  'forgets the server statistics and the dispatch log';

REVOKE ALL ON FUNCTION federate.reset_stats() FROM PUBLIC;

CREATE FUNCTION federate.dispatch_log(
    OUT dispatched_at timestamptz,
    OUT pid integer,
    OUT query_id bigint,
    OUT query text,
    OUT relation text,
    OUT strategy text,
    OUT shards_contacted integer,
    OUT shards_total integer,
    OUT shards_answered integer,
    OUT replicas integer,
    OUT coverage text,
    OUT status text,
    OUT duration_ms double precision)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'federate_dispatch_log'
LANGUAGE C STRICT PARALLEL RESTRICTED;

CREATE VIEW federate.dispatch_log AS
  SELECT * FROM federate.dispatch_log();

COMMENT ON VIEW federate.dispatch_log IS
  'recent executions of federated scans: strategy, shards contacted, coverage, status, duration';

CREATE FUNCTION federate.last_coverage(
    OUT shards_total integer,
    OUT shards_answered integer,
    OUT missing_shards text[],
    OUT missing_servers text[],
    OUT reasons text[],
    OUT replica_shards text[],
    OUT replica_servers text[],
    OUT exact boolean)
RETURNS record
AS 'MODULE_PATHNAME', 'federate_last_coverage'
LANGUAGE C STRICT PARALLEL RESTRICTED;

COMMENT ON FUNCTION federate.last_coverage() IS
  'the shard coverage of the session''s last statement that read federated tables';

-- The session zone's fixed UTC offset in seconds, sent to MySQL servers
-- that compute time zone-dependent expressions (called by plans).
CREATE FUNCTION federate.session_utc_offset()
RETURNS integer
AS 'MODULE_PATHNAME', 'federate_session_utc_offset'
LANGUAGE C STABLE PARALLEL SAFE;

-- variance/stddev from the shards' count, sum and sum of squares, finished
-- by PostgreSQL's own final function (called by plans; kind 0 var_samp,
-- 1 var_pop, 2 stddev_samp, 3 stddev_pop).
CREATE FUNCTION federate.numeric_var_final(kind integer, n bigint, sumx numeric,
                                           sumx2 numeric)
RETURNS numeric
AS 'MODULE_PATHNAME', 'federate_numeric_var_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

-- Two-phase commit (remote/twophase.c): the commit records of transactions
-- prepared on several servers, written in the committing local
-- transaction, and the recovery of those left in doubt.
CREATE TABLE federate.commit_records (
    gid text PRIMARY KEY,
    servers oid[] NOT NULL,
    at timestamptz NOT NULL
);
REVOKE ALL ON federate.commit_records FROM PUBLIC;

CREATE FUNCTION federate.recover_prepared_transactions(
    OUT server_name text, OUT gid text, OUT action text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'federate_recover_prepared_transactions'
LANGUAGE C VOLATILE;
REVOKE ALL ON FUNCTION federate.recover_prepared_transactions() FROM PUBLIC;

CREATE FUNCTION federate.prepared_transactions(
    OUT server_name text, OUT gid text, OUT prepared timestamptz,
    OUT recovery text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'federate_prepared_transactions'
LANGUAGE C VOLATILE;
CREATE VIEW federate.prepared_transactions AS
    SELECT * FROM federate.prepared_transactions();
REVOKE ALL ON FUNCTION federate.prepared_transactions() FROM PUBLIC;
REVOKE ALL ON federate.prepared_transactions FROM PUBLIC;

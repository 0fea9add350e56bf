/* federate--0.1--0.2.sql */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION federate UPDATE TO '0.2'" to load this file. \quit

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

/* federate--0.1.sql */

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


/*-------------------------------------------------------------------------
 *
 * functions.c
 *		SQL-callable functions in schema federate (thin wrappers).
 *
 * src/catalog/functions.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "foreign/foreign.h"
#include "utils/builtins.h"

#include "federate.h"

PG_FUNCTION_INFO_V1(federate_connections);
PG_FUNCTION_INFO_V1(federate_disconnect);
PG_FUNCTION_INFO_V1(federate_disconnect_all);

/* federate.connections(): the cached connections of this session. */
Datum
federate_connections(PG_FUNCTION_ARGS)
{
	return fed_conn_list(fcinfo);
}

/* federate.disconnect(server): close the cached connections to a server. */
Datum
federate_disconnect(PG_FUNCTION_ARGS)
{
	char	   *name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	ForeignServer *server = GetForeignServerByName(name, false);

	PG_RETURN_BOOL(fed_conn_disconnect(server->serverid, false));
}

/* federate.disconnect_all(): close every cached connection. */
Datum
federate_disconnect_all(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(fed_conn_disconnect(InvalidOid, true));
}

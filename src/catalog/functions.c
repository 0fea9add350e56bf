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
#include "pgtime.h"
#include "utils/builtins.h"

#include "remote/remote.h"

PG_FUNCTION_INFO_V1(federate_connections);
PG_FUNCTION_INFO_V1(federate_disconnect);
PG_FUNCTION_INFO_V1(federate_disconnect_all);
PG_FUNCTION_INFO_V1(federate_session_utc_offset);

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

/*
 * federate.session_utc_offset(): the session zone's UTC offset in seconds
 * east of Greenwich (19800 for +05:30).  A plan made under a zone with a
 * fixed offset has MySQL servers compute date_trunc, extract and date
 * casts of timestamptz values by adding it to the stored UTC values; under
 * a zone with daylight saving time (a later SET TimeZone) one offset would
 * be wrong for some dates.
 */
Datum
federate_session_utc_offset(PG_FUNCTION_ARGS)
{
	long		gmtoff;

	if (!pg_get_timezone_offset(session_timezone, &gmtoff) ||
		gmtoff < -18 * 3600 || gmtoff > 18 * 3600)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot compute time zone-dependent expressions on a MySQL server under time zone \"%s\"",
						pg_get_timezone_name(session_timezone)),
				 errdetail("The statement was planned under a time zone with a fixed UTC offset, which is the only kind a MySQL server is sent."),
				 errhint("Prepare the statement again under this time zone: its plan then computes these expressions on the coordinator.")));
	PG_RETURN_INT32((int32) gmtoff);
}

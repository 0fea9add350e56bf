/*-------------------------------------------------------------------------
 *
 * errors.c
 *		Turning a FedRemoteError into a PostgreSQL error report.
 *
 * Remote text is passed through untranslated (errmsg_internal), with the
 * remote SQLSTATE where it means the same thing here: always for
 * PostgreSQL servers; for MySQL only the standard SQL classes, with the
 * errors PostgreSQL has a code of its own for mapped by the driver
 * (duplicate key 1062 is 23505, deadlock 1213 40P01, lock wait timeout
 * 1205 55P03, ...; a MySQL "HY000" becomes ERRCODE_FDW_ERROR), and the
 * MySQL error number in the detail.  Context lines name the server and the remote statement.
 * A lost connection is reported in our own words, with the remote text as
 * detail.
 *
 * src/remote/errors.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "remote/remote.h"
#include "health/health.h"

static bool
standard_class(const char *sqlstate)
{
	static const char *const classes[] = {
		"21", "22", "23", "25", "28", "40", "42", "44", "0A", "55", "57", NULL
	};
	const char *const *c;

	for (c = classes; *c; c++)
		if (strncmp(sqlstate, *c, 2) == 0)
			return true;
	return false;
}

void
fed_report_remote_error(int elevel, FedRemoteError *err,
						const char *servername, const char *sql)
{
	int			code = ERRCODE_FDW_ERROR;
	const char *s = err->sqlstate;

	if (err->connection_lost)
	{
		ereport(elevel,
				(errcode(ERRCODE_CONNECTION_FAILURE),
				 errmsg("lost connection to server \"%s\"", servername),
				 errdetail_internal("%s", err->message),
				 sql ? errcontext("remote SQL command: %s", sql) : 0));
		return;
	}

	if (strlen(s) == 5)
	{
		if (err->native_code == 0 || standard_class(s))
			code = MAKE_SQLSTATE(s[0], s[1], s[2], s[3], s[4]);
	}

	ereport(elevel,
			(errcode(code),
			 errmsg_internal("%s", err->message),
			 err->detail ? errdetail_internal("%s", err->detail) :
			 err->native_code ? errdetail("MySQL error %d on server \"%s\".",
										  err->native_code, servername) :
			 errdetail("Reported by server \"%s\".", servername),
			 err->hint ? errhint("%s", err->hint) : 0,
			 err->context ? errcontext("remote context: %s", err->context) : 0,
			 sql ? errcontext("remote SQL command: %s", sql) : 0));
}

/*
 * Why a statement failed, from its error, the driver that reported it
 * (which classifies its own library's errors) and whether it failed while
 * connecting.  Availability failures (health/servers.c) are told apart
 * from errors the server reported about the statement itself.
 */
FedFailKind
fed_classify_error(const FedDriver *driver, const FedRemoteError *err,
				   bool connecting)
{
	if (err->timed_out)
		return FED_FAIL_TIMEOUT;
	switch (driver->classify(err, connecting))
	{
		case FED_ERRCLASS_TIMEOUT:
			return FED_FAIL_TIMEOUT;
		case FED_ERRCLASS_REFUSED:
			return FED_FAIL_REFUSED;
		case FED_ERRCLASS_CONNECT:
			return FED_FAIL_CONNECT;
		case FED_ERRCLASS_LOST:
			return FED_FAIL_LOST;
		case FED_ERRCLASS_AUTH:
			return FED_FAIL_AUTH;
		case FED_ERRCLASS_STATEMENT:
			break;
	}
	return FED_FAIL_REMOTE;
}

/* The short reason shown in coverage NOTICEs and views. */
const char *
fed_fail_reason(FedFailKind kind)
{
	switch (kind)
	{
		case FED_FAIL_TIMEOUT:
			return "timeout";
		case FED_FAIL_REFUSED:
			return "connection refused";
		case FED_FAIL_CONNECT:
			return "connection failed";
		case FED_FAIL_LOST:
			return "connection lost";
		case FED_FAIL_CIRCUIT:
			return "circuit open";
		case FED_FAIL_AUTH:
			return "authentication failed";
		case FED_FAIL_REMOTE:
			return "remote error";
		default:
			return "unknown";
	}
}

/*
 * Report the failure of a statement for server: kind says in which words.
 * detail, when given, replaces the driver's text as the detail (it never
 * holds connection options).  shard names the foreign table.
 */
void
fed_report_failure(int elevel, int kind, FedRemoteError *err,
				   const char *servername, const char *detail,
				   const char *shard, const char *sql)
{
	const char *text = detail ? detail : (err && err->message ? err->message : "");

	switch (kind)
	{
		case FED_FAIL_TIMEOUT:
			ereport(elevel,
					(errcode(ERRCODE_CONNECTION_FAILURE),
					 errmsg("timed out waiting for server \"%s\"", servername),
					 errdetail_internal("%s", text),
					 shard ? errcontext("shard %s", shard) : 0));
			break;
		case FED_FAIL_REFUSED:
		case FED_FAIL_CONNECT:
		case FED_FAIL_AUTH:
			ereport(elevel,
					(errcode(ERRCODE_SQLCLIENT_UNABLE_TO_ESTABLISH_SQLCONNECTION),
					 errmsg("could not connect to server \"%s\"", servername),
					 errdetail_internal("%s", text),
					 shard ? errcontext("shard %s", shard) : 0));
			break;
		case FED_FAIL_LOST:
			ereport(elevel,
					(errcode(ERRCODE_CONNECTION_FAILURE),
					 errmsg("lost connection to server \"%s\"", servername),
					 errdetail_internal("%s", text),
					 shard ? errcontext("shard %s", shard) : 0));
			break;
		case FED_FAIL_CIRCUIT:
			ereport(elevel,
					(errcode(ERRCODE_CONNECTION_FAILURE),
					 errmsg("circuit breaker for server \"%s\" is open", servername),
					 errdetail_internal("%s", text),
					 errhint("Queries skip the server until federate.circuit_cooldown has passed; SELECT federate.reset_circuit('%s') lets them try it now.",
							 servername),
					 shard ? errcontext("shard %s", shard) : 0));
			break;
		default:
			fed_report_remote_error(elevel, err, servername, sql);
			break;
	}
}

/*-------------------------------------------------------------------------
 *
 * errors.c
 *		Turning a FedRemoteError into a PostgreSQL error report.
 *
 * Remote text is passed through untranslated (errmsg_internal), with the
 * remote SQLSTATE where it means the same thing here: always for
 * PostgreSQL servers; for MySQL only the standard SQL classes (a MySQL
 * "HY000" becomes ERRCODE_FDW_ERROR, with the MySQL error number in the
 * detail).  Context lines name the server and the remote statement.
 * A lost connection is reported in our own words, with the remote text as
 * detail.
 *
 * src/remote/errors.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "federate.h"

static bool
standard_class(const char *sqlstate)
{
	static const char *const classes[] = {
		"21", "22", "23", "25", "28", "40", "42", "44", "0A", "57", NULL
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

	if (err->timed_out)
	{
		ereport(elevel,
				(errcode(ERRCODE_CONNECTION_FAILURE),
				 errmsg("timed out waiting for server \"%s\"", servername),
				 sql ? errcontext("remote SQL command: %s", sql) : 0));
		return;
	}

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

/*-------------------------------------------------------------------------
 *
 * connection.c
 *		The connection cache, remote transactions, waiting, and cleanup.
 *
 * One connection per user mapping per backend, kept across queries and
 * transactions (the key is the user mapping's OID, so two users sharing
 * the PUBLIC mapping share the connection, and two mappings never do).
 * Everything here works through the FedDriver seam and never knows which
 * client library is underneath.
 *
 * Remote transactions follow the local one: the first statement sent to a
 * connection inside a local transaction first opens a remote one
 * (REPEATABLE READ on PostgreSQL, a consistent snapshot on MySQL), and
 * savepoints mirror local subtransactions lazily, as in postgres_fdw.  The
 * remote transaction commits in the local PRE_COMMIT callback, so a remote
 * commit failure still aborts the local transaction; it rolls back when the
 * local transaction or subtransaction aborts.
 *
 * Waiting: every wait is WaitLatchOrSocket on the process latch and the
 * connection's socket, followed by CHECK_FOR_INTERRUPTS(), so a query
 * cancel or statement_timeout always gets through.  When it does, the
 * ERROR unwinds to the transaction abort callback, which cancels the
 * remote statement (PQcancel, or KILL QUERY on a side connection for
 * MySQL), waits a bounded time for it to end, and rolls back; a connection
 * whose state is then unknown is closed, never reused.  Abort cleanup never
 * throws and never waits longer than FED_CLEANUP_TIMEOUT_MS per connection.
 *
 * A restarted server: its old connection fails on the first statement of
 * the next transaction; when that statement is the BEGIN that opens the
 * remote transaction and the failure says the connection is gone, nothing
 * can have been done on it yet, so the connection is replaced and the
 * BEGIN retried once.  The first query after a shard restart succeeds.
 *
 * A connection serves one result at a time.  A reader that holds an open
 * result registers a "park" callback; when another statement needs the
 * connection, the reader is asked to read its remaining rows into local
 * storage first (see fdw/scan.c).
 *
 * src/remote/connection.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_foreign_server.h"
#include "catalog/pg_user_mapping.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/fd.h"
#include "storage/latch.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/memutils.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"
#include "utils/acl.h"

#include "federate.h"

#define FED_CLEANUP_TIMEOUT_MS	5000

struct FedConn
{
	Oid			umid;			/* hash key: user mapping OID */
	Oid			serverid;
	Oid			userid;
	char		servername[NAMEDATALEN];
	const FedDriver *driver;
	void	   *handle;			/* NULL when not connected */
	MemoryContext cxt;			/* the handle's memory */
	int			xact_depth;		/* 0 = no remote transaction, 1 = open,
								 * >1 = that many levels of savepoints */
	bool		broken;			/* lost inside a transaction: the local
								 * transaction must not commit */
	bool		invalidated;	/* server or mapping changed: reconnect */
	uint32		server_hashvalue;
	uint32		mapping_hashvalue;
	int			connect_timeout;	/* seconds, 0 = none */
	void	   *owner;			/* reader holding the open result */
	FedParkCallback park;
};

typedef enum FedStep
{
	FED_STEP_CONNECT,
	FED_STEP_QUERY,
	FED_STEP_ROW,
	FED_STEP_DISCARD
} FedStep;

static HTAB *conn_hash = NULL;

static void fed_xact_callback(XactEvent event, void *arg);
static void fed_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
								 SubTransactionId parentSubid, void *arg);
static void fed_inval_callback(Datum arg, int cacheid, uint32 hashvalue);

void
fed_conn_init(void)
{
	RegisterXactCallback(fed_xact_callback, NULL);
	RegisterSubXactCallback(fed_subxact_callback, NULL);
	CacheRegisterSyscacheCallback(FOREIGNSERVEROID, fed_inval_callback, (Datum) 0);
	CacheRegisterSyscacheCallback(USERMAPPINGOID, fed_inval_callback, (Datum) 0);
}

const FedDriver *
fed_conn_driver(FedConn *conn)
{
	return conn->driver;
}

const char *
fed_conn_server_name(FedConn *conn)
{
	return conn->servername;
}

/* Copy an error's strings into the current memory context. */
static void
copy_error(FedRemoteError *dst, const FedRemoteError *src)
{
	*dst = *src;
	dst->message = src->message ? pstrdup(src->message) : pstrdup("unknown error");
	dst->detail = src->detail ? pstrdup(src->detail) : NULL;
	dst->hint = src->hint ? pstrdup(src->hint) : NULL;
	dst->context = src->context ? pstrdup(src->context) : NULL;
}

static void
close_handle(FedConn *c)
{
	if (c->handle)
	{
		c->driver->close(c->handle);
		ReleaseExternalFD();
	}
	c->handle = NULL;
	if (c->cxt)
		MemoryContextDelete(c->cxt);
	c->cxt = NULL;
	c->owner = NULL;
	c->park = NULL;
}

/*
 * Wait for the events a driver step asked for, or for the deadline (0 =
 * none).  Returns false when the deadline has passed.
 */
static bool
wait_for(FedConn *c, int events, TimestampTz deadline, bool interruptible)
{
	long		timeout = -1;
	int			wakeup = WL_LATCH_SET | WL_EXIT_ON_PM_DEATH;
	int			rc;

	if (deadline != 0)
	{
		TimestampTz now = GetCurrentTimestamp();

		if (now >= deadline)
			return false;
		timeout = TimestampDifferenceMilliseconds(now, deadline);
	}
	if ((events & WL_TIMEOUT) && c->driver->timeout_ms)
	{
		long		t = c->driver->timeout_ms(c->handle);

		if (timeout < 0 || t < timeout)
			timeout = t;
	}
	if (timeout >= 0)
		wakeup |= WL_TIMEOUT;
	wakeup |= events & (WL_SOCKET_READABLE | WL_SOCKET_WRITEABLE);

	rc = WaitLatchOrSocket(MyLatch, wakeup, c->driver->socket(c->handle),
						   timeout, PG_WAIT_EXTENSION);
	if (rc & WL_LATCH_SET)
	{
		ResetLatch(MyLatch);
		if (interruptible)
			CHECK_FOR_INTERRUPTS();
	}
	return true;
}

/*
 * Drive a driver step until it is done, has a row, or fails.  r is the
 * step's first return value.  On timeout the error says so.
 */
static int
drive(FedConn *c, FedStep step, int r, FedRow *row, FedRemoteError *err,
	  TimestampTz deadline, bool interruptible)
{
	while (r != FED_IO_DONE && r != FED_IO_ROW && r != FED_IO_ERROR)
	{
		if (!wait_for(c, r, deadline, interruptible))
		{
			memset(err, 0, sizeof(FedRemoteError));
			err->message = pstrdup("timed out");
			err->timed_out = true;
			err->connection_lost = (step == FED_STEP_CONNECT);
			return FED_IO_ERROR;
		}
		switch (step)
		{
			case FED_STEP_CONNECT:
				r = c->driver->connect_poll(c->handle, err);
				break;
			case FED_STEP_QUERY:
				r = c->driver->query_poll(c->handle, err);
				break;
			case FED_STEP_ROW:
				r = c->driver->next_row(c->handle, row, err);
				break;
			case FED_STEP_DISCARD:
				r = c->driver->discard(c->handle, err);
				break;
		}
	}
	return r;
}

static void
log_remote_sql(FedConn *c, const char *sql)
{
	if (fed_log_remote_sql)
		ereport(NOTICE,
				(errmsg_internal("federate: server \"%s\": %s",
								 c->servername, sql)));
}

/*
 * Run one statement to completion, reading and dropping any rows.  Returns
 * false with *err filled on failure; never throws for remote failures
 * (interrupts still can when interruptible).
 */
static bool
exec_internal(FedConn *c, const char *sql, int nparams,
			  const char *const *params, FedRemoteError *err,
			  TimestampTz deadline, bool interruptible, uint64 *affected)
{
	FedRow		row;
	int			r;

	if (c->handle == NULL)
	{
		memset(err, 0, sizeof(FedRemoteError));
		err->message = pstrdup("no connection to the server");
		err->connection_lost = true;
		return false;
	}
	log_remote_sql(c, sql);
	r = c->driver->query_start(c->handle, sql, nparams, params, 0, err);
	r = drive(c, FED_STEP_QUERY, r, NULL, err, deadline, interruptible);
	while (r == FED_IO_DONE || r == FED_IO_ROW)
	{
		r = c->driver->next_row(c->handle, &row, err);
		r = drive(c, FED_STEP_ROW, r, &row, err, deadline, interruptible);
		if (r == FED_IO_DONE)
			break;
	}
	if (r == FED_IO_ERROR)
		return false;
	if (affected)
		*affected = c->driver->affected_rows(c->handle);
	return true;
}

/*
 * A statement failed: forget a connection that is gone (remembering, if a
 * remote transaction was open, that the local one cannot commit), then
 * raise the error.
 */
static void
fail(FedConn *c, FedRemoteError *err, const char *sql)
{
	if (err->connection_lost || err->timed_out)
	{
		if (c->xact_depth > 0)
			c->broken = true;
		close_handle(c);
	}
	fed_report_remote_error(ERROR, err, c->servername, sql);
}

/* Make the connection free for a new statement: park or drop the reader. */
static void
make_idle(FedConn *c)
{
	FedRemoteError err = {0};
	int			r;

	if (c->owner)
	{
		void	   *owner = c->owner;
		FedParkCallback park = c->park;

		/* the reader reads its rest through fed_conn_next_row */
		park(owner);
		c->owner = NULL;
		c->park = NULL;
	}
	if (c->handle && c->driver->busy(c->handle))
	{
		r = c->driver->discard(c->handle, &err);
		r = drive(c, FED_STEP_DISCARD, r, NULL, &err, 0, true);
		if (r == FED_IO_ERROR)
			fail(c, &err, NULL);
	}
}

static void
connect_entry(FedConn *c, ForeignServer *server, UserMapping *user)
{
	const char **keys;
	const char **values;
	FedRemoteError err = {0};
	FedRemoteError copy = {0};
	MemoryContext old;
	TimestampTz deadline = 0;
	int			r;
	const char *const *setup;

	fed_conn_params(server, user, &keys, &values);

	if (!AcquireExternalFD())
		ereport(ERROR,
				(errcode(ERRCODE_SQLCLIENT_UNABLE_TO_ESTABLISH_SQLCONNECTION),
				 errmsg("could not connect to server \"%s\"", c->servername),
				 errdetail("There are too many open files on the local server."),
				 errhint("Raise the server's max_files_per_process and/or \"ulimit -n\" limits.")));

	c->cxt = AllocSetContextCreate(TopMemoryContext, "federate connection",
								   ALLOCSET_SMALL_SIZES);
	old = MemoryContextSwitchTo(c->cxt);
	r = c->driver->connect_start(keys, values, &c->handle, &err);
	MemoryContextSwitchTo(old);

	if (c->connect_timeout > 0)
		deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
											   c->connect_timeout * 1000);
	if (r != FED_IO_ERROR)
		r = drive(c, FED_STEP_CONNECT, r, NULL, &err, deadline, true);
	if (r == FED_IO_ERROR)
	{
		copy_error(&copy, &err);
		if (c->handle == NULL)
			ReleaseExternalFD();
		close_handle(c);
		if (copy.timed_out)
			ereport(ERROR,
					(errcode(ERRCODE_SQLCLIENT_UNABLE_TO_ESTABLISH_SQLCONNECTION),
					 errmsg("could not connect to server \"%s\"", c->servername),
					 errdetail("The connection attempt timed out after %d seconds.",
							   c->connect_timeout)));
		ereport(ERROR,
				(errcode(ERRCODE_SQLCLIENT_UNABLE_TO_ESTABLISH_SQLCONNECTION),
				 errmsg("could not connect to server \"%s\"", c->servername),
				 errdetail_internal("%s", copy.message)));
	}

	for (setup = c->driver->session_setup; *setup; setup++)
	{
		if (!exec_internal(c, *setup, 0, NULL, &err, 0, true, NULL))
			fail(c, &err, *setup);
	}
	c->xact_depth = 0;
	c->broken = false;
	c->invalidated = false;
}

/*
 * Open the remote transaction and savepoints up to the current local
 * nesting level.
 */
static bool
begin_remote_xact(FedConn *c, FedRemoteError *err, const char **failed_sql)
{
	int			curlevel = GetCurrentTransactionNestLevel();

	if (c->xact_depth == 0)
	{
		*failed_sql = c->driver->begin_sql;
		if (!exec_internal(c, c->driver->begin_sql, 0, NULL, err, 0, true, NULL))
			return false;
		c->xact_depth = 1;
	}
	while (c->xact_depth < curlevel)
	{
		char	   *sql = psprintf(c->driver->savepoint_fmt, c->xact_depth + 1);

		*failed_sql = sql;
		if (!exec_internal(c, sql, 0, NULL, err, 0, true, NULL))
			return false;
		c->xact_depth++;
	}
	return true;
}

/*
 * The connection for a server and user mapping, connecting if needed.
 * With start_xact, the remote transaction is open when this returns.
 */
FedConn *
fed_conn_get(ForeignServer *server, UserMapping *user, bool start_xact)
{
	FedConn    *c;
	bool		found;

	if (conn_hash == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(Oid);
		ctl.entrysize = sizeof(FedConn);
		conn_hash = hash_create("federate connections", 8, &ctl,
								HASH_ELEM | HASH_BLOBS);
	}

	c = hash_search(conn_hash, &user->umid, HASH_ENTER, &found);
	if (!found)
	{
		c->handle = NULL;
		c->cxt = NULL;
		c->xact_depth = 0;
		c->broken = false;
		c->invalidated = false;
		c->owner = NULL;
		c->park = NULL;
	}

	if (c->broken)
		ereport(ERROR,
				(errcode(ERRCODE_CONNECTION_FAILURE),
				 errmsg("connection to server \"%s\" was lost", c->servername),
				 errdetail("The remote transaction on this server ended with the connection; the local transaction must be rolled back.")));

	/* Changed options take effect between transactions. */
	if (c->handle && c->invalidated && c->xact_depth == 0)
		close_handle(c);

	if (c->handle == NULL)
	{
		c->serverid = server->serverid;
		c->userid = user->userid;
		strlcpy(c->servername, server->servername, NAMEDATALEN);
		c->driver = fed_server_driver(server) == FED_DRIVER_MYSQL ?
			&fed_driver_mysql : &fed_driver_libpq;
		c->connect_timeout = fed_int_option(server->options, "connect_timeout",
											fed_connect_timeout);
		c->server_hashvalue = GetSysCacheHashValue1(FOREIGNSERVEROID,
													ObjectIdGetDatum(server->serverid));
		c->mapping_hashvalue = GetSysCacheHashValue1(USERMAPPINGOID,
													 ObjectIdGetDatum(user->umid));
		connect_entry(c, server, user);
	}

	if (start_xact)
	{
		FedRemoteError err = {0};
		const char *sql = NULL;
		bool		fresh = (c->xact_depth == 0);

		make_idle(c);
		if (!begin_remote_xact(c, &err, &sql))
		{
			/* a server restart shows up here: reconnect once and retry */
			if (fresh && err.connection_lost)
			{
				close_handle(c);
				c->xact_depth = 0;
				connect_entry(c, server, user);
				if (begin_remote_xact(c, &err, &sql))
					return c;
			}
			fail(c, &err, sql);
		}
	}
	return c;
}

/* Run a statement to completion; returns the rows it changed. */
uint64
fed_conn_exec(FedConn *c, const char *sql, int nparams,
			  const char *const *params)
{
	FedRemoteError err = {0};
	uint64		affected = 0;

	make_idle(c);
	if (!exec_internal(c, sql, nparams, params, &err, 0, true, &affected))
		fail(c, &err, sql);
	return affected;
}

/*
 * Start a row-returning statement whose rows the owner reads with
 * fed_conn_next_row.  park is called when another statement needs the
 * connection before the owner has read everything.
 */
void
fed_conn_open(FedConn *c, const char *sql, int nparams,
			  const char *const *params, int fetch_size,
			  void *owner, FedParkCallback park)
{
	FedRemoteError err = {0};
	int			r;

	make_idle(c);
	if (c->handle == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_CONNECTION_FAILURE),
				 errmsg("connection to server \"%s\" was lost", c->servername)));
	log_remote_sql(c, sql);
	r = c->driver->query_start(c->handle, sql, nparams, params, fetch_size, &err);
	r = drive(c, FED_STEP_QUERY, r, NULL, &err, 0, true);
	if (r == FED_IO_ERROR)
		fail(c, &err, sql);
	c->owner = owner;
	c->park = park;
}

/* The next row of the owner's result; false at its end. */
bool
fed_conn_next_row(FedConn *c, void *owner, FedRow *row)
{
	FedRemoteError err = {0};
	int			r;

	if (c->owner != owner || c->handle == NULL)
		elog(ERROR, "federate: connection to server \"%s\" is not reading this result",
			 c->servername);
	r = c->driver->next_row(c->handle, row, &err);
	r = drive(c, FED_STEP_ROW, r, row, &err, 0, true);
	if (r == FED_IO_ERROR)
	{
		c->owner = NULL;
		fail(c, &err, NULL);
	}
	if (r == FED_IO_DONE)
	{
		c->owner = NULL;
		c->park = NULL;
		return false;
	}
	return true;
}

/* The owner no longer wants the rest of its result. */
void
fed_conn_release(FedConn *c, void *owner)
{
	char		errbuf[256];

	if (c->owner != owner)
		return;
	c->owner = NULL;
	c->park = NULL;

	/*
	 * A stream left unread (a LIMIT, an early end) is cheaper to stop on
	 * the server than to read to its end, which is the only other way on
	 * MySQL.  A driver with nothing running ignores this.
	 */
	if (c->handle && c->driver->busy(c->handle) &&
		!c->driver->cancel(c->handle, FED_CLEANUP_TIMEOUT_MS / 1000,
						   errbuf, sizeof(errbuf)))
		ereport(DEBUG1,
				(errmsg_internal("federate: could not cancel on server \"%s\": %s",
								 c->servername, errbuf)));
	make_idle(c);
}

/*
 * Cleanup after a local (sub)transaction abort.  Never throws; bounded in
 * time; closes the connection when its state cannot be made known.
 */
static void
abort_cleanup(FedConn *c, bool toplevel)
{
	FedRemoteError err = {0};
	TimestampTz deadline;
	char		errbuf[256];
	int			r;

	c->owner = NULL;
	c->park = NULL;
	if (c->handle == NULL)
		return;

	deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
										   FED_CLEANUP_TIMEOUT_MS);
	if (c->driver->busy(c->handle))
	{
		if (!c->driver->cancel(c->handle, FED_CLEANUP_TIMEOUT_MS / 1000,
							   errbuf, sizeof(errbuf)))
		{
			ereport(WARNING,
					(errcode(ERRCODE_CONNECTION_FAILURE),
					 errmsg("could not cancel the statement running on server \"%s\"",
							c->servername),
					 errdetail_internal("%s", errbuf)));
			close_handle(c);
			return;
		}
		r = c->driver->discard(c->handle, &err);
		r = drive(c, FED_STEP_DISCARD, r, NULL, &err, deadline, false);
		if (r == FED_IO_ERROR)
		{
			close_handle(c);
			return;
		}
	}

	if (c->xact_depth == 0)
		return;
	if (toplevel)
	{
		if (!exec_internal(c, c->driver->rollback_sql, 0, NULL, &err,
						   deadline, false, NULL))
			close_handle(c);
	}
	else
	{
		int			level = GetCurrentTransactionNestLevel();
		char	   *sql;

		sql = psprintf(c->driver->rollback_to_fmt, level);
		if (exec_internal(c, sql, 0, NULL, &err, deadline, false, NULL))
		{
			sql = psprintf(c->driver->release_fmt, level);
			if (exec_internal(c, sql, 0, NULL, &err, deadline, false, NULL))
				return;
		}
		/* the remote transaction is in an unknown state */
		c->broken = true;
		close_handle(c);
	}
}

static void
fed_xact_callback(XactEvent event, void *arg)
{
	HASH_SEQ_STATUS scan;
	FedConn    *c;

	if (conn_hash == NULL)
		return;

	hash_seq_init(&scan, conn_hash);
	while ((c = (FedConn *) hash_seq_search(&scan)))
	{
		if (c->xact_depth == 0 && !c->broken)
		{
			/* nothing remote to end, but changed options apply now */
			if (c->handle && c->invalidated &&
				(event == XACT_EVENT_COMMIT || event == XACT_EVENT_ABORT))
				close_handle(c);
			continue;
		}

		switch (event)
		{
			case XACT_EVENT_PARALLEL_PRE_COMMIT:
			case XACT_EVENT_PRE_COMMIT:
				if (c->broken)
					ereport(ERROR,
							(errcode(ERRCODE_CONNECTION_FAILURE),
							 errmsg("could not commit the remote transaction on server \"%s\"",
									c->servername),
							 errdetail("The connection was lost during the transaction.")));
				{
					FedRemoteError err = {0};

					c->owner = NULL;
					c->park = NULL;
					make_idle(c);
					if (!exec_internal(c, c->driver->commit_sql, 0, NULL, &err,
									   0, true, NULL))
					{
						c->xact_depth = 0;
						fail(c, &err, c->driver->commit_sql);
					}
					c->xact_depth = 0;
				}
				break;
			case XACT_EVENT_PRE_PREPARE:
				ereport(ERROR,
						(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						 errmsg("cannot PREPARE a transaction that has operated on federate foreign tables")));
				break;
			case XACT_EVENT_PARALLEL_COMMIT:
			case XACT_EVENT_COMMIT:
			case XACT_EVENT_PREPARE:
				break;
			case XACT_EVENT_PARALLEL_ABORT:
			case XACT_EVENT_ABORT:
				abort_cleanup(c, true);
				break;
		}
		c->xact_depth = 0;
		c->broken = false;
		if (c->handle && c->invalidated)
			close_handle(c);
	}
}

static void
fed_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
					 SubTransactionId parentSubid, void *arg)
{
	HASH_SEQ_STATUS scan;
	FedConn    *c;
	int			curlevel;

	if (conn_hash == NULL)
		return;
	if (event != SUBXACT_EVENT_PRE_COMMIT_SUB && event != SUBXACT_EVENT_ABORT_SUB)
		return;

	curlevel = GetCurrentTransactionNestLevel();
	hash_seq_init(&scan, conn_hash);
	while ((c = (FedConn *) hash_seq_search(&scan)))
	{
		if (c->xact_depth < curlevel || c->handle == NULL)
			continue;
		if (event == SUBXACT_EVENT_PRE_COMMIT_SUB)
		{
			char	   *sql = psprintf(c->driver->release_fmt, curlevel);

			c->owner = NULL;
			c->park = NULL;
			fed_conn_exec(c, sql, 0, NULL);
		}
		else
			abort_cleanup(c, false);
		c->xact_depth = curlevel - 1;
	}
}

static void
fed_inval_callback(Datum arg, int cacheid, uint32 hashvalue)
{
	HASH_SEQ_STATUS scan;
	FedConn    *c;

	if (conn_hash == NULL)
		return;
	hash_seq_init(&scan, conn_hash);
	while ((c = (FedConn *) hash_seq_search(&scan)))
	{
		if (hashvalue == 0 ||
			(cacheid == FOREIGNSERVEROID && c->server_hashvalue == hashvalue) ||
			(cacheid == USERMAPPINGOID && c->mapping_hashvalue == hashvalue))
			c->invalidated = true;
	}
}

/*
 * federate.connections(): one row per cached connection.
 */
Datum
fed_conn_list(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	HASH_SEQ_STATUS scan;
	FedConn    *c;

	InitMaterializedSRF(fcinfo, 0);
	if (conn_hash == NULL)
		return (Datum) 0;

	hash_seq_init(&scan, conn_hash);
	while ((c = (FedConn *) hash_seq_search(&scan)))
	{
		Datum		values[5];
		bool		nulls[5] = {false, false, false, false, false};
		ForeignServer *server;

		if (c->handle == NULL)
			continue;
		server = GetForeignServerExtended(c->serverid, FSV_MISSING_OK);
		values[0] = CStringGetTextDatum(server ? server->servername : c->servername);
		if (OidIsValid(c->userid))
			values[1] = CStringGetTextDatum(GetUserNameFromId(c->userid, true) ?
											GetUserNameFromId(c->userid, true) : "");
		else
			values[1] = CStringGetTextDatum("public");
		values[2] = CStringGetTextDatum(c->driver->name);
		values[3] = BoolGetDatum(c->xact_depth > 0);
		values[4] = BoolGetDatum(!c->invalidated && server != NULL);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/*
 * Close the cached connections of one server (or all).  A connection in
 * use by the current transaction is kept, with a warning.  Returns true if
 * anything was closed.
 */
bool
fed_conn_disconnect(Oid serverid, bool all)
{
	HASH_SEQ_STATUS scan;
	FedConn    *c;
	bool		closed = false;

	if (conn_hash == NULL)
		return false;
	hash_seq_init(&scan, conn_hash);
	while ((c = (FedConn *) hash_seq_search(&scan)))
	{
		if (c->handle == NULL || (!all && c->serverid != serverid))
			continue;
		if (c->xact_depth > 0)
		{
			ereport(WARNING,
					(errmsg("cannot close the connection to server \"%s\" because it is still in use",
							c->servername)));
			continue;
		}
		close_handle(c);
		closed = true;
	}
	return closed;
}

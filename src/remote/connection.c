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
 * throws and waits at most FED_ABORT_WAIT_MS per connection, once per
 * server that does not answer (its other connections are closed at once).
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
#include "pgtime.h"
#include "storage/fd.h"
#include "storage/latch.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/memutils.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"
#include "utils/acl.h"
#include "utils/backend_status.h"

#include "remote/remote.h"
#include "health/health.h"

#define FED_CLEANUP_TIMEOUT_MS	5000

/*
 * During abort cleanup, the longest wait for a server to end what was in
 * flight (a SET or BEGIN, a cancelled statement) and to roll back: a
 * healthy server takes milliseconds; one that does not answer in time has
 * its connection closed (the remote transaction ends with it) rather than
 * keep the user waiting.
 */
#define FED_ABORT_WAIT_MS		1000

/*
 * Servers found unresponsive during the current abort (a cancel got no
 * answer, or an in-flight statement did not end in time): their other
 * connections are closed without waiting again.
 */
static List *unresponsive_servers = NIL;

/*
 * The bound of every cancel request (MySQL's side connection keeps the
 * timeouts it was opened with, so one bound serves every use): a server
 * that does not answer within it is not waited for, its connection is
 * closed, and control returns to the user within about this much of the
 * error.
 */
#define FED_CANCEL_TIMEOUT_SEC	1

/* The comment each remote statement starts with; see set_statement_tag. */
char		fed_statement_tag[FED_TAG_LEN];

/* Connections per user mapping: fan-out tasks on one server run in parallel. */
#define FED_MAX_SLOTS			8

typedef struct FedConnKey
{
	Oid			umid;			/* user mapping OID */
	int			slot;			/* 0 for plain scans and writes */
} FedConnKey;

/*
 * Where a connection's asynchronous state machine stands.  Starting a
 * statement may first have to connect, run the session setup, and open the
 * remote transaction and savepoints; each step is one non-blocking driver
 * call, so the fan-out loop can advance many connections at once.
 */
typedef enum FedPhase
{
	FED_PHASE_IDLE,				/* nothing in flight */
	FED_PHASE_CONNECT,			/* connect_poll pending */
	FED_PHASE_SETUP,			/* a session setup statement in flight */
	FED_PHASE_SET,				/* the statement timeout being set */
	FED_PHASE_BEGIN,			/* BEGIN or SAVEPOINT in flight */
	FED_PHASE_QUERY,			/* the caller's statement sent, result not open */
	FED_PHASE_OPEN				/* the caller's result is open */
} FedPhase;

struct FedConn
{
	FedConnKey	key;			/* hash key */
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
	bool		wrote;			/* changed data in the remote transaction */
	uint32		server_hashvalue;
	uint32		mapping_hashvalue;
	int			connect_timeout;	/* seconds, 0 = none */
	int			stmt_timeout;	/* ms, 0 = none: of the current statement */
	int			remote_timeout; /* ms, the session's (drivers that keep it) */
	int			pending_timeout;
	bool		cancel_sent;	/* during abort: cancel already requested */
	bool		cancel_doubtful;	/* a cancel request got no answer: it
									 * may still arrive and stop a later
									 * statement, so c is not reused */
	void	   *owner;			/* reader holding the connection */
	FedParkCallback park;
	bool		budget_held;	/* holds a unit of the server's budget */
	bool		idle_counted;	/* counted idle in the budget's view */
	int			budget;			/* the server's budget (0 = none) */
	TimestampTz connected_at;
	TimestampTz last_used;
	int			owner_level;	/* transaction nesting level of the claim */

	/* the asynchronous state machine */
	FedPhase	phase;
	bool		draining;		/* reading an internal statement's rows */
	int			setup_step;		/* index into driver->session_setup */
	int			pending_depth;	/* xact_depth once BEGIN/SAVEPOINT is done */
	bool		may_reconnect;	/* BEGIN on a connection made earlier */
	bool		prefixed;		/* BEGIN went ahead of the statement */
	int			commit_r;		/* COMMIT in flight: its last step */
	TimestampTz connect_deadline;
	const char *cur_sql;		/* internal statement in flight */
	char		stmt_buf[768];	/* its text, for savepoints and BEGIN */
	char		remote_tz[TZ_STRLEN_MAX + 1];	/* the remote transaction's
												 * TimeZone ("" unknown) */
	bool		pending_tz;		/* the SET in flight is the TimeZone's */
	ForeignServer *server;		/* valid during the current statement */
	UserMapping *user;
	const char *q_sql;			/* the caller's statement, or NULL */
	int			q_nparams;
	const char *const *q_params;
	int			q_fetch_size;
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
static int	advance(FedConn *c, int r, FedRemoteError *err);

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

/*
 * Copy an error's strings into the current memory context (dst may be
 * src): a driver may keep them in the connection's memory, which goes with
 * the connection.
 */
static void
copy_error(FedRemoteError *dst, const FedRemoteError *src)
{
	FedRemoteError tmp = *src;

	tmp.message = src->message ? pstrdup(src->message) : pstrdup("unknown error");
	tmp.detail = src->detail ? pstrdup(src->detail) : NULL;
	tmp.hint = src->hint ? pstrdup(src->hint) : NULL;
	tmp.context = src->context ? pstrdup(src->context) : NULL;
	*dst = tmp;
}

/* Close the connection; the owner, if any, keeps its claim. */
static void
close_handle(FedConn *c)
{
	if (c->handle)
	{
		c->driver->close(c->handle);
		ReleaseExternalFD();
	}
	if (c->budget_held)
		fed_budget_give_back(c->serverid, c->idle_counted);
	c->budget_held = false;
	c->idle_counted = false;
	c->handle = NULL;
	if (c->cxt)
		MemoryContextDelete(c->cxt);
	c->cxt = NULL;
	c->phase = FED_PHASE_IDLE;
	c->draining = false;
	c->cancel_doubtful = false;
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

	/* a server that does not answer within the statement timeout */
	if (deadline == 0 && interruptible && c->stmt_timeout > 0 &&
		c->phase != FED_PHASE_CONNECT)
		deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
											   fed_timeout_grace(c->stmt_timeout));
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
 * The coordinator's bound of a wait for a server with statement timeout
 * ms: a little more than the timeout, so that the server's own timeout
 * (a clean error) usually comes first.
 */
int
fed_timeout_grace(int ms)
{
	return ms + Min(1000, 100 + ms / 10);
}

static void
set_timed_out(FedRemoteError *err, bool lost)
{
	memset(err, 0, sizeof(FedRemoteError));
	err->message = pstrdup("timed out");
	err->timed_out = true;
	err->connection_lost = lost;
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
			set_timed_out(err, step == FED_STEP_CONNECT);
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
 * Finish a statement whose query_start returned r: wait for it, read and
 * drop any rows.  Returns false with *err filled on failure.
 */
static bool
finish_internal(FedConn *c, int r, FedRemoteError *err, TimestampTz deadline,
				bool interruptible, uint64 *affected)
{
	FedRow		row;

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
 * Run one statement to completion, reading and dropping any rows.  Returns
 * false with *err filled on failure; never throws for remote failures
 * (interrupts still can when interruptible).
 */
static bool
exec_internal(FedConn *c, const char *sql, int nparams,
			  const char *const *params, FedRemoteError *err,
			  TimestampTz deadline, bool interruptible, uint64 *affected)
{
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
	return finish_internal(c, r, err, deadline, interruptible, affected);
}

/* Count a failure against the server (statistics, circuit breaker). */
static void
note_failure(FedConn *c, FedFailKind kind, FedRemoteError *err)
{
	fed_health_failure(c->serverid, c->servername, kind,
					   err && err->message ? err->message : NULL);
}

/* Remember for this abort that c's server does not answer. */
static void
note_unresponsive(FedConn *c)
{
	MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);

	unresponsive_servers = list_append_unique_oid(unresponsive_servers,
												  c->serverid);
	MemoryContextSwitchTo(old);
}

/* Ask the server to stop the statement running on c, if any (bounded). */
static void
cancel_running(FedConn *c)
{
	char		errbuf[256];

	if (c->handle == NULL || c->cancel_sent || !c->driver->busy(c->handle))
		return;
	if (list_member_oid(unresponsive_servers, c->serverid))
		c->cancel_doubtful = true;	/* not waited for twice */
	else if (!c->driver->cancel(c->handle, FED_CANCEL_TIMEOUT_SEC, errbuf,
								sizeof(errbuf)))
	{
		ereport(DEBUG1,
				(errmsg_internal("federate: could not cancel on server \"%s\": %s",
								 c->servername, errbuf)));
		c->cancel_doubtful = true;
		note_unresponsive(c);
	}
	c->cancel_sent = true;
}

/*
 * c's remote transaction ends with its connection, before the local one.
 * One that changed nothing only held a snapshot: under READ COMMITTED a
 * later statement may read in a new one, as a local statement would, so
 * the connection is simply made again.  One that wrote, or a local
 * transaction that keeps one snapshot (REPEATABLE READ, SERIALIZABLE),
 * cannot go on: the local transaction must not commit ("broken").
 */
static void
lose_xact(FedConn *c)
{
	if (c->xact_depth > 0 && (c->wrote || IsolationUsesXactSnapshot()))
		c->broken = true;
	c->xact_depth = 0;
}

/*
 * A statement failed: forget a connection that is gone (see lose_xact),
 * then raise the error.
 */
static void
fail(FedConn *c, FedRemoteError *err, const char *sql)
{
	FedFailKind kind = fed_classify_error(c->driver, err,
										  c->phase == FED_PHASE_CONNECT);

	note_failure(c, kind, err);
	c->phase = FED_PHASE_IDLE;
	c->draining = false;
	copy_error(err, err);		/* it outlives the connection's memory */
	if (err->connection_lost || err->timed_out)
	{
		lose_xact(c);
		cancel_running(c);
		close_handle(c);
	}
	if (err->timed_out)
		fed_report_failure(ERROR, FED_FAIL_TIMEOUT, err, c->servername,
						   fed_conn_timeout_detail(c, err, false), NULL, sql);
	fed_report_remote_error(ERROR, err, c->servername, sql);
}

/*
 * Our account of a timeout of c's statement (err): which bound passed.
 * connecting: the connection attempt's own bound.
 */
char *
fed_conn_timeout_detail(FedConn *c, FedRemoteError *err, bool connecting)
{
	if (err->timed_out && connecting)
		return psprintf("The connection attempt timed out after %d seconds.",
						c->connect_timeout);
	if (err->timed_out)
		return psprintf("No answer within the statement timeout of %d ms.",
						c->stmt_timeout);
	return psprintf("The server stopped the statement at the statement timeout of %d ms: %s",
					c->stmt_timeout, err->message);
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
		if (park)
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
	c->phase = FED_PHASE_IDLE;
}

/* The hash entry for (user mapping, slot), created empty if needed. */
static FedConn *
conn_entry(UserMapping *user, int slot)
{
	FedConnKey	key;
	FedConn    *c;
	bool		found;

	if (conn_hash == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(FedConnKey);
		ctl.entrysize = sizeof(FedConn);
		conn_hash = hash_create("federate connections", 8, &ctl,
								HASH_ELEM | HASH_BLOBS);
	}
	memset(&key, 0, sizeof(key));
	key.umid = user->umid;
	key.slot = slot;
	c = hash_search(conn_hash, &key, HASH_ENTER, &found);
	if (!found)
	{
		memset(((char *) c) + sizeof(FedConnKey), 0,
			   sizeof(FedConn) - sizeof(FedConnKey));
		c->phase = FED_PHASE_IDLE;
	}
	return c;
}

/*
 * Does this backend hold a connection to another server than serverid
 * that it cannot give up now (a reader has it, or a remote transaction is
 * open on it)?  Then waiting for a unit of serverid's budget could wait
 * for a session that waits for it (see fed_budget_take).
 */
static bool
holds_busy(Oid serverid)
{
	HASH_SEQ_STATUS scan;
	FedConn    *c;

	if (conn_hash == NULL)
		return false;
	hash_seq_init(&scan, conn_hash);
	while ((c = (FedConn *) hash_seq_search(&scan)))
		if (c->handle && c->serverid != serverid &&
			(c->owner || c->xact_depth > 0))
		{
			hash_seq_term(&scan);
			return true;
		}
	return false;
}

/* How long a backend's first connection to server waits for its budget. */
static TimestampTz
budget_deadline(ForeignServer *server)
{
	int			secs = fed_int_option(server->options, "connect_timeout",
									  fed_connect_timeout);

	return secs > 0 ?
		TimestampTzPlusMilliseconds(GetCurrentTimestamp(), secs * 1000) : 0;
}

/* Checks and bookkeeping before a connection serves a statement. */
static void
prepare_entry(FedConn *c, ForeignServer *server, UserMapping *user)
{
	if (c->broken)
		ereport(ERROR,
				(errcode(ERRCODE_CONNECTION_FAILURE),
				 errmsg("connection to server \"%s\" was lost", c->servername),
				 errdetail("The remote transaction on this server ended with the connection; the local transaction must be rolled back.")));

	/*
	 * Changed options take effect between transactions, on a connection
	 * nobody uses: not on one still being made for a reader (that one
	 * reads the new options already).
	 */
	if (c->handle && c->invalidated && c->xact_depth == 0 &&
		c->owner == NULL && c->phase == FED_PHASE_IDLE)
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
	}
	c->server = server;
	c->user = user;
	c->stmt_timeout = fed_server_statement_timeout(server);
	c->budget = fed_server_budget(server);
	c->last_used = GetCurrentTimestamp();
	if (c->idle_counted)
	{
		fed_budget_idle(c->serverid, false);
		c->idle_counted = false;
	}
}

/*
 * The asynchronous state machine.
 *
 * fed_conn_start begins a statement: connecting first if needed, running
 * the session setup, then opening the remote transaction and savepoints up
 * to the local nesting level, and finally sending the caller's statement
 * (or stopping there when sql is NULL).  Every step returns at once: a
 * wait mask (wait on fed_conn_socket, then call fed_conn_poll),
 * FED_IO_DONE (the result is open, or the connection is ready), or
 * FED_IO_ERROR (raise it with fed_conn_raise).
 */
static int
begin_connect(FedConn *c, FedRemoteError *err)
{
	const char **keys;
	const char **values;
	MemoryContext old;
	int			r;

	/* a unit of the server's budget: required, unless claimed already */
	if (!c->budget_held)
	{
		fed_budget_take(c->server, true, budget_deadline(c->server),
						holds_busy(c->serverid));
		c->budget_held = true;
	}
	fed_conn_params(c->server, c->user, &keys, &values);
	c->invalidated = false;		/* made with the options of now */

	if (!AcquireExternalFD())
	{
		close_handle(c);		/* gives the unit back */
		ereport(ERROR,
				(errcode(ERRCODE_SQLCLIENT_UNABLE_TO_ESTABLISH_SQLCONNECTION),
				 errmsg("could not connect to server \"%s\"", c->servername),
				 errdetail("There are too many open files on the local server."),
				 errhint("Raise the server's max_files_per_process and/or \"ulimit -n\" limits.")));
	}

	c->cxt = AllocSetContextCreate(TopMemoryContext, "federate connection",
								   ALLOCSET_SMALL_SIZES);
	old = MemoryContextSwitchTo(c->cxt);
	r = c->driver->connect_start(keys, values, &c->handle, err);
	MemoryContextSwitchTo(old);
	if (c->handle == NULL)
	{
		ReleaseExternalFD();
		if (c->budget_held)
			fed_budget_give_back(c->serverid, false);
		c->budget_held = false;
	}

	c->phase = FED_PHASE_CONNECT;
	c->connected_at = GetCurrentTimestamp();
	c->draining = false;
	c->xact_depth = 0;
	c->remote_timeout = 0;
	c->cancel_sent = false;
	c->connect_deadline = 0;
	if (c->connect_timeout > 0)
		c->connect_deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
														  c->connect_timeout * 1000);
	return r;
}

/* Send an internal statement (setup, BEGIN, SAVEPOINT). */
static int
start_internal(FedConn *c, FedPhase phase, const char *sql, FedRemoteError *err)
{
	c->phase = phase;
	c->draining = false;
	c->cur_sql = sql;
	log_remote_sql(c, sql);
	return c->driver->query_start(c->handle, sql, 0, NULL, 0, err);
}

/* The statement timeout's printf format for c's server. */
static const char *
timeout_format(FedConn *c)
{
	if (c->driver->timeout_format)
		return c->driver->timeout_format(c->handle);
	return c->driver->timeout_fmt;
}

/*
 * Connected: a non-superuser's connection must have been authenticated by
 * its password (see FedDriver.used_password).
 */
static void
check_password_used(FedConn *c)
{
	if (c->driver->used_password == NULL || superuser_arg(c->userid) ||
		c->driver->used_password(c->handle))
		return;
	close_handle(c);
	ereport(ERROR,
			(errcode(ERRCODE_S_R_E_PROHIBITED_SQL_STATEMENT_ATTEMPTED),
			 errmsg("password is required"),
			 errdetail("Non-superuser cannot connect to server \"%s\" if it does not request a password.",
					   c->servername),
			 errhint("The server's authentication method must be changed to one that asks for the password.")));
}

/* The next step once connected and set up: transaction, then statement. */
static int
next_xact_step(FedConn *c, FedRemoteError *err)
{
	int			curlevel = GetCurrentTransactionNestLevel();

	if (c->xact_depth == 0)
	{
		const char *begin = c->driver->begin_sql;

		/* the statement timeout: a session setting on some engines */
		if (!c->driver->timeout_in_xact && c->stmt_timeout != c->remote_timeout)
		{
			c->pending_timeout = c->stmt_timeout;
			snprintf(c->stmt_buf, sizeof(c->stmt_buf), timeout_format(c),
					 c->stmt_timeout);
			return start_internal(c, FED_PHASE_SET, c->stmt_buf, err);
		}
		/* ... or one of the transaction, in the BEGIN's round trip */
		if (c->driver->timeout_in_xact && c->stmt_timeout > 0)
		{
			int			n = snprintf(c->stmt_buf, sizeof(c->stmt_buf), "%s; ",
									 c->driver->begin_sql);

			snprintf(c->stmt_buf + n, sizeof(c->stmt_buf) - n,
					 timeout_format(c), c->stmt_timeout);
			begin = c->stmt_buf;
		}
		/* the session's TimeZone too (the session setup's is UTC) */
		if (c->driver->timezone_fmt)
		{
			const char *tz = pg_get_timezone_name(session_timezone);

			strlcpy(c->remote_tz, "UTC", sizeof(c->remote_tz));
			if (strcmp(tz, "UTC") != 0)
			{
				int			n;

				if (begin != c->stmt_buf)
					strlcpy(c->stmt_buf, begin, sizeof(c->stmt_buf));
				n = strlen(c->stmt_buf);
				n += snprintf(c->stmt_buf + n, sizeof(c->stmt_buf) - n, "; ");
				snprintf(c->stmt_buf + n, sizeof(c->stmt_buf) - n,
						 c->driver->timezone_fmt, quote_literal_cstr(tz));
				strlcpy(c->remote_tz, tz, sizeof(c->remote_tz));
				begin = c->stmt_buf;
			}
		}

		/* a read without parameters: BEGIN and it in one round trip */
		if (c->q_sql && c->q_nparams == 0 && curlevel == 1 &&
			c->driver->query_start_after)
		{
			c->phase = FED_PHASE_QUERY;
			c->draining = false;
			c->prefixed = true;
			c->xact_depth = 1;
			log_remote_sql(c, begin);
			log_remote_sql(c, c->q_sql);
			return c->driver->query_start_after(c->handle, begin,
												c->q_sql, c->q_fetch_size, err);
		}
		c->pending_depth = 1;
		return start_internal(c, FED_PHASE_BEGIN, begin, err);
	}
	if (c->xact_depth < curlevel)
	{
		c->pending_depth = c->xact_depth + 1;
		snprintf(c->stmt_buf, sizeof(c->stmt_buf), c->driver->savepoint_fmt,
				 c->pending_depth);
		return start_internal(c, FED_PHASE_BEGIN, c->stmt_buf, err);
	}
	if (c->q_sql == NULL)
	{
		c->phase = FED_PHASE_IDLE;
		return FED_IO_DONE;
	}
	/* the local session changed its TimeZone inside the transaction */
	if (c->driver->timezone_fmt &&
		strcmp(c->remote_tz, pg_get_timezone_name(session_timezone)) != 0)
	{
		c->pending_tz = true;
		snprintf(c->stmt_buf, sizeof(c->stmt_buf), c->driver->timezone_fmt,
				 quote_literal_cstr(pg_get_timezone_name(session_timezone)));
		return start_internal(c, FED_PHASE_SET, c->stmt_buf, err);
	}
	c->phase = FED_PHASE_QUERY;
	c->draining = false;
	log_remote_sql(c, c->q_sql);
	return c->driver->query_start(c->handle, c->q_sql, c->q_nparams,
								  c->q_params, c->q_fetch_size, err);
}

/*
 * Advance with r, the result of the last driver step, until something has
 * to be waited for, the caller's result is open, or a step fails.
 */
static int
advance(FedConn *c, int r, FedRemoteError *err)
{
	FedRow		row;

	for (;;)
	{
		if (r == FED_IO_ERROR)
		{
			/* a server restart shows up here: reconnect once and retry */
			if (c->may_reconnect && err->connection_lost &&
				((c->phase == FED_PHASE_BEGIN && c->xact_depth == 0) ||
				 (c->phase == FED_PHASE_QUERY && c->prefixed)))
			{
				c->may_reconnect = false;
				c->prefixed = false;
				c->xact_depth = 0;
				close_handle(c);
				r = begin_connect(c, err);
				continue;
			}
			return FED_IO_ERROR;
		}
		if (r != FED_IO_DONE && r != FED_IO_ROW)
			return r;

		switch (c->phase)
		{
			case FED_PHASE_CONNECT:
				check_password_used(c);
				c->setup_step = -1;
				c->phase = FED_PHASE_SETUP;
				c->draining = true;
				r = FED_IO_DONE;
				continue;
			case FED_PHASE_SETUP:
			case FED_PHASE_SET:
			case FED_PHASE_BEGIN:
				if (!c->draining || r == FED_IO_ROW)
				{
					/* read and drop the statement's rows */
					c->draining = true;
					r = c->driver->next_row(c->handle, &row, err);
					continue;
				}
				c->draining = false;
				if (c->phase == FED_PHASE_SETUP)
				{
					const char *next = c->driver->session_setup[++c->setup_step];

					if (next)
					{
						r = start_internal(c, FED_PHASE_SETUP, next, err);
						continue;
					}
					c->xact_depth = 0;
					c->broken = false;
					c->invalidated = false;
				}
				else if (c->phase == FED_PHASE_SET && c->pending_tz)
				{
					c->pending_tz = false;
					strlcpy(c->remote_tz, pg_get_timezone_name(session_timezone),
							sizeof(c->remote_tz));
				}
				else if (c->phase == FED_PHASE_SET)
					c->remote_timeout = c->pending_timeout;
				else
					c->xact_depth = c->pending_depth;
				r = next_xact_step(c, err);
				continue;
			case FED_PHASE_QUERY:
				c->phase = FED_PHASE_OPEN;
				fed_health_success(c->serverid, c->servername);
				return FED_IO_DONE;
			default:
				return r;
		}
	}
}

/*
 * The comment in front of every remote statement of the current query:
 * the coordinator backend's pid and the query id (0 when query ids are
 * not computed; federate turns them on when preloaded).
 */
static void
set_statement_tag(void)
{
	snprintf(fed_statement_tag, FED_TAG_LEN,
			 "/* federate pid=%d query_id=" INT64_FORMAT " */ ",
			 MyProcPid, (int64) pgstat_get_my_query_id());
}

/*
 * Begin a statement (see above).  The connection must have been claimed
 * by the caller and be idle.  sql, params and their strings must stay
 * valid until the result is open.
 */
int
fed_conn_start(FedConn *c, const char *sql, int nparams,
			   const char *const *params, int fetch_size, FedRemoteError *err)
{
	c->q_sql = sql;
	c->q_nparams = nparams;
	c->q_params = params;
	c->q_fetch_size = fetch_size;
	c->prefixed = false;
	c->cancel_sent = false;
	set_statement_tag();
	if (sql)
		fed_health_statement(c->serverid, c->servername);
	if (c->handle == NULL)
	{
		c->may_reconnect = false;
		return advance(c, begin_connect(c, err), err);
	}
	c->may_reconnect = true;
	return advance(c, next_xact_step(c, err), err);
}

/* Continue after the socket became ready or the wait timed out. */
int
fed_conn_poll(FedConn *c, FedRemoteError *err)
{
	FedRow		row;
	int			r;

	switch (c->phase)
	{
		case FED_PHASE_CONNECT:
			if (c->connect_deadline != 0 &&
				GetCurrentTimestamp() >= c->connect_deadline)
			{
				set_timed_out(err, true);
				return FED_IO_ERROR;
			}
			r = c->driver->connect_poll(c->handle, err);
			break;
		case FED_PHASE_SETUP:
		case FED_PHASE_SET:
		case FED_PHASE_BEGIN:
			r = c->draining ? c->driver->next_row(c->handle, &row, err) :
				c->driver->query_poll(c->handle, err);
			break;
		case FED_PHASE_QUERY:
			r = c->driver->query_poll(c->handle, err);
			break;
		default:
			return FED_IO_DONE;
	}
	return advance(c, r, err);
}

/* The next row of the open result, without waiting. */
int
fed_conn_fetch(FedConn *c, FedRow *row, FedRemoteError *err)
{
	int			r;

	if (c->phase != FED_PHASE_OPEN || c->handle == NULL)
		elog(ERROR, "federate: no open result on server \"%s\"", c->servername);
	r = c->driver->next_row(c->handle, row, err);
	if (r == FED_IO_DONE)
	{
		c->phase = FED_PHASE_IDLE;
		c->owner = NULL;
		c->park = NULL;
	}
	return r;
}

pgsocket
fed_conn_socket(FedConn *c)
{
	return c->handle ? c->driver->socket(c->handle) : PGINVALID_SOCKET;
}

/*
 * When a step asked for events including WL_TIMEOUT, or a connection
 * attempt has a deadline: the milliseconds after which fed_conn_poll must
 * be called even if the socket is not ready; -1 for no bound.
 */
long
fed_conn_wait_ms(FedConn *c, int events)
{
	long		timeout = -1;

	if (c->phase == FED_PHASE_CONNECT && c->connect_deadline != 0)
		timeout = Max(0, TimestampDifferenceMilliseconds(GetCurrentTimestamp(),
														 c->connect_deadline));
	if ((events & WL_TIMEOUT) && c->driver->timeout_ms && c->handle)
	{
		long		t = c->driver->timeout_ms(c->handle);

		if (timeout < 0 || t < timeout)
			timeout = t;
	}
	return timeout;
}

/* Raise the error of a failed step, in the words of the step that failed. */
void
fed_conn_raise(FedConn *c, FedRemoteError *err)
{
	FedRemoteError copy = {0};

	c->owner = NULL;
	c->park = NULL;
	if (c->phase != FED_PHASE_CONNECT)
		fail(c, err, c->phase == FED_PHASE_QUERY ? c->q_sql : c->cur_sql);

	note_failure(c, fed_classify_error(c->driver, err, true), err);
	copy_error(&copy, err);
	close_handle(c);
	ereport(ERROR,
			(errcode(ERRCODE_SQLCLIENT_UNABLE_TO_ESTABLISH_SQLCONNECTION),
			 errmsg("could not connect to server \"%s\"", c->servername),
			 errdetail_internal("%s", copy.timed_out ?
								fed_conn_timeout_detail(c, &copy, true) :
								copy.message)));
}

/*
 * Drive the state machine to its end, waiting as needed; raise on error.
 * r is the result of the step just taken, whose error (if r says so) is in
 * *err.
 */
static void
run_sync(FedConn *c, int r, FedRemoteError *err)
{
	while (r != FED_IO_DONE && r != FED_IO_ERROR)
	{
		TimestampTz deadline = c->phase == FED_PHASE_CONNECT ?
		c->connect_deadline : 0;

		if (!wait_for(c, r, deadline, true))
		{
			set_timed_out(err, true);
			r = FED_IO_ERROR;
			break;
		}
		r = fed_conn_poll(c, err);
	}
	if (r == FED_IO_ERROR)
		fed_conn_raise(c, err);
}

/*
 * Finish starting the owner's statement, waiting as needed (a fan-out task
 * that is asked to park before its result was open).
 */
void
fed_conn_finish(FedConn *c)
{
	FedRemoteError err = {0};

	if (c->phase == FED_PHASE_IDLE || c->phase == FED_PHASE_OPEN)
		return;
	run_sync(c, fed_conn_poll(c, &err), &err);
}

/* Remember that the current remote transaction changed data here. */
void
fed_conn_note_write(FedConn *c)
{
	c->wrote = true;
}

/* Has the current remote transaction changed data through c? */
bool
fed_conn_wrote(FedConn *c)
{
	return c->wrote;
}

/* Is a remote transaction open on c? */
bool
fed_conn_in_xact(FedConn *c)
{
	return c->xact_depth > 0;
}

/* Is c still connecting (its failure then is a connection failure)? */
bool
fed_conn_connecting(FedConn *c)
{
	return c->phase == FED_PHASE_CONNECT;
}

/* The statement timeout (ms, 0 = none) c's current statement runs with. */
int
fed_conn_timeout(FedConn *c)
{
	return c->stmt_timeout;
}

/*
 * Give up on c's statement, which failed with err (kind): count the
 * failure, stop whatever still runs on the server, and close the
 * connection, ending its remote transaction.  Only for reads whose remote
 * transaction changed nothing (the caller checks fed_conn_wrote): the
 * local transaction goes on without this server's part.
 */
void
fed_conn_abandon(FedConn *c, int kind, FedRemoteError *err)
{
	note_failure(c, (FedFailKind) kind, err);
	if (err)
		copy_error(err, err);	/* the caller reads it after the close */
	c->owner = NULL;
	c->park = NULL;
	c->q_sql = NULL;
	if (c->phase != FED_PHASE_CONNECT)
		cancel_running(c);
	close_handle(c);
	c->xact_depth = 0;
	c->broken = false;
}

/*
 * The connection for a server and user mapping, connected and with the
 * remote transaction open.  This is slot 0, the one plain scans and
 * writes share.
 */
FedConn *
fed_conn_get(ForeignServer *server, UserMapping *user, bool start_xact)
{
	FedConn    *c = conn_entry(user, 0);
	FedRemoteError err = {0};
	char	   *why;

	prepare_entry(c, server, user);
	if (c->xact_depth == 0 &&
		!fed_circuit_allows(server->serverid, server->servername, &why))
		fed_report_failure(ERROR, FED_FAIL_CIRCUIT, NULL, server->servername,
						   why, NULL, NULL);
	make_idle(c);
	run_sync(c, fed_conn_start(c, NULL, 0, NULL, 0, &err), &err);
	return c;
}

/* c is owner's now: its current reader, if any, parks first. */
static FedConn *
hand_over(FedConn *c, ForeignServer *server, UserMapping *user, void *owner,
		  FedParkCallback park)
{
	prepare_entry(c, server, user);
	make_idle(c);
	c->owner = owner;
	c->park = park;
	c->owner_level = GetCurrentTransactionNestLevel();
	return c;
}

/*
 * A connection for a fan-out task reading from server as user, or NULL
 * when none can be had without taking it from another reader.
 *
 * In order: once the transaction has written through slot 0, every read
 * goes there, to see its own writes; else a connection of this user
 * mapping no reader holds, an open one first; else a new one (up to
 * FED_MAX_SLOTS per mapping), which takes a unit of the server's budget:
 * the backend's first connection to the mapping waits for one
 * (fed_budget_take), further ones are taken only while units are free.
 * When that fails, a forced claim takes an open connection from its
 * reader, which parks (reads its rest into local storage); an unforced one
 * returns NULL, and the task waits for one of its query's connections to
 * free (exec/fanout.c).  Nothing is sent yet.
 */
FedConn *
fed_conn_claim(ForeignServer *server, UserMapping *user, void *owner,
			   FedParkCallback park, bool force)
{
	FedConn    *c = conn_entry(user, 0);
	FedConn    *empty = NULL;
	FedConn    *busy = NULL;
	int			slot;

	if (!c->wrote)
	{
		c = NULL;
		for (slot = 0; slot < FED_MAX_SLOTS; slot++)
		{
			FedConn    *s = conn_entry(user, slot);

			if (s->broken)
				continue;
			if (s->owner == NULL && s->handle)
			{
				c = s;
				break;
			}
			/* a unit reserved already (fed_conn_reserve) comes first */
			if (s->owner == NULL && s->handle == NULL &&
				(empty == NULL || (s->budget_held && !empty->budget_held)))
				empty = s;
			if (s->owner && s->handle && busy == NULL)
				busy = s;
		}
		if (c == NULL && empty)
		{
			/* a new connection: the first one waits for the budget */
			if (empty->budget_held ||
				fed_budget_take(server, busy == NULL, budget_deadline(server),
								busy == NULL && holds_busy(server->serverid)))
			{
				empty->budget_held = true;
				c = empty;
			}
		}
		if (c == NULL)
		{
			if (!force)
				return NULL;
			/* the reader of an open connection parks */
			c = busy ? busy : conn_entry(user, 0);
		}
	}
	return hand_over(c, server, user, owner, park);
}

/*
 * The writing connection (slot 0, as fed_conn_get), claimed by a reader
 * of the table the statement writes: its current reader, if any, parks.
 */
FedConn *
fed_conn_claim_writer(ForeignServer *server, UserMapping *user, void *owner,
					  FedParkCallback park)
{
	return hand_over(conn_entry(user, 0), server, user, owner, park);
}

/*
 * Before a fan-out starts: make sure this backend has a connection, or a
 * unit of the budget for one, on each server it is about to read from
 * (user mapping users[i] on servers[i], sorted by server OID), waiting for
 * the budget where needed.  Units are taken in server OID order, and
 * before waiting for one, idle connections to servers later in that order
 * are closed: two sessions each holding what the other waits for would
 * otherwise wait for each other until the connect timeout.  (Connections
 * in an open remote transaction cannot be closed, so sessions that keep
 * transactions open on several servers can still wait for each other.)
 */
void
fed_conn_reserve(ForeignServer **servers, UserMapping **users, int n)
{
	int			i;

	for (i = 0; i < n; i++)
	{
		FedConn    *empty = NULL;
		bool		have = false;
		int			slot;

		for (slot = 0; slot < FED_MAX_SLOTS && !have; slot++)
		{
			FedConn    *s = conn_entry(users[i], slot);

			if (s->broken)
				continue;
			if (s->handle || s->budget_held)
				have = true;
			else if (s->owner == NULL && empty == NULL)
				empty = s;
		}
		if (have || empty == NULL)
			continue;
		if (!fed_budget_take(servers[i], false, 0, false))
		{
			HASH_SEQ_STATUS scan;
			FedConn    *c;

			hash_seq_init(&scan, conn_hash);
			while ((c = (FedConn *) hash_seq_search(&scan)))
				if (c->handle && c->serverid > servers[i]->serverid &&
					c->owner == NULL && c->xact_depth == 0 && !c->broken &&
					c->phase == FED_PHASE_IDLE)
					close_handle(c);
			fed_budget_take(servers[i], true, budget_deadline(servers[i]),
							holds_busy(servers[i]->serverid));
		}
		empty->budget_held = true;
		empty->serverid = servers[i]->serverid;
		strlcpy(empty->servername, servers[i]->servername, NAMEDATALEN);
	}
}

/* Run a statement to completion; returns the rows it changed. */
uint64
fed_conn_exec(FedConn *c, const char *sql, int nparams,
			  const char *const *params)
{
	FedRemoteError err = {0};
	uint64		affected = 0;

	make_idle(c);
	set_statement_tag();
	fed_health_statement(c->serverid, c->servername);
	if (!exec_internal(c, sql, nparams, params, &err, 0, true, &affected))
		fail(c, &err, sql);
	fed_health_success(c->serverid, c->servername);
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

	make_idle(c);
	if (c->handle == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_CONNECTION_FAILURE),
				 errmsg("connection to server \"%s\" was lost", c->servername)));
	run_sync(c, fed_conn_start(c, sql, nparams, params, fetch_size, &err), &err);
	c->owner = owner;
	c->park = park;
	c->owner_level = GetCurrentTransactionNestLevel();
}

/* The next row of the owner's result; false at its end. */
bool
fed_conn_next_row(FedConn *c, void *owner, FedRow *row)
{
	FedRemoteError err = {0};
	int			r;

	if (c->owner != owner || c->handle == NULL || c->phase != FED_PHASE_OPEN)
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
		c->phase = FED_PHASE_IDLE;
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

	switch (c->phase)
	{
		case FED_PHASE_CONNECT:
			/* nothing was sent yet: drop the half-made connection */
			close_handle(c);
			return;
		case FED_PHASE_SETUP:
		case FED_PHASE_SET:
		case FED_PHASE_BEGIN:
			/* finish opening the transaction, but send nothing more */
			c->q_sql = NULL;
			fed_conn_finish(c);
			return;
		default:
			break;
	}

	/*
	 * A stream left unread (a LIMIT, an early end, a rescan) is cheaper to
	 * stop on the server than to read to its end, which is the only other
	 * way on MySQL.  On PostgreSQL the cursor's batch in flight finishes
	 * instead: a cancel would abort the remote transaction that later
	 * statements of this query need (and one that came after the batch
	 * ended could hit the next statement).  A driver with nothing running
	 * ignores this.
	 */
	if (c->handle && c->driver->busy(c->handle) &&
		!(c->driver->cancel_aborts_xact && c->xact_depth > 0))
	{
		/*
		 * A cancel that needs a connection of its own takes a unit of the
		 * budget while it runs; with none free, the rest is read instead.
		 */
		bool		side = c->driver->cancel_connects && c->server;
		bool		ok;

		if (side && !fed_budget_take(c->server, false, 0, false))
		{
			make_idle(c);
			return;
		}
		ok = c->driver->cancel(c->handle, FED_CANCEL_TIMEOUT_SEC,
							   errbuf, sizeof(errbuf));
		if (side)
			fed_budget_give_back(c->serverid, false);
		if (!ok)
		{
			/* a late cancel could stop the next statement: do not reuse c */
			ereport(DEBUG1,
					(errmsg_internal("federate: could not cancel on server \"%s\": %s",
									 c->servername, errbuf)));
			lose_xact(c);
			close_handle(c);
			return;
		}
	}
	make_idle(c);
}

/*
 * Run a ROLLBACK (TO SAVEPOINT) or RELEASE during abort cleanup.  A cancel
 * sent during this cleanup may reach the server only after the statement
 * it was meant for had ended, and stop this one instead: it is then sent
 * once more.  Never throws.
 */
static bool
rollback_internal(FedConn *c, const char *sql, TimestampTz deadline)
{
	FedRemoteError err = {0};

	if (exec_internal(c, sql, 0, NULL, &err, deadline, false, NULL))
		return true;
	if (c->cancel_sent && c->handle && !err.connection_lost &&
		(strcmp(err.sqlstate, "57014") == 0 ||	/* query_canceled */
		 strcmp(err.sqlstate, "70100") == 0))	/* MySQL's interrupted */
	{
		c->cancel_sent = false;
		memset(&err, 0, sizeof(err));
		return exec_internal(c, sql, 0, NULL, &err, deadline, false, NULL);
	}
	return false;
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
	c->q_sql = NULL;
	if (c->handle == NULL)
		return;
	if (c->phase == FED_PHASE_CONNECT || c->phase == FED_PHASE_SETUP)
	{
		/* interrupted while connecting: no remote transaction yet */
		close_handle(c);
		return;
	}

	if (c->cancel_doubtful)
	{
		/* a cancel that got no answer may still stop a later statement */
		lose_xact(c);
		close_handle(c);
		c->cancel_sent = false;
		return;
	}

	if (list_member_oid(unresponsive_servers, c->serverid))
	{
		/* its server did not answer another connection: do not wait */
		lose_xact(c);
		close_handle(c);
		c->cancel_sent = false;
		return;
	}
	deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
										   FED_ABORT_WAIT_MS);
	if (c->phase == FED_PHASE_SET || c->phase == FED_PHASE_BEGIN)
	{
		/*
		 * A SET, BEGIN or SAVEPOINT in flight ends soon: wait for it, so
		 * that the remote transaction's levels are known again.
		 */
		FedPhase	phase = c->phase;

		r = c->driver->discard(c->handle, &err);
		r = drive(c, FED_STEP_DISCARD, r, NULL, &err, deadline, false);
		c->phase = FED_PHASE_IDLE;
		if (r == FED_IO_ERROR)
		{
			if (err.timed_out)
				note_unresponsive(c);
			lose_xact(c);
			close_handle(c);
			return;
		}
		if (phase == FED_PHASE_BEGIN)
			c->xact_depth = c->pending_depth;
		else if (c->pending_tz)
			c->remote_tz[0] = '\0';
		else
			c->remote_timeout = c->pending_timeout;
		c->pending_tz = false;
	}
	else
	{
		c->phase = FED_PHASE_IDLE;
		if (c->driver->busy(c->handle))
		{
			if (!c->cancel_sent &&
				!c->driver->cancel(c->handle, FED_CANCEL_TIMEOUT_SEC,
								   errbuf, sizeof(errbuf)))
			{
				ereport(WARNING,
						(errcode(ERRCODE_CONNECTION_FAILURE),
						 errmsg("could not cancel the statement running on server \"%s\"",
								c->servername),
						 errdetail_internal("%s", errbuf)));
				lose_xact(c);
				close_handle(c);
				return;
			}
			c->cancel_sent = true;

			/*
			 * The cancelled statement ends with an error, as it should:
			 * only a lost connection or no end in time makes the state
			 * unknown.
			 */
			r = c->driver->discard(c->handle, &err);
			r = drive(c, FED_STEP_DISCARD, r, NULL, &err, deadline, false);
			if (r == FED_IO_ERROR &&
				(err.connection_lost || err.timed_out || c->handle == NULL))
			{
				if (err.timed_out)
					note_unresponsive(c);
				lose_xact(c);
				close_handle(c);
				return;
			}
		}
	}

	if (toplevel)
	{
		if (c->xact_depth > 0 &&
			!rollback_internal(c, c->driver->rollback_sql, deadline))
			close_handle(c);
	}
	else
	{
		int			level = GetCurrentTransactionNestLevel();

		/* below this level's savepoint nothing ran on c in it */
		if (c->xact_depth >= level)
		{
			/* a SET LOCAL TimeZone sent in it is undone too */
			c->remote_tz[0] = '\0';
			if (rollback_internal(c, psprintf(c->driver->rollback_to_fmt, level),
								  deadline) &&
				rollback_internal(c, psprintf(c->driver->release_fmt, level),
								  deadline))
				c->xact_depth = level - 1;
			else
			{
				/* the remote transaction is in an unknown state */
				lose_xact(c);
				close_handle(c);
			}
		}
	}
	c->cancel_sent = false;
}

/*
 * Commit every open remote transaction: send all the COMMITs first, then
 * wait for each, so N servers cost one round trip, not N.  A failure
 * raises the error (the local transaction then aborts; servers that
 * committed already keep their commit: there is no two-phase commit).
 */
static void
commit_all(void)
{
	HASH_SEQ_STATUS scan;
	FedConn    *c;

	hash_seq_init(&scan, conn_hash);
	while ((c = (FedConn *) hash_seq_search(&scan)))
	{
		FedRemoteError err = {0};

		c->commit_r = FED_IO_DONE;
		if (c->xact_depth == 0)
			continue;
		if (c->broken)
		{
			hash_seq_term(&scan);
			ereport(ERROR,
					(errcode(ERRCODE_CONNECTION_FAILURE),
					 errmsg("could not commit the remote transaction on server \"%s\"",
							c->servername),
					 errdetail("The connection was lost during the transaction.")));
		}
		c->owner = NULL;
		c->park = NULL;
		make_idle(c);
		if (c->handle == NULL)
			continue;
		log_remote_sql(c, c->driver->commit_sql);
		c->commit_r = c->driver->query_start(c->handle, c->driver->commit_sql,
											 0, NULL, 0, &err);
		if (c->commit_r == FED_IO_ERROR)
		{
			hash_seq_term(&scan);
			c->xact_depth = 0;
			fail(c, &err, c->driver->commit_sql);
		}
	}

	hash_seq_init(&scan, conn_hash);
	while ((c = (FedConn *) hash_seq_search(&scan)))
	{
		FedRemoteError err = {0};

		if (c->xact_depth == 0 || c->handle == NULL)
			continue;
		if (!finish_internal(c, c->commit_r, &err, 0, true, NULL))
		{
			hash_seq_term(&scan);
			c->xact_depth = 0;
			fail(c, &err, c->driver->commit_sql);
		}
		c->xact_depth = 0;
	}
}

/*
 * The transaction is over: decide which idle connections stay open.  One
 * is closed when the session keeps federate.max_idle_connections to its
 * server already, when it is older than federate.connection_lifetime or
 * unused for federate.idle_timeout, or when keeping it would leave its
 * server's budget without a free unit (or someone waits for one).  The
 * others are counted idle in the budget's view.
 */
static void
settle_idle(void)
{
	HASH_SEQ_STATUS scan;
	FedConn    *c;
	TimestampTz now = GetCurrentTimestamp();
	Oid		   *kept_server = NULL;
	int		   *kept_count = NULL;
	int			nkept = 0;
	long		n = hash_get_num_entries(conn_hash);

	if (n == 0)
		return;
	kept_server = palloc(sizeof(Oid) * n);
	kept_count = palloc0(sizeof(int) * n);
	hash_seq_init(&scan, conn_hash);
	while ((c = (FedConn *) hash_seq_search(&scan)))
	{
		int			k;
		bool		close = false;

		/* a unit reserved for a connection that was never made */
		if (c->handle == NULL && c->budget_held && c->owner == NULL)
		{
			fed_budget_give_back(c->serverid, false);
			c->budget_held = false;
			continue;
		}
		if (c->handle == NULL || c->owner || c->xact_depth > 0 || c->broken ||
			c->phase != FED_PHASE_IDLE)
			continue;
		for (k = 0; k < nkept; k++)
			if (kept_server[k] == c->serverid)
				break;
		if (k == nkept)
		{
			kept_server[nkept] = c->serverid;
			kept_count[nkept++] = 0;
		}
		if (kept_count[k] >= fed_max_idle_connections)
			close = true;
		else if (fed_connection_lifetime > 0 &&
				 now >= TimestampTzPlusMilliseconds(c->connected_at,
													fed_connection_lifetime * 1000L))
			close = true;
		else if (fed_idle_timeout > 0 &&
				 now >= TimestampTzPlusMilliseconds(c->last_used,
													fed_idle_timeout * 1000L))
			close = true;
		else if (c->budget_held && !fed_budget_may_keep(c->serverid, c->budget))
			close = true;
		if (close)
		{
			close_handle(c);
			continue;
		}
		kept_count[k]++;
		if (c->budget_held && !c->idle_counted)
		{
			fed_budget_idle(c->serverid, true);
			c->idle_counted = true;
		}
	}
	pfree(kept_server);
	pfree(kept_count);
}

static void
fed_xact_callback(XactEvent event, void *arg)
{
	HASH_SEQ_STATUS scan;
	FedConn    *c;

	if (conn_hash == NULL)
		return;

	if (event == XACT_EVENT_PRE_COMMIT || event == XACT_EVENT_PARALLEL_PRE_COMMIT)
		commit_all();

	/*
	 * On abort, every statement still running anywhere is asked to stop
	 * before any connection is waited for: all shards stop at once.
	 */
	if (event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT)
	{
		list_free(unresponsive_servers);
		unresponsive_servers = NIL;
		hash_seq_init(&scan, conn_hash);
		while ((c = (FedConn *) hash_seq_search(&scan)))
			if (c->handle && (c->phase == FED_PHASE_QUERY ||
							  c->phase == FED_PHASE_OPEN))
				cancel_running(c);
	}

	hash_seq_init(&scan, conn_hash);
	while ((c = (FedConn *) hash_seq_search(&scan)))
	{
		/* readers of this transaction's queries are gone */
		if (event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT ||
			event == XACT_EVENT_COMMIT || event == XACT_EVENT_PARALLEL_COMMIT)
		{
			c->owner = NULL;
			c->park = NULL;
			c->wrote = false;
		}
		if (c->xact_depth == 0 && !c->broken)
		{
			/* a connection attempt cut short */
			if (c->handle && c->phase != FED_PHASE_IDLE &&
				(event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT))
				abort_cleanup(c, true);
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
				/* committed by commit_all() */
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
	/* (what one abort found says nothing about the next) */
	list_free(unresponsive_servers);
	unresponsive_servers = NIL;

	if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_PARALLEL_COMMIT ||
		event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT)
		settle_idle();
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
	list_free(unresponsive_servers);
	unresponsive_servers = NIL;
	hash_seq_init(&scan, conn_hash);
	while ((c = (FedConn *) hash_seq_search(&scan)))
	{
		/* a reader of the aborted subtransaction's queries is gone */
		if (event == SUBXACT_EVENT_ABORT_SUB && c->owner &&
			c->owner_level >= curlevel)
		{
			c->owner = NULL;
			c->park = NULL;
		}
		if (c->handle == NULL)
			continue;
		if (event == SUBXACT_EVENT_ABORT_SUB)
		{
			/* a reader of an outer level (an open cursor) keeps its stream */
			if (c->owner && c->xact_depth < curlevel)
				continue;
			/* it sets xact_depth to what remains */
			if (c->phase != FED_PHASE_IDLE || c->xact_depth >= curlevel)
				abort_cleanup(c, false);
			continue;
		}
		if (c->xact_depth < curlevel)
			continue;
		c->owner = NULL;
		c->park = NULL;
		fed_conn_exec(c, psprintf(c->driver->release_fmt, curlevel), 0, NULL);
		c->xact_depth = curlevel - 1;
	}
	list_free(unresponsive_servers);
	unresponsive_servers = NIL;
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

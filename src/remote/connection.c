/*-------------------------------------------------------------------------
 *
 * connection.c
 *		One connection's life as its users see it: run or open a statement,
 *		read its rows, release it, fail, abandon it, and close it.
 *
 * Everything in remote/ works through the FedDriver seam and never knows
 * which client library is underneath.  The parts:
 *
 *	 connection.c	this file: the public operations on a connection
 *	 pool.c			the connection cache and pool, the budget's units
 *	 step.c			the asynchronous step machine that starts a statement
 *	 xact.c			the remote transaction and its states
 *	 errors.c		the report of a failure in PostgreSQL's words
 *
 * Waiting: every wait is WaitLatchOrSocket on the process latch and the
 * connection's socket, followed by CHECK_FOR_INTERRUPTS(), so a query
 * cancel or statement_timeout always gets through.  When it does, the
 * ERROR unwinds to the transaction abort callback (xact.c), which cancels
 * the remote statement (PQcancel, or KILL QUERY on a side connection for
 * MySQL), waits a bounded time for it to end, and rolls back; a connection
 * whose state is then unknown is closed, never reused.
 *
 * A connection serves one result at a time.  A reader that holds an open
 * result registers a "park" callback; when another statement needs the
 * connection, the reader is asked to read its remaining rows into local
 * storage first (see exec/fanout.c).
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
#include "utils/acl.h"
#include "utils/backend_status.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/memutils.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "health/health.h"
#include "remote/conn_internal.h"



/*
 * Servers found unresponsive during the current abort (a cancel got no
 * answer, or an in-flight statement did not end in time): their other
 * connections are closed without waiting again.
 */
List	   *fed_unresponsive_servers = NIL;


/* The comment each remote statement starts with; see fed_conn_set_tag. */
char		fed_statement_tag[FED_TAG_LEN];

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
void
fed_conn_copy_error(FedRemoteError *dst, const FedRemoteError *src)
{
	FedRemoteError tmp = *src;

	tmp.message = src->message ? pstrdup(src->message) : pstrdup("unknown error");
	tmp.detail = src->detail ? pstrdup(src->detail) : NULL;
	tmp.hint = src->hint ? pstrdup(src->hint) : NULL;
	tmp.context = src->context ? pstrdup(src->context) : NULL;
	*dst = tmp;
}

/* Close the connection; the owner, if any, keeps its claim. */
void
fed_conn_close_handle(FedConn *c)
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
	c->step.phase = FED_PHASE_IDLE;
	c->step.draining = false;
	c->cancel_doubtful = false;
}

/*
 * Count a failure against the server: in its statistics always, against
 * its circuit breaker (which every session shares) only when it was the
 * server's own.  A timeout is the server's when the bound that passed is
 * its own option or an administrator's setting, never a bound a session
 * chose (fed_statement_timeout_trusted); refused credentials (an
 * authentication failure) are the user mapping's.
 */
void
fed_conn_note_failure(FedConn *c, FedFailKind kind, FedRemoteError *err)
{
	bool		availability = fed_availability_failure(kind);

	if (kind == FED_FAIL_TIMEOUT)
		availability = !(err && err->session_bound) &&
			(c->step.phase == FED_PHASE_CONNECT ? c->sess.connect_timeout_counts :
			 c->sess.stmt_timeout_counts);
	fed_health_failure(c->serverid, c->servername, kind, availability,
					   err && err->message ? err->message : NULL);
}

/* Remember for this abort that c's server does not answer. */
void
fed_conn_note_unresponsive(FedConn *c)
{
	MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);

	fed_unresponsive_servers = list_append_unique_oid(fed_unresponsive_servers,
												  c->serverid);
	MemoryContextSwitchTo(old);
}

/* Ask the server to stop the statement running on c, if any (bounded). */
void
fed_conn_cancel_running(FedConn *c)
{
	char		errbuf[256];

	if (c->handle == NULL || c->cancel_sent || !c->driver->busy(c->handle))
		return;
	if (list_member_oid(fed_unresponsive_servers, c->serverid))
		c->cancel_doubtful = true;	/* not waited for twice */
	else if (!c->driver->cancel(c->handle, FED_CANCEL_TIMEOUT_SEC, errbuf,
								sizeof(errbuf)))
	{
		ereport(DEBUG1,
				(errmsg_internal("federate: could not cancel on server \"%s\": %s",
								 c->servername, errbuf)));
		c->cancel_doubtful = true;
		fed_conn_note_unresponsive(c);
	}
	c->cancel_sent = true;
}

/*
 * A statement failed: forget a connection that is gone (see fed_xact_lose),
 * then raise the error.
 */
void
fed_conn_fail(FedConn *c, FedRemoteError *err, const char *sql)
{
	FedFailKind kind = fed_classify_error(c->driver, err,
										  c->step.phase == FED_PHASE_CONNECT);

	fed_conn_note_failure(c, kind, err);
	c->step.phase = FED_PHASE_IDLE;
	c->step.draining = false;
	fed_conn_copy_error(err, err);		/* it outlives the connection's memory */
	if (err->connection_lost || err->timed_out)
	{
		fed_xact_lose(c);
		fed_conn_cancel_running(c);
		fed_conn_close_handle(c);
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
						c->sess.connect_timeout);
	if (err->timed_out)
		return psprintf("No answer within the statement timeout of %d ms.",
						c->sess.stmt_timeout);
	return psprintf("The server stopped the statement at the statement timeout of %d ms: %s",
					c->sess.stmt_timeout, err->message);
}

/* Park or drop the reader, and throw away what is left of its result. */
static void
stop_reader(FedConn *c)
{
	FedRemoteError err = {0};
	int			r;

	if (c->stream.owner)
	{
		void	   *owner = c->stream.owner;
		FedParkCallback park = c->stream.park;

		/* the reader reads its rest through fed_conn_next_row */
		if (park)
			park(owner, FED_READER_PARK);
		c->stream.owner = NULL;
		c->stream.park = NULL;
	}

	/*
	 * A start whose reader went away (fed_conn_forget): open the remote
	 * transaction and savepoints it was opening, so that their levels are
	 * known, and send nothing more.
	 */
	if (c->handle && c->step.phase != FED_PHASE_IDLE &&
		c->step.phase != FED_PHASE_QUERY && c->step.phase != FED_PHASE_OPEN)
	{
		c->stream.sql = NULL;
		fed_conn_finish(c);
	}
	if (c->handle && c->driver->busy(c->handle))
	{
		r = c->driver->discard(c->handle, &err);
		r = fed_conn_drive(c, FED_STEP_DISCARD, r, NULL, &err, 0, true);
		if (r == FED_IO_ERROR)
			fed_conn_fail(c, &err, NULL);
	}
	c->step.phase = FED_PHASE_IDLE;
}

/*
 * Make the connection free for a new statement: park or drop the reader,
 * then release the savepoints a stream kept open past their level's end
 * (see FedRemoteXact.release_pending).
 */
void
fed_conn_make_idle(FedConn *c)
{
	stop_reader(c);
	fed_xact_release_pending(c);
}

/* c forgets its reader, if any, without telling it: no I/O. */
void
fed_conn_clear_reader(FedConn *c)
{
	c->stream.owner = NULL;
	c->stream.park = NULL;
}

/*
 * c's reader, if any, loses its result without parking (event says why):
 * it is told, and c forgets it.  No I/O; never throws.
 */
void
fed_conn_drop_owner(FedConn *c, FedReaderEvent event)
{
	void	   *owner = c->stream.owner;
	FedParkCallback park = c->stream.park;

	Assert(event != FED_READER_PARK);
	fed_conn_clear_reader(c);
	if (owner && park)
		park(owner, event);
}

/*
 * owner goes away without ending its result (its query failed, and its
 * memory is being freed): c, if owner still holds it, forgets it.  What is
 * left of the result is thrown away before c serves another statement
 * (fed_conn_make_idle), or by the transaction's end.  No I/O; never throws.
 */
void
fed_conn_forget(FedConn *c, void *owner)
{
	if (c->stream.owner != owner)
		return;
	c->stream.owner = NULL;
	c->stream.park = NULL;
}

/* Raise the error of a failed step, in the words of the step that failed. */
void
fed_conn_raise(FedConn *c, FedRemoteError *err)
{
	FedRemoteError copy = {0};

	/* (a reader whose start this was learns that it failed) */
	fed_conn_drop_owner(c, FED_READER_FAILED);
	if (c->step.phase != FED_PHASE_CONNECT)
		fed_conn_fail(c, err, c->step.phase == FED_PHASE_QUERY ? c->stream.sql : c->step.cur_sql);

	fed_conn_note_failure(c, fed_classify_error(c->driver, err, true), err);
	fed_conn_copy_error(&copy, err);
	fed_conn_close_handle(c);
	ereport(ERROR,
			(errcode(ERRCODE_SQLCLIENT_UNABLE_TO_ESTABLISH_SQLCONNECTION),
			 errmsg("could not connect to server \"%s\"", c->servername),
			 errdetail_internal("%s", copy.timed_out ?
								fed_conn_timeout_detail(c, &copy, true) :
								copy.message)));
}

/* Is c still connecting (its failure then is a connection failure)? */
bool
fed_conn_connecting(FedConn *c)
{
	return c->step.phase == FED_PHASE_CONNECT;
}

/* The statement timeout (ms, 0 = none) c's current statement runs with. */
int
fed_conn_timeout(FedConn *c)
{
	return c->sess.stmt_timeout;
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
	fed_conn_note_failure(c, (FedFailKind) kind, err);
	if (err)
		fed_conn_copy_error(err, err);	/* the caller reads it after the close */
	c->stream.owner = NULL;
	c->stream.park = NULL;
	c->stream.sql = NULL;
	if (c->step.phase != FED_PHASE_CONNECT)
		fed_conn_cancel_running(c);
	fed_conn_close_handle(c);
	fed_xact_ended(c);
}

/* Run a statement to completion; returns the rows it changed. */
uint64
fed_conn_exec(FedConn *c, const char *sql, int nparams,
			  const char *const *params)
{
	FedRemoteError err = {0};
	uint64		affected = 0;

	fed_conn_make_idle(c);
	fed_conn_set_tag();
	fed_health_statement(c->serverid, c->servername);
	if (!fed_conn_exec_internal(c, sql, nparams, params, &err, 0, true, &affected))
		fed_conn_fail(c, &err, sql);
	fed_health_success(c->serverid, c->servername);
	return affected;
}

/*
 * Send a write that returns no rows (a batch of an INSERT) and return
 * without waiting for it: the owner ends it with fed_conn_end_write, and
 * the coordinator works on meanwhile (builds the next batch, sends to other
 * servers).  park is called when another statement needs c first; it must
 * end the write then.  sql, params and their strings must stay valid until
 * the write is ended.
 */
static void send_write(FedConn *c, const char *sql, int nparams,
					   const char *const *params, const char *copy_data,
					   size_t copy_len, void *owner, FedParkCallback park);

void
fed_conn_send_write(FedConn *c, const char *sql, int nparams,
					const char *const *params, void *owner,
					FedParkCallback park)
{
	send_write(c, sql, nparams, params, NULL, 0, owner, park);
}

/*
 * Like fed_conn_send_write, for "COPY ... FROM STDIN" (PostgreSQL): data
 * holds its rows in COPY's text format, sent when the server asks for
 * them.  data must stay valid until the write is ended.
 */
void
fed_conn_send_copy(FedConn *c, const char *sql, const char *data,
				   size_t len, void *owner, FedParkCallback park)
{
	if (c->driver->set_copy_data == NULL)
		elog(ERROR, "federate: the %s driver cannot COPY", c->driver->name);
	send_write(c, sql, 0, NULL, data, len, owner, park);
}

static void
send_write(FedConn *c, const char *sql, int nparams,
		   const char *const *params, const char *copy_data, size_t copy_len,
		   void *owner, FedParkCallback park)
{
	FedRemoteError err = {0};
	int			r;

	fed_conn_make_idle(c);
	if (c->handle == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_CONNECTION_FAILURE),
				 errmsg("connection to server \"%s\" was lost", c->servername)));
	if (copy_data)
		c->driver->set_copy_data(c->handle, copy_data, copy_len);
	r = fed_conn_start(c, sql, nparams, params, 0, FED_AUTOCOMMIT_NO, &err);
	if (r == FED_IO_ERROR)
		fed_conn_raise(c, &err);
	c->stream.owner = owner;
	c->stream.park = park;

}

/*
 * A COPY the owner sent (fed_conn_send_copy) whose server may have asked
 * for the rows by now: hand them over if so, without waiting, so that the
 * server works on them while the coordinator goes on (otherwise they
 * would wait for the end of the write).
 */
void
fed_conn_push_copy(FedConn *c, void *owner)
{
	FedRemoteError err = {0};

	if (c->stream.owner != owner || c->handle == NULL ||
		c->driver->copy_pending == NULL || !c->driver->copy_pending(c->handle))
		return;
	if (fed_conn_poll(c, owner, &err) == FED_IO_ERROR)
	{
		c->stream.owner = NULL;
		c->stream.park = NULL;
		fed_conn_raise(c, &err);
	}
}

/*
 * Wait for the owner's write (fed_conn_send_write) to end, raising its
 * error; the rows it changed.
 */
uint64
fed_conn_end_write(FedConn *c, void *owner)
{
	FedRow		row;

	if (c->stream.owner != owner || c->handle == NULL)
		elog(ERROR, "federate: connection to server \"%s\" is not running this write",
			 c->servername);
	c->stream.park = NULL;
	fed_conn_finish(c);
	while (fed_conn_next_row(c, owner, &row))
		;						/* a write returns no rows */
	fed_conn_note_write(c);
	fed_health_success(c->serverid, c->servername);
	return fed_conn_affected(c);
}

/* The rows changed by the last statement completed on c. */
uint64
fed_conn_affected(FedConn *c)
{
	return c->handle ? c->driver->affected_rows(c->handle) : 0;
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

	fed_conn_make_idle(c);
	if (c->handle == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_CONNECTION_FAILURE),
				 errmsg("connection to server \"%s\" was lost", c->servername)));
	fed_conn_run_sync(c, fed_conn_start(c, sql, nparams, params, fetch_size, FED_AUTOCOMMIT_NO, &err), &err);
	c->stream.owner = owner;
	c->stream.park = park;
}

/*
 * Like fed_conn_open, for a statement run alone, outside any remote
 * transaction (c must have none open), its answer read whole.
 */
void
fed_conn_open_alone(FedConn *c, const char *sql, int nparams,
					const char *const *params, void *owner)
{
	FedRemoteError err = {0};

	/* (connected first if it is not) */
	fed_conn_make_idle(c);
	fed_conn_run_sync(c, fed_conn_start(c, sql, nparams, params, 0,
										FED_AUTOCOMMIT_WHOLE, &err), &err);
	c->stream.owner = owner;
	c->stream.park = NULL;
}

/* The next row of the owner's result; false at its end. */
bool
fed_conn_next_row(FedConn *c, void *owner, FedRow *row)
{
	FedRemoteError err = {0};
	int			r;

	if (c->stream.owner != owner || c->handle == NULL || c->step.phase != FED_PHASE_OPEN)
		elog(ERROR, "federate: connection to server \"%s\" is not reading this result",
			 c->servername);
	r = c->driver->next_row(c->handle, row, &err);
	r = fed_conn_drive(c, FED_STEP_ROW, r, row, &err, 0, true);
	if (r == FED_IO_ERROR)
	{
		c->stream.owner = NULL;
		fed_conn_fail(c, &err, NULL);
	}
	if (r == FED_IO_DONE)
	{
		c->step.phase = FED_PHASE_IDLE;
		c->stream.owner = NULL;
		c->stream.park = NULL;
		return false;
	}
	return true;
}

/*
 * Wait out a statement just cancelled on c: it ends with the cancel's
 * error, or without one when it had ended first; either is expected.  A
 * lost connection or no end in time leaves c's state unknown (c is then
 * closed); another error is the statement's own, raised.  The remote transaction, if any, is one the cancel does not
 * end (see fed_conn_release).
 */
static void
discard_cancelled(FedConn *c)
{
	FedRemoteError err = {0};
	int			r;

	r = c->driver->discard(c->handle, &err);
	r = fed_conn_drive(c, FED_STEP_DISCARD, r, NULL, &err, 0, true);
	c->step.phase = FED_PHASE_IDLE;
	if (r != FED_IO_ERROR)
		return;
	if (err.connection_lost || err.timed_out)
	{
		fed_xact_lose(c);
		fed_conn_close_handle(c);
	}
	else if (strcmp(err.sqlstate, "57014") != 0 &&	/* query_canceled */
			 strcmp(err.sqlstate, "70100") != 0)	/* MySQL's interrupted */
		fed_conn_fail(c, &err, NULL);	/* it failed on its own */
}

/* The owner no longer wants the rest of its result. */
void
fed_conn_release(FedConn *c, void *owner)
{
	char		errbuf[256];

	if (c->stream.owner != owner)
		return;
	c->stream.owner = NULL;
	c->stream.park = NULL;

	switch (c->step.phase)
	{
		case FED_PHASE_CONNECT:
			/* nothing was sent yet: drop the half-made connection */
			fed_conn_close_handle(c);
			return;
		case FED_PHASE_SETUP:
		case FED_PHASE_SET:
		case FED_PHASE_BEGIN:
			/* finish opening the transaction, but send nothing more */
			c->stream.sql = NULL;
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
		!(c->driver->cancel_aborts_xact && c->rx.depth > 0))
	{
		/*
		 * A cancel that needs a connection of its own takes a unit of the
		 * budget while it runs; with none free, the rest is read instead.
		 */
		bool		side = c->driver->cancel_connects && c->server;
		bool		ok;

		if (side && !fed_budget_take(c->server, false, 0, false))
		{
			stop_reader(c);
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
			fed_xact_lose(c);
			fed_conn_close_handle(c);
			return;
		}
		discard_cancelled(c);
		return;
	}
	stop_reader(c);
}

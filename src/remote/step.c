/*-------------------------------------------------------------------------
 *
 * step.c
 *		The asynchronous step machine that starts a statement on a
 *		connection: connect, session setup, remote transaction, statement.
 *
 * Each step is one non-blocking driver call; the fan-out loop
 * (exec/fanout.c) advances many connections at once through
 * fed_conn_start and fed_conn_poll, and synchronous callers use
 * fed_conn_run_sync.  The phases (FedPhase, remote/conn_internal.h):
 *
 *	 phase		 in flight					   done: next phase
 *	 ---------	 ---------------------------  ------------------------------
 *	 IDLE		 nothing					   fed_conn_start: CONNECT if not
 *											   connected, else as after SETUP
 *	 CONNECT	 connect_poll				   SETUP (first setup statement)
 *	 SETUP		 a session setup statement	   SETUP (the next one), or as
 *											   below
 *	 SET		 the statement timeout or	   as below
 *				 TimeZone being set
 *	 BEGIN		 BEGIN or SAVEPOINT (or the	   as below
 *				 RELEASE of savepoints a
 *				 stream kept past their level)
 *	 QUERY		 the caller's statement		   OPEN (its result is read by
 *											   fed_conn_fetch, then IDLE)
 *
 * "As below" is next_xact_step: SET while the session's statement timeout
 * differs, BEGIN while the remote transaction is below the local nesting
 * level (a read without parameters goes in BEGIN's round trip; savepoints
 * left on the server for a stream of a released level are released before
 * a new one opens, see FedRemoteXact.release_pending), then QUERY, or IDLE when
 * there is no statement.  A failure in any phase
 * returns FED_IO_ERROR; a lost connection during the BEGIN of a connection
 * made earlier (a server restart) reconnects once and goes on.
 *
 * src/remote/step.c
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


/* fed_conn_generation's counter */
static uint64 generations = 0;
static int	advance(FedConn *c, int r, FedRemoteError *err);

/*
 * Wait for the events a driver step asked for, or for the deadline (0 =
 * none).  Returns false when the deadline has passed.
 */
bool
fed_conn_wait_for(FedConn *c, int events, TimestampTz deadline, bool interruptible)
{
	long		timeout = -1;
	int			wakeup = WL_LATCH_SET | WL_EXIT_ON_PM_DEATH;
	int			rc;

	/* a server that does not answer within the statement timeout */
	if (deadline == 0 && interruptible && c->sess.stmt_timeout > 0 &&
		c->step.phase != FED_PHASE_CONNECT)
		deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
											   fed_timeout_grace(c->sess.stmt_timeout));
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
	/* a latch wait takes at most INT_MAX ms: waking early is harmless */
	timeout = Min(timeout, (long) INT_MAX);
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
int64
fed_timeout_grace(int ms)
{
	return (int64) ms + Min(1000, 100 + ms / 10);
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
int
fed_conn_drive(FedConn *c, FedStep step, int r, FedRow *row, FedRemoteError *err,
	  TimestampTz deadline, bool interruptible)
{
	while (r != FED_IO_DONE && r != FED_IO_ROW && r != FED_IO_ERROR)
	{
		if (!fed_conn_wait_for(c, r, deadline, interruptible))
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

void
fed_conn_log_sql(FedConn *c, const char *sql)
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
bool
fed_conn_finish_internal(FedConn *c, int r, FedRemoteError *err, TimestampTz deadline,
				bool interruptible, uint64 *affected)
{
	FedRow		row;

	r = fed_conn_drive(c, FED_STEP_QUERY, r, NULL, err, deadline, interruptible);
	while (r == FED_IO_DONE || r == FED_IO_ROW)
	{
		r = c->driver->next_row(c->handle, &row, err);
		r = fed_conn_drive(c, FED_STEP_ROW, r, &row, err, deadline, interruptible);
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
bool
fed_conn_exec_internal(FedConn *c, const char *sql, int nparams,
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
	fed_conn_log_sql(c, sql);
	r = c->driver->query_start(c->handle, sql, nparams, params, 0, err);
	return fed_conn_finish_internal(c, r, err, deadline, interruptible, affected);
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
		fed_budget_take(c->server, true, fed_pool_budget_deadline(c->server),
						fed_pool_holds_busy(c->serverid));
		c->budget_held = true;
	}
	fed_conn_params(c->server, c->user, &keys, &values);
	c->invalidated = false;		/* made with the options of now */

	if (!AcquireExternalFD())
	{
		fed_conn_close_handle(c);		/* gives the unit back */
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

	c->step.phase = FED_PHASE_CONNECT;
	c->connected_at = GetCurrentTimestamp();
	c->max_prepared = -1;
	c->generation = ++generations;
	c->step.draining = false;
	if (c->rx.state != FED_XACT_BROKEN)	/* (never reconnected: prepare_entry) */
		fed_xact_ended(c);
	c->sess.remote_timeout = 0;
	/* the session setup's TimeZone, the server's default timeout */
	strlcpy(c->sess.session_tz, "UTC", sizeof(c->sess.session_tz));
	c->sess.session_timeout = 0;
	c->sess.pending_session = false;
	c->cancel_sent = false;
	c->step.connect_deadline = 0;
	if (c->sess.connect_timeout > 0)
		c->step.connect_deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
														  (int64) c->sess.connect_timeout * 1000);
	return r;
}

/* Send an internal statement (setup, BEGIN, SAVEPOINT). */
static int
start_internal(FedConn *c, FedPhase phase, const char *sql, FedRemoteError *err)
{
	c->step.phase = phase;
	c->step.draining = false;
	c->step.cur_sql = sql;
	fed_conn_log_sql(c, sql);
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
 * its password (see FedDriver.used_password), unless a superuser set
 * password_required 'false' in the user mapping (fed_password_required).
 */
static void
check_password_used(FedConn *c)
{
	if (c->driver->used_password == NULL || !fed_password_required(c->user) ||
		c->driver->used_password(c->handle))
		return;
	fed_conn_close_handle(c);
	ereport(ERROR,
			(errcode(ERRCODE_S_R_E_PROHIBITED_SQL_STATEMENT_ATTEMPTED),
			 errmsg("password is required"),
			 errdetail("Non-superuser cannot connect to server \"%s\" if it does not request a password.",
					   c->servername),
			 errhint("The server's authentication method must be changed to one that asks for the password, or a superuser must set password_required 'false' in the user mapping.")));
}

/* The caller's statement is being sent, with c->stream.fetch_size. */
static void
query_phase(FedConn *c)
{
	c->step.phase = FED_PHASE_QUERY;
	c->step.draining = false;
	fed_xact_read_sent(c);
}

/* How c's last statement is read: "cursor", "streamed" or "whole". */
const char *
fed_conn_read_kind(FedConn *c)
{
	if (!c->driver->reads_in_batches || c->stream.fetch_size == FED_FETCH_STREAM)
		return "streamed";
	return c->stream.fetch_size > 0 ? "cursor" : "whole";
}

/* Append "; " and sql to buf (of size bytes) unless buf is empty. */
void
fed_append_sql(char *buf, int size, const char *sql)
{
	int			n = strlen(buf);

	snprintf(buf + n, size - n, "%s%s", n > 0 ? "; " : "", sql);
}

/*
 * The settings of a new remote transaction on c (timeout_in_xact engines:
 * the statement timeout; engines with timezone_fmt: the TimeZone), where
 * they differ from the remote session's own; "" if none.  The transaction's
 * TimeZone is then the coordinator session's.
 */
static void
xact_settings(FedConn *c, char *buf, int size)
{
	buf[0] = '\0';
	if (c->driver->timeout_in_xact && c->sess.stmt_timeout != c->sess.session_timeout)
	{
		char		one[128];

		if (c->sess.stmt_timeout > 0)
			snprintf(one, sizeof(one), timeout_format(c), c->sess.stmt_timeout);
		else
			strlcpy(one, c->driver->timeout_default_sql, sizeof(one));
		fed_append_sql(buf, size, one);
	}
	if (c->driver->timezone_fmt)
	{
		const char *tz = pg_get_timezone_name(session_timezone);

		if (strcmp(tz, c->sess.session_tz) != 0)
		{
			char		one[TZ_STRLEN_MAX + 64];

			snprintf(one, sizeof(one), c->driver->timezone_fmt,
					 quote_literal_cstr(tz));
			fed_append_sql(buf, size, one);
		}
		strlcpy(c->sess.remote_tz, tz, sizeof(c->sess.remote_tz));
	}
}

/*
 * The same settings made the remote session's (see FedDriver's
 * session_timezone_fmt), for a read outside a transaction whose statement
 * must go alone.
 */
static void
session_settings(FedConn *c, char *buf, int size)
{
	const char *tz = pg_get_timezone_name(session_timezone);

	buf[0] = '\0';
	if (c->sess.stmt_timeout != c->sess.session_timeout)
	{
		char		one[128];

		if (c->sess.stmt_timeout > 0)
			snprintf(one, sizeof(one), c->driver->session_timeout_fmt,
					 c->sess.stmt_timeout);
		else
			strlcpy(one, c->driver->session_timeout_reset, sizeof(one));
		fed_append_sql(buf, size, one);
	}
	if (strcmp(tz, c->sess.session_tz) != 0)
	{
		char		one[TZ_STRLEN_MAX + 64];

		snprintf(one, sizeof(one), c->driver->session_timezone_fmt,
				 quote_literal_cstr(tz));
		fed_append_sql(buf, size, one);
	}
}

/* The next step once connected and set up: transaction, then statement. */
static int
next_xact_step(FedConn *c, FedRemoteError *err)
{
	int			curlevel = GetCurrentTransactionNestLevel();

	if (c->rx.depth == 0)
	{
		const char *begin;
		bool		alone;
		bool		exporting;
		char		settings[512];

		/* the statement timeout: a session setting on some engines */
		if (!c->driver->timeout_in_xact && c->sess.stmt_timeout != c->sess.remote_timeout)
		{
			c->sess.pending_timeout = c->sess.stmt_timeout;
			snprintf(c->step.stmt_buf, sizeof(c->step.stmt_buf), timeout_format(c),
					 c->sess.stmt_timeout);
			return start_internal(c, FED_PHASE_SET, c->step.stmt_buf, err);
		}
		/*
		 * ... or of the transaction, with the session's TimeZone: sent in
		 * the round trip of what follows, where the remote session's own
		 * values (UTC from the session setup, or what a read outside a
		 * transaction set) differ
		 */
		xact_settings(c, settings, sizeof(settings));

		/*
		 * A read allowed to run outside a remote transaction (see
		 * fed_conn_start): the statement alone, in one round trip with the
		 * settings, which then last for it only.  Its result is read whole
		 * or as it arrives (a cursor needs a transaction).  A statement
		 * with parameters goes alone (one statement a message): the
		 * settings are made the session's first, once.  (Reads of the
		 * catalogs read whole, for recovery, may run so inside a
		 * subtransaction too: scans run so only at the top level.)
		 */
		alone = c->stream.autocommit && c->stream.sql &&
			(curlevel == 1 || c->stream.autocommit == FED_AUTOCOMMIT_WHOLE);
		if (alone && settings[0] != '\0' && c->stream.nparams > 0 &&
			c->driver->session_timezone_fmt)
		{
			session_settings(c, c->step.stmt_buf, sizeof(c->step.stmt_buf));
			c->sess.pending_session = true;
			return start_internal(c, FED_PHASE_SET, c->step.stmt_buf, err);
		}
		if (alone &&
			(settings[0] == '\0' ||
			 (c->stream.nparams == 0 && c->driver->query_start_after)))
		{
			c->stream.fetch_size = c->stream.autocommit == FED_AUTOCOMMIT_STREAM ?
				FED_FETCH_STREAM : 0;
			query_phase(c);
			c->step.prefixed = true;
			if (settings[0] == '\0')
			{
				fed_conn_log_sql(c, c->stream.sql);
				return c->driver->query_start(c->handle, c->stream.sql,
											  c->stream.nparams, c->stream.params,
											  c->stream.fetch_size, err);
			}
			strlcpy(c->step.stmt_buf, settings, sizeof(c->step.stmt_buf));
			fed_conn_log_sql(c, c->step.stmt_buf);
			fed_conn_log_sql(c, c->stream.sql);
			return c->driver->query_start_after(c->handle, c->step.stmt_buf,
												c->stream.sql, c->stream.fetch_size,
												err);
		}
		/* BEGIN, with what the remote transaction carries (xact.c) */
		exporting = fed_xact_begin_text(c, settings, c->step.stmt_buf,
										sizeof(c->step.stmt_buf));
		begin = c->step.stmt_buf;

		/* a read without parameters: BEGIN and it in one round trip */
		if (c->stream.sql && c->stream.nparams == 0 && curlevel == 1 &&
			!exporting && c->driver->query_start_after)
		{
			query_phase(c);
			c->step.prefixed = true;
			fed_xact_opened(c, 1);
			fed_conn_log_sql(c, begin);
			fed_conn_log_sql(c, c->stream.sql);
			return c->driver->query_start_after(c->handle, begin,
												c->stream.sql, c->stream.fetch_size, err);
		}
		c->step.pending_depth = 1;
		return start_internal(c, FED_PHASE_BEGIN, begin, err);
	}
	if (c->rx.depth < curlevel)
	{
		/*
		 * The server still has a savepoint of this depth, of a level
		 * released while this statement was starting (see
		 * FedRemoteXact.release_pending): release it first, so that the new one
		 * is the only one of its name.
		 */
		if (fed_xact_take_pending(c, c->step.stmt_buf, sizeof(c->step.stmt_buf)))
		{
			c->step.pending_depth = c->rx.depth;
			return start_internal(c, FED_PHASE_BEGIN, c->step.stmt_buf, err);
		}
		c->step.pending_depth = c->rx.depth + 1;
		snprintf(c->step.stmt_buf, sizeof(c->step.stmt_buf), c->driver->savepoint_fmt,
				 c->step.pending_depth);
		return start_internal(c, FED_PHASE_BEGIN, c->step.stmt_buf, err);
	}
	if (c->stream.sql == NULL)
	{
		c->step.phase = FED_PHASE_IDLE;
		return FED_IO_DONE;
	}
	/* the local session changed its TimeZone inside the transaction */
	if (c->driver->timezone_fmt &&
		strcmp(c->sess.remote_tz, pg_get_timezone_name(session_timezone)) != 0)
	{
		c->sess.pending_tz = true;
		snprintf(c->step.stmt_buf, sizeof(c->step.stmt_buf), c->driver->timezone_fmt,
				 quote_literal_cstr(pg_get_timezone_name(session_timezone)));
		return start_internal(c, FED_PHASE_SET, c->step.stmt_buf, err);
	}
	query_phase(c);
	fed_conn_log_sql(c, c->stream.sql);
	return c->driver->query_start(c->handle, c->stream.sql, c->stream.nparams,
								  c->stream.params, c->stream.fetch_size, err);
}

/*
 * The local level a SAVEPOINT in flight on c is opening (or one below it)
 * has been released (xact.c): once done, that savepoint counts as released
 * too, and c's levels end below it.  False when no such SAVEPOINT is in
 * flight.
 */
bool
fed_conn_begin_released(FedConn *c, int level)
{
	if (c->step.phase != FED_PHASE_BEGIN || c->step.pending_depth < level)
		return false;
	c->step.pending_depth = level - 1;
	return true;
}

/*
 * Advance with r, the result of the last driver step, until something has
 * to be waited for, the caller's result is open, or a step fails.
 */
static int
advance(FedConn *c, int r, FedRemoteError *err)
{
	FedRow		row = {0};	/* (a row read by poll_step is not here) */

	for (;;)
	{
		if (r == FED_IO_ERROR)
		{
			/* a server restart shows up here: reconnect once and retry */
			if (c->step.may_reconnect && err->connection_lost &&
				((c->step.phase == FED_PHASE_BEGIN && c->rx.depth == 0) ||
				 (c->step.phase == FED_PHASE_QUERY && c->step.prefixed)))
			{
				c->step.may_reconnect = false;
				c->step.prefixed = false;
				fed_xact_ended(c);	/* nothing was done in it */
				fed_conn_close_handle(c);
				r = begin_connect(c, err);
				continue;
			}
			return FED_IO_ERROR;
		}
		if (r != FED_IO_DONE && r != FED_IO_ROW)
			return r;

		switch (c->step.phase)
		{
			case FED_PHASE_CONNECT:
				check_password_used(c);
				c->step.setup_step = -1;
				c->step.phase = FED_PHASE_SETUP;
				c->step.draining = true;
				r = FED_IO_DONE;
				continue;
			case FED_PHASE_SETUP:
			case FED_PHASE_SET:
			case FED_PHASE_BEGIN:
				if (!c->step.draining || r == FED_IO_ROW)
				{
					if (r == FED_IO_ROW && c->step.phase == FED_PHASE_BEGIN)
						fed_xact_begin_row(c, &row);
					/* read and drop the statement's rows */
					c->step.draining = true;
					r = c->driver->next_row(c->handle, &row, err);
					continue;
				}
				c->step.draining = false;
				if (c->step.phase == FED_PHASE_SETUP)
				{
					const char *next = c->driver->session_setup(c->handle)[++c->step.setup_step];

					if (next)
					{
						r = start_internal(c, FED_PHASE_SETUP, next, err);
						continue;
					}
					fed_xact_ended(c);
					c->invalidated = false;
				}
				else if (c->step.phase == FED_PHASE_SET && c->sess.pending_session)
				{
					c->sess.pending_session = false;
					strlcpy(c->sess.session_tz, pg_get_timezone_name(session_timezone),
							sizeof(c->sess.session_tz));
					c->sess.session_timeout = c->sess.stmt_timeout;
				}
				else if (c->step.phase == FED_PHASE_SET && c->sess.pending_tz)
				{
					c->sess.pending_tz = false;
					strlcpy(c->sess.remote_tz, pg_get_timezone_name(session_timezone),
							sizeof(c->sess.remote_tz));
				}
				else if (c->step.phase == FED_PHASE_SET)
					c->sess.remote_timeout = c->sess.pending_timeout;
				else
					fed_xact_opened(c, c->step.pending_depth);
				r = next_xact_step(c, err);
				continue;
			case FED_PHASE_QUERY:
				c->step.phase = FED_PHASE_OPEN;
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
void
fed_conn_set_tag(void)
{
	snprintf(fed_statement_tag, FED_TAG_LEN,
			 "/* federate pid=%d query_id=" INT64_FORMAT " */ ",
			 MyProcPid, (int64) pgstat_get_my_query_id());
}

/*
 * Begin a statement (see above).  The connection must have been claimed
 * by the caller and be idle.  sql, params and their strings must stay
 * valid until the result is open.
 *
 * autocommit: when no remote transaction is open on c yet, sql may run
 * without one, read whole or as its rows arrive as autocommit says (a
 * cursor needs a transaction; fetch_size is for the read in one, when the
 * statement needs it after all: a parameter and settings to send with it).
 * Only for a read that is the only statement c serves in the local
 * transaction, which is this one statement (exec/scan.c says when): then
 * nothing can see that it had no transaction of its own.
 */
int
fed_conn_start(FedConn *c, const char *sql, int nparams,
			   const char *const *params, int fetch_size,
			   FedAutocommit autocommit, FedRemoteError *err)
{
	if (c->sess.pending_session)
	{
		/* a session SET that did not complete: its effect is unknown */
		c->sess.pending_session = false;
		c->sess.session_tz[0] = '\0';
		c->sess.session_timeout = -1;
	}
	c->stream.autocommit = autocommit;
	c->stream.sql = sql;
	c->stream.nparams = nparams;
	c->stream.params = params;
	c->stream.fetch_size = fetch_size;
	c->step.prefixed = false;
	c->cancel_sent = false;
	fed_conn_set_tag();
	if (sql)
		fed_health_statement(c->serverid, c->servername);
	if (c->handle == NULL)
	{
		c->step.may_reconnect = false;
		return advance(c, begin_connect(c, err), err);
	}
	c->step.may_reconnect = true;
	return advance(c, next_xact_step(c, err), err);
}

/* Continue after the socket became ready or the wait timed out. */
static int
poll_step(FedConn *c, FedRemoteError *err)
{
	FedRow		row;
	int			r;

	switch (c->step.phase)
	{
		case FED_PHASE_CONNECT:
			if (c->step.connect_deadline != 0 &&
				GetCurrentTimestamp() >= c->step.connect_deadline)
			{
				set_timed_out(err, true);
				return FED_IO_ERROR;
			}
			r = c->driver->connect_poll(c->handle, err);
			break;
		case FED_PHASE_SETUP:
		case FED_PHASE_SET:
		case FED_PHASE_BEGIN:
			if (!c->step.draining)
				r = c->driver->query_poll(c->handle, err);
			else
			{
				r = c->driver->next_row(c->handle, &row, err);
				if (r == FED_IO_ROW && c->step.phase == FED_PHASE_BEGIN)
					fed_xact_begin_row(c, &row);
			}
			break;
		case FED_PHASE_QUERY:
			r = c->driver->query_poll(c->handle, err);
			break;
		default:
			return FED_IO_DONE;
	}
	return advance(c, r, err);
}

/*
 * A reader's call on c: c must be serving owner's statement.  A
 * connection taken from its reader always tells it first (FedParkCallback),
 * so a reader that asks all the same has a bug: it could read another
 * statement's rows.
 */
static void
check_owner(FedConn *c, void *owner)
{
	if (c->stream.owner != owner || owner == NULL)
		elog(ERROR, "federate: connection to server \"%s\" is not reading this result",
			 c->servername);
}

/*
 * Continue owner's statement after the socket became ready or the wait
 * timed out.
 */
int
fed_conn_poll(FedConn *c, void *owner, FedRemoteError *err)
{
	check_owner(c, owner);
	return poll_step(c, err);
}

/* The next row of owner's open result, without waiting. */
int
fed_conn_fetch(FedConn *c, void *owner, FedRow *row, FedRemoteError *err)
{
	int			r;

	check_owner(c, owner);
	if (c->step.phase != FED_PHASE_OPEN || c->handle == NULL)
		elog(ERROR, "federate: no open result on server \"%s\"", c->servername);
	r = c->driver->next_row(c->handle, row, err);
	if (r == FED_IO_DONE)
	{
		c->step.phase = FED_PHASE_IDLE;
		fed_conn_clear_reader(c);
	}
	return r;
}

pgsocket
fed_conn_socket(FedConn *c)
{
	return c->handle ? c->driver->socket(c->handle) : PGINVALID_SOCKET;
}

/*
 * A number that differs for every connection made: a socket of the same
 * number, opened again after a close, is another connection.
 */
uint64
fed_conn_generation(FedConn *c)
{
	return c->generation;
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

	if (c->step.phase == FED_PHASE_CONNECT && c->step.connect_deadline != 0)
		timeout = Max(0, TimestampDifferenceMilliseconds(GetCurrentTimestamp(),
														 c->step.connect_deadline));
	if ((events & WL_TIMEOUT) && c->driver->timeout_ms && c->handle)
	{
		long		t = c->driver->timeout_ms(c->handle);

		if (timeout < 0 || t < timeout)
			timeout = t;
	}
	return timeout;
}

/*
 * Drive the state machine to its end, waiting as needed; raise on error.
 * r is the result of the step just taken, whose error (if r says so) is in
 * *err.
 */
void
fed_conn_run_sync(FedConn *c, int r, FedRemoteError *err)
{
	while (r != FED_IO_DONE && r != FED_IO_ERROR)
	{
		TimestampTz deadline = c->step.phase == FED_PHASE_CONNECT ?
		c->step.connect_deadline : 0;

		if (!fed_conn_wait_for(c, r, deadline, true))
		{
			set_timed_out(err, true);
			r = FED_IO_ERROR;
			break;
		}
		r = poll_step(c, err);
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

	if (c->step.phase == FED_PHASE_IDLE || c->step.phase == FED_PHASE_OPEN)
		return;
	fed_conn_run_sync(c, poll_step(c, &err), &err);
}

/*
 * During abort cleanup: end what is in flight on c, waiting until deadline
 * (never throws).  A SET, BEGIN or SAVEPOINT ends soon and is waited for,
 * so that the remote transaction's levels and the session's settings are
 * known again; a running statement is cancelled and its end waited for.
 * False when c's state cannot be known (the caller closes it).
 */
bool
fed_conn_settle(FedConn *c, TimestampTz deadline)
{
	FedRemoteError err = {0};
	char		errbuf[256];
	int			r;

	if (c->step.phase == FED_PHASE_SET || c->step.phase == FED_PHASE_BEGIN)
	{
		FedPhase	phase = c->step.phase;

		r = c->driver->discard(c->handle, &err);
		r = fed_conn_drive(c, FED_STEP_DISCARD, r, NULL, &err, deadline, false);
		c->step.phase = FED_PHASE_IDLE;
		if (r == FED_IO_ERROR)
		{
			if (err.timed_out)
				fed_conn_note_unresponsive(c);
			return false;
		}
		if (phase == FED_PHASE_BEGIN)
			fed_xact_opened(c, c->step.pending_depth);
		else if (c->sess.pending_session)
		{
			/* it may or may not have taken effect */
			c->sess.session_tz[0] = '\0';
			c->sess.session_timeout = -1;
		}
		else if (c->sess.pending_tz)
			c->sess.remote_tz[0] = '\0';
		else
			c->sess.remote_timeout = c->sess.pending_timeout;
		c->sess.pending_tz = false;
		c->sess.pending_session = false;
		return true;
	}
	c->step.phase = FED_PHASE_IDLE;
	if (!c->driver->busy(c->handle))
		return true;
	if (!c->cancel_sent &&
		!c->driver->cancel(c->handle, FED_CANCEL_TIMEOUT_SEC,
						   errbuf, sizeof(errbuf)))
	{
		ereport(WARNING,
				(errcode(ERRCODE_CONNECTION_FAILURE),
				 errmsg("could not cancel the statement running on server \"%s\"",
						c->servername),
				 errdetail_internal("%s", errbuf)));
		return false;
	}
	c->cancel_sent = true;

	/*
	 * The cancelled statement ends with an error, as it should: only a lost
	 * connection or no end in time makes the state unknown.
	 */
	r = c->driver->discard(c->handle, &err);
	r = fed_conn_drive(c, FED_STEP_DISCARD, r, NULL, &err, deadline, false);
	if (r == FED_IO_ERROR &&
		(err.connection_lost || err.timed_out || c->handle == NULL))
	{
		if (err.timed_out)
			fed_conn_note_unresponsive(c);
		return false;
	}
	return true;
}

/*
 * A savepoint rolled back on c: a SET LOCAL TimeZone sent inside it is
 * undone, so the remote transaction's TimeZone is no longer known.
 */
void
fed_conn_forget_xact_settings(FedConn *c)
{
	c->sess.remote_tz[0] = '\0';
}

/*-------------------------------------------------------------------------
 *
 * driver_libpq.c
 *		The FedDriver for PostgreSQL servers, on libpq's asynchronous API.
 *
 * This is the only file that includes libpq-fe.h.
 *
 * Connecting uses PQconnectStartParams/PQconnectPoll.  Statements are sent
 * with PQsendQuery(Params) on a non-blocking connection; PQflush says when
 * the socket must become writable, PQconsumeInput/PQisBusy when it must be
 * read.  A statement read in batches (fetch_size > 0) becomes a cursor:
 * DECLARE federate_cN CURSOR FOR <statement>, then FETCH fetch_size FROM it
 * as often as needed, so a large result never sits whole in memory on
 * either side.  A statement read as it arrives (FED_FETCH_STREAM) goes as
 * it is, in libpq's single-row mode: each row is its own PGresult, handed
 * out and freed before the next is taken, so memory stays at a row and the
 * socket's buffer; the server plans it as for any client (a cursor's plan
 * is never parallel).  The statement that opens the next cursor closes the previous one
 * in the same round trip ("CLOSE federate_cM; DECLARE ..."), so a query
 * rescanned once per outer row keeps one cursor open on the shard, not
 * thousands; a cursor still open when another kind of statement comes
 * (COMMIT, ROLLBACK TO a savepoint) is left for the remote transaction's
 * end to close.
 *
 * A handle moves between these states:
 *
 *	 IDLE --query_start--> FLUSH/BUSY --results read--> ROWS --rows read-->
 *	 (streamed and the batch was full: FETCH again, back to BUSY) or IDLE.
 *
 * src/remote/driver_libpq.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "libpq-fe.h"
#include "lib/stringinfo.h"
#include "libpq/pqcomm.h"
#include "port/pg_bswap.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "remote/driver.h"

typedef enum LqState
{
	LQ_IDLE,					/* nothing in flight, no rows pending */
	LQ_CONNECTING,
	LQ_BUSY,					/* a command is in flight */
	LQ_ROWS						/* rows of a received result to hand out */
} LqState;

typedef enum LqPhase
{
	LQ_PLAIN,					/* an ordinary statement */
	LQ_DECLARE,					/* DECLARE of a streamed statement */
	LQ_FETCH,					/* FETCH from that cursor */
	LQ_STREAM,					/* a statement in single-row mode */
	LQ_DISCARD					/* waiting out a statement being thrown away */
} LqPhase;

typedef struct LqHandle
{
	PGconn	   *conn;
	LqState		state;
	LqPhase		phase;
	bool		flushing;		/* output not yet all sent */
	PGresult   *res;			/* the result whose rows are handed out */
	PGresult   *errres;			/* first error result of the command */
	int			nextrow;
	int			fetch_size;		/* > 0 while streaming */
	bool		cursor_done;	/* last FETCH returned a short batch */
	unsigned int cursor_number;
	unsigned int live_cursor;	/* the last cursor declared, 0 if none (or
								 * forgotten: see the header) */
	unsigned int close_pending; /* to close with the next FETCH, or 0 */
	uint64		affected;
	const char *copy_data;		/* rows of the next COPY FROM STDIN */
	size_t		copy_len;
	char	  **values;
	int		   *lengths;
	int			ncols_alloc;
} LqHandle;

static void
fill_error_text(FedRemoteError *err, const char *msg, bool lost)
{
	char	   *copy = pstrdup(msg ? msg : "unknown error");
	int			len = strlen(copy);

	/* libpq messages end in a newline; ours do not */
	while (len > 0 && (copy[len - 1] == '\n' || copy[len - 1] == ' '))
		copy[--len] = '\0';
	memset(err, 0, sizeof(FedRemoteError));
	err->message = copy;
	err->connection_lost = lost;
	if (lost)
		strlcpy(err->sqlstate, "08006", sizeof(err->sqlstate));
}

static void
fill_conn_error(LqHandle *h, FedRemoteError *err)
{
	fill_error_text(err, PQerrorMessage(h->conn),
					PQstatus(h->conn) == CONNECTION_BAD);
}

static char *
copy_field(const PGresult *res, int field)
{
	char	   *v = PQresultErrorField(res, field);

	return v ? pstrdup(v) : NULL;
}

static void
fill_result_error(LqHandle *h, const PGresult *res, FedRemoteError *err)
{
	char	   *sqlstate = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	char	   *primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);

	if (primary == NULL)
	{
		/* no server-sent error: it came from libpq itself */
		fill_error_text(err, PQresultErrorMessage(res),
						PQstatus(h->conn) == CONNECTION_BAD);
		return;
	}
	memset(err, 0, sizeof(FedRemoteError));
	err->message = pstrdup(primary);
	err->detail = copy_field(res, PG_DIAG_MESSAGE_DETAIL);
	err->hint = copy_field(res, PG_DIAG_MESSAGE_HINT);
	err->context = copy_field(res, PG_DIAG_CONTEXT);
	if (sqlstate)
		strlcpy(err->sqlstate, sqlstate, sizeof(err->sqlstate));
	err->connection_lost = PQstatus(h->conn) == CONNECTION_BAD;
}

static void
clear_results(LqHandle *h)
{
	if (h->res)
		PQclear(h->res);
	if (h->errres)
		PQclear(h->errres);
	h->res = NULL;
	h->errres = NULL;
}

static int
lq_connect_poll(void *handle, FedRemoteError *err)
{
	LqHandle   *h = (LqHandle *) handle;

	switch (PQconnectPoll(h->conn))
	{
		case PGRES_POLLING_READING:
			return WL_SOCKET_READABLE;
		case PGRES_POLLING_WRITING:
			return WL_SOCKET_WRITEABLE;
		case PGRES_POLLING_OK:
			if (PQsetnonblocking(h->conn, 1) != 0)
			{
				fill_conn_error(h, err);
				return FED_IO_ERROR;
			}
			h->state = LQ_IDLE;
			return FED_IO_DONE;
		default:
			fill_conn_error(h, err);
			err->connection_lost = true;
			/* the server asked for a password and refused it, or got none */
			if (PQconnectionUsedPassword(h->conn) ||
				PQconnectionNeedsPassword(h->conn))
				strlcpy(err->sqlstate, "28P01", sizeof(err->sqlstate));
			return FED_IO_ERROR;
	}
}

static int
lq_connect_start(const char *const *keys, const char *const *values,
				 void **handle, FedRemoteError *err)
{
	LqHandle   *h = palloc0(sizeof(LqHandle));

	*handle = h;
	h->state = LQ_CONNECTING;
	h->conn = PQconnectStartParams(keys, values, 0);
	if (h->conn == NULL)
	{
		fill_error_text(err, "out of memory", true);
		return FED_IO_ERROR;
	}
	if (PQstatus(h->conn) == CONNECTION_BAD)
	{
		fill_conn_error(h, err);
		err->connection_lost = true;
		return FED_IO_ERROR;
	}
	/* libpq's rule: behave as if PQconnectPoll had asked to write */
	return WL_SOCKET_WRITEABLE;
}

static pgsocket
lq_socket(void *handle)
{
	LqHandle   *h = (LqHandle *) handle;

	return h->conn ? PQsocket(h->conn) : PGINVALID_SOCKET;
}

/* Push out pending output; the wait mask, or FED_IO_DONE, or error. */
static int
flush_output(LqHandle *h, FedRemoteError *err)
{
	int			r = PQflush(h->conn);

	if (r < 0)
	{
		fill_conn_error(h, err);
		h->state = LQ_IDLE;
		return FED_IO_ERROR;
	}
	h->flushing = (r == 1);
	return h->flushing ? (WL_SOCKET_READABLE | WL_SOCKET_WRITEABLE) : FED_IO_DONE;
}

static int
send_fetch(LqHandle *h, FedRemoteError *err)
{
	char		sql[FED_TAG_LEN + 96];
	char		close[48] = "";

	if (h->close_pending)
		snprintf(close, sizeof(close), "CLOSE federate_c%u; ",
				 h->close_pending);
	h->close_pending = 0;
	snprintf(sql, sizeof(sql), "%s%sFETCH %d FROM federate_c%u",
			 fed_statement_tag, close, h->fetch_size, h->cursor_number);
	if (!PQsendQuery(h->conn, sql))
	{
		fill_conn_error(h, err);
		h->state = LQ_IDLE;
		return FED_IO_ERROR;
	}
	h->phase = LQ_FETCH;
	h->state = LQ_BUSY;
	return flush_output(h, err);
}

/*
 * The server waits for COPY's rows: send the handle's copy data (the rows
 * of set_copy_data; none, and the copy fails, if there are none), end the
 * copy and push it out.
 */
static int
put_copy(LqHandle *h, FedRemoteError *err)
{
	int			r;

	if (h->copy_data && h->copy_len > 0)
	{
		r = PQputCopyData(h->conn, h->copy_data, (int) h->copy_len);
		if (r == 0)
			return WL_SOCKET_WRITEABLE; /* asked again for the rows */
		if (r < 0)
		{
			fill_conn_error(h, err);
			h->state = LQ_IDLE;
			return FED_IO_ERROR;
		}
		h->copy_len = 0;
	}
	r = PQputCopyEnd(h->conn, h->copy_data ? NULL :
					 "federate has no rows for this COPY");
	if (r == 0)
		return WL_SOCKET_WRITEABLE;
	if (r < 0)
	{
		fill_conn_error(h, err);
		h->state = LQ_IDLE;
		return FED_IO_ERROR;
	}
	h->copy_data = NULL;
	return flush_output(h, err);
}

static void
lq_set_copy_data(void *handle, const char *data, size_t len)
{
	LqHandle   *h = (LqHandle *) handle;

	h->copy_data = data;
	h->copy_len = len;
}

static bool
lq_copy_pending(void *handle)
{
	LqHandle   *h = (LqHandle *) handle;

	return h->copy_data != NULL && h->state == LQ_BUSY;
}

/* Keep a statement's first error result (reported once all results are in). */
static void
keep_error(LqHandle *h, PGresult *res)
{
	if (h->errres == NULL)
		h->errres = res;
	else
		PQclear(res);
}

/*
 * Read whatever has arrived for the command in flight.  FED_IO_DONE when
 * all its results are in (the command may then have failed: see errres).
 */
static int
collect_results(LqHandle *h, FedRemoteError *err)
{
	int			r = h->flushing ? flush_output(h, err) : FED_IO_DONE;

	if (r != FED_IO_DONE)
		return r;
	if (!PQconsumeInput(h->conn))
	{
		fill_conn_error(h, err);
		h->state = LQ_IDLE;
		return FED_IO_ERROR;
	}
	while (!PQisBusy(h->conn))
	{
		PGresult   *res = PQgetResult(h->conn);

		if (res == NULL)
			return FED_IO_DONE;
		switch (PQresultStatus(res))
		{
			case PGRES_TUPLES_OK:
				if (h->res)
					PQclear(h->res);
				h->res = res;
				break;
			case PGRES_COMMAND_OK:
				{
					char	   *n = PQcmdTuples(res);

					h->affected = (n && *n) ? strtou64(n, NULL, 10) : 0;
					PQclear(res);
					break;
				}
			case PGRES_EMPTY_QUERY:
			case PGRES_SINGLE_TUPLE:	/* of a stream being discarded */
				PQclear(res);
				break;
			case PGRES_COPY_IN:
				{
					int			cr;

					PQclear(res);
					cr = put_copy(h, err);
					if (cr != FED_IO_DONE)
						return cr;
					break;
				}
			default:
				keep_error(h, res);
				break;
		}
	}
	return WL_SOCKET_READABLE;
}

/*
 * The next row of a statement in single-row mode: FED_IO_DONE with the row
 * in h->res (state ROWS), or with the statement ended (state IDLE); a wait
 * mask; or the statement's error, once all of its results are in.  Only
 * what the socket has is read, and only when no result is ready: a row at
 * a time stays in memory, however fast the server sends.
 */
static int
stream_next(LqHandle *h, FedRemoteError *err)
{
	int			r = h->flushing ? flush_output(h, err) : FED_IO_DONE;

	if (r != FED_IO_DONE)
		return r;
	for (;;)
	{
		PGresult   *res;

		if (PQisBusy(h->conn))
		{
			if (!PQconsumeInput(h->conn))
			{
				fill_conn_error(h, err);
				clear_results(h);
				h->state = LQ_IDLE;
				return FED_IO_ERROR;
			}
			if (PQisBusy(h->conn))
				return WL_SOCKET_READABLE;
		}
		res = PQgetResult(h->conn);
		if (res == NULL)
		{
			h->state = LQ_IDLE;
			h->phase = LQ_PLAIN;
			if (h->errres)
			{
				fill_result_error(h, h->errres, err);
				clear_results(h);
				return FED_IO_ERROR;
			}
			return FED_IO_DONE;
		}
		switch (PQresultStatus(res))
		{
			case PGRES_SINGLE_TUPLE:
				if (h->errres)
				{
					PQclear(res);
					break;
				}
				h->res = res;
				h->nextrow = 0;
				h->state = LQ_ROWS;
				return FED_IO_DONE;
			case PGRES_COMMAND_OK:
			case PGRES_TUPLES_OK:	/* the end of a result (no more rows) */
			case PGRES_EMPTY_QUERY:
				PQclear(res);
				break;
			default:
				keep_error(h, res);
				break;
		}
	}
}

/* Drive the command in flight; FED_IO_DONE when rows (or nothing) remain. */
static int
advance(LqHandle *h, FedRemoteError *err)
{
	if (h->phase == LQ_STREAM)
		return stream_next(h, err);
	for (;;)
	{
		int			r = collect_results(h, err);

		if (r != FED_IO_DONE)
			return r;

		if (h->errres)
		{
			fill_result_error(h, h->errres, err);
			clear_results(h);
			h->state = LQ_IDLE;
			return FED_IO_ERROR;
		}

		switch (h->phase)
		{
			case LQ_DECLARE:
				if (h->res)
				{
					PQclear(h->res);
					h->res = NULL;
				}
				r = send_fetch(h, err);
				if (r == FED_IO_ERROR)
					return r;
				continue;		/* results may already be there */
			case LQ_FETCH:
				h->cursor_done = h->res == NULL ||
					PQntuples(h->res) < h->fetch_size;
				break;
			case LQ_PLAIN:
			case LQ_STREAM:
				break;
			case LQ_DISCARD:
				clear_results(h);
				h->state = LQ_IDLE;
				return FED_IO_DONE;
		}
		h->nextrow = 0;
		h->state = h->res ? LQ_ROWS : LQ_IDLE;
		if (h->res == NULL)
			h->fetch_size = 0;
		return FED_IO_DONE;
	}
}

/*
 * Send sql (after first, when given) in one round trip where possible: a
 * streamed statement without parameters goes as one simple-protocol
 * message "[first;] DECLARE ...; FETCH n FROM ...", whose last result
 * holds the first batch.  With parameters, the DECLARE goes alone (the
 * extended protocol takes one statement) and the FETCH follows.
 */
static int
send_statement(LqHandle *h, const char *first, const char *sql, int nparams,
			   const char *const *params, int fetch_size, FedRemoteError *err)
{
	StringInfoData buf;
	int			ok;

	if (h->state == LQ_BUSY)
	{
		fill_error_text(err, "another statement is in progress on this connection", false);
		return FED_IO_ERROR;
	}
	clear_results(h);
	h->state = LQ_BUSY;
	h->affected = 0;
	h->fetch_size = fetch_size;
	h->cursor_done = false;

	initStringInfo(&buf);
	appendStringInfoString(&buf, fed_statement_tag);
	if (first)
		appendStringInfo(&buf, "%s; ", first);
	if (fetch_size > 0)
	{
		unsigned int previous = h->live_cursor;

		h->cursor_number++;
		h->live_cursor = h->cursor_number;
		h->close_pending = 0;
		/* the extended protocol takes one statement: close with the FETCH */
		if (previous && nparams > 0)
			h->close_pending = previous;
		else if (previous)
			appendStringInfo(&buf, "CLOSE federate_c%u; ", previous);
		appendStringInfo(&buf, "DECLARE federate_c%u NO SCROLL CURSOR FOR %s",
						 h->cursor_number, sql);
		if (nparams > 0)
		{
			h->phase = LQ_DECLARE;
			ok = PQsendQueryParams(h->conn, buf.data, nparams, NULL, params,
								   NULL, NULL, 0);
		}
		else
		{
			appendStringInfo(&buf, "; FETCH %d FROM federate_c%u",
							 fetch_size, h->cursor_number);
			h->phase = LQ_FETCH;
			ok = PQsendQuery(h->conn, buf.data);
		}
	}
	else
	{
		/* it may end the transaction or roll back past the cursor */
		h->live_cursor = 0;
		h->close_pending = 0;
		h->fetch_size = 0;
		appendStringInfoString(&buf, sql);
		h->phase = fetch_size == FED_FETCH_STREAM ? LQ_STREAM : LQ_PLAIN;
		if (nparams > 0)
			ok = PQsendQueryParams(h->conn, buf.data, nparams, NULL, params,
								   NULL, NULL, 0);
		else
			ok = PQsendQuery(h->conn, buf.data);
		if (ok && h->phase == LQ_STREAM && !PQsetSingleRowMode(h->conn))
			h->phase = LQ_PLAIN;	/* cannot happen right after sending */
	}
	pfree(buf.data);
	if (!ok)
	{
		fill_conn_error(h, err);
		h->state = LQ_IDLE;
		return FED_IO_ERROR;
	}
	ok = flush_output(h, err);
	if (ok == FED_IO_ERROR)
		return ok;
	return advance(h, err);
}

static int
lq_query_start(void *handle, const char *sql, int nparams,
			   const char *const *params, int fetch_size,
			   FedRemoteError *err)
{
	return send_statement((LqHandle *) handle, NULL, sql, nparams, params,
						  fetch_size, err);
}

static int
lq_query_start_after(void *handle, const char *first, const char *sql,
					 int fetch_size, FedRemoteError *err)
{
	return send_statement((LqHandle *) handle, first, sql, 0, NULL,
						  fetch_size, err);
}

static int
lq_query_poll(void *handle, FedRemoteError *err)
{
	LqHandle   *h = (LqHandle *) handle;

	if (h->state != LQ_BUSY)
		return FED_IO_DONE;
	return advance(h, err);
}

static int
lq_next_row(void *handle, FedRow *row, FedRemoteError *err)
{
	LqHandle   *h = (LqHandle *) handle;

	for (;;)
	{
		if (h->state == LQ_BUSY)
		{
			int			r = advance(h, err);

			if (r != FED_IO_DONE)
				return r;
		}
		if (h->state != LQ_ROWS)
			return FED_IO_DONE;

		if (h->nextrow < PQntuples(h->res))
		{
			int			ncols = PQnfields(h->res);
			int			i;

			if (ncols > h->ncols_alloc)
			{
				MemoryContext old = MemoryContextSwitchTo(GetMemoryChunkContext(h));

				if (h->values)
				{
					pfree(h->values);
					pfree(h->lengths);
				}
				h->values = palloc(sizeof(char *) * ncols);
				h->lengths = palloc(sizeof(int) * ncols);
				h->ncols_alloc = ncols;
				MemoryContextSwitchTo(old);
			}
			for (i = 0; i < ncols; i++)
			{
				if (PQgetisnull(h->res, h->nextrow, i))
					h->values[i] = NULL;
				else
					h->values[i] = PQgetvalue(h->res, h->nextrow, i);
				h->lengths[i] = PQgetlength(h->res, h->nextrow, i);
			}
			row->ncols = ncols;
			row->values = h->values;
			row->lengths = h->lengths;
			h->nextrow++;
			return FED_IO_ROW;
		}

		/* this batch is used up */
		PQclear(h->res);
		h->res = NULL;
		if (h->phase == LQ_STREAM)
		{
			h->state = LQ_BUSY;
			continue;
		}
		if (h->fetch_size > 0 && !h->cursor_done)
		{
			int			r = send_fetch(h, err);

			if (r == FED_IO_ERROR)
				return r;
			continue;
		}
		h->state = LQ_IDLE;
		h->fetch_size = 0;
		return FED_IO_DONE;
	}
}

static int
lq_discard(void *handle, FedRemoteError *err)
{
	LqHandle   *h = (LqHandle *) handle;

	if (h->state == LQ_ROWS)
	{
		clear_results(h);
		/* the rest of a stream is still to come, and is read out */
		h->state = h->phase == LQ_STREAM ? LQ_BUSY : LQ_IDLE;
	}
	if (h->state != LQ_BUSY)
	{
		h->fetch_size = 0;
		return FED_IO_DONE;
	}
	h->phase = LQ_DISCARD;
	return advance(h, err);
}

static uint64
lq_affected_rows(void *handle)
{
	return ((LqHandle *) handle)->affected;
}

/*
 * PQcancel waits without bound for the server to close the cancel
 * connection, which a stopped (frozen) server never does: an abort would
 * hang.  With libpq 15, whose PGcancel starts with the server address and
 * the backend's pid and key (struct pg_cancel in libpq-int.h), federate
 * sends the same 16-byte cancel request itself and waits at most
 * timeout_sec; with any other libpq it uses PQcancel.
 */
typedef struct LqCancel15
{
	SockAddr	raddr;
	int			be_pid;
	int			be_key;
} LqCancel15;

/* Wait until sock has events or the deadline passes (false then). */
static bool
poll_until(int sock, short events, TimestampTz deadline)
{
	for (;;)
	{
		struct pollfd pfd;
		long		ms = TimestampDifferenceMilliseconds(GetCurrentTimestamp(),
														 deadline);
		int			rc;

		if (ms <= 0)
			return false;
		pfd.fd = sock;
		pfd.events = events;
		pfd.revents = 0;
		rc = poll(&pfd, 1, (int) ms);
		if (rc > 0)
			return true;
		if (rc < 0 && errno != EINTR)
			return false;
	}
}

static bool
bounded_cancel(PGcancel *cancel, int timeout_sec, char *errbuf, int errbufsize)
{
	LqCancel15 *c = (LqCancel15 *) cancel;
	TimestampTz deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
													   Max(timeout_sec, 1) * 1000);
	uint32		packet[4];
	int			sock;
	int			soerr = 0;
	socklen_t	len = sizeof(soerr);
	const char *what = NULL;

	sock = socket(c->raddr.addr.ss_family, SOCK_STREAM, 0);
	if (sock < 0)
	{
		snprintf(errbuf, errbufsize, "could not create socket: %m");
		return false;
	}
	if (fcntl(sock, F_SETFL, O_NONBLOCK) < 0)
		what = "could not set the socket non-blocking";
	else if (connect(sock, (struct sockaddr *) &c->raddr.addr,
					 c->raddr.salen) < 0 && errno != EINPROGRESS)
		what = "could not connect";
	else if (!poll_until(sock, POLLOUT, deadline))
		what = "timed out connecting";
	else if (getsockopt(sock, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0 ||
			 soerr != 0)
		what = "could not connect";
	if (what == NULL)
	{
		packet[0] = pg_hton32(sizeof(packet));
		packet[1] = pg_hton32(CANCEL_REQUEST_CODE);
		packet[2] = pg_hton32(c->be_pid);
		packet[3] = pg_hton32(c->be_key);
		if (send(sock, packet, sizeof(packet), 0) != sizeof(packet))
			what = "could not send the cancel request";
		/* the server closes the connection once it has the request */
		else if (!poll_until(sock, POLLIN, deadline))
			what = "timed out waiting for the server";
	}
	close(sock);
	if (what)
	{
		snprintf(errbuf, errbufsize, "%s", what);
		return false;
	}
	return true;
}

static bool
lq_cancel(void *handle, int timeout_sec, char *errbuf, int errbufsize)
{
	LqHandle   *h = (LqHandle *) handle;
	PGcancel   *cancel;
	bool		ok;

	if (h->conn == NULL || h->state != LQ_BUSY)
		return true;
	cancel = PQgetCancel(h->conn);
	if (cancel == NULL)
	{
		strlcpy(errbuf, "could not create cancel request", errbufsize);
		return false;
	}
	if (PQlibVersion() / 10000 == 15)
		ok = bounded_cancel(cancel, timeout_sec, errbuf, errbufsize);
	else
		ok = PQcancel(cancel, errbuf, errbufsize) != 0;
	PQfreeCancel(cancel);
	return ok;
}

static void
lq_close(void *handle)
{
	LqHandle   *h = (LqHandle *) handle;

	if (h == NULL)
		return;
	clear_results(h);
	if (h->conn)
		PQfinish(h->conn);
	h->conn = NULL;
	if (h->values)
	{
		pfree(h->values);
		pfree(h->lengths);
	}
	pfree(h);
}

static bool
lq_used_password(void *handle)
{
	LqHandle   *h = (LqHandle *) handle;

	return h->conn != NULL && PQconnectionUsedPassword(h->conn);
}

static bool
lq_busy(void *handle)
{
	LqHandle   *h = (LqHandle *) handle;

	return h->state == LQ_BUSY || h->state == LQ_ROWS;
}

/*
 * One round trip: the simple protocol takes several statements.  Reads go
 * through cursors, which PostgreSQL plans for the first 10% of the rows
 * (cursor_tuple_fraction) unless told otherwise; federate reads every row
 * it asks for (a LIMIT is in the statement), so plan for all of them, as
 * for the same statement sent plainly.
 */
static const char *const lq_session_setup[] = {
	"SET search_path = pg_catalog; SET timezone = 'UTC'; SET datestyle = ISO; "
	"SET intervalstyle = postgres; SET extra_float_digits = 3; "
	"SET cursor_tuple_fraction = 1.0",
	NULL
};

static const char *const *
lq_session_setup_for(void *handle)
{
	return lq_session_setup;
}

/*
 * libpq's failures: connection refused is only told by its message (the
 * errno text), the rest by SQLSTATE; a connection attempt that failed after
 * the server asked for a password has 28P01 (lq_connect_poll).
 */
static FedErrorClass
lq_classify(const FedRemoteError *err, bool connecting)
{
	const char *s = err->sqlstate;

	if (connecting && strncmp(s, "28", 2) == 0)
		return FED_ERRCLASS_AUTH;
	if (connecting)
		return err->message && strstr(err->message, "refused") ?
			FED_ERRCLASS_REFUSED : FED_ERRCLASS_CONNECT;
	if (err->connection_lost)
		return FED_ERRCLASS_LOST;
	if (strcmp(s, "57014") == 0)	/* statement_timeout */
		return FED_ERRCLASS_TIMEOUT;
	/* shutting down, starting up, out of connections */
	if (strcmp(s, "57P03") == 0 || strcmp(s, "53300") == 0)
		return FED_ERRCLASS_CONNECT;
	/* connection exceptions, terminated by an administrator or a crash */
	if (strncmp(s, "08", 2) == 0 || strcmp(s, "57P01") == 0 ||
		strcmp(s, "57P02") == 0)
		return FED_ERRCLASS_LOST;
	return FED_ERRCLASS_STATEMENT;
}

const FedDriver fed_driver_libpq = {
	.name = "postgres",
	.classify = lq_classify,
	.connect_start = lq_connect_start,
	.connect_poll = lq_connect_poll,
	.socket = lq_socket,
	.timeout_ms = NULL,
	.query_start = lq_query_start,
	.query_poll = lq_query_poll,
	.query_start_after = lq_query_start_after,
	.set_copy_data = lq_set_copy_data,
	.copy_pending = lq_copy_pending,
	.next_row = lq_next_row,
	.discard = lq_discard,
	.affected_rows = lq_affected_rows,
	.cancel = lq_cancel,
	.close = lq_close,
	.busy = lq_busy,
	.used_password = lq_used_password,
	.cancel_aborts_xact = true,
	.reads_in_batches = true,
	.supports_params = true,
	.session_setup = lq_session_setup_for,
	.begin_sql = "START TRANSACTION ISOLATION LEVEL REPEATABLE READ",
	.commit_sql = "COMMIT TRANSACTION",
	.rollback_sql = "ABORT TRANSACTION",
	.prepare_fmt = "PREPARE TRANSACTION '%s'",
	.commit_prepared_fmt = "COMMIT PREPARED '%s'",
	.rollback_prepared_fmt = "ROLLBACK PREPARED '%s'",
	.prepare_check_sql = "SHOW max_prepared_transactions",
	.export_snapshot_sql = "SELECT pg_export_snapshot()",
	.import_snapshot_fmt = "SET TRANSACTION SNAPSHOT '%s'",
	.recover_sql = "SELECT gid, prepared FROM pg_prepared_xacts "
	"WHERE database = current_database() AND starts_with(gid, $1) "
	"ORDER BY prepared",
	.recover_gid_col = 0,
	.recover_at_col = 1,
	.recover_takes_prefix = true,
	.savepoint_fmt = "SAVEPOINT s%d",
	.release_fmt = "RELEASE SAVEPOINT s%d",
	.rollback_to_fmt = "ROLLBACK TO SAVEPOINT s%d",
	.timeout_fmt = "SET LOCAL statement_timeout = %d",
	.timeout_in_xact = true,
	.timezone_fmt = "SET LOCAL timezone = %s",
	.session_timezone_fmt = "SET timezone = %s",
	.session_timeout_fmt = "SET statement_timeout = %d",
	.session_timeout_reset = "RESET statement_timeout",
	.timeout_default_sql = "SET LOCAL statement_timeout TO DEFAULT",
};

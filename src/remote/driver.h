/*-------------------------------------------------------------------------
 *
 * driver.h
 *		The one seam between federate and a client library.
 *
 * A FedDriver is a table of non-blocking operations on one remote
 * connection.  Every operation that might wait on the network returns
 * instead of blocking: either FED_IO_DONE (finished), FED_IO_ROW (a row is
 * ready, next_row only), FED_IO_ERROR (the FedRemoteError is filled in), or
 * a mask of WL_SOCKET_READABLE / WL_SOCKET_WRITEABLE (and possibly
 * WL_TIMEOUT, see timeout_ms) telling the caller what to wait for on
 * socket() before calling the matching *_poll / next_row again.  The caller
 * (remote/connection.c, and the fan-out loop) owns all waiting: it waits on
 * the process latch together with the socket, so interrupts are always
 * served.  Drivers never sleep and never ereport(ERROR) for remote
 * failures; they report through FedRemoteError.  They may ereport(ERROR)
 * only for out-of-memory and "cannot happen" conditions.
 *
 * A handle runs at most one statement at a time.  After query_start /
 * query_poll report FED_IO_DONE the statement's result is open; next_row
 * returns its rows one by one (FED_IO_ROW) and FED_IO_DONE after the last
 * one.  A command that returns no rows yields FED_IO_DONE at once, and
 * affected_rows() tells how many rows it changed.  A result need not be
 * read to its end: query_start on the same handle discards what is left
 * of the previous result first (the driver may do this with blocking reads
 * only for results already fully received; a driver that would have to
 * wait returns wait events from query_start and finishes later).
 *
 * Row values are in the remote server's text format, NUL terminated, with
 * their byte lengths (binary data such as MySQL BLOBs may contain NUL
 * bytes: trust the length).  A SQL NULL has values[i] == NULL.  The arrays
 * and strings stay valid until the next call on the same handle.
 *
 * Memory: connect_start is called with CurrentMemoryContext set to a
 * long-lived context; the handle and everything it keeps must be allocated
 * there (or with malloc, released by close()).  FedRemoteError strings are
 * palloc'd in the CurrentMemoryContext of the failing call.
 *
 * Portions of this header's design follow postgres_fdw's connection.c and
 * the non-blocking API of MariaDB Connector/C.
 *
 * src/remote/driver.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef FEDERATE_DRIVER_H
#define FEDERATE_DRIVER_H

#include "storage/latch.h"

/*
 * The comment every statement sent for a coordinator query starts with
 * ("/ * federate pid=... query_id=... * / "), set by remote/connection.c;
 * drivers put it in front of each statement text they send, so that a
 * shard's activity view and slow-query log lead back to the query.
 */
#define FED_TAG_LEN		96
extern char fed_statement_tag[FED_TAG_LEN];

#define FED_IO_ERROR	(-1)
#define FED_IO_DONE		0
#define FED_IO_ROW		1		/* never collides with the WL_SOCKET_* bits */

/*
 * query_start's fetch_size for a row-returning statement sent plainly and
 * read as its rows arrive (the server plans it as for any client, in
 * parallel if it likes; nothing is buffered whole).  Unlike a cursor's
 * batches it cannot be stopped part-way but by a cancel or by reading it
 * to its end.
 */
#define FED_FETCH_STREAM	(-1)

/* A driver-neutral copy of a remote error, safe after the handle is gone. */
typedef struct FedRemoteError
{
	char		sqlstate[6];	/* five characters, or "" when unknown */
	char	   *message;		/* primary text; never NULL once reported */
	char	   *detail;			/* or NULL */
	char	   *hint;			/* or NULL */
	char	   *context;		/* or NULL */
	int			native_code;	/* MySQL error number; 0 for PostgreSQL */
	bool		connection_lost;	/* the handle is unusable from now on */
	bool		timed_out;		/* set by the caller, not by drivers */
	bool		session_bound;	/* set by the caller: the bound that passed
								 * is the session's (federate.total_timeout) */
} FedRemoteError;

/* One row of a result, in text format. */
typedef struct FedRow
{
	int			ncols;
	char	  **values;			/* values[i] == NULL means SQL NULL */
	int		   *lengths;		/* byte length of each non-NULL value */
} FedRow;

/*
 * What a failure is, in the driver's judgement: each driver reads its own
 * library's error numbers and texts, and remote/errors.c maps the class to
 * the failure kinds the rest of federate counts (health/health.h).
 */
typedef enum FedErrorClass
{
	FED_ERRCLASS_STATEMENT,		/* the server reported an error about the
								 * statement itself */
	FED_ERRCLASS_TIMEOUT,		/* the server's own statement timeout */
	FED_ERRCLASS_REFUSED,		/* connecting: the server refused */
	FED_ERRCLASS_CONNECT,		/* connecting failed otherwise, or the
								 * server takes no connection now */
	FED_ERRCLASS_LOST,			/* the connection is gone */
	FED_ERRCLASS_AUTH			/* connecting: the server answered, refusing
								 * the credentials */
} FedErrorClass;

typedef struct FedDriver
{
	const char *name;			/* "postgres" or "mysql" */

	/* The class of err; connecting: it came while connecting. */
	FedErrorClass (*classify) (const FedRemoteError *err, bool connecting);

	/*
	 * Start connecting.  keys/values are NULL-terminated parallel arrays of
	 * connection options (host, port, dbname, user, password, and the
	 * driver's own options).  On success *handle is set and the return is
	 * FED_IO_DONE or a wait mask (then call connect_poll).  On FED_IO_ERROR
	 * *handle may be set and must still be passed to close().
	 */
	int			(*connect_start) (const char *const *keys,
								  const char *const *values,
								  void **handle, FedRemoteError *err);
	int			(*connect_poll) (void *handle, FedRemoteError *err);

	/* The socket to wait on; PGINVALID_SOCKET if none. */
	pgsocket	(*socket) (void *handle);

	/*
	 * When a step returned a mask containing WL_TIMEOUT, the number of
	 * milliseconds after which the step must be called again even if the
	 * socket did not become ready.  May be NULL for drivers that never ask.
	 */
	int			(*timeout_ms) (void *handle);

	/*
	 * Start a statement.  params are text values ($1..$n placeholders,
	 * NULL means SQL NULL); only drivers with supports_params accept
	 * nparams > 0.  fetch_size > 0 marks a row-returning statement that
	 * must be streamed in batches of about that many rows instead of being
	 * received whole; FED_FETCH_STREAM one whose rows are handed out as they
	 * arrive; 0 one received whole.  Returns FED_IO_DONE when the result is
	 * open, a wait mask (then call query_poll), or FED_IO_ERROR.
	 */
	int			(*query_start) (void *handle, const char *sql,
								int nparams, const char *const *params,
								int fetch_size, FedRemoteError *err);
	int			(*query_poll) (void *handle, FedRemoteError *err);

	/*
	 * Optional: like query_start without parameters, but run the statement
	 * first (such as BEGIN) ahead of sql in the same round trip.  A failure
	 * of either is reported like a failure of sql.
	 */
	int			(*query_start_after) (void *handle, const char *first,
									  const char *sql, int fetch_size,
									  FedRemoteError *err);

	/*
	 * Optional (PostgreSQL): the rows the next "COPY ... FROM STDIN" sent
	 * on the handle copies, in COPY's text format.  The driver sends them
	 * when the server asks for them and then ends the copy; data must stay
	 * valid until that statement ends.
	 */
	void		(*set_copy_data) (void *handle, const char *data, size_t len);

	/*
	 * With set_copy_data: is the statement in flight still to hand those
	 * rows over (the server has not asked for them yet, or they are not
	 * all given to the client library)?
	 */
	bool		(*copy_pending) (void *handle);

	/* Next row of the open result: FED_IO_ROW, FED_IO_DONE, mask or error. */
	int			(*next_row) (void *handle, FedRow *row, FedRemoteError *err);

	/*
	 * Stop reading the open result (if any) and wait for the statement in
	 * flight (if any) to end, without fetching further batches of a
	 * streamed result.  FED_IO_DONE when the handle is idle, else a wait
	 * mask or FED_IO_ERROR like the other steps.  The result's remaining
	 * rows are thrown away.  Used after cancel() and before reusing a
	 * handle whose result was not read to its end.
	 */
	int			(*discard) (void *handle, FedRemoteError *err);

	/* Rows changed by the last completed command (INSERT/UPDATE/DELETE). */
	uint64		(*affected_rows) (void *handle);

	/*
	 * Ask the server to stop the running statement.  May block, but only
	 * for a bounded time (timeout_sec).  Returns false and fills errbuf on
	 * failure.  The caller closes or drains the handle afterwards.
	 */
	bool		(*cancel) (void *handle, int timeout_sec,
						   char *errbuf, int errbufsize);

	/* Close the connection and free the handle; never fails, never waits. */
	void		(*close) (void *handle);

	/* Is a statement running or a result still unread on this handle? */
	bool		(*busy) (void *handle);

	/*
	 * Optional: did the server ask for the password when this connection
	 * was made?  A non-superuser may only use connections that did (as
	 * postgres_fdw requires), or a mapping's dummy password would connect
	 * as the coordinator's own identity under trust authentication.  NULL
	 * for engines that check every password they are given.
	 */
	bool		(*used_password) (void *handle);

	/*
	 * Optional: timeout_fmt for this connection's server, for engines
	 * whose flavors name the setting differently; NULL to use timeout_fmt.
	 */
	const char *(*timeout_format) (void *handle);

	bool		supports_params;

	/*
	 * A cancelled statement aborts the remote transaction it ran in
	 * (PostgreSQL), so a reader that stops early inside one must let the
	 * statement's current batch finish rather than cancel it.  On MySQL a
	 * killed query fails alone, and stopping a stream any other way means
	 * reading it to its end.
	 */
	bool		cancel_aborts_xact;

	/*
	 * fetch_size > 0 reads through a cursor, in batches (else every row
	 * returning statement streams, whatever fetch_size says).
	 */
	bool		reads_in_batches;

	/*
	 * cancel() opens a connection of its own to the server (MySQL's KILL
	 * QUERY goes over a second connection): it needs a unit of the
	 * server's connection budget (health/budget.c).
	 */
	bool		cancel_connects;

	/* Engine SQL used by remote/connection.c, one statement each. */
	/*
	 * The NULL-terminated statements run once after connecting (the
	 * handle is connected: the server's flavor and version are known).
	 */
	const char *const *(*session_setup) (void *handle);
	const char *begin_sql;
	const char *commit_sql;
	const char *rollback_sql;
	/*
	 * Two-phase commit (remote/twophase.c).  Each format takes the global
	 * transaction id twice (printf %s, the second one unused by most);
	 * NULL when the driver has none.  prepare_fmt ends the remote
	 * transaction prepared; the other two end a prepared one, from any
	 * connection.
	 */
	const char *prepare_fmt;
	const char *commit_prepared_fmt;
	const char *rollback_prepared_fmt;

	/*
	 * A statement answering whether the server takes prepared
	 * transactions: one row, one column, "0" when it does not (asked once
	 * per connection before the first PREPARE); NULL: it always does.
	 */
	const char *prepare_check_sql;

	/*
	 * The engine names its transaction branch when it starts it (MySQL's
	 * XA): with two-phase commit on, a remote transaction begins with
	 * xa_start_fmt instead of begin_sql, and ends with xa_commit_fmt (one
	 * phase), or xa_end_fmt then xa_rollback_fmt (the first may fail: a
	 * deadlock leaves the branch rollback-only).  Its prepare_fmt is then
	 * sent with that id.  While prepared, the branch holds its session:
	 * nothing else runs on the connection before its second phase, and a
	 * connection whose second phase did not happen is closed (the branch
	 * stays prepared on the server).  NULL: ids are chosen at PREPARE.
	 */
	const char *xa_start_fmt;
	const char *xa_commit_fmt;
	const char *xa_end_fmt;
	const char *xa_rollback_fmt;

	/*
	 * The error number commit_prepared_fmt gets for a prepared branch that
	 * changed nothing, which the server ends without committing anything
	 * (MariaDB: 1402 XA_RBROLLBACK, once the branch's session is gone): it
	 * is over all the same.  0: none.
	 */
	int			xa_gone_code;

	/*
	 * One snapshot per server (remote/xact.c): a statement returning the
	 * remote transaction's snapshot id (one row, one column), and a printf
	 * format importing one (%s: the id) at the start of another
	 * transaction.  NULL: each connection takes its own snapshot.
	 */
	const char *export_snapshot_sql;
	const char *import_snapshot_fmt;

	/*
	 * The server's prepared transactions (recovery): recover_sql returns
	 * one row per transaction, its id in column recover_gid_col and the
	 * time it was prepared in recover_at_col (-1: the engine does not
	 * say); with recover_takes_prefix it takes the ids' prefix as $1 and
	 * returns only this database's.
	 */
	const char *recover_sql;
	int			recover_gid_col;
	int			recover_at_col;
	bool		recover_takes_prefix;
	const char *savepoint_fmt;	/* printf format taking the level (int) */
	const char *release_fmt;
	const char *rollback_to_fmt;

	/*
	 * The statement timeout: a printf format taking milliseconds (int).
	 * With timeout_in_xact it is sent after begin_sql in the same round
	 * trip, for each remote transaction that has a timeout; otherwise it
	 * sets the session's value, sent when the value changes.
	 */
	const char *timeout_fmt;
	bool		timeout_in_xact;

	/*
	 * The coordinator session's TimeZone, for engines that evaluate
	 * shipped functions of timestamptz (date_trunc, extract, casts to
	 * date): a printf format taking the quoted zone name, valid until the
	 * end of the remote transaction.  Sent after begin_sql in the same
	 * round trip when the zone is not the session setup's UTC, and again
	 * when the local session changes its zone inside a transaction.  NULL:
	 * the engine is never given such functions with the session's zone.
	 */
	const char *timezone_fmt;

	/*
	 * For engines with timezone_fmt and timeout_in_xact: the same two
	 * settings made for the remote session, outside a transaction (the
	 * zone's format takes the quoted name, the timeout's the milliseconds;
	 * timeout_reset puts the server's own default back), and the
	 * transaction's timeout set back to that default (timeout_default_fmt,
	 * after begin_sql).  A read outside a remote transaction whose
	 * statement carries parameters (the extended protocol takes one
	 * statement a message) sets them for the session first, once; the
	 * transactions then set only what differs from the session's.
	 */
	const char *session_timezone_fmt;
	const char *session_timeout_fmt;
	const char *session_timeout_reset;
	const char *timeout_default_sql;
} FedDriver;

/* in remote/driver_libpq.c */
extern const FedDriver fed_driver_libpq;

/* in remote/driver_mysql.c */
extern const FedDriver fed_driver_mysql;

#endif							/* FEDERATE_DRIVER_H */

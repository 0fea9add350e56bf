/*-------------------------------------------------------------------------
 *
 * driver_mysql.c
 *		FedDriver for MySQL and MariaDB shards, on MariaDB Connector/C.
 *
 * Everything that touches the network goes through Connector/C's
 * non-blocking API (MYSQL_OPT_NONBLOCK): each foo_start() either finishes
 * or suspends the library call (it runs on a small coroutine stack of its
 * own) and returns the MYSQL_WAIT_* events it needs; foo_cont() resumes it
 * once they have occurred.  We translate those masks into latch events for
 * the caller, who does all the waiting, and resume the suspended call when
 * the caller comes back.
 *
 * A handle therefore carries a small state machine.  "phase" names the
 * library call in flight (or the resting state), "suspended" tells whether
 * that call has been started and awaits a _cont, and "goal" says why the
 * machine is running, which decides where it stops:
 *
 *	GOAL_CONNECT	CONNECTING -> IDLE
 *	GOAL_QUERY		QUERY -> RESULT (rows follow), or
 *					QUERY -> DRAIN -> IDLE (a command without rows)
 *	GOAL_ROWS		RESULT -> FETCH -> RESULT (one row), or at the end
 *					FETCH -> FREE -> DRAIN -> IDLE
 *	GOAL_DISCARD	drop whatever is left of the statement: let its call
 *					in flight finish, FETCH and drop the rest of its rows,
 *					FREE the result, DRAIN -> IDLE
 *	GOAL_SWITCH		the same, then send the next statement: -> QUERY with
 *					GOAL_QUERY (query_start on a handle that is not idle)
 *
 * While discarding, errors of the statement being dropped are ignored (it
 * was typically cancelled); only the loss of the connection is reported.
 *
 * DRAIN reads the further results a CALL may produce (NEXT_RESULT, and
 * FREE of any result set among them), so that the connection is ready for
 * the next statement when a statement is reported done.  The connection
 * takes several statements in one text (CLIENT_MULTI_STATEMENTS), for the
 * two of an XA commit or prepare in one round trip: the server stops at
 * the first that fails, whose error is the one reported.
 *
 * Results are streamed: mysql_use_result() hands rows over as they arrive,
 * so no result is ever buffered whole, and fetch_size is not needed.
 * Abandoning a result half read means reading and dropping the rest, which
 * is why query_start may have to wait before it can send anything.  We do
 * not let mysql_free_result_start() do that: if rows keep arriving it never
 * has to suspend, and would read them all in one call however long that
 * takes.  We fetch and drop them ourselves instead, and every
 * DISCARD_BATCH rows hand control back to the caller with a zero timeout
 * (WL_TIMEOUT, timeout_ms() = 0), so that interrupts and deadlines are
 * served.  mysql_free_result_start() only ever frees results read to their
 * end, which it does without any I/O.
 *
 * TLS needs help: the library leaves the socket in blocking mode after the
 * TCP connection is made, and OpenSSL then blocks in read() where a plain
 * socket would have suspended.  We set O_NONBLOCK once connected, which
 * makes TLS reads and writes suspend like plain ones; the TLS handshake
 * itself remains blocking (bounded by socket timeouts), see
 * set_socket_nonblocking() and bound_connect_io().
 *
 * Cancelling uses the only means MySQL offers: "KILL QUERY <thread id>" sent
 * on a second, ordinary blocking connection that is opened with the same
 * credentials and bounded by timeouts.  close() never waits: a connection
 * that is busy is shut down at the socket (mariadb_cancel) before the
 * library is allowed to send COM_QUIT, so nothing can block there.
 *
 * src/remote/driver_mysql.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "remote/mysql_shim.h"
#include "remote/driver.h"

#include "portability/instr_time.h"
#include "utils/builtins.h"

/* Where the state machine of a handle stands. */
typedef enum MyPhase
{
	MY_IDLE,					/* connected, no statement, no result */
	MY_CONNECTING,				/* mysql_real_connect_start/_cont */
	MY_QUERY,					/* mysql_real_query_start/_cont */
	MY_RESULT,					/* a result is open, no call in flight */
	MY_FETCH,					/* mysql_fetch_row_start/_cont */
	MY_FREE,					/* mysql_free_result_start/_cont, of a
								 * result read to its end */
	MY_NEXT_RESULT,				/* mysql_next_result_start/_cont */
	MY_DRAIN,					/* transient: look for further results */
	MY_BROKEN					/* unusable; only close() remains */
} MyPhase;

/* Why the state machine is running; see the file header. */
typedef enum MyGoal
{
	GOAL_NONE,
	GOAL_CONNECT,
	GOAL_QUERY,
	GOAL_ROWS,
	GOAL_DISCARD,
	GOAL_SWITCH
} MyGoal;

#define DISCARDING(conn) \
	((conn)->goal == GOAL_DISCARD || (conn)->goal == GOAL_SWITCH)

typedef struct MyConn
{
	MemoryContext cxt;			/* long-lived context holding all this */
	MYSQL	   *mysql;
	MyPhase		phase;
	MyGoal		goal;
	bool		suspended;		/* the call of "phase" awaits a _cont */
	bool		yielded;		/* returned WL_TIMEOUT to let the caller in */
	bool		dropping;		/* GOAL_ROWS, but the rows of this result set
								 * are unwanted (a CALL's further ones) */
	bool		nonblocking;	/* socket set O_NONBLOCK after connecting */
	int			wait_status;	/* MYSQL_WAIT_* it returned when suspending */
	int			wait_timeout;	/* ms, if wait_status has MYSQL_WAIT_TIMEOUT */
	instr_time	wait_start;		/* when it suspended */

	MYSQL_RES  *result;			/* open result, or NULL */
	int		   *lengths;		/* FedRow.lengths of the current row */
	int			lengths_size;
	uint64		affected;		/* affected rows of the last command */

	/* statement text: must stay put while the library is sending it */
	char	   *sql;			/* the statement sent (or being sent) */
	unsigned long sql_len;
	char	   *next_sql;		/* GOAL_SWITCH: the statement waiting */
	unsigned long next_sql_len;

	MYSQL	   *killer;			/* side connection for KILL QUERY, open only
								 * while a cancel is sent */

	/* connection parameters, kept for the cancel side connection */
	char	   *host;			/* TCP host name or address, or NULL */
	char	   *unix_socket;	/* socket path (from host="/..."), or NULL */
	unsigned int port;
	char	   *user;
	char	   *password;
	char	   *dbname;
	char	   *application_name;
	unsigned int connect_timeout;	/* seconds, 0 = library default */
	char	   *ssl_ca;
	char	   *ssl_capath;
	char	   *ssl_cert;
	char	   *ssl_key;
	char	   *ssl_cipher;
	bool		ssl_verify_set;
	my_bool		ssl_verify;
	bool		password_auth_only; /* only plugins that send the password */
} MyConn;

/* Bound of a blocking TLS handshake when no connect_timeout is given (s) */
#define TLS_HANDSHAKE_TIMEOUT	30

/*
 * The client authentication plugins that send the password the user
 * mapping gives (MySQL's and MariaDB's; "dialog" answers PAM's password
 * question with it): the only ones a connection that must be
 * authenticated by its password may use.
 */
#define MY_PASSWORD_PLUGINS \
	"mysql_native_password,caching_sha2_password,sha256_password," \
	"client_ed25519,parsec,mysql_clear_password,dialog"

/* Rows dropped in one call before handing control back to the caller */
#define DISCARD_BATCH		1000

/* SQLSTATE of the errors we make up for a lost connection */
#define MY_LOST_SQLSTATE	"08S01"

static int	mydrv_connect_start(const char *const *keys,
								const char *const *values,
								void **handle, FedRemoteError *err);
static int	mydrv_connect_poll(void *handle, FedRemoteError *err);
static pgsocket mydrv_socket(void *handle);
static int	mydrv_timeout_ms(void *handle);
static int	mydrv_query_start(void *handle, const char *sql,
							  int nparams, const char *const *params,
							  int fetch_size, FedRemoteError *err);
static int	mydrv_query_poll(void *handle, FedRemoteError *err);
static int	mydrv_next_row(void *handle, FedRow *row, FedRemoteError *err);
static int	mydrv_discard(void *handle, FedRemoteError *err);
static const char *mydrv_timeout_format(void *handle);
static const char *const *mydrv_session_setup(void *handle);
static uint64 mydrv_affected_rows(void *handle);
static bool mydrv_cancel(void *handle, int timeout_sec,
						 char *errbuf, int errbufsize);
static void mydrv_close(void *handle);
static bool mydrv_busy(void *handle);

static int	run_machine(MyConn *conn, FedRow *row, FedRemoteError *err);
static int	suspend_call(MyConn *conn, int status);
static int	resume_status(MyConn *conn);
static int	socket_ready_now(MyConn *conn, int want);
static bool set_socket_nonblocking(MyConn *conn);
static void bound_connect_io(MyConn *conn);
static int	remaining_ms(MyConn *conn);
static int	wait_events(int status);
static void fill_row(MyConn *conn, MYSQL_ROW values, FedRow *row);
static void release_result_now(MyConn *conn);
static bool connection_gone(MyConn *conn);
static bool is_lost_code(unsigned int code);
static int	report_mysql_error(MyConn *conn, FedRemoteError *err,
							   bool lost);
static int	report_error(FedRemoteError *err, const char *message,
						 const char *sqlstate, int code, bool lost);
static int	report_broken(FedRemoteError *err);
static void parse_options(MyConn *conn, const char *const *keys,
						  const char *const *values);
static bool apply_options(MyConn *conn, MYSQL *m);
static void abort_suspended_call(MyConn *conn);
static void free_string(char *s);

#define MY_SQL_MODE \
	"SET SESSION sql_mode = 'ANSI_QUOTES,NO_BACKSLASH_ESCAPES," \
	"PIPES_AS_CONCAT,STRICT_ALL_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE," \
	"ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION,ONLY_FULL_GROUP_BY', " \
	"time_zone = '+00:00'"

static const char *const mysql_session_setup[] = {
	MY_SQL_MODE,
	"SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ",
	NULL
};

/*
 * MariaDB also gets its subquery cache turned off: the cache looks up a
 * correlated subquery's earlier answer by the outer values compared under
 * their collation, so with a case-insensitive or PAD SPACE collation the
 * answer for 'us' is reused for 'us ' even though the subquery compares
 * the bytes (a wrong EXISTS or NOT EXISTS).
 */
static const char *const mariadb_session_setup[] = {
	MY_SQL_MODE ", optimizer_switch = 'subquery_cache=off'",
	"SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ",
	NULL
};

/*
 * MySQL's failures, by error number: 2002/2003 with errno 111
 * (ECONNREFUSED) in the text when connecting; 1044, 1045 and 1698 (access
 * denied: the credentials, or the account's rights); 1969 (MariaDB's
 * max_statement_time) and 3024 (MySQL's max_execution_time); 1040 too
 * many connections; 1053 shutdown, 1927 connection killed, 2006 server
 * gone away, 2013 lost during query.
 */
static FedErrorClass
mydrv_classify(const FedRemoteError *err, bool connecting)
{
	int			code = err->native_code;

	if (connecting && (code == 1044 || code == 1045 || code == 1698))
		return FED_ERRCLASS_AUTH;
	if (connecting)
		return (code == 2002 || code == 2003) && err->message &&
			strstr(err->message, "(111)") ?
			FED_ERRCLASS_REFUSED : FED_ERRCLASS_CONNECT;
	if (err->connection_lost)
		return FED_ERRCLASS_LOST;
	if (code == 1969 || code == 3024)
		return FED_ERRCLASS_TIMEOUT;
	if (code == 1040)
		return FED_ERRCLASS_CONNECT;
	if (code == 1053 || code == 1927 || code == 2006 || code == 2013 ||
		strncmp(err->sqlstate, "08", 2) == 0)
		return FED_ERRCLASS_LOST;
	return FED_ERRCLASS_STATEMENT;
}

const FedDriver fed_driver_mysql = {
	.classify = mydrv_classify,
	.name = "mysql",
	.connect_start = mydrv_connect_start,
	.connect_poll = mydrv_connect_poll,
	.socket = mydrv_socket,
	.timeout_ms = mydrv_timeout_ms,
	.query_start = mydrv_query_start,
	.query_poll = mydrv_query_poll,
	.next_row = mydrv_next_row,
	.discard = mydrv_discard,
	.affected_rows = mydrv_affected_rows,
	.cancel = mydrv_cancel,
	.cancel_connects = true,
	.close = mydrv_close,
	.busy = mydrv_busy,
	.timeout_format = mydrv_timeout_format,
	.supports_params = false,
	.session_setup = mydrv_session_setup,
	.begin_sql = "START TRANSACTION WITH CONSISTENT SNAPSHOT",
	.commit_sql = "COMMIT",
	.rollback_sql = "ROLLBACK",
	.savepoint_fmt = "SAVEPOINT s%d",
	.release_fmt = "RELEASE SAVEPOINT s%d",
	.rollback_to_fmt = "ROLLBACK TO SAVEPOINT s%d",
	/* XA: the branch is named at XA START; ended, then prepared */
	.xa_start_fmt = "XA START '%s'",
	.xa_commit_fmt = "XA END '%s'; XA COMMIT '%s' ONE PHASE",
	.xa_end_fmt = "XA END '%s'",
	.xa_rollback_fmt = "XA ROLLBACK '%s'",
	.prepare_fmt = "XA END '%s'; XA PREPARE '%s'",
	.commit_prepared_fmt = "XA COMMIT '%s'",
	.rollback_prepared_fmt = "XA ROLLBACK '%s'",
	.xa_gone_code = 1402,		/* ER_XA_RBROLLBACK */
	/* formatID, gtrid_length, bqual_length, data (all servers' databases) */
	.recover_sql = "XA RECOVER",
	.recover_gid_col = 3,
	.recover_at_col = -1,
	.recover_takes_prefix = false,
	/* MariaDB's, in seconds, kept by the session; see mydrv_timeout_format */
	.timeout_fmt = "SET SESSION max_statement_time = %d / 1000",
	.timeout_in_xact = false,
};


/* ----------------------------------------------------------------
 *		Driver entry points
 * ----------------------------------------------------------------
 */

static int
mydrv_connect_start(const char *const *keys, const char *const *values,
					void **handle, FedRemoteError *err)
{
	MyConn	   *conn;

	conn = (MyConn *) palloc0(sizeof(MyConn));
	conn->cxt = CurrentMemoryContext;
	conn->phase = MY_BROKEN;
	conn->goal = GOAL_NONE;
	*handle = conn;

	parse_options(conn, keys, values);

	conn->mysql = mysql_init(NULL);
	if (conn->mysql == NULL)
		return report_error(err, "could not initialize MySQL client handle",
							"", 0, true);

	if (mysql_options(conn->mysql, MYSQL_OPT_NONBLOCK, 0) != 0 ||
		!apply_options(conn, conn->mysql))
	{
		if (mysql_errno(conn->mysql) != 0)
			return report_mysql_error(conn, err, true);
		return report_error(err, "could not set MySQL connection options",
							"", 0, true);
	}

	conn->phase = MY_CONNECTING;
	conn->goal = GOAL_CONNECT;
	conn->suspended = false;
	return run_machine(conn, NULL, err);
}

static int
mydrv_connect_poll(void *handle, FedRemoteError *err)
{
	MyConn	   *conn = (MyConn *) handle;

	if (conn->goal == GOAL_CONNECT)
		return run_machine(conn, NULL, err);
	if (conn->phase == MY_BROKEN)
		return report_broken(err);
	/* already connected */
	return FED_IO_DONE;
}

static pgsocket
mydrv_socket(void *handle)
{
	MyConn	   *conn = (MyConn *) handle;
	my_socket	sock;

	if (conn == NULL || conn->mysql == NULL || conn->phase == MY_BROKEN)
		return PGINVALID_SOCKET;

	/*
	 * While connecting, mysql_get_socket() finds the socket of the attempt
	 * in progress (which changes when several addresses are tried).  Once
	 * connected, a connection the library has shut down has no socket, and
	 * mysql_get_socket() must not be asked then.
	 */
	if (conn->phase == MY_CONNECTING)
	{
		if (!conn->suspended)
			return PGINVALID_SOCKET;
	}
	else if (connection_gone(conn))
		return PGINVALID_SOCKET;

	sock = mysql_get_socket(conn->mysql);
	if (sock < 0)
		return PGINVALID_SOCKET;
	return (pgsocket) sock;
}

/*
 * Milliseconds left before a suspended call that asked for a timeout must
 * be resumed anyway; -1 if it did not ask; 0 when we returned WL_TIMEOUT
 * only to let the caller in while discarding rows.  This is the library's
 * mysql_get_timeout_value_ms() less the time already spent waiting, so that
 * a caller woken early (latch set) and calling again does not restart the
 * timeout.
 */
static int
mydrv_timeout_ms(void *handle)
{
	MyConn	   *conn = (MyConn *) handle;

	if (conn == NULL)
		return -1;
	if (conn->yielded)
		return 0;
	if (!conn->suspended || (conn->wait_status & MYSQL_WAIT_TIMEOUT) == 0)
		return -1;
	return remaining_ms(conn);
}

static int
mydrv_query_start(void *handle, const char *sql, int nparams,
				  const char *const *params, int fetch_size,
				  FedRemoteError *err)
{
	MyConn	   *conn = (MyConn *) handle;
	size_t		len;

	if (nparams > 0)
		return report_error(err,
							"the mysql driver does not support query parameters",
							"", 0, false);
	if (conn->phase == MY_BROKEN)
		return report_broken(err);
	if (conn->goal == GOAL_CONNECT)
		elog(ERROR, "federate: mysql query started before the connection was established");

	/*
	 * Keep our own copy of the text: the library reads it while sending,
	 * which may span several calls.  A statement still waiting from an
	 * earlier query_start that never completed is simply replaced.
	 */
	{
		size_t		taglen = strlen(fed_statement_tag);

		len = taglen + strlen(sql);
		free_string(conn->next_sql);
		conn->next_sql = MemoryContextAlloc(conn->cxt, len + 1);
		memcpy(conn->next_sql, fed_statement_tag, taglen);
		memcpy(conn->next_sql + taglen, sql, len - taglen + 1);
		conn->next_sql_len = (unsigned long) len;
	}

	conn->goal = GOAL_SWITCH;
	switch (conn->phase)
	{
		case MY_IDLE:
			conn->phase = MY_DRAIN;
			break;
		case MY_RESULT:
			/* read and drop the rest of the open result */
			conn->phase = MY_FETCH;
			conn->suspended = false;
			break;
		default:

			/*
			 * A call of the previous statement is in flight: let it finish,
			 * GOAL_SWITCH makes the machine drop what it yields.
			 */
			break;
	}
	return run_machine(conn, NULL, err);
}

static int
mydrv_query_poll(void *handle, FedRemoteError *err)
{
	MyConn	   *conn = (MyConn *) handle;

	if (conn->goal == GOAL_QUERY || conn->goal == GOAL_SWITCH)
		return run_machine(conn, NULL, err);
	if (conn->phase == MY_BROKEN)
		return report_broken(err);
	if (conn->goal == GOAL_NONE)
		return FED_IO_DONE;		/* finished already */
	elog(ERROR, "federate: mysql query_poll called while no statement is being started");
	return FED_IO_ERROR;		/* keep compiler quiet */
}

static int
mydrv_next_row(void *handle, FedRow *row, FedRemoteError *err)
{
	MyConn	   *conn = (MyConn *) handle;

	if (conn->goal == GOAL_ROWS)
		return run_machine(conn, row, err);
	if (conn->goal != GOAL_NONE)
		elog(ERROR, "federate: mysql next_row called before the statement was started");

	switch (conn->phase)
	{
		case MY_RESULT:
			conn->goal = GOAL_ROWS;
			conn->phase = MY_FETCH;
			conn->suspended = false;
			conn->dropping = false;
			return run_machine(conn, row, err);
		case MY_IDLE:
			/* a command without rows, or a result read to its end */
			return FED_IO_DONE;
		case MY_BROKEN:
			return report_broken(err);
		default:
			elog(ERROR, "federate: mysql next_row called in unexpected state %d",
				 (int) conn->phase);
	}
	return FED_IO_ERROR;		/* keep compiler quiet */
}

/*
 * Drop what is left of the statement on this handle; called again (like a
 * poll function) until it returns FED_IO_DONE.  For MySQL this reads the
 * remaining rows of the result, since the protocol has no other way to stop
 * a result stream than killing the statement (cancel()).  A statement
 * waiting for its turn in query_start is forgotten.
 */
static int
mydrv_discard(void *handle, FedRemoteError *err)
{
	MyConn	   *conn = (MyConn *) handle;

	switch (conn->goal)
	{
		case GOAL_DISCARD:
			return run_machine(conn, NULL, err);
		case GOAL_CONNECT:
			elog(ERROR, "federate: mysql discard called before the connection was established");
			break;
		case GOAL_SWITCH:
			free_string(conn->next_sql);
			conn->next_sql = NULL;
			conn->next_sql_len = 0;
			conn->goal = GOAL_DISCARD;
			return run_machine(conn, NULL, err);
		case GOAL_QUERY:
		case GOAL_ROWS:
			/* a call is in flight: let it finish, dropping what it yields */
			conn->goal = GOAL_DISCARD;
			return run_machine(conn, NULL, err);
		case GOAL_NONE:
			break;
	}

	switch (conn->phase)
	{
		case MY_RESULT:
			conn->goal = GOAL_DISCARD;
			conn->phase = MY_FETCH;
			conn->suspended = false;
			return run_machine(conn, NULL, err);
		case MY_BROKEN:
			return report_broken(err);
		default:
			return FED_IO_DONE;
	}
}

static uint64
mydrv_affected_rows(void *handle)
{
	MyConn	   *conn = (MyConn *) handle;

	return conn->affected;
}

/*
 * The statement timeout of the server's flavor: MariaDB's
 * max_statement_time (seconds, any statement), or MySQL's
 * max_execution_time (milliseconds, read-only SELECTs only).
 */
static const char *
mydrv_timeout_format(void *handle)
{
	MyConn	   *conn = (MyConn *) handle;

	if (conn != NULL && conn->mysql != NULL && !mariadb_connection(conn->mysql))
		return "SET SESSION max_execution_time = %d";
	return fed_driver_mysql.timeout_fmt;
}

static const char *const *
mydrv_session_setup(void *handle)
{
	MyConn	   *conn = (MyConn *) handle;

	if (conn != NULL && conn->mysql != NULL && mariadb_connection(conn->mysql))
		return mariadb_session_setup;
	return mysql_session_setup;
}

static bool
mydrv_busy(void *handle)
{
	MyConn	   *conn = (MyConn *) handle;

	if (conn == NULL)
		return false;
	return conn->goal == GOAL_QUERY || conn->goal == GOAL_ROWS ||
		DISCARDING(conn) || conn->phase == MY_RESULT;
}

/* Open the side connection KILL QUERY goes through; NULL on failure. */
static MYSQL *
open_killer(MyConn *conn, unsigned int timeout, char *errbuf, int errbufsize)
{
	MYSQL	   *side = mysql_init(NULL);

	if (side == NULL)
	{
		if (errbufsize > 0)
			snprintf(errbuf, errbufsize,
					 "could not initialize MySQL client handle for cancel");
		return NULL;
	}

	/* the timeouts last: apply_options sets the main connect_timeout */
	if (!apply_options(conn, side) ||
		mysql_options(side, MYSQL_OPT_CONNECT_TIMEOUT, &timeout) != 0 ||
		mysql_options(side, MYSQL_OPT_READ_TIMEOUT, &timeout) != 0 ||
		mysql_options(side, MYSQL_OPT_WRITE_TIMEOUT, &timeout) != 0)
	{
		if (errbufsize > 0)
			snprintf(errbuf, errbufsize,
					 "could not set MySQL options for cancel connection");
		mysql_close(side);
		return NULL;
	}
	if (mysql_real_connect(side, conn->host, conn->user, conn->password,
						   NULL, conn->port, conn->unix_socket, 0) == NULL)
	{
		if (errbufsize > 0)
			snprintf(errbuf, errbufsize,
					 "could not connect to send cancel request: %s",
					 mysql_error(side));
		mysql_close(side);
		return NULL;
	}
	return side;
}

/*
 * Ask the server to stop the statement running on this handle, with
 * "KILL QUERY <thread id>" on a second, blocking connection, closed again
 * at once: it would be a connection outside the server's connection budget
 * (health/budget.c).  Every step is bounded by timeout_sec.  The main
 * handle is left untouched: the caller drains or closes it.
 */
static bool
mydrv_cancel(void *handle, int timeout_sec, char *errbuf, int errbufsize)
{
	MyConn	   *conn = (MyConn *) handle;
	unsigned int timeout;
	char		sql[64];
	bool		ok;

	if (errbufsize > 0)
		errbuf[0] = '\0';
	if (conn == NULL || conn->mysql == NULL || !mydrv_busy(conn))
		return true;

	timeout = (unsigned int) Max(timeout_sec, 1);
	snprintf(sql, sizeof(sql), "KILL QUERY %lu", mysql_thread_id(conn->mysql));
	if ((conn->killer = open_killer(conn, timeout, errbuf, errbufsize)) == NULL)
		return false;
	ok = mysql_real_query(conn->killer, sql, (unsigned long) strlen(sql)) == 0;

	/*
	 * ER_NO_SUCH_THREAD: the session is gone, so nothing runs any more; that
	 * is what was asked for.
	 */
	if (!ok && mysql_errno(conn->killer) == 1094)
		ok = true;
	if (!ok && errbufsize > 0)
		snprintf(errbuf, errbufsize, "could not send cancel request: %s",
				 mysql_error(conn->killer));
	mysql_close(conn->killer);
	conn->killer = NULL;
	return ok;
}

/*
 * Close the connection and free the handle, without ever waiting.
 *
 * An idle healthy connection gets the library's ordinary mysql_close(),
 * which writes COM_QUIT into an empty socket buffer and reads nothing.
 * Anything else is first shut down at the socket (mariadb_cancel() calls
 * shutdown(2)), so that whatever the library still tries fails at once: a
 * suspended call is made to give up (abort_suspended_call), an open result
 * is freed without reading its rest, and COM_QUIT fails instead of waiting
 * for buffer space.
 */
static void
mydrv_close(void *handle)
{
	MyConn	   *conn = (MyConn *) handle;

	if (conn == NULL)
		return;

	if (conn->mysql != NULL)
	{
		bool		clean;

		clean = conn->phase == MY_IDLE && !conn->suspended &&
			conn->result == NULL && !connection_gone(conn) &&
			!mysql_more_results(conn->mysql);

		if (!clean)
		{
			if (conn->mysql->net.pvio != NULL)
				(void) mariadb_cancel(conn->mysql);
			abort_suspended_call(conn);
			if (conn->result != NULL)
				release_result_now(conn);
		}
		mysql_close(conn->mysql);
		conn->mysql = NULL;
	}
	if (conn->killer != NULL)
		mysql_close(conn->killer);
	conn->killer = NULL;

	free_string(conn->sql);
	free_string(conn->next_sql);
	if (conn->lengths)
		pfree(conn->lengths);
	free_string(conn->host);
	free_string(conn->unix_socket);
	free_string(conn->user);
	if (conn->password)
	{
		explicit_bzero(conn->password, strlen(conn->password));
		pfree(conn->password);
	}
	free_string(conn->dbname);
	free_string(conn->application_name);
	free_string(conn->ssl_ca);
	free_string(conn->ssl_capath);
	free_string(conn->ssl_cert);
	free_string(conn->ssl_key);
	free_string(conn->ssl_cipher);
	pfree(conn);
}


/* ----------------------------------------------------------------
 *		The state machine
 * ----------------------------------------------------------------
 */

/*
 * Run the machine until it must wait (returns a latch event mask), reaches
 * the end of its goal (FED_IO_DONE, or FED_IO_ROW with *row filled), or
 * fails (FED_IO_ERROR with *err filled).
 */
static int
run_machine(MyConn *conn, FedRow *row, FedRemoteError *err)
{
	MYSQL	   *m = conn->mysql;
	int			dropped = 0;

	conn->yielded = false;
	for (;;)
	{
		int			ready = 0;
		int			status;

		if (conn->suspended)
		{
			ready = resume_status(conn);
			if (ready == 0)
				return wait_events(conn->wait_status);	/* not yet */
		}

		/* see set_socket_nonblocking() */
		if (conn->phase == MY_CONNECTING)
		{
			if (conn->suspended)
				bound_connect_io(conn);
		}
		else if (!conn->nonblocking)
			conn->nonblocking = set_socket_nonblocking(conn);

		switch (conn->phase)
		{
			case MY_CONNECTING:
				{
					MYSQL	   *ret = NULL;

					if (conn->suspended)
						status = mysql_real_connect_cont(&ret, m, ready);
					else
						status = mysql_real_connect_start(&ret, m,
														  conn->host,
														  conn->user,
														  conn->password,
														  conn->dbname,
														  conn->port,
														  conn->unix_socket,
														  CLIENT_FOUND_ROWS |
														  CLIENT_MULTI_STATEMENTS);
					if (status != 0)
						return suspend_call(conn, status);
					conn->suspended = false;

					if (ret == NULL)
						return report_mysql_error(conn, err, true);
					conn->phase = MY_IDLE;
					conn->goal = GOAL_NONE;
					conn->nonblocking = set_socket_nonblocking(conn);
					return FED_IO_DONE;
				}

			case MY_QUERY:
				{
					int			ret = 0;

					if (conn->suspended)
						status = mysql_real_query_cont(&ret, m, ready);
					else
						status = mysql_real_query_start(&ret, m, conn->sql,
														conn->sql_len);
					if (status != 0)
						return suspend_call(conn, status);
					conn->suspended = false;

					if (ret != 0)
					{
						/* when discarding, only a lost connection matters */
						if (conn->goal == GOAL_QUERY || connection_gone(conn))
							return report_mysql_error(conn, err, false);
						conn->phase = MY_DRAIN;
						break;
					}
					if (mysql_field_count(m) > 0)
					{
						conn->result = mysql_use_result(m);
						if (conn->result == NULL)
							return report_mysql_error(conn, err, true);
						if (conn->goal == GOAL_QUERY)
						{
							conn->phase = MY_RESULT;
							conn->goal = GOAL_NONE;
							return FED_IO_DONE;
						}
						conn->phase = MY_FETCH;		/* to drop its rows */
						break;
					}
					if (conn->goal == GOAL_QUERY)
						conn->affected = (uint64) mysql_affected_rows(m);
					conn->phase = MY_DRAIN;
					break;
				}

			case MY_FETCH:
				{
					MYSQL_ROW	values = NULL;
					bool		deliver;

					if (conn->suspended)
						status = mysql_fetch_row_cont(&values, conn->result,
													  ready);
					else
						status = mysql_fetch_row_start(&values, conn->result);
					if (status != 0)
						return suspend_call(conn, status);
					conn->suspended = false;

					deliver = conn->goal == GOAL_ROWS && !conn->dropping;
					if (values != NULL)
					{
						if (deliver)
						{
							fill_row(conn, values, row);
							conn->phase = MY_RESULT;
							conn->goal = GOAL_NONE;
							return FED_IO_ROW;
						}
						/* unwanted: drop it, letting the caller in at times */
						if (++dropped >= DISCARD_BATCH)
						{
							conn->yielded = true;
							return WL_TIMEOUT;
						}
						break;
					}
					if (mysql_errno(m) != 0 &&
						(!DISCARDING(conn) || connection_gone(conn)))
					{
						int			rc;

						/* copy the error before the result goes */
						rc = report_mysql_error(conn, err, false);
						release_result_now(conn);
						return rc;
					}
					/* end of rows (or an error we are discarding anyway) */
					conn->phase = MY_FREE;
					break;
				}

			case MY_FREE:
				if (conn->suspended)
					status = mysql_free_result_cont(conn->result, ready);
				else
					status = mysql_free_result_start(conn->result);
				if (status != 0)
					return suspend_call(conn, status);
				conn->suspended = false;
				conn->result = NULL;

				/* an error reading the rest matters only if fatal */
				if (connection_gone(conn))
					return report_mysql_error(conn, err, true);
				conn->phase = MY_DRAIN;
				break;

			case MY_NEXT_RESULT:
				{
					int			ret = 0;

					if (conn->suspended)
						status = mysql_next_result_cont(&ret, m, ready);
					else
						status = mysql_next_result_start(&ret, m);
					if (status != 0)
						return suspend_call(conn, status);
					conn->suspended = false;

					if (ret > 0)
					{
						if (!DISCARDING(conn) || connection_gone(conn))
							return report_mysql_error(conn, err, false);
						conn->phase = MY_DRAIN;
						break;
					}
					if (ret == 0 && mysql_field_count(m) > 0)
					{
						/* a further result set: nobody wants its rows */
						conn->result = mysql_use_result(m);
						if (conn->result == NULL)
							return report_mysql_error(conn, err, true);
						conn->phase = MY_FETCH;
						conn->suspended = false;
						conn->dropping = true;
						break;
					}
					conn->phase = MY_DRAIN;
					break;
				}

			case MY_DRAIN:
				if (mysql_more_results(m))
				{
					conn->phase = MY_NEXT_RESULT;
					conn->suspended = false;
					break;
				}
				if (conn->goal == GOAL_SWITCH)
				{
					/* the connection is ready: send the waiting statement */
					free_string(conn->sql);
					conn->sql = conn->next_sql;
					conn->sql_len = conn->next_sql_len;
					conn->next_sql = NULL;
					conn->next_sql_len = 0;
					conn->affected = 0;
					conn->goal = GOAL_QUERY;
					conn->phase = MY_QUERY;
					conn->suspended = false;
					break;
				}
				/* GOAL_QUERY (a command without rows), ROWS or DISCARD */
				conn->phase = MY_IDLE;
				conn->goal = GOAL_NONE;
				return FED_IO_DONE;

			case MY_IDLE:
			case MY_RESULT:
			case MY_BROKEN:
				elog(ERROR, "federate: mysql driver run in resting state %d",
					 (int) conn->phase);
				break;
		}
	}
}

/* A library call suspended: remember what it waits for, tell the caller. */
static int
suspend_call(MyConn *conn, int status)
{
	conn->suspended = true;
	conn->wait_status = status;
	if (status & MYSQL_WAIT_TIMEOUT)
	{
		conn->wait_timeout = (int) mysql_get_timeout_value_ms(conn->mysql);
		INSTR_TIME_SET_CURRENT(conn->wait_start);
	}
	else
		conn->wait_timeout = -1;
	return wait_events(status);
}

/*
 * The ready_status to resume a suspended call with, or 0 if it should not be
 * resumed yet.
 *
 * The caller does not tell us why it came back.  Without a timeout that
 * does not matter: we pass the events the call asked for, and if they have
 * not occurred after all, the library simply finds nothing to read or write
 * and suspends again.  MYSQL_WAIT_TIMEOUT, however, makes the library give
 * up the operation, so it is passed only when the timeout has expired and
 * the socket is still not ready.
 */
static int
resume_status(MyConn *conn)
{
	int			want = conn->wait_status;
	int			sockbits = want & (MYSQL_WAIT_READ | MYSQL_WAIT_WRITE |
								   MYSQL_WAIT_EXCEPT);
	int			ready;

	if ((want & MYSQL_WAIT_TIMEOUT) == 0)
		return sockbits;

	ready = socket_ready_now(conn, sockbits);
	if (ready != 0)
		return ready;
	if (remaining_ms(conn) <= 0)
		return MYSQL_WAIT_TIMEOUT;
	return 0;
}

/*
 * Make sure the connection's socket is in non-blocking mode.
 *
 * Connector/C reads and writes a plain socket with MSG_DONTWAIT, so for it
 * the mode of the socket does not matter.  TLS reads and writes go through
 * OpenSSL's read() and write(), though, and they would block in the middle
 * of a "non-blocking" call, because the library puts the socket back into
 * blocking mode as soon as the TCP connection is made (seen with Connector/C
 * 3.3).  So once connected we set O_NONBLOCK ourselves; from then on TLS
 * reads and writes suspend like plain ones.  Nothing in the library depends
 * on the socket being blocking: its blocking calls, of which close() makes
 * the only one, wait with poll() when they meet EAGAIN.
 *
 * The TLS handshake cannot be helped that way: that library code waits for
 * the socket with poll() itself, and fails at once if it finds nothing to
 * read.  It stays blocking, see bound_connect_io().
 *
 * Returns true if the socket is (now) non-blocking.
 */
static bool
set_socket_nonblocking(MyConn *conn)
{
	my_socket	sock;
	int			flags;

	if (conn->phase != MY_CONNECTING && connection_gone(conn))
		return false;
	sock = mysql_get_socket(conn->mysql);
	if (sock < 0)
		return false;
	flags = fcntl(sock, F_GETFL);
	if (flags < 0)
		return false;
	if ((flags & O_NONBLOCK) == 0 &&
		fcntl(sock, F_SETFL, flags | O_NONBLOCK) < 0)
		return false;
	return true;
}

/*
 * Bound the blocking I/O of a connection attempt, before each step of it.
 *
 * During the TLS handshake the socket is in blocking mode (see
 * set_socket_nonblocking), and a server that stops answering would hold us
 * in read() for ever.  Socket timeouts turn that into an error after
 * connect_timeout (or TLS_HANDSHAKE_TIMEOUT) seconds.  Plain reads and
 * writes do not wait, so they are not affected.  The timeouts can only be
 * set once the library has created the socket and suspended for the first
 * time: a handshake completing within the very first call of a connection
 * attempt (a local server answering at once) is not bounded.
 */
static void
bound_connect_io(MyConn *conn)
{
	my_socket	sock = mysql_get_socket(conn->mysql);
	struct timeval tv;

	if (sock < 0)
		return;
	tv.tv_sec = conn->connect_timeout > 0 ?
		(time_t) conn->connect_timeout : TLS_HANDSHAKE_TIMEOUT;
	tv.tv_usec = 0;
	(void) setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	(void) setsockopt(sock, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* Which of the MYSQL_WAIT_* socket events in "want" are ready now? */
static int
socket_ready_now(MyConn *conn, int want)
{
	struct pollfd pfd;
	my_socket	sock;
	int			ready = 0;

	if (want == 0)
		return 0;
	sock = mysql_get_socket(conn->mysql);
	if (sock < 0)
		return want;			/* let the library find out */

	pfd.fd = sock;
	pfd.events = 0;
	pfd.revents = 0;
	if (want & MYSQL_WAIT_READ)
		pfd.events |= POLLIN;
	if (want & MYSQL_WAIT_WRITE)
		pfd.events |= POLLOUT;
	if (want & MYSQL_WAIT_EXCEPT)
		pfd.events |= POLLPRI;

	if (poll(&pfd, 1, 0) <= 0)
		return 0;
	if (pfd.revents & (POLLERR | POLLHUP | POLLNVAL))
		return want;
	if (pfd.revents & POLLIN)
		ready |= MYSQL_WAIT_READ;
	if (pfd.revents & POLLOUT)
		ready |= MYSQL_WAIT_WRITE;
	if (pfd.revents & POLLPRI)
		ready |= MYSQL_WAIT_EXCEPT;
	return ready & want;
}

/* Milliseconds left of the timeout of the suspended call, at least 0. */
static int
remaining_ms(MyConn *conn)
{
	instr_time	now;
	double		elapsed;

	INSTR_TIME_SET_CURRENT(now);
	INSTR_TIME_SUBTRACT(now, conn->wait_start);
	elapsed = INSTR_TIME_GET_MILLISEC(now);
	if (elapsed >= (double) conn->wait_timeout)
		return 0;
	return conn->wait_timeout - (int) elapsed;
}

/* MYSQL_WAIT_* mask -> WL_* mask. */
static int
wait_events(int status)
{
	int			events = 0;

	if (status & MYSQL_WAIT_READ)
		events |= WL_SOCKET_READABLE;
	if (status & MYSQL_WAIT_WRITE)
		events |= WL_SOCKET_WRITEABLE;
	/* latches have no "exceptional condition"; errors make it readable */
	if ((status & MYSQL_WAIT_EXCEPT) && events == 0)
		events |= WL_SOCKET_READABLE;
	if (status & MYSQL_WAIT_TIMEOUT)
		events |= WL_TIMEOUT;
	Assert(events != 0);
	return events;
}

/* Describe the current row of the open result in *row. */
static void
fill_row(MyConn *conn, MYSQL_ROW values, FedRow *row)
{
	unsigned int ncols = mysql_num_fields(conn->result);
	unsigned long *lengths = mysql_fetch_lengths(conn->result);
	unsigned int i;

	if ((int) ncols > conn->lengths_size || conn->lengths == NULL)
	{
		int			size = Max((int) ncols, 8);

		if (conn->lengths)
			pfree(conn->lengths);
		conn->lengths = (int *) MemoryContextAlloc(conn->cxt,
												   size * sizeof(int));
		conn->lengths_size = size;
	}
	for (i = 0; i < ncols; i++)
		conn->lengths[i] = (values[i] != NULL && lengths != NULL) ?
			(int) lengths[i] : 0;

	row->ncols = (int) ncols;
	row->values = values;
	row->lengths = conn->lengths;
}

/*
 * Free the open result without reading anything more.  Used when the result
 * has ended already (the library then detached it from the connection
 * itself) and by close(), where the connection is being thrown away: with
 * no connection attached, freeing never touches the network.
 */
static void
release_result_now(MyConn *conn)
{
	MYSQL_RES  *res = conn->result;

	conn->result = NULL;
	if (res == NULL)
		return;
	res->handle = NULL;
	if (mysql_free_result_start(res) != 0)
		elog(ERROR, "federate: freeing a detached MySQL result had to wait");
}

/* Has the library shut the connection down (after a network error)? */
static bool
connection_gone(MyConn *conn)
{
	return conn->mysql == NULL || conn->mysql->net.pvio == NULL;
}

static bool
is_lost_code(unsigned int code)
{
	switch (code)
	{
		case CR_CONNECTION_ERROR:
		case CR_CONN_HOST_ERROR:
		case CR_SERVER_GONE_ERROR:
		case CR_SERVER_LOST:
		case CR_SERVER_LOST_EXTENDED:
			return true;
		default:
			return false;
	}
}


/* ----------------------------------------------------------------
 *		Errors
 * ----------------------------------------------------------------
 */

/*
 * Fill *err from the handle's last error and leave the machine at rest:
 * MY_BROKEN if the connection is lost (always so when "lost" is given),
 * MY_IDLE otherwise.  The strings are copied at once.
 */
/*
 * PostgreSQL's SQLSTATE for a MySQL error number, where one means the same
 * thing: MySQL reports most constraint failures as 23000 and lock and data
 * errors as HY000, and code that catches unique_violation (an ORM's
 * get-or-create) must see 23505.  The number stays in the error's detail.
 */
static const char *
pg_sqlstate_of(unsigned int code)
{
	switch (code)
	{
		case 1062:				/* ER_DUP_ENTRY */
		case 1586:				/* ER_DUP_ENTRY_WITH_KEY_NAME */
			return "23505";		/* unique_violation */
		case 1048:				/* ER_BAD_NULL_ERROR */
		case 1364:				/* ER_NO_DEFAULT_FOR_FIELD */
			return "23502";		/* not_null_violation */
		case 1216:				/* ER_NO_REFERENCED_ROW */
		case 1217:				/* ER_ROW_IS_REFERENCED */
		case 1451:				/* ER_ROW_IS_REFERENCED_2 */
		case 1452:				/* ER_NO_REFERENCED_ROW_2 */
			return "23503";		/* foreign_key_violation */
		case 3819:				/* MySQL's ER_CHECK_CONSTRAINT_VIOLATED */
		case 4025:				/* MariaDB's ER_CONSTRAINT_FAILED */
			return "23514";		/* check_violation */
		case 1213:				/* ER_LOCK_DEADLOCK */
			return "40P01";		/* deadlock_detected */
		case 1205:				/* ER_LOCK_WAIT_TIMEOUT */
			return "55P03";		/* lock_not_available */
		case 1406:				/* ER_DATA_TOO_LONG */
			return "22001";		/* string_data_right_truncation */
		case 1264:				/* ER_WARN_DATA_OUT_OF_RANGE */
		case 1690:				/* ER_DATA_OUT_OF_RANGE */
			return "22003";		/* numeric_value_out_of_range */
		case 1365:				/* ER_DIVISION_BY_ZERO */
			return "22012";		/* division_by_zero */
		case 1292:				/* ER_TRUNCATED_WRONG_VALUE */
			return "22007";		/* invalid_datetime_format */
		case 1366:				/* ER_TRUNCATED_WRONG_VALUE_FOR_FIELD */
			return "22P02";		/* invalid_text_representation */
		case 1054:				/* ER_BAD_FIELD_ERROR */
			return "42703";		/* undefined_column */
		case 1146:				/* ER_NO_SUCH_TABLE */
			return "42P01";		/* undefined_table */
		case 1064:				/* ER_PARSE_ERROR */
			return "42601";		/* syntax_error */
		case 1142:				/* ER_TABLEACCESS_DENIED_ERROR */
		case 1143:				/* ER_COLUMNACCESS_DENIED_ERROR */
			return "42501";		/* insufficient_privilege */
		default:
			return NULL;
	}
}

static int
report_mysql_error(MyConn *conn, FedRemoteError *err, bool lost)
{
	MYSQL	   *m = conn->mysql;
	unsigned int code = mysql_errno(m);
	const char *message = mysql_error(m);
	const char *sqlstate = mysql_sqlstate(m);

	if (message == NULL || message[0] == '\0')
		message = conn->goal == GOAL_CONNECT ? "could not connect" :
			"unknown MySQL error";
	if (sqlstate == NULL || strlen(sqlstate) != 5)
		sqlstate = "";
	if (pg_sqlstate_of(code) != NULL)
		sqlstate = pg_sqlstate_of(code);
	lost = lost || is_lost_code(code) || connection_gone(conn);

	conn->goal = GOAL_NONE;
	conn->suspended = false;
	conn->phase = lost ? MY_BROKEN : MY_IDLE;
	return report_error(err, message, sqlstate, (int) code, lost);
}

/* Fill *err with the given values (nothing else); returns FED_IO_ERROR. */
static int
report_error(FedRemoteError *err, const char *message, const char *sqlstate,
			 int code, bool lost)
{
	strlcpy(err->sqlstate, sqlstate, sizeof(err->sqlstate));
	err->message = pstrdup(message);
	err->detail = NULL;
	err->hint = NULL;
	err->context = NULL;
	err->native_code = code;
	err->connection_lost = lost;
	return FED_IO_ERROR;
}

/* The error for any use of a handle whose connection is lost. */
static int
report_broken(FedRemoteError *err)
{
	return report_error(err, "connection to server was lost",
						MY_LOST_SQLSTATE, CR_SERVER_GONE_ERROR, true);
}


/* ----------------------------------------------------------------
 *		Connection options
 * ----------------------------------------------------------------
 */

/* Copy the options we know into the handle; ignore the others. */
static void
parse_options(MyConn *conn, const char *const *keys, const char *const *values)
{
	int			i;

	for (i = 0; keys[i] != NULL; i++)
	{
		const char *key = keys[i];
		const char *val = values[i];

		if (val == NULL)
			continue;

		if (strcmp(key, "host") == 0)
		{
			if (val[0] == '\0')
				continue;
			/* like libpq: a host starting with '/' is a Unix socket path */
			if (val[0] == '/')
				conn->unix_socket = pstrdup(val);
			else
				conn->host = pstrdup(val);
		}
		else if (strcmp(key, "port") == 0)
		{
			long		port = strtol(val, NULL, 10);

			if (port > 0 && port < 65536)
				conn->port = (unsigned int) port;
		}
		else if (strcmp(key, "dbname") == 0)
			conn->dbname = val[0] ? pstrdup(val) : NULL;
		else if (strcmp(key, "user") == 0)
			conn->user = val[0] ? pstrdup(val) : NULL;
		else if (strcmp(key, "password") == 0)
			conn->password = pstrdup(val);
		else if (strcmp(key, "connect_timeout") == 0)
		{
			long		secs = strtol(val, NULL, 10);

			conn->connect_timeout = (secs > 0 && secs < INT_MAX) ?
				(unsigned int) secs : 0;
		}
		else if (strcmp(key, "application_name") == 0)
			conn->application_name = val[0] ? pstrdup(val) : NULL;
		else if (strcmp(key, "ssl_ca") == 0)
			conn->ssl_ca = val[0] ? pstrdup(val) : NULL;
		else if (strcmp(key, "ssl_capath") == 0)
			conn->ssl_capath = val[0] ? pstrdup(val) : NULL;
		else if (strcmp(key, "ssl_cert") == 0)
			conn->ssl_cert = val[0] ? pstrdup(val) : NULL;
		else if (strcmp(key, "ssl_key") == 0)
			conn->ssl_key = val[0] ? pstrdup(val) : NULL;
		else if (strcmp(key, "ssl_cipher") == 0)
			conn->ssl_cipher = val[0] ? pstrdup(val) : NULL;
		else if (strcmp(key, "ssl_verify_server_cert") == 0)
		{
			bool		b;

			if (parse_bool(val, &b))
			{
				conn->ssl_verify_set = true;
				conn->ssl_verify = b ? 1 : 0;
			}
		}
		else if (strcmp(key, "password_auth_only") == 0)
		{
			bool		b;

			conn->password_auth_only = parse_bool(val, &b) && b;
		}
	}
}

/*
 * Set the options shared by the main and the cancel connection on m.
 * Returns false if the library refused one.
 */
static bool
apply_options(MyConn *conn, MYSQL *m)
{
	bool		ok = true;
	unsigned int no_local_infile = 0;
	unsigned int protocol;

	ok &= mysql_options(m, MYSQL_SET_CHARSET_NAME, "utf8mb4") == 0;

	/*
	 * Never let a server make us send one of our files (LOAD DATA LOCAL):
	 * the request can come in answer to any statement.
	 */
	ok &= mysql_options(m, MYSQL_OPT_LOCAL_INFILE, &no_local_infile) == 0;

	/*
	 * As in libpq, a host name means TCP even if it is "localhost" (which
	 * the library would otherwise take as "the default Unix socket",
	 * ignoring the port), and a path means that socket.
	 */
	if (conn->unix_socket != NULL)
	{
		protocol = MYSQL_PROTOCOL_SOCKET;
		ok &= mysql_options(m, MYSQL_OPT_PROTOCOL, &protocol) == 0;
	}
	else if (conn->host != NULL)
	{
		protocol = MYSQL_PROTOCOL_TCP;
		ok &= mysql_options(m, MYSQL_OPT_PROTOCOL, &protocol) == 0;
	}

	if (conn->connect_timeout > 0)
		ok &= mysql_options(m, MYSQL_OPT_CONNECT_TIMEOUT,
							&conn->connect_timeout) == 0;

	if (conn->ssl_ca)
		ok &= mysql_options(m, MYSQL_OPT_SSL_CA, conn->ssl_ca) == 0;
	if (conn->ssl_capath)
		ok &= mysql_options(m, MYSQL_OPT_SSL_CAPATH, conn->ssl_capath) == 0;
	if (conn->ssl_cert)
		ok &= mysql_options(m, MYSQL_OPT_SSL_CERT, conn->ssl_cert) == 0;
	if (conn->ssl_key)
		ok &= mysql_options(m, MYSQL_OPT_SSL_KEY, conn->ssl_key) == 0;
	if (conn->ssl_cipher)
		ok &= mysql_options(m, MYSQL_OPT_SSL_CIPHER, conn->ssl_cipher) == 0;
	if (conn->ssl_verify_set)
		ok &= mysql_options(m, MYSQL_OPT_SSL_VERIFY_SERVER_CERT,
							&conn->ssl_verify) == 0;

	if (conn->application_name)
		ok &= mysql_options4(m, MYSQL_OPT_CONNECT_ATTR_ADD, "program_name",
							 conn->application_name) == 0;

	/*
	 * A connection that must be authenticated by its password (a
	 * non-superuser's, see fed_conn_params) may not use a client plugin
	 * that authenticates otherwise, such as GSSAPI with the coordinator's
	 * own Kerberos credentials.  (Plugins that only check who is at the
	 * other end of a Unix socket need no client plugin; fed_conn_params
	 * keeps such connections off sockets.)
	 */
	if (conn->password_auth_only)
		ok &= mysql_optionsv(m, MARIADB_OPT_RESTRICTED_AUTH,
							 MY_PASSWORD_PLUGINS) == 0;

	return ok;
}


/* ----------------------------------------------------------------
 *		close() helpers
 * ----------------------------------------------------------------
 */

/*
 * Make a suspended library call give up, so that its coroutine finishes and
 * the library cleans up after it (closing the socket of a connection
 * attempt, detaching a result) instead of leaving that to a stack that
 * mysql_close() would just free.
 *
 * MYSQL_WAIT_TIMEOUT makes a waiting plain-socket read, write or connect
 * fail at once.  A TLS read or write ignores it and retries, but the socket
 * has been shut down by then (see mydrv_close), so the retry fails at once
 * too.  A connection attempt may move on to the next address and suspend
 * again, hence the loop; the bound is only a safety net.
 */
static void
abort_suspended_call(MyConn *conn)
{
	int			tries;

	for (tries = 0; conn->suspended && tries < 64; tries++)
	{
		int			status = 0;

		switch (conn->phase)
		{
			case MY_CONNECTING:
				{
					MYSQL	   *ret;

					status = mysql_real_connect_cont(&ret, conn->mysql,
													 MYSQL_WAIT_TIMEOUT);
					break;
				}
			case MY_QUERY:
				{
					int			ret;

					status = mysql_real_query_cont(&ret, conn->mysql,
												   MYSQL_WAIT_TIMEOUT);
					break;
				}
			case MY_FETCH:
				{
					MYSQL_ROW	values;

					status = mysql_fetch_row_cont(&values, conn->result,
												  MYSQL_WAIT_TIMEOUT);
					break;
				}
			case MY_FREE:
				status = mysql_free_result_cont(conn->result,
												MYSQL_WAIT_TIMEOUT);
				if (status == 0)
					conn->result = NULL;	/* freed by the library */
				break;
			case MY_NEXT_RESULT:
				{
					int			ret;

					status = mysql_next_result_cont(&ret, conn->mysql,
													MYSQL_WAIT_TIMEOUT);
					break;
				}
			default:
				status = 0;
				break;
		}
		if (status == 0)
			conn->suspended = false;
	}
}

static void
free_string(char *s)
{
	if (s != NULL)
		pfree(s);
}

/*-------------------------------------------------------------------------
 *
 * conn_internal.h
 *		What the files of remote/ share about a connection: FedConn, its
 *		phases and remote transaction states, and the functions one file
 *		calls in another.  Nothing outside remote/ includes this.
 *
 * src/remote/conn_internal.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef FEDERATE_CONN_INTERNAL_H
#define FEDERATE_CONN_INTERNAL_H

#include "datatype/timestamp.h"
#include "pgtime.h"
#include "utils/hsearch.h"

#include "remote/remote.h"
#include "health/health.h"

/*
 * During abort cleanup, the longest wait for a server to end what was in
 * flight (a SET or BEGIN, a cancelled statement) and to roll back: a
 * healthy server takes milliseconds; one that does not answer in time has
 * its connection closed (the remote transaction ends with it) rather than
 * keep the user waiting.
 */
#define FED_ABORT_WAIT_MS		1000

/*
 * The bound of every cancel request (MySQL's side connection keeps the
 * timeouts it was opened with, so one bound serves every use): a server
 * that does not answer within it is not waited for, its connection is
 * closed, and control returns to the user within about this much of the
 * error.
 */
#define FED_CANCEL_TIMEOUT_SEC	1

/* This backend's local transaction id (PGPROC moved it in 17) */
#if PG_VERSION_NUM >= 170000
#define FED_MY_LXID		(MyProc->vxid.lxid)
#else
#define FED_MY_LXID		(MyProc->lxid)
#endif

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
	FED_PHASE_BEGIN,			/* BEGIN, SAVEPOINT (or a pending RELEASE)
								 * in flight */
	FED_PHASE_QUERY,			/* the caller's statement sent, result not open */
	FED_PHASE_OPEN				/* the caller's result is open */
} FedPhase;

/*
 * A connection's remote transaction (xact.c).  depth counts its
 * levels: 0 in NONE and BROKEN, 1 for the transaction, one more for each
 * savepoint, as the local levels it follows.
 *
 *	 from			event							to
 *	 -------------	------------------------------	-------------------------
 *	 NONE			BEGIN done (fed_xact_opened)	OPEN
 *	 OPEN			a write (fed_conn_note_write)	WRITTEN
 *	 OPEN			connection lost, the local		NONE: a later statement
 *					transaction READ COMMITTED		reads in a new one, as a
 *													local statement would
 *	 OPEN			connection lost, the local		BROKEN
 *					transaction keeps one snapshot
 *	 WRITTEN		connection lost					BROKEN
 *	 OPEN, WRITTEN	COMMIT or ROLLBACK done			NONE (fed_xact_ended)
 *	 OPEN			a failed read given up			NONE
 *					(fed_conn_abandon)
 *	 BROKEN			the local transaction ends		NONE
 *	 WRITTEN		PREPARE done, the transaction	PREPARED (depth 0; the
 *					wrote through two or more		connection is free of it)
 *					connections (fed_xact_prepare_	
 *					wait; a failed one: NONE)
 *	 PREPARED		connection lost					PREPARED, no connection
 *	 PREPARED		COMMIT/ROLLBACK PREPARED done	NONE
 *					after the local end
 *					(fed_xact_resolve_wait)
 *	 PREPARED		not done (connection lost, a	NONE: in doubt on the
 *					failure, a fault injected)		server, for recovery; a
 *					(fed_xact_resolve_missed)		named branch's connection
 *													is closed
 *
 * In BROKEN the local transaction must not commit (commit_all raises), and
 * the connection serves nothing more in it (fed_pool_prepare raises).
 *
 * When a local subtransaction commits (RELEASE SAVEPOINT) while a reader's
 * statement sent in it still streams on the connection, its savepoint
 * stays on the server: the reader's portal lives on at the parent level,
 * and nothing else can be sent on the connection before the stream is read
 * or parked.  depth drops at once, and release_pending says that the
 * server still has savepoint depth + 1 (and those above it), all
 * released locally:
 *
 *	 from			event							to
 *	 -------------	------------------------------	-------------------------
 *	 not pending	RELEASE of level L while a		depth = L - 1,
 *					reader's statement sent in L	pending
 *					runs, or while its start opens
 *					L's savepoint (then it counts
 *					as released once opened)
 *	 pending		c made idle for a statement		not pending: RELEASE
 *					(fed_xact_release_pending),		SAVEPOINT of level
 *					or a starting statement needs	depth + 1 sent
 *					a savepoint of that level
 *					(next_xact_step)
 *	 pending		RELEASE, ROLLBACK TO of a		not pending (that statement
 *					level <= depth				ends those savepoints too)
 *	 pending		COMMIT, ROLLBACK, connection	not pending
 *					lost (fed_xact_ended, _lose)
 */
typedef enum FedXactState
{
	FED_XACT_NONE,				/* no remote transaction */
	FED_XACT_OPEN,				/* open, nothing changed through it yet */
	FED_XACT_WRITTEN,			/* open, and data changed through it */
	FED_XACT_BROKEN,			/* lost with its connection in the middle */
	FED_XACT_PREPARED			/* prepared (twophase.c), its second phase
								 * to come */
} FedXactState;

/*
 * A connection is five parts, each with one owner that changes it; the
 * other files read it, or ask its owner through a function:
 *
 *	 part				 owner			 what it holds
 *	 ------------------	 -------------	 -------------------------------------
 *	 FedConn's own		 connection.c,	 the driver handle, the server and user
 *	 fields				 pool.c			 mapping, the budget, the pool's timers
 *	 rx (FedRemoteXact)	 xact.c			 the remote transaction: its state,
 *										 levels, branch id, snapshot; two-phase
 *										 commit moves it to PREPARED and back
 *										 only through xact.c's fed_xact_prepare_*
 *										 and fed_xact_resolve_* (twophase.c
 *										 decides when)
 *	 step (FedStepState) step.c			 the asynchronous state machine that
 *										 connects, sets up, opens the remote
 *										 transaction and starts a statement
 *	 sess (FedSession)	 step.c			 the remote session's settings as sent
 *										 (pool.c sets the current statement's
 *										 bounds)
 *	 stream (FedStream)	 connection.c,	 the reader holding the connection
 *						 pool.c			 (handed over, parked, dropped) and its
 *										 statement (step.c records it when it
 *										 starts; xact.c moves its level)
 *
 * The files call downwards: twophase.c -> xact.c -> step.c -> the driver,
 * and connection.c and pool.c hand connections to readers and writers.
 * Upwards only: step.c asks xact.c for the text that opens a remote
 * transaction (fed_xact_begin_text, fed_xact_begin_row, and the release of
 * savepoints left pending, fed_xact_take_pending) and tells it when one is
 * open or over (fed_xact_opened, fed_xact_ended); a connection closed or
 * made idle tells xact.c (fed_xact_lose, fed_xact_release_pending).
 */
typedef struct FedRemoteXact
{
	FedXactState state;
	int			depth;			/* 0 = no remote transaction, 1 = open,
								 * >1 = that many levels of savepoints */
	bool		release_pending;	/* savepoint depth + 1 still on the
									 * server (see above) */
	char		gid[72];		/* its branch id: on engines that name it at
								 * its start (FedDriver.xa_start_fmt) from
								 * then, on the others once PREPARED; "" none */
	char		buf[200];		/* the text of its BEGIN, COMMIT or ROLLBACK */
	char		snapshot[64];	/* the snapshot it exported ("" none) */
	bool		exporting;		/* its BEGIN in flight exports it */
	bool		want_export;	/* its next BEGIN should export it, where
								 * the local transaction may share one
								 * (fed_conn_want_export) */
	LocalTransactionId write_lxid;	/* the local transaction and command */
	CommandId	write_cid;		/* that last wrote through it */
	int			end_r;			/* its COMMIT, PREPARE or second phase in
								 * flight: the driver's first step */
} FedRemoteXact;

/* The reader holding the connection, and its statement (fed_conn_start) */
typedef struct FedStream
{
	void	   *owner;			/* NULL: no reader */
	FedParkCallback park;
	int			level;			/* local nesting level the statement belongs
								 * to (xact.c) */
	const char *sql;			/* the caller's statement, or NULL */
	int			nparams;
	const char *const *params;
	int			fetch_size;
	FedAutocommit autocommit;	/* may run outside a remote transaction */
} FedStream;

/* The remote session's settings, as step.c sent them */
typedef struct FedSession
{
	int			connect_timeout;	/* seconds, 0 = none */
	int			stmt_timeout;	/* ms, 0 = none: of the current statement */
	bool		connect_timeout_counts; /* the bounds are the server's own or */
	bool		stmt_timeout_counts;	/* an administrator's: passing them
										 * counts against the circuit */
	int			remote_timeout; /* ms, the session's (drivers that keep it) */
	int			pending_timeout;
	char		remote_tz[TZ_STRLEN_MAX + 1];	/* the remote transaction's
												 * TimeZone ("" unknown) */
	bool		pending_tz;		/* the SET in flight is the TimeZone's */
	bool		pending_session;	/* the SET in flight is the session's */
	char		session_tz[TZ_STRLEN_MAX + 1];	/* the remote session's own
												 * TimeZone ("" unknown) */
	int			session_timeout;	/* ms, the remote session's own statement
									 * timeout (0 the server's default, -1
									 * unknown), for timeout_in_xact drivers */
} FedSession;

/* The asynchronous state machine (step.c) */
typedef struct FedStepState
{
	FedPhase	phase;
	bool		draining;		/* reading an internal statement's rows */
	int			setup_step;		/* index into driver->session_setup */
	int			pending_depth;	/* rx.depth once BEGIN/SAVEPOINT is done */
	bool		may_reconnect;	/* BEGIN on a connection made earlier */
	bool		prefixed;		/* BEGIN went ahead of the statement */
	TimestampTz connect_deadline;
	const char *cur_sql;		/* internal statement in flight */
	char		stmt_buf[768];	/* its text, for savepoints and BEGIN */
} FedStepState;

struct FedConn
{
	FedConnKey	key;			/* hash key */
	Oid			serverid;
	Oid			userid;
	char		servername[NAMEDATALEN];
	const FedDriver *driver;
	void	   *handle;			/* NULL when not connected */
	MemoryContext cxt;			/* the handle's memory */
	bool		invalidated;	/* server or mapping changed: reconnect */
	uint32		server_hashvalue;
	uint32		mapping_hashvalue;
	bool		cancel_sent;	/* during abort: cancel already requested */
	bool		cancel_doubtful;	/* a cancel request got no answer: it
									 * may still arrive and stop a later
									 * statement, so c is not reused */
	bool		budget_held;	/* holds a unit of the server's budget */
	bool		idle_counted;	/* counted idle in the budget's view */
	int			budget;			/* the server's budget (0 = none) */
	TimestampTz connected_at;
	int			max_prepared;	/* the server's max_prepared_transactions
								 * (-1 not asked yet, twophase.c) */
	uint64		generation;		/* a number new for each connection made */
	TimestampTz last_used;
	ForeignServer *server;		/* valid during the current statement */
	UserMapping *user;

	FedRemoteXact rx;
	FedStream	stream;
	FedSession	sess;
	FedStepState step;
};

typedef enum FedStep
{
	FED_STEP_CONNECT,
	FED_STEP_QUERY,
	FED_STEP_ROW,
	FED_STEP_DISCARD
} FedStep;

/* in connection.c */
extern List *fed_unresponsive_servers;
extern void fed_conn_copy_error(FedRemoteError *dst, const FedRemoteError *src);
extern void fed_conn_close_handle(FedConn *c);
extern void fed_conn_note_failure(FedConn *c, FedFailKind kind,
								  FedRemoteError *err);
extern void fed_conn_note_unresponsive(FedConn *c);
extern void fed_conn_cancel_running(FedConn *c);
extern void fed_conn_fail(FedConn *c, FedRemoteError *err, const char *sql);
extern void fed_conn_make_idle(FedConn *c);
extern void fed_conn_drop_owner(FedConn *c, FedReaderEvent event);
extern void fed_conn_clear_reader(FedConn *c);

/* in twophase.c */
#define FED_GID_LEN				64	/* MySQL's XA limit, and ours */
extern void fed_2pc_branch_gid(char *buf, size_t len);
extern void fed_2pc_prepare(void);
extern void fed_2pc_commit(void);
extern void fed_2pc_abort(void);

/* in pool.c */
extern HTAB *fed_conn_hash;
extern FedConn *fed_pool_entry(UserMapping *user, int slot);
extern bool fed_pool_holds_busy(Oid serverid);
extern TimestampTz fed_pool_budget_deadline(ForeignServer *server);
extern void fed_pool_settle_idle(void);

/* in step.c */
extern bool fed_conn_wait_for(FedConn *c, int events, TimestampTz deadline,
							  bool interruptible);
extern int	fed_conn_drive(FedConn *c, FedStep step, int r, FedRow *row,
						   FedRemoteError *err, TimestampTz deadline,
						   bool interruptible);
extern void fed_conn_log_sql(FedConn *c, const char *sql);
extern bool fed_conn_finish_internal(FedConn *c, int r, FedRemoteError *err,
									 TimestampTz deadline, bool interruptible,
									 uint64 *affected);
extern bool fed_conn_exec_internal(FedConn *c, const char *sql, int nparams,
								   const char *const *params,
								   FedRemoteError *err, TimestampTz deadline,
								   bool interruptible, uint64 *affected);
extern void fed_conn_set_tag(void);
extern void fed_append_sql(char *buf, int size, const char *sql);
extern bool fed_conn_settle(FedConn *c, TimestampTz deadline);
extern void fed_conn_forget_xact_settings(FedConn *c);
extern void fed_conn_run_sync(FedConn *c, int r, FedRemoteError *err);
extern bool fed_conn_begin_released(FedConn *c, int level);

/* in xact.c */
extern void fed_xact_init(void);
extern void fed_xact_lose(FedConn *c);
extern void fed_xact_opened(FedConn *c, int depth);
extern bool fed_xact_begin_text(FedConn *c, const char *settings,
								char *buf, int len);
extern void fed_xact_begin_row(FedConn *c, FedRow *row);
extern void fed_xact_ended(FedConn *c);
extern void fed_xact_end_failed(FedConn *c, FedRemoteError *err,
								const char *sql);
extern void fed_xact_read_sent(FedConn *c);
extern bool fed_xact_take_pending(FedConn *c, char *buf, size_t len);
extern void fed_xact_release_pending(FedConn *c);
extern bool fed_xact_may_export(void);
extern bool fed_xact_prepare_send(FedConn *c, FedRemoteError *err);
extern bool fed_xact_prepare_wait(FedConn *c, FedRemoteError *err);
extern bool fed_xact_branch_gone(FedConn *c, FedRemoteError *err, bool commit);
extern void fed_xact_resolve_send(FedConn *c, bool commit);
extern bool fed_xact_resolve_wait(FedConn *c, bool commit,
								  TimestampTz deadline, FedRemoteError *err);
extern void fed_xact_resolve_missed(FedConn *c, bool lost);

#endif							/* FEDERATE_CONN_INTERNAL_H */

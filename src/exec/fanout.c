/*-------------------------------------------------------------------------
 *
 * fanout.c
 *		THE fan-out loop: every shard's statement in flight at once, all
 *		their sockets in one wait.
 *
 * A fan-out holds one task per shard.  fed_fanout_start claims a
 * connection for each task (a separate connection per task, even for two
 * partitions on one server, unless the transaction has written there; see
 * fed_conn_claim) and takes the first step of each: connecting if needed,
 * opening the remote transaction, sending the statement.  Nothing waits
 * until every task has been sent, so N shards cost about the slowest one,
 * not the sum.
 *
 * Rows are then pulled either from whichever task has one ready
 * (fed_fanout_next: concatenation) or from one given task
 * (fed_fanout_next_of: the ordered merge asks for the next row of the
 * stream it just consumed).  A task that would block leaves its wait mask
 * behind; when nothing is ready, one WaitEventSet is built over the
 * process latch and every waiting task's socket, with a timeout for
 * drivers that asked for one (MariaDB) and for connection deadlines.  The
 * latch wakes us for interrupts: CHECK_FOR_INTERRUPTS then unwinds, and
 * the transaction abort callback (remote/connection.c) cancels every
 * statement still running on a shard.
 *
 * Each task converts its rows into its own slot, in a memory context reset
 * before every row, so a row stays valid until the next row of the same
 * task is asked for: what the ordered merge needs.  Rows stream in
 * batches of fetch_size; nothing here holds more than one batch per task,
 * except when another statement needs a task's connection before the task
 * is done: the task then "parks", reading its remaining rows into a
 * tuplestore (which spills to disk past work_mem), and continues from
 * there.
 *
 * Failures (a connection refused or lost, a timeout, an open circuit
 * breaker, a remote error) are handled per task, here:
 *
 *	- a read that failed to connect or lost its connection before any of
 *	  its rows was used, in a remote transaction it opened itself, is
 *	  retried after a backoff (exponential, with jitter; federate.max_retries,
 *	  retry_base_delay, retry_max_delay), while the other tasks go on;
 *	- then, if the server names a replica (server option "replica"), the
 *	  task moves there, or for a reference table to the first other server
 *	  its option "copies" names;
 *	- then it is given up: in strict mode (federate.on_shard_failure) the
 *	  query fails with the task's error; in partial mode the task is marked
 *	  failed and the others go on.  The scan node reports the coverage.
 *
 * A task that already returned rows cannot be retried or left out (its
 * rows were used), and a server that was written to in the transaction
 * must not be left silently: both fail the query in either mode.
 *
 * Timeouts: a task waiting longer than its statement timeout plus a grace
 * (the server's own statement_timeout usually fires first) fails with
 * "timeout", and federate.total_timeout bounds the whole fan-out, backoffs
 * included.  A failed task's statement is cancelled on its server and its
 * connection closed (health/, remote/connection.c count the failure).
 *
 * The WaitEventSet lives only inside one wait (it holds an epoll file
 * descriptor that no resource owner tracks on PostgreSQL 15), and is freed
 * before any interrupt is served.
 *
 * src/exec/fanout.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <limits.h>

#include "catalog/pg_user_mapping.h"
#include "common/pg_prng.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/latch.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

#include "exec/fanout.h"
#include "health/health.h"

typedef enum FedTaskState
{
	TASK_IDLE,					/* not started */
	TASK_QUEUED,				/* waiting for a connection to its server */
	TASK_STARTING,				/* connecting, beginning, or query sent */
	TASK_OPEN,					/* rows coming */
	TASK_PARKED,				/* rows in the tuplestore */
	TASK_BACKOFF,				/* waiting to retry */
	TASK_FAILED,				/* given up (partial mode) */
	TASK_LOST,					/* its result ended early (lost_event says
								 * why): asked for rows, it raises */
	TASK_DONE
} FedTaskState;

typedef struct FedTask
{
	FedFanout  *ff;
	int			index;
	bool		used;
	ForeignServer *server;		/* where it runs now (the replica, maybe) */
	UserMapping *user;
	ForeignServer *primary;		/* where it was meant to run */
	Oid			userid;
	Oid			relid;
	const char *sql;			/* the statement (of the current batch) */
	const char **batches;		/* a read in several statements, one after
								 * another (fed_fanout_add_batches) */
	int			nbatches;		/* 1 for one statement */
	int			batch;			/* the one running, from 0 */
	int			nparams;
	const char **params;
	int			fetch_size;
	FedAutocommit autocommit;	/* may run outside a remote transaction */
	bool		command;		/* an UPDATE or DELETE through the writing
								 * connection (fed_fanout_command) */
	bool		share;			/* another task reads its server: they share
								 * one snapshot (see mark_shared) */
	bool		import_retried; /* began again after its import failed */

	FedConn    *conn;
	FedTaskState state;
	int			events;			/* wait mask of the last step */
	bool		ready;			/* worth stepping again */
	bool		fresh;			/* this statement opened the remote xact */
	int			attempts;		/* on the current server */
	TimestampTz retry_at;		/* TASK_BACKOFF: when to start again */
	TimestampTz deadline;		/* waiting for an answer until then, or 0 */
	bool		in_wait;		/* part of the current wait */
	TupleTableSlot *slot;		/* the current row */
	MemoryContext row_cxt;		/* reset before each row */
	Tuplestorestate *parked;
	TupleTableSlot *parked_slot;
	FedReaderEvent lost_event;	/* TASK_LOST: why */
	FedTaskStats stats;
	instr_time	start;
} FedTask;

struct FedFanout
{
	int			ntasks;
	FedTask    *tasks;
	TupleDesc	desc;
	FedRowConverter convert;
	void	   *arg;
	MemoryContext cxt;
	ResourceOwner resowner;		/* the reader's (its portal's): owns the
								 * temporary files of parked rows */
	int			next;			/* round-robin position */
	bool		partial;		/* federate.on_shard_failure when started */
	TimestampTz deadline;		/* federate.total_timeout, or 0 */
	bool		raised;			/* a task's failure failed the query */
	bool		closing;		/* out of time: no more retries */
	bool		writer;			/* read through the writing connection */
	bool		writing;		/* the statement writes (a task must not
								 * wait for a connection: see start_task) */
	bool		reserved;		/* fed_fanout_reserve was called for the
								 * next start */
	int			nqueued;		/* tasks in TASK_QUEUED */
	bool		freed;			/* a task let go of its connection since
								 * the queued ones were last tried */
	bool		export_wait;	/* a task waits for a sibling's BEGIN */
	MemoryContextCallback on_free;	/* the fan-out's memory goes */
};

/*
 * The wait event set of the backend's last fan-out wait, kept while the
 * next waits on the same connections (making one costs an epoll
 * descriptor and a system call per socket: a good part of a targeted
 * query's time, whose connections are kept from query to query).  After
 * the latch and postmaster death, position wait_first + i waits on
 * wait_socks[i] of connection generation wait_gens[i]: a socket closed and
 * opened again (the same number, another connection, which the kernel
 * dropped from the set) is never taken for the one registered.  In
 * TopMemoryContext.
 */
static WaitEventSet *wait_set = NULL;
static int	wait_n = 0;
static int	wait_first = 2;		/* the position of the first socket */
static int	wait_max = 0;
static pgsocket *wait_socks = NULL;
static uint64 *wait_gens = NULL;

static void start_task(FedTask *t, bool force);
static bool next_batch(FedTask *t);
static void task_failed(FedTask *t, FedFailKind kind, FedRemoteError *err,
						const char *detail);

/*
 * The fan-out's memory goes (the query ended, or failed and its executor
 * state is freed without ExecutorEnd): connections still held by its tasks
 * forget them, so that none refers to a task that is gone.
 */
static void
forget_tasks(void *arg)
{
	FedFanout  *ff = (FedFanout *) arg;
	int			i;

	for (i = 0; i < ff->ntasks; i++)
	{
		FedTask    *t = &ff->tasks[i];

		if (t->conn)
			fed_conn_forget(t->conn, t);
		t->conn = NULL;
	}
}

FedFanout *
fed_fanout_create(int ntasks, TupleDesc desc, FedRowConverter convert,
				  void *arg)
{
	FedFanout  *ff = palloc0(sizeof(FedFanout));
	int			i;

	ff->ntasks = ntasks;
	ff->tasks = palloc0(sizeof(FedTask) * Max(ntasks, 1));
	/* an unpinned copy: the slots below are never explicitly dropped */
	ff->desc = CreateTupleDescCopy(desc);
	desc = ff->desc;
	ff->convert = convert;
	ff->arg = arg;
	ff->cxt = CurrentMemoryContext;
	ff->resowner = CurrentResourceOwner;
	for (i = 0; i < ntasks; i++)
	{
		FedTask    *t = &ff->tasks[i];

		t->ff = ff;
		t->index = i;
		t->state = TASK_DONE;
		t->slot = MakeSingleTupleTableSlot(desc, &TTSOpsVirtual);
		t->row_cxt = AllocSetContextCreate(ff->cxt, "federate task row",
										   ALLOCSET_SMALL_SIZES);
	}
	ff->on_free.func = forget_tasks;
	ff->on_free.arg = ff;
	MemoryContextRegisterResetCallback(ff->cxt, &ff->on_free);
	return ff;
}

/*
 * The tasks read the table a statement writes (the rows of an UPDATE or
 * DELETE): through the connection that writes, in its remote transaction,
 * and never left out in partial mode.
 */
void
fed_fanout_use_writer(FedFanout *ff)
{
	ff->writer = true;
}

/* Does the statement being executed write (a DML, a data-modifying CTE)? */
bool
fed_statement_writes(EState *estate)
{
	return estate->es_plannedstmt->commandType != CMD_SELECT ||
		estate->es_plannedstmt->hasModifyingCTE;
}

/* The EvalPlanQual parameter of the ModifyTable at the top of plan, or -1 */
static int
epq_param(Plan *plan)
{
	return plan && IsA(plan, ModifyTable) ? ((ModifyTable *) plan)->epqParam : -1;
}

/*
 * In a statement that writes, may the read of this plan node start when
 * the executor starts, before the statement's first write?  Only when it
 * needs no value computed while the statement runs: no PARAM_EXEC but
 * the ModifyTables' EvalPlanQual one (which every scan under a ModifyTable
 * lists, for rechecks).
 */
bool
fed_read_may_start_early(EState *estate, Plan *plan)
{
	Bitmapset  *ext;
	ListCell   *lc;

	if (!fed_statement_writes(estate))
		return false;
	ext = bms_copy(plan->extParam);
	if (epq_param(estate->es_plannedstmt->planTree) >= 0)
		ext = bms_del_member(ext, epq_param(estate->es_plannedstmt->planTree));
	foreach(lc, estate->es_plannedstmt->subplans)
	{
		if (epq_param((Plan *) lfirst(lc)) >= 0)
			ext = bms_del_member(ext, epq_param((Plan *) lfirst(lc)));
	}
	return bms_is_empty(ext);
}

/*
 * The statement the fan-out reads for also writes (INSERT ... SELECT, an
 * UPDATE with a subquery, a data-modifying CTE): see start_task.
 */
void
fed_fanout_statement_writes(FedFanout *ff)
{
	ff->writing = true;
}

/*
 * The task's statement is an UPDATE or DELETE of a fan-out that uses the
 * writing connection: it returns no rows, its connection is marked as
 * having written, and the rows it changed are in its stats.
 */
void
fed_fanout_command(FedFanout *ff, int task)
{
	Assert(ff->writer);
	ff->tasks[task].fetch_size = 0;
	ff->tasks[task].command = true;
}

/*
 * The task's read may run outside a remote transaction, read whole (a
 * small answer) or as its rows arrive; see fed_conn_start for when that is
 * right.
 */
void
fed_fanout_autocommit(FedFanout *ff, int task, bool whole)
{
	if (!ff->writer)
		ff->tasks[task].autocommit = whole ? FED_AUTOCOMMIT_WHOLE :
			FED_AUTOCOMMIT_STREAM;
}

/*
 * The task's statement goes plainly, its rows read as they arrive
 * (FED_FETCH_STREAM), not through a cursor: the server may plan it in
 * parallel.  Stopped part-way inside a remote transaction, the rest of it
 * is read out (remote/connection.c): for reads that run to their end.
 */
void
fed_fanout_stream(FedFanout *ff, int task)
{
	ff->tasks[task].fetch_size = FED_FETCH_STREAM;
}

/*
 * The task reads with n statements (sqls, the first the one given to
 * fed_fanout_add), one after another: the next starts, on a connection
 * claimed as any task's is, when the one before has returned its last row.
 * Only for reads whose rows may simply follow each other (no order, no
 * group that two statements could both hold).
 */
void
fed_fanout_add_batches(FedFanout *ff, int task, const char **sqls, int n)
{
	FedTask    *t = &ff->tasks[task];

	Assert(t->used && n >= 1 && strcmp(sqls[0], t->sql) == 0);
	t->batches = sqls;
	t->nbatches = n;
	t->batch = 0;
	t->stats.batches = 1;
}

/*
 * Describe task: read the foreign table info describes with sql (strings
 * and params must live as long as the fan-out).
 */
void
fed_fanout_add(FedFanout *ff, int task, FedTableInfo *info, const char *sql,
			   int nparams, const char **params)
{
	FedTask    *t = &ff->tasks[task];

	t->used = true;
	t->server = t->primary = info->server;
	t->user = info->user;
	t->userid = info->userid;
	t->relid = info->relid;
	t->sql = sql;
	t->batches = NULL;
	t->nbatches = 1;
	t->batch = 0;
	t->nparams = nparams;
	t->params = params;
	t->fetch_size = info->fetch_size;
	t->autocommit = FED_AUTOCOMMIT_NO;
	t->command = false;
	t->state = TASK_IDLE;
	t->attempts = 0;
	t->deadline = 0;
	memset(&t->stats, 0, sizeof(FedTaskStats));
	t->stats.server = info->server->servername;
}

static bool
task_active(FedTask *t)
{
	return t->state == TASK_STARTING || t->state == TASK_OPEN ||
		t->state == TASK_PARKED || t->state == TASK_BACKOFF ||
		t->state == TASK_QUEUED || t->state == TASK_LOST;
}

static void
finish_stats(FedTask *t)
{
	instr_time	now;

	INSTR_TIME_SET_CURRENT(now);
	INSTR_TIME_SUBTRACT(now, t->start);
	t->stats.ms = INSTR_TIME_GET_MILLISEC(now);
}

/* The task's statement has ended: count it for its server. */
static void
task_done(FedTask *t)
{
	t->ff->freed = true;
	finish_stats(t);
	fed_health_finish(t->server->serverid, t->server->servername,
					  t->stats.rows, t->stats.bytes, t->stats.ms);
}

static void
count_row(FedTask *t, FedRow *row)
{
	int			i;

	/* the time to the last row so far: a LIMIT may stop reading early */
	finish_stats(t);
	t->stats.rows++;
	for (i = 0; i < row->ncols; i++)
		if (row->values[i])
			t->stats.bytes += row->lengths[i];
}

static void
convert_into(FedTask *t, FedRow *row, TupleTableSlot *slot,
			 MemoryContext cxt)
{
	MemoryContext old;

	MemoryContextReset(cxt);
	old = MemoryContextSwitchTo(cxt);
	t->ff->convert(t->ff->arg, t->index, row, slot);
	MemoryContextSwitchTo(old);
	count_row(t, row);
}

/*
 * The task's connection is taken from it (see FedParkCallback).
 *
 * Park: another statement needs it.  Finish opening the result if needed
 * and read the rest of it into a tuplestore.  The task's current row
 * (which the merge may still hold) is left alone.  Until the last row is
 * read the task counts as lost: a failure on the way (raised in the
 * statement that needed the connection) leaves it without its rest, and
 * a cursor that outlives that statement must not end silently.
 *
 * Otherwise the result is gone (no I/O here: this runs during abort): the
 * task is lost, and raises when asked for rows.
 */
static void
park_task(void *owner, FedReaderEvent event)
{
	FedTask    *t = (FedTask *) owner;
	FedFanout  *ff = t->ff;
	MemoryContext old;
	MemoryContext scratch;
	ResourceOwner oldowner;
	TupleTableSlot *slot;
	FedRow		row;

	if (t->state != TASK_STARTING && t->state != TASK_OPEN)
		return;
	t->state = TASK_LOST;
	t->ready = false;
	if (event != FED_READER_PARK)
	{
		t->lost_event = event;
		t->conn = NULL;
		ff->freed = true;
		return;
	}
	t->lost_event = FED_READER_FAILED;
	fed_conn_finish(t->conn);

	/*
	 * The rows go where the reader lives: its memory, and its resource
	 * owner, which the temporary files of a store spilling past work_mem
	 * belong to.  The statement that needs the connection (another portal)
	 * would close them when it ends, while the reader (a cursor) still
	 * reads them.  (On an error the portal's or the abort's cleanup puts
	 * the resource owner back.)
	 */
	oldowner = CurrentResourceOwner;
	CurrentResourceOwner = ff->resowner;
	old = MemoryContextSwitchTo(ff->cxt);
	t->parked = tuplestore_begin_heap(false, false, work_mem);
	if (t->parked_slot == NULL)
		t->parked_slot = MakeSingleTupleTableSlot(ff->desc, &TTSOpsMinimalTuple);
	scratch = AllocSetContextCreate(ff->cxt, "federate park",
									ALLOCSET_SMALL_SIZES);
	slot = MakeSingleTupleTableSlot(ff->desc, &TTSOpsVirtual);
	MemoryContextSwitchTo(old);

	while (fed_conn_next_row(t->conn, t, &row))
	{
		convert_into(t, &row, slot, scratch);
		tuplestore_puttupleslot(t->parked, slot);
	}
	ExecDropSingleTupleTableSlot(slot);
	MemoryContextDelete(scratch);
	CurrentResourceOwner = oldowner;
	if (t->command)
	{
		t->stats.affected = fed_conn_affected(t->conn);
		fed_conn_note_write(t->conn);
	}
	task_done(t);
	t->conn = NULL;
	t->state = TASK_PARKED;
}

/* The user mapping for userid on server, or NULL when there is none. */
static UserMapping *
find_user_mapping(Oid userid, Oid serverid)
{
	if (!SearchSysCacheExists2(USERMAPPINGUSERSERVER, ObjectIdGetDatum(userid),
							   ObjectIdGetDatum(serverid)) &&
		!SearchSysCacheExists2(USERMAPPINGUSERSERVER, ObjectIdGetDatum(InvalidOid),
							   ObjectIdGetDatum(serverid)))
		return NULL;
	return GetUserMapping(userid, serverid);
}

/*
 * Move a failed read to its server's replica, if it names one that can
 * serve it.  Returns false when there is none (t->stats.replica_note may
 * say why).
 */
static bool
try_replica(FedTask *t, FedFailKind kind)
{
	MemoryContext old;
	char	   *name;
	ForeignServer *replica;
	UserMapping *user = NULL;

	/* writes, and the reads of rows to write, never go to a replica */
	if (t->stats.replica || t->stats.rows > 0 || t->ff->writer)
		return false;
	name = fed_server_replica(t->primary);
	if (name == NULL)
	{
		/* a reference table: another server holding a copy */
		ListCell   *lc;

		foreach(lc, fed_table_copies(GetForeignTable(t->relid)))
		{
			if (strcmp(lfirst(lc), t->primary->servername) != 0)
			{
				name = lfirst(lc);
				break;
			}
		}
	}
	if (name == NULL)
		return false;

	old = MemoryContextSwitchTo(t->ff->cxt);
	replica = GetForeignServerByName(name, true);
	if (replica == NULL)
		t->stats.replica_note = psprintf("its replica \"%s\" does not exist", name);
	else if (fed_server_driver(replica) != fed_server_driver(t->primary))
		t->stats.replica_note = psprintf("its replica \"%s\" uses another driver", name);
	else if ((user = find_user_mapping(t->userid, replica->serverid)) == NULL)
		t->stats.replica_note = psprintf("there is no user mapping for replica \"%s\"", name);
	MemoryContextSwitchTo(old);
	if (t->stats.replica_note)
		return false;

	fed_health_count(t->primary->serverid, t->primary->servername,
					 FED_COUNT_FALLBACK);
	t->stats.replica = replica->servername;
	t->stats.fallback_kind = kind;
	t->server = replica;
	t->user = user;
	t->attempts = 0;
	t->state = TASK_IDLE;
	start_task(t, false);
	return true;
}

/* The delay before retry number n (from 1): exponential, with jitter. */
static long
backoff_ms(int n)
{
	double		d = fed_retry_base_delay;

	while (--n > 0 && d < fed_retry_max_delay)
		d *= 2;
	d = Min(d, (double) fed_retry_max_delay);
	/* somewhere between half of it and all of it */
	return (long) (d / 2 + pg_prng_double(&pg_global_prng_state) * d / 2);
}

/*
 * The task failed and its connection is gone: retry it, move it to a
 * replica, or give it up (raising the error in strict mode).  detail, if
 * not NULL, is our own account of the failure (a timeout); otherwise the
 * error's text is.
 */
static void
task_failed(FedTask *t, FedFailKind kind, FedRemoteError *err,
			const char *detail)
{
	FedFanout  *ff = t->ff;
	MemoryContext old;
	const char *shard = get_rel_name(t->relid);

	/*
	 * A data exception (SQLSTATE class 22: an overflow, a division by zero)
	 * is the query's own error, not the shard's failure: the query would
	 * fail on one table too, and a replica would fail alike.  It is raised
	 * in either mode, never left out.
	 */
	bool		query_error = kind == FED_FAIL_REMOTE && err &&
		strncmp(err->sqlstate, "22", 2) == 0;
	bool		partial = ff->partial && !query_error;

	ff->freed = true;
	t->conn = NULL;
	t->deadline = 0;
	t->ready = false;
	finish_stats(t);
	old = MemoryContextSwitchTo(ff->cxt);
	t->stats.fail_kind = kind;
	t->stats.fail_detail = pstrdup(detail ? detail :
								   err && err->message ? err->message : "");
	MemoryContextSwitchTo(old);

	/*
	 * Rows of this shard were used already: nothing can undo that.  Strict
	 * mode raises the error as it is; partial mode cannot leave the shard
	 * out and says so.
	 */
	if (t->stats.rows > 0 && partial)
	{
		ff->raised = true;
		t->state = TASK_FAILED;
		ereport(ERROR,
				(errcode(ERRCODE_CONNECTION_FAILURE),
				 errmsg("server \"%s\" failed after part of shard %s was returned",
						t->server->servername, shard),
				 errdetail("The failure (%s) came after " UINT64_FORMAT " of the shard's rows were used, so the shard can neither be read again nor left out: %s",
						   fed_fail_reason(kind), t->stats.rows,
						   t->stats.fail_detail)));
	}

	/* retry connection failures, in a remote transaction of our own */
	if ((kind == FED_FAIL_REFUSED || kind == FED_FAIL_CONNECT ||
		 kind == FED_FAIL_LOST) && t->stats.rows == 0 && !t->command &&
		t->fresh && t->attempts <= fed_max_retries && !ff->closing)
	{
		long		delay = backoff_ms(t->attempts);
		TimestampTz at = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
													 delay);

		if (ff->deadline == 0 || at < ff->deadline)
		{
			fed_health_count(t->server->serverid, t->server->servername,
							 FED_COUNT_RETRY);
			t->state = TASK_BACKOFF;
			t->retry_at = at;
			return;
		}
	}

	if (!ff->closing && !query_error && try_replica(t, kind))
		return;

	t->state = TASK_FAILED;
	if (partial)
		return;

	/* strict: the query fails, naming the server and the cause */
	ff->raised = true;
	if (t->stats.replica_note)
	{
		old = MemoryContextSwitchTo(ff->cxt);
		t->stats.fail_detail = psprintf("%s\nNo replica could answer instead: %s.",
										t->stats.fail_detail,
										t->stats.replica_note);
		MemoryContextSwitchTo(old);
	}
	if (kind == FED_FAIL_TIMEOUT && err && err->timed_out && t->stats.connecting)
		kind = FED_FAIL_CONNECT;
	fed_report_failure(ERROR, kind, err, t->server->servername,
					   kind == FED_FAIL_REMOTE ? NULL : t->stats.fail_detail,
					   shard, t->sql);
}

/*
 * A step of task t's connection failed with err: write off the connection
 * and handle the failure.  After a write in this transaction the server
 * cannot be left out: the error is raised as is.
 */
static void
task_error(FedTask *t, FedRemoteError *err)
{
	char	   *detail = NULL;
	bool		connecting = fed_conn_connecting(t->conn);
	FedFailKind kind = fed_classify_error(fed_conn_driver(t->conn), err,
										  connecting);

	if (fed_conn_wrote(t->conn))
	{
		t->state = TASK_FAILED;
		t->ff->raised = true;
		fed_conn_raise(t->conn, err);
	}

	/*
	 * The snapshot this read was to import is gone with the remote
	 * transaction that exported it, whose statement failed: that failure
	 * is the query's error, reported when its task is read.  This read
	 * begins again, once, in a snapshot of its own.
	 */
	if (t->share && t->stats.rows == 0 && !t->import_retried &&
		fed_conn_import_failed(t->conn, err))
	{
		t->import_retried = true;
		t->share = false;
		fed_conn_abandon(t->conn, FED_FAIL_REMOTE, err);
		t->conn = NULL;
		t->state = TASK_IDLE;
		start_task(t, true);
		return;
	}
	t->stats.connecting = connecting;
	if (kind == FED_FAIL_TIMEOUT)
		detail = fed_conn_timeout_detail(t->conn, err, connecting);
	fed_conn_abandon(t->conn, kind, err);
	task_failed(t, kind, err, detail);
}

/* Take the result r of a starting task's step: open, waiting, or failed. */
static void
starting_step(FedTask *t, int r, FedRemoteError *err)
{
	if (r == FED_IO_ERROR)
	{
		task_error(t, err);
		return;
	}
	if (r == FED_IO_DONE)
	{
		t->state = TASK_OPEN;
		t->stats.read = fed_conn_read_kind(t->conn);
		t->ready = true;
		t->deadline = 0;
	}
	else
	{
		t->events = r;
		t->ready = false;
	}
}

/*
 * Start task t: claim a connection and take the first step.  Without
 * force, a task that would have to take a connection from another reader
 * queues instead (TASK_QUEUED) and starts when one of its query's
 * connections to the server frees; forced, it takes one (the reader
 * parks).
 */
static void
start_task(FedTask *t, bool force)
{
	FedRemoteError err = {0};
	char	   *why = NULL;
	FedConn    *conn;
	int			r;
	bool		late = t->attempts > 0;

	if (t->state == TASK_QUEUED)
	{
		t->state = TASK_IDLE;
		t->ff->nqueued--;
		late = true;
	}
	if (!t->stats.started)
		INSTR_TIME_SET_CURRENT(t->start);
	t->stats.started = true;
	t->deadline = 0;
	t->fresh = true;

	/*
	 * One snapshot per server: another task of this fan-out is opening a
	 * remote transaction on the server, exporting its snapshot: wait for
	 * that BEGIN (one round trip) to import it.
	 */
	if (t->share)
	{
		FedTask    *sibling = fed_conn_exporting_owner(t->user);

		if (sibling && sibling >= t->ff->tasks &&
			sibling < t->ff->tasks + t->ff->ntasks &&
			sibling->state == TASK_STARTING)
		{
			t->state = TASK_QUEUED;
			t->ready = false;
			t->ff->nqueued++;
			t->ff->export_wait = true;
			return;
		}
	}

	/* an open circuit: skip the server without trying to connect */
	if (!fed_circuit_allows(t->server->serverid, t->server->servername, &why))
	{
		if (t->attempts > 0)
		{
			/* our own failures opened it: no more retries, same cause */
			t->attempts = INT_MAX / 2;
			err.message = (char *) t->stats.fail_detail;
			task_failed(t, t->stats.fail_kind, &err, t->stats.fail_detail);
			return;
		}
		err.message = why;
		task_failed(t, FED_FAIL_CIRCUIT, &err, why);
		return;
	}

	/*
	 * In a statement that writes, every read starts before the first write
	 * (the fan-out starts its tasks before the statement gets its first
	 * row): a task does not wait for a connection then, it takes one, whose
	 * reader parks.  A read begun on a server after the statement wrote
	 * there would see the statement's own changes (an INSERT ... SELECT
	 * from the same table its own rows), which no statement sees.
	 */
	conn = t->ff->writer ?
		fed_conn_claim_writer(t->server, t->user, t, park_task) :
		fed_conn_claim(t->server, t->user, t, park_task,
					   force || t->ff->writing);
	if (conn && late && !t->command && fed_conn_wrote_in_command(conn))
		ereport(ERROR,
				(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
				 errmsg("could not read from server \"%s\" again after this statement wrote there",
						t->server->servername),
				 errdetail("The read of foreign table \"%s\" had to begin again%s, and would have seen the statement's own changes.",
						   get_rel_name(t->relid),
						   t->stats.fail_detail ? psprintf(" (%s)", t->stats.fail_detail) : ""),
				 errhint("Run the statement again.")));
	if (conn == NULL)
	{
		t->state = TASK_QUEUED;
		t->ready = false;
		t->ff->nqueued++;
		return;
	}
	t->attempts++;
	t->stats.attempts++;
	t->conn = conn;
	t->fresh = !fed_conn_in_xact(t->conn);
	if (t->share)
		fed_conn_want_export(conn);
	t->state = TASK_STARTING;
	r = fed_conn_start(t->conn, t->sql, t->nparams, t->params, t->fetch_size,
					   t->autocommit, &err);
	starting_step(t, r, &err);
}

static int
cmp_task_server(const void *a, const void *b)
{
	const FedTask *x = *(FedTask *const *) a;
	const FedTask *y = *(FedTask *const *) b;

	if (x->server->serverid != y->server->serverid)
		return x->server->serverid < y->server->serverid ? -1 : 1;
	if (x->user->umid != y->user->umid)
		return x->user->umid < y->user->umid ? -1 : 1;
	return 0;
}

/*
 * One connection (or a unit of the budget) for each server and user
 * mapping the tasks of ff (and of other, if not NULL: two reads that start
 * together) read from, taken in server order before any task starts (see
 * fed_conn_reserve).
 */
void
fed_fanout_reserve(FedFanout *ff, FedFanout *other)
{
	int			max = ff->ntasks + (other ? other->ntasks : 0) + 1;
	FedTask   **sorted = palloc(sizeof(FedTask *) * max);
	ForeignServer **servers = palloc(sizeof(ForeignServer *) * max);
	UserMapping **users = palloc(sizeof(UserMapping *) * max);
	int			n = 0;
	int			m = 0;
	int			i;

	for (i = 0; i < ff->ntasks; i++)
		if (ff->tasks[i].used && ff->tasks[i].state == TASK_IDLE)
			sorted[n++] = &ff->tasks[i];
	for (i = 0; other && i < other->ntasks; i++)
		if (other->tasks[i].used && other->tasks[i].state == TASK_IDLE)
			sorted[n++] = &other->tasks[i];
	ff->reserved = true;
	if (other)
		other->reserved = true;
	qsort(sorted, n, sizeof(FedTask *), cmp_task_server);
	for (i = 0; i < n; i++)
	{
		if (m > 0 && users[m - 1]->umid == sorted[i]->user->umid &&
			servers[m - 1]->serverid == sorted[i]->server->serverid)
			continue;
		servers[m] = sorted[i]->server;
		users[m] = sorted[i]->user;
		m++;
	}
	fed_conn_reserve(servers, users, m);
	pfree(sorted);
	pfree(servers);
	pfree(users);
}

/*
 * One snapshot per server (see snapshot_sql in remote/xact.c): where the
 * local transaction may share one, tasks of ff on a server that more than
 * one of them reads run in remote transactions, not alone, the first to
 * begin exporting its snapshot, the others importing it.
 */
static void
mark_shared(FedFanout *ff)
{
	FedTask   **sorted = palloc(sizeof(FedTask *) * Max(ff->ntasks, 1));
	int			n = 0;
	int			i;
	int			j;

	for (i = 0; i < ff->ntasks; i++)
	{
		ff->tasks[i].share = false;
		ff->tasks[i].import_retried = false;
		if (ff->tasks[i].used && ff->tasks[i].state == TASK_IDLE)
			sorted[n++] = &ff->tasks[i];
	}
	qsort(sorted, n, sizeof(FedTask *), cmp_task_server);
	for (i = 0; i < n; i = j)
	{
		for (j = i + 1; j < n && cmp_task_server(&sorted[i], &sorted[j]) == 0;)
			j++;
		if (j - i < 2 || !fed_conn_can_share_snapshot(sorted[i]->server))
			continue;
		for (; i < j; i++)
		{
			sorted[i]->share = true;
			sorted[i]->autocommit = FED_AUTOCOMMIT_NO;
		}
	}
	pfree(sorted);
}

/* Send every task's statement; wait for none. */
void
fed_fanout_start(FedFanout *ff)
{
	int			i;

	/* the rows a write reads are never left out */
	ff->partial = !ff->writer && fed_on_shard_failure == FED_ON_FAILURE_PARTIAL;
	ff->raised = false;
	ff->closing = false;
	ff->deadline = fed_total_timeout > 0 ?
		TimestampTzPlusMilliseconds(GetCurrentTimestamp(), fed_total_timeout) : 0;
	ff->nqueued = 0;
	ff->freed = false;
	ff->export_wait = false;
	if (!ff->writer && !ff->reserved)
		fed_fanout_reserve(ff, NULL);
	ff->reserved = false;
	if (!ff->writer)
		mark_shared(ff);
	for (i = 0; i < ff->ntasks; i++)
	{
		if (ff->tasks[i].used && ff->tasks[i].state == TASK_IDLE)
			start_task(&ff->tasks[i], false);
	}
}

/*
 * Start the queued tasks that can have a connection now: tried whenever a
 * task of this fan-out has let go of one.
 */
static void
start_queued(FedFanout *ff)
{
	int			i;

	if (ff->nqueued == 0 || (!ff->freed && !ff->export_wait))
		return;
	ff->freed = false;
	ff->export_wait = false;
	for (i = 0; i < ff->ntasks && ff->nqueued > 0; i++)
		if (ff->tasks[i].state == TASK_QUEUED)
			start_task(&ff->tasks[i], false);
}

/*
 * Nothing of this fan-out runs, yet tasks wait for a connection: the
 * connections are held by readers elsewhere (another scan of the query).
 * The first queued task takes one; its reader parks.
 */
static void
force_queued(FedFanout *ff)
{
	int			i;

	for (i = 0; i < ff->ntasks; i++)
		if (ff->tasks[i].state == TASK_QUEUED)
		{
			start_task(&ff->tasks[i], true);
			return;
		}
}

/* Start again the tasks whose backoff has passed. */
static void
restart_due(FedFanout *ff)
{
	TimestampTz now = 0;
	int			i;

	for (i = 0; i < ff->ntasks; i++)
	{
		FedTask    *t = &ff->tasks[i];

		if (t->state != TASK_BACKOFF)
			continue;
		if (now == 0)
			now = GetCurrentTimestamp();
		if (now >= t->retry_at)
			start_task(t, false);
	}
}

/*
 * Task t's result ended early: it cannot give the rows it still had, and
 * the statement reading it (a cursor that outlived the cause) fails.
 */
static void
task_lost(FedTask *t)
{
	const char *shard = get_rel_name(t->relid);

	if (t->lost_event == FED_READER_ROLLED_BACK)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot read the rest of \"%s\" from server \"%s\"",
						shard, t->server->servername),
				 errdetail("The read began inside a savepoint that has been rolled back since, which ended it on the server."),
				 errhint("Fetch from the cursor before setting the savepoint: reads begun outside a savepoint go on after ROLLBACK TO SAVEPOINT.")));
	ereport(ERROR,
			(errcode(ERRCODE_CONNECTION_FAILURE),
			 errmsg("cannot read the rest of \"%s\" from server \"%s\"",
					shard, t->server->servername),
			 errdetail("The read failed earlier, in another statement that needed its connection.")));
}

/*
 * Try to get a row from task t without waiting: its slot, or NULL when it
 * has none now (then t->ready is false, or the task is done or failed).
 */
static TupleTableSlot *
step(FedTask *t)
{
	FedRemoteError err = {0};
	FedRow		row;
	int			r;

	if (t->state == TASK_LOST)
		task_lost(t);
	if (t->state == TASK_PARKED)
	{
		TupleTableSlot *ps = t->parked_slot;

		if (tuplestore_gettupleslot(t->parked, true, false, ps))
		{
			/*
			 * Callers get a virtual slot, as from a live stream: the scan
			 * node's expressions were compiled for one and never deform.
			 * The values point into the stored tuple, which stays valid
			 * until this task's next row, as a live row does.
			 */
			slot_getallattrs(ps);
			ExecClearTuple(t->slot);
			memcpy(t->slot->tts_values, ps->tts_values,
				   sizeof(Datum) * ps->tts_tupleDescriptor->natts);
			memcpy(t->slot->tts_isnull, ps->tts_isnull,
				   sizeof(bool) * ps->tts_tupleDescriptor->natts);
			return ExecStoreVirtualTuple(t->slot);
		}
		if (!next_batch(t))
			t->state = TASK_DONE;
		return NULL;
	}
	if (!t->ready)
		return NULL;
	if (t->state == TASK_STARTING)
	{
		starting_step(t, fed_conn_poll(t->conn, t, &err), &err);
		if (t->state != TASK_OPEN)
			return NULL;
	}
	if (t->state != TASK_OPEN)
		return NULL;

	r = fed_conn_fetch(t->conn, t, &row, &err);
	if (r == FED_IO_ROW)
	{
		t->deadline = 0;
		convert_into(t, &row, t->slot, t->row_cxt);
		return t->slot;
	}
	if (r == FED_IO_DONE)
	{
		if (t->command)
		{
			t->stats.affected = fed_conn_affected(t->conn);
			fed_conn_note_write(t->conn);
		}
		task_done(t);
		t->conn = NULL;
		if (!next_batch(t))
			t->state = TASK_DONE;
		return NULL;
	}
	if (r == FED_IO_ERROR)
	{
		task_error(t, &err);
		return NULL;
	}
	t->events = r;
	t->ready = false;
	return NULL;
}

/*
 * The statement of t has returned its last row: queue the next batch, if
 * any (it starts as a queued task does).  False when t is done.
 */
static bool
next_batch(FedTask *t)
{
	if (t->batch + 1 >= t->nbatches)
		return false;
	t->batch++;
	t->sql = t->batches[t->batch];
	t->stats.batches = t->batch + 1;
	/* a batch is not a retry: each has the retries of a statement */
	t->attempts = 0;
	t->stats.attempts--;
	if (t->parked)
	{
		tuplestore_end(t->parked);
		t->parked = NULL;
	}
	t->conn = NULL;
	t->ready = false;
	t->state = TASK_QUEUED;
	t->ff->nqueued++;
	t->ff->freed = true;
	return true;
}

/* Fail every task still running: federate.total_timeout has passed. */
static void
total_timeout(FedFanout *ff)
{
	char	   *detail = psprintf("The total timeout of %d ms (federate.total_timeout) has passed.",
								  fed_total_timeout);
	int			i;

	/* no more retries: give up at once */
	ff->deadline = 0;
	ff->closing = true;
	for (i = 0; i < ff->ntasks; i++)
	{
		FedTask    *t = &ff->tasks[i];
		FedRemoteError err = {0};

		if (t->state != TASK_STARTING && t->state != TASK_OPEN &&
			t->state != TASK_BACKOFF)
			continue;
		err.message = detail;
		err.timed_out = true;
		err.session_bound = true;
		if (t->conn)
			fed_conn_abandon(t->conn, FED_FAIL_TIMEOUT, &err);
		task_failed(t, FED_FAIL_TIMEOUT, &err, detail);
	}
}

/*
 * Wait until a task can make progress.  With only >= 0, wait for that
 * task and for tasks still starting (whose statements then run on their
 * shards meanwhile); otherwise for every task.  Tasks that pass their
 * deadline meanwhile fail with a timeout.
 */
static void
wait_tasks(FedFanout *ff, int only)
{
	WaitEvent  *events;
	TimestampTz now = GetCurrentTimestamp();
	long		timeout = -1;
	int			nsocks = 0;
	FedTask   **tasks = palloc(sizeof(FedTask *) * Max(ff->ntasks, 1));
	pgsocket   *socks = palloc(sizeof(pgsocket) * Max(ff->ntasks, 1));
	uint64	   *gens = palloc(sizeof(uint64) * Max(ff->ntasks, 1));
	int		   *evs = palloc(sizeof(int) * Max(ff->ntasks, 1));
	bool		same;
	int			n;
	int			i;
	bool		latch = false;

	for (i = 0; i < ff->ntasks; i++)
	{
		FedTask    *t = &ff->tasks[i];
		int			ev;
		long		ms;
		pgsocket	sock;

		t->in_wait = false;
		if (t->state == TASK_BACKOFF)
		{
			ms = Max(0, TimestampDifferenceMilliseconds(now, t->retry_at));
			if (timeout < 0 || ms < timeout)
				timeout = ms;
			continue;
		}
		if (t->ready || (t->state != TASK_STARTING && t->state != TASK_OPEN))
			continue;
		if (only >= 0 && i != only && t->state != TASK_STARTING)
			continue;
		t->in_wait = true;
		ev = t->events & (WL_SOCKET_READABLE | WL_SOCKET_WRITEABLE);
		sock = fed_conn_socket(t->conn);
		if (ev && sock != PGINVALID_SOCKET)
		{
			tasks[nsocks] = t;
			socks[nsocks] = sock;
			gens[nsocks] = fed_conn_generation(t->conn);
			evs[nsocks] = ev;
			nsocks++;
		}
		ms = fed_conn_wait_ms(t->conn, t->events);
		if (ms >= 0 && (timeout < 0 || ms < timeout))
			timeout = ms;

		/* the answer is due within the statement timeout */
		if (t->deadline == 0 && fed_conn_timeout(t->conn) > 0 &&
			!fed_conn_connecting(t->conn))
			t->deadline = TimestampTzPlusMilliseconds(now,
													  fed_timeout_grace(fed_conn_timeout(t->conn)));
		if (t->deadline != 0)
		{
			ms = Max(0, TimestampDifferenceMilliseconds(now, t->deadline));
			if (timeout < 0 || ms < timeout)
				timeout = ms;
		}
	}
	if (ff->deadline != 0)
	{
		long		ms = Max(0, TimestampDifferenceMilliseconds(now, ff->deadline));

		if (timeout < 0 || ms < timeout)
			timeout = ms;
	}

	/* the last wait's set, if it waited on the same connections */
	same = wait_set != NULL && wait_n == nsocks;
	for (i = 0; same && i < nsocks; i++)
		same = wait_socks[i] == socks[i] && wait_gens[i] == gens[i];
	if (same)
	{
		for (i = 0; i < nsocks; i++)
			ModifyWaitEvent(wait_set, i + wait_first, evs[i], NULL);
	}
	else
	{
		MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);

		if (wait_set)
			FreeWaitEventSet(wait_set);
		wait_set = NULL;
		if (nsocks > wait_max)
		{
			if (wait_socks)
			{
				pfree(wait_socks);
				pfree(wait_gens);
			}
			wait_max = Max(nsocks, 8);
			wait_socks = palloc(sizeof(pgsocket) * wait_max);
			wait_gens = palloc(sizeof(uint64) * wait_max);
		}
		wait_set = CreateWaitEventSet(TopMemoryContext, nsocks + 2);
		AddWaitEventToSet(wait_set, WL_LATCH_SET, PGINVALID_SOCKET, MyLatch, NULL);
		/* (a stand-alone backend has no postmaster to watch) */
		if (IsUnderPostmaster)
			AddWaitEventToSet(wait_set, WL_EXIT_ON_PM_DEATH, PGINVALID_SOCKET,
							  NULL, NULL);
		wait_first = IsUnderPostmaster ? 2 : 1;
		for (i = 0; i < nsocks; i++)
		{
			AddWaitEventToSet(wait_set, evs[i], socks[i], NULL, NULL);
			wait_socks[i] = socks[i];
			wait_gens[i] = gens[i];
		}
		wait_n = nsocks;
		MemoryContextSwitchTo(old);
	}

	/* a wait takes at most INT_MAX ms: the deadlines are checked below */
	events = palloc(sizeof(WaitEvent) * (nsocks + 2));
	n = WaitEventSetWait(wait_set, Min(timeout, (long) INT_MAX), events,
						 nsocks + 2, PG_WAIT_EXTENSION);
	for (i = 0; i < n; i++)
	{
		if (events[i].events & WL_LATCH_SET)
			latch = true;
		else if (events[i].pos >= wait_first)
			tasks[events[i].pos - wait_first]->ready = true;
	}
	pfree(events);
	pfree(tasks);
	pfree(socks);
	pfree(gens);
	pfree(evs);

	if (latch)
	{
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}

	/*
	 * Deadlines, even when other tasks had events: a shard that streams
	 * rows must not keep a frozen one waiting past its bound.
	 */
	now = GetCurrentTimestamp();
	if (ff->deadline != 0 && now >= ff->deadline)
	{
		total_timeout(ff);
		return;
	}
	for (i = 0; i < ff->ntasks; i++)
	{
		FedTask    *t = &ff->tasks[i];

		if (!t->in_wait || t->ready ||
			(t->state != TASK_STARTING && t->state != TASK_OPEN))
			continue;
		if (t->deadline != 0 && now >= t->deadline)
		{
			FedRemoteError err = {0};
			char	   *detail;

			err.timed_out = true;
			detail = fed_conn_timeout_detail(t->conn, &err, false);
			err.message = detail;
			t->stats.connecting = false;
			fed_conn_abandon(t->conn, FED_FAIL_TIMEOUT, &err);
			task_failed(t, FED_FAIL_TIMEOUT, &err, detail);
		}
		else
		{
			/* it asked for a timeout: the wait ended on it, or it is due */
			long		ms = fed_conn_wait_ms(t->conn, t->events);

			if (ms == 0 || (ms > 0 && n == 0))
				t->ready = true;
		}
	}
}

/* Advance tasks that are still starting and have something to do. */
static void
advance_starting(FedFanout *ff, int except)
{
	int			i;

	for (i = 0; i < ff->ntasks; i++)
	{
		FedTask    *t = &ff->tasks[i];
		FedRemoteError err = {0};
		int			r;

		if (i == except || t->state != TASK_STARTING || !t->ready)
			continue;
		r = fed_conn_poll(t->conn, t, &err);
		starting_step(t, r, &err);
	}
}

/* The next row of any task; NULL when every task is done or failed. */
TupleTableSlot *
fed_fanout_next(FedFanout *ff)
{
	for (;;)
	{
		bool		running = false;
		int			k;

		restart_due(ff);
		start_queued(ff);
		for (k = 0; k < ff->ntasks; k++)
		{
			int			i = (ff->next + k) % ff->ntasks;
			FedTask    *t = &ff->tasks[i];
			TupleTableSlot *slot;

			if (!task_active(t) || t->state == TASK_QUEUED)
				continue;
			slot = step(t);
			if (slot)
			{
				/* stay with this task while it has rows ready */
				ff->next = i;
				return slot;
			}
			if (task_active(t) && t->state != TASK_QUEUED)
				running = true;
		}
		if (!running && ff->nqueued == 0)
			return NULL;
		if (!running)
		{
			if (!ff->freed)
				force_queued(ff);
			continue;
		}
		wait_tasks(ff, -1);
	}
}

/* The next row of one task; NULL when it is done or failed. */
TupleTableSlot *
fed_fanout_next_of(FedFanout *ff, int task)
{
	FedTask    *t = &ff->tasks[task];

	for (;;)
	{
		TupleTableSlot *slot;

		restart_due(ff);
		start_queued(ff);
		if (t->state == TASK_QUEUED)
			start_task(t, true);	/* the merge needs this one's row now */
		if (!task_active(t))
			return NULL;
		slot = step(t);
		if (slot)
			return slot;
		if (!task_active(t))
			return NULL;
		advance_starting(ff, task);
		if (!t->ready)
			wait_tasks(ff, task);
	}
}

/* Stop every task: statements still running are cancelled. */
void
fed_fanout_end(FedFanout *ff)
{
	int			i;

	for (i = 0; i < ff->ntasks; i++)
	{
		FedTask    *t = &ff->tasks[i];

		if (t->conn && (t->state == TASK_STARTING || t->state == TASK_OPEN))
			task_done(t);
		/* (also a lost task whose parking failed) */
		if (t->conn)
			fed_conn_release(t->conn, t);
		t->conn = NULL;
		if (t->parked)
			tuplestore_end(t->parked);
		t->parked = NULL;
		if (t->state != TASK_FAILED)
			t->state = TASK_DONE;
		t->used = false;
	}
	ff->nqueued = 0;
}

void
fed_fanout_stats(FedFanout *ff, int task, FedTaskStats *stats)
{
	*stats = ff->tasks[task].stats;
	stats->failed = ff->tasks[task].state == TASK_FAILED;
}

/* Did a task's failure fail the query (strict mode)? */
bool
fed_fanout_raised(FedFanout *ff)
{
	return ff->raised;
}

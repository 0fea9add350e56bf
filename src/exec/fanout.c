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
 * The WaitEventSet lives only inside one wait (it holds an epoll file
 * descriptor that no resource owner tracks on PostgreSQL 15), and is freed
 * before any interrupt is served.
 *
 * src/exec/fanout.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "pgstat.h"
#include "storage/latch.h"
#include "utils/memutils.h"
#include "utils/tuplestore.h"

#include "exec/fanout.h"

typedef enum FedTaskState
{
	TASK_IDLE,					/* not started */
	TASK_STARTING,				/* connecting, beginning, or query sent */
	TASK_OPEN,					/* rows coming */
	TASK_PARKED,				/* rows in the tuplestore */
	TASK_DONE
} FedTaskState;

typedef struct FedTask
{
	FedFanout  *ff;
	int			index;
	bool		used;
	ForeignServer *server;
	UserMapping *user;
	const char *sql;
	int			nparams;
	const char **params;
	int			fetch_size;

	FedConn    *conn;
	FedTaskState state;
	int			events;			/* wait mask of the last step */
	bool		ready;			/* worth stepping again */
	TupleTableSlot *slot;		/* the current row */
	MemoryContext row_cxt;		/* reset before each row */
	Tuplestorestate *parked;
	TupleTableSlot *parked_slot;
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
	int			next;			/* round-robin position */
};

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
	return ff;
}

/* Describe task (strings and params must live as long as the fan-out). */
void
fed_fanout_add(FedFanout *ff, int task, ForeignServer *server,
			   UserMapping *user, const char *sql, int nparams,
			   const char **params, int fetch_size)
{
	FedTask    *t = &ff->tasks[task];

	t->used = true;
	t->server = server;
	t->user = user;
	t->sql = sql;
	t->nparams = nparams;
	t->params = params;
	t->fetch_size = fetch_size;
	t->state = TASK_IDLE;
	memset(&t->stats, 0, sizeof(FedTaskStats));
}

static void
finish_stats(FedTask *t)
{
	instr_time	now;

	INSTR_TIME_SET_CURRENT(now);
	INSTR_TIME_SUBTRACT(now, t->start);
	t->stats.ms = INSTR_TIME_GET_MILLISEC(now);
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
 * Park: another statement needs this task's connection.  Finish opening
 * the result if needed and read the rest of it into a tuplestore.  The
 * task's current row (which the merge may still hold) is left alone.
 */
static void
park_task(void *owner)
{
	FedTask    *t = (FedTask *) owner;
	FedFanout  *ff = t->ff;
	MemoryContext old;
	MemoryContext scratch;
	TupleTableSlot *slot;
	FedRow		row;

	if (t->state != TASK_STARTING && t->state != TASK_OPEN)
		return;
	fed_conn_finish(t->conn);

	old = MemoryContextSwitchTo(ff->cxt);
	t->parked = tuplestore_begin_heap(false, false, work_mem);
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
	finish_stats(t);
	t->conn = NULL;
	t->state = TASK_PARKED;
}

/* Take the result r of a starting task's step: open, waiting, or failed. */
static void
starting_step(FedTask *t, int r, FedRemoteError *err)
{
	if (r == FED_IO_ERROR)
		fed_conn_raise(t->conn, err);
	if (r == FED_IO_DONE)
	{
		t->state = TASK_OPEN;
		t->ready = true;
	}
	else
	{
		t->events = r;
		t->ready = false;
	}
}

static void
start_task(FedTask *t)
{
	FedRemoteError err = {0};
	int			r;

	INSTR_TIME_SET_CURRENT(t->start);
	t->stats.started = true;
	t->conn = fed_conn_claim(t->server, t->user, t, park_task);
	t->state = TASK_STARTING;
	r = fed_conn_start(t->conn, t->sql, t->nparams, t->params, t->fetch_size,
					   &err);
	starting_step(t, r, &err);
}

/* Send every task's statement; wait for none. */
void
fed_fanout_start(FedFanout *ff)
{
	int			i;

	for (i = 0; i < ff->ntasks; i++)
	{
		if (ff->tasks[i].used && ff->tasks[i].state == TASK_IDLE)
			start_task(&ff->tasks[i]);
	}
}

/*
 * Try to get a row from task t without waiting: its slot, or NULL when it
 * has none now (then t->ready is false, or the task is done).
 */
static TupleTableSlot *
step(FedTask *t)
{
	FedRemoteError err = {0};
	FedRow		row;
	int			r;

	if (t->state == TASK_PARKED)
	{
		if (tuplestore_gettupleslot(t->parked, true, false, t->parked_slot))
			return t->parked_slot;
		t->state = TASK_DONE;
		return NULL;
	}
	if (!t->ready)
		return NULL;
	if (t->state == TASK_STARTING)
	{
		starting_step(t, fed_conn_poll(t->conn, &err), &err);
		if (t->state != TASK_OPEN)
			return NULL;
	}
	if (t->state != TASK_OPEN)
		return NULL;

	r = fed_conn_fetch(t->conn, &row, &err);
	if (r == FED_IO_ROW)
	{
		convert_into(t, &row, t->slot, t->row_cxt);
		return t->slot;
	}
	if (r == FED_IO_DONE)
	{
		finish_stats(t);
		t->state = TASK_DONE;
		t->conn = NULL;
		return NULL;
	}
	if (r == FED_IO_ERROR)
		fed_conn_raise(t->conn, &err);
	t->events = r;
	t->ready = false;
	return NULL;
}

/*
 * Wait until a task can make progress.  With only >= 0, wait for that
 * task and for tasks still starting (whose statements then run on their
 * shards meanwhile); otherwise for every task.
 */
static void
wait_tasks(FedFanout *ff, int only)
{
	WaitEventSet *set;
	WaitEvent  *events;
	long		timeout = -1;
	int			nevents;
	int			n;
	int			i;
	bool		latch = false;

	set = CreateWaitEventSet(CurrentMemoryContext, ff->ntasks + 2);
	events = palloc(sizeof(WaitEvent) * (ff->ntasks + 2));
	AddWaitEventToSet(set, WL_LATCH_SET, PGINVALID_SOCKET, MyLatch, NULL);
	AddWaitEventToSet(set, WL_EXIT_ON_PM_DEATH, PGINVALID_SOCKET, NULL, NULL);
	nevents = 2;
	for (i = 0; i < ff->ntasks; i++)
	{
		FedTask    *t = &ff->tasks[i];
		int			ev;
		long		ms;
		pgsocket	sock;

		if (t->ready || (t->state != TASK_STARTING && t->state != TASK_OPEN))
			continue;
		if (only >= 0 && i != only && t->state != TASK_STARTING)
			continue;
		ev = t->events & (WL_SOCKET_READABLE | WL_SOCKET_WRITEABLE);
		sock = fed_conn_socket(t->conn);
		if (ev && sock != PGINVALID_SOCKET)
		{
			AddWaitEventToSet(set, ev, sock, NULL, t);
			nevents++;
		}
		ms = fed_conn_wait_ms(t->conn, t->events);
		if (ms >= 0 && (timeout < 0 || ms < timeout))
			timeout = ms;
	}

	n = WaitEventSetWait(set, timeout, events, nevents, PG_WAIT_EXTENSION);
	for (i = 0; i < n; i++)
	{
		if (events[i].events & WL_LATCH_SET)
			latch = true;
		else if (events[i].user_data)
			((FedTask *) events[i].user_data)->ready = true;
	}
	FreeWaitEventSet(set);
	pfree(events);

	if (n == 0)
	{
		/* timed out: let the tasks that asked for a timeout look again */
		for (i = 0; i < ff->ntasks; i++)
		{
			FedTask    *t = &ff->tasks[i];

			if ((t->state == TASK_STARTING || t->state == TASK_OPEN) &&
				fed_conn_wait_ms(t->conn, t->events) >= 0)
				t->ready = true;
		}
	}
	if (latch)
	{
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
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
		r = fed_conn_poll(t->conn, &err);
		starting_step(t, r, &err);
	}
}

/* The next row of any task; NULL when every task is done. */
TupleTableSlot *
fed_fanout_next(FedFanout *ff)
{
	for (;;)
	{
		bool		active = false;
		int			k;

		for (k = 0; k < ff->ntasks; k++)
		{
			int			i = (ff->next + k) % ff->ntasks;
			FedTask    *t = &ff->tasks[i];
			TupleTableSlot *slot;

			if (t->state == TASK_DONE || t->state == TASK_IDLE)
				continue;
			slot = step(t);
			if (slot)
			{
				/* stay with this task while it has rows ready */
				ff->next = i;
				return slot;
			}
			if (t->state != TASK_DONE)
				active = true;
		}
		if (!active)
			return NULL;
		wait_tasks(ff, -1);
	}
}

/* The next row of one task; NULL when it is done. */
TupleTableSlot *
fed_fanout_next_of(FedFanout *ff, int task)
{
	FedTask    *t = &ff->tasks[task];

	for (;;)
	{
		TupleTableSlot *slot;

		if (t->state == TASK_DONE || t->state == TASK_IDLE)
			return NULL;
		slot = step(t);
		if (slot)
			return slot;
		if (t->state == TASK_DONE)
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
		{
			finish_stats(t);
			fed_conn_release(t->conn, t);
		}
		t->conn = NULL;
		if (t->parked)
			tuplestore_end(t->parked);
		t->parked = NULL;
		t->state = TASK_DONE;
		t->used = false;
	}
}

void
fed_fanout_stats(FedFanout *ff, int task, FedTaskStats *stats)
{
	*stats = ff->tasks[task].stats;
}

/*-------------------------------------------------------------------------
 *
 * xact.c
 *		The remote transaction of each connection, following the local one.
 *
 * The first statement sent to a connection inside a local transaction
 * first opens a remote one (REPEATABLE READ on PostgreSQL, a consistent
 * snapshot on MySQL), and savepoints mirror local subtransactions lazily,
 * as in postgres_fdw.  The remote transaction commits in the local
 * PRE_COMMIT callback, so a remote commit failure still aborts the local
 * transaction; it rolls back when the local transaction or subtransaction
 * aborts.  Abort cleanup never throws and waits at most FED_ABORT_WAIT_MS
 * per connection, once per server that does not answer (its other
 * connections are closed at once).
 *
 * The states (FedXactState, remote/conn_internal.h) and their transitions
 * are listed there.
 *
 * src/remote/xact.c
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
#include "storage/proc.h"
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

static void fed_xact_callback(XactEvent event, void *arg);
static const char *commit_sql(FedConn *c);
static bool rollback_xact(FedConn *c, TimestampTz deadline);
static void fed_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
								 SubTransactionId parentSubid, void *arg);

/*
 * c's remote transaction ends with its connection, before the local one.
 * One that changed nothing only held a snapshot: under READ COMMITTED a
 * later statement may read in a new one, as a local statement would, so
 * the connection is simply made again.  One that wrote, or a local
 * transaction that keeps one snapshot (REPEATABLE READ, SERIALIZABLE),
 * cannot go on: the local transaction must not commit (BROKEN).
 */
void
fed_xact_lose(FedConn *c)
{
	/* a prepared transaction stays on the server: the second phase says so */
	if (c->rx.state == FED_XACT_PREPARED)
		return;
	if (c->rx.depth > 0 &&
		(c->rx.state == FED_XACT_WRITTEN || IsolationUsesXactSnapshot()))
		c->rx.state = FED_XACT_BROKEN;
	else if (c->rx.state != FED_XACT_BROKEN)
		c->rx.state = FED_XACT_NONE;
	c->rx.depth = 0;
	c->rx.release_pending = false;
	c->rx.gid[0] = '\0';		/* a branch not prepared ends with its session */
	c->rx.snapshot[0] = '\0';
	c->rx.exporting = false;
}

/* Remember that the current remote transaction changed data here. */
void
fed_conn_note_write(FedConn *c)
{
	Assert(c->rx.depth > 0);
	c->rx.state = FED_XACT_WRITTEN;
	c->rx.write_lxid = FED_MY_LXID;
	c->rx.write_cid = GetCurrentCommandId(false);
}

/*
 * Has the current local command (statement) written through c?  A read of
 * that statement begun on c now would see the statement's own changes,
 * which a statement never sees (exec/fanout.c).
 */
bool
fed_conn_wrote_in_command(FedConn *c)
{
	return c->rx.state == FED_XACT_WRITTEN && c->rx.depth > 0 &&
		c->rx.write_lxid == FED_MY_LXID &&
		c->rx.write_cid == GetCurrentCommandId(false);
}

/* Has the current remote transaction changed data through c? */
bool
fed_conn_wrote(FedConn *c)
{
	return c->rx.state == FED_XACT_WRITTEN;
}

/* Is a remote transaction open on c? */
bool
fed_conn_in_xact(FedConn *c)
{
	return c->rx.depth > 0;
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

	if (fed_conn_exec_internal(c, sql, 0, NULL, &err, deadline, false, NULL))
		return true;
	if (c->cancel_sent && c->handle && !err.connection_lost &&
		(strcmp(err.sqlstate, "57014") == 0 ||	/* query_canceled */
		 strcmp(err.sqlstate, "70100") == 0))	/* MySQL's interrupted */
	{
		c->cancel_sent = false;
		memset(&err, 0, sizeof(err));
		return fed_conn_exec_internal(c, sql, 0, NULL, &err, deadline, false, NULL);
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
	TimestampTz deadline;

	fed_conn_clear_reader(c);
	c->stream.sql = NULL;
	if (c->handle == NULL)
		return;
	if (c->step.phase == FED_PHASE_CONNECT || c->step.phase == FED_PHASE_SETUP)
	{
		/* interrupted while connecting: no remote transaction yet */
		fed_conn_close_handle(c);
		return;
	}

	if (c->cancel_doubtful)
	{
		/* a cancel that got no answer may still stop a later statement */
		fed_xact_lose(c);
		fed_conn_close_handle(c);
		c->cancel_sent = false;
		return;
	}

	if (list_member_oid(fed_unresponsive_servers, c->serverid))
	{
		/* its server did not answer another connection: do not wait */
		fed_xact_lose(c);
		fed_conn_close_handle(c);
		c->cancel_sent = false;
		return;
	}
	deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
										   FED_ABORT_WAIT_MS);
	if (!fed_conn_settle(c, deadline))
	{
		fed_xact_lose(c);
		fed_conn_close_handle(c);
		return;
	}

	if (toplevel)
	{
		if (c->rx.depth > 0 && !rollback_xact(c, deadline))
			fed_conn_close_handle(c);
	}
	else
	{
		int			level = GetCurrentTransactionNestLevel();

		/* below this level's savepoint nothing ran on c in it */
		if (c->rx.depth >= level)
		{
			/* a SET LOCAL TimeZone sent in it is undone too */
			fed_conn_forget_xact_settings(c);
			if (rollback_internal(c, psprintf(c->driver->rollback_to_fmt, level),
								  deadline) &&
				rollback_internal(c, psprintf(c->driver->release_fmt, level),
								  deadline))
			{
				/* (savepoints left for a stream were above it: gone too) */
				c->rx.depth = level - 1;
				c->rx.release_pending = false;
			}
			else
			{
				/* the remote transaction is in an unknown state */
				fed_xact_lose(c);
				fed_conn_close_handle(c);
			}
		}
	}
	c->cancel_sent = false;
}

/*
 * c's COMMIT or PREPARE failed: raise its error.  PostgreSQL ends the
 * remote transaction; a named branch (XA) may be left in any state by a
 * failed end: its connection is closed, which rolls back a branch not
 * prepared.  (The others are rolled back by the abort that follows.)
 */
void
fed_xact_end_failed(FedConn *c, FedRemoteError *err, const char *sql)
{
	char	   *text = pstrdup(sql);	/* (sql may be c's own buffer) */

	if (c->rx.gid[0] != '\0')
	{
		fed_conn_copy_error(err, err);	/* (in the connection's memory) */
		fed_conn_close_handle(c);
	}
	fed_xact_ended(c);
	fed_conn_fail(c, err, text);
}

/* c's COMMIT failed: raise its error. */
static void
commit_failed(FedConn *c, FedRemoteError *err)
{
	fed_xact_end_failed(c, err, c->rx.gid[0] != '\0' ? c->rx.buf :
						c->driver->commit_sql);
}

/*
 * Commit every open remote transaction: send all the COMMITs first, then
 * wait for each, so N servers cost one round trip, not N.  A failure
 * raises the error (the local transaction then aborts).  A transaction
 * that wrote to several servers is prepared on them first (twophase.c),
 * and the COMMITs left are those of servers only read, and of MySQL
 * servers (which a failure of another after their commit leaves
 * committed).
 */
static void
commit_all(void)
{
	HASH_SEQ_STATUS scan;
	FedConn    *c;

	/*
	 * A remote transaction lost with its connection fails the commit before
	 * anything is sent anywhere: a COMMIT sent before the error would make
	 * that server's part stay while the client is told it failed.
	 */
	hash_seq_init(&scan, fed_conn_hash);
	while ((c = (FedConn *) hash_seq_search(&scan)))
	{
		if (c->rx.state == FED_XACT_BROKEN)
		{
			hash_seq_term(&scan);
			ereport(ERROR,
					(errcode(ERRCODE_CONNECTION_FAILURE),
					 errmsg("could not commit the remote transaction on server \"%s\"",
							c->servername),
					 errdetail("The connection was lost during the transaction.")));
		}
	}

	/* written to two or more servers: prepare first (remote/twophase.c) */
	fed_2pc_prepare();

	hash_seq_init(&scan, fed_conn_hash);
	while ((c = (FedConn *) hash_seq_search(&scan)))
	{
		FedRemoteError err = {0};
		const char *sql;

		c->rx.end_r = FED_IO_DONE;
		if (c->rx.depth == 0)
			continue;
		fed_conn_clear_reader(c);
		c->rx.release_pending = false;	/* the COMMIT releases them */
		fed_conn_make_idle(c);
		if (c->handle == NULL)
			continue;
		sql = commit_sql(c);
		fed_conn_log_sql(c, sql);
		c->rx.end_r = c->driver->query_start(c->handle, sql, 0, NULL, 0, &err);
		if (c->rx.end_r == FED_IO_ERROR && c->rx.state == FED_XACT_WRITTEN)
		{
			hash_seq_term(&scan);
			commit_failed(c, &err);
		}
	}

	hash_seq_init(&scan, fed_conn_hash);
	while ((c = (FedConn *) hash_seq_search(&scan)))
	{
		FedRemoteError err = {0};

		if (c->rx.depth == 0 || c->handle == NULL)
			continue;
		if ((c->rx.end_r == FED_IO_ERROR ||
			 !fed_conn_finish_internal(c, c->rx.end_r, &err, 0, true, NULL)) &&
			c->rx.state == FED_XACT_WRITTEN)
		{
			hash_seq_term(&scan);
			commit_failed(c, &err);
		}

		/*
		 * A transaction that only read has nothing to lose: its COMMIT
		 * failing (its connection lost meanwhile) fails nothing, and must
		 * not fail the local commit after other servers' COMMITs went.
		 * Its connection, in a state not known, is closed.
		 */
		if (c->rx.end_r == FED_IO_ERROR || err.message)
		{
			fed_xact_ended(c);
			fed_conn_close_handle(c);
			continue;
		}
		fed_xact_ended(c);
	}
}

static void
fed_xact_callback(XactEvent event, void *arg)
{
	HASH_SEQ_STATUS scan;
	FedConn    *c;

	if (fed_conn_hash == NULL)
		return;

	if (event == XACT_EVENT_PRE_COMMIT || event == XACT_EVENT_PARALLEL_PRE_COMMIT)
		commit_all();

	/*
	 * On abort, every statement still running anywhere is asked to stop
	 * before any connection is waited for: all shards stop at once.
	 */
	if (event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT)
	{
		list_free(fed_unresponsive_servers);
		fed_unresponsive_servers = NIL;
		hash_seq_init(&scan, fed_conn_hash);
		while ((c = (FedConn *) hash_seq_search(&scan)))
			if (c->handle && (c->step.phase == FED_PHASE_QUERY ||
							  c->step.phase == FED_PHASE_OPEN))
				fed_conn_cancel_running(c);
	}

	hash_seq_init(&scan, fed_conn_hash);
	while ((c = (FedConn *) hash_seq_search(&scan)))
	{
		/* readers of this transaction's queries are gone */
		if (event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT ||
			event == XACT_EVENT_COMMIT || event == XACT_EVENT_PARALLEL_COMMIT)
		{
			fed_conn_clear_reader(c);
		}
		/* ended by the second phase, below */
		if (c->rx.state == FED_XACT_PREPARED)
			continue;
		if (c->rx.depth == 0 && c->rx.state != FED_XACT_BROKEN)
		{
			/*
			 * A connection attempt cut short, or a BEGIN still in flight
			 * (a fan-out's task that another task's failure stopped): the
			 * cleanup waits for the BEGIN and rolls back what it opened.
			 * Nothing is open on c afterwards: the next transaction must
			 * send its own BEGIN, or its writes would run in autocommit
			 * mode where no ROLLBACK reaches them.
			 */
			if (c->handle && c->step.phase != FED_PHASE_IDLE &&
				(event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT))
			{
				abort_cleanup(c, true);
				fed_xact_ended(c);
			}
			/* nothing remote to end, but changed options apply now */
			if (c->handle && c->invalidated &&
				(event == XACT_EVENT_COMMIT || event == XACT_EVENT_ABORT))
				fed_conn_close_handle(c);
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
		fed_xact_ended(c);
		if (c->handle && c->invalidated)
			fed_conn_close_handle(c);
	}
	/* (what one abort found says nothing about the next) */
	list_free(fed_unresponsive_servers);
	fed_unresponsive_servers = NIL;

	/* the second phase of a two-phase commit, once the local end is known */
	if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_PARALLEL_COMMIT)
		fed_2pc_commit();
	if (event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT)
		fed_2pc_abort();

	if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_PARALLEL_COMMIT ||
		event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT)
		fed_pool_settle_idle();
}

/*
 * The local subtransaction at level commits (RELEASE SAVEPOINT, or the end
 * of a PL/pgSQL block with an exception handler): release c's savepoint
 * of that level.  A reader whose stream runs on c keeps it, as its portal
 * lives on at the parent level: its savepoint stays on the server, since
 * nothing else can be sent on c meanwhile, until c next serves a statement
 * (FedRemoteXact.release_pending).
 */
static void
release_level(FedConn *c, int level)
{
	/* a reader's start opening a savepoint of this level: the same */
	if (fed_conn_begin_released(c, level))
	{
		c->rx.depth = Min(c->rx.depth, level - 1);
		c->rx.release_pending = true;
		return;
	}
	if (c->rx.depth < level)
		return;
	if (c->stream.owner && c->step.phase != FED_PHASE_IDLE)
	{
		c->rx.depth = level - 1;
		c->rx.release_pending = true;
		return;
	}
	/* (this RELEASE ends any savepoint still pending above it) */
	c->rx.release_pending = false;
	fed_conn_exec(c, psprintf(c->driver->release_fmt, level), 0, NULL);
	c->rx.depth = level - 1;
}

/*
 * The statement of c's reader is being sent, inside the savepoint of the
 * current local level: the read belongs to that level, whose rollback ends
 * it, and moves to the parent level when that level commits (as its
 * portal does).
 */
void
fed_xact_read_sent(FedConn *c)
{
	c->stream.level = GetCurrentTransactionNestLevel();
}

/*
 * Does the rollback of level end the read on c: its statement, sent in
 * that level (or one below it), or the savepoints its start opened there?
 */
static bool
read_rolled_back(FedConn *c, int level)
{
	if (c->step.phase == FED_PHASE_QUERY || c->step.phase == FED_PHASE_OPEN)
		return c->stream.level >= level;
	return c->rx.depth >= level ||
		(c->step.phase == FED_PHASE_BEGIN && c->step.pending_depth >= level);
}

static void
fed_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
					 SubTransactionId parentSubid, void *arg)
{
	HASH_SEQ_STATUS scan;
	FedConn    *c;
	int			curlevel;
	List	   *release = NIL;
	ListCell   *lc;

	if (fed_conn_hash == NULL)
		return;
	if (event != SUBXACT_EVENT_PRE_COMMIT_SUB && event != SUBXACT_EVENT_ABORT_SUB)
		return;

	curlevel = GetCurrentTransactionNestLevel();
	list_free(fed_unresponsive_servers);
	fed_unresponsive_servers = NIL;
	hash_seq_init(&scan, fed_conn_hash);
	while ((c = (FedConn *) hash_seq_search(&scan)))
	{
		if (event == SUBXACT_EVENT_PRE_COMMIT_SUB)
		{
			/* a reader of this level goes on at the parent level */
			if (c->stream.owner && c->stream.level >= curlevel)
				c->stream.level = curlevel - 1;
			/* (released after the scan: a failure raises) */
			if (c->handle && (c->rx.depth >= curlevel ||
							  c->step.phase == FED_PHASE_BEGIN))
				release = lappend(release, c);
			continue;
		}

		/*
		 * A reader whose read began in the aborted subtransaction loses it:
		 * the ROLLBACK TO below ends its statement on the server, or what
		 * its start opened there.  (A reader whose query is gone forgot its
		 * connection already.)
		 */
		if (c->stream.owner && read_rolled_back(c, curlevel))
			fed_conn_drop_owner(c, FED_READER_ROLLED_BACK);
		if (c->handle == NULL)
			continue;
		/* a reader of an outer level (an open cursor) keeps its stream */
		if (c->stream.owner && c->rx.depth < curlevel)
			continue;
		/* it sets rx.depth to what remains */
		if (c->step.phase != FED_PHASE_IDLE || c->rx.depth >= curlevel)
			abort_cleanup(c, false);
	}
	foreach(lc, release)
		release_level((FedConn *) lfirst(lc), curlevel);
	list_free(release);
	list_free(fed_unresponsive_servers);
	fed_unresponsive_servers = NIL;
}

void
fed_xact_init(void)
{
	RegisterXactCallback(fed_xact_callback, NULL);
	RegisterSubXactCallback(fed_subxact_callback, NULL);
}

/*
 * c's remote transaction is open at depth levels (see FedXactState).  A
 * SAVEPOINT sent for a local level that has been released since, while
 * the reader's statement that needed it was starting, is left on the
 * server as release_level leaves a stream's.
 */
void
fed_xact_opened(FedConn *c, int depth)
{
	int			curlevel = GetCurrentTransactionNestLevel();

	Assert(depth > 0 && c->rx.state != FED_XACT_BROKEN);
	if (depth > curlevel)
	{
		depth = curlevel;
		c->rx.release_pending = true;
	}
	c->rx.depth = depth;
	c->rx.exporting = false;
	if (c->rx.state == FED_XACT_NONE)
		c->rx.state = FED_XACT_OPEN;
}

/* c's remote transaction is over, or there never was one on c. */
void
fed_xact_ended(FedConn *c)
{
	c->rx.depth = 0;
	c->rx.state = FED_XACT_NONE;
	c->rx.release_pending = false;
	c->rx.gid[0] = '\0';
	c->rx.snapshot[0] = '\0';
	c->rx.exporting = false;
	c->rx.want_export = false;
}

/*
 * The statement that opens c's remote transaction: the driver's BEGIN, or
 * on engines that name a transaction branch at its start (MySQL's XA
 * START), with two-phase commit on, one that names it, so that it can be
 * prepared at commit (twophase.c).  Its id is the connection's until the
 * transaction ends.
 */
static const char *
begin_sql(FedConn *c)
{
	c->rx.gid[0] = '\0';
	if (c->driver->xa_start_fmt == NULL || !fed_two_phase_commit)
		return c->driver->begin_sql;
	fed_2pc_branch_gid(c->rx.gid, sizeof(c->rx.gid));
	snprintf(c->rx.buf, sizeof(c->rx.buf), c->driver->xa_start_fmt,
			 c->rx.gid);
	return c->rx.buf;
}

/*
 * Another connection of c's user mapping with a remote transaction open in
 * this local transaction, or NULL: one that exported its snapshot if
 * there is one, else the first found.
 */
static FedConn *
open_sibling(FedConn *c)
{
	HASH_SEQ_STATUS scan;
	FedConn    *s;
	FedConn    *found = NULL;

	hash_seq_init(&scan, fed_conn_hash);
	while ((s = (FedConn *) hash_seq_search(&scan)))
	{
		if (s != c && s->key.umid == c->key.umid && s->handle &&
			s->rx.depth > 0 && s->rx.state != FED_XACT_BROKEN)
		{
			if (s->rx.snapshot[0] != '\0')
			{
				hash_seq_term(&scan);
				return s;
			}
			if (found == NULL)
				found = s;
		}
	}
	return found;
}

/*
 * The local transaction this backend is running as one statement that only
 * reads (fed_xact_note_read_statement), or InvalidLocalTransactionId
 */
static LocalTransactionId read_statement_lxid = InvalidLocalTransactionId;

/*
 * A fan-out node of a statement that only reads (a SELECT without row
 * locks, data-modifying CTEs or volatile functions: plan/hook.c) is about
 * to start.  When the local transaction is that statement alone, nothing
 * in it writes, and its remote transactions may export their snapshots.
 */
void
fed_xact_note_read_statement(void)
{
	if (!IsTransactionBlock() && GetCurrentTransactionNestLevel() == 1)
		read_statement_lxid = FED_MY_LXID;
}

/*
 * May a remote transaction of this local transaction export its snapshot?
 * PostgreSQL cannot PREPARE one that did: only where none will have to be
 * prepared because none writes, in a read-only local transaction or one
 * that is a statement that only reads.  (With two-phase commit off, see
 * snapshot_sql.)
 */
bool
fed_xact_may_export(void)
{
	return XactReadOnly || read_statement_lxid == FED_MY_LXID;
}

/*
 * c's next BEGIN exports its snapshot, where the local transaction may
 * share one: the first of several reads of one fan-out on c's server
 * (exec/fanout.c), the others waiting for it.
 */
void
fed_conn_want_export(FedConn *c)
{
	c->rx.want_export = true;
}

/*
 * The reader of a connection of user's whose BEGIN, exporting its
 * snapshot, is in flight (the snapshot is known once it is done), or NULL.
 */
void *
fed_conn_exporting_owner(UserMapping *user)
{
	HASH_SEQ_STATUS scan;
	FedConn    *s;

	hash_seq_init(&scan, fed_conn_hash);
	while ((s = (FedConn *) hash_seq_search(&scan)))
	{
		if (s->key.umid == user->umid && s->handle && s->rx.exporting &&
			s->step.phase == FED_PHASE_BEGIN && s->stream.owner)
		{
			hash_seq_term(&scan);
			return s->stream.owner;
		}
	}
	return NULL;
}

/* Export s's snapshot now (s idle, not in a savepoint); raises on failure. */
static void
export_now(FedConn *s)
{
	const char *sql = s->driver->export_snapshot_sql;
	FedRemoteError err = {0};
	FedRow		row;
	int			r;

	fed_conn_log_sql(s, sql);
	r = s->driver->query_start(s->handle, sql, 0, NULL, 0, &err);
	r = fed_conn_drive(s, FED_STEP_QUERY, r, NULL, &err, 0, true);
	if (r == FED_IO_ERROR)
		fed_conn_fail(s, &err, sql);
	for (;;)
	{
		r = s->driver->next_row(s->handle, &row, &err);
		r = fed_conn_drive(s, FED_STEP_ROW, r, &row, &err, 0, true);
		if (r == FED_IO_ERROR)
			fed_conn_fail(s, &err, sql);
		if (r != FED_IO_ROW)
			break;
		if (row.ncols == 1 && row.values[0])
			strlcpy(s->rx.snapshot, row.values[0], sizeof(s->rx.snapshot));
	}
}

/*
 * One snapshot per server.  A local transaction may read one server
 * through several connections (a cursor and a query, a self-join, two
 * partitions read at once): on engines that can share a snapshot
 * (FedDriver.export_snapshot_sql), every remote transaction on the server
 * after the first imports the first one's, so that they all see the
 * server as it was at one moment, as one connection would.  Only where no
 * remote transaction may have to be prepared (PostgreSQL refuses to
 * prepare one that exported its snapshot, fed_xact_may_export): in a
 * read-only local transaction, or one that is a single statement that
 * only reads; with two-phase commit off also when the first one is idle as
 * the second begins (an export in every BEGIN of every transaction that
 * may write costs more than one-phase commit itself).
 *
 * c is about to open its remote transaction: put in buf what its BEGIN
 * must carry ("" nothing).  With another remote transaction open on the
 * server, that is the import of its snapshot: exported by its BEGIN, or
 * now when it is idle (one round trip, once).  The first remote
 * transaction exports its snapshot in its BEGIN (c->rx.exporting) when it
 * is the first of several reads of one fan-out on the server
 * (c->rx.want_export), which the others wait for (exec/fanout.c); and in
 * a read-only local transaction, in a transaction block or for a read
 * that keeps the connection (a cursor, a stream: another connection may
 * be needed meanwhile).  Such a BEGIN no longer goes in the round trip of
 * the read that follows it.  Not shared: a second connection started
 * while the first one is busy and has exported nothing (in a statement
 * that is its own transaction, two plan nodes reading one server at once,
 * as a merge join of two of its tables does: an export in every BEGIN
 * would cost each such statement a round trip), or by another fan-out
 * node while the first one's BEGIN is still in flight, or while the first
 * is inside a savepoint (PostgreSQL exports no subtransaction's
 * snapshot).
 */
static void
snapshot_sql(FedConn *c, char *buf, size_t len)
{
	FedConn    *s;
	bool		may_export = fed_xact_may_export();
	bool		want = c->rx.want_export;

	buf[0] = '\0';
	c->rx.exporting = false;
	c->rx.want_export = false;
	if (c->driver->export_snapshot_sql == NULL)
		return;
	/* PostgreSQL cannot PREPARE a transaction that exported its snapshot */
	if (!may_export && fed_two_phase_commit)
		return;
	s = open_sibling(c);
	if (s && s->rx.snapshot[0] == '\0' && s->rx.depth == 1 &&
		s->step.phase == FED_PHASE_IDLE && !s->rx.release_pending &&
		!s->driver->busy(s->handle))
		export_now(s);
	if (s && s->rx.snapshot[0] != '\0')
	{
		snprintf(buf, len, c->driver->import_snapshot_fmt, s->rx.snapshot);
		return;
	}
	/*
	 * (Exporting costs the server a file per transaction: only where the
	 * transaction cannot write, which is where sharing is asked for.)
	 */
	if (s == NULL && may_export &&
		(want || (XactReadOnly &&
				  (IsTransactionBlock() ||
				   (c->stream.sql && c->stream.fetch_size != 0)))))
	{
		c->rx.exporting = true;
		strlcpy(buf, c->driver->export_snapshot_sql, len);
	}
}

/*
 * The text that opens c's remote transaction, in buf (of len bytes): its
 * BEGIN (begin_sql), the import of another connection's snapshot, the
 * settings (step.c's), or the export of its own snapshot last, whose row
 * is then the only one (fed_xact_begin_row).  True when it exports.
 */
bool
fed_xact_begin_text(FedConn *c, const char *settings, char *buf, int len)
{
	char		snapshot[128];

	snapshot_sql(c, snapshot, sizeof(snapshot));
	strlcpy(buf, begin_sql(c), len);
	if (snapshot[0] && !c->rx.exporting)
		fed_append_sql(buf, len, snapshot);
	if (settings[0])
		fed_append_sql(buf, len, settings);
	if (c->rx.exporting)
		fed_append_sql(buf, len, snapshot);
	return c->rx.exporting;
}

/* A row of c's BEGIN in flight: the snapshot id it exports, if it does. */
void
fed_xact_begin_row(FedConn *c, FedRow *row)
{
	if (c->rx.exporting && row->ncols == 1 && row->values[0])
		strlcpy(c->rx.snapshot, row->values[0], sizeof(c->rx.snapshot));
}

/* The statement that commits c's remote transaction in one phase */
static const char *
commit_sql(FedConn *c)
{
	if (c->rx.gid[0] == '\0')
		return c->driver->commit_sql;
	snprintf(c->rx.buf, sizeof(c->rx.buf), c->driver->xa_commit_fmt,
			 c->rx.gid, c->rx.gid);
	return c->rx.buf;
}

/*
 * Roll back c's remote transaction during abort cleanup (see
 * rollback_internal).  A named branch is ended first, which fails when a
 * deadlock already rolled it back (it is then "rollback only"): the
 * rollback that follows is what counts.
 */
static bool
rollback_xact(FedConn *c, TimestampTz deadline)
{
	char		sql[sizeof(c->rx.buf)];

	if (c->rx.gid[0] == '\0')
		return rollback_internal(c, c->driver->rollback_sql, deadline);
	snprintf(sql, sizeof(sql), c->driver->xa_end_fmt, c->rx.gid);
	if (!rollback_internal(c, sql, deadline) && c->handle == NULL)
		return false;
	snprintf(sql, sizeof(sql), c->driver->xa_rollback_fmt, c->rx.gid);
	return rollback_internal(c, sql, deadline);
}

/*
 * If savepoints released locally are still on c's server (see
 * release_level), put the statement that releases them in buf and forget
 * them: the caller sends it before anything else.
 */
bool
fed_xact_take_pending(FedConn *c, char *buf, size_t len)
{
	if (!c->rx.release_pending)
		return false;
	Assert(c->rx.depth > 0);
	c->rx.release_pending = false;
	snprintf(buf, len, c->driver->release_fmt, c->rx.depth + 1);
	return true;
}

/*
 * c is idle and about to serve a statement: release the savepoints a
 * stream kept open on the server past the local RELEASE of their level.
 * Raises if the server refuses.
 */
void
fed_xact_release_pending(FedConn *c)
{
	FedRemoteError err = {0};
	char		sql[64];

	if (c->handle == NULL || !fed_xact_take_pending(c, sql, sizeof(sql)))
		return;
	Assert(c->step.phase == FED_PHASE_IDLE);
	if (!fed_conn_exec_internal(c, sql, 0, NULL, &err, 0, true, NULL))
		fed_conn_fail(c, &err, sql);
}

/*
 * Two-phase commit as states of c's remote transaction (twophase.c decides
 * when; see FedXactState).  Send the PREPARE of c's written transaction,
 * named by its branch id (made now on engines that name a branch only
 * here).  False, err set, when it could not be sent.
 */
bool
fed_xact_prepare_send(FedConn *c, FedRemoteError *err)
{
	Assert(c->rx.state == FED_XACT_WRITTEN && c->rx.depth > 0 && c->handle);
	if (c->rx.gid[0] == '\0')
		fed_2pc_branch_gid(c->rx.gid, sizeof(c->rx.gid));
	snprintf(c->rx.buf, sizeof(c->rx.buf), c->driver->prepare_fmt,
			 c->rx.gid, c->rx.gid);
	fed_conn_log_sql(c, c->rx.buf);
	c->rx.end_r = c->driver->query_start(c->handle, c->rx.buf, 0, NULL, 0,
										 err);
	return c->rx.end_r != FED_IO_ERROR;
}

/*
 * Wait for the PREPARE sent on c.  True: c's transaction is PREPARED, its
 * connection free of it.  False (err set, in the current memory context):
 * the PREPARE failed, which ends the transaction there; a named branch,
 * in a state not known, goes with its connection.
 */
bool
fed_xact_prepare_wait(FedConn *c, FedRemoteError *err)
{
	if (fed_conn_finish_internal(c, c->rx.end_r, err, 0, true, NULL))
	{
		c->rx.state = FED_XACT_PREPARED;
		c->rx.depth = 0;
		c->rx.release_pending = false;
		c->rx.snapshot[0] = '\0';
		c->rx.exporting = false;
		return true;
	}
	fed_conn_copy_error(err, err);
	if (c->driver->xa_start_fmt)
		fed_conn_close_handle(c);
	fed_xact_ended(c);
	return false;
}

/*
 * Did a second phase's COMMIT fail only because the prepared branch
 * changed nothing (FedDriver.xa_gone_code)?  Then it is over: a branch
 * whose writes were all rolled back to savepoints, for one.
 */
bool
fed_xact_branch_gone(FedConn *c, FedRemoteError *err, bool commit)
{
	return commit && c->driver->xa_gone_code != 0 &&
		err->native_code == c->driver->xa_gone_code && !err->connection_lost;
}

/*
 * Send the second phase of c's PREPARED transaction: COMMIT PREPARED
 * (commit) or ROLLBACK PREPARED, in its driver's words.  Nothing is sent
 * when c lost its connection (fed_xact_resolve_wait then says so).
 */
void
fed_xact_resolve_send(FedConn *c, bool commit)
{
	FedRemoteError err = {0};

	Assert(c->rx.state == FED_XACT_PREPARED);
	c->rx.end_r = FED_IO_ERROR;
	if (c->handle == NULL || c->step.phase != FED_PHASE_IDLE)
		return;
	snprintf(c->rx.buf, sizeof(c->rx.buf),
			 commit ? c->driver->commit_prepared_fmt :
			 c->driver->rollback_prepared_fmt, c->rx.gid, c->rx.gid);
	fed_conn_log_sql(c, c->rx.buf);
	c->rx.end_r = c->driver->query_start(c->handle, c->rx.buf, 0, NULL, 0,
										 &err);
}

/*
 * A PREPARED transaction's second phase did not happen on c: it stays in
 * doubt on the server, for recovery.  A named branch holds its session
 * until it ends, so its connection is closed, as one lost is; c is free of
 * the transaction.
 */
void
fed_xact_resolve_missed(FedConn *c, bool lost)
{
	Assert(c->rx.state == FED_XACT_PREPARED);
	if (c->handle && (lost || c->driver->xa_start_fmt))
		fed_conn_close_handle(c);
	fed_xact_ended(c);
}

/*
 * Wait for the second phase sent on c (until deadline; never throws).
 * True when the transaction ended there; false (err set, in the current
 * memory context, when the server said why) when it stays in doubt.
 * Either way c is free of it after.
 */
bool
fed_xact_resolve_wait(FedConn *c, bool commit, TimestampTz deadline,
					  FedRemoteError *err)
{
	if (c->rx.end_r != FED_IO_ERROR &&
		(fed_conn_finish_internal(c, c->rx.end_r, err, deadline, false, NULL) ||
		 fed_xact_branch_gone(c, err, commit)))
	{
		fed_xact_ended(c);
		return true;
	}
	if (err->message)
		fed_conn_copy_error(err, err);
	fed_xact_resolve_missed(c, c->rx.end_r == FED_IO_ERROR ||
							err->connection_lost || err->timed_out);
	return false;
}

/*
 * Did c's BEGIN fail to import another connection's snapshot because that
 * connection's remote transaction is over (its statement failed, which
 * ends a PostgreSQL transaction's snapshot at once)?  Then no connection of
 * c's user mapping imports it any more: a read begun again on c takes its
 * own snapshot, and the failed statement's own error is the one to report.
 */
bool
fed_conn_import_failed(FedConn *c, FedRemoteError *err)
{
	HASH_SEQ_STATUS scan;
	FedConn    *s;

	if (c == NULL || err == NULL || err->message == NULL ||
		strcmp(err->sqlstate, "55000") != 0 ||
		strncmp(err->message, "could not import the requested snapshot", 39) != 0)
		return false;
	hash_seq_init(&scan, fed_conn_hash);
	while ((s = (FedConn *) hash_seq_search(&scan)))
		if (s->key.umid == c->key.umid)
			s->rx.snapshot[0] = '\0';
	return true;
}

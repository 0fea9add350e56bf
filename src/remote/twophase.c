/*-------------------------------------------------------------------------
 *
 * twophase.c
 *		Two-phase commit of a local transaction that wrote to several
 *		servers, and the recovery of what it leaves in doubt.
 *
 * When the local transaction commits (its PRE_COMMIT callback) and has
 * written through two or more connections, each written server's remote
 * transaction gets PREPARE TRANSACTION (PostgreSQL) or XA END and XA
 * PREPARE (MySQL: its branch was named by XA START), all at once, then each
 * is waited for; then a commit record is inserted into
 * federate.commit_records in the local transaction itself, so that the
 * local commit is the commit point; then the remote transactions that
 * only read commit as usual (xact.c).  Once the local commit is durable
 * (the COMMIT callback), every prepared transaction gets COMMIT PREPARED
 * (XA COMMIT).  A failure before the local commit aborts it, and the
 * prepared transactions are rolled back; a failure after it (a server
 * lost, the coordinator stopped) leaves the transaction prepared on that
 * server, "in doubt": its rows stay locked there until
 * federate.recover_prepared_transactions() commits it (its commit record
 * exists) or rolls it back (no record, and the local transaction is over).
 *
 * This file decides when; each step is a state of the connection's remote
 * transaction, moved by xact.c (WRITTEN -> PREPARED -> NONE, see
 * FedXactState in remote/conn_internal.h).
 *
 * The global transaction id names the coordinator, its database and the
 * local transaction: "fed:<system identifier>:<database oid>:<backend
 * id>:<local transaction id>:<random>:<n>" (hexadecimal; at most 64 bytes,
 * MySQL's XA limit), so that coordinators sharing servers never touch each
 * other's, recovery never touches prepared transactions it did not
 * create, and a transaction id given again after a crash makes another.
 *
 * src/remote/twophase.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/table.h"
#include "access/transam.h"
#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/indexing.h"
#include "catalog/namespace.h"
#include "catalog/pg_foreign_server.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "foreign/foreign.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/lock.h"
#include "storage/proc.h"
#include "storage/procarray.h"
#include "port.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/resowner.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "remote/conn_internal.h"

bool		fed_two_phase_commit = true;
char	   *fed_inject_fault = NULL;

/* How long the COMMIT/ROLLBACK PREPARED after the local end may wait */
#define FED_SECOND_PHASE_WAIT_MS	10000

/*
 * Whether a remote transaction of the local transaction ending now is in
 * state PREPARED (saves the second phase a look at every connection in
 * every other transaction)
 */
static bool any_prepared = false;

/*
 * The global transaction id of the current local transaction (without its
 * branch number), made when first needed: by a remote transaction that
 * names its branch at its start, or at PREPARE.  local_xact says which
 * local transaction it belongs to.
 */
static char xact_base[FED_GID_LEN + 1];
static LocalTransactionId base_lxid = InvalidLocalTransactionId;
static int	branches;

#if PG_VERSION_NUM >= 170000
#define MY_BACKEND_ID	(MyProc->vxid.procNumber)
#else
#define MY_BACKEND_ID	(MyProc->backendId)
#endif
#define MY_LXID			FED_MY_LXID

static bool
fault(const char *point)
{
	return fed_inject_fault && strcmp(fed_inject_fault, point) == 0;
}

/* "fed:<system identifier>:<database>:", in hexadecimal */
static void
gid_prefix(char *buf, size_t len)
{
	snprintf(buf, len, "fed:%016" INT64_MODIFIER "x:%08x:",
			 GetSystemIdentifier(), MyDatabaseId);
}

/*
 * The current local transaction's global id: the prefix, then its virtual
 * transaction id (backend, local transaction), which recovery asks about,
 * and a random number: a coordinator restarted gives the same virtual ids
 * again, to transactions whose ids must differ.
 */
static const char *
xact_gid_base(void)
{
	if (xact_base[0] == '\0' || base_lxid != MY_LXID)
	{
		char		prefix[64];
		uint32		nonce;

		if (!pg_strong_random(&nonce, sizeof(nonce)))
			elog(ERROR, "federate: could not generate a random number");
		gid_prefix(prefix, sizeof(prefix));
		snprintf(xact_base, sizeof(xact_base), "%s%08x:%08x:%08x", prefix,
				 (uint32) MY_BACKEND_ID, (uint32) MY_LXID, nonce);
		base_lxid = MY_LXID;
		branches = 0;
	}
	return xact_base;
}

/*
 * The id of a new branch of the current local transaction's global
 * transaction: one per remote transaction, "<global id>:<n>".
 */
void
fed_2pc_branch_gid(char *buf, size_t len)
{
	const char *base = xact_gid_base();

	snprintf(buf, len, "%s:%d", base, ++branches);
}

/* The commit record: the global transaction and the servers prepared */
static void
insert_commit_record(const char *gid, List *servers)
{
	Oid			nsp = get_namespace_oid("federate", false);
	Oid			relid = get_relname_relid("commit_records", nsp);
	Relation	rel;
	Datum		values[3];
	bool		nulls[3] = {false, false, false};
	Datum	   *elems;
	int			i = 0;
	ListCell   *lc;
	HeapTuple	tup;

	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("table federate.commit_records does not exist"),
				 errhint("Run ALTER EXTENSION federate UPDATE, or SET federate.two_phase_commit = off.")));
	elems = palloc(sizeof(Datum) * list_length(servers));
	foreach(lc, servers)
		elems[i++] = ObjectIdGetDatum(lfirst_oid(lc));
	values[0] = CStringGetTextDatum(gid);
	values[1] = PointerGetDatum(construct_array(elems, i, OIDOID, sizeof(Oid),
												true, TYPALIGN_INT));
	values[2] = TimestampTzGetDatum(GetCurrentTimestamp());
	/* (the unique index's check reads with the transaction's snapshot) */
	PushActiveSnapshot(GetTransactionSnapshot());
	rel = table_open(relid, RowExclusiveLock);
	tup = heap_form_tuple(RelationGetDescr(rel), values, nulls);
	CatalogTupleInsert(rel, tup);
	table_close(rel, NoLock);
	CommandCounterIncrement();
	PopActiveSnapshot();
}

/*
 * Does every written PostgreSQL server take prepared transactions?  Asked
 * once per connection (SHOW max_prepared_transactions), before anything is
 * prepared.
 */
static void
check_prepared_allowed(FedConn *c)
{
	FedRemoteError err = {0};
	FedRow		row;
	int			r;

	if (c->max_prepared >= 0)
		return;
	if (c->driver->prepare_check_sql == NULL)
	{
		c->max_prepared = INT_MAX;
		return;
	}
	r = c->driver->query_start(c->handle, c->driver->prepare_check_sql,
							   0, NULL, 0, &err);
	r = fed_conn_drive(c, FED_STEP_QUERY, r, NULL, &err, 0, true);
	if (r == FED_IO_ERROR)
		fed_conn_fail(c, &err, c->driver->prepare_check_sql);
	c->max_prepared = 0;
	for (;;)
	{
		r = c->driver->next_row(c->handle, &row, &err);
		r = fed_conn_drive(c, FED_STEP_ROW, r, &row, &err, 0, true);
		if (r == FED_IO_ERROR)
			fed_conn_fail(c, &err, c->driver->prepare_check_sql);
		if (r != FED_IO_ROW)
			break;
		if (row.ncols == 1 && row.values[0])
			c->max_prepared = atoi(row.values[0]);
	}
}

/*
 * May c's remote transaction be prepared?  Its driver must know how, and
 * an engine that names its branch at the start must have named it (it was
 * begun with two-phase commit on).
 */
static bool
can_prepare(FedConn *c)
{
	return c->handle && c->driver->prepare_fmt &&
		(c->driver->xa_start_fmt == NULL || c->rx.gid[0] != '\0');
}

/*
 * Two-phase commit, first phase (PRE_COMMIT), when the transaction wrote
 * through two or more connections: prepare every written server's
 * transaction and write the commit record.  What is left open (reads, and
 * the writes of a MySQL transaction begun with two-phase commit off) the
 * caller commits as usual afterwards.  Each remote transaction prepared
 * is in state PREPARED (xact.c) until the second phase.
 */
void
fed_2pc_prepare(void)
{
	HASH_SEQ_STATUS scan;
	FedConn    *c;
	int			written = 0;
	List	   *conns = NIL;
	List	   *servers = NIL;
	ListCell   *lc;
	FedConn    *failed = NULL;
	FedRemoteError failed_err = {0};
	bool		send_failed = false;
	int			sent = 0;

	if (!fed_two_phase_commit)
		return;
	hash_seq_init(&scan, fed_conn_hash);
	while ((c = (FedConn *) hash_seq_search(&scan)))
	{
		if (c->rx.depth == 0 || c->rx.state != FED_XACT_WRITTEN)
			continue;
		written++;
		if (can_prepare(c))
			conns = lappend(conns, c);
	}
	if (written < 2 || conns == NIL)
		return;

	/* a server that cannot prepare fails the commit before anything is */
	foreach(lc, conns)
	{
		c = lfirst(lc);
		if (c->rx.snapshot[0] != '\0')
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("cannot prepare the remote transaction on server \"%s\"",
							c->servername),
					 errdetail("It exported its snapshot to other connections of a statement that only reads, and PostgreSQL cannot prepare a transaction that exported its snapshot; the transaction then wrote to %d servers.",
							   written),
					 errhint("Write inside BEGIN ... COMMIT, or SET federate.two_phase_commit = off.")));
		fed_conn_clear_reader(c);
		fed_conn_make_idle(c);
		check_prepared_allowed(c);
		if (c->max_prepared == 0)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("server \"%s\" does not accept prepared transactions",
							c->servername),
					 errdetail("The transaction wrote to %d servers, and federate.two_phase_commit is on.",
							   written),
					 errhint("Set max_prepared_transactions above zero on that server, or SET federate.two_phase_commit = off to commit the servers one after another.")));
	}

	/*
	 * PREPARE everywhere at once, then wait for each of those sent, so that
	 * the abort that follows a failure knows which are PREPARED
	 */
	foreach(lc, conns)
	{
		FedRemoteError err = {0};

		c = lfirst(lc);
		if (!fed_xact_prepare_send(c, &err))
		{
			fed_conn_copy_error(&failed_err, &err);
			failed = c;
			send_failed = true;
			break;
		}
		sent++;
		servers = list_append_unique_oid(servers, c->serverid);
	}
	foreach(lc, conns)
	{
		FedRemoteError err = {0};

		if (foreach_current_index(lc) >= sent)
			break;
		c = lfirst(lc);
		if (fed_xact_prepare_wait(c, &err))
			any_prepared = true;
		else if (failed == NULL)
		{
			failed_err = err;
			failed = c;
		}
	}
	if (send_failed)
		fed_xact_end_failed(failed, &failed_err, "PREPARE");
	if (failed)
		fed_conn_fail(failed, &failed_err, "PREPARE");

	if (fault("after_prepare"))
		elog(ERROR, "federate: injected fault after_prepare");
	if (fault("crash_after_prepare"))
		kill(MyProcPid, SIGKILL);

	insert_commit_record(xact_gid_base(), servers);
}

/*
 * COMMIT PREPARED (commit) or ROLLBACK PREPARED each remote transaction in
 * state PREPARED: sent to all, then each waited for.  One that cannot be
 * ended stays in doubt on its server, with a WARNING.
 */
static void
second_phase(bool commit)
{
	const char *what = commit ? "commit prepared" : "roll back prepared";
	TimestampTz deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
													   FED_SECOND_PHASE_WAIT_MS);
	HASH_SEQ_STATUS scan;
	FedConn    *c;

	any_prepared = false;
	hash_seq_init(&scan, fed_conn_hash);
	while ((c = (FedConn *) hash_seq_search(&scan)))
		if (c->rx.state == FED_XACT_PREPARED)
			fed_xact_resolve_send(c, commit);
	hash_seq_init(&scan, fed_conn_hash);
	while ((c = (FedConn *) hash_seq_search(&scan)))
	{
		FedRemoteError err = {0};
		char		gid[sizeof(c->rx.gid)];

		if (c->rx.state != FED_XACT_PREPARED)
			continue;
		strlcpy(gid, c->rx.gid, sizeof(gid));
		if (fed_xact_resolve_wait(c, commit, deadline, &err))
			continue;
		ereport(WARNING,
				(errcode(ERRCODE_CONNECTION_FAILURE),
				 errmsg("could not %s transaction \"%s\" on server \"%s\"",
						what, gid, c->servername),
				 err.message ? errdetail("%s", err.message) : 0,
				 errhint("The transaction stays prepared there, its rows locked, until federate.recover_prepared_transactions() ends it.")));
	}
}

/* The local transaction committed: COMMIT PREPARED everywhere. */
void
fed_2pc_commit(void)
{
	HASH_SEQ_STATUS scan;
	FedConn    *c;

	if (!any_prepared)
		return;
	if (fault("before_commit_prepared"))
	{
		any_prepared = false;
		hash_seq_init(&scan, fed_conn_hash);
		while ((c = (FedConn *) hash_seq_search(&scan)))
			if (c->rx.state == FED_XACT_PREPARED)
				fed_xact_resolve_missed(c, false);
		return;
	}
	if (fault("crash_before_commit_prepared"))
		kill(MyProcPid, SIGKILL);
	second_phase(true);
}

/* The local transaction aborted: ROLLBACK PREPARED what was prepared. */
void
fed_2pc_abort(void)
{
	if (!any_prepared)
		return;
	second_phase(false);
}

/* What recovery does with a prepared transaction of this coordinator */
typedef enum FedDecision
{
	FED_DECIDE_COMMIT,			/* its commit record exists */
	FED_DECIDE_ROLLBACK,		/* no record, and its local transaction ended */
	FED_DECIDE_WAIT				/* no record yet: its local transaction is
								 * still running (committing, perhaps) */
} FedDecision;

/*
 * The decision for gid, one of ours (SPI connected).  The local
 * transaction named in it is asked about first: while it runs, it may be
 * committing.  Once it is over, its commit record is looked for with a
 * snapshot taken after that: a record it wrote is then visible.
 */
static FedDecision
decide(const char *gid, const char *prefix)
{
	char	   *base = pstrdup(gid);
	char	   *colon = strrchr(base, ':');
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1];
	unsigned int backend,
				lxid,
				nonce;
	int			ret;

	if (colon == NULL)
		return FED_DECIDE_WAIT;
	*colon = '\0';
	if (sscanf(base + strlen(prefix), "%8x:%8x:%8x", &backend, &lxid,
			   &nonce) != 3)
		return FED_DECIDE_WAIT;

	/*
	 * (A coordinator restarted gives the same virtual ids again: this may
	 * then wait for a later transaction to end, never decide too early.)
	 */
	if ((int) backend > 0 && lxid != InvalidLocalTransactionId)
	{
		VirtualTransactionId vxid;

#if PG_VERSION_NUM >= 170000
		vxid.procNumber = (ProcNumber) backend;
#else
		vxid.backendId = (BackendId) backend;
#endif
		vxid.localTransactionId = (LocalTransactionId) lxid;
		if (!VirtualXactLock(vxid, false))
			return FED_DECIDE_WAIT;
	}

	args[0] = CStringGetTextDatum(base);
	PushActiveSnapshot(GetLatestSnapshot());
	ret = SPI_execute_with_args("SELECT 1 FROM federate.commit_records WHERE gid = $1",
								1, argtypes, args, NULL, true, 1);
	PopActiveSnapshot();
	if (ret == SPI_OK_SELECT && SPI_processed > 0)
		return FED_DECIDE_COMMIT;
	return FED_DECIDE_ROLLBACK;
}

/* The federate servers (OidList), by name (SPI connected). */
static List *
federate_servers(void)
{
	List	   *servers = NIL;
	int			ret;

	ret = SPI_execute("SELECT s.oid FROM pg_foreign_server s "
					  "JOIN pg_foreign_data_wrapper w ON w.oid = s.srvfdw "
					  "WHERE w.fdwname = 'federate' ORDER BY s.srvname", true, 0);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "federate: could not list the servers");
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		bool		isnull;

		servers = lappend_oid(servers,
							  DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[i],
															 SPI_tuptable->tupdesc,
															 1, &isnull)));
	}
	return servers;
}

/*
 * This coordinator's and database's prepared transactions on server, as
 * pairs of strings (gid, prepared at or NULL), oldest first where the
 * engine says when; *connp gets the connection, outside any remote
 * transaction.  NIL when the server's engine has no prepared transactions.
 */
static List *
list_prepared(ForeignServer *server, const char *prefix, const char *caller,
			  FedConn **connp)
{
	UserMapping *user = GetUserMapping(GetUserId(), server->serverid);
	FedConn    *c = fed_conn_get_alone(server, user);
	const FedDriver *drv = fed_conn_driver(c);
	const char *params[1];
	FedRow		row;
	int			owner;
	List	   *found = NIL;

	*connp = c;
	if (drv->recover_sql == NULL)
		return NIL;
	if (fed_conn_in_xact(c))
		ereport(ERROR,
				(errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
				 errmsg("cannot list prepared transactions on server \"%s\" inside a remote transaction",
						server->servername),
				 errhint("Call %s in a transaction of its own.", caller)));
	params[0] = prefix;
	fed_conn_open_alone(c, drv->recover_sql, drv->recover_takes_prefix ? 1 : 0,
						params, &owner);
	while (fed_conn_next_row(c, &owner, &row))
	{
		const char *gid;

		if (row.ncols <= drv->recover_gid_col ||
			row.ncols <= drv->recover_at_col)
			continue;
		gid = row.values[drv->recover_gid_col];
		/* (MySQL lists every database's, and other coordinators') */
		if (gid == NULL || strncmp(gid, prefix, strlen(prefix)) != 0)
			continue;
		found = lappend(found,
						list_make2(pstrdup(gid),
								   drv->recover_at_col >= 0 &&
								   row.values[drv->recover_at_col] ?
								   pstrdup(row.values[drv->recover_at_col]) :
								   NULL));
	}
	return found;
}

/*
 * list_prepared, but a server that cannot be asked (down, no user mapping)
 * gets a WARNING, and *ok false, instead of failing the caller: the other
 * servers are still recovered.  (A subtransaction, as a PL/pgSQL exception
 * block, so that the failure's cleanup runs.)
 */
static List *
list_prepared_or_warn(ForeignServer *server, const char *prefix,
					  const char *caller, FedConn **connp, bool *ok)
{
	MemoryContext cxt = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	List	   *found = NIL;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(cxt);
	PG_TRY();
	{
		found = list_prepared(server, prefix, caller, connp);
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = owner;
		*ok = true;
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = owner;
		ereport(WARNING,
				(errcode(edata->sqlerrcode),
				 errmsg("could not list the prepared transactions on server \"%s\"",
						server->servername),
				 errdetail("%s", edata->message),
				 errhint("Its transactions in doubt stay so until %s reaches it.", caller)));
		FreeErrorData(edata);
		found = NIL;
		*ok = false;
	}
	PG_END_TRY();
	return found;
}

/* A prepared transaction of ours found on a server */
typedef struct FedFound
{
	ForeignServer *server;
	FedConn    *conn;			/* to it, outside any remote transaction */
	char	   *gid;
	char	   *prepared;		/* since when (the server's text) */
	FedDecision decision;
} FedFound;

/*
 * This coordinator's and database's prepared transactions on every
 * PostgreSQL server of federate, with recovery's decision for each (SPI
 * connected); *checked gets the servers asked (OidList).
 */
static List *
collect_prepared(const char *prefix, const char *caller, List **checked)
{
	List	   *found = NIL;
	ListCell   *lc;

	foreach(lc, federate_servers())
	{
		ForeignServer *server = GetForeignServer(lfirst_oid(lc));
		FedConn    *c;
		ListCell   *lc2;

		bool		ok;
		List	   *listed = list_prepared_or_warn(server, prefix, caller, &c, &ok);

		if (!ok)
			continue;
		foreach(lc2, listed)
		{
			List	   *pair = lfirst(lc2);
			FedFound   *f = palloc(sizeof(FedFound));

			f->server = server;
			f->conn = c;
			f->gid = linitial(pair);
			f->prepared = lsecond(pair);
			f->decision = decide(f->gid, prefix);
			found = lappend(found, f);
		}
		if (checked)
			*checked = lappend_oid(*checked, server->serverid);
	}
	return found;
}

/*
 * federate.recover_prepared_transactions(): for every PostgreSQL server of
 * federate that the current user has a user mapping for, commit the
 * prepared transactions of this coordinator and database whose commit
 * record exists, and roll back those without one whose local transaction
 * is over; then delete the commit records none of whose servers holds
 * their transactions any more.  Returns one row per transaction ended.
 */
PG_FUNCTION_INFO_V1(federate_recover_prepared_transactions);

Datum
federate_recover_prepared_transactions(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char		prefix[64];
	List	   *checked = NIL;
	List	   *failed = NIL;	/* global ids of transactions not ended */
	ListCell   *lc;
	int			ret;
	TimestampTz start = GetCurrentTimestamp();

	if (IsTransactionBlock())
		ereport(ERROR,
				(errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
				 errmsg("federate.recover_prepared_transactions() cannot run inside a transaction block")));
	InitMaterializedSRF(fcinfo, 0);
	gid_prefix(prefix, sizeof(prefix));

	SPI_connect();
	foreach(lc, collect_prepared(prefix, "federate.recover_prepared_transactions()",
								 &checked))
	{
		FedFound   *f = lfirst(lc);
		char		sql[160];
		Datum		values[3];
		bool		nulls[3] = {false, false, false};
		FedRemoteError err = {0};
		bool		commit = f->decision == FED_DECIDE_COMMIT;

		if (f->decision == FED_DECIDE_WAIT)
			continue;
		snprintf(sql, sizeof(sql),
				 commit ? f->conn->driver->commit_prepared_fmt :
				 f->conn->driver->rollback_prepared_fmt, f->gid, f->gid);
		if (!fed_conn_exec_internal(f->conn, sql, 0, NULL, &err, 0, true, NULL) &&
			!fed_xact_branch_gone(f->conn, &err, commit))
		{
			/* left for the next call; its commit record is kept */
			char	   *base = pstrdup(f->gid);

			*strrchr(base, ':') = '\0';
			failed = lappend(failed, base);
			if (err.connection_lost && f->conn->handle)
				fed_conn_close_handle(f->conn);
			ereport(WARNING,
					(errcode(ERRCODE_CONNECTION_FAILURE),
					 errmsg("could not %s prepared transaction \"%s\" on server \"%s\"",
							commit ? "commit" : "roll back", f->gid,
							f->server->servername),
					 errdetail("%s", err.message ? err.message : "unknown error")));
			continue;
		}
		values[0] = CStringGetTextDatum(f->server->servername);
		values[1] = CStringGetTextDatum(f->gid);
		values[2] = CStringGetTextDatum(f->decision == FED_DECIDE_COMMIT ?
										"committed" : "rolled back");
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}

	/*
	 * A commit record is done with once every server it names was checked
	 * here and held none of its transactions any more (all were just
	 * committed, or earlier).  Only records written before this function
	 * started: their transactions were prepared before the servers were
	 * listed.
	 */
	{
		Datum	   *elems;
		Datum	   *gids;
		int			i = 0;
		Oid			argtypes[4] = {OIDARRAYOID, TEXTOID, TIMESTAMPTZOID, TEXTARRAYOID};
		Datum		args[4];

		elems = palloc(sizeof(Datum) * (list_length(checked) + 1));
		foreach(lc, checked)
			elems[i++] = ObjectIdGetDatum(lfirst_oid(lc));
		args[0] = PointerGetDatum(construct_array(elems, i, OIDOID, sizeof(Oid),
												  true, TYPALIGN_INT));
		args[1] = CStringGetTextDatum(prefix);
		args[2] = TimestampTzGetDatum(start);
		gids = palloc(sizeof(Datum) * (list_length(failed) + 1));
		i = 0;
		foreach(lc, failed)
			gids[i++] = CStringGetTextDatum((char *) lfirst(lc));
		args[3] = PointerGetDatum(construct_array(gids, i, TEXTOID, -1, false,
												  TYPALIGN_INT));
		/* (not those of transactions that could not be ended) */
		ret = SPI_execute_with_args("DELETE FROM federate.commit_records WHERE servers <@ $1 "
									"AND starts_with(gid, $2) AND at < $3 "
									"AND gid <> ALL ($4)",
									4, argtypes, args, NULL, false, 0);
		if (ret != SPI_OK_DELETE)
			elog(ERROR, "federate: could not delete commit records");
	}
	SPI_finish();
	return (Datum) 0;
}

/*
 * federate.prepared_transactions(): the prepared transactions of this
 * coordinator and database on every PostgreSQL server of federate that the
 * current user has a user mapping for, oldest first: in doubt, and what
 * recovery would do with them.
 */
PG_FUNCTION_INFO_V1(federate_prepared_transactions);

Datum
federate_prepared_transactions(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char		prefix[64];
	ListCell   *lc;

	InitMaterializedSRF(fcinfo, 0);
	gid_prefix(prefix, sizeof(prefix));
	SPI_connect();
	foreach(lc, collect_prepared(prefix, "federate.prepared_transactions()", NULL))
	{
		FedFound   *f = lfirst(lc);
		Datum		values[4];
		bool		nulls[4] = {false, false, false, false};

		values[0] = CStringGetTextDatum(f->server->servername);
		values[1] = CStringGetTextDatum(f->gid);
		if (f->prepared)
			values[2] = DirectFunctionCall3(timestamptz_in,
											CStringGetDatum(f->prepared),
											ObjectIdGetDatum(InvalidOid),
											Int32GetDatum(-1));
		else
			nulls[2] = true;
		values[3] = CStringGetTextDatum(f->decision == FED_DECIDE_COMMIT ? "commit" :
										f->decision == FED_DECIDE_ROLLBACK ? "roll back" :
										"wait");
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	SPI_finish();
	return (Datum) 0;
}

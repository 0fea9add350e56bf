/*-------------------------------------------------------------------------
 *
 * twophase.c
 *		Two-phase commit of a local transaction that wrote to several
 *		servers, and the recovery of what it leaves in doubt.
 *
 * When the local transaction commits (its PRE_COMMIT callback) and has
 * written through two or more connections, each PostgreSQL server that
 * was written gets PREPARE TRANSACTION (all at once, then each is waited
 * for); then a commit record is inserted into federate.commit_records in
 * the local transaction itself, so that the local commit is the commit
 * point; then the remote transactions that only read, and those of MySQL
 * servers (which have no two-phase commit here yet), commit as usual.
 * Once the local commit is durable (the COMMIT callback), every prepared
 * transaction gets COMMIT PREPARED.  A failure before the local commit
 * aborts it, and the prepared transactions get ROLLBACK PREPARED; a
 * failure after it (a server lost, the coordinator stopped) leaves the
 * transaction prepared on that server, "in doubt": its rows stay locked
 * there until federate.recover_prepared_transactions() commits it (its
 * commit record exists) or rolls it back (no record, and the local
 * transaction is over).
 *
 * The global transaction id names the coordinator, its database and the
 * local transaction: "fed:<system identifier>:<database oid>:<full
 * transaction id>:<random>:<n>" (hexadecimal; at most 64 bytes, MySQL's
 * XA limit), so that coordinators sharing servers never touch each
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
#include "storage/procarray.h"
#include "port.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "remote/conn_internal.h"

bool		fed_two_phase_commit = true;
char	   *fed_inject_fault = NULL;

/* How long the COMMIT/ROLLBACK PREPARED after the local end may wait */
#define FED_SECOND_PHASE_WAIT_MS	10000

/* A remote transaction prepared by the committing local transaction */
typedef struct FedPrepared
{
	FedConn    *conn;
	Oid			serverid;
	char		servername[NAMEDATALEN];
	char		gid[96];
	int			r;				/* the second phase's first step */
} FedPrepared;

/* Those of the transaction committing now (TopMemoryContext) */
static List *prepared = NIL;

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
	r = c->driver->query_start(c->handle, "SHOW max_prepared_transactions",
							   0, NULL, 0, &err);
	r = fed_conn_drive(c, FED_STEP_QUERY, r, NULL, &err, 0, true);
	if (r == FED_IO_ERROR)
		fed_conn_fail(c, &err, "SHOW max_prepared_transactions");
	c->max_prepared = 0;
	for (;;)
	{
		r = c->driver->next_row(c->handle, &row, &err);
		r = fed_conn_drive(c, FED_STEP_ROW, r, &row, &err, 0, true);
		if (r == FED_IO_ERROR)
			fed_conn_fail(c, &err, "SHOW max_prepared_transactions");
		if (r != FED_IO_ROW)
			break;
		if (row.ncols == 1 && row.values[0])
			c->max_prepared = atoi(row.values[0]);
	}
}

/*
 * Two-phase commit, first phase (PRE_COMMIT), when the transaction wrote
 * through two or more connections: prepare every written PostgreSQL
 * server's transaction and write the commit record.  What is left open
 * (reads, MySQL writes) the caller commits as usual afterwards.
 */
void
fed_2pc_prepare(void)
{
	HASH_SEQ_STATUS scan;
	FedConn    *c;
	int			written = 0;
	List	   *conns = NIL;
	List	   *servers = NIL;
	char		base[96];
	char		prefix[64];
	ListCell   *lc;
	MemoryContext old;
	int			n = 0;
	uint32		nonce;

	if (!fed_two_phase_commit)
		return;
	hash_seq_init(&scan, fed_conn_hash);
	while ((c = (FedConn *) hash_seq_search(&scan)))
	{
		if (c->xact_depth == 0 || c->xact != FED_XACT_WRITTEN)
			continue;
		written++;
		if (c->handle && c->driver->prepare_fmt)
			conns = lappend(conns, c);
	}
	if (written < 2 || conns == NIL)
		return;

	/* a server that cannot prepare fails the commit before anything is */
	foreach(lc, conns)
	{
		c = lfirst(lc);
		c->owner = NULL;
		c->park = NULL;
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
	 * The local transaction id, and a random number: a coordinator that
	 * crashed may give the same id to a later transaction (an id is not
	 * logged until the transaction writes), whose global id must differ.
	 */
	if (!pg_strong_random(&nonce, sizeof(nonce)))
		elog(ERROR, "federate: could not generate a random number");
	gid_prefix(prefix, sizeof(prefix));
	snprintf(base, sizeof(base), "%s%016" INT64_MODIFIER "x:%08x", prefix,
			 U64FromFullTransactionId(GetTopFullTransactionId()), nonce);

	/* PREPARE TRANSACTION everywhere at once, then wait for each */
	old = MemoryContextSwitchTo(TopMemoryContext);
	foreach(lc, conns)
	{
		FedPrepared *p = palloc0(sizeof(FedPrepared));
		FedRemoteError err = {0};
		char		sql[160];

		c = lfirst(lc);
		p->conn = c;
		p->serverid = c->serverid;
		strlcpy(p->servername, c->servername, sizeof(p->servername));
		snprintf(p->gid, sizeof(p->gid), "%s:%d", base, ++n);
		snprintf(sql, sizeof(sql), c->driver->prepare_fmt, p->gid);
		fed_conn_log_sql(c, sql);
		c->commit_r = c->driver->query_start(c->handle, sql, 0, NULL, 0, &err);
		if (c->commit_r == FED_IO_ERROR)
		{
			MemoryContextSwitchTo(old);
			fed_xact_ended(c);
			fed_conn_fail(c, &err, sql);
		}
		prepared = lappend(prepared, p);
		servers = list_append_unique_oid(servers, c->serverid);
	}
	MemoryContextSwitchTo(old);
	foreach(lc, prepared)
	{
		FedPrepared *p = lfirst(lc);
		FedRemoteError err = {0};

		c = p->conn;
		/* prepared or not, the transaction is no longer open there */
		fed_xact_ended(c);
		if (!fed_conn_finish_internal(c, c->commit_r, &err, 0, true, NULL))
		{
			/* not prepared: the abort must not try to roll it back */
			prepared = list_delete_ptr(prepared, p);
			fed_conn_fail(c, &err, "PREPARE TRANSACTION");
		}
	}

	if (fault("after_prepare"))
		elog(ERROR, "federate: injected fault after_prepare");
	if (fault("crash_after_prepare"))
		kill(MyProcPid, SIGKILL);

	insert_commit_record(base, servers);
}

/*
 * COMMIT PREPARED (commit) or ROLLBACK PREPARED each prepared transaction,
 * in its driver's words: sent to all, then each waited for.
 */
static void
second_phase(bool commit)
{
	const char *what = commit ? "commit prepared" : "roll back prepared";
	TimestampTz deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
													   FED_SECOND_PHASE_WAIT_MS);
	ListCell   *lc;

	foreach(lc, prepared)
	{
		FedPrepared *p = lfirst(lc);
		FedConn    *c = p->conn;
		FedRemoteError err = {0};
		char		sql[160];

		p->r = FED_IO_ERROR;
		if (c->handle == NULL || c->phase != FED_PHASE_IDLE)
			continue;
		snprintf(sql, sizeof(sql), commit ? c->driver->commit_prepared_fmt :
				 c->driver->rollback_prepared_fmt, p->gid);
		fed_conn_log_sql(c, sql);
		p->r = c->driver->query_start(c->handle, sql, 0, NULL, 0, &err);
	}
	foreach(lc, prepared)
	{
		FedPrepared *p = lfirst(lc);
		FedConn    *c = p->conn;
		FedRemoteError err = {0};

		if (p->r != FED_IO_ERROR &&
			fed_conn_finish_internal(c, p->r, &err, deadline, false, NULL))
			continue;
		if (c->handle && (p->r == FED_IO_ERROR || err.connection_lost ||
						  err.timed_out))
			fed_conn_close_handle(c);
		ereport(WARNING,
				(errcode(ERRCODE_CONNECTION_FAILURE),
				 errmsg("could not %s transaction \"%s\" on server \"%s\"",
						what, p->gid, p->servername),
				 err.message ? errdetail("%s", err.message) : 0,
				 errhint("The transaction stays prepared there, its rows locked, until federate.recover_prepared_transactions() ends it.")));
	}
	list_free_deep(prepared);
	prepared = NIL;
}

/* The local transaction committed: COMMIT PREPARED everywhere. */
void
fed_2pc_commit(void)
{
	if (prepared == NIL)
		return;
	if (fault("before_commit_prepared"))
	{
		list_free_deep(prepared);
		prepared = NIL;
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
	if (prepared == NIL)
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

/* The decision for gid, one of ours (SPI connected). */
static FedDecision
decide(const char *gid, const char *prefix)
{
	char	   *base = pstrdup(gid);
	char	   *colon = strrchr(base, ':');
	char	   *xidtext;
	char	   *end;
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1];
	FullTransactionId fxid;
	int			ret;

	if (colon == NULL)
		return FED_DECIDE_WAIT;
	*colon = '\0';
	args[0] = CStringGetTextDatum(base);
	ret = SPI_execute_with_args("SELECT 1 FROM federate.commit_records WHERE gid = $1",
								1, argtypes, args, NULL, true, 1);
	if (ret == SPI_OK_SELECT && SPI_processed > 0)
		return FED_DECIDE_COMMIT;

	/*
	 * The local transaction may still be committing.  (Its id may also be
	 * a later transaction's, after a crash: then this waits for that one to
	 * end too.)  An id not given out yet is one a crash took back: that
	 * transaction is over.
	 */
	xidtext = base + strlen(prefix);
	fxid = FullTransactionIdFromU64(strtou64(xidtext, &end, 16));
	if (end == xidtext || *end != ':')
		return FED_DECIDE_WAIT;
	if (FullTransactionIdPrecedes(fxid, ReadNextFullTransactionId()) &&
		TransactionIdIsInProgress(XidFromFullTransactionId(fxid)))
		return FED_DECIDE_WAIT;
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
 * pairs of strings (gid, prepared at), oldest first; *connp gets the
 * connection, outside any remote transaction.
 */
static List *
list_prepared(ForeignServer *server, const char *prefix, const char *caller,
			  FedConn **connp)
{
	UserMapping *user = GetUserMapping(GetUserId(), server->serverid);
	FedConn    *c = fed_conn_get_alone(server, user);
	char		like[80];
	const char *params[1];
	FedRow		row;
	int			owner;
	List	   *found = NIL;

	if (fed_conn_in_xact(c))
		ereport(ERROR,
				(errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
				 errmsg("cannot list prepared transactions on server \"%s\" inside a remote transaction",
						server->servername),
				 errhint("Call %s in a transaction of its own.", caller)));
	snprintf(like, sizeof(like), "%s%%", prefix);
	params[0] = like;
	fed_conn_open_alone(c, "SELECT gid, prepared FROM pg_prepared_xacts "
						"WHERE database = current_database() AND gid LIKE $1 "
						"ORDER BY prepared", 1, params, &owner);
	while (fed_conn_next_row(c, &owner, &row))
	{
		if (row.ncols == 2 && row.values[0] && row.values[1])
			found = lappend(found, list_make2(pstrdup(row.values[0]),
											  pstrdup(row.values[1])));
	}
	*connp = c;
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

		if (fed_server_driver(server) != FED_DRIVER_POSTGRES)
			continue;
		foreach(lc2, list_prepared(server, prefix, caller, &c))
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

		if (f->decision == FED_DECIDE_WAIT)
			continue;
		snprintf(sql, sizeof(sql),
				 f->decision == FED_DECIDE_COMMIT ? f->conn->driver->commit_prepared_fmt :
				 f->conn->driver->rollback_prepared_fmt, f->gid);
		fed_conn_exec(f->conn, sql, 0, NULL);
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
		int			i = 0;
		Oid			argtypes[3] = {OIDARRAYOID, TEXTOID, TIMESTAMPTZOID};
		Datum		args[3];

		elems = palloc(sizeof(Datum) * (list_length(checked) + 1));
		foreach(lc, checked)
			elems[i++] = ObjectIdGetDatum(lfirst_oid(lc));
		args[0] = PointerGetDatum(construct_array(elems, i, OIDOID, sizeof(Oid),
												  true, TYPALIGN_INT));
		args[1] = CStringGetTextDatum(prefix);
		args[2] = TimestampTzGetDatum(start);
		ret = SPI_execute_with_args("DELETE FROM federate.commit_records WHERE servers <@ $1 "
									"AND starts_with(gid, $2) AND at < $3",
									3, argtypes, args, NULL, false, 0);
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
		values[2] = DirectFunctionCall3(timestamptz_in,
										CStringGetDatum(f->prepared),
										ObjectIdGetDatum(InvalidOid),
										Int32GetDatum(-1));
		values[3] = CStringGetTextDatum(f->decision == FED_DECIDE_COMMIT ? "commit" :
										f->decision == FED_DECIDE_ROLLBACK ? "roll back" :
										"wait");
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	SPI_finish();
	return (Datum) 0;
}

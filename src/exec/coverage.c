/*-------------------------------------------------------------------------
 *
 * coverage.c
 *		Telling the client how much of the data a federated query's answer
 *		covers: the coverage NOTICE and federate.last_coverage().
 *
 * A Federate Scan that lost shards (partial mode) or had a replica answer
 * for one reports it once per execution as a NOTICE:
 *
 *	shard coverage 3/4, aggregates are approximate: missing shard sales_2
 *	on server "my1" (connection refused)
 *
 * and every scan adds its numbers to the session's "last coverage": the
 * coverage of all Federate Scans of the last statement that had any, which
 * federate.last_coverage() returns so that applications need not parse
 * messages.
 *
 * src/exec/coverage.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/proc.h"
#include "tcop/tcopprot.h"
#include "utils/array.h"
#include "utils/backend_status.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "exec/coverage.h"
#include "health/health.h"

PG_FUNCTION_INFO_V1(federate_last_coverage);

/* The session's last coverage. */
static MemoryContext last_cxt = NULL;
static FedCoverage *last = NULL;
static TimestampTz last_stmt = 0;
static LocalTransactionId last_lxid = InvalidLocalTransactionId;

static void
append_notes(StringInfo buf, List *notes, bool replaced)
{
	ListCell   *lc;

	foreach(lc, notes)
	{
		FedShardNote *n = lfirst(lc);

		if (foreach_current_index(lc) > 0)
			appendStringInfoString(buf, ", ");
		if (replaced)
			appendStringInfo(buf, "shard %s on server \"%s\" answered by replica \"%s\" (%s)",
							 n->shard, n->server, n->replica, n->reason);
		else
			appendStringInfo(buf, "%s on server \"%s\" (%s)",
							 n->shard, n->server, n->reason);
	}
}

/* The NOTICE of a scan that lost shards or used a replica. */
void
fed_coverage_notice(FedCoverage *cov)
{
	StringInfoData msg;
	StringInfoData detail;
	ListCell   *lc;

	if (cov->missing == NIL && cov->replaced == NIL)
		return;

	initStringInfo(&msg);
	if (cov->missing)
	{
		appendStringInfo(&msg, "missing %s ",
						 list_length(cov->missing) > 1 ? "shards" : "shard");
		append_notes(&msg, cov->missing, false);
	}
	if (cov->replaced)
	{
		if (cov->missing)
			appendStringInfoString(&msg, "; ");
		append_notes(&msg, cov->replaced, true);
	}

	initStringInfo(&detail);
	foreach(lc, list_concat_copy(cov->missing, cov->replaced))
	{
		FedShardNote *n = lfirst(lc);

		if (detail.len > 0)
			appendStringInfoChar(&detail, '\n');
		appendStringInfo(&detail, "Server \"%s\" (shard %s): %s", n->server,
						 n->shard, n->detail);
	}

	ereport(NOTICE,
			(errmsg("shard coverage %d/%d%s: %s", cov->answered, cov->total,
					cov->approximate ? ", aggregates are approximate" : "",
					msg.data),
			 errdetail_internal("%s", detail.data)));
}

static FedShardNote *
copy_note(FedShardNote *n)
{
	FedShardNote *c = palloc(sizeof(FedShardNote));

	c->shard = pstrdup(n->shard);
	c->server = pstrdup(n->server);
	c->reason = pstrdup(n->reason);
	c->detail = pstrdup(n->detail);
	c->replica = n->replica ? pstrdup(n->replica) : NULL;
	return c;
}

/* A copy of src, notes and all, in the current memory context. */
void
fed_coverage_copy(FedCoverage *dst, const FedCoverage *src)
{
	ListCell   *lc;

	*dst = *src;
	dst->missing = NIL;
	dst->replaced = NIL;
	foreach(lc, src->missing)
		dst->missing = lappend(dst->missing, copy_note(lfirst(lc)));
	foreach(lc, src->replaced)
		dst->replaced = lappend(dst->replaced, copy_note(lfirst(lc)));
}

/*
 * Add a scan's coverage to the session's last coverage: the statement's,
 * starting afresh when this is a new statement.
 */
void
fed_coverage_remember(FedCoverage *cov)
{
	TimestampTz stmt = GetCurrentStatementStartTimestamp();
	MemoryContext old;
	ListCell   *lc;

	if (last_cxt == NULL)
		last_cxt = AllocSetContextCreate(TopMemoryContext,
										 "federate last coverage",
										 ALLOCSET_SMALL_SIZES);
	if (last == NULL || stmt != last_stmt || MyProc->lxid != last_lxid)
	{
		MemoryContextReset(last_cxt);
		last = MemoryContextAllocZero(last_cxt, sizeof(FedCoverage));
		last_stmt = stmt;
		last_lxid = MyProc->lxid;
	}

	old = MemoryContextSwitchTo(last_cxt);
	last->total += cov->total;
	last->answered += cov->answered;
	last->approximate |= cov->approximate;
	foreach(lc, cov->missing)
		last->missing = lappend(last->missing, copy_note(lfirst(lc)));
	foreach(lc, cov->replaced)
		last->replaced = lappend(last->replaced, copy_note(lfirst(lc)));
	MemoryContextSwitchTo(old);
}

/* The note of a task that failed, or that a replica answered for. */
static FedShardNote *
task_note(const char *shard, const FedTaskStats *stats, int kind)
{
	FedShardNote *n = palloc0(sizeof(FedShardNote));

	n->shard = pstrdup(shard);
	n->server = pstrdup(stats->server);
	n->reason = pstrdup(fed_fail_reason(kind));
	n->detail = pstrdup(stats->fail_detail ? stats->fail_detail : "");
	if (stats->replica_note)
		n->detail = psprintf("%s (not answered by a replica: %s)", n->detail,
							 stats->replica_note);
	return n;
}

/* Count one task of a scan (shard is its foreign table's name). */
void
fed_coverage_add_task(FedCoverage *cov, const char *shard,
					  const FedTaskStats *stats)
{
	if (cov->ntimed < FED_DISPATCH_SHARDS)
	{
		FedDispatchShard *t = &cov->timed[cov->ntimed++];

		fed_copy_text(t->shard, shard ? shard : "", sizeof(t->shard));
		fed_copy_text(t->server, stats->replica ? stats->replica :
					  stats->server ? stats->server : "", sizeof(t->server));
		t->answered = !stats->failed;
		t->rows = stats->rows;
		t->ms = stats->ms;
	}
	cov->total++;
	if (stats->failed)
		cov->missing = lappend(cov->missing,
							   task_note(shard, stats, stats->fail_kind));
	else
	{
		cov->answered++;
		if (stats->replica)
		{
			FedShardNote *n = task_note(shard, stats, stats->fallback_kind);

			n->replica = pstrdup(stats->replica);
			cov->replaced = lappend(cov->replaced, n);
		}
	}
}

/*
 * The report of one execution of a scan of relname (nshards shards in
 * all): the session's last coverage, a line of the dispatch log, and the
 * NOTICE (once per scan: *noticed), not when aborting (raised: the scan's
 * own failure failed the query).
 */
void
fed_coverage_report(FedCoverage *cov, const char *relname,
					TimestampTz started_at, int nshards, bool aborting,
					bool raised, bool *noticed)
{
	FedDispatch d = {0};

	fed_coverage_remember(cov);

	d.at = started_at;
	d.userid = GetUserId();
	d.pid = MyProcPid;
	d.query_id = pgstat_get_my_query_id();
	fed_copy_text(d.query, debug_query_string ? debug_query_string : "",
				  sizeof(d.query));
	fed_copy_text(d.relation, relname ? relname : "", sizeof(d.relation));
	d.targeted = cov->total == 1;
	d.contacted = cov->total;
	d.total = nshards;
	d.answered = cov->answered;
	d.replicas = list_length(cov->replaced);
	strlcpy(d.status,
			aborting ? (raised ? "failed" : "cancelled") :
			cov->missing ? "partial" : "complete", sizeof(d.status));
	d.duration_ms = (double) (GetCurrentTimestamp() - started_at) / 1000.0;
	d.nshards = cov->ntimed;
	memcpy(d.shards, cov->timed, sizeof(FedDispatchShard) * cov->ntimed);
	/* an execution pruned to no shard (a rescan, say) dispatched nothing */
	if (cov->total > 0)
		fed_dispatch_record(&d);

	if (!aborting && !*noticed && (cov->missing || cov->replaced))
	{
		*noticed = true;
		fed_coverage_notice(cov);
	}
}

/* A text[] of one field of the notes. */
static Datum
notes_array(List *notes, int field)
{
	Datum	   *elems = palloc(sizeof(Datum) * Max(list_length(notes), 1));
	ListCell   *lc;
	int			n = 0;

	foreach(lc, notes)
	{
		FedShardNote *note = lfirst(lc);
		char	   *v = field == 0 ? note->shard : field == 1 ? note->server :
			field == 2 ? note->reason : note->replica;

		elems[n++] = CStringGetTextDatum(v ? v : "");
	}
	return PointerGetDatum(construct_array(elems, n, TEXTOID, -1, false,
										   TYPALIGN_INT));
}

/*
 * federate.last_coverage(): the coverage of the session's last statement
 * that read federated tables; NULLs before the first.
 */
Datum
federate_last_coverage(PG_FUNCTION_ARGS)
{
	TupleDesc	desc;
	Datum		values[8];
	bool		nulls[8] = {0};

	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	desc = BlessTupleDesc(desc);
	if (last == NULL)
	{
		memset(nulls, true, sizeof(nulls));
		PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(desc, values, nulls)));
	}
	values[0] = Int32GetDatum(last->total);
	values[1] = Int32GetDatum(last->answered);
	values[2] = notes_array(last->missing, 0);
	values[3] = notes_array(last->missing, 1);
	values[4] = notes_array(last->missing, 2);
	values[5] = notes_array(last->replaced, 0);
	values[6] = notes_array(last->replaced, 3);
	values[7] = BoolGetDatum(last->missing == NIL);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(desc, values, nulls)));
}

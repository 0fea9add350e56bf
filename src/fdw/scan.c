/*-------------------------------------------------------------------------
 *
 * scan.c
 *		ForeignScan on one federate foreign table: planning and execution.
 *
 * Planning splits the restriction clauses into those the engine can
 * evaluate (shipped in the remote WHERE) and the rest (evaluated here),
 * and asks only for the columns the query uses.  No remote round trip
 * happens while planning, and none on plain EXPLAIN: the connection is
 * made on the first row requested.
 *
 * Execution is a fan-out of one task (exec/fanout.c), so a plain scan gets
 * what every federated read gets: streaming in batches of fetch_size rows,
 * the statement timeout, retries, the replica, partial mode with its
 * coverage NOTICE, the connection budget, and parking (when another
 * statement needs the connection first, the rest of the result goes to a
 * tuplestore).  A scan of the table the statement writes (the rows an
 * UPDATE or DELETE reads) reads through the writing connection, in the
 * writing remote transaction, and is never left out in partial mode.
 *
 * src/fdw/scan.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/table.h"
#include "commands/explain.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/cost.h"
#include "optimizer/optimizer.h"
#include "optimizer/pathnode.h"
#include "optimizer/planmain.h"
#include "optimizer/prep.h"
#include "optimizer/restrictinfo.h"
#include "parser/parsetree.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

#include "deparse/deparse.h"
#include "exec/coverage.h"
#include "exec/fanout.h"
#include "fdw/fdw.h"

/* What planning keeps about a foreign base relation (baserel->fdw_private). */
typedef struct FedRelInfo
{
	FedTableInfo info;
	List	   *remote_conds;	/* RestrictInfos shipped */
	List	   *local_conds;	/* RestrictInfos kept here */
	Bitmapset  *attrs_used;		/* attnos (not offset) the query reads */
} FedRelInfo;

/* ForeignScan.fdw_private slots */
enum FedScanPrivateIndex
{
	FedPrivateSql,				/* remote statement (String) */
	FedPrivateRetrieved,		/* attnums of its select list (IntList) */
	FedPrivateParamOffsets,		/* literal positions, MySQL (IntList) */
	FedPrivateFetchSize			/* Integer */
};

typedef struct FedScanState
{
	FedTableInfo info;
	const FedDialect *dialect;
	char	   *sql;
	List	   *param_offsets;
	List	   *param_states;	/* ExprState per parameter */
	int			fetch_size;
	FedConverter *converter;
	bool		writer;			/* the statement writes this table */
	FedFanout  *fanout;			/* one task: this table */
	MemoryContext exec_cxt;		/* one execution's parameters and SQL */
	bool		started;
	bool		reported;
	bool		noticed;		/* the coverage NOTICE was sent */
	TimestampTz started_at;
	ForeignScanState *node;
} FedScanState;

void
fedGetForeignRelSize(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid)
{
	FedRelInfo *fr = palloc0(sizeof(FedRelInfo));
	RangeTblEntry *rte = planner_rt_fetch(baserel->relid, root);
	const FedDialect *dialect;
	ListCell   *lc;

	baserel->fdw_private = fr;
	fed_table_info(foreigntableid, rte->checkAsUser, &fr->info);
	dialect = fed_dialect(fr->info.driver);

	foreach(lc, baserel->baserestrictinfo)
	{
		RestrictInfo *ri = lfirst_node(RestrictInfo, lc);

		if (fed_is_shippable(root, baserel, baserel->relid, dialect, ri->clause))
			fr->remote_conds = lappend(fr->remote_conds, ri);
		else
			fr->local_conds = lappend(fr->local_conds, ri);
	}

	pull_varattnos((Node *) baserel->reltarget->exprs, baserel->relid,
				   &fr->attrs_used);
	foreach(lc, fr->local_conds)
	{
		RestrictInfo *ri = lfirst_node(RestrictInfo, lc);

		pull_varattnos((Node *) ri->clause, baserel->relid, &fr->attrs_used);
	}

	/* No remote statistics query: use ANALYZE'd numbers or a guess. */
	if (baserel->tuples <= 0)
		baserel->tuples = 1000;
	set_baserel_size_estimates(root, baserel);
}

void
fedGetForeignPaths(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid)
{
	FedRelInfo *fr = (FedRelInfo *) baserel->fdw_private;
	Cost		startup = 100.0;
	Cost		total;

	/* a round trip, then rows; work done remotely is cheaper than here */
	total = startup + baserel->rows * cpu_tuple_cost * 2 +
		baserel->tuples * cpu_operator_cost * list_length(fr->remote_conds);
	/* a table with LATERAL references is read once per outer row */
	add_path(baserel, (Path *)
			 create_foreignscan_path(root, baserel, NULL, baserel->rows,
									 startup, total, NIL,
									 baserel->lateral_relids, NULL, NIL));
}

/* The shipped conditions of a relation planned by fedGetForeignRelSize. */
List *
fed_scan_remote_conds(RelOptInfo *baserel)
{
	return ((FedRelInfo *) baserel->fdw_private)->remote_conds;
}

ForeignScan *
fedGetForeignPlan(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid,
				  ForeignPath *best_path, List *tlist, List *scan_clauses,
				  Plan *outer_plan)
{
	FedRelInfo *fr = (FedRelInfo *) baserel->fdw_private;
	const FedDialect *dialect = fed_dialect(fr->info.driver);
	List	   *local_exprs = NIL;
	List	   *remote_conds = NIL;
	List	   *retrieved = NIL;
	List	   *params = NIL;
	List	   *offsets = NIL;
	StringInfoData sql;
	ListCell   *lc;

	foreach(lc, scan_clauses)
	{
		RestrictInfo *ri = lfirst_node(RestrictInfo, lc);

		if (ri->pseudoconstant)
			continue;
		if (list_member_ptr(fr->remote_conds, ri))
			remote_conds = lappend(remote_conds, ri);
		else if (list_member_ptr(fr->local_conds, ri))
			local_exprs = lappend(local_exprs, ri->clause);
		else if (fed_is_shippable(root, baserel, baserel->relid, dialect, ri->clause))
			remote_conds = lappend(remote_conds, ri);
		else
			local_exprs = lappend(local_exprs, ri->clause);
	}

	initStringInfo(&sql);
	fed_deparse_select(&sql, root, baserel, &fr->info, dialect,
					   fr->attrs_used, remote_conds, &retrieved,
					   &params, &offsets);

	/*
	 * Rows that an UPDATE or DELETE will change are locked when read, and
	 * so are those of SELECT ... FOR UPDATE / FOR SHARE (with NOWAIT or
	 * SKIP LOCKED), on the shard that holds them.  FOR NO KEY UPDATE and
	 * FOR KEY SHARE lock as FOR UPDATE and FOR SHARE: the engines' nearest.
	 */
	if (bms_is_member(baserel->relid, root->all_result_relids) &&
		(root->parse->commandType == CMD_UPDATE ||
		 root->parse->commandType == CMD_DELETE))
		appendStringInfoString(&sql, " FOR UPDATE");
	else
	{
		PlanRowMark *rc = get_plan_rowmark(root->rowMarks, baserel->relid);

		if (rc && rc->strength != LCS_NONE)
		{
			if (rc->strength == LCS_FORKEYSHARE || rc->strength == LCS_FORSHARE)
				appendStringInfoString(&sql, dialect->lock_share);
			else
				appendStringInfoString(&sql, " FOR UPDATE");
			if (rc->waitPolicy == LockWaitError)
				appendStringInfoString(&sql, " NOWAIT");
			else if (rc->waitPolicy == LockWaitSkip)
				appendStringInfoString(&sql, " SKIP LOCKED");
		}
	}

	return make_foreignscan(tlist, local_exprs, baserel->relid, params,
							list_make4(makeString(sql.data), retrieved, offsets,
									   makeInteger(fr->info.fetch_size)),
							NIL, NIL, outer_plan);
}

/*
 * The statement to send with its parameter values: for engines with
 * placeholders the values as text in *params, otherwise the values written
 * into the statement as literals (*nparams becomes 0).  extra_type, when
 * valid, adds one parameter after param_states' (a join's shipped keys).
 * Allocates in the current memory context.
 */
const char *
fed_bind_params(const FedDialect *dialect, const char *sql, List *offsets,
				List *param_states, ExprContext *econtext,
				Oid extra_type, Datum extra_value,
				int *nparams, const char ***params)
{
	int			n = list_length(param_states) + (OidIsValid(extra_type) ? 1 : 0);
	Datum	   *values = palloc0(sizeof(Datum) * (n + 1));
	bool	   *nulls = palloc0(sizeof(bool) * (n + 1));
	Oid		   *types = palloc0(sizeof(Oid) * (n + 1));
	int			i = 0;
	ListCell   *lc;

	*nparams = 0;
	*params = NULL;
	if (n == 0)
		return sql;
	foreach(lc, param_states)
	{
		ExprState  *es = (ExprState *) lfirst(lc);

		values[i] = ExecEvalExpr(es, econtext, &nulls[i]);
		types[i] = exprType((Node *) es->expr);
		i++;
	}
	if (OidIsValid(extra_type))
	{
		values[i] = extra_value;
		types[i] = extra_type;
	}
	if (!dialect->has_placeholders)
		return fed_splice_params(sql, offsets, dialect, n, types, values, nulls);

	*params = palloc0(sizeof(char *) * (n + 1));
	for (i = 0; i < n; i++)
		(*params)[i] = nulls[i] ? NULL : fed_value_text(types[i], values[i]);
	*nparams = n;
	return sql;
}

static void report_on_cleanup(void *arg);
static void open_scan(FedScanState *st);

void
fedBeginForeignScan(ForeignScanState *node, int eflags)
{
	ForeignScan *fs = (ForeignScan *) node->ss.ps.plan;
	EState	   *estate = node->ss.ps.state;
	RangeTblEntry *rte = exec_rt_fetch(fs->scan.scanrelid, estate);
	FedScanState *st = palloc0(sizeof(FedScanState));
	Relation	rel = node->ss.ss_currentRelation;
	MemoryContextCallback *cb;

	node->fdw_state = st;
	st->node = node;
	fed_table_info(RelationGetRelid(rel), rte->checkAsUser, &st->info);
	st->dialect = fed_dialect(st->info.driver);
	st->sql = strVal(list_nth(fs->fdw_private, FedPrivateSql));
	st->param_offsets = list_nth(fs->fdw_private, FedPrivateParamOffsets);
	st->fetch_size = intVal(list_nth(fs->fdw_private, FedPrivateFetchSize));

	if (eflags & EXEC_FLAG_EXPLAIN_ONLY)
		return;

	st->writer = ExecRelationIsTargetRelation(estate, fs->scan.scanrelid);
	st->param_states = ExecInitExprList(fs->fdw_exprs, (PlanState *) node);
	st->converter = fed_convert_init(RelationGetDescr(rel),
									 list_nth(fs->fdw_private, FedPrivateRetrieved),
									 st->info.driver, RelationGetRelationName(rel),
									 NULL);
	st->exec_cxt = AllocSetContextCreate(estate->es_query_cxt,
										 "federate scan execution",
										 ALLOCSET_SMALL_SIZES);

	/* an execution cut short by an error is reported when the query's memory goes */
	cb = MemoryContextAlloc(estate->es_query_cxt, sizeof(MemoryContextCallback));
	cb->func = report_on_cleanup;
	cb->arg = st;
	MemoryContextRegisterResetCallback(estate->es_query_cxt, cb);

	/*
	 * In a statement that writes, the read starts now, before the first
	 * write (see the same in exec/scan.c), unless it needs values computed
	 * while the statement runs.
	 */
	if (fed_read_may_start_early(estate, &fs->scan.plan))
		open_scan(st);
}

/* The fan-out's row converter: the remote row into the task's slot. */
static void
scan_convert(void *arg, int task, FedRow *row, TupleTableSlot *slot)
{
	FedScanState *st = (FedScanState *) arg;

	ExecClearTuple(slot);
	fed_convert_row(st->converter, row, slot->tts_values, slot->tts_isnull);
	ExecStoreVirtualTuple(slot);
}

/* The coverage of one execution: last_coverage, dispatch log, NOTICE. */
static void
report(FedScanState *st, bool aborting)
{
	FedCoverage cov = {0};
	FedTaskStats stats;

	st->reported = true;
	fed_fanout_stats(st->fanout, 0, &stats);
	fed_coverage_add_task(&cov, RelationGetRelationName(st->node->ss.ss_currentRelation),
						  &stats);
	fed_coverage_report(&cov, RelationGetRelationName(st->node->ss.ss_currentRelation),
						st->started_at, 1, aborting,
						aborting && fed_fanout_raised(st->fanout), &st->noticed);
}

static void
report_on_cleanup(void *arg)
{
	FedScanState *st = (FedScanState *) arg;

	if (st->started && !st->reported && st->fanout)
		report(st, true);
	st->fanout = NULL;
}

static void
open_scan(FedScanState *st)
{
	EState	   *estate = st->node->ss.ps.state;
	ExprContext *econtext = st->node->ss.ps.ps_ExprContext;
	MemoryContext old;
	const char *sql;
	const char **params;
	int			nparams;

	if (st->fanout == NULL)
	{
		old = MemoryContextSwitchTo(estate->es_query_cxt);
		st->fanout = fed_fanout_create(1, RelationGetDescr(st->node->ss.ss_currentRelation),
									   scan_convert, st);
		if (st->writer)
			fed_fanout_use_writer(st->fanout);
		if (fed_statement_writes(estate))
			fed_fanout_statement_writes(st->fanout);
		MemoryContextSwitchTo(old);
	}
	MemoryContextReset(st->exec_cxt);
	old = MemoryContextSwitchTo(st->exec_cxt);
	sql = fed_bind_params(st->dialect, st->sql, st->param_offsets,
						  st->param_states, econtext, InvalidOid, (Datum) 0,
						  &nparams, &params);
	fed_fanout_add(st->fanout, 0, &st->info, sql, nparams, params);
	MemoryContextSwitchTo(old);
	st->started = true;
	st->reported = false;
	st->started_at = GetCurrentTimestamp();
	fed_fanout_start(st->fanout);
}

TupleTableSlot *
fedIterateForeignScan(ForeignScanState *node)
{
	FedScanState *st = (FedScanState *) node->fdw_state;
	TupleTableSlot *slot = node->ss.ss_ScanTupleSlot;
	TupleTableSlot *row;

	if (!st->started)
		open_scan(st);

	ExecClearTuple(slot);
	row = fed_fanout_next(st->fanout);
	if (row == NULL)
	{
		if (!st->reported)
			report(st, false);
		return slot;
	}
	/* the values stay valid until the task's next row */
	memcpy(slot->tts_values, row->tts_values,
		   sizeof(Datum) * slot->tts_tupleDescriptor->natts);
	memcpy(slot->tts_isnull, row->tts_isnull,
		   sizeof(bool) * slot->tts_tupleDescriptor->natts);
	return ExecStoreVirtualTuple(slot);
}

/* End the current execution, if any: its statement stops, it reports. */
static void
stop_scan(FedScanState *st)
{
	if (st->fanout && st->started)
	{
		fed_fanout_end(st->fanout);
		if (!st->reported)
			report(st, false);
	}
	st->started = false;
}

void
fedReScanForeignScan(ForeignScanState *node)
{
	stop_scan((FedScanState *) node->fdw_state);
}

void
fedEndForeignScan(ForeignScanState *node)
{
	FedScanState *st = (FedScanState *) node->fdw_state;

	if (st != NULL)
		stop_scan(st);
}

/* The remote SQL as EXPLAIN shows it: MySQL parameters appear as $n. */
char *
fed_explain_sql(const char *sql, List *offsets)
{
	StringInfoData buf;
	int			pos = 0;
	ListCell   *lc;

	if (offsets == NIL)
		return (char *) sql;
	initStringInfo(&buf);
	for (lc = list_head(offsets); lc; lc = lnext(offsets, lc))
	{
		int			off = lfirst_int(lc);

		lc = lnext(offsets, lc);
		appendBinaryStringInfo(&buf, sql + pos, off - pos);
		appendStringInfo(&buf, "$%d", abs(lfirst_int(lc)));
		pos = off;
	}
	appendStringInfoString(&buf, sql + pos);
	return buf.data;
}

void
fedExplainForeignScan(ForeignScanState *node, ExplainState *es)
{
	FedScanState *st = (FedScanState *) node->fdw_state;

	if (es->verbose)
	{
		ExplainPropertyText("Server", st->info.server->servername, es);
		ExplainPropertyText("Remote SQL", fed_explain_sql(st->sql, st->param_offsets), es);
	}
}

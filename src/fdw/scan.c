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
 * Execution streams the remote result in batches of fetch_size rows.  If
 * another scan needs the same connection before this one has read all its
 * rows, this scan "parks": it reads the rest into a tuplestore (which
 * spills to disk past work_mem) and continues from there.
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
#include "optimizer/restrictinfo.h"
#include "parser/parsetree.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/tuplestore.h"

#include "deparse/deparse.h"
#include "federate.h"

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
	FedConn    *conn;
	bool		opened;
	Tuplestorestate *parked;	/* rows read ahead, when parked */
	TupleTableSlot *parked_slot;	/* for reading them back */
	MemoryContext row_cxt;		/* reset for every row */
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
	add_path(baserel, (Path *)
			 create_foreignscan_path(root, baserel, NULL, baserel->rows,
									 startup, total, NIL, NULL, NULL, NIL));
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

	/* Rows that an UPDATE or DELETE will change are locked when read. */
	if (bms_is_member(baserel->relid, root->all_result_relids) &&
		(root->parse->commandType == CMD_UPDATE ||
		 root->parse->commandType == CMD_DELETE))
		appendStringInfoString(&sql, " FOR UPDATE");

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

void
fedBeginForeignScan(ForeignScanState *node, int eflags)
{
	ForeignScan *fs = (ForeignScan *) node->ss.ps.plan;
	EState	   *estate = node->ss.ps.state;
	RangeTblEntry *rte = exec_rt_fetch(fs->scan.scanrelid, estate);
	FedScanState *st = palloc0(sizeof(FedScanState));
	Relation	rel = node->ss.ss_currentRelation;

	node->fdw_state = st;
	st->node = node;
	fed_table_info(RelationGetRelid(rel), rte->checkAsUser, &st->info);
	st->dialect = fed_dialect(st->info.driver);
	st->sql = strVal(list_nth(fs->fdw_private, FedPrivateSql));
	st->param_offsets = list_nth(fs->fdw_private, FedPrivateParamOffsets);
	st->fetch_size = intVal(list_nth(fs->fdw_private, FedPrivateFetchSize));

	if (eflags & EXEC_FLAG_EXPLAIN_ONLY)
		return;

	st->param_states = ExecInitExprList(fs->fdw_exprs, (PlanState *) node);
	st->converter = fed_convert_init(RelationGetDescr(rel),
									 list_nth(fs->fdw_private, FedPrivateRetrieved),
									 st->info.driver, RelationGetRelationName(rel));
	st->row_cxt = AllocSetContextCreate(estate->es_query_cxt,
										"federate scan row",
										ALLOCSET_DEFAULT_SIZES);
}

static bool next_remote_row(FedScanState *st, Datum *values, bool *nulls);

/* Park: read the rest of the result so the connection can be reused. */
static void
park_scan(void *owner)
{
	FedScanState *st = (FedScanState *) owner;
	TupleDesc	desc = RelationGetDescr(st->node->ss.ss_currentRelation);
	MemoryContext query_cxt = st->node->ss.ps.state->es_query_cxt;
	MemoryContext row_cxt;
	MemoryContext old;
	Datum	   *values;
	bool	   *nulls;
	Tuplestorestate *ts;

	old = MemoryContextSwitchTo(query_cxt);
	ts = tuplestore_begin_heap(false, false, work_mem);
	values = palloc(sizeof(Datum) * desc->natts);
	nulls = palloc(sizeof(bool) * desc->natts);
	/* each row is converted in memory reset before the next one */
	row_cxt = AllocSetContextCreate(query_cxt, "federate park",
									ALLOCSET_SMALL_SIZES);
	MemoryContextSwitchTo(row_cxt);
	for (;;)
	{
		MemoryContextReset(row_cxt);
		if (!next_remote_row(st, values, nulls))
			break;
		tuplestore_putvalues(ts, desc, values, nulls);
	}
	MemoryContextSwitchTo(old);
	MemoryContextDelete(row_cxt);
	pfree(values);
	pfree(nulls);
	st->parked = ts;
}

static void
open_scan(FedScanState *st)
{
	ExprContext *econtext = st->node->ss.ps.ps_ExprContext;
	MemoryContext old;
	const char *sql;
	const char **params;
	int			nparams;

	st->conn = fed_conn_get(st->info.server, st->info.user, true);
	old = MemoryContextSwitchTo(econtext->ecxt_per_tuple_memory);
	sql = fed_bind_params(st->dialect, st->sql, st->param_offsets,
						  st->param_states, econtext, InvalidOid, (Datum) 0,
						  &nparams, &params);
	fed_conn_open(st->conn, sql, nparams, params, st->fetch_size, st, park_scan);
	MemoryContextSwitchTo(old);
	st->opened = true;
}

static bool
next_remote_row(FedScanState *st, Datum *values, bool *nulls)
{
	FedRow		row;

	if (!fed_conn_next_row(st->conn, st, &row))
		return false;
	fed_convert_row(st->converter, &row, values, nulls);
	return true;
}

TupleTableSlot *
fedIterateForeignScan(ForeignScanState *node)
{
	FedScanState *st = (FedScanState *) node->fdw_state;
	TupleTableSlot *slot = node->ss.ss_ScanTupleSlot;
	MemoryContext old;

	if (!st->opened)
		open_scan(st);

	ExecClearTuple(slot);
	if (st->parked)
	{
		if (st->parked_slot == NULL)
		{
			old = MemoryContextSwitchTo(node->ss.ps.state->es_query_cxt);
			st->parked_slot = ExecAllocTableSlot(&node->ss.ps.state->es_tupleTable,
												 slot->tts_tupleDescriptor,
												 &TTSOpsMinimalTuple);
			MemoryContextSwitchTo(old);
		}
		if (tuplestore_gettupleslot(st->parked, true, false, st->parked_slot))
		{
			slot_getallattrs(st->parked_slot);
			memcpy(slot->tts_values, st->parked_slot->tts_values,
				   sizeof(Datum) * slot->tts_tupleDescriptor->natts);
			memcpy(slot->tts_isnull, st->parked_slot->tts_isnull,
				   sizeof(bool) * slot->tts_tupleDescriptor->natts);
			ExecStoreVirtualTuple(slot);
		}
		return slot;
	}

	MemoryContextReset(st->row_cxt);
	old = MemoryContextSwitchTo(st->row_cxt);
	if (next_remote_row(st, slot->tts_values, slot->tts_isnull))
		ExecStoreVirtualTuple(slot);
	MemoryContextSwitchTo(old);
	return slot;
}

void
fedReScanForeignScan(ForeignScanState *node)
{
	FedScanState *st = (FedScanState *) node->fdw_state;

	if (st->conn)
		fed_conn_release(st->conn, st);
	if (st->parked)
		tuplestore_end(st->parked);
	st->parked = NULL;
	st->opened = false;
}

void
fedEndForeignScan(ForeignScanState *node)
{
	FedScanState *st = (FedScanState *) node->fdw_state;

	if (st == NULL)
		return;
	if (st->conn)
		fed_conn_release(st->conn, st);
	if (st->parked)
		tuplestore_end(st->parked);
	st->parked = NULL;
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

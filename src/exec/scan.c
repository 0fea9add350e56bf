/*-------------------------------------------------------------------------
 *
 * scan.c
 *		The "Federate Scan" custom scan node: orchestration of one fan-out
 *		over the shards of a federated table, and its EXPLAIN.
 *
 * Begin reads the plan's lists, prunes tasks with the parameters known at
 * startup (a generic plan's "WHERE tenant_id = $1" keeps one task), and
 * prepares a converter per task.  Nothing is sent before the first row is
 * asked for, and nothing at all under plain EXPLAIN.  The first call
 * binds every task's parameters, starts the fan-out (exec/fanout.c), and
 * then returns rows in one of two ways:
 *
 *	- concatenation: whichever shard has a row ready;
 *	- ordered merge: every shard sorted its rows by the query's ORDER BY;
 *	  a binary heap of the shards' current rows, compared with the same
 *	  sort operators and collations, yields them in order (a k-way merge,
 *	  as MergeAppend does).  A LIMIT above stops it early; each shard was
 *	  sent LIMIT count + offset.
 *
 * Rows that a shard could not filter are checked by the node's qual (the
 * ordinary ExecScan machinery), and its projection computes what the plan
 * asks from the scan tuple.
 *
 * How a shard reads (prepare_fanout), on PostgreSQL (a MySQL statement is
 * always one plain statement whose rows stream, stopped by KILL QUERY):
 *
 *	- the statement's only remote read (FedFlagSoleRead), when the local
 *	  transaction is this statement: no remote transaction, the statement
 *	  alone in one round trip, read whole when its answer fits in a batch,
 *	  else as its rows arrive; stopping early cancels it, which harms
 *	  nothing;
 *	- in a remote transaction, aggregates and answers that fit in a batch:
 *	  one plain statement read as its rows arrive, which the shard plans as
 *	  for a direct client (in parallel if it likes); stopping early reads
 *	  out the rest, since a cancel would abort the remote transaction;
 *	- in a remote transaction, other reads: a cursor, read in batches of
 *	  fetch_size, which can stop between two batches at no cost (but whose
 *	  plan is never parallel).
 *
 * Each execution ends with a report: a line in the dispatch log, the
 * session's last coverage, and, when shards were missing (partial mode) or
 * answered by a replica, the coverage NOTICE (once per node).  A query
 * that fails or is cancelled is reported when its memory goes, from a
 * memory context callback.  With federate.require_shard_key, an execution
 * that would contact every shard of a sharded table is refused.
 *
 * src/exec/scan.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "commands/explain.h"
#include "executor/execdebug.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/partition.h"
#include "executor/execPartition.h"
#include "partitioning/partbounds.h"
#include "partitioning/partdesc.h"
#include "utils/partcache.h"
#include "executor/executor.h"
#include "lib/binaryheap.h"
#include "miscadmin.h"
#include "nodes/extensible.h"
#include "nodes/makefuncs.h"
#include "parser/parsetree.h"
#include "utils/memutils.h"
#include "utils/lsyscache.h"
#include "utils/ruleutils.h"
#include "utils/rel.h"
#include "utils/sortsupport.h"
#include "utils/array.h"
#include "utils/backend_status.h"
#include "utils/timestamp.h"
#include "tcop/tcopprot.h"

#include "deparse/deparse.h"
#include "exec/coverage.h"
#include "exec/fanout.h"
#include "fdw/fdw.h"
#include "health/health.h"
#include "plan/plan.h"

typedef struct FedScanState
{
	CustomScanState css;

	/* from the plan */
	int			ntasks;
	List	   *sqls;
	List	   *relids;
	List	   *offsets;
	List	   *retrieved;
	FedShape	shape;
	int			nshards;
	int			tableoid_attno;
	int			max_rows;		/* most rows a task returns, or -1 */
	bool		sole_read;		/* FedFlagSoleRead */
	bool		read_statement; /* FedFlagReadStatement */
	bool		batchable;		/* FedFlagBatchable */
	int			nkeys;
	char	   *pushed;
	int			key_paramid;	/* key shipping: the keys' slot, or -1 */
	Oid			key_array_type;
	bool		key_prune;		/* keys are partition key values */
	List	   *key_sqls;		/* per task, the statement with the keys */
	List	   *key_offsets;
	int64		keys_shipped;
	List	   *relids2;		/* co-located join: each task's second leaf */	/* last execution: -1 none, else how many */

	/* per task */
	FedTableInfo *infos;
	FedConverter **converters; /* per task, made at its first row */
	List	  **param_states;	/* per task, made when it is first bound */
	bool	   *params_ready;
	TupleDesc	scan_desc;
	FedConverter *first_converter;	/* whose input functions the others
									 * share */
	ExprState  *gating;			/* pseudoconstant conditions, or NULL */
	bool	   *valid;			/* not pruned at startup */
	int			nvalid;

	PartitionPruneState *prune;
	bool		exec_prune;		/* prune again at each start */
	Bitmapset  *startup_keep;	/* tasks left by pruning at startup */
	int		   *startup_map;	/* i-th of them: its task number */
	FedFanout  *fanout;
	bool		started;
	MemoryContext exec_cxt;		/* one execution's parameters and report,
								 * reset when the next one starts */

	/* reporting (no catalog access there: it may run during abort) */
	char	   *relname;
	char	  **shard_names;
	List	  **members;		/* per task, the names of the leaves its
								 * statement reads, when several
								 * (federate.combine_partitions), or NIL */
	TimestampTz started_at;
	bool		reported;		/* this execution's report is done */
	bool		noticed;		/* the coverage NOTICE was sent */
	int			has_agg;		/* -1 unknown, else whether the plan has */
	MemoryContextCallback on_cleanup;

	/*
	 * An aggregate split by engine (plan/aggsplit.c) reads one table in two
	 * nodes under an Append: they start together, check
	 * federate.require_shard_key together and report one coverage.
	 */
	struct FedScanState *sibling;
	bool		split;
	bool		cov_waiting;	/* this execution's report waits for the
								 * sibling's, in pending */
	FedCoverage pending;
	bool		pending_raised; /* and its fan-out raised the error */

	/* ordered merge */
	SortSupport sortkeys;
	AttrNumber *sort_attnos;
	binaryheap *heap;
	TupleTableSlot **heads;
	bool		heap_built;
} FedScanState;

static Node *fed_create_scan_state(CustomScan *cscan);
static void fed_begin_scan(CustomScanState *node, EState *estate, int eflags);
static TupleTableSlot *fed_exec_scan(CustomScanState *node);
static void start_fanout(FedScanState *st);
static void fed_end_scan(CustomScanState *node);
static void fed_rescan(CustomScanState *node);
static void fed_explain_scan(CustomScanState *node, List *ancestors,
							 ExplainState *es);

const CustomScanMethods fed_scan_methods = {
	.CustomName = "Federate Scan",
	.CreateCustomScanState = fed_create_scan_state,
};

static const CustomExecMethods fed_exec_methods = {
	.CustomName = "Federate Scan",
	.BeginCustomScan = fed_begin_scan,
	.ExecCustomScan = fed_exec_scan,
	.EndCustomScan = fed_end_scan,
	.ReScanCustomScan = fed_rescan,
	.ExplainCustomScan = fed_explain_scan,
};

static Node *
fed_create_scan_state(CustomScan *cscan)
{
	FedScanState *st = (FedScanState *) newNode(sizeof(FedScanState),
												T_CustomScanState);

	st->css.methods = &fed_exec_methods;
	return (Node *) st;
}

/*
 * The same for a node that has no range table index to find the offset
 * from (an aggregate over a co-located join): each partitioned table
 * (rels, OIDs in the order of pinfo's entries) at the first place the
 * executed range table holds it; pruning only reads its partition
 * descriptor.  NULL when one is missing (then nothing is pruned at run
 * time).
 */
static PartitionPruneInfo *
pruneinfo_by_oid(PartitionPruneInfo *pinfo, List *rels, EState *estate)
{
	ListCell   *l1;
	int			n = 0;

	pinfo = copyObject(pinfo);
	foreach(l1, pinfo->prune_infos)
	{
		ListCell   *l2;

		foreach(l2, (List *) lfirst(l1))
		{
			PartitionedRelPruneInfo *pr = lfirst(l2);
			Oid			relid = n < list_length(rels) ?
				list_nth_oid(rels, n) : InvalidOid;
			ListCell   *l3;

			n++;
			pr->rtindex = 0;
			foreach(l3, estate->es_range_table)
			{
				RangeTblEntry *rte = lfirst(l3);

				if (OidIsValid(relid) && rte->rtekind == RTE_RELATION &&
					rte->relid == relid)
				{
					pr->rtindex = foreach_current_index(l3) + 1;
					break;
				}
			}
			if (pr->rtindex == 0)
				return NULL;
		}
	}
	return pinfo;
}

/* A partition prune description for the range table as executed. */
static PartitionPruneInfo *
offset_pruneinfo(PartitionPruneInfo *pinfo, int offset)
{
	ListCell   *l1;

	pinfo = copyObject(pinfo);
	foreach(l1, pinfo->prune_infos)
	{
		ListCell   *l2;

		foreach(l2, (List *) lfirst(l1))
			((PartitionedRelPruneInfo *) lfirst(l2))->rtindex += offset;
	}
	return pinfo;
}

/* Only the tasks in keep (numbers from 0) run. */
static void
keep_tasks(FedScanState *st, Bitmapset *keep)
{
	int			i;

	st->nvalid = 0;
	for (i = 0; i < st->ntasks; i++)
	{
		st->valid[i] = bms_is_member(i, keep);
		if (st->valid[i])
			st->nvalid += Max(list_length(st->members[i]), 1);
	}
}

/* federate.require_shard_key: refuse to contact every shard. */
static void
check_shard_count(FedScanState *st, int nvalid)
{
	if (!fed_require_shard_key || st->nshards <= 1 || nvalid < st->nshards)
		return;
	ereport(ERROR,
			(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
			 errmsg("query on sharded table \"%s\" would contact all %d shards",
					st->relname, st->nshards),
			 errdetail("No condition on the partition key narrows the query down to fewer shards."),
			 errhint("Add a condition on the partition key, or set federate.require_shard_key to off.")));
}

/* federate.require_shard_key; a split read counts with its sibling */
static void
check_shard_key(FedScanState *st)
{
	if (!st->split)
		check_shard_count(st, st->nvalid);
}

/* Does the plan aggregate (a partial answer then gives wrong totals)? */
static bool
plan_aggregates(Plan *plan)
{
	ListCell   *lc;
	List	   *children = NIL;

	if (plan == NULL)
		return false;
	if (IsA(plan, Agg) || IsA(plan, WindowAgg))
		return true;
	if (IsA(plan, Append))
		children = ((Append *) plan)->appendplans;
	else if (IsA(plan, MergeAppend))
		children = ((MergeAppend *) plan)->mergeplans;
	else if (IsA(plan, SubqueryScan))
		children = list_make1(((SubqueryScan *) plan)->subplan);
	else if (IsA(plan, CustomScan))
		children = ((CustomScan *) plan)->custom_plans;
	foreach(lc, children)
		if (plan_aggregates(lfirst(lc)))
			return true;
	return plan_aggregates(plan->lefttree) || plan_aggregates(plan->righttree);
}

static bool
query_aggregates(FedScanState *st)
{
	if (st->has_agg < 0)
	{
		PlannedStmt *stmt = st->css.ss.ps.state->es_plannedstmt;
		ListCell   *lc;

		st->has_agg = st->shape == FED_SHAPE_PARTIAL_AGG ||
			st->shape == FED_SHAPE_FULL_AGG ||
			plan_aggregates(stmt->planTree);
		foreach(lc, stmt->subplans)
			if (plan_aggregates(lfirst(lc)))
				st->has_agg = true;
	}
	return st->has_agg;
}

/*
 * The report of one execution: dispatch log, last coverage, NOTICE.
 * aborting: the query failed or was cancelled (no NOTICE then).
 */
static void
report(FedScanState *st, bool aborting)
{
	FedCoverage cov = {0};
	bool		raised;
	int			i;
	MemoryContext old = NULL;

	st->reported = true;
	/* not while aborting: the query's memory is going, children first */
	if (!aborting)
		old = MemoryContextSwitchTo(st->exec_cxt);
	raised = aborting && fed_fanout_raised(st->fanout);
	if (st->sibling && st->sibling->cov_waiting)
	{
		/* the other half of a split read reported first: one report */
		cov = st->sibling->pending;
		raised |= st->sibling->pending_raised;
		st->sibling->cov_waiting = false;
		if (st->sibling->started_at < st->started_at)
			st->started_at = st->sibling->started_at;
	}
	for (i = 0; i < st->ntasks; i++)
	{
		FedTaskStats stats;

		if (!st->valid[i])
			continue;
		fed_fanout_stats(st->fanout, i, &stats);
		if (st->members[i] == NIL)
			fed_coverage_add_task(&cov, st->shard_names[i], &stats);
		else
		{
			ListCell   *lc;

			/* each leaf of a combined statement counts, as one task's */
			foreach(lc, st->members[i])
				fed_coverage_add_task(&cov, lfirst(lc), &stats);
		}
	}
	if (st->split && st->sibling && st->sibling->started && !st->sibling->reported)
	{
		/*
		 * The sibling reports for both, maybe from its reset callback on
		 * the query's memory, which runs after the children of that memory
		 * (exec_cxt) are gone: the report waits in the query's memory.
		 */
		MemoryContext prev =
			MemoryContextSwitchTo(st->css.ss.ps.state->es_query_cxt);

		fed_coverage_copy(&st->pending, &cov);
		MemoryContextSwitchTo(prev);
		st->pending_raised = raised;
		st->cov_waiting = true;
		if (old)
			MemoryContextSwitchTo(old);
		return;
	}
	if (raised)
		cov.answered = cov.total - Max(list_length(cov.missing), 1);
	cov.approximate = cov.missing != NIL && !aborting && query_aggregates(st);

	fed_coverage_report(&cov, st->relname, st->started_at, st->nshards,
						aborting, raised, &st->noticed);
	if (old)
		MemoryContextSwitchTo(old);
}

/*
 * The split reads (FedFlagSplit) that began and wait for their sibling,
 * in TopMemoryContext; an entry goes with its query's memory.
 */
static List *split_waiting = NIL;

/* Pair st with the other read of its table under the same Append. */
static void
find_sibling(FedScanState *st)
{
	ListCell   *lc;
	MemoryContext old;

	foreach(lc, split_waiting)
	{
		FedScanState *other = lfirst(lc);

		if (other->css.ss.ps.state == st->css.ss.ps.state &&
			((Scan *) other->css.ss.ps.plan)->scanrelid ==
			((Scan *) st->css.ss.ps.plan)->scanrelid)
		{
			other->sibling = st;
			st->sibling = other;
			split_waiting = foreach_delete_current(split_waiting, lc);
			return;
		}
	}
	old = MemoryContextSwitchTo(TopMemoryContext);
	split_waiting = lappend(split_waiting, st);
	MemoryContextSwitchTo(old);
}

/* The query's memory goes: report an execution that did not end. */
static void
report_on_cleanup(void *arg)
{
	FedScanState *st = (FedScanState *) arg;

	/* (a split read's report waits for its sibling's, which comes next) */
	if (st->started && !st->reported && st->fanout)
		report(st, true);
	split_waiting = list_delete_ptr(split_waiting, st);
	if (st->sibling && !st->cov_waiting)
		st->sibling->sibling = NULL;
	if (!st->cov_waiting)
		st->sibling = NULL;
}

/*
 * The (first) federated table and the user it is read as: from the scanned
 * relation's range table entry, or for a co-located join (which scans no
 * single relation) as the planner recorded them.
 */
static void
table_of(CustomScan *cs, EState *estate, Oid *relid, Oid *checkAsUser)
{
	List	   *join = list_nth(cs->custom_private, FedPlanJoin);

	if (cs->scan.scanrelid > 0)
	{
		RangeTblEntry *rte = exec_rt_fetch(cs->scan.scanrelid, estate);

		*relid = rte->relid;
		*checkAsUser = rte->checkAsUser;
		return;
	}
	*relid = linitial_oid(lsecond(join));
	*checkAsUser = lsecond_oid(lsecond(join));
}

static void
fed_begin_scan(CustomScanState *node, EState *estate, int eflags)
{
	FedScanState *st = (FedScanState *) node;
	CustomScan *cs = (CustomScan *) node->ss.ps.plan;
	List	   *flags = list_nth(cs->custom_private, FedPlanFlags);
	PartitionPruneInfo *pinfo = list_nth(cs->custom_private, FedPlanPrune);
	Oid			table_relid;
	Oid			check_as_user;
	TupleDesc	desc = node->ss.ss_ScanTupleSlot->tts_tupleDescriptor;
	List	   *sort_attnos = list_nth(cs->custom_private, FedPlanSortAttnos);
	List	   *sort_ops = list_nth(cs->custom_private, FedPlanSortOps);
	List	   *sort_colls = list_nth(cs->custom_private, FedPlanSortColls);
	List	   *sort_nf = list_nth(cs->custom_private, FedPlanSortNullsFirst);
	int			i;

	st->sqls = list_nth(cs->custom_private, FedPlanSqls);
	st->relids = list_nth(cs->custom_private, FedPlanRelids);
	st->offsets = list_nth(cs->custom_private, FedPlanOffsets);
	st->retrieved = list_nth(cs->custom_private, FedPlanRetrieved);
	st->pushed = strVal(list_nth(cs->custom_private, FedPlanPushed));
	st->shape = (FedShape) list_nth_int(flags, FedFlagShape);
	st->nshards = list_nth_int(flags, FedFlagShards);
	st->tableoid_attno = list_nth_int(flags, FedFlagTableoid);
	st->max_rows = list_nth_int(flags, FedFlagMaxRows);
	st->sole_read = list_nth_int(flags, FedFlagSoleRead) != 0;
	st->read_statement = list_nth_int(flags, FedFlagReadStatement) != 0;
	st->batchable = list_nth_int(flags, FedFlagBatchable) != 0;
	st->ntasks = list_length(st->sqls);
	st->nkeys = list_length(sort_attnos);
	st->key_paramid = -1;
	st->keys_shipped = -1;
	if (list_nth(cs->custom_private, FedPlanJoin) != NIL)
		st->relids2 = linitial(list_nth(cs->custom_private, FedPlanJoin));
	if (list_nth(cs->custom_private, FedPlanKeys) != NIL)
	{
		List	   *k = list_nth(cs->custom_private, FedPlanKeys);

		st->key_paramid = linitial_int(linitial(k));
		st->key_array_type = lsecond_int(linitial(k));
		st->key_prune = lthird_int(linitial(k));
		st->key_sqls = lsecond(k);
		st->key_offsets = lthird(k);
	}

	table_of(cs, estate, &table_relid, &check_as_user);
	st->relname = get_rel_name(table_relid);
	st->has_agg = -1;
	st->infos = palloc0(sizeof(FedTableInfo) * Max(st->ntasks, 1));
	st->valid = palloc0(sizeof(bool) * Max(st->ntasks, 1));
	st->shard_names = palloc0(sizeof(char *) * Max(st->ntasks, 1));
	st->members = palloc0(sizeof(List *) * Max(st->ntasks, 1));
	st->nvalid = 0;
	for (i = 0; i < st->ntasks; i++)
	{
		List	   *members = list_nth(cs->custom_private, FedPlanMembers);
		ListCell   *lc;

		fed_table_info(list_nth_oid(st->relids, i), check_as_user,
					   &st->infos[i]);
		st->shard_names[i] = get_rel_name(st->infos[i].relid);
		st->valid[i] = true;
		if (members != NIL)
			foreach(lc, (List *) list_nth(members, i))
				st->members[i] = lappend(st->members[i],
										 get_rel_name(lfirst_oid(lc)));
		st->nvalid += Max(list_length(st->members[i]), 1);
	}

	/*
	 * The prune description for the range table as executed: a scan's and
	 * a join's moved by the offset the range table got (its relids tell),
	 * an aggregate over a co-located join's found by the tables' OIDs
	 */
	if (pinfo && cs->scan.scanrelid == 0 && bms_is_empty(cs->custom_relids))
		pinfo = pruneinfo_by_oid(pinfo,
								 list_nth(cs->custom_private, FedPlanPruneRels),
								 estate);
	else if (pinfo)
	{
		int			offset = (int) cs->scan.scanrelid -
			list_nth_int(flags, FedFlagRti);

		if (cs->scan.scanrelid == 0)
			offset = bms_next_member(cs->custom_relids, -1) -
				linitial_int(lthird(list_nth(cs->custom_private, FedPlanJoin)));
		pinfo = offset_pruneinfo(pinfo, offset);
	}

	/* prune with the parameters known now */
	if (pinfo)
	{
		Bitmapset  *keep = NULL;

		st->prune = ExecInitPartitionPruning(&node->ss.ps, st->ntasks,
											 pinfo, &keep);

		/*
		 * ExecInitPartitionPruning gave the node a new ExprContext, which
		 * pruning evaluates its steps in and ExecScan now puts the scan
		 * tuple into; but the projection was built before, with the first
		 * one, and would read a scan tuple that was never set there.
		 */
		if (node->ss.ps.ps_ProjInfo)
			node->ss.ps.ps_ProjInfo->pi_exprContext = node->ss.ps.ps_ExprContext;
		keep_tasks(st, keep);
		st->exec_prune = st->prune->do_exec_prune;
	}

	/*
	 * Once startup pruning removed some tasks, run-time pruning numbers the
	 * ones left from 0, as Append would have them: map those numbers back.
	 */
	st->startup_map = palloc0(sizeof(int) * Max(st->ntasks, 1));
	for (i = 0; i < st->ntasks; i++)
	{
		if (st->valid[i])
		{
			st->startup_map[bms_num_members(st->startup_keep)] = i;
			st->startup_keep = bms_add_member(st->startup_keep, i);
		}
	}

	if (st->nkeys > 0)
	{
		st->sortkeys = palloc0(sizeof(SortSupportData) * st->nkeys);
		st->sort_attnos = palloc(sizeof(AttrNumber) * st->nkeys);
		for (i = 0; i < st->nkeys; i++)
		{
			SortSupport ssup = &st->sortkeys[i];

			st->sort_attnos[i] = list_nth_int(sort_attnos, i);
			ssup->ssup_cxt = CurrentMemoryContext;
			ssup->ssup_collation = list_nth_oid(sort_colls, i);
			ssup->ssup_nulls_first = list_nth_int(sort_nf, i);
			ssup->ssup_attno = st->sort_attnos[i];
			ssup->abbreviate = false;
			PrepareSortSupportFromOrderingOp(list_nth_oid(sort_ops, i), ssup);
		}
	}

	if (eflags & EXEC_FLAG_EXPLAIN_ONLY)
		return;

	check_shard_key(st);
	st->on_cleanup.func = report_on_cleanup;
	st->on_cleanup.arg = st;
	MemoryContextRegisterResetCallback(estate->es_query_cxt, &st->on_cleanup);
	st->exec_cxt = AllocSetContextCreate(estate->es_query_cxt,
										 "federate execution",
										 ALLOCSET_DEFAULT_SIZES);

	/* (tasks pruned at startup never need theirs: see task_params) */
	st->converters = palloc0(sizeof(FedConverter *) * Max(st->ntasks, 1));
	st->param_states = palloc0(sizeof(List *) * Max(st->ntasks, 1));
	st->params_ready = palloc0(sizeof(bool) * Max(st->ntasks, 1));
	st->scan_desc = desc;
	st->gating = ExecInitQual(list_nth(cs->custom_exprs, st->ntasks),
							  &node->ss.ps);

	st->split = list_nth_int(flags, FedFlagSplit);
	if (st->split)
		find_sibling(st);

	/*
	 * In a statement that writes, the reads start now, before its first
	 * write: a remote read begun on a server after the statement wrote
	 * there would see the statement's own changes (an INSERT ... SELECT
	 * reading a partition after rows went into it; a remote cursor sees
	 * what its transaction wrote before it was declared).  Not a read that
	 * needs values computed while the statement runs (an outer row's, a
	 * subquery's, shipped keys), nor the two reads of a split aggregate.
	 */
	if (st->key_paramid < 0 && !st->split &&
		fed_read_may_start_early(estate, node->ss.ps.plan))
		start_fanout(st);
}

/*
 * Task i's parameter expressions, made ready at its first binding, in the
 * query's memory (a generic plan's tasks pruned at startup never are).
 */
static List *
task_params(FedScanState *st, int i)
{
	if (!st->params_ready[i])
	{
		CustomScan *cs = (CustomScan *) st->css.ss.ps.plan;
		MemoryContext old = MemoryContextSwitchTo(st->css.ss.ps.state->es_query_cxt);

		st->param_states[i] = ExecInitExprList(list_nth(cs->custom_exprs, i),
											   &st->css.ss.ps);
		st->params_ready[i] = true;
		MemoryContextSwitchTo(old);
	}
	return st->param_states[i];
}

/* Task i's converter, made at its first row; it shares the first one's. */
static FedConverter *
task_converter(FedScanState *st, int i)
{
	if (st->converters[i] == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(st->css.ss.ps.state->es_query_cxt);

		st->converters[i] = fed_convert_init(st->scan_desc, st->retrieved,
											 st->infos[i].driver,
											 get_rel_name(st->infos[i].relid),
											 st->first_converter);
		if (st->first_converter == NULL)
			st->first_converter = st->converters[i];
		MemoryContextSwitchTo(old);
	}
	return st->converters[i];
}

static void
convert_row(void *arg, int task, FedRow *row, TupleTableSlot *slot)
{
	FedScanState *st = (FedScanState *) arg;

	ExecClearTuple(slot);
	fed_convert_row(task_converter(st, task), row, slot->tts_values,
					slot->tts_isnull);
	if (st->tableoid_attno > 0)
	{
		slot->tts_values[st->tableoid_attno - 1] =
			ObjectIdGetDatum(st->infos[task].relid);
		slot->tts_isnull[st->tableoid_attno - 1] = false;
	}
	ExecStoreVirtualTuple(slot);
}

/* Bind every task's parameters and send every statement. */
static void prepare_fanout(FedScanState *st);

/*
 * Send every statement of st.  The two reads of a split aggregate start
 * together: the shards of the second compute while the coordinator reads
 * the first's rows, and federate.require_shard_key counts both.
 */
static void
start_fanout(FedScanState *st)
{
	FedScanState *sib = st->sibling;

	prepare_fanout(st);
	if (sib && !sib->started)
	{
		prepare_fanout(sib);
		check_shard_count(st, st->nvalid + sib->nvalid);
	}
	/* their connections are taken together: one wait, in server order */
	if (sib && !sib->started)
		fed_fanout_reserve(st->fanout, sib->fanout);
	st->started_at = GetCurrentTimestamp();
	st->reported = false;
	st->started = true;
	fed_fanout_start(st->fanout);
	if (sib && !sib->started)
	{
		sib->started_at = st->started_at;
		sib->reported = false;
		sib->started = true;
		fed_fanout_start(sib->fanout);
	}
}

/*
 * Can the engine of dialect hold every shipped key?  (If not, that shard
 * is read without them: the keys only pre-filter.)
 */
static bool
keys_fit(const FedDialect *dialect, ArrayType *keys)
{
	Oid			elemtype = ARR_ELEMTYPE(keys);
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	int			i;

	if (dialect->has_placeholders)
		return true;
	fed_array_elements(keys, &elems, &nulls, &n);
	for (i = 0; i < n; i++)
	{
		if (!nulls[i] && !dialect->value_ok(elemtype, elems[i]))
			return false;
	}
	return true;
}

/*
 * Task i's keys as IN lists of at most federate.key_shipping_batch_size
 * keys, one statement after another, for an engine whose statements carry
 * the keys as literals (MySQL) and a read whose rows may simply follow
 * each other (FedFlagBatchable).  Returns false, adding nothing, when the
 * keys fit in one list or the read cannot be split.
 */
static bool
key_batches(FedScanState *st, int i, ArrayType *keys, ExprContext *econtext)
{
	const FedDialect *dialect = fed_dialect(st->infos[i].driver);
	Oid			elemtype = ARR_ELEMTYPE(keys);
	int			size = fed_key_shipping_batch_size;
	Datum	   *elems;
	bool	   *nulls;
	const char **sqls;
	int16		typlen;
	bool		typbyval;
	char		typalign;
	int			n;
	int			b;

	if (dialect->has_placeholders || !st->batchable)
		return false;
	fed_array_elements(keys, &elems, &nulls, &n);
	if (n <= size)
		return false;
	get_typlenbyvalalign(elemtype, &typlen, &typbyval, &typalign);
	sqls = palloc(sizeof(char *) * ((n + size - 1) / size));
	for (b = 0; b * size < n; b++)
	{
		int			count = Min(size, n - b * size);
		int			dims[1] = {count};
		int			lbs[1] = {1};
		ArrayType  *part;
		const char **params;
		int			nparams;

		part = construct_md_array(elems + b * size, nulls + b * size, 1,
								  dims, lbs, elemtype, typlen, typbyval,
								  typalign);
		sqls[b] = fed_bind_params(dialect, strVal(list_nth(st->key_sqls, i)),
								  list_nth(st->key_offsets, i),
								  task_params(st, i), econtext,
								  st->key_array_type, PointerGetDatum(part),
								  &nparams, &params);
		if (b == 0)
			fed_fanout_add(st->fanout, i, &st->infos[i], sqls[0], nparams,
						   params);
	}
	fed_fanout_add_batches(st->fanout, i, sqls, b);
	return true;
}

/*
 * Keep only the tasks whose partition holds one of the keys (they are
 * values of the partition key, see plan.c): each key's partition is found
 * as tuple routing finds it.  A partition that is partitioned again keeps
 * every leaf under it.
 */
static void
keep_key_partitions(FedScanState *st, ArrayType *keys)
{
	CustomScan *cs = (CustomScan *) st->css.ss.ps.plan;
	Oid			relid;
	Oid			check_as_user;
	Relation	rel;
	PartitionKey pkey;
	PartitionDesc pd;
	PartitionBoundInfo bi;
	Datum	   *elems;
	bool	   *nulls;
	List	   *parts = NIL;
	int			n;
	int			i;

	table_of(cs, st->css.ss.ps.state, &relid, &check_as_user);
	rel = table_open(relid, NoLock);
	pkey = RelationGetPartitionKey(rel);
	pd = RelationGetPartitionDesc(rel, true);
	bi = pd->boundinfo;
	fed_array_elements(keys, &elems, &nulls, &n);
	for (i = 0; i < n && bi != NULL; i++)
	{
		int			part = -1;
		bool		isnull = false;
		bool		equal = false;
		int			off;

		if (nulls[i])
			continue;
		switch (pkey->strategy)
		{
			case PARTITION_STRATEGY_HASH:
				part = bi->indexes[compute_partition_hash_value(1, pkey->partsupfunc,
																pkey->partcollation,
																&elems[i], &isnull) %
								   bi->nindexes];
				break;
			case PARTITION_STRATEGY_LIST:
				off = partition_list_bsearch(pkey->partsupfunc, pkey->partcollation,
											 bi, elems[i], &equal);
				if (off >= 0 && equal)
					part = bi->indexes[off];
				break;
			case PARTITION_STRATEGY_RANGE:
				off = partition_range_datum_bsearch(pkey->partsupfunc,
													pkey->partcollation, bi, 1,
													&elems[i], &equal);
				part = bi->indexes[off + 1];
				break;
		}
		if (part < 0)
			part = bi->default_index;
		if (part >= 0)
			parts = list_append_unique_oid(parts, pd->oids[part]);
	}
	table_close(rel, NoLock);

	for (i = 0; i < st->ntasks; i++)
	{
		Oid			leaf = st->infos[i].relid;

		if (!st->valid[i] || list_member_oid(parts, leaf))
			continue;
		if (get_rel_relispartition(leaf))
		{
			List	   *ancestors = get_partition_ancestors(leaf);
			ListCell   *lc;
			bool		under = false;

			foreach(lc, ancestors)
				under |= list_member_oid(parts, lfirst_oid(lc));
			list_free(ancestors);
			if (under)
				continue;
		}
		st->valid[i] = false;
		st->nvalid--;
	}
}

/* Prune, bind the parameters of st's statements and queue them. */
static void
prepare_fanout(FedScanState *st)
{
	EState	   *estate = st->css.ss.ps.state;
	ExprContext *econtext = st->css.ss.ps.ps_ExprContext;
	MemoryContext old;
	ArrayType  *keys;
	bool		autocommit;
	bool		bounded;
	int			i;

	/*
	 * A rescan (a correlated subquery, the inner side of a nested loop)
	 * starts here once per outer row: what the last execution bound and
	 * reported goes now, so memory does not grow with the outer rows.
	 */
	if (st->fanout == NULL)
	{
		old = MemoryContextSwitchTo(estate->es_query_cxt);
		st->fanout = fed_fanout_create(st->ntasks,
									   st->css.ss.ss_ScanTupleSlot->tts_tupleDescriptor,
									   convert_row, st);
		if (fed_statement_writes(estate))
			fed_fanout_statement_writes(st->fanout);
		MemoryContextSwitchTo(old);
	}
	MemoryContextReset(st->exec_cxt);
	old = MemoryContextSwitchTo(st->exec_cxt);

	/* a join's keys, if its Federate Keys node published them */
	keys = NULL;
	st->keys_shipped = -1;
	if (st->key_paramid >= 0 &&
		!estate->es_param_exec_vals[st->key_paramid].isnull)
	{
		keys = DatumGetArrayTypeP(estate->es_param_exec_vals[st->key_paramid].value);
		st->keys_shipped = ArrayGetNItems(ARR_NDIM(keys), ARR_DIMS(keys));
	}

	if (st->gating && !ExecQual(st->gating, econtext))
		keep_tasks(st, NULL);	/* a false condition: no shard to ask */
	else if (keys != NULL && st->keys_shipped == 0)
		keep_tasks(st, NULL);	/* no key: no row of the table can join */
	else if (st->exec_prune)
	{
		Bitmapset  *found = ExecFindMatchingSubPlans(st->prune, false);
		Bitmapset  *keep = NULL;

		i = -1;
		while ((i = bms_next_member(found, i)) >= 0)
			keep = bms_add_member(keep, st->startup_map[i]);
		keep_tasks(st, keep);
		bms_free(found);
		bms_free(keep);
		check_shard_key(st);
	}
	else
		keep_tasks(st, st->startup_keep);
	if (keys != NULL && st->key_prune && st->nvalid > 0)
		keep_key_partitions(st, keys);

	/*
	 * How each shard reads (see "How a shard reads" in exec/scan.c's
	 * header): the statement's only remote read, in a local transaction
	 * that is this statement alone, needs no remote transaction
	 * (FedFlagSoleRead): a shard answers in one round trip, its statement
	 * read whole when the answer fits in a batch, else as its rows arrive
	 * (stopped by a cancel if the reader stops early).  In a remote
	 * transaction, aggregates and answers that fit in a batch are read as
	 * their rows arrive (the shard computes the whole answer anyway, and may
	 * do it in parallel; a reader that stops early reads out the rest),
	 * other reads through cursors, which stop between batches.
	 */
	if (st->read_statement)
		fed_xact_note_read_statement();
	autocommit = st->sole_read && !IsTransactionBlock() &&
		GetCurrentTransactionNestLevel() == 1 && !IsolationUsesXactSnapshot();
	for (i = 0; i < st->ntasks; i++)
	{
		const char *sql;
		const char **params;
		int			nparams;

		if (!st->valid[i])
			continue;
		if (keys != NULL && keys_fit(fed_dialect(st->infos[i].driver), keys) &&
			key_batches(st, i, keys, econtext))
			continue;			/* added in batches */
		if (keys != NULL && keys_fit(fed_dialect(st->infos[i].driver), keys))
			sql = fed_bind_params(fed_dialect(st->infos[i].driver),
								  strVal(list_nth(st->key_sqls, i)),
								  list_nth(st->key_offsets, i),
								  task_params(st, i), econtext,
								  st->key_array_type, PointerGetDatum(keys),
								  &nparams, &params);
		else
			sql = fed_bind_params(fed_dialect(st->infos[i].driver),
								  strVal(list_nth(st->sqls, i)),
								  list_nth(st->offsets, i), task_params(st, i),
								  econtext, InvalidOid, (Datum) 0,
								  &nparams, &params);
		fed_fanout_add(st->fanout, i, &st->infos[i], sql, nparams, params);
		/* (a combined statement returns its leaves' rows) */
		bounded = st->max_rows >= 0 &&
			(int64) st->max_rows * Max(list_length(st->members[i]), 1) <=
			st->infos[i].fetch_size;
		if (autocommit)
			fed_fanout_autocommit(st->fanout, i, bounded);
		if (bounded || st->shape == FED_SHAPE_PARTIAL_AGG ||
			st->shape == FED_SHAPE_FULL_AGG)
			fed_fanout_stream(st->fanout, i);
	}
	MemoryContextSwitchTo(old);
	st->cov_waiting = false;
}

static int
heap_compare(Datum a, Datum b, void *arg)
{
	FedScanState *st = (FedScanState *) arg;
	TupleTableSlot *s1 = st->heads[DatumGetInt32(a)];
	TupleTableSlot *s2 = st->heads[DatumGetInt32(b)];
	int			k;

	for (k = 0; k < st->nkeys; k++)
	{
		SortSupport ssup = &st->sortkeys[k];
		bool		n1;
		bool		n2;
		Datum		d1 = slot_getattr(s1, st->sort_attnos[k], &n1);
		Datum		d2 = slot_getattr(s2, st->sort_attnos[k], &n2);
		int			c = ApplySortComparator(d1, n1, d2, n2, ssup);

		if (c != 0)
			return -c;			/* binaryheap is a max-heap */
	}
	return 0;
}

static TupleTableSlot *
next_merged(FedScanState *st)
{
	int			top;

	if (!st->heap_built)
	{
		int			i;

		if (st->heap == NULL)
		{
			MemoryContext old = MemoryContextSwitchTo(st->css.ss.ps.state->es_query_cxt);

			st->heads = palloc0(sizeof(TupleTableSlot *) * Max(st->ntasks, 1));
			st->heap = binaryheap_allocate(Max(st->ntasks, 1), heap_compare, st);
			MemoryContextSwitchTo(old);
		}
		binaryheap_reset(st->heap);
		memset(st->heads, 0, sizeof(TupleTableSlot *) * Max(st->ntasks, 1));
		for (i = 0; i < st->ntasks; i++)
		{
			if (!st->valid[i])
				continue;
			st->heads[i] = fed_fanout_next_of(st->fanout, i);
			if (st->heads[i])
				binaryheap_add_unordered(st->heap, Int32GetDatum(i));
		}
		binaryheap_build(st->heap);
		st->heap_built = true;
	}
	else if (!binaryheap_empty(st->heap))
	{
		/* advance the stream whose row was returned last */
		top = DatumGetInt32(binaryheap_first(st->heap));
		st->heads[top] = fed_fanout_next_of(st->fanout, top);
		if (st->heads[top])
			binaryheap_replace_first(st->heap, Int32GetDatum(top));
		else
			(void) binaryheap_remove_first(st->heap);
	}
	if (binaryheap_empty(st->heap))
		return NULL;
	top = DatumGetInt32(binaryheap_first(st->heap));
	return st->heads[top];
}

static TupleTableSlot *
fed_next(ScanState *node)
{
	FedScanState *st = (FedScanState *) node;
	TupleTableSlot *slot;

	if (!st->started)
		start_fanout(st);
	slot = st->nkeys > 0 ? next_merged(st) : fed_fanout_next(st->fanout);
	if (slot == NULL)
	{
		if (!st->reported)
			report(st, false);
		return ExecClearTuple(node->ss_ScanTupleSlot);
	}
	return slot;
}

static bool
fed_recheck(ScanState *node, TupleTableSlot *slot)
{
	return true;
}

static TupleTableSlot *
fed_exec_scan(CustomScanState *node)
{
	return ExecScan(&node->ss, fed_next, fed_recheck);
}

static void
stop(FedScanState *st)
{
	if (st->fanout)
	{
		fed_fanout_end(st->fanout);
		if (st->started && !st->reported)
			report(st, false);
	}
	st->started = false;
	st->heap_built = false;
}

static void
fed_end_scan(CustomScanState *node)
{
	stop((FedScanState *) node);
}

static void
fed_rescan(CustomScanState *node)
{
	/* parameters may have changed: the next row starts over */
	stop((FedScanState *) node);
}

/*
 * What the coordinator computes and sends with task i's statement: its
 * parameters ($n), as expressions ("$1 = (now() - '30 days'::interval)").
 */
static void
explain_params(CustomScanState *node, List *ancestors, ExplainState *es, int i)
{
	CustomScan *cs = (CustomScan *) node->ss.ps.plan;
	List	   *exprs = list_nth(cs->custom_exprs, i);
	List	   *context;
	StringInfoData buf;
	ListCell   *lc;
	int			n = 0;

	if (exprs == NIL)
		return;
	context = set_deparse_context_plan(es->deparse_cxt, &cs->scan.plan, ancestors);
	initStringInfo(&buf);
	foreach(lc, exprs)
	{
		appendStringInfo(&buf, "%s$%d = %s", n > 0 ? ", " : "", n + 1,
						 deparse_expression(lfirst(lc), context, es->verbose, false));
		n++;
	}
	ExplainPropertyText("Remote Parameters", buf.data, es);
}

static void
fed_explain_scan(CustomScanState *node, List *ancestors, ExplainState *es)
{
	FedScanState *st = (FedScanState *) node;
	StringInfoData buf;
	int			i;

	initStringInfo(&buf);
	appendStringInfo(&buf, "%s, %d of %d %s",
					 st->nvalid == 1 ? "targeted" : "scatter-gather",
					 st->nvalid, st->nshards,
					 st->nshards == 1 ? "shard" : "shards");
	ExplainPropertyText("Strategy", buf.data, es);
	ExplainPropertyText("Pushed Down", st->pushed, es);
	{
		List	   *notes = list_nth(((CustomScan *) node->ss.ps.plan)->custom_private,
									 FedPlanLocal);
		List	   *texts = NIL;
		ListCell   *lc;

		/* one line per reason in text, a list in the structured formats */
		foreach(lc, notes)
		{
			if (es->format == EXPLAIN_FORMAT_TEXT)
				ExplainPropertyText("Kept Local", strVal(lfirst(lc)), es);
			else
				texts = lappend(texts, strVal(lfirst(lc)));
		}
		if (texts != NIL)
			ExplainPropertyList("Kept Local", texts, es);
	}
	{
		CustomScan *cs = (CustomScan *) node->ss.ps.plan;
		List	   *gating = list_nth(cs->custom_exprs, st->ntasks);

		if (gating != NIL)
		{
			List	   *context = set_deparse_context_plan(es->deparse_cxt,
														   &cs->scan.plan,
														   ancestors);

			ExplainPropertyText("One-Time Filter",
								deparse_expression((Node *) make_ands_explicit(gating),
												   context, es->verbose, false),
								es);
		}
	}
	if (st->nkeys > 0)
		ExplainPropertyText("Merge", "ordered", es);
	if (st->key_paramid >= 0)
	{
		ExplainPropertyText("Join Strategy",
							"key shipping (the other input's keys go to the shards)",
							es);
		if (es->analyze && st->fanout)
		{
			if (st->keys_shipped >= 0)
				ExplainPropertyInteger("Keys Shipped", NULL, st->keys_shipped, es);
			else
				ExplainPropertyText("Keys Shipped", "none (read without keys)", es);
		}
	}
	if (!es->verbose && !es->analyze)
		return;

	ExplainOpenGroup("Shards", "Shards", false, es);
	for (i = 0; i < st->ntasks; i++)
	{
		FedTableInfo *info = &st->infos[i];

		if (!st->valid[i])
			continue;
		ExplainOpenGroup("Shard", NULL, true, es);
		resetStringInfo(&buf);
		appendStringInfo(&buf, "%s (%s)", info->server->servername,
						 fed_driver_name(info->driver));
		ExplainPropertyText("Shard", buf.data, es);
		if (es->format == EXPLAIN_FORMAT_TEXT)
			es->indent++;
		if (es->verbose)
		{
			if (st->relids2 != NIL)
				ExplainPropertyText("Partitions",
									psprintf("%s, %s", get_rel_name(info->relid),
											 get_rel_name(list_nth_oid(st->relids2, i))),
									es);
			else if (st->members[i] != NIL)
			{
				StringInfoData names;
				ListCell   *lc;

				initStringInfo(&names);
				foreach(lc, st->members[i])
					appendStringInfo(&names, "%s%s",
									 foreach_current_index(lc) ? ", " : "",
									 (char *) lfirst(lc));
				ExplainPropertyText("Partitions", names.data, es);
			}
			else
				ExplainPropertyText("Partition", get_rel_name(info->relid), es);
			if (st->key_paramid >= 0)
				ExplainPropertyText("Remote SQL",
									fed_explain_sql(strVal(list_nth(st->key_sqls, i)),
													list_nth(st->key_offsets, i)),
									es);
			else
				ExplainPropertyText("Remote SQL",
									fed_explain_sql(strVal(list_nth(st->sqls, i)),
													list_nth(st->offsets, i)),
									es);
			explain_params(node, ancestors, es, i);
		}
		if (es->analyze && st->fanout)
		{
			FedTaskStats stats;

			fed_fanout_stats(st->fanout, i, &stats);
			if (es->format == EXPLAIN_FORMAT_TEXT)
			{
				resetStringInfo(&buf);
				appendStringInfo(&buf, "rows=" UINT64_FORMAT " bytes=" UINT64_FORMAT,
								 stats.rows, stats.bytes);
				if (es->timing)
					appendStringInfo(&buf, " time=%.3f ms", stats.ms);
				if (stats.read)
					appendStringInfo(&buf, " (%s)", stats.read);
				ExplainPropertyText("Received", buf.data, es);
			}
			else
			{
				ExplainPropertyUInteger("Rows Received", NULL, stats.rows, es);
				ExplainPropertyUInteger("Bytes Received", NULL, stats.bytes, es);
				if (es->timing)
					ExplainPropertyFloat("Shard Time", "ms", stats.ms, 3, es);
				if (stats.read)
					ExplainPropertyText("Read", stats.read, es);
			}
			if (stats.attempts > 1 || es->format != EXPLAIN_FORMAT_TEXT)
				ExplainPropertyInteger("Attempts", NULL, stats.attempts, es);
			if (stats.batches > 0)
				ExplainPropertyInteger("Key Batches", NULL, stats.batches, es);
			if (stats.replica)
				ExplainPropertyText("Answered By Replica", stats.replica, es);
			if (stats.failed)
				ExplainPropertyText("Missing", fed_fail_reason(stats.fail_kind), es);
		}
		if (es->format == EXPLAIN_FORMAT_TEXT)
			es->indent--;
		ExplainCloseGroup("Shard", NULL, true, es);
	}
	ExplainCloseGroup("Shards", "Shards", false, es);
}

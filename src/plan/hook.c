/*-------------------------------------------------------------------------
 *
 * hook.c
 *		The planner's entry points into federate: a base-relation hook that
 *		plans a federated table as one fan-out node, and an upper-relation
 *		hook that pushes aggregates into it.
 *
 * set_rel_pathlist_hook sees the partitioned table after plan-time
 * pruning; when every leaf left is a federate foreign table (or the table
 * is one), its paths are replaced by fan-out paths (plan/path.c).
 * create_upper_paths_hook is called at UPPERREL_GROUP_AGG with the whole
 * input relation; PostgreSQL never calls it for UPPERREL_PARTIAL_GROUP_AGG,
 * so the partial-aggregate path is built there (plan/aggsplit.c), as Citus
 * does; DISTINCT goes there too, window functions to plan/window.c.
 * set_join_pathlist_hook adds joins run by the shards when two tables are
 * co-located (plan/colocated.c), and hash joins that ship the other
 * input's keys to the shards (plan/keyjoin.c).  Both hooks chain to the previous ones and leave at once for
 * relations that are not federated.
 *
 * planner_hook takes the conflict targets of INSERT ... ON CONFLICT into
 * federated tables past the planner (fdw/upsert.c), and marks, in the
 * finished plan, a fan-out node that is the
 * only remote read of its servers and runs once (see mark_sole_reads): such
 * a read may go to the shards without a remote transaction.
 *
 * Writes and row locks keep PostgreSQL's own plan (an Append of
 * ForeignScans, or one ForeignScan): the fan-out node only reads.
 *
 * src/plan/hook.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_class.h"
#include "foreign/foreign.h"
#include "optimizer/optimizer.h"
#include "optimizer/pathnode.h"
#include "optimizer/paths.h"
#include "optimizer/planner.h"
#include "optimizer/prep.h"
#include "miscadmin.h"

#include "catalog/options.h"
#include "fdw/fdw.h"
#include "plan/plan.h"

bool		fed_enable_fanout = true;
bool		fed_combine_partitions = true;

static set_rel_pathlist_hook_type prev_set_rel_pathlist = NULL;
static create_upper_paths_hook_type prev_create_upper_paths = NULL;
static set_join_pathlist_hook_type prev_set_join_pathlist = NULL;
static planner_hook_type prev_planner = NULL;

/* A remote read of a statement's plan, and the servers it may use. */
typedef struct FedRead
{
	CustomScan *fanout;			/* a fan-out node, or NULL (a ForeignScan) */
	bool		rescan;			/* may run more than once per execution */
	List	   *servers;		/* OidList: its servers, replicas and copies */
} FedRead;

/* Add server serverid and its replica, if any, to *servers. */
static void
add_server(List **servers, Oid serverid)
{
	ForeignServer *server = GetForeignServer(serverid);
	char	   *replica = fed_server_replica(server);

	*servers = list_append_unique_oid(*servers, serverid);
	if (replica)
	{
		ForeignServer *r = GetForeignServerByName(replica, true);

		if (r)
			*servers = list_append_unique_oid(*servers, r->serverid);
	}
}

/* The servers a foreign table's reads may use: its own, replica, copies. */
static void
add_table_servers(List **servers, Oid relid)
{
	ForeignTable *table = GetForeignTable(relid);
	ListCell   *lc;

	add_server(servers, table->serverid);
	foreach(lc, fed_table_copies(table))
	{
		ForeignServer *copy = GetForeignServerByName(lfirst(lc), true);

		if (copy)
			add_server(servers, copy->serverid);
	}
}

/*
 * Collect the remote reads under plan into *reads: fan-out nodes and other
 * foreign scans, with the servers each may use.  rescan: plan is below
 * something that may run it again (the inner side of a nested loop, a
 * subplan).
 */
static void
collect_reads(Plan *plan, bool rescan, List **reads)
{
	ListCell   *lc;
	List	   *children = NIL;

	if (plan == NULL)
		return;
	check_stack_depth();
	switch (nodeTag(plan))
	{
		case T_ForeignScan:
			{
				FedRead    *r = palloc0(sizeof(FedRead));

				r->rescan = rescan;
				if (OidIsValid(((ForeignScan *) plan)->fs_server))
					add_server(&r->servers, ((ForeignScan *) plan)->fs_server);
				*reads = lappend(*reads, r);
				break;
			}
		case T_CustomScan:
			if (((CustomScan *) plan)->methods == &fed_scan_methods)
			{
				CustomScan *cs = (CustomScan *) plan;
				FedRead    *r = palloc0(sizeof(FedRead));
				List	   *join = list_nth(cs->custom_private, FedPlanJoin);

				r->fanout = cs;
				r->rescan = rescan;
				foreach(lc, (List *) list_nth(cs->custom_private, FedPlanRelids))
					add_table_servers(&r->servers, lfirst_oid(lc));
				/* a join's second tables are on the first's servers */
				if (join != NIL)
					foreach(lc, (List *) linitial(join))
						add_table_servers(&r->servers, lfirst_oid(lc));
				*reads = lappend(*reads, r);
			}
			children = ((CustomScan *) plan)->custom_plans;
			break;
		case T_Append:
			children = ((Append *) plan)->appendplans;
			break;
		case T_MergeAppend:
			children = ((MergeAppend *) plan)->mergeplans;
			break;
		case T_BitmapAnd:
			children = ((BitmapAnd *) plan)->bitmapplans;
			break;
		case T_BitmapOr:
			children = ((BitmapOr *) plan)->bitmapplans;
			break;
		case T_SubqueryScan:
			collect_reads(((SubqueryScan *) plan)->subplan, rescan, reads);
			break;
		case T_NestLoop:
			collect_reads(plan->lefttree, rescan, reads);
			collect_reads(plan->righttree, true, reads);
			return;
		default:
			break;
	}
	foreach(lc, children)
		collect_reads((Plan *) lfirst(lc), rescan, reads);
	collect_reads(plan->lefttree, rescan, reads);
	collect_reads(plan->righttree, rescan, reads);
}

/*
 * In a SELECT without row locks, mark each fan-out node that runs once and
 * whose servers no other remote read of the statement uses
 * (FedFlagSoleRead).  At run time, when the local transaction is this one
 * statement, its shards may then answer outside a remote transaction, one
 * plain statement each (exec/scan.c): a remote transaction only gives the
 * statements of one server one snapshot, and each of these servers gets
 * one statement, so nothing can tell the difference; it saves the round
 * trips of BEGIN and COMMIT.  (A server that gets several, partitions not
 * combined into one, gets them in remote transactions sharing one
 * snapshot: exec/fanout.c's mark_shared.)
 *
 * reads_only: the statement cannot write (no volatile function either):
 * every fan-out node is marked FedFlagReadStatement, and when the local
 * transaction is this statement alone its remote transactions may export
 * their snapshots (remote/xact.c, fed_xact_may_export).
 */
static void
mark_sole_reads(PlannedStmt *stmt, bool reads_only)
{
	List	   *reads = NIL;
	ListCell   *lc;
	ListCell   *lc2;
	ListCell   *lc3;

	if (stmt->commandType != CMD_SELECT || stmt->rowMarks != NIL ||
		stmt->hasModifyingCTE)
		return;
	collect_reads(stmt->planTree, false, &reads);
	foreach(lc, stmt->subplans)
		collect_reads((Plan *) lfirst(lc), true, &reads);
	foreach(lc, reads)
	{
		FedRead    *r = lfirst(lc);
		bool		alone = r->fanout != NULL && !r->rescan;
		List	   *flags;

		/* a statement that cannot write: its reads may share snapshots */
		if (r->fanout && reads_only)
		{
			flags = list_nth(r->fanout->custom_private, FedPlanFlags);
			lfirst_int(list_nth_cell(flags, FedFlagReadStatement)) = 1;
		}

		foreach(lc2, reads)
		{
			FedRead    *other = lfirst(lc2);

			foreach(lc3, other == r ? NIL : other->servers)
				alone &= !list_member_oid(r->servers, lfirst_oid(lc3));
		}
		if (!alone)
			continue;
		flags = list_nth(r->fanout->custom_private, FedPlanFlags);
		lfirst_int(list_nth_cell(flags, FedFlagSoleRead)) = 1;
	}
}

static PlannedStmt *
fed_planner(Query *parse, const char *query_string, int cursorOptions,
			ParamListInfo boundParams)
{
	PlannedStmt *stmt;
	List	   *conflict_targets = fed_upsert_take_targets(parse);

	/*
	 * (asked before planning, which rewrites parse: a volatile function
	 * may write, and a SELECT that calls one is not a read only)
	 */
	bool		reads_only = fed_enable_fanout &&
		parse->commandType == CMD_SELECT && parse->rowMarks == NIL &&
		!parse->hasModifyingCTE &&
		!contain_volatile_functions((Node *) parse);

	if (prev_planner)
		stmt = prev_planner(parse, query_string, cursorOptions, boundParams);
	else
		stmt = standard_planner(parse, query_string, cursorOptions,
								boundParams);
	if (conflict_targets != NIL)
		fed_upsert_give_targets(stmt, conflict_targets);
	if (fed_enable_fanout)
		mark_sole_reads(stmt, reads_only);
	return stmt;
}

static void
fed_set_rel_pathlist(PlannerInfo *root, RelOptInfo *rel, Index rti,
					 RangeTblEntry *rte)
{
	FedPathInfo *fi;

	if (prev_set_rel_pathlist)
		prev_set_rel_pathlist(root, rel, rti, rte);

	if (!fed_enable_fanout || rel->reloptkind != RELOPT_BASEREL ||
		rte->rtekind != RTE_RELATION || IS_DUMMY_REL(rel))
		return;
	if (rte->relkind != RELKIND_PARTITIONED_TABLE &&
		rte->relkind != RELKIND_FOREIGN_TABLE)
		return;
	if (root->parse->resultRelation == (int) rti ||
		get_plan_rowmark(root->rowMarks, rti) != NULL)
		return;
	/* LATERAL references (read once per outer row): PostgreSQL's own paths */
	if (rel->lateral_relids != NULL)
		return;

	fi = fed_scan_info(root, rel, rti, rte);
	if (fi == NULL)
		return;
	fed_add_scan_paths(root, rel, fi);

	/* read as one: no Append rebuilt later, no partitionwise planning */
	rel->nparts = 0;
}

static void
fed_create_upper_paths(PlannerInfo *root, UpperRelationKind stage,
					   RelOptInfo *input_rel, RelOptInfo *output_rel,
					   void *extra)
{
	if (prev_create_upper_paths)
		prev_create_upper_paths(root, stage, input_rel, output_rel, extra);

	/* (set operations come without an input relation) */
	if (!fed_enable_fanout || input_rel == NULL || input_rel->pathlist == NIL)
		return;
	if (input_rel->reloptkind == RELOPT_JOINREL)
	{
		/* over a co-located join as over one table; else below the join */
		if (stage == UPPERREL_GROUP_AGG &&
			!fed_add_agg_paths(root, input_rel, output_rel, extra))
			fed_add_join_agg_paths(root, input_rel, output_rel, extra);
		return;
	}
	if (input_rel->reloptkind != RELOPT_BASEREL)
		return;
	if (stage == UPPERREL_GROUP_AGG)
		fed_add_agg_paths(root, input_rel, output_rel, extra);
	else if (stage == UPPERREL_DISTINCT)
		fed_add_distinct_paths(root, input_rel, output_rel);
	else if (stage == UPPERREL_WINDOW)
		fed_add_window_paths(root, input_rel, output_rel);
}

static void
fed_set_join_pathlist(PlannerInfo *root, RelOptInfo *joinrel,
					  RelOptInfo *outerrel, RelOptInfo *innerrel,
					  JoinType jointype, JoinPathExtraData *extra)
{
	if (prev_set_join_pathlist)
		prev_set_join_pathlist(root, joinrel, outerrel, innerrel, jointype,
							   extra);
	if (fed_enable_fanout)
	{
		fed_add_colocated_join_paths(root, joinrel, outerrel, innerrel,
									 jointype, extra);
		fed_add_key_join_paths(root, joinrel, outerrel, innerrel, jointype,
							   extra);
	}
}

void
fed_plan_init(void)
{
	prev_set_rel_pathlist = set_rel_pathlist_hook;
	set_rel_pathlist_hook = fed_set_rel_pathlist;
	prev_create_upper_paths = create_upper_paths_hook;
	create_upper_paths_hook = fed_create_upper_paths;
	prev_set_join_pathlist = set_join_pathlist_hook;
	set_join_pathlist_hook = fed_set_join_pathlist;
	prev_planner = planner_hook;
	planner_hook = fed_planner;
	RegisterCustomScanMethods(&fed_scan_methods);
	RegisterCustomScanMethods(&fed_result_methods);
	RegisterCustomScanMethods(&fed_keys_methods);
}

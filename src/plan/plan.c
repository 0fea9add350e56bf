/*-------------------------------------------------------------------------
 *
 * plan.c
 *		A fan-out path becomes a CustomScan: each task's remote SQL is
 *		written here, once, and the plan keeps only copyable lists.
 *
 * The node's scan tuple is its custom_scan_tlist: one column per remote
 * select-list item (plus the partition's OID when the query reads
 * tableoid), the same for every task.  Its target list and quals refer to
 * those columns, so setrefs.c maps them (INDEX_VAR) like any other scan
 * with a custom scan tuple.  Parameters of each task's statement go to
 * custom_exprs (a list per task, then the gating conditions of an
 * aggregate shape), so they are fixed up and evaluated like any expression
 * of the plan.
 *
 * src/plan/plan.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/stratnum.h"
#include "access/sysattr.h"
#include "catalog/partition.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/cost.h"
#include "optimizer/optimizer.h"
#include "optimizer/restrictinfo.h"
#include "parser/parsetree.h"
#include "utils/lsyscache.h"
#include "utils/typcache.h"

#include "plan/plan.h"

static char *
item_name(FedPathInfo *fi, PlannerInfo *root, Expr *e)
{
	if (IsA(e, Var) && ((Var *) e)->varattno > 0)
	{
		RangeTblEntry *rte = planner_rt_fetch(((Var *) e)->varno, root);

		return get_attname(rte->relid, ((Var *) e)->varattno, false);
	}
	if (IsA(e, Aggref))
		return get_func_name(((Aggref *) e)->aggfnoid);
	return "expr";
}

/*
 * Can the shipped keys also tell which partitions to read?  When the key
 * column is the (top level's) partition key, compared with its partitioning
 * equality: exec/scan.c then finds each key's partition, and reads the
 * leaves under it.  (rel->nparts is 0 here: path.c hid the partitions.)
 */
static bool
keys_prune(FedPathInfo *fi)
{
	FedKeyFilter *kf = fi->key_filter;
	RelOptInfo *rel = fi->baserel;
	PartitionScheme ps = rel->part_scheme;
	ListCell   *lc;
	bool		found = false;

	if (ps == NULL || ps->partnatts != 1 || rel->partexprs == NULL ||
		rel->part_rels == NULL ||
		ps->partopcintype[0] != kf->key_type ||
		exprType((Node *) kf->column) != kf->key_type ||
		ps->partcollation[0] != kf->collation)
		return false;
	foreach(lc, rel->partexprs[0])
	{
		Expr	   *e = lfirst(lc);

		while (IsA(e, RelabelType))
			e = ((RelabelType *) e)->arg;
		if (IsA(e, Var) && ((Var *) e)->varattno == kf->column->varattno)
			found = true;
	}
	if (!found)
		return false;
	if (get_opfamily_member(ps->partopfamily[0], kf->key_type, kf->key_type,
							ps->strategy == PARTITION_STRATEGY_HASH ?
							HTEqualStrategyNumber : BTEqualStrategyNumber) != kf->opno)
		return false;
	return true;
}

/*
 * Can the statements of fi's tasks on one server be sent as one
 * (federate.combine_partitions)?  Each task's statement stays whole and
 * they are joined with UNION ALL, the server's rows then ordered and
 * limited as one task's were.  Not for reads that tell tasks apart later
 * (run-time pruning, the shipped keys' pruning, tableoid), joins and
 * window functions; an ordered read only on PostgreSQL, where ORDER BY can
 * name the union's columns by position: each key must then be the
 * default ordering of a type without collation (the partitions' tables
 * could differ in a text column's collation, which the union cannot
 * compare by).
 */
static bool
can_combine(FedPathInfo *fi, int tableoid_attno)
{
	ListCell   *lc;

	if (!fed_combine_partitions || list_length(fi->tasks) < 2 ||
		fi->pruneinfo != NULL || fi->key_filter != NULL || fi->rti2 != 0 ||
		fi->shape == FED_SHAPE_WINDOW || tableoid_attno != 0)
		return false;
	foreach(lc, fi->sort_keys)
	{
		FedSortKey *key = lfirst(lc);
		Expr	   *item = list_nth(fi->items, key->item - 1);
		TypeCacheEntry *tc = lookup_type_cache(exprType((Node *) item),
											   TYPECACHE_LT_OPR | TYPECACHE_GT_OPR);

		if (key->sortop != (key->descending ? tc->gt_opr : tc->lt_opr) ||
			OidIsValid(exprCollation((Node *) item)))
			return false;
	}
	return true;
}

/*
 * The statement of a task that reads several leaves on one server: their
 * statements (sqls, String) joined, then the order and limit of one task.
 * distinct: every item is grouped by, and sqls are the leaves' statements
 * without their GROUP BY, grouped once over all of them (on PostgreSQL,
 * where the union's columns can be named by position).
 */
static char *
combined_sql(FedPathInfo *fi, List *sqls, bool distinct)
{
	StringInfoData buf;
	ListCell   *lc;
	int			i;

	initStringInfo(&buf);
	if (distinct)
		appendStringInfoString(&buf, "SELECT * FROM (");
	foreach(lc, sqls)
		appendStringInfo(&buf, "%s(%s)",
						 foreach_current_index(lc) == 0 ? "" : " UNION ALL ",
						 strVal(lfirst(lc)));
	if (distinct)
	{
		appendStringInfoString(&buf, ") AS federate_u GROUP BY ");
		for (i = 1; i <= list_length(fi->items); i++)
			appendStringInfo(&buf, "%s%d", i > 1 ? ", " : "", i);
	}
	foreach(lc, fi->sort_keys)
	{
		FedSortKey *key = lfirst(lc);

		appendStringInfo(&buf, "%s%d%s%s",
						 foreach_current_index(lc) == 0 ? " ORDER BY " : ", ",
						 key->item, key->descending ? " DESC" : "",
						 key->nulls_first ? " NULLS FIRST" : " NULLS LAST");
	}
	if (fi->limit >= 0)
		appendStringInfo(&buf, " LIMIT %.0f", fi->limit);
	return buf.data;
}

/*
 * federate.combine_partitions: one task per server and user mapping for
 * the leaves fi's tasks read there (see can_combine).  The task lists
 * (statements, leaves, parameter spots, parameters) are rebuilt; *members
 * gets, per task, the OIDs of the leaves it reads (NIL: only its own).
 * A server whose statements differ in their parameters keeps one task per
 * leaf; so does MySQL's, whose ordered statements spell the order out, and
 * whose UNION refuses text columns of different collations.
 * plain_sqls: for a read that only groups (a DISTINCT), the leaves'
 * statements without GROUP BY on PostgreSQL (others' as they are), or NIL.
 */
static void
combine_by_server(FedPathInfo *fi, List **sqls, List *plain_sqls,
				  List **relids, List **offsets, List **params,
				  List **members)
{
	int			n = list_length(fi->tasks);
	bool	   *done = palloc0(sizeof(bool) * n);
	bool		text_items = false;
	ListCell   *lc;
	List	   *new_sqls = NIL;
	List	   *new_relids = NIL;
	List	   *new_offsets = NIL;
	List	   *new_params = NIL;
	int			i;

	foreach(lc, fi->items)
		if (lfirst(lc) && OidIsValid(exprCollation(lfirst(lc))))
			text_items = true;

	*members = NIL;
	for (i = 0; i < n; i++)
	{
		FedTaskPlan *ti = list_nth(fi->tasks, i);
		List	   *group = list_make1_int(i);
		List	   *pi = list_nth(*params, i);
		bool		plain = plain_sqls != NIL &&
			ti->info.driver == FED_DRIVER_POSTGRES;
		bool		ok = list_nth(*offsets, i) == NIL &&
			(ti->info.driver == FED_DRIVER_POSTGRES ||
			 (fi->sort_keys == NIL && !text_items));
		List	   *group_sqls = NIL;
		List	   *group_relids = NIL;
		int			j;

		if (done[i])
			continue;
		done[i] = true;
		for (j = i + 1; j < n; j++)
		{
			FedTaskPlan *tj = list_nth(fi->tasks, j);

			if (done[j] || tj->info.server->serverid != ti->info.server->serverid ||
				tj->info.user->umid != ti->info.user->umid)
				continue;
			done[j] = true;
			group = lappend_int(group, j);
			if (!equal(list_nth(*params, j), pi) || list_nth(*offsets, j) != NIL)
				ok = false;
		}
		if (list_length(group) == 1 || !ok)
		{
			/* one task per leaf, as planned */
			foreach(lc, group)
			{
				int			k = lfirst_int(lc);

				new_sqls = lappend(new_sqls, list_nth(*sqls, k));
				new_relids = lappend_oid(new_relids, list_nth_oid(*relids, k));
				new_offsets = lappend(new_offsets, list_nth(*offsets, k));
				new_params = lappend(new_params, list_nth(*params, k));
				*members = lappend(*members, NIL);
			}
			continue;
		}
		foreach(lc, group)
		{
			group_sqls = lappend(group_sqls,
								 list_nth(plain ? plain_sqls : *sqls,
										  lfirst_int(lc)));
			group_relids = lappend_oid(group_relids,
									   list_nth_oid(*relids, lfirst_int(lc)));
		}
		new_sqls = lappend(new_sqls,
						   makeString(combined_sql(fi, group_sqls, plain)));
		new_relids = lappend_oid(new_relids, linitial_oid(group_relids));
		new_offsets = lappend(new_offsets, NIL);
		new_params = lappend(new_params, pi);
		*members = lappend(*members, group_relids);
	}
	*sqls = new_sqls;
	*relids = new_relids;
	*offsets = new_offsets;
	*params = new_params;
}

static Plan *
fed_plan_custom_path(PlannerInfo *root, RelOptInfo *rel, CustomPath *best_path,
					 List *tlist, List *clauses, List *custom_plans)
{
	FedPathInfo *fi = fed_path_info(&best_path->path);
	CustomScan *cs = makeNode(CustomScan);
	List	   *scan_tlist = NIL;
	List	   *retrieved = NIL;
	List	   *sqls = NIL;
	List	   *relids = NIL;
	List	   *offsets = NIL;
	List	   *params = NIL;
	List	   *sort_attnos = NIL;
	List	   *sort_ops = NIL;
	List	   *sort_colls = NIL;
	List	   *sort_nf = NIL;
	List	   *key_sqls = NIL;
	List	   *key_offsets_all = NIL;
	List	   *relids2 = NIL;
	List	   *members = NIL;
	List	   *plain_sqls = NIL;
	List	   *flags;
	bool		combine;
	bool		distinct;
	int			tableoid_attno = 0;
	int			pos = 0;
	ListCell   *lc;
	StringInfoData pushed;

	foreach(lc, fi->items)
	{
		Expr	   *e = lfirst(lc);

		pos++;
		scan_tlist = lappend(scan_tlist,
							 makeTargetEntry(copyObject(e), pos,
											 item_name(fi, root, e), false));
		if (IsA(e, Var) && ((Var *) e)->varattno == TableOidAttributeNumber)
			tableoid_attno = pos;
		else
			retrieved = lappend_int(retrieved, pos);
	}

	foreach(lc, fi->sort_keys)
	{
		FedSortKey *key = lfirst(lc);

		sort_attnos = lappend_int(sort_attnos, key->item);
		sort_ops = lappend_oid(sort_ops, key->sortop);
		sort_colls = lappend_oid(sort_colls, key->collation);
		sort_nf = lappend_int(sort_nf, key->nulls_first);
	}

	/*
	 * federate.combine_partitions: a read that only groups, on PostgreSQL
	 * shards, is grouped once over each server's partitions (see
	 * combined_sql)
	 */
	combine = can_combine(fi, tableoid_attno);
	distinct = combine && fi->shape != FED_SHAPE_SCAN &&
		fi->distinct_on == NIL && fi->sort_keys == NIL && fi->limit < 0 &&
		fi->having == NIL && list_length(fi->group_items) == list_length(fi->items);
	foreach(lc, fi->items)
		if (OidIsValid(exprCollation(lfirst(lc))))
			distinct = false;	/* (see can_combine) */
	foreach(lc, fi->tasks)
	{
		FedTaskPlan *task = lfirst(lc);
		FedRemoteSelect sel;
		StringInfoData sql;
		List	   *task_params = NIL;
		List	   *task_offsets = NIL;
		ListCell   *li;

		memset(&sel, 0, sizeof(sel));
		foreach(li, fi->items)
		{
			Expr	   *e = lfirst(li);

			if (IsA(e, Var) && ((Var *) e)->varattno == TableOidAttributeNumber)
				sel.items = lappend(sel.items, NULL);
			else
				sel.items = lappend(sel.items, fed_to_leaf(root, fi, task, e));
		}
		sel.group_items = fi->group_items;
		sel.distinct_on = fi->distinct_on;
		sel.conds = task->remote_conds;
		foreach(li, fi->sort_keys)
		{
			FedSortKey *key = lfirst(li);

			sel.sort_exprs = lappend(sel.sort_exprs,
									 list_nth(sel.items, key->item - 1));
			sel.sort_desc = lappend_int(sel.sort_desc, key->descending);
			sel.sort_nulls_first = lappend_int(sel.sort_nulls_first,
											   key->nulls_first);
		}
		sel.limit = fi->limit;
		if (fi->rti2 != 0)
		{
			/* a co-located join: this pair of leaves */
			sel.jointype = fi->jointype;
			sel.info2 = &task->info2;
			sel.varno2 = task->rel2->relid;
			sel.conds2 = task->remote_conds2;
			sel.join_conds = (List *) fed_to_leaf(root, fi, task, (Expr *) fi->join_conds);
			sel.join_where = (List *) fed_to_leaf(root, fi, task, (Expr *) fi->join_where);
			relids2 = lappend_oid(relids2, task->relid2);
		}
		foreach(li, fi->windows)
		{
			FedRemoteWindow *w = palloc(sizeof(FedRemoteWindow));

			memcpy(w, lfirst(li), sizeof(FedRemoteWindow));
			w->partition = (List *) fed_to_leaf(root, fi, task, (Expr *) w->partition);
			w->order = (List *) fed_to_leaf(root, fi, task, (Expr *) w->order);
			w->start_offset = (Node *) fed_to_leaf(root, fi, task, (Expr *) w->start_offset);
			w->end_offset = (Node *) fed_to_leaf(root, fi, task, (Expr *) w->end_offset);
			sel.windows = lappend(sel.windows, w);
		}

		initStringInfo(&sql);
		fed_deparse_remote_select(&sql, root, task->rel, &task->info,
								  task->dialect, &sel, &task_params,
								  &task_offsets);
		sqls = lappend(sqls, makeString(sql.data));
		if (distinct && task->info.driver != FED_DRIVER_POSTGRES)
			plain_sqls = lappend(plain_sqls, llast(sqls));
		else if (distinct)
		{
			List	   *p = NIL;
			List	   *o = NIL;

			/* (the same parameters: only GROUP BY is left out) */
			sel.group_items = NIL;
			initStringInfo(&sql);
			fed_deparse_remote_select(&sql, root, task->rel, &task->info,
									  task->dialect, &sel, &p, &o);
			plain_sqls = lappend(plain_sqls, makeString(sql.data));
			sel.group_items = fi->group_items;
		}
		relids = lappend_oid(relids, task->relid);
		offsets = lappend(offsets, task_offsets);
		params = lappend(params, task_params);

		if (fi->key_filter)
		{
			FedKeyFilter *kf = fi->key_filter;
			ScalarArrayOpExpr *sa = makeNode(ScalarArrayOpExpr);
			Param	   *keys = makeNode(Param);
			List	   *key_params = list_copy(task_params);
			List	   *key_offsets = NIL;

			/*
			 * The same statement with "column op ANY (keys)" added; the keys
			 * come after the statement's own parameters, which keep their
			 * numbers (exec/scan.c binds them from the Federate Keys node's
			 * slot, so the Param itself stays out of custom_exprs).
			 */
			keys->paramkind = PARAM_EXEC;
			keys->paramid = kf->paramid;
			keys->paramtype = get_array_type(kf->key_type);
			keys->paramtypmod = -1;
			keys->paramcollid = InvalidOid;
			keys->location = -1;
			sa->opno = kf->opno;
			sa->opfuncid = get_opcode(kf->opno);
			sa->useOr = true;
			sa->inputcollid = kf->collation;
			sa->args = list_make2(fed_to_leaf(root, fi, task, (Expr *) kf->column),
								  keys);
			sa->location = -1;
			sel.conds = lappend(list_copy(sel.conds), sa);
			initStringInfo(&sql);	/* (the first one is kept in sqls) */
			fed_deparse_remote_select(&sql, root, task->rel, &task->info,
									  task->dialect, &sel, &key_params,
									  &key_offsets);
			if (list_length(key_params) != list_length(task_params) + 1 ||
				!equal(llast(key_params), keys))
				elog(ERROR, "federate: the shipped keys are not the last parameter");
			key_sqls = lappend(key_sqls, makeString(sql.data));
			key_offsets_all = lappend(key_offsets_all, key_offsets);
		}
	}

	if (combine)
		combine_by_server(fi, &sqls, plain_sqls, &relids, &offsets, &params,
						  &members);

	initStringInfo(&pushed);
	if (fi->shape == FED_SHAPE_SCAN)
		appendStringInfoString(&pushed, "rows");
	else if (fi->shape == FED_SHAPE_PARTIAL_AGG)
		appendStringInfoString(&pushed, "partial aggregates");
	else if (fi->shape == FED_SHAPE_WINDOW)
		appendStringInfoString(&pushed, "rows, window functions");
	else
		appendStringInfoString(&pushed, "aggregates");
	if (fi->distinct_on)
		appendStringInfoString(&pushed, ", distinct on");
	if (fi->sort_keys)
		appendStringInfoString(&pushed, ", sorted");
	if (fi->limit >= 0)
		appendStringInfo(&pushed, ", limit %.0f", fi->limit);
	if (fi->key_filter)
		appendStringInfoString(&pushed, ", join keys");
	if (fi->rti2 != 0)
		appendStringInfoString(&pushed, fi->jointype == JOIN_INNER ? ", inner join" :
							   fi->jointype == JOIN_LEFT ? ", left join" :
							   fi->jointype == JOIN_SEMI ? ", semi join" : ", anti join");

	flags = list_make5_int(fi->shape, fi->nshards, tableoid_attno, fi->rti,
						   fi->split);
	/* an ungrouped aggregate is one row per shard; a LIMIT bounds the rest */
	if ((fi->shape == FED_SHAPE_PARTIAL_AGG || fi->shape == FED_SHAPE_FULL_AGG) &&
		fi->group_items == NIL)
		flags = lappend_int(flags, 1);
	else
		flags = lappend_int(flags, fi->limit >= 0 && fi->limit <= PG_INT32_MAX ?
							(int) fi->limit : -1);
	flags = lappend_int(flags, 0);	/* FedFlagSoleRead: see plan/hook.c */
	flags = lappend_int(flags,
						(fi->shape == FED_SHAPE_SCAN ||
						 fi->shape == FED_SHAPE_PARTIAL_AGG) &&
						fi->sort_keys == NIL && fi->distinct_on == NIL &&
						fi->windows == NIL);
	flags = lappend_int(flags, 0);	/* FedFlagReadStatement: plan/hook.c */

	cs->scan.plan.targetlist = tlist;
	if (fi->shape == FED_SHAPE_SCAN)
		cs->scan.plan.qual = extract_actual_clauses(fi->local_conds, false);
	else
		cs->scan.plan.qual = fi->having;
	/* a join reads no single relation (setrefs maps it as a join) */
	cs->scan.scanrelid = fi->rti2 != 0 ? 0 : fi->rti;
	cs->flags = best_path->flags;
	cs->custom_plans = NIL;
	/* the last list of custom_exprs: see FedPathInfo.gating */
	cs->custom_exprs = lappend(params,
							   fi->shape == FED_SHAPE_SCAN && fi->rti2 == 0 ?
							   NIL : fi->gating);
	cs->custom_private = list_make5(sqls, relids, offsets, retrieved, flags);
	cs->custom_private = lappend(cs->custom_private, sort_attnos);
	cs->custom_private = lappend(cs->custom_private, sort_ops);
	cs->custom_private = lappend(cs->custom_private, sort_colls);
	cs->custom_private = lappend(cs->custom_private, sort_nf);
	cs->custom_private = lappend(cs->custom_private, fi->pruneinfo);
	cs->custom_private = lappend(cs->custom_private, makeString(pushed.data));
	{
		List	   *notes = NIL;

		foreach(lc, fi->local_notes)
			notes = lappend(notes, makeString(pstrdup(lfirst(lc))));
		cs->custom_private = lappend(cs->custom_private, notes);
	}
	if (fi->key_filter)
		cs->custom_private = lappend(cs->custom_private,
									 list_make3(list_make3_int(fi->key_filter->paramid,
															   get_array_type(fi->key_filter->key_type),
															   keys_prune(fi)),
												key_sqls, key_offsets_all));
	else
		cs->custom_private = lappend(cs->custom_private, NIL);
	if (fi->rti2 != 0)
	{
		RangeTblEntry *rte = planner_rt_fetch(fi->rti, root);

		cs->custom_private = lappend(cs->custom_private,
									 list_make3(relids2,
												list_make2_oid(rte->relid,
															   rte->checkAsUser),
												list_make1_int(bms_next_member(fi->baserel->relids, -1))));
	}
	else
		cs->custom_private = lappend(cs->custom_private, NIL);
	cs->custom_private = lappend(cs->custom_private, members);

	/*
	 * The table of each PartitionedRelPruneInfo: an aggregate over a
	 * co-located join has no relids to find its range table offset from
	 * (exec/scan.c finds the tables by OID instead).
	 */
	{
		List	   *prune_rels = NIL;

		if (fi->pruneinfo)
			foreach(lc, fi->pruneinfo->prune_infos)
			{
				ListCell   *l2;

				foreach(l2, (List *) lfirst(lc))
				{
					PartitionedRelPruneInfo *pr = lfirst(l2);

					prune_rels = lappend_oid(prune_rels,
											 planner_rt_fetch(pr->rtindex, root)->relid);
				}
			}
		cs->custom_private = lappend(cs->custom_private, prune_rels);
	}
	cs->custom_scan_tlist = scan_tlist;
	cs->methods = &fed_scan_methods;
	return &cs->scan.plan;
}

const CustomPathMethods fed_path_methods = {
	.CustomName = "Federate Scan",
	.PlanCustomPath = fed_plan_custom_path,
};

/*
 * The plan above an aggregate pushdown computes the query's aggregates from
 * partial ones, so its output expressions differ from the aggregates the
 * rest of the plan refers to ("count(*)" above, "sum of the shards'
 * counts" below).  This node gives the combined values the names the rest
 * of the plan knows: its custom_scan_tlist is the grouping target, column
 * for column the child's output, and its output is read from it.
 */
static Plan *
fed_plan_result_path(PlannerInfo *root, RelOptInfo *rel, CustomPath *best_path,
					 List *tlist, List *clauses, List *custom_plans)
{
	CustomScan *cs = fed_pass_through_scan(tlist, best_path->path.pathtarget->exprs,
										   custom_plans);

	cs->flags = best_path->flags;
	cs->methods = &fed_result_methods;
	return &cs->scan.plan;
}

/*
 * A CustomScan over custom_plans whose scan tuple is its child's row, the
 * expressions exprs column for column; its output tlist is read from it.
 */
CustomScan *
fed_pass_through_scan(List *tlist, List *exprs, List *custom_plans)
{
	CustomScan *cs = makeNode(CustomScan);
	ListCell   *lc;
	int			i = 0;

	foreach(lc, exprs)
		cs->custom_scan_tlist = lappend(cs->custom_scan_tlist,
										makeTargetEntry(copyObject(lfirst(lc)), ++i,
														NULL, false));
	cs->scan.plan.targetlist = tlist;
	cs->scan.plan.qual = NIL;
	cs->scan.scanrelid = 0;
	cs->custom_plans = custom_plans;
	cs->custom_exprs = NIL;
	cs->custom_private = NIL;
	return cs;
}

const CustomPathMethods fed_result_path_methods = {
	.CustomName = "Federate Result",
	.PlanCustomPath = fed_plan_result_path,
};

/* A "Federate Result" over child producing target (see above). */
CustomPath *
fed_make_result_path(RelOptInfo *rel, Path *child, PathTarget *target)
{
	CustomPath *cp = makeNode(CustomPath);

	cp->path.pathtype = T_CustomScan;
	cp->path.parent = rel;
	cp->path.pathtarget = target;
	cp->path.rows = child->rows;
	cp->path.startup_cost = child->startup_cost;
	cp->path.total_cost = child->total_cost + child->rows * cpu_tuple_cost;
	cp->path.pathkeys = NIL;
	cp->flags = 0;
	cp->custom_paths = list_make1(child);
	cp->custom_private = NIL;
	cp->methods = &fed_result_path_methods;
	return cp;
}

/*-------------------------------------------------------------------------
 *
 * keyjoin.c
 *		Key shipping: a hash join between a federated table and a small
 *		input sends the small input's join keys to the shards.
 *
 * The plan is PostgreSQL's own hash join, with the federated table's
 * fan-out as the probe (outer) side and the small input as the build
 * (inner) side:
 *
 *	 Hash Join
 *	   -> Federate Scan on big       (WHERE ... AND key = ANY ($n))
 *	   -> Hash
 *			-> Federate Keys          (collects the distinct keys)
 *				 -> the small input
 *
 * The hash join builds its table from the inner side before it reads the
 * outer one (the Federate Scan's start-up cost says it cannot start
 * earlier, so the hash join does not fetch an outer row first).  The
 * Federate Keys node passes the rows on unchanged and, at their end,
 * publishes the distinct non-NULL keys in a PARAM_EXEC slot of its own;
 * when the Federate Scan starts it reads the slot: keys there (at most
 * federate.key_shipping_max_keys) go to every shard with the statement,
 * an empty set contacts no shard, and no keys (too many, or not collected
 * yet) mean the statement without them.  Shipping is a pre-filter: the
 * hash join still compares every row, so the answer never depends on it.
 *
 * Only joins where a row of the federated table without a matching key
 * can never appear in the result take it: inner joins, semi joins (IN,
 * EXISTS) and the nullable side of an outer join (JOIN_RIGHT, the
 * federated table being the outer input).
 *
 * src/plan/keyjoin.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/cost.h"
#include "optimizer/optimizer.h"
#include "optimizer/pathnode.h"
#include "optimizer/paths.h"
#include "optimizer/paramassign.h"
#include "optimizer/restrictinfo.h"
#include "optimizer/tlist.h"
#include "utils/lsyscache.h"
#include "utils/typcache.h"

#include "plan/plan.h"

int			fed_key_shipping_max_keys = 10000;
int			fed_key_shipping_batch_size = 10000;

/*
 * May every task of fi evaluate "column op key" for a key of type
 * keytype?  (The keys arrive as a parameter: a NULL constant stands for
 * one.)
 */
static bool
key_op_ok(PlannerInfo *root, FedPathInfo *fi, Var *column, Oid opno,
		  Oid collid, Oid keytype)
{
	return fed_shippable_everywhere(root, fi,
									make_opclause(opno, BOOLOID, false,
												  (Expr *) column,
												  (Expr *) makeNullConst(keytype, -1, collid),
												  InvalidOid, collid));
}

/* Path of the "Federate Keys" node over the small input. */
CustomPath *
fed_make_keys_path(RelOptInfo *rel, Path *child, FedKeyFilter *kf)
{
	CustomPath *cp = makeNode(CustomPath);

	cp->path.pathtype = T_CustomScan;
	cp->path.parent = rel;
	cp->path.pathtarget = child->pathtarget;
	cp->path.param_info = NULL;
	cp->path.parallel_aware = false;
	cp->path.parallel_safe = false;
	cp->path.parallel_workers = 0;
	cp->path.rows = child->rows;
	cp->path.startup_cost = child->startup_cost;
	cp->path.total_cost = child->total_cost + child->rows * cpu_operator_cost;
	cp->path.pathkeys = NIL;
	cp->flags = 0;
	cp->custom_paths = list_make1(child);
	cp->custom_private = list_make1(kf);
	cp->methods = &fed_keys_path_methods;
	return cp;
}

static Plan *
plan_keys_path(PlannerInfo *root, RelOptInfo *rel, CustomPath *best_path,
			   List *tlist, List *clauses, List *custom_plans)
{
	FedKeyFilter *kf = linitial(best_path->custom_private);
	Plan	   *child = linitial(custom_plans);
	CustomScan *cs;

	/* the scan tuple is the child's row */
	cs = fed_pass_through_scan(tlist, get_tlist_exprs(child->targetlist, false),
							   custom_plans);
	cs->flags = best_path->flags;
	cs->custom_exprs = list_make1(copyObject(kf->key_expr));
	cs->custom_private = list_make2(list_make2_int(kf->paramid,
												   fed_key_shipping_max_keys),
									list_make2_oid(kf->key_type,
												   exprCollation((Node *) kf->key_expr)));
	cs->methods = &fed_keys_methods;
	return &cs->scan.plan;
}

const CustomPathMethods fed_keys_path_methods = {
	.CustomName = "Federate Keys",
	.PlanCustomPath = plan_keys_path,
};

/*
 * The hash join clauses of a join between outerrel (the federated table
 * scan reads) and innerrel (each clause told the side it takes), and in
 * *key the one whose keys can go to the shards: "column op inner
 * expression", column a column of the table the shards can compare with
 * such keys (NULL if none).
 */
List *
fed_key_join_clauses(PlannerInfo *root, FedPathInfo *scan, RelOptInfo *joinrel,
					 RelOptInfo *outerrel, RelOptInfo *innerrel,
					 JoinType jointype, List *restrictlist, FedKeyFilter **key)
{
	List	   *clauses = NIL;
	ListCell   *lc;

	*key = NULL;
	foreach(lc, restrictlist)
	{
		RestrictInfo *ri = lfirst(lc);
		OpExpr	   *op;
		Expr	   *outer_e;
		Expr	   *inner_e;
		Oid			opno;
		Oid			keytype;
		TypeCacheEntry *tce;

		if (!OidIsValid(ri->hashjoinoperator) || !IsA(ri->clause, OpExpr) ||
			(IS_OUTER_JOIN(jointype) &&
			 RINFO_IS_PUSHED_DOWN(ri, joinrel->relids)))
			continue;
		op = (OpExpr *) ri->clause;
		if (bms_is_subset(ri->left_relids, outerrel->relids) &&
			bms_is_subset(ri->right_relids, innerrel->relids))
		{
			ri->outer_is_left = true;
			outer_e = linitial(op->args);
			inner_e = lsecond(op->args);
			opno = op->opno;
		}
		else if (bms_is_subset(ri->left_relids, innerrel->relids) &&
				 bms_is_subset(ri->right_relids, outerrel->relids))
		{
			ri->outer_is_left = false;
			outer_e = lsecond(op->args);
			inner_e = linitial(op->args);
			opno = get_commutator(op->opno);
		}
		else
			continue;
		clauses = lappend(clauses, ri);

		if (*key != NULL || !OidIsValid(opno))
			continue;
		outer_e = fed_strip_relabel(outer_e);
		if (!IsA(outer_e, Var) || ((Var *) outer_e)->varno != scan->rti ||
			((Var *) outer_e)->varattno <= 0 ||
			((Var *) outer_e)->varlevelsup != 0)
			continue;
		keytype = exprType((Node *) inner_e);
		if (!OidIsValid(get_array_type(keytype)) ||
			contain_volatile_functions((Node *) inner_e))
			continue;
		/* the keys are de-duplicated with their type's hashable equality */
		tce = lookup_type_cache(keytype, TYPECACHE_EQ_OPR | TYPECACHE_HASH_PROC);
		if (!OidIsValid(tce->eq_opr) || !OidIsValid(tce->hash_proc) ||
			!op_hashjoinable(tce->eq_opr, keytype))
			continue;
		if (!key_op_ok(root, scan, (Var *) outer_e, opno, op->inputcollid,
					   keytype))
			continue;

		*key = palloc0(sizeof(FedKeyFilter));
		(*key)->column = (Var *) copyObject(outer_e);
		(*key)->opno = opno;
		(*key)->collation = op->inputcollid;
		(*key)->key_type = keytype;
		(*key)->key_expr = (Expr *) copyObject(inner_e);
		(*key)->paramid = generate_new_exec_param(root, get_array_type(keytype),
												  -1, InvalidOid)->paramid;
	}
	return clauses;
}

/*
 * set_join_pathlist_hook: a hash join of outerrel (a federated table) and
 * innerrel whose build side's keys go to outerrel's shards.
 */
void
fed_add_key_join_paths(PlannerInfo *root, RelOptInfo *joinrel,
					   RelOptInfo *outerrel, RelOptInfo *innerrel,
					   JoinType jointype, JoinPathExtraData *extra)
{
	FedPathInfo *scan;
	FedPathInfo *fi;
	FedKeyFilter *kf;
	Path	   *inner;
	CustomPath *keys;
	CustomPath *outer;
	List	   *clauses;
	JoinCostWorkspace workspace;
	double		rows;

	if (fed_key_shipping_max_keys <= 0 ||
		outerrel->reloptkind != RELOPT_BASEREL ||
		outerrel->lateral_relids != NULL || innerrel->lateral_relids != NULL)
		return;
	scan = fed_find_row_scan(outerrel);
	inner = innerrel->cheapest_total_path;
	if (scan == NULL || inner == NULL || inner->param_info != NULL)
		return;

	/* EXPLAIN says under the table's node why its join ships no keys */
	if (jointype == JOIN_LEFT || jointype == JOIN_ANTI || jointype == JOIN_FULL)
	{
		fed_note_local(scan, "join keys: the join keeps every row of this table");
		return;
	}
	if (jointype != JOIN_INNER && jointype != JOIN_SEMI && jointype != JOIN_RIGHT)
		return;
	/* (more keys than that are found out when they are collected) */
	if (innerrel->rows > 10.0 * fed_key_shipping_max_keys)
	{
		fed_note_local(scan, "join keys: the other input is not small (federate.key_shipping_max_keys)");
		return;
	}

	clauses = fed_key_join_clauses(root, scan, joinrel, outerrel, innerrel,
								   jointype, extra->restrictlist, &kf);
	if (kf == NULL)
	{
		fed_note_local(scan, "join keys: no hash join key the shards can compare");
		return;
	}

	fi = palloc(sizeof(FedPathInfo));
	memcpy(fi, scan, sizeof(FedPathInfo));
	fi->items = list_copy(scan->items);
	fi->local_notes = list_copy(scan->local_notes);
	fi->key_filter = kf;

	keys = fed_make_keys_path(innerrel, inner, kf);

	/*
	 * About the rows that match a key; it cannot start before the hash
	 * table is built (which keeps the hash join from fetching an outer row
	 * before it).
	 */
	rows = Min(outerrel->rows, Max(joinrel->rows, 1));
	outer = fed_make_path(root, outerrel, outerrel->reltarget, fi, rows, NIL);
	outer->path.startup_cost += keys->path.total_cost;
	outer->path.total_cost += keys->path.total_cost;

	initial_cost_hashjoin(root, &workspace, jointype, clauses, &outer->path,
						  &keys->path, extra, false);
	add_path(joinrel, (Path *) create_hashjoin_path(root, joinrel, jointype,
													&workspace, extra,
													&outer->path, &keys->path,
													false, extra->restrictlist,
													NULL, clauses));
}

/*-------------------------------------------------------------------------
 *
 * path.c
 *		Fan-out paths for a federated table: which shards, which conditions
 *		each can evaluate, and the sorted and limited variants.
 *
 * A federated table is a partitioned table whose leaf partitions left
 * after plan-time pruning are all federate foreign tables, or a single
 * federate foreign table.  Each leaf becomes a task.  A condition ships to
 * a task when that engine can evaluate it (a condition MySQL cannot
 * evaluate may still ship to the PostgreSQL shards); every condition that
 * some task cannot evaluate is also checked here, on all rows, which is
 * correct because a filter applied twice is the same filter.
 *
 * The paths made here replace PostgreSQL's Append of per-partition scans.
 * Then the relation is told it has no partitions any more (nparts = 0):
 * otherwise the planner would rebuild an Append when it applies the final
 * target list (apply_scanjoin_target_to_paths), and would try
 * partitionwise joins and aggregates over partitions we read as one.  The
 * run-time pruning information is built before that.
 *
 * src/plan/path.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/sysattr.h"
#include "catalog/pg_class.h"
#include "catalog/pg_inherits.h"
#include "foreign/fdwapi.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/appendinfo.h"
#include "optimizer/cost.h"
#include "optimizer/optimizer.h"
#include "optimizer/pathnode.h"
#include "optimizer/paths.h"
#include "optimizer/restrictinfo.h"
#include "parser/parsetree.h"
#include "partitioning/partprune.h"
#include "utils/lsyscache.h"
#include "utils/typcache.h"

#include "plan/plan.h"

/* Cost of reaching the shards at all, in units of seq_page_cost. */
#define FED_STARTUP_COST	100.0

/* Collect the leaf relations under rel; false if one is not ours. */
static bool
collect_leaves(PlannerInfo *root, RelOptInfo *rel, List **leaves)
{
	RangeTblEntry *rte = planner_rt_fetch(rel->relid, root);
	int			i;

	if (IS_DUMMY_REL(rel))
		return true;
	if (rte->relkind == RELKIND_FOREIGN_TABLE)
	{
		if (!fed_is_federate_routine(rel->fdwroutine))
			return false;
		*leaves = lappend(*leaves, rel);
		return true;
	}
	if (rte->relkind != RELKIND_PARTITIONED_TABLE || rel->part_rels == NULL)
		return false;
	i = -1;
	while ((i = bms_next_member(rel->live_parts, i)) >= 0)
	{
		RelOptInfo *child = rel->part_rels[i];

		if (child == NULL)
			continue;
		if (!collect_leaves(root, child, leaves))
			return false;
	}
	return true;
}

/*
 * Leaf partitions of a table before pruning (1 for a plain table): the
 * partition count the planner has, unless partitions are partitioned
 * themselves.
 */
static int
count_shards(RelOptInfo *rel, Oid relid)
{
	List	   *all;
	ListCell   *lc;
	int			n = 0;
	int			i;
	bool		nested = false;

	for (i = 0; i < rel->nparts; i++)
		if (rel->part_rels[i] && rel->part_rels[i]->part_scheme)
			nested = true;
	if (!nested && rel->nparts > 0 && rel->part_rels)
		return rel->nparts;

	all = find_all_inheritors(relid, NoLock, NULL);
	foreach(lc, all)
	{
		if (get_rel_relkind(lfirst_oid(lc)) != RELKIND_PARTITIONED_TABLE)
			n++;
	}
	return Max(n, 1);
}

/* An expression of the table, in the terms of one task's leaf. */
static Expr *
leaf_of(PlannerInfo *root, RelOptInfo *leaf, Index rti, Expr *expr)
{
	if (leaf->relid == rti)
		return expr;
	return (Expr *) adjust_appendrel_attrs_multilevel(root, (Node *) expr,
													  leaf->relids,
													  bms_make_singleton(rti));
}

Expr *
fed_to_leaf(PlannerInfo *root, FedPathInfo *fi, FedTaskPlan *task, Expr *expr)
{
	if (fi->rti2 == 0)
		return leaf_of(root, task->rel, fi->rti, expr);
	/* a join: each table's columns become its leaf's (a reference table's stay) */
	return leaf_of(root, task->rel2, fi->rti2,
				   leaf_of(root, task->rel, fi->rti, expr));
}

/* May task evaluate expr (in the table's terms)? */
bool
fed_task_shippable(PlannerInfo *root, FedPathInfo *fi, FedTaskPlan *task,
				   Expr *expr)
{
	return fed_shippable_over(root, task->relids, task->dialect,
							  (Node *) fed_to_leaf(root, fi, task, expr), NULL);
}

/* May every task evaluate expr? */
bool
fed_shippable_everywhere(PlannerInfo *root, FedPathInfo *fi, Expr *expr)
{
	ListCell   *lc;

	foreach(lc, fi->tasks)
	{
		if (!fed_task_shippable(root, fi, lfirst(lc), expr))
			return false;
	}
	return true;
}

/*
 * Add "what (engines that cannot evaluate it)" to fi's notes for EXPLAIN,
 * once per distinct text.
 */
void
fed_note_local(FedPathInfo *fi, const char *note)
{
	ListCell   *lc;

	foreach(lc, fi->local_notes)
	{
		if (strcmp(lfirst(lc), note) == 0)
			return;
	}
	fi->local_notes = lappend(fi->local_notes, pstrdup(note));
}

static void
note_engines(FedPathInfo *fi, const char *what, const bool *failed)
{
	fed_note_local(fi, psprintf("%s the %s cannot evaluate (Filter)", what,
								failed[0] && failed[1] ? "PostgreSQL and MySQL shards" :
								failed[1] ? "MySQL shards" : "PostgreSQL shards"));
}

/*
 * The basic fan-out read of a federated table, or NULL when the relation
 * is not one (or reads something a fan-out cannot deliver).
 */
FedPathInfo *
fed_scan_info(PlannerInfo *root, RelOptInfo *rel, Index rti,
			  RangeTblEntry *rte)
{
	FedPathInfo *fi;
	List	   *leaves = NIL;
	List	   *vars;
	ListCell   *lc;
	int			natts;
	Var		  **byattno;
	Var		   *tableoid = NULL;
	int			i;

	if (!collect_leaves(root, rel, &leaves) || leaves == NIL)
		return NULL;

	fi = palloc0(sizeof(FedPathInfo));
	fi->baserel = rel;
	fi->rti = rti;
	fi->nshards = rte->relkind == RELKIND_PARTITIONED_TABLE ?
		count_shards(rel, rte->relid) : 1;
	fi->limit = -1;
	fi->shape = FED_SHAPE_SCAN;
	foreach(lc, leaves)
	{
		RelOptInfo *leaf = lfirst(lc);
		FedTaskPlan *task = palloc0(sizeof(FedTaskPlan));

		task->rel = leaf;
		task->relids = leaf->relids;
		task->relid = planner_rt_fetch(leaf->relid, root)->relid;
		fed_table_info(task->relid, rte->checkAsUser, &task->info);
		task->dialect = fed_dialect(task->info.driver);
		fi->tasks = lappend(fi->tasks, task);
	}

	/* each condition goes to every task that can evaluate it */
	foreach(lc, rel->baserestrictinfo)
	{
		RestrictInfo *ri = lfirst(lc);
		bool		everywhere = true;
		bool		engine_failed[2];
		ListCell   *lt;

		if (ri->pseudoconstant)
		{
			/*
			 * A scan path gets PostgreSQL's gating Result for these; an
			 * aggregate pushed into the node replaces that scan, so the
			 * node checks them itself then (plan.c).
			 */
			fi->gating = lappend(fi->gating, ri->clause);
			continue;
		}
		engine_failed[0] = engine_failed[1] = false;
		foreach(lt, fi->tasks)
		{
			FedTaskPlan *task = lfirst(lt);
			Expr	   *clause = fed_to_leaf(root, fi, task, ri->clause);

			if (fed_is_shippable(root, task->rel, task->rel->relid,
								 task->dialect, clause))
				task->remote_conds = lappend(task->remote_conds, clause);
			else
			{
				everywhere = false;
				engine_failed[task->dialect->kind == FED_DRIVER_MYSQL] = true;
			}
		}
		if (!everywhere)
		{
			fi->local_conds = lappend(fi->local_conds, ri);
			note_engines(fi, "a condition", engine_failed);
		}
	}

	/* the columns needed above, and by the conditions kept here */
	vars = pull_var_clause((Node *) rel->reltarget->exprs,
						   PVC_RECURSE_PLACEHOLDERS);
	foreach(lc, fi->local_conds)
		vars = list_concat(vars,
						   pull_var_clause((Node *) ((RestrictInfo *) lfirst(lc))->clause,
										   PVC_RECURSE_PLACEHOLDERS));
	natts = rel->max_attr;
	byattno = palloc0(sizeof(Var *) * (natts + 1));
	foreach(lc, vars)
	{
		Var		   *var = lfirst(lc);

		if (!IsA(var, Var) || var->varno != rti || var->varlevelsup != 0)
			return NULL;
		if (var->varattno == TableOidAttributeNumber)
			tableoid = var;
		else if (var->varattno <= 0 || var->varattno > natts)
			return NULL;		/* whole-row and system columns */
		else if (byattno[var->varattno] == NULL)
			byattno[var->varattno] = var;
	}
	for (i = 1; i <= natts; i++)
	{
		if (byattno[i])
		{
			fi->items = lappend(fi->items, copyObject(byattno[i]));
		}
	}
	if (tableoid)
		fi->items = lappend(fi->items, copyObject(tableoid));

	/* run-time pruning (generic plans, parameters) */
	if (rte->relkind == RELKIND_PARTITIONED_TABLE && list_length(leaves) > 1)
	{
		List	   *subpaths = NIL;

		foreach(lc, leaves)
		{
			Path	   *p = makeNode(Path);

			p->parent = lfirst(lc);
			subpaths = lappend(subpaths, p);
		}
		fi->pruneinfo = make_partition_pruneinfo(root, rel, subpaths,
												 extract_actual_clauses(rel->baserestrictinfo,
																		false));
	}
	return fi;
}

/* expr without the binary-compatible casts on top of it */
Expr *
fed_strip_relabel(Expr *e)
{
	while (e && IsA(e, RelabelType))
		e = ((RelabelType *) e)->arg;
	return e;
}

static bool
covers_key(PlannerInfo *root, RelOptInfo *top, RelOptInfo *rel, List *exprs)
{
	List	   *mine = exprs;
	int			k;
	int			i;

	if (rel->part_scheme == NULL)
		return true;			/* a leaf */
	if (rel->partexprs == NULL || rel->part_rels == NULL)
		return false;
	if (rel != top)
		mine = (List *) adjust_appendrel_attrs_multilevel(root, (Node *) exprs,
														  rel->relids,
														  top->relids);
	for (k = 0; k < rel->part_scheme->partnatts; k++)
	{
		bool		found = false;
		ListCell   *lp;
		ListCell   *le;

		foreach(lp, rel->partexprs[k])
		{
			foreach(le, mine)
			{
				if (equal(fed_strip_relabel(lfirst(lp)), fed_strip_relabel(lfirst(le))))
					found = true;
			}
		}
		if (!found)
			return false;
	}
	i = -1;
	while ((i = bms_next_member(rel->live_parts, i)) >= 0)
	{
		if (rel->part_rels[i] != NULL &&
			!covers_key(root, top, rel->part_rels[i], exprs))
			return false;
	}
	return true;
}

/*
 * Do exprs (in the table's terms) contain the partition key of the table
 * and of every partitioned partition below it?  Then rows with equal
 * values of exprs are all in one leaf: groups, DISTINCT values and window
 * partitions never span shards.
 */
bool
fed_covers_partition_key(PlannerInfo *root, FedPathInfo *fi, List *exprs)
{
	/* a co-located join's pairs are the first table's partitions */
	RelOptInfo *rel = fi->rti2 != 0 ? root->simple_rel_array[fi->rti] : fi->baserel;

	if (rel->part_scheme == NULL)
		return false;
	return covers_key(root, rel, rel, exprs);
}

/*
 * The plain fan-out read (rows, unsorted, no LIMIT) among input_rel's
 * paths, that an upper stage (aggregates, DISTINCT, windows) could be
 * pushed into; NULL if there is none.
 */
FedPathInfo *
fed_find_row_scan(RelOptInfo *input_rel)
{
	ListCell   *lc;

	foreach(lc, input_rel->pathlist)
	{
		Path	   *p = lfirst(lc);

		if (IsA(p, ProjectionPath))
			p = ((ProjectionPath *) p)->subpath;
		if (fed_is_fanout_path(p))
		{
			FedPathInfo *fi = fed_path_info(p);

			if (fi->shape == FED_SHAPE_SCAN && fi->sort_keys == NIL &&
				fi->limit < 0)
				return fi;
		}
	}
	return NULL;
}

/* A copy of a path description, for a variant. */
static FedPathInfo *
copy_info(FedPathInfo *fi)
{
	FedPathInfo *copy = palloc(sizeof(FedPathInfo));

	memcpy(copy, fi, sizeof(FedPathInfo));
	copy->items = list_copy(fi->items);
	return copy;
}

/* Position (from 1) of expr among the items, adding it if missing. */
int
fed_item_position(FedPathInfo *fi, Expr *expr)
{
	ListCell   *lc;
	int			pos = 0;

	foreach(lc, fi->items)
	{
		pos++;
		if (equal(lfirst(lc), expr))
			return pos;
	}
	fi->items = lappend(fi->items, expr);
	return list_length(fi->items);
}

/*
 * The query's ORDER BY as sort keys every task can apply, or NIL.  Each
 * key must be a column of the table sorted by its type's default order
 * (the coordinator merges with the same operator).
 */
List *
fed_sort_keys(PlannerInfo *root, FedPathInfo *fi, List *pathkeys)
{
	List	   *keys = NIL;
	ListCell   *lc;

	foreach(lc, pathkeys)
	{
		PathKey    *pk = lfirst(lc);
		EquivalenceClass *ec = pk->pk_eclass;
		Var		   *var = NULL;
		ListCell   *lm;
		ListCell   *lt;
		TypeCacheEntry *tce;
		FedSortKey *key;
		Oid			sortop;

		if (ec->ec_has_volatile)
			return NIL;
		foreach(lm, ec->ec_members)
		{
			EquivalenceMember *em = lfirst(lm);
			Expr	   *e = em->em_expr;

			while (IsA(e, RelabelType))
				e = ((RelabelType *) e)->arg;
			/*
			 * (A join's second table only when its columns are in the
			 * join's rows: not for a semi or anti join, whose equivalence
			 * classes still name them.)
			 */
			if (!em->em_is_child && IsA(e, Var) &&
				(((Var *) e)->varno == fi->rti ||
				 (fi->rti2 != 0 && ((Var *) e)->varno == fi->rti2 &&
				  (fi->jointype == JOIN_INNER || fi->jointype == JOIN_LEFT))) &&
				((Var *) e)->varattno > 0 && ((Var *) e)->varlevelsup == 0)
			{
				var = (Var *) e;
				break;
			}
		}
		if (var == NULL)
			return NIL;

		tce = lookup_type_cache(var->vartype, TYPECACHE_LT_OPR | TYPECACHE_GT_OPR);
		sortop = pk->pk_strategy == BTGreaterStrategyNumber ? tce->gt_opr : tce->lt_opr;
		if (!OidIsValid(sortop) ||
			get_opfamily_member(pk->pk_opfamily, var->vartype, var->vartype,
								pk->pk_strategy) != sortop)
			return NIL;
		foreach(lt, fi->tasks)
		{
			FedTaskPlan *task = lfirst(lt);
			bool		bytes;

			if (!task->dialect->sort_ok(var->vartype, ec->ec_collation, &bytes))
				return NIL;
		}

		key = palloc0(sizeof(FedSortKey));
		var = copyObject(var);
		key->item = fed_item_position(fi, (Expr *) var);
		key->sortop = sortop;
		key->collation = ec->ec_collation;
		key->descending = (pk->pk_strategy == BTGreaterStrategyNumber);
		key->nulls_first = pk->pk_nulls_first;
		keys = lappend(keys, key);
	}
	return keys;
}

/* Make a fan-out path of rel producing target. */
CustomPath *
fed_make_path(PlannerInfo *root, RelOptInfo *rel, PathTarget *target,
			  FedPathInfo *fi, double rows, List *pathkeys)
{
	CustomPath *cp = makeNode(CustomPath);
	double		ntasks = Max(list_length(fi->tasks), 1);

	cp->path.pathtype = T_CustomScan;
	cp->path.parent = rel;
	cp->path.pathtarget = target;
	cp->path.param_info = NULL;
	cp->path.parallel_aware = false;
	cp->path.parallel_safe = false;
	cp->path.parallel_workers = 0;
	cp->path.rows = clamp_row_est(rows);
	cp->path.startup_cost = FED_STARTUP_COST;
	cp->path.total_cost = FED_STARTUP_COST + cp->path.rows * cpu_tuple_cost * 2;
	if (fi->sort_keys)
		cp->path.total_cost += cp->path.rows * cpu_operator_cost *
			(1 + log(ntasks) / log(2.0));
	cp->path.pathkeys = pathkeys;
	cp->flags = CUSTOMPATH_SUPPORT_PROJECTION;
	cp->custom_paths = NIL;
	cp->custom_private = list_make1(fi);
	cp->methods = &fed_path_methods;
	return cp;
}

bool
fed_is_fanout_path(Path *path)
{
	return IsA(path, CustomPath) &&
		((CustomPath *) path)->methods == &fed_path_methods;
}

FedPathInfo *
fed_path_info(Path *path)
{
	return (FedPathInfo *) linitial(((CustomPath *) path)->custom_private);
}

/*
 * Replace rel's paths by fan-out paths: the plain one, and the sorted and
 * limited variants of fed_add_ordered_paths.
 */
void
fed_add_scan_paths(PlannerInfo *root, RelOptInfo *rel, FedPathInfo *base)
{
	rel->pathlist = NIL;
	rel->partial_pathlist = NIL;
	add_path(rel, (Path *) fed_make_path(root, rel, rel->reltarget, base,
										 rel->rows, NIL));
	fed_add_ordered_paths(root, rel, base);
}

/*
 * When the query is a simple read of rel (one federated table, or a join
 * the shards run), paths of rel that ship its ORDER BY (merged here) and
 * its LIMIT (as a per-shard LIMIT of count plus offset).
 */
void
fed_add_ordered_paths(PlannerInfo *root, RelOptInfo *rel, FedPathInfo *base)
{
	Query	   *parse = root->parse;
	bool		simple;
	double		limit = -1;
	FedPathInfo *sorted = NULL;

	simple = bms_equal(root->all_baserels, rel->relids) &&
		parse->groupClause == NIL && parse->groupingSets == NIL &&
		!parse->hasAggs && !parse->hasWindowFuncs &&
		parse->distinctClause == NIL && !parse->hasTargetSRFs &&
		!root->hasHavingQual && parse->setOperations == NULL;
	/* WITH TIES may return more than count rows: no LIMIT to ship */
	if (simple && base->local_conds == NIL && root->limit_tuples > 0 &&
		parse->limitOption == LIMIT_OPTION_COUNT)
		limit = root->limit_tuples;
	if (simple && root->query_pathkeys != NIL &&
		root->query_pathkeys == root->sort_pathkeys)
	{
		/* sort keys may add select-list items: work on a copy */
		sorted = copy_info(base);
		sorted->sort_keys = fed_sort_keys(root, sorted, root->query_pathkeys);
		if (sorted->sort_keys == NIL)
			sorted = NULL;
	}

	if (sorted)
	{
		sorted->limit = limit;
		add_path(rel, (Path *) fed_make_path(root, rel, rel->reltarget, sorted,
											 limit > 0 ?
											 Min(rel->rows, limit * list_length(base->tasks)) :
											 rel->rows,
											 root->query_pathkeys));
	}
	else if (root->query_pathkeys == NIL && limit > 0)
	{
		FedPathInfo *limited = copy_info(base);

		limited->limit = limit;
		add_path(rel, (Path *) fed_make_path(root, rel, rel->reltarget, limited,
											 Min(rel->rows, limit * list_length(base->tasks)),
											 NIL));
	}
}

/*-------------------------------------------------------------------------
 *
 * window.c
 *		Window functions whose PARTITION BY contains the partition key run
 *		whole on each shard.
 *
 * A window partition holds the rows with equal PARTITION BY values; when
 * those values include the table's partition key (at every level of the
 * partition tree), all of a window partition's rows live in one leaf, so
 * the shard of that leaf computes the window function exactly as the
 * coordinator would over the same rows.  The node then returns rows with
 * the window functions' values as extra columns (FED_SHAPE_WINDOW), and
 * the query's ORDER BY, LIMIT and outer conditions run above it as usual.
 *
 * Nothing is shipped unless every window of the query, every window
 * function and every condition of the table can go to every shard: a
 * condition kept on the coordinator would change the rows the windows
 * see.  PostgreSQL's run conditions (WHERE rn <= 3 on a subquery, turned
 * into WindowClause.runCondition and sometimes removed from the outer
 * query) become the node's filter.
 *
 * src/plan/window.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "optimizer/pathnode.h"
#include "optimizer/tlist.h"
#include "utils/lsyscache.h"
#include "utils/typcache.h"

#include "plan/plan.h"

/* The query's WINDOW clause numbered winref. */
static WindowClause *
window_clause(Query *parse, Index winref)
{
	ListCell   *lc;

	foreach(lc, parse->windowClause)
	{
		WindowClause *wc = lfirst(lc);

		if (wc->winref == winref)
			return wc;
	}
	return NULL;
}

/*
 * The window wc as every shard can write it, or NULL with *why set.  Its
 * PARTITION BY must contain the partition key (unless one shard is left).
 */
static FedRemoteWindow *
remote_window(PlannerInfo *root, FedPathInfo *fi, WindowClause *wc,
			  const char **why)
{
	FedRemoteWindow *w = palloc0(sizeof(FedRemoteWindow));
	List	   *tlist = root->processed_tlist;
	ListCell   *lc;
	ListCell   *lt;

	w->winref = wc->winref;
	w->frame_options = wc->frameOptions;
	w->start_offset = wc->startOffset;
	w->end_offset = wc->endOffset;

	foreach(lc, wc->partitionClause)
	{
		SortGroupClause *sgc = lfirst(lc);
		Expr	   *e = (Expr *) get_sortgroupclause_expr(sgc, tlist);

		if (!fed_shippable_everywhere(root, fi, e))
		{
			*why = "a PARTITION BY expression a shard cannot compute";
			return NULL;
		}
		foreach(lt, fi->tasks)
		{
			FedTaskPlan *task = lfirst(lt);
			bool		bytes;

			if (!task->dialect->group_ok(exprType((Node *) e),
										 exprCollation((Node *) e), true, &bytes))
			{
				*why = "a PARTITION BY expression a shard cannot group by exactly";
				return NULL;
			}
		}
		w->partition = lappend(w->partition, e);
	}
	if (list_length(fi->tasks) > 1 &&
		!fed_covers_partition_key(root, fi, w->partition))
	{
		*why = "PARTITION BY without the partition key";
		return NULL;
	}

	foreach(lc, wc->orderClause)
	{
		SortGroupClause *sgc = lfirst(lc);
		Expr	   *e = (Expr *) get_sortgroupclause_expr(sgc, tlist);
		Oid			type = exprType((Node *) e);
		TypeCacheEntry *tce = lookup_type_cache(type, TYPECACHE_LT_OPR |
												TYPECACHE_GT_OPR);

		if (sgc->sortop != tce->lt_opr && sgc->sortop != tce->gt_opr)
		{
			*why = "a window ORDER BY with a non-default operator";
			return NULL;
		}
		if (!fed_shippable_everywhere(root, fi, e))
		{
			*why = "a window ORDER BY expression a shard cannot compute";
			return NULL;
		}
		foreach(lt, fi->tasks)
		{
			FedTaskPlan *task = lfirst(lt);
			bool		bytes;

			if (!task->dialect->sort_ok(type, exprCollation((Node *) e), &bytes))
			{
				*why = "a window ORDER BY a shard cannot sort in PostgreSQL's order";
				return NULL;
			}
		}
		w->order = lappend(w->order, e);
		w->order_desc = lappend_int(w->order_desc, sgc->sortop == tce->gt_opr);
		w->order_nulls_first = lappend_int(w->order_nulls_first, sgc->nulls_first);
	}

	if (!fed_shippable_everywhere(root, fi, (Expr *) wc->startOffset) ||
		!fed_shippable_everywhere(root, fi, (Expr *) wc->endOffset))
	{
		*why = "a window frame offset a shard cannot compute";
		return NULL;
	}
	return w;
}

void
fed_add_window_paths(PlannerInfo *root, RelOptInfo *input_rel,
					 RelOptInfo *window_rel)
{
	Query	   *parse = root->parse;
	PathTarget *target = root->upper_targets[UPPERREL_WINDOW];
	FedPathInfo *scan = fed_find_row_scan(input_rel);
	FedPathInfo *fi;
	List	   *nodes;
	List	   *run_conds = NIL;
	ListCell   *lc;
	const char *why = NULL;

	if (scan == NULL || target == NULL || parse->hasTargetSRFs ||
		parse->hasAggs || parse->groupClause != NIL ||
		parse->groupingSets != NIL || root->hasHavingQual)
		return;
	if (scan->local_conds != NIL)
	{
		fed_note_local(scan, "window functions: a condition is checked on the coordinator");
		return;
	}

	fi = palloc(sizeof(FedPathInfo));
	memcpy(fi, scan, sizeof(FedPathInfo));
	fi->items = NIL;
	fi->local_notes = list_copy(scan->local_notes);
	fi->windows = NIL;
	fi->shape = FED_SHAPE_WINDOW;

	/* the active windows' run conditions filter the node's rows */
#if PG_VERSION_NUM >= 150000
	foreach(lc, parse->windowClause)
		run_conds = list_concat(run_conds,
								((WindowClause *) lfirst(lc))->runCondition);
#endif

	/* the columns and window functions the target (and filter) read */
	nodes = pull_var_clause((Node *) list_concat(list_copy(target->exprs), run_conds),
							PVC_INCLUDE_WINDOWFUNCS | PVC_RECURSE_PLACEHOLDERS);
	foreach(lc, nodes)
	{
		Node	   *n = lfirst(lc);

		if (IsA(n, Var))
		{
			Var		   *var = (Var *) n;

			if (var->varno != scan->rti || var->varlevelsup != 0 ||
				var->varattno <= 0)
				return;			/* whole-row, system column */
			(void) fed_item_position(fi, (Expr *) copyObject(var));
		}
		else if (IsA(n, WindowFunc))
		{
			WindowFunc *wf = (WindowFunc *) n;
			WindowClause *wc = window_clause(parse, wf->winref);
			FedRemoteWindow *w = NULL;
			ListCell   *lw;

			if (wc == NULL)
				return;

			foreach(lw, fi->windows)
			{
				if (((FedRemoteWindow *) lfirst(lw))->winref == wc->winref)
					w = lfirst(lw);
			}
			if (w == NULL)
			{
				w = remote_window(root, fi, wc, &why);
				if (w == NULL)
					break;
				fi->windows = lappend(fi->windows, w);
			}
			foreach(lw, fi->tasks)
			{
				FedTaskPlan *task = lfirst(lw);

				if (!fed_shippable_over(root, task->relids, task->dialect,
										(Node *) fed_to_leaf(root, fi, task, (Expr *) wf),
										w))
				{
					why = psprintf("%s over this window is not computed alike by every shard",
								   get_func_name(wf->winfnoid));
					break;
				}
			}
			if (why != NULL)
				break;
			(void) fed_item_position(fi, (Expr *) copyObject(wf));
		}
		else
			return;
	}
	if (why != NULL)
	{
		fed_note_local(scan, psprintf("window functions: %s", why));
		return;
	}
	if (fi->windows == NIL)
		return;
	fi->having = run_conds;

	window_rel->pathlist = NIL;
	window_rel->partial_pathlist = NIL;
	add_path(window_rel, (Path *) fed_make_path(root, window_rel, target, fi,
												input_rel->rows, NIL));
}

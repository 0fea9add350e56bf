/*-------------------------------------------------------------------------
 *
 * colocated.c
 *		Co-located joins: two sharded tables partitioned alike, whose
 *		matching partitions live on the same server, joined on their
 *		partition keys, are joined by each server in one statement.
 *
 * Partitions with the same bounds hold the same partition key values, so
 * an equality join on the partition keys pairs only rows of matching
 * partitions: the join is the union of the per-pair joins.  Each pair of
 * leaves on one server under one user mapping becomes one task of a
 * fan-out node whose statement joins them:
 *
 *	 SELECT r1.a, r2.b FROM t1 r1 INNER JOIN t2 r2 ON (r1.k = r2.k) WHERE ...
 *
 * (LEFT JOIN, and [NOT] EXISTS for semi and anti joins.)  Aggregates over
 * the join are then pushed into that node as over one table
 * (plan/aggsplit.c), and so are ORDER BY and LIMIT (plan/path.c).
 *
 * A reference table (a federate foreign table whose option "copies" names
 * the other servers holding the same rows) joins the same way with any
 * sharded table whose servers all hold a copy, on any condition: each
 * leaf is joined with the copy on its server.  (Inner joins with it on
 * either side; the sharded table's rows are the ones an outer or anti
 * join keeps.)
 *
 * Taken only when everything can be shipped: both tables' conditions, the
 * join's conditions on every pair's engine, a single partitioning level
 * with equal bounds (partition_bounds_equal), and for an outer or anti
 * join every partition of the preserved side paired.  Pseudoconstant
 * conditions of inner and semi joins are checked by the node before any
 * shard is contacted.
 *
 * src/plan/colocated.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "optimizer/pathnode.h"
#include "optimizer/restrictinfo.h"
#include "parser/parsetree.h"
#include "partitioning/partbounds.h"
#include "utils/lsyscache.h"

#include "plan/plan.h"

/* Is e (maybe under binary-compatible casts) the column k of rel's key? */
static bool
is_key(RelOptInfo *rel, int k, Expr *e)
{
	ListCell   *lc;

	e = fed_strip_relabel(e);
	foreach(lc, rel->partexprs[k])
	{
		if (equal(fed_strip_relabel(lfirst(lc)), e))
			return true;
	}
	return false;
}

/*
 * Are the partition key column k of r1 and of r2 members of one
 * equivalence class of the key's collation (equal in every row of an
 * inner join, also when the condition that says so was replaced by one
 * with a constant: a.k = b.k AND a.k = $1)?
 */
static bool
keys_known_equal(PlannerInfo *root, RelOptInfo *r1, RelOptInfo *r2, int k)
{
	ListCell   *lc;

	foreach(lc, root->eq_classes)
	{
		EquivalenceClass *ec = lfirst(lc);
		bool		in1 = false;
		bool		in2 = false;
		ListCell   *lm;

		if (ec->ec_has_volatile || ec->ec_below_outer_join ||
			ec->ec_collation != r1->part_scheme->partcollation[k])
			continue;
		foreach(lm, ec->ec_members)
		{
			EquivalenceMember *em = lfirst(lm);

			if (em->em_is_child)
				continue;
			if (is_key(r1, k, em->em_expr))
				in1 = true;
			if (is_key(r2, k, em->em_expr))
				in2 = true;
		}
		if (in1 && in2)
			return true;
	}
	return false;
}

/*
 * Does the join compare every partition key column of r1 with the same
 * column of r2 by the partitioning's equality (in a condition of the join
 * itself, not one above an outer join; for an inner join, also through
 * an equivalence class)?
 */
static bool
joins_on_partition_keys(PlannerInfo *root, RelOptInfo *joinrel,
						RelOptInfo *r1, RelOptInfo *r2, JoinType jointype,
						List *restrictlist)
{
	PartitionScheme ps = r1->part_scheme;
	int			k;

	for (k = 0; k < ps->partnatts; k++)
	{
		bool		found = (jointype == JOIN_INNER &&
							 keys_known_equal(root, r1, r2, k));
		ListCell   *lc;

		foreach(lc, restrictlist)
		{
			RestrictInfo *ri = lfirst(lc);
			OpExpr	   *op = (OpExpr *) ri->clause;
			Expr	   *l;
			Expr	   *r;

			if (ri->pseudoconstant || !IsA(op, OpExpr) ||
				list_length(op->args) != 2 ||
				(IS_OUTER_JOIN(jointype) &&
				 RINFO_IS_PUSHED_DOWN(ri, joinrel->relids)) ||
				!op_in_opfamily(op->opno, ps->partopfamily[k]) ||
				get_op_opfamily_strategy(op->opno, ps->partopfamily[k]) !=
				(ps->strategy == PARTITION_STRATEGY_HASH ?
				 HTEqualStrategyNumber : BTEqualStrategyNumber))
				continue;
			l = linitial(op->args);
			r = lsecond(op->args);
			if ((is_key(r1, k, l) && is_key(r2, k, r)) ||
				(is_key(r1, k, r) && is_key(r2, k, l)))
				found = true;
		}
		if (!found)
			return false;
	}
	return true;
}

/* The task of scan that reads leaf, or NULL. */
static FedTaskPlan *
task_of(FedPathInfo *scan, RelOptInfo *leaf)
{
	ListCell   *lc;

	foreach(lc, scan->tasks)
	{
		if (((FedTaskPlan *) lfirst(lc))->rel == leaf)
			return lfirst(lc);
	}
	return NULL;
}

/* The task joining t1's leaf with rel2, read as t2 reads it. */
static FedTaskPlan *
make_pair(FedTaskPlan *t1, RelOptInfo *rel2, FedTaskPlan *t2)
{
	FedTaskPlan *pair = palloc(sizeof(FedTaskPlan));

	memcpy(pair, t1, sizeof(FedTaskPlan));
	pair->rel2 = rel2;
	pair->relid2 = t2->relid;
	pair->info2 = t2->info;
	pair->remote_conds2 = t2->remote_conds;
	pair->relids = bms_union(t1->rel->relids, rel2->relids);
	return pair;
}

/*
 * The tasks joining the matching leaves of s1 and s2, or NIL when a pair
 * is not on one server under one user mapping, or when a leaf of r1 has
 * no partner and the join keeps r1's rows (outer, anti).
 */
static List *
pair_tasks(FedPathInfo *s1, FedPathInfo *s2, RelOptInfo *r1, RelOptInfo *r2,
		   JoinType jointype, bool *ok, const char **why)
{
	List	   *tasks = NIL;
	int			i = -1;

	*ok = false;
	*why = "the tables are not partitioned alike";
	if (r1->part_rels == NULL || r2->part_rels == NULL)
		return NIL;
	while ((i = bms_next_member(r1->live_parts, i)) >= 0)
	{
		RelOptInfo *c1 = r1->part_rels[i];
		RelOptInfo *c2 = bms_is_member(i, r2->live_parts) ? r2->part_rels[i] : NULL;
		FedTaskPlan *t1;
		FedTaskPlan *t2;

		if (c1 == NULL || IS_DUMMY_REL(c1))
			continue;
		if (c1->part_scheme != NULL || (c2 && c2->part_scheme != NULL))
		{
			*why = "partitions partitioned again";
			return NIL;
		}
		if (c2 == NULL || IS_DUMMY_REL(c2))
		{
			if (jointype == JOIN_LEFT || jointype == JOIN_ANTI)
			{
				*why = "a partition of the kept side has no partner left";
				return NIL;
			}
			continue;			/* nothing of c1 joins */
		}
		t1 = task_of(s1, c1);
		t2 = task_of(s2, c2);
		if (t1 == NULL || t2 == NULL ||
			t1->info.server->serverid != t2->info.server->serverid ||
			t1->info.driver != t2->info.driver ||
			(t1->info.user == NULL) != (t2->info.user == NULL) ||
			(t1->info.user && t1->info.user->umid != t2->info.user->umid))
		{
			*why = psprintf("partitions %s and %s are not on one server under one user mapping",
							get_rel_name(t1->relid), get_rel_name(t2->relid));
			return NIL;
		}
		tasks = lappend(tasks, make_pair(t1, c2, t2));
	}
	*ok = true;
	return tasks;
}

/* Is rel a federate foreign table declared a reference table (copies)? */
static bool
is_reference(PlannerInfo *root, RelOptInfo *rel, FedPathInfo *scan)
{
	FedTaskPlan *task;

	if (scan == NULL || list_length(scan->tasks) != 1)
		return false;
	task = linitial(scan->tasks);
	return task->rel == rel && fed_table_copies(task->info.table) != NIL;
}

/*
 * The tasks joining each leaf of s1 with the copy of reference table r2
 * (read by s2) on the leaf's server, or NIL (with *ok false) when a
 * leaf's server holds no copy, or the copy's engine cannot evaluate the
 * reference table's conditions.
 */
static List *
reference_tasks(PlannerInfo *root, FedPathInfo *s1, FedPathInfo *s2,
				RelOptInfo *r2, bool *ok)
{
	FedTaskPlan *ref = linitial(s2->tasks);
	List	   *copies = fed_table_copies(ref->info.table);
	List	   *tasks = NIL;
	ListCell   *lc;

	*ok = false;
	foreach(lc, s1->tasks)
	{
		FedTaskPlan *t1 = lfirst(lc);
		FedTaskPlan *pair;
		ListCell   *lcopy;
		bool		here = (t1->info.server->serverid == ref->info.server->serverid);

		foreach(lcopy, copies)
		{
			if (strcmp(lfirst(lcopy), t1->info.server->servername) == 0)
				here = true;
		}
		if (!here)
			return NIL;
		pair = make_pair(t1, r2, ref);

		/*
		 * The copy on this server: the same remote table, read as t1 is.
		 * On a server of the other engine, schema_name does not apply: a
		 * PostgreSQL copy is in the schema of the same name as the
		 * coordinator's table, a MySQL one in the connection's database.
		 */
		pair->info2.server = t1->info.server;
		pair->info2.user = t1->info.user;
		pair->info2.driver = t1->info.driver;
		if (t1->info.driver != ref->info.driver)
		{
			ListCell   *lcond;

			pair->info2.schema_name = t1->info.driver == FED_DRIVER_POSTGRES ?
				get_namespace_name(get_rel_namespace(ref->relid)) : NULL;
			foreach(lcond, ref->remote_conds)
			{
				if (!fed_is_shippable(root, r2, r2->relid, t1->dialect, lfirst(lcond)))
					return NIL;
			}
		}
		tasks = lappend(tasks, pair);
	}
	*ok = true;
	return tasks;
}

void
fed_add_colocated_join_paths(PlannerInfo *root, RelOptInfo *joinrel,
							 RelOptInfo *outerrel, RelOptInfo *innerrel,
							 JoinType jointype, JoinPathExtraData *extra)
{
	RelOptInfo *r1 = outerrel;
	RelOptInfo *r2 = innerrel;
	FedPathInfo *s1;
	FedPathInfo *s2;
	FedPathInfo *fi;
	PartitionScheme ps;
	List	   *tasks;
	List	   *vars;
	ListCell   *lc;
	bool		ok;
	const char *why;

#define NOT_HERE(reason) do { why = (reason); goto not_here; } while (0)

	switch (jointype)
	{
		case JOIN_INNER:
		case JOIN_LEFT:
		case JOIN_SEMI:
		case JOIN_ANTI:
			break;
		case JOIN_RIGHT:
			r1 = innerrel;
			r2 = outerrel;
			jointype = JOIN_LEFT;
			break;
		default:
			return;
	}
	if (r1->reloptkind != RELOPT_BASEREL || r2->reloptkind != RELOPT_BASEREL ||
		r1->lateral_relids != NULL || r2->lateral_relids != NULL)
		return;
	s1 = fed_find_row_scan(r1);
	s2 = fed_find_row_scan(r2);
	/* an inner join with a reference table on either side */
	if (jointype == JOIN_INNER && is_reference(root, r1, s1) &&
		!is_reference(root, r2, s2))
	{
		RelOptInfo *r = r1;
		FedPathInfo *s = s1;

		r1 = r2;
		s1 = s2;
		r2 = r;
		s2 = s;
	}
	if (s1 == NULL || s2 == NULL || s1->key_filter || s2->key_filter)
		return;
	if (s1->local_conds != NIL || s2->local_conds != NIL)
		NOT_HERE("a condition of a table is checked on the coordinator");
	/* a false condition of r2 empties r2, not the rows an outer join keeps */
	if ((jointype == JOIN_LEFT || jointype == JOIN_ANTI) && s2->gating != NIL)
		NOT_HERE("a condition without columns on the other table");

	if (is_reference(root, r2, s2) && !is_reference(root, r1, s1))
	{
		/* the reference table has a copy on every server of r1 */
		tasks = reference_tasks(root, s1, s2, r2, &ok);
		if (!ok)
			NOT_HERE("a server of the table holds no copy of the reference table, or one that cannot evaluate its conditions");
	}
	else
	{
		/* partitioned alike, once, joined on the partition keys */
		ps = r1->part_scheme;
		if (ps == NULL || ps != r2->part_scheme || r1->partexprs == NULL ||
			r2->partexprs == NULL || r1->boundinfo == NULL || r2->boundinfo == NULL ||
			!partition_bounds_equal(ps->partnatts, ps->parttyplen, ps->parttypbyval,
									r1->boundinfo, r2->boundinfo))
			NOT_HERE("the tables are not partitioned alike");
		if (!joins_on_partition_keys(root, joinrel, r1, r2, jointype,
									 extra->restrictlist))
			NOT_HERE("the join does not compare the partition keys");
		tasks = pair_tasks(s1, s2, r1, r2, jointype, &ok, &why);
		if (!ok)
			goto not_here;
	}

	fi = palloc0(sizeof(FedPathInfo));
	fi->baserel = joinrel;
	fi->rti = r1->relid;
	fi->rti2 = r2->relid;
	fi->tasks = tasks;
	fi->nshards = s1->nshards;
	fi->shape = FED_SHAPE_SCAN;
	fi->limit = -1;
	fi->jointype = jointype;
	fi->local_notes = list_copy(s1->local_notes);
	fi->gating = list_concat(list_copy(s1->gating), s2->gating);
	/* the pairs follow the first table's leaves: its run-time pruning */
	if (list_length(tasks) == list_length(s1->tasks))
		fi->pruneinfo = s1->pruneinfo;

	/* the join's conditions: in its ON, above it, or checked first */
	foreach(lc, extra->restrictlist)
	{
		RestrictInfo *ri = lfirst(lc);

		if (ri->pseudoconstant)
		{
			if (jointype != JOIN_INNER && jointype != JOIN_SEMI)
				NOT_HERE("a condition without columns in an outer or anti join");
			fi->gating = lappend(fi->gating, ri->clause);
		}
		else if (jointype == JOIN_LEFT &&
				 RINFO_IS_PUSHED_DOWN(ri, joinrel->relids))
			fi->join_where = lappend(fi->join_where, ri->clause);
		else if (jointype == JOIN_ANTI &&
				 RINFO_IS_PUSHED_DOWN(ri, joinrel->relids))
			NOT_HERE("a condition above an anti join");
		else
			fi->join_conds = lappend(fi->join_conds, ri->clause);
		if (!ri->pseudoconstant &&
			!fed_shippable_everywhere(root, fi, ri->clause))
			NOT_HERE("a condition of the join a shard cannot evaluate");
	}

	/* the columns the join returns */
	vars = pull_var_clause((Node *) joinrel->reltarget->exprs,
						   PVC_INCLUDE_PLACEHOLDERS);
	foreach(lc, vars)
	{
		Var		   *var = lfirst(lc);

		if (!IsA(var, Var) || var->varlevelsup != 0 || var->varattno <= 0 ||
			(var->varno != r1->relid && var->varno != r2->relid) ||
			(var->varno == r2->relid &&
			 (jointype == JOIN_SEMI || jointype == JOIN_ANTI)))
			NOT_HERE("the join returns a value that is not a column");
		(void) fed_item_position(fi, (Expr *) copyObject(var));
	}

	add_path(joinrel, (Path *) fed_make_path(root, joinrel, joinrel->reltarget,
											 fi, joinrel->rows, NIL));
	fed_add_ordered_paths(root, joinrel, fi);
	return;

not_here:
	/* EXPLAIN says it under each table's node */
	fed_note_local(s1, psprintf("join with %s on the shards: %s",
								get_rel_name(planner_rt_fetch(r2->relid, root)->relid),
								why));
	fed_note_local(s2, psprintf("join with %s on the shards: %s",
								get_rel_name(planner_rt_fetch(r1->relid, root)->relid),
								why));
}

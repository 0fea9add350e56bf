/*-------------------------------------------------------------------------
 *
 * aggsplit.c
 *		Aggregates over a federated table: what each shard computes, and
 *		how the coordinator combines it.
 *
 * Called at UPPERREL_GROUP_AGG when the input is a fan-out read with every
 * condition shipped.  Each aggregate is split by the table below into
 * partial aggregates that every shard computes, grouped like the query,
 * and an expression over them:
 *
 *	 count(*), count(x)	count				sum of counts (0 when none)
 *	 sum(int2/int4)		sum (bigint)		sum of sums, as bigint
 *	 sum(other)			sum					sum of sums
 *	 min, max			min, max			min of mins, max of maxes
 *	 bool_and, bool_or	the same			bool_and, bool_or of them
 *	 bit_and/or/xor		the same			the same of them
 *	 variance, stddev	count(x), sum(x),	sums of them, finished by
 *	 (samp, pop; of		sum(x * x)			PostgreSQL's own final function
 *	 integers, numeric)						(exec/aggfinal.c)
 *	 avg(x)				sum(x), count(x)	sum of sums / sum of counts,
 *											NULL when the count is 0
 *	 agg(DISTINCT x)	x as another GROUP BY column: the coordinator
 *						de-duplicates, never adds per-shard counts
 *
 * avg divides with the same operator PostgreSQL's own avg finishes with
 * (numeric_div for integers and numeric, float8 and interval division),
 * so the result has PostgreSQL's type and scale, to the last digit.
 *
 * Combining happens in an ordinary Aggregate node above the fan-out node
 * (hashed, so it spills past work_mem), with aggregates over the partial
 * columns.  When groups cannot span shards (one shard, or the grouping
 * contains the partition key) each shard computes the whole aggregate and
 * the coordinator only finishes avg; no Aggregate node is needed, and
 * HAVING is checked in the fan-out node.
 *
 * A grouping expression a shard cannot compute is replaced there by the
 * columns it uses; the coordinator computes it and groups again.
 * agg(x) FILTER (WHERE c) splits like agg(x), each partial aggregate
 * keeping the FILTER (on MySQL: agg(CASE WHEN c THEN x END)).  Anything
 * else that cannot be split (ordered aggregates, DISTINCT with FILTER,
 * other aggregate functions, arguments or filters a shard cannot compute)
 * leaves PostgreSQL's own plan: an Aggregate over the fan-out read of the
 * rows.
 *
 * src/plan/aggsplit.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_aggregate.h"
#include "catalog/pg_type.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "optimizer/pathnode.h"
#include "optimizer/restrictinfo.h"
#include "optimizer/tlist.h"
#include "partitioning/partprune.h"
#include "parser/parse_coerce.h"
#include "parser/parse_func.h"
#include "parser/parse_node.h"
#include "parser/parse_oper.h"
#include "optimizer/cost.h"
#include "optimizer/paths.h"
#include "utils/builtins.h"
#include "utils/regproc.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"
#include "utils/syscache.h"

#include "plan/plan.h"

typedef struct AggCxt
{
	PlannerInfo *root;
	FedPathInfo *fi;			/* the aggregate path being built */
	ParseState *pstate;
	bool		full;			/* whole aggregates on each shard */
	bool		failed;
	List	   *orig;			/* aggregates replaced so far */
	List	   *repl;			/* and their replacements */
	List	   *extra_cols;		/* DISTINCT arguments */
	Expr	   *filter;			/* FILTER of the aggregate being split */
	char	   *why;			/* why the first aggregate failed to split */
	int			aggno;			/* next number for a combining aggregate */
} AggCxt;

static Aggref *
make_aggref(Oid aggfnoid, Expr *arg, Oid inputcollid)
{
	Aggref	   *a = makeNode(Aggref);
	HeapTuple	tp;

	tp = SearchSysCache1(AGGFNOID, ObjectIdGetDatum(aggfnoid));
	if (!HeapTupleIsValid(tp))
		elog(ERROR, "cache lookup failed for aggregate %u", aggfnoid);
	a->aggtranstype = ((Form_pg_aggregate) GETSTRUCT(tp))->aggtranstype;
	ReleaseSysCache(tp);

	a->aggfnoid = aggfnoid;
	a->aggtype = get_func_rettype(aggfnoid);
	a->aggcollid = type_is_collatable(a->aggtype) ? inputcollid : InvalidOid;
	a->inputcollid = arg ? inputcollid : InvalidOid;
	a->aggargtypes = arg ? list_make1_oid(exprType((Node *) arg)) : NIL;
	a->args = arg ? list_make1(makeTargetEntry(arg, 1, NULL, false)) : NIL;
	a->aggstar = (arg == NULL);
	a->aggkind = AGGKIND_NORMAL;
	a->aggsplit = AGGSPLIT_SIMPLE;
	a->aggno = -1;
	a->aggtransno = -1;
	a->location = -1;
	return a;
}

/* A context to build an aggregate read of scan's tasks in. */
static void
init_agg_cxt(AggCxt *cxt, PlannerInfo *root, FedPathInfo *scan)
{
	memset(cxt, 0, sizeof(AggCxt));
	cxt->root = root;
	cxt->pstate = make_parsestate(NULL);
	cxt->fi = palloc0(sizeof(FedPathInfo));
	memcpy(cxt->fi, scan, sizeof(FedPathInfo));
	cxt->fi->local_notes = list_copy(scan->local_notes);
	cxt->fi->items = NIL;
	cxt->fi->group_items = NIL;
	cxt->fi->sort_keys = NIL;
	cxt->fi->limit = -1;
}

/* Add expr to the remote select list; its position from 1. */
static int
add_item(AggCxt *cxt, Expr *expr)
{
	return fed_item_position(cxt->fi, expr);
}

static void
add_group_item(AggCxt *cxt, Expr *expr)
{
	int			pos = add_item(cxt, expr);

	if (!list_member_int(cxt->fi->group_items, pos))
		cxt->fi->group_items = lappend_int(cxt->fi->group_items, pos);
}

/*
 * An expression without a column of the table (a stable function call, a
 * parameter, an InitPlan's value) is computed on the coordinator and sent
 * as a parameter: it cannot also be an output column of the scan, which
 * the parameter would then be planned to read (before any row exists).
 * Constants are written as literals and may be.  Grouping by such an
 * expression is left to the coordinator.
 */
static bool
groupable_shape(Expr *expr)
{
	return IsA(fed_strip_relabel(expr), Const) ||
		contain_var_clause((Node *) expr);
}

/* May every shard group by expr (see FedDialect.group_ok)? */
static bool
group_ok(AggCxt *cxt, Expr *expr, bool exact)
{
	ListCell   *lc;

	if (!groupable_shape(expr) ||
		!fed_shippable_everywhere(cxt->root, cxt->fi, expr))
		return false;
	foreach(lc, cxt->fi->tasks)
	{
		FedTaskPlan *task = lfirst(lc);
		bool		bytes;

		if (!task->dialect->group_ok(exprType((Node *) expr),
									 exprCollation((Node *) expr), exact, &bytes))
			return false;
	}
	return true;
}

/*
 * In a table mixing engines, may every PostgreSQL shard group by expr
 * (when some MySQL shard cannot)?
 */
static bool
pg_tasks_group_ok(AggCxt *cxt, Expr *expr)
{
	ListCell   *lc;
	bool		mysql = false;

	if (!groupable_shape(expr))
		return false;
	foreach(lc, cxt->fi->tasks)
	{
		FedTaskPlan *task = lfirst(lc);
		bool		bytes;

		if (task->dialect->kind != FED_DRIVER_POSTGRES)
		{
			mysql = true;
			continue;
		}
		if (!fed_task_shippable(cxt->root, cxt->fi, task, expr) ||
			!task->dialect->group_ok(exprType((Node *) expr),
									 exprCollation((Node *) expr), false, &bytes))
			return false;
	}
	return mysql;
}

/* A partial aggregate every shard computes; NULL if one cannot. */
static Expr *partial_filtered(AggCxt *cxt, Oid aggfnoid, Expr *arg,
							  Oid inputcollid, Expr *filter);

/* A partial aggregate with the FILTER of the aggregate being split. */
static Expr *
partial(AggCxt *cxt, Oid aggfnoid, Expr *arg, Oid inputcollid)
{
	return partial_filtered(cxt, aggfnoid, arg, inputcollid, cxt->filter);
}

static Expr *
partial_filtered(AggCxt *cxt, Oid aggfnoid, Expr *arg, Oid inputcollid,
				 Expr *filter)
{
	Oid			argtype = arg ? exprType((Node *) arg) : InvalidOid;
	ListCell   *lc;
	Aggref	   *a;

	foreach(lc, cxt->fi->tasks)
	{
		FedTaskPlan *task = lfirst(lc);

		if (!task->dialect->agg_ok(aggfnoid, argtype, inputcollid))
		{
			if (cxt->why == NULL)
				cxt->why = psprintf("%s cannot be computed on %s shards",
									format_procedure(aggfnoid),
									task->dialect->kind == FED_DRIVER_MYSQL ?
									"MySQL" : "PostgreSQL");
			return NULL;
		}
	}
	a = make_aggref(aggfnoid, arg, inputcollid);
	a->aggfilter = (Expr *) copyObject(filter);
	add_item(cxt, (Expr *) a);
	return (Expr *) a;
}

/* An aggregate of the coordinator over a partial column. */
static Expr *
combine(AggCxt *cxt, Oid aggfnoid, Expr *part, Oid inputcollid)
{
	Aggref	   *a = make_aggref(aggfnoid, part, inputcollid);

	a->aggno = a->aggtransno = cxt->aggno++;
	return (Expr *) a;
}

static Expr *
cast_to(AggCxt *cxt, Expr *e, Oid type)
{
	Node	   *n = coerce_to_target_type(cxt->pstate, (Node *) e,
										  exprType((Node *) e), type, -1,
										  COERCION_EXPLICIT,
										  COERCE_EXPLICIT_CAST, -1);

	if (n == NULL)
		elog(ERROR, "federate: no cast from %s to %s",
			 format_type_be(exprType((Node *) e)), format_type_be(type));
	return (Expr *) n;
}

static Expr *
zero_of(Oid type)
{
	if (type == NUMERICOID)
		return (Expr *) makeConst(NUMERICOID, -1, InvalidOid, -1,
								  NumericGetDatum(int64_to_numeric(0)),
								  false, false);
	return (Expr *) makeConst(INT8OID, -1, InvalidOid, sizeof(int64),
							  Int64GetDatum(0), false, FLOAT8PASSBYVAL);
}

/* NULLIF(count, 0): avg over no rows is NULL, not a division by zero. */
static Expr *
nullif_zero(AggCxt *cxt, Expr *count)
{
	OpExpr	   *eq = (OpExpr *) make_op(cxt->pstate,
										list_make1(makeString("=")),
										(Node *) count,
										(Node *) zero_of(exprType((Node *) count)),
										NULL, -1);
	NullIfExpr *n = makeNode(NullIfExpr);

	n->opno = eq->opno;
	n->opfuncid = eq->opfuncid;
	n->opresulttype = exprType((Node *) count);
	n->opretset = false;
	n->opcollid = InvalidOid;
	n->inputcollid = InvalidOid;
	n->args = eq->args;
	n->location = -1;
	return (Expr *) n;
}

static Oid	sum_for(Oid type);
static Expr *split_failed(AggCxt *cxt, Aggref *a, const char *why);

/* var_samp, var_pop, stddev_samp, stddev_pop (numeric_var_final's kind) */
static int
variance_kind(Oid f)
{
	switch (f)
	{
		case F_VARIANCE_INT2:
		case F_VARIANCE_INT4:
		case F_VARIANCE_INT8:
		case F_VARIANCE_NUMERIC:
		case F_VAR_SAMP_INT2:
		case F_VAR_SAMP_INT4:
		case F_VAR_SAMP_INT8:
		case F_VAR_SAMP_NUMERIC:
			return 0;
		case F_VAR_POP_INT2:
		case F_VAR_POP_INT4:
		case F_VAR_POP_INT8:
		case F_VAR_POP_NUMERIC:
			return 1;
		case F_STDDEV_INT2:
		case F_STDDEV_INT4:
		case F_STDDEV_INT8:
		case F_STDDEV_NUMERIC:
		case F_STDDEV_SAMP_INT2:
		case F_STDDEV_SAMP_INT4:
		case F_STDDEV_SAMP_INT8:
		case F_STDDEV_SAMP_NUMERIC:
			return 2;
		case F_STDDEV_POP_INT2:
		case F_STDDEV_POP_INT4:
		case F_STDDEV_POP_INT8:
		case F_STDDEV_POP_NUMERIC:
			return 3;
		default:
			return -1;
	}
}

/*
 * variance/stddev of integers or numeric: count(x), sum(x) and
 * sum(x * x) on each shard (squares of integers as bigint, which cannot
 * overflow for int2/int4, of bigint and numeric as numeric), finished by
 * federate.numeric_var_final (exec/aggfinal.c) with PostgreSQL's own final
 * function.  NULL when a shard cannot compute a part.
 */
static Expr *
split_variance(AggCxt *cxt, Aggref *a, int kind, Expr *arg)
{
#if PG_VERSION_NUM >= 150000 && PG_VERSION_NUM < 160000
	Oid			argtype = exprType((Node *) arg);
	Oid			sqtype = (argtype == INT2OID || argtype == INT4OID) ? INT8OID : NUMERICOID;
	Expr	   *sq;
	Expr	   *c;
	Expr	   *s;
	Expr	   *q;
	Oid			argtypes[4] = {INT4OID, INT8OID, NUMERICOID, NUMERICOID};
	Oid			funcid;

	sq = (Expr *) make_op(cxt->pstate, list_make1(makeString("*")),
						  (Node *) cast_to(cxt, arg, sqtype),
						  (Node *) cast_to(cxt, arg, sqtype), NULL, -1);
	if (!fed_shippable_everywhere(cxt->root, cxt->fi, sq))
		return split_failed(cxt, a, "needs the square of its argument, which a shard cannot compute");
	c = partial(cxt, F_COUNT_ANY, arg, InvalidOid);
	s = partial(cxt, argtype == INT2OID ? F_SUM_INT2 :
				argtype == INT4OID ? F_SUM_INT4 :
				argtype == INT8OID ? F_SUM_INT8 : F_SUM_NUMERIC, arg, InvalidOid);
	q = partial(cxt, sqtype == INT8OID ? F_SUM_INT8 : F_SUM_NUMERIC, sq, InvalidOid);
	if (c == NULL || s == NULL || q == NULL)
		return NULL;
	if (!cxt->full)
	{
		c = cast_to(cxt, combine(cxt, F_SUM_INT8, c, InvalidOid), INT8OID);
		s = combine(cxt, sum_for(((Aggref *) s)->aggtype), s, InvalidOid);
		q = combine(cxt, F_SUM_NUMERIC, q, InvalidOid);
	}
	funcid = LookupFuncName(list_make2(makeString("federate"),
									   makeString("numeric_var_final")),
							4, argtypes, false);
	return (Expr *) makeFuncExpr(funcid, NUMERICOID,
								 list_make4(makeConst(INT4OID, -1, InvalidOid, 4,
													  Int32GetDatum(kind), false, true),
											cast_to(cxt, c, INT8OID),
											cast_to(cxt, s, NUMERICOID),
											cast_to(cxt, q, NUMERICOID)),
								 InvalidOid, InvalidOid, COERCE_EXPLICIT_CALL);
#else
	return NULL;
#endif
}

static Expr *
divide(AggCxt *cxt, Expr *l, Expr *r)
{
	return (Expr *) make_op(cxt->pstate, list_make1(makeString("/")),
							(Node *) l, (Node *) r, NULL, -1);
}

/* The sum aggregate over values of type (to combine partial sums). */
static Oid
sum_for(Oid type)
{
	switch (type)
	{
		case INT8OID:
			return F_SUM_INT8;
		case NUMERICOID:
			return F_SUM_NUMERIC;
		case FLOAT4OID:
			return F_SUM_FLOAT4;
		case FLOAT8OID:
			return F_SUM_FLOAT8;
		case INTERVALOID:
			return F_SUM_INTERVAL;
		case CASHOID:
			return F_SUM_MONEY;
		default:
			return InvalidOid;
	}
}

static bool
is_minmax(Oid f)
{
	switch (f)
	{
		case F_MIN_INT2:
		case F_MIN_INT4:
		case F_MIN_INT8:
		case F_MIN_FLOAT4:
		case F_MIN_FLOAT8:
		case F_MIN_NUMERIC:
		case F_MIN_DATE:
		case F_MIN_TIME:
		case F_MIN_TIMETZ:
		case F_MIN_TIMESTAMP:
		case F_MIN_TIMESTAMPTZ:
		case F_MIN_INTERVAL:
		case F_MIN_TEXT:
		case F_MIN_BPCHAR:
		case F_MIN_MONEY:
		case F_MIN_OID:
		case F_MAX_INT2:
		case F_MAX_INT4:
		case F_MAX_INT8:
		case F_MAX_FLOAT4:
		case F_MAX_FLOAT8:
		case F_MAX_NUMERIC:
		case F_MAX_DATE:
		case F_MAX_TIME:
		case F_MAX_TIMETZ:
		case F_MAX_TIMESTAMP:
		case F_MAX_TIMESTAMPTZ:
		case F_MAX_INTERVAL:
		case F_MAX_TEXT:
		case F_MAX_BPCHAR:
		case F_MAX_MONEY:
		case F_MAX_OID:
			return true;
		default:
			return false;
	}
}

/* Remember why aggregate a stays on the coordinator; returns NULL. */
static Expr *
split_failed(AggCxt *cxt, Aggref *a, const char *why)
{
	if (cxt->why == NULL)
		cxt->why = psprintf("%s %s", format_procedure(a->aggfnoid), why);
	return NULL;
}

/*
 * The replacement of one aggregate of the query, or NULL when it cannot be
 * split.  In full mode the result uses the partial aggregates directly.
 */
static Expr *
split_agg(AggCxt *cxt, Aggref *a)
{
	Expr	   *arg = NULL;
	Oid			argtype = InvalidOid;
	Oid			f = a->aggfnoid;
	Expr	   *p;
	Expr	   *s;
	Expr	   *c;
	Expr	   *sum;
	Expr	   *count;

	if (a->aggkind != AGGKIND_NORMAL || a->agglevelsup != 0 ||
		a->aggvariadic || a->aggdirectargs != NIL || list_length(a->args) > 1 ||
		(a->aggorder != NIL && a->aggdistinct == NIL))
		return split_failed(cxt, a, "cannot be split");
	/* FILTER (WHERE c): each partial aggregate gets it (MySQL: a CASE) */
	cxt->filter = a->aggfilter;
	if (a->aggfilter && a->aggdistinct != NIL)
		return split_failed(cxt, a, "with DISTINCT and FILTER cannot be split");
	if (a->aggfilter &&
		!fed_shippable_everywhere(cxt->root, cxt->fi, a->aggfilter))
		return split_failed(cxt, a, "has a FILTER a shard cannot evaluate");
	if (a->args != NIL)
	{
		arg = ((TargetEntry *) linitial(a->args))->expr;
		argtype = exprType((Node *) arg);
	}

	if (a->aggdistinct != NIL)
	{
		Aggref	   *copy;

		/* the coordinator de-duplicates: x becomes a grouping column */
		if (cxt->full || arg == NULL)
			return NULL;
		if (!group_ok(cxt, arg, false))
			return split_failed(cxt, a, "has a DISTINCT argument a shard cannot group by");
		add_group_item(cxt, arg);
		cxt->extra_cols = lappend(cxt->extra_cols, arg);
		copy = copyObject(a);
		copy->aggno = copy->aggtransno = cxt->aggno++;
		return (Expr *) copy;
	}

	if (arg && !fed_shippable_everywhere(cxt->root, cxt->fi, arg))
		return split_failed(cxt, a, "has an argument a shard cannot compute");

	switch (f)
	{
		case F_COUNT_:
		case F_COUNT_ANY:
			if ((p = partial(cxt, f, arg, a->inputcollid)) == NULL)
				return NULL;
			if (cxt->full)
				return p;
			{
				CoalesceExpr *ce = makeNode(CoalesceExpr);

				ce->coalescetype = INT8OID;
				ce->coalescecollid = InvalidOid;
				ce->args = list_make2(cast_to(cxt, combine(cxt, F_SUM_INT8, p,
														   InvalidOid),
											  INT8OID),
									  zero_of(INT8OID));
				ce->location = -1;
				return (Expr *) ce;
			}
		case F_SUM_INT2:
		case F_SUM_INT4:
			if ((p = partial(cxt, f, arg, a->inputcollid)) == NULL)
				return NULL;
			if (cxt->full)
				return p;
			return cast_to(cxt, combine(cxt, F_SUM_INT8, p, InvalidOid), INT8OID);
		case F_SUM_INT8:
		case F_SUM_NUMERIC:
		case F_SUM_FLOAT4:
		case F_SUM_FLOAT8:
		case F_SUM_INTERVAL:
		case F_SUM_MONEY:
			if ((p = partial(cxt, f, arg, a->inputcollid)) == NULL)
				return NULL;
			if (cxt->full)
				return p;
			return combine(cxt, sum_for(a->aggtype), p, InvalidOid);
		case F_BIT_AND_INT2:
		case F_BIT_AND_INT4:
		case F_BIT_AND_INT8:
		case F_BIT_OR_INT2:
		case F_BIT_OR_INT4:
		case F_BIT_OR_INT8:
		case F_BIT_XOR_INT2:
		case F_BIT_XOR_INT4:
		case F_BIT_XOR_INT8:
			/* the same aggregate over the shards' results */
			if ((p = partial(cxt, f, arg, a->inputcollid)) == NULL)
				return NULL;
			return cxt->full ? p : combine(cxt, f, p, InvalidOid);
		case F_BOOL_AND:
		case F_EVERY:
		case F_BOOL_OR:
			if (f == F_EVERY)
				f = F_BOOL_AND;
			if ((p = partial(cxt, f, arg, a->inputcollid)) == NULL)
				return NULL;
			return cxt->full ? p : combine(cxt, f, p, InvalidOid);
		case F_AVG_INT2:
		case F_AVG_INT4:
		case F_AVG_INT8:
		case F_AVG_NUMERIC:
		case F_AVG_FLOAT4:
		case F_AVG_FLOAT8:
		case F_AVG_INTERVAL:
			{
				Oid			sumf;
				Expr	   *sumarg = arg;

				switch (f)
				{
					case F_AVG_INT2:
						sumf = F_SUM_INT2;
						break;
					case F_AVG_INT4:
						sumf = F_SUM_INT4;
						break;
					case F_AVG_INT8:
						sumf = F_SUM_INT8;
						break;
					case F_AVG_NUMERIC:
						sumf = F_SUM_NUMERIC;
						break;
					case F_AVG_INTERVAL:
						sumf = F_SUM_INTERVAL;
						break;
					default:
						/* avg(real) accumulates in double precision */
						sumf = F_SUM_FLOAT8;
						if (argtype == FLOAT4OID)
							sumarg = (Expr *) coerce_to_target_type(cxt->pstate,
																	(Node *) arg,
																	FLOAT4OID, FLOAT8OID, -1,
																	COERCION_IMPLICIT,
																	COERCE_IMPLICIT_CAST,
																	-1);
						break;
				}
				s = partial(cxt, sumf, sumarg, InvalidOid);
				c = partial(cxt, F_COUNT_ANY, arg, InvalidOid);
				if (s == NULL || c == NULL)
					return NULL;
				if (cxt->full)
				{
					sum = s;
					count = c;
				}
				else
				{
					sum = combine(cxt, sum_for(((Aggref *) s)->aggtype), s, InvalidOid);
					count = combine(cxt, F_SUM_INT8, c, InvalidOid);
				}
				count = nullif_zero(cxt, count);
				if (a->aggtype == NUMERICOID)
					return divide(cxt, cast_to(cxt, sum, NUMERICOID),
								  cast_to(cxt, count, NUMERICOID));
				return divide(cxt, sum, cast_to(cxt, count, FLOAT8OID));
			}
		default:
			if (variance_kind(f) >= 0)
				return split_variance(cxt, a, variance_kind(f), arg);
			if (!is_minmax(f))
				return split_failed(cxt, a, "cannot be split");
			if ((p = partial(cxt, f, arg, a->inputcollid)) == NULL)
				return NULL;
			return cxt->full ? p : combine(cxt, f, p, a->inputcollid);
	}
}

static Node *
replace_aggs(Node *node, AggCxt *cxt)
{
	if (node == NULL || cxt->failed)
		return node;
	if (IsA(node, Aggref))
	{
		Aggref	   *a = (Aggref *) node;
		ListCell   *lo;
		ListCell   *lr;
		Expr	   *r;

		forboth(lo, cxt->orig, lr, cxt->repl)
		{
			if (equal(lfirst(lo), a))
				return (Node *) copyObject(lfirst(lr));
		}
		r = split_agg(cxt, a);
		if (r == NULL)
		{
			cxt->failed = true;
			return node;
		}
		cxt->orig = lappend(cxt->orig, a);
		cxt->repl = lappend(cxt->repl, r);
		return (Node *) copyObject(r);
	}
	if (IsA(node, GroupingFunc) || IsA(node, WindowFunc))
	{
		cxt->failed = true;
		return node;
	}
	return expression_tree_mutator(node, replace_aggs, (void *) cxt);
}

static bool
has_distinct_agg(Node *node, void *context)
{
	if (node == NULL)
		return false;
	if (IsA(node, Aggref) && ((Aggref *) node)->aggdistinct != NIL)
		return true;
	return expression_tree_walker(node, has_distinct_agg, context);
}

/* The expression of target that a GROUP BY or DISTINCT clause names. */
static Expr *
target_expr(PathTarget *target, SortGroupClause *sgc)
{
	int			i;

	for (i = 0; i < list_length(target->exprs); i++)
	{
		if (get_pathtarget_sortgroupref(target, i) == sgc->tleSortGroupRef)
			return list_nth(target->exprs, i);
	}
	return NULL;
}

/* Add a note for EXPLAIN to fi, if there is one to add to. */
static void
note(FedPathInfo *fi, const char *text)
{
	if (fi)
		fed_note_local(fi, text);
}

/*
 * The tasks of scan on one engine, as a read of their own: the conditions
 * each of them can evaluate ship, the others are checked here, and
 * run-time pruning knows only these tasks.
 */
static FedPathInfo *
task_subset(PlannerInfo *root, FedPathInfo *scan, FedDriverKind kind)
{
	FedPathInfo *fi = palloc(sizeof(FedPathInfo));
	List	   *leaves = NIL;
	ListCell   *lc;

	memcpy(fi, scan, sizeof(FedPathInfo));
	fi->tasks = NIL;
	fi->local_conds = NIL;
	fi->local_notes = NIL;
	fi->items = list_copy(scan->items);
	foreach(lc, scan->tasks)
	{
		FedTaskPlan *task = lfirst(lc);

		if (task->dialect->kind == kind)
			fi->tasks = lappend(fi->tasks, task);
	}
	foreach(lc, scan->baserel->baserestrictinfo)
	{
		RestrictInfo *ri = lfirst(lc);

		if (!ri->pseudoconstant &&
			!fed_shippable_everywhere(root, fi, ri->clause))
			fi->local_conds = lappend(fi->local_conds, ri);
	}
	fi->pruneinfo = NULL;
	if (scan->pruneinfo != NULL && list_length(fi->tasks) > 1)
	{
		foreach(lc, fi->tasks)
		{
			Path	   *p = makeNode(Path);

			p->parent = ((FedTaskPlan *) lfirst(lc))->rel;
			leaves = lappend(leaves, p);
		}
		fi->pruneinfo = make_partition_pruneinfo(root, scan->baserel, leaves,
												 extract_actual_clauses(scan->baserel->baserestrictinfo,
																		false));
	}
	fi->split = true;
	return fi;
}

/*
 * The partial aggregates of rows' tasks computed here, over their rows,
 * appended to those cp's shards computed: the same columns (partial_target)
 * for the combining Aggregate above.  The row read comes first; it starts
 * cp's fan-out with its own (exec/scan.c), so the shards of cp compute
 * while the coordinator reads the rows.
 */
static Path *
append_rows(PlannerInfo *root, RelOptInfo *partial_rel, PathTarget *partial_target,
			CustomPath *cp, FedPathInfo *rows, AggStrategy strategy,
			double ngroups)
{
	RelOptInfo *baserel = rows->baserel;
	PathTarget *local_target = copy_pathtarget(partial_target);
	CustomPath *scanpath;
	AggClauseCosts costs;
	Path	   *local;
	AppendPath *append;
	ListCell   *lc;
	int			aggno = 0;

	/* the local Aggregate numbers its own copies of the partial aggregates */
	local_target->exprs = NIL;
	foreach(lc, partial_target->exprs)
	{
		Node	   *e = lfirst(lc);

		if (IsA(e, Aggref))
		{
			Aggref	   *a = copyObject((Aggref *) e);

			a->aggno = a->aggtransno = aggno++;
			e = (Node *) a;
		}
		local_target->exprs = lappend(local_target->exprs, e);
	}
	fed_path_info(&cp->path)->split = true;
	scanpath = fed_make_path(root, baserel, baserel->reltarget, rows,
							 baserel->rows, NIL);
	memset(&costs, 0, sizeof(costs));
	local = (Path *) create_agg_path(root, partial_rel, (Path *) scanpath,
									 local_target,
									 strategy == AGG_PLAIN ? AGG_PLAIN : AGG_HASHED,
									 AGGSPLIT_SIMPLE, root->parse->groupClause,
									 NIL, &costs, ngroups);
	append = create_append_path(root, partial_rel, list_make2(local, cp), NIL,
								NIL, NULL, 0, false, -1);
	append->path.pathtarget = partial_target;
	return (Path *) append;
}

/*
 * The aggregate paths over scan's tasks; with rows, those over the rows of
 * rows' tasks too (see fed_add_agg_paths).  Why it fails goes to notes,
 * when given.  True when paths were added.
 */
static bool
build_agg_paths(PlannerInfo *root, RelOptInfo *grouped_rel,
				GroupPathExtraData *extra, FedPathInfo *scan, FedPathInfo *rows,
				FedPathInfo *notes, bool prefer_split)
{
	Query	   *parse = root->parse;
	PathTarget *target = grouped_rel->reltarget;
	List	   *group_exprs = NIL;
	PathTarget *final_target;
	List	   *having;
	AggCxt		cxt;
	ListCell   *lc;
	double		ngroups = 100;
	int			ntasks;

	if (scan->local_conds != NIL || parse->groupingSets != NIL)
	{
		note(notes, scan->local_conds ?
			 "aggregates: a condition is checked on the coordinator" :
			 "aggregates: GROUPING SETS");
		return false;
	}
	/* the rows of other shards are aggregated here: partial aggregates */
	if (rows && (scan->gating != NIL || rows->gating != NIL))
		return false;
	ntasks = list_length(scan->tasks);

	init_agg_cxt(&cxt, root, scan);

	/* the grouping expressions, as the target carries them */
	foreach(lc, parse->groupClause)
	{
		SortGroupClause *sgc = lfirst(lc);
		Expr	   *e = target_expr(target, sgc);
		if (e == NULL)
			return false;
		group_exprs = lappend(group_exprs, e);
	}

	/* whole aggregates on each shard when groups cannot span shards */
	cxt.full = (ntasks == 1 || fed_covers_partition_key(root, scan, group_exprs)) &&
		!has_distinct_agg((Node *) target->exprs, NULL) &&
		!has_distinct_agg(extra->havingQual, NULL);
	foreach(lc, group_exprs)
	{
		if (!group_ok(&cxt, lfirst(lc), true))
			cxt.full = false;
	}

	/*
	 * Without GROUP BY the query returns its one row (count 0) even when no
	 * shard answers: a false pseudoconstant condition stops the node before
	 * any shard is contacted, and in partial mode the one shard may be left
	 * out.  Only an Aggregate above the node makes that row.
	 */
	if (parse->groupClause == NIL || rows)
		cxt.full = false;

	foreach(lc, group_exprs)
	{
		Expr	   *e = lfirst(lc);

		if (group_ok(&cxt, e, false))
			add_group_item(&cxt, e);
		else if (prefer_split && pg_tasks_group_ok(&cxt, e))
		{
			/* better: the PostgreSQL shards group by e, the rest here */
			note(notes, "aggregates: a grouping expression the MySQL shards cannot compute");
			return false;
		}
		else
		{
			/* group by the columns here, compute e on the coordinator */
			List	   *vars = pull_var_clause((Node *) e, 0);
			ListCell   *lv;

			if (vars == NIL)
			{
				note(notes, "aggregates: a grouping expression without columns");
				return false;
			}
			foreach(lv, vars)
			{
				if (!group_ok(&cxt, lfirst(lv), false))
				{
					note(notes, "aggregates: a grouping column a shard cannot group by");
					return false;
				}
				add_group_item(&cxt, lfirst(lv));
			}
			note(cxt.fi, "a grouping expression a shard cannot compute (grouped again here)");
		}
	}

	final_target = copy_pathtarget(target);
	final_target->exprs = (List *) replace_aggs((Node *) target->exprs, &cxt);
	having = (List *) replace_aggs(extra->havingQual, &cxt);
	if (cxt.failed)
	{
		note(notes, psprintf("aggregates: %s", cxt.why ? cxt.why :
									  "an aggregate cannot be split"));
		return false;
	}

	if (grouped_rel->pathlist != NIL)
		ngroups = ((Path *) linitial(grouped_rel->pathlist))->rows;

	if (cxt.full)
	{
		cxt.fi->shape = FED_SHAPE_FULL_AGG;
		cxt.fi->having = having;
		grouped_rel->pathlist = NIL;
		grouped_rel->partial_pathlist = NIL;
		add_path(grouped_rel,
				 (Path *) fed_make_result_path(grouped_rel,
											   (Path *) fed_make_path(root, grouped_rel,
																	  final_target, cxt.fi,
																	  ngroups, NIL),
											   target));
	}
	else
	{
		PathTarget *partial_target = create_empty_pathtarget();
		RelOptInfo *partial_rel = fetch_upper_rel(root, UPPERREL_PARTIAL_GROUP_AGG,
												  NULL);
		AggStrategy strategy;
		CustomPath *cp;
		AggClauseCosts costs;
		Path	   *sub;
		int			i = 0;

		/* hashing cannot do DISTINCT aggregates; sorting spills too */
		if (parse->groupClause == NIL)
			strategy = AGG_PLAIN;
		else if (cxt.extra_cols == NIL && grouping_is_hashable(parse->groupClause))
			strategy = AGG_HASHED;
		else if (grouping_is_sortable(parse->groupClause) &&
				 root->group_pathkeys != NIL)
			strategy = AGG_SORTED;
		else
		{
			note(notes, "aggregates: the grouping can be neither hashed nor sorted");
			return false;
		}
		if (rows && (strategy == AGG_SORTED || cxt.extra_cols != NIL))
			return false;

		foreach(lc, parse->groupClause)
		{
			add_column_to_pathtarget(partial_target, list_nth(group_exprs, i++),
									 ((SortGroupClause *) lfirst(lc))->tleSortGroupRef);
		}
		foreach(lc, cxt.fi->items)
		{
			if (IsA(lfirst(lc), Aggref))
				add_column_to_pathtarget(partial_target, lfirst(lc), 0);
		}
		foreach(lc, cxt.extra_cols)
			add_column_to_pathtarget(partial_target, lfirst(lc), 0);
		set_pathtarget_cost_width(root, partial_target);

		cxt.fi->shape = FED_SHAPE_PARTIAL_AGG;
		cp = fed_make_path(root, partial_rel, partial_target, cxt.fi,
						   ngroups * ntasks, NIL);
		memset(&costs, 0, sizeof(costs));
		sub = (Path *) cp;
		if (rows)
			sub = append_rows(root, partial_rel, partial_target, cp, rows,
							  strategy, ngroups);
		if (strategy == AGG_SORTED)
			sub = (Path *) create_sort_path(root, partial_rel, sub,
											root->group_pathkeys, -1.0);
		grouped_rel->pathlist = NIL;
		grouped_rel->partial_pathlist = NIL;
		add_path(grouped_rel,
				 (Path *) fed_make_result_path(grouped_rel,
											   (Path *) create_agg_path(root, grouped_rel, sub,
																		final_target, strategy,
																		AGGSPLIT_SIMPLE, parse->groupClause,
																		having, &costs, ngroups),
											   target));
	}
	return true;
}


/*
 * Aggregates over a federated table.  When the shards cannot all compute
 * them (a condition, grouping expression or aggregate one engine cannot
 * evaluate), the PostgreSQL shards still compute theirs and the
 * coordinator aggregates the rows of the MySQL shards: an Append of both
 * under the combining Aggregate.
 */
bool
fed_add_agg_paths(PlannerInfo *root, RelOptInfo *input_rel,
				  RelOptInfo *grouped_rel, void *extra_arg)
{
	GroupPathExtraData *extra = (GroupPathExtraData *) extra_arg;
	FedPathInfo *scan = fed_find_row_scan(input_rel);
	FedPathInfo *pg;
	FedPathInfo *my;

	if (scan == NULL)
		return false;
	if (scan->rti2 != 0)		/* a co-located join: no engine split */
		return build_agg_paths(root, grouped_rel, extra, scan, NULL, scan, false);
	if (build_agg_paths(root, grouped_rel, extra, scan, NULL, scan, true))
		return true;

	pg = task_subset(root, scan, FED_DRIVER_POSTGRES);
	my = task_subset(root, scan, FED_DRIVER_MYSQL);
	if (pg->tasks != NIL && my->tasks != NIL && root->parse->groupingSets == NIL)
	{
		/* the rows' node tells why its shards' aggregates are computed here */
		my->local_notes = list_copy(scan->local_notes);
		fed_note_local(my, "aggregates of these shards computed here; the PostgreSQL shards compute theirs");
		if (build_agg_paths(root, grouped_rel, extra, pg, my, NULL, false))
			return true;
	}
	/* no split: every shard groups by the columns of such an expression */
	return build_agg_paths(root, grouped_rel, extra, scan, NULL, NULL, false);
}

/*
 * A join path of input_rel between rel (a base relation) and the rest of
 * input_rel, unparameterized, whose restriction list is the whole join
 * condition: its inner and outer paths, and the list.
 */
static JoinPath *
split_join_path(RelOptInfo *input_rel, RelOptInfo *rel)
{
	ListCell   *lc;

	foreach(lc, input_rel->pathlist)
	{
		JoinPath   *jp = lfirst(lc);

		if (IsA(jp, ProjectionPath))
			jp = (JoinPath *) ((ProjectionPath *) jp)->subpath;
		if (!IsA(jp, HashPath) && !IsA(jp, MergePath) && !IsA(jp, NestPath))
			continue;
		if (jp->path.param_info != NULL ||
			jp->outerjoinpath->param_info != NULL ||
			jp->innerjoinpath->param_info != NULL)
			continue;
		if (jp->outerjoinpath->parent == rel || jp->innerjoinpath->parent == rel)
			return jp;
	}
	return NULL;
}

/*
 * Aggregates over an inner join of a federated table T with a small input
 * S, all of whose arguments are T's columns: the shards of T compute the
 * partial aggregates grouped by T's join columns (and T's grouping
 * columns), with S's keys shipped to them (plan/keyjoin.c); the
 * coordinator joins those partial rows with S and combines them.  A
 * partial row standing for n rows of T that joins m rows of S counts as
 * n * m rows, as the rows themselves would: sums and counts add up the
 * same, min, max, bit_and/or and bool_and/or are the same, and avg and
 * the variances are built from such sums.
 *
 *	 Federate Result
 *	   -> Aggregate (combine)
 *			-> Hash Join
 *				 -> Federate Scan on T (partial aggregates, join keys)
 *				 -> Hash -> Federate Keys -> S
 */
void
fed_add_join_agg_paths(PlannerInfo *root, RelOptInfo *input_rel,
					   RelOptInfo *grouped_rel, void *extra_arg)
{
	GroupPathExtraData *extra = (GroupPathExtraData *) extra_arg;
	Query	   *parse = root->parse;
	PathTarget *target = grouped_rel->reltarget;
	RelOptInfo *trel = NULL;
	RelOptInfo *srel;
	FedPathInfo *scan = NULL;
	JoinPath   *jp;
	List	   *restrictlist;
	List	   *hashclauses;
	FedKeyFilter *kf;
	AggCxt		cxt;
	PathTarget *partial_target;
	PathTarget *join_target;
	PathTarget *final_target;
	List	   *having;
	CustomPath *keys;
	CustomPath *outer;
	HashPath   *hj;
	JoinCostWorkspace workspace;
	JoinPathExtraData jextra;
	SpecialJoinInfo *sjinfo;
	AggClauseCosts costs;
	AggStrategy strategy;
	ListCell   *lc;
	Relids		trelids;
	double		ngroups = 100;
	int			i;

	if (fed_key_shipping_max_keys <= 0 || root->join_info_list != NIL ||
		root->hasLateralRTEs || parse->groupingSets != NIL ||
		parse->hasTargetSRFs)
		return;

	/* the federated table among the joined relations */
	i = -1;
	while ((i = bms_next_member(input_rel->relids, i)) >= 0)
	{
		RelOptInfo *r = root->simple_rel_array[i];

		if (r && r->reloptkind == RELOPT_BASEREL && fed_find_row_scan(r) &&
			(jp = split_join_path(input_rel, r)) != NULL)
		{
			trel = r;
			scan = fed_find_row_scan(r);
			break;
		}
	}
	if (trel == NULL || scan->local_conds != NIL)
		return;
	srel = jp->outerjoinpath->parent == trel ? jp->innerjoinpath->parent :
		jp->outerjoinpath->parent;
	if (srel->cheapest_total_path == NULL ||
		srel->cheapest_total_path->param_info != NULL ||
		srel->rows > 10.0 * fed_key_shipping_max_keys)
		return;
	trelids = trel->relids;
	restrictlist = jp->joinrestrictinfo;

	/* aggregates only over T's columns, not DISTINCT */
	if (has_distinct_agg((Node *) target->exprs, NULL) ||
		has_distinct_agg(extra->havingQual, NULL))
		return;
	foreach(lc, pull_var_clause((Node *) list_make2(target->exprs, extra->havingQual),
								PVC_INCLUDE_AGGREGATES | PVC_RECURSE_PLACEHOLDERS))
	{
		Node	   *n = lfirst(lc);

		if (IsA(n, Aggref) &&
			!bms_is_subset(pull_varnos(root, (Node *) ((Aggref *) n)->args),
						   trelids))
			return;
		if (IsA(n, Aggref) && ((Aggref *) n)->aggfilter != NULL &&
			!bms_is_subset(pull_varnos(root, (Node *) ((Aggref *) n)->aggfilter),
						   trelids))
			return;
	}

	hashclauses = fed_key_join_clauses(root, scan, input_rel, trel, srel,
									   JOIN_INNER, restrictlist, &kf);
	if (kf == NULL)
		return;

	init_agg_cxt(&cxt, root, scan);
	cxt.fi->key_filter = kf;
	cxt.full = false;
	partial_target = create_empty_pathtarget();

	/* T's columns the join compares, and T's grouping expressions */
	foreach(lc, pull_var_clause((Node *) extract_actual_clauses(restrictlist, false),
								PVC_RECURSE_PLACEHOLDERS))
	{
		Var		   *v = lfirst(lc);

		if (!IsA(v, Var) || !bms_is_member(v->varno, trelids))
			continue;
		if (v->varattno <= 0 || !group_ok(&cxt, (Expr *) v, false))
			return;
		add_group_item(&cxt, (Expr *) v);
		if (!list_member(partial_target->exprs, v))
			add_column_to_pathtarget(partial_target, (Expr *) v, 0);
	}
	foreach(lc, parse->groupClause)
	{
		SortGroupClause *sgc = lfirst(lc);
		Expr	   *e = target_expr(target, sgc);
		Relids		relids;

		if (e == NULL)
			return;
		relids = pull_varnos(root, (Node *) e);
		if (bms_is_subset(relids, srel->relids))
			continue;			/* the join passes S's columns on */
		if (!bms_is_subset(relids, trelids) || !group_ok(&cxt, e, false))
			return;
		add_group_item(&cxt, e);
		if (!list_member(partial_target->exprs, e))
			add_column_to_pathtarget(partial_target, e, 0);
	}

	final_target = copy_pathtarget(target);
	final_target->exprs = (List *) replace_aggs((Node *) target->exprs, &cxt);
	having = (List *) replace_aggs(extra->havingQual, &cxt);
	if (cxt.failed || cxt.extra_cols != NIL)
		return;
	foreach(lc, cxt.fi->items)
	{
		if (IsA(lfirst(lc), Aggref))
			add_column_to_pathtarget(partial_target, lfirst(lc), 0);
	}
	set_pathtarget_cost_width(root, partial_target);

	if (parse->groupClause == NIL)
		strategy = AGG_PLAIN;
	else if (grouping_is_hashable(parse->groupClause))
		strategy = AGG_HASHED;
	else
		return;
	if (grouped_rel->pathlist != NIL)
		ngroups = ((Path *) linitial(grouped_rel->pathlist))->rows;

	/* the partial aggregates of T, with S's keys */
	cxt.fi->shape = FED_SHAPE_PARTIAL_AGG;
	keys = fed_make_keys_path(srel, srel->cheapest_total_path, kf);
	outer = fed_make_path(root, trel, partial_target, cxt.fi,
						  Max(srel->rows, 1) * list_length(scan->tasks), NIL);
	outer->path.startup_cost += keys->path.total_cost;
	outer->path.total_cost += keys->path.total_cost;

	/* joined with S: S's columns and the partial rows */
	join_target = create_empty_pathtarget();
	foreach(lc, srel->reltarget->exprs)
		add_column_to_pathtarget(join_target, lfirst(lc), 0);
	foreach(lc, partial_target->exprs)
		add_column_to_pathtarget(join_target, lfirst(lc), 0);
	/* the grouping expressions, labelled for the Aggregate above */
	foreach(lc, parse->groupClause)
	{
		SortGroupClause *sgc = lfirst(lc);
		Expr	   *e = target_expr(target, sgc);
		int			pos = 0;
		ListCell   *le;

		foreach(le, join_target->exprs)
		{
			if (equal(lfirst(le), e))
				break;
			pos++;
		}
		if (le == NULL)
			add_column_to_pathtarget(join_target, e, sgc->tleSortGroupRef);
		else
		{
			if (join_target->sortgrouprefs == NULL)
				join_target->sortgrouprefs =
					palloc0(sizeof(Index) * list_length(join_target->exprs));
			join_target->sortgrouprefs[pos] = sgc->tleSortGroupRef;
		}
	}
	set_pathtarget_cost_width(root, join_target);

	sjinfo = makeNode(SpecialJoinInfo);
	sjinfo->min_lefthand = trelids;
	sjinfo->min_righthand = srel->relids;
	sjinfo->syn_lefthand = trelids;
	sjinfo->syn_righthand = srel->relids;
	sjinfo->jointype = JOIN_INNER;
	memset(&jextra, 0, sizeof(jextra));
	jextra.restrictlist = restrictlist;
	jextra.sjinfo = sjinfo;
	initial_cost_hashjoin(root, &workspace, JOIN_INNER, hashclauses,
						  &outer->path, &keys->path, &jextra, false);
	hj = create_hashjoin_path(root, input_rel, JOIN_INNER, &workspace, &jextra,
							  &outer->path, &keys->path, false, restrictlist,
							  NULL, hashclauses);
	hj->jpath.path.pathtarget = join_target;

	memset(&costs, 0, sizeof(costs));
	grouped_rel->pathlist = NIL;
	grouped_rel->partial_pathlist = NIL;
	add_path(grouped_rel,
			 (Path *) fed_make_result_path(grouped_rel,
										   (Path *) create_agg_path(root, grouped_rel,
																	(Path *) hj,
																	final_target, strategy,
																	AGGSPLIT_SIMPLE,
																	parse->groupClause,
																	having, &costs,
																	ngroups),
										   target));
}

/*
 * SELECT DISTINCT ON (...) ... ORDER BY ... whose DISTINCT ON contains the
 * partition key, on PostgreSQL shards: no group spans shards, so each
 * shard runs the whole DISTINCT ON with the query's ORDER BY, and the
 * coordinator merges the sorted streams.  (MySQL has no DISTINCT ON.)
 */
static void
add_distinct_on_path(PlannerInfo *root, RelOptInfo *input_rel,
					 RelOptInfo *distinct_rel, FedPathInfo *scan)
{
	Query	   *parse = root->parse;
	PathTarget *target = ((Path *) linitial(input_rel->pathlist))->pathtarget;
	FedPathInfo *fi;
	List	   *exprs = NIL;
	ListCell   *lc;

	if (scan->local_conds != NIL || root->sort_pathkeys == NIL ||
		parse->hasAggs || parse->groupClause != NIL ||
		parse->groupingSets != NIL || root->hasHavingQual ||
		parse->hasWindowFuncs || parse->hasTargetSRFs)
	{
		fed_note_local(scan, "DISTINCT ON");
		return;
	}
	foreach(lc, scan->tasks)
	{
		if (((FedTaskPlan *) lfirst(lc))->dialect->kind != FED_DRIVER_POSTGRES)
		{
			fed_note_local(scan, "DISTINCT ON: MySQL shards have no DISTINCT ON");
			return;
		}
	}

	fi = palloc(sizeof(FedPathInfo));
	memcpy(fi, scan, sizeof(FedPathInfo));
	fi->items = list_copy(scan->items);
	fi->local_notes = list_copy(scan->local_notes);
	fi->distinct_on = NIL;
	foreach(lc, parse->distinctClause)
	{
		SortGroupClause *sgc = lfirst(lc);
		Expr	   *e = target_expr(target, sgc);
		if (e == NULL || !IsA(fed_strip_relabel(e), Var) ||
			((Var *) fed_strip_relabel(e))->varno != scan->rti ||
			((Var *) fed_strip_relabel(e))->varattno <= 0)
		{
			fed_note_local(scan, "DISTINCT ON an expression that is not a column");
			return;
		}
		exprs = lappend(exprs, e);
		fi->distinct_on = lappend_int(fi->distinct_on,
									  fed_item_position(fi, (Expr *) copyObject(fed_strip_relabel(e))));
	}
	if (!fed_covers_partition_key(root, scan, exprs))
	{
		fed_note_local(scan, "DISTINCT ON without the partition key");
		return;
	}
	fi->sort_keys = fed_sort_keys(root, fi, root->sort_pathkeys);
	if (fi->sort_keys == NIL)
	{
		fed_note_local(scan, "DISTINCT ON: an ORDER BY key the shards cannot sort by");
		return;
	}
	fi->limit = -1;
	distinct_rel->pathlist = NIL;
	distinct_rel->partial_pathlist = NIL;
	add_path(distinct_rel, (Path *) fed_make_path(root, distinct_rel, target, fi,
												  input_rel->rows, root->sort_pathkeys));
}

/*
 * SELECT DISTINCT over a federated table: each shard groups by the
 * selected expressions, the coordinator de-duplicates what they return
 * (hashed).  When the selection contains the partition key no value can
 * come from two shards, and the shards' groups are the answer.
 */
void
fed_add_distinct_paths(PlannerInfo *root, RelOptInfo *input_rel,
					   RelOptInfo *distinct_rel)
{
	Query	   *parse = root->parse;
	FedPathInfo *scan = fed_find_row_scan(input_rel);
	PathTarget *target;
	PathTarget *partial_target;
	List	   *exprs = NIL;
	AggCxt		cxt;
	ListCell   *lc;
	double		ngroups = 100;
	bool		full;

	if (scan != NULL && parse->hasDistinctOn && input_rel->pathlist != NIL)
	{
		add_distinct_on_path(root, input_rel, distinct_rel, scan);
		return;
	}
	if (scan != NULL && parse->distinctClause != NIL && scan->local_conds != NIL)
		fed_note_local(scan, "DISTINCT: a condition is checked on the coordinator");
	if (scan == NULL || scan->local_conds != NIL || parse->hasDistinctOn ||
		parse->distinctClause == NIL || parse->hasAggs ||
		parse->groupClause != NIL || parse->groupingSets != NIL ||
		root->hasHavingQual || parse->hasWindowFuncs ||
		parse->hasTargetSRFs || input_rel->pathlist == NIL ||
		!grouping_is_hashable(parse->distinctClause))
		return;
	target = ((Path *) linitial(input_rel->pathlist))->pathtarget;

	init_agg_cxt(&cxt, root, scan);

	partial_target = create_empty_pathtarget();
	foreach(lc, parse->distinctClause)
	{
		SortGroupClause *sgc = lfirst(lc);
		Expr	   *e = target_expr(target, sgc);
		if (e == NULL || !group_ok(&cxt, e, false))
		{
			fed_note_local(scan, "DISTINCT: an expression a shard cannot group by");
			return;
		}
		add_group_item(&cxt, e);
		exprs = lappend(exprs, e);
		add_column_to_pathtarget(partial_target, e, sgc->tleSortGroupRef);
	}
	/* every output column must be one of them */
	foreach(lc, target->exprs)
	{
		if (!list_member(exprs, lfirst(lc)))
			return;
	}
	set_pathtarget_cost_width(root, partial_target);

	full = list_length(scan->tasks) == 1 || fed_covers_partition_key(root, scan, exprs);
	foreach(lc, exprs)
	{
		if (!group_ok(&cxt, lfirst(lc), true))
			full = false;
	}
	if (distinct_rel->pathlist != NIL)
		ngroups = ((Path *) linitial(distinct_rel->pathlist))->rows;

	distinct_rel->pathlist = NIL;
	distinct_rel->partial_pathlist = NIL;
	if (full)
	{
		cxt.fi->shape = FED_SHAPE_FULL_AGG;
		add_path(distinct_rel,
				 (Path *) fed_make_result_path(distinct_rel,
											   (Path *) fed_make_path(root, distinct_rel,
																	  partial_target, cxt.fi,
																	  ngroups, NIL),
											   target));
	}
	else
	{
		AggClauseCosts costs;
		CustomPath *cp;

		cxt.fi->shape = FED_SHAPE_PARTIAL_AGG;
		cp = fed_make_path(root, fetch_upper_rel(root, UPPERREL_PARTIAL_DISTINCT, NULL),
						   partial_target, cxt.fi,
						   ngroups * list_length(scan->tasks), NIL);
		memset(&costs, 0, sizeof(costs));
		add_path(distinct_rel,
				 (Path *) fed_make_result_path(distinct_rel,
											   (Path *) create_agg_path(root, distinct_rel,
																		(Path *) cp, target,
																		AGG_HASHED, AGGSPLIT_SIMPLE,
																		parse->distinctClause,
																		NIL, &costs, ngroups),
											   target));
	}
}

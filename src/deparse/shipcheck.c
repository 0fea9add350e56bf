/*-------------------------------------------------------------------------
 *
 * shipcheck.c
 *		THE shippability walker: may an expression be evaluated remotely?
 *
 * An expression is shipped only when the engine computes exactly what
 * PostgreSQL would: every node type accepted here is printed by
 * deparse.c, and every leaf (type, constant, operator, function) is
 * approved by the dialect.  Anything else stays on the coordinator, where
 * it is evaluated correctly on the fetched rows; shipping is an
 * optimisation, never a change of meaning.
 *
 * Invariants:
 *	- only Vars of the foreign relation itself (user columns) are shipped;
 *	- only built-in, immutable operators and functions, and the built-ins
 *	  whose only dependence is the TimeZone setting to engines that are
 *	  given the coordinator's zone (never another stable or a volatile
 *	  one: the remote clock or settings could differ);
 *	- a part without any column that is not volatile (now(), current_date,
 *	  now() - interval '90 days', a parameter) is computed here, once per
 *	  execution, and sent as a parameter: the shard compares with the
 *	  coordinator's value, as PostgreSQL fixes now() at statement start;
 *	- only the database's default collation or none (the remote is assumed
 *	  to sort text like the coordinator, as postgres_fdw assumes), except
 *	  where the dialect rewrites the comparison to a byte comparison.
 *
 * src/deparse/shipcheck.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/transam.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "nodes/makefuncs.h"
#include "optimizer/optimizer.h"
#include "utils/fmgroids.h"
#include "nodes/nodeFuncs.h"
#include "utils/array.h"
#include "utils/lsyscache.h"

#include "deparse/deparse.h"

typedef struct ShipCxt
{
	Relids		relids;			/* the relations whose columns ship */
	const FedDialect *dialect;
	bool		in_case;		/* checking the WHENs of CASE x WHEN ... */
	const FedRemoteWindow *window;	/* the window of a WindowFunc checked
									 * by fed_window_shippable */
} ShipCxt;

/*
 * Built-ins that are stable only because they depend on the TimeZone
 * setting: an engine that runs under the coordinator's zone computes them
 * exactly.  (age(timestamptz) is not here: it reads the current date.)
 */
bool
fed_timezone_function(Oid funcid)
{
	switch (funcid)
	{
		case F_DATE_TRUNC_TEXT_TIMESTAMPTZ:
		case F_DATE_TRUNC_TEXT_TIMESTAMPTZ_TEXT:
		case F_DATE_PART_TEXT_TIMESTAMPTZ:
		case F_EXTRACT_TEXT_TIMESTAMPTZ:
		case F_DATE_TIMESTAMPTZ:
		case F_TIMESTAMP_TIMESTAMPTZ:
		case F_TIMESTAMPTZ_TIMESTAMP:
		case F_TIMESTAMPTZ_DATE:
		case F_TIMESTAMPTZ_DATE_TIME:
		case F_TIMESTAMPTZ_PL_INTERVAL:
		case F_TIMESTAMPTZ_MI_INTERVAL:
		case F_INTERVAL_PL_TIMESTAMPTZ:
		case F_AGE_TIMESTAMPTZ_TIMESTAMPTZ:
		case F_DATE_LT_TIMESTAMPTZ:
		case F_DATE_LE_TIMESTAMPTZ:
		case F_DATE_EQ_TIMESTAMPTZ:
		case F_DATE_GT_TIMESTAMPTZ:
		case F_DATE_GE_TIMESTAMPTZ:
		case F_DATE_NE_TIMESTAMPTZ:
		case F_TIMESTAMPTZ_LT_DATE:
		case F_TIMESTAMPTZ_LE_DATE:
		case F_TIMESTAMPTZ_EQ_DATE:
		case F_TIMESTAMPTZ_GT_DATE:
		case F_TIMESTAMPTZ_GE_DATE:
		case F_TIMESTAMPTZ_NE_DATE:
		case F_TIMESTAMP_LT_TIMESTAMPTZ:
		case F_TIMESTAMP_LE_TIMESTAMPTZ:
		case F_TIMESTAMP_EQ_TIMESTAMPTZ:
		case F_TIMESTAMP_GT_TIMESTAMPTZ:
		case F_TIMESTAMP_GE_TIMESTAMPTZ:
		case F_TIMESTAMP_NE_TIMESTAMPTZ:
		case F_TIMESTAMPTZ_LT_TIMESTAMP:
		case F_TIMESTAMPTZ_LE_TIMESTAMP:
		case F_TIMESTAMPTZ_EQ_TIMESTAMP:
		case F_TIMESTAMPTZ_GT_TIMESTAMP:
		case F_TIMESTAMPTZ_GE_TIMESTAMP:
		case F_TIMESTAMPTZ_NE_TIMESTAMP:
			return true;
		default:
			return false;
	}
}

static bool
coordinator_value_walker(Node *node, void *context)
{
	if (node == NULL)
		return false;
	switch (nodeTag(node))
	{
		case T_Var:
		case T_PlaceHolderVar:
		case T_Aggref:
		case T_WindowFunc:
		case T_GroupingFunc:
		case T_SubPlan:
		case T_AlternativeSubPlan:
		case T_SubLink:
		case T_CaseTestExpr:
		case T_CoerceToDomainValue:
		case T_SetToDefault:
		case T_CurrentOfExpr:
		case T_NextValueExpr:
		case T_RestrictInfo:
			return true;
		case T_Param:
			return ((Param *) node)->paramkind != PARAM_EXTERN &&
				((Param *) node)->paramkind != PARAM_EXEC;
		case T_FuncExpr:
			if (((FuncExpr *) node)->funcretset)
				return true;
			break;
		case T_OpExpr:
			if (((OpExpr *) node)->opretset)
				return true;
			break;
		default:
			break;
	}
	return expression_tree_walker(node, coordinator_value_walker, context);
}

/*
 * Is node an expression without columns that the coordinator computes
 * once per execution and sends as a parameter (now(), current_date,
 * now() - interval '1 day', $1 + 1)?  Constants and plain parameters are
 * not: they are written as they are.  The walker and the printer both ask
 * this, so they agree.
 */
bool
fed_is_coordinator_value(Node *node)
{
	if (node == NULL || IsA(node, Const) || IsA(node, Param) ||
		IsA(node, List) || IsA(node, TargetEntry) || IsA(node, CaseWhen))
		return false;
	if (IsA(node, RelabelType) &&
		(IsA(((RelabelType *) node)->arg, Const) ||
		 IsA(((RelabelType *) node)->arg, Param)))
		return false;
	return !coordinator_value_walker(node, NULL) &&
		!contain_volatile_functions(node);
}

static bool ship_ok(Node *node, ShipCxt *cxt);

/*
 * Does the type name an object of this database by its OID (oid, regclass,
 * regtype, ...)?  Such a value means another object on another server.
 */
static bool
object_id_type(Oid typid)
{
	switch (typid)
	{
		case OIDOID:
		case REGCLASSOID:
		case REGTYPEOID:
		case REGPROCOID:
		case REGPROCEDUREOID:
		case REGOPEROID:
		case REGOPERATOROID:
		case REGCONFIGOID:
		case REGDICTIONARYOID:
		case REGNAMESPACEOID:
		case REGROLEOID:
		case REGCOLLATIONOID:
			return true;
		default:
			return false;
	}
}

/*
 * May the function's call go to a server as far as its objects go?  Not
 * when it takes or returns an object id (satisfies_hash_partition() would
 * open another relation there, or none: "could not open relation").
 */
static bool
function_objects_ok(FuncExpr *f)
{
	ListCell   *lc;

	if (object_id_type(f->funcresulttype))
		return false;
	foreach(lc, f->args)
		if (object_id_type(exprType((Node *) lfirst(lc))))
			return false;
	return true;
}

static bool
args_ok(List *args, ShipCxt *cxt)
{
	ListCell   *lc;

	foreach(lc, args)
	{
		if (!ship_ok((Node *) lfirst(lc), cxt))
			return false;
	}
	return true;
}

static bool
collation_ok(Oid collid)
{
	return collid == InvalidOid || collid == DEFAULT_COLLATION_OID;
}

static bool
operator_ok(Oid opno, List *args, Oid inputcollid, ShipCxt *cxt)
{
	const char *name;
	Oid			ltype;
	Oid			rtype;
	FedOpStyle	style;

	if (opno >= FirstGenbkiObjectId)
		return false;
	if (op_volatile(opno) != PROVOLATILE_IMMUTABLE &&
		!(cxt->dialect->session_timezone &&
		  fed_timezone_function(get_opcode(opno))))
		return false;
	if (list_length(args) == 2)
	{
		ltype = exprType(linitial(args));
		rtype = exprType(lsecond(args));
	}
	else if (list_length(args) == 1)
	{
		ltype = InvalidOid;
		rtype = exprType(linitial(args));
	}
	else
		return false;
	style = cxt->dialect->operator_style(opno, ltype, rtype, inputcollid, &name);
	if (style == FED_OP_NONE)
		return false;
	if (style == FED_OP_DECIMAL)
	{
		ListCell   *lc;

		/* each operand a value, or a numeric(p,s) that DECIMAL holds */
		foreach(lc, args)
		{
			Node	   *arg = lfirst(lc);

			if (!fed_decimal_operand_scale(arg, NULL))
				return false;
		}
	}
	return args_ok(args, cxt);
}

static bool
ship_ok(Node *node, ShipCxt *cxt)
{
	const FedDialect *d = cxt->dialect;

	if (node == NULL)
		return true;

	/* computed here, sent as a parameter */
	if (fed_is_coordinator_value(node))
		return d->type_ok(exprType(node));

	switch (nodeTag(node))
	{
		case T_Var:
			{
				Var		   *var = (Var *) node;

				return bms_is_member(var->varno, cxt->relids) &&
					var->varlevelsup == 0 &&
					var->varattno > 0 && d->type_ok(var->vartype);
			}
		case T_Const:
			{
				Const	   *c = (Const *) node;

				if (!d->type_ok(c->consttype))
					return false;
				return c->constisnull || d->value_ok(c->consttype, c->constvalue);
			}
		case T_Param:
			{
				Param	   *p = (Param *) node;

				return (p->paramkind == PARAM_EXTERN || p->paramkind == PARAM_EXEC) &&
					d->type_ok(p->paramtype);
			}
		case T_OpExpr:
			{
				OpExpr	   *op = (OpExpr *) node;

				return d->type_ok(op->opresulttype) &&
					operator_ok(op->opno, op->args, op->inputcollid, cxt);
			}
		case T_DistinctExpr:
			{
				DistinctExpr *op = (DistinctExpr *) node;

				return list_length(op->args) == 2 &&
					operator_ok(op->opno, op->args, op->inputcollid, cxt);
			}
		case T_ScalarArrayOpExpr:
			{
				ScalarArrayOpExpr *sa = (ScalarArrayOpExpr *) node;
				Node	   *arr = lsecond(sa->args);
				List	   *args;

				args = list_make2(linitial(sa->args),
								  makeNullConst(get_element_type(exprType(arr)), -1,
												InvalidOid));
				if (!operator_ok(sa->opno, args, sa->inputcollid, cxt))
					return false;
				if (d->has_placeholders)
					return ship_ok(arr, cxt);

				/*
				 * Engines without arrays get the constant elements: an IN
				 * list, or one comparison per element (deparse.c).
				 */
				if (!IsA(arr, Const) || ((Const *) arr)->constisnull)
					return false;
				{
					ArrayType  *a = DatumGetArrayTypeP(((Const *) arr)->constvalue);
					Oid			elemtype = ARR_ELEMTYPE(a);
					Datum	   *elems;
					bool	   *nulls;
					int			n;
					int			i;

					if (ARR_NDIM(a) != 1 || !d->type_ok(elemtype))
						return false;
					fed_array_elements(a, &elems, &nulls, &n);
					if (n == 0)
						return false;
					for (i = 0; i < n; i++)
						if (!nulls[i] && !d->value_ok(elemtype, elems[i]))
							return false;
				}
				return true;
			}
		case T_BoolExpr:
			return args_ok(((BoolExpr *) node)->args, cxt);
		case T_NullTest:
			return !((NullTest *) node)->argisrow &&
				ship_ok((Node *) ((NullTest *) node)->arg, cxt);
		case T_RelabelType:
			{
				RelabelType *r = (RelabelType *) node;

				return d->type_ok(r->resulttype) && collation_ok(r->resultcollid) &&
					ship_ok((Node *) r->arg, cxt);
			}
		case T_FuncExpr:
			{
				FuncExpr   *f = (FuncExpr *) node;

				return !f->funcretset && !f->funcvariadic &&
					f->funcid < FirstGenbkiObjectId &&
					function_objects_ok(f) &&
					d->function_ok(f) &&
					d->type_ok(f->funcresulttype) &&
					collation_ok(f->inputcollid) &&
					args_ok(f->args, cxt);
			}
		case T_WindowFunc:
			{
				WindowFunc *wf = (WindowFunc *) node;

				/* (only with its window: fed_window_shippable) */
				return cxt->window != NULL &&
					cxt->window->winref == wf->winref &&
					wf->winfnoid < FirstGenbkiObjectId &&
					func_volatile(wf->winfnoid) != PROVOLATILE_VOLATILE &&
					d->window_ok(wf, cxt->window) &&
					d->type_ok(wf->wintype) &&
					collation_ok(wf->inputcollid) &&
					args_ok(wf->args, cxt) &&
					ship_ok((Node *) wf->aggfilter, cxt);
			}
		case T_CaseExpr:
			{
				CaseExpr   *ce = (CaseExpr *) node;
				bool		saved = cxt->in_case;
				bool		ok;
				ListCell   *lc;

				if (!d->type_ok(ce->casetype) || !collation_ok(ce->casecollid) ||
					!d->node_ok(node) || !ship_ok((Node *) ce->arg, cxt) ||
					!ship_ok((Node *) ce->defresult, cxt))
					return false;
				/* CASE x WHEN v: the WHENs compare a CaseTestExpr (x) */
				cxt->in_case = (ce->arg != NULL);
				ok = true;
				foreach(lc, ce->args)
				{
					CaseWhen   *w = lfirst(lc);

					if (!ship_ok((Node *) w->expr, cxt))
						ok = false;
				}
				cxt->in_case = saved;
				foreach(lc, ce->args)
				{
					if (!ship_ok((Node *) ((CaseWhen *) lfirst(lc))->result, cxt))
						ok = false;
				}
				return ok;
			}
		case T_CaseTestExpr:
			return cxt->in_case && d->type_ok(((CaseTestExpr *) node)->typeId);
		case T_CoalesceExpr:
			{
				CoalesceExpr *ce = (CoalesceExpr *) node;

				return d->type_ok(ce->coalescetype) &&
					collation_ok(ce->coalescecollid) && d->node_ok(node) &&
					args_ok(ce->args, cxt);
			}
		case T_NullIfExpr:
			{
				NullIfExpr *ne = (NullIfExpr *) node;

				return d->type_ok(ne->opresulttype) && d->node_ok(node) &&
					operator_ok(ne->opno, ne->args, ne->inputcollid, cxt);
			}
		case T_MinMaxExpr:
			{
				MinMaxExpr *mm = (MinMaxExpr *) node;

				return d->type_ok(mm->minmaxtype) &&
					collation_ok(mm->inputcollid) && d->node_ok(node) &&
					args_ok(mm->args, cxt);
			}
		case T_BooleanTest:
			return d->node_ok(node) &&
				ship_ok((Node *) ((BooleanTest *) node)->arg, cxt);
		case T_CoerceViaIO:
			{
				CoerceViaIO *cio = (CoerceViaIO *) node;

				return d->type_ok(cio->resulttype) &&
					collation_ok(cio->resultcollid) && d->node_ok(node) &&
					ship_ok((Node *) cio->arg, cxt);
			}
		case T_List:
			return args_ok((List *) node, cxt);
		default:
			return false;
	}
}

/*
 * May expr (a qual or expression over the foreign relation varno) be
 * evaluated by the engine of dialect?
 */
bool
fed_is_shippable(PlannerInfo *root, RelOptInfo *rel, Index varno,
				 const FedDialect *dialect, Expr *expr)
{
	return fed_shippable_over(root, bms_make_singleton(varno), dialect,
							  (Node *) expr, NULL);
}

/*
 * May node, an expression over the relations relids (a foreign table, or
 * two tables joined on one server), be evaluated by the engine of
 * dialect?  Window functions in it ship only over window w (whose own
 * expressions the caller has checked).
 */
bool
fed_shippable_over(PlannerInfo *root, Relids relids, const FedDialect *dialect,
				   Node *node, const FedRemoteWindow *w)
{
	ShipCxt		cxt;

	cxt.relids = relids;
	cxt.dialect = dialect;
	cxt.in_case = false;
	cxt.window = w;
	return ship_ok(node, &cxt);
}

/*
 * Does the window frame change wf's result?  The ranking functions,
 * ntile, lag and lead ignore it (and MySQL rejects a frame with them).
 */
bool
fed_window_uses_frame(WindowFunc *wf)
{
	switch (wf->winfnoid)
	{
		case F_ROW_NUMBER:
		case F_RANK_:
		case F_DENSE_RANK_:
		case F_PERCENT_RANK_:
		case F_CUME_DIST_:
		case F_NTILE:
		case F_LAG_ANYELEMENT:
		case F_LAG_ANYELEMENT_INT4:
		case F_LAG_ANYCOMPATIBLE_INT4_ANYCOMPATIBLE:
		case F_LEAD_ANYELEMENT:
		case F_LEAD_ANYELEMENT_INT4:
		case F_LEAD_ANYCOMPATIBLE_INT4_ANYCOMPATIBLE:
			return false;
		default:
			return true;
	}
}

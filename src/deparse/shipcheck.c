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
 *	- only built-in, immutable operators and functions (never a volatile
 *	  or stable one: the remote clock or settings could differ);
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
#include "nodes/nodeFuncs.h"
#include "utils/array.h"
#include "utils/lsyscache.h"

#include "deparse/deparse.h"

typedef struct ShipCxt
{
	Index		varno;
	const FedDialect *dialect;
} ShipCxt;

static bool ship_ok(Node *node, ShipCxt *cxt);

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

	if (opno >= FirstGenbkiObjectId || op_volatile(opno) != PROVOLATILE_IMMUTABLE)
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
	if (cxt->dialect->operator_style(opno, ltype, rtype, inputcollid, &name) == FED_OP_NONE)
		return false;
	return args_ok(args, cxt);
}

static bool
ship_ok(Node *node, ShipCxt *cxt)
{
	const FedDialect *d = cxt->dialect;

	if (node == NULL)
		return true;

	switch (nodeTag(node))
	{
		case T_Var:
			{
				Var		   *var = (Var *) node;

				return var->varno == cxt->varno && var->varlevelsup == 0 &&
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

				if (!sa->useOr)
					return false;
				args = list_make2(linitial(sa->args),
								  makeNullConst(get_element_type(exprType(arr)), -1,
												InvalidOid));
				if (!operator_ok(sa->opno, args, sa->inputcollid, cxt))
					return false;
				if (d->has_placeholders)
					return ship_ok(arr, cxt);

				/* engines without arrays get an IN list of constants */
				if (!IsA(arr, Const) || ((Const *) arr)->constisnull)
					return false;
				{
					ArrayType  *a = DatumGetArrayTypeP(((Const *) arr)->constvalue);
					Oid			elemtype = ARR_ELEMTYPE(a);
					int16		typlen;
					bool		typbyval;
					char		typalign;
					Datum	   *elems;
					bool	   *nulls;
					int			n;
					int			i;

					if (ARR_NDIM(a) != 1 || !d->type_ok(elemtype))
						return false;
					get_typlenbyvalalign(elemtype, &typlen, &typbyval, &typalign);
					deconstruct_array(a, elemtype, typlen, typbyval, typalign,
									  &elems, &nulls, &n);
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

				return f->funcformat != COERCE_SQL_SYNTAX &&
					!f->funcretset && !f->funcvariadic &&
					d->function_ok(f->funcid) &&
					d->type_ok(f->funcresulttype) &&
					collation_ok(f->inputcollid) &&
					args_ok(f->args, cxt);
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
	ShipCxt		cxt;

	cxt.varno = varno;
	cxt.dialect = dialect;
	return ship_ok((Node *) expr, &cxt);
}

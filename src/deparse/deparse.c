/*-------------------------------------------------------------------------
 *
 * deparse.c
 *		THE printer: remote SQL text from expressions and scan shapes.
 *
 * It prints exactly the node types shipcheck.c accepts, asking the
 * dialect for every leaf, so one printer serves PostgreSQL and MySQL.
 *
 * Invariants:
 *	- every identifier goes through the dialect's quoting, every constant
 *	  through its literal writer: nothing from the user is pasted raw;
 *	- every operator application is parenthesised, so precedence never
 *	  depends on the engine;
 *	- constants are written with DateStyle ISO, IntervalStyle postgres and
 *	  extra_float_digits 3 (fed_set_transmission_modes), the settings every
 *	  remote PostgreSQL session is given, so a value means the same there;
 *	- the remote session's search_path is pg_catalog (PostgreSQL) and
 *	  sql_mode includes ANSI_QUOTES and NO_BACKSLASH_ESCAPES (MySQL): that
 *	  is what the quoting here relies on;
 *	- a parameter becomes $n on PostgreSQL; on MySQL, which has no
 *	  placeholders in its text protocol, its position in the text is kept
 *	  and a literal is spliced in at execution (fed_splice_params).
 *
 * src/deparse/deparse.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/sysattr.h"
#include "access/table.h"
#include "utils/rel.h"
#include "catalog/pg_operator.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "parser/parse_func.h"
#include "pgtime.h"
#include "catalog/pg_collation.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "utils/float.h"
#include "optimizer/optimizer.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/fmgroids.h"
#include "utils/syscache.h"

#include "deparse/deparse.h"

/* Wrap a MySQL text operand so that it compares by UTF-8 bytes. */
#define BYTES_OPEN	"CAST(CONVERT("
#define BYTES_CLOSE	" USING utf8mb4) AS BINARY)"

const FedDialect *
fed_dialect(FedDriverKind kind)
{
	return kind == FED_DRIVER_MYSQL ? &fed_dialect_mysql : &fed_dialect_pg;
}

/*
 * Output functions must write values the way the remote session reads
 * them, whatever the local session's settings.  As in postgres_fdw.  When
 * the session's settings are those already (as usually but for the
 * TimeZone), nothing is set, and *nestlevel is 0: a GUC nest level costs a
 * walk over every setting when it ends.
 */
void
fed_set_transmission_modes(int *nestlevel)
{
	static pg_tz *utc = NULL;

	if (utc == NULL)
		utc = pg_tzset("UTC");
	if (DateStyle == USE_ISO_DATES && IntervalStyle == INTSTYLE_POSTGRES &&
		extra_float_digits >= 3 && session_timezone == utc)
	{
		*nestlevel = 0;
		return;
	}
	*nestlevel = NewGUCNestLevel();
	if (DateStyle != USE_ISO_DATES)
		(void) set_config_option("datestyle", "ISO", PGC_USERSET, PGC_S_SESSION,
								 GUC_ACTION_SAVE, true, 0, false);
	if (IntervalStyle != INTSTYLE_POSTGRES)
		(void) set_config_option("intervalstyle", "postgres", PGC_USERSET,
								 PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	if (extra_float_digits < 3)
		(void) set_config_option("extra_float_digits", "3", PGC_USERSET,
								 PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	/* MySQL values are written in UTC; PostgreSQL ones carry their offset */
	if (session_timezone != utc)
		(void) set_config_option("timezone", "UTC", PGC_USERSET, PGC_S_SESSION,
								 GUC_ACTION_SAVE, true, 0, false);
}

void
fed_reset_transmission_modes(int nestlevel)
{
	if (nestlevel > 0)
		AtEOXact_GUC(true, nestlevel);
}

/* A value in PostgreSQL's text form, under the transmission modes. */
char *
fed_value_text(Oid typid, Datum value)
{
	Oid			outfunc;
	bool		isvarlena;
	int			nest;
	char	   *s;

	getTypeOutputInfo(typid, &outfunc, &isvarlena);
	fed_set_transmission_modes(&nest);
	s = OidOutputFunctionCall(outfunc, value);
	fed_reset_transmission_modes(nest);
	return s;
}

/*
 * federate.session_utc_offset(): the session zone's UTC offset in
 * seconds, for engines that are sent the zone as an offset.  A plan calls
 * it at execution, so it is the zone of that moment.
 */
Expr *
fed_session_offset_expr(void)
{
	Oid			funcid;

	funcid = LookupFuncName(list_make2(makeString("federate"),
									   makeString("session_utc_offset")),
							0, NULL, false);
	return (Expr *) makeFuncExpr(funcid, INT4OID, NIL, InvalidOid,
								 InvalidOid, COERCE_EXPLICIT_CALL);
}

void
fed_deparse_column(StringInfo buf, const FedDialect *dialect,
				   Oid relid, AttrNumber attnum)
{
	dialect->append_identifier(buf, fed_column_name(relid, attnum));
}

void
fed_deparse_relation(StringInfo buf, const FedDialect *dialect,
					 FedTableInfo *info)
{
	if (info->schema_name)
	{
		dialect->append_identifier(buf, info->schema_name);
		appendStringInfoChar(buf, '.');
	}
	dialect->append_identifier(buf, info->table_name);
}

void
fed_deparse_param(FedDeparseCxt *cxt, Expr *expr, Oid type)
{
	int			n = 1;
	ListCell   *lc;

	foreach(lc, *cxt->params)
	{
		if (equal(lfirst(lc), expr))
			break;
		n++;
	}
	if (lc == NULL)
		*cxt->params = lappend(*cxt->params, expr);

	if (cxt->dialect->has_placeholders)
		appendStringInfo(cxt->buf, "$%d::%s", n,
						 format_type_extended(type, exprTypmod((Node *) expr),
											  FORMAT_TYPE_TYPEMOD_GIVEN));
	else
	{
		/* remember where the literal goes, and which parameter it is */
		*cxt->param_offsets = lappend_int(*cxt->param_offsets, cxt->buf->len);
		*cxt->param_offsets = lappend_int(*cxt->param_offsets, n);
	}
}

/*
 * Can an operand of numeric arithmetic on MySQL (FED_OP_DECIMAL) be
 * written so?  A value (a constant, a parameter, something computed here)
 * is written as it is; anything else needs a numeric(p,s) type whose
 * DECIMAL(65,s) holds it: *scale gets s, or -1 for a value.
 */
bool
fed_decimal_operand_scale(Node *arg, int *scale)
{
	int32		typmod;
	int			precision;

	if (scale)
		*scale = -1;
	if (IsA(arg, Const) || IsA(arg, Param) || fed_is_coordinator_value(arg))
		return true;
	typmod = exprTypmod(arg);
	if (typmod < (int32) VARHDRSZ)
		return false;
	precision = ((typmod - VARHDRSZ) >> 16) & 0xffff;
	if (precision > 65 || ((typmod - VARHDRSZ) & 0xffff) > 30)
		return false;
	if (scale)
		*scale = (typmod - VARHDRSZ) & 0xffff;
	return true;
}

static void
deparse_operand(FedDeparseCxt *cxt, Expr *arg, FedOpStyle style)
{
	int			scale = -1;

	if (style == FED_OP_DECIMAL)
		(void) fed_decimal_operand_scale((Node *) arg, &scale);
	if (style == FED_OP_BYTES)
		appendStringInfoString(cxt->buf, BYTES_OPEN);
	else if (style == FED_OP_SIGNED || scale >= 0)
		appendStringInfoString(cxt->buf, "CAST(");
	fed_deparse_expr(cxt, arg);
	if (style == FED_OP_BYTES)
		appendStringInfoString(cxt->buf, BYTES_CLOSE);
	else if (style == FED_OP_SIGNED)
		appendStringInfoString(cxt->buf, " AS SIGNED)");
	else if (scale >= 0)
		appendStringInfo(cxt->buf, " AS DECIMAL(65,%d))", scale);
}

static FedOpStyle
op_style(FedDeparseCxt *cxt, Oid opno, List *args, Oid collid, const char **name)
{
	Oid			ltype = list_length(args) == 2 ? exprType(linitial(args)) : InvalidOid;
	Oid			rtype = exprType(llast(args));

	return cxt->dialect->operator_style(opno, ltype, rtype, collid, name);
}

static void
deparse_opexpr(FedDeparseCxt *cxt, OpExpr *op)
{
	const char *name;
	FedOpStyle	style = op_style(cxt, op->opno, op->args, op->inputcollid, &name);
	StringInfo	buf = cxt->buf;

	appendStringInfoChar(buf, '(');
	if (list_length(op->args) == 1)
	{
		appendStringInfo(buf, "%s ", name);
		deparse_operand(cxt, linitial(op->args), style);
	}
	else if (style == FED_OP_BYTES && strcmp(name, "=") == 0 &&
			 !(contain_var_clause(linitial(op->args)) &&
			   contain_var_clause(lsecond(op->args))))
	{
		/*
		 * Equal bytes imply equal under any MySQL collation, so the plain
		 * comparison (which can use an index) is added as a pre-filter.
		 * Not between two columns: their collations may differ, and MySQL
		 * refuses to compare those ("Illegal mix of collations"); a
		 * constant or parameter takes the column's.
		 */
		fed_deparse_expr(cxt, linitial(op->args));
		appendStringInfoString(buf, " = ");
		fed_deparse_expr(cxt, lsecond(op->args));
		appendStringInfoString(buf, " AND ");
		deparse_operand(cxt, linitial(op->args), style);
		appendStringInfoString(buf, " = ");
		deparse_operand(cxt, lsecond(op->args), style);
	}
	else
	{
		deparse_operand(cxt, linitial(op->args), style);
		appendStringInfo(buf, " %s ", name);
		deparse_operand(cxt, lsecond(op->args), style);
	}
	appendStringInfoChar(buf, ')');
}

static void
deparse_const(FedDeparseCxt *cxt, Const *c)
{
	if (c->constisnull)
		appendStringInfoString(cxt->buf, "NULL");
	else
		cxt->dialect->append_value(cxt->buf, c->consttype, c->constvalue);
}

static void
deparse_array_op(FedDeparseCxt *cxt, ScalarArrayOpExpr *sa)
{
	StringInfo	buf = cxt->buf;
	Expr	   *left = linitial(sa->args);
	Expr	   *arr = lsecond(sa->args);
	Oid			elemtype = get_element_type(exprType((Node *) arr));
	const char *name;
	FedOpStyle	style;
	List	   *args;

	args = list_make2(left, makeNullConst(elemtype, -1, InvalidOid));
	style = op_style(cxt, sa->opno, args, sa->inputcollid, &name);

	appendStringInfoChar(buf, '(');
	if (cxt->dialect->has_placeholders)
	{
		deparse_operand(cxt, left, style);
		appendStringInfo(buf, " %s %s (", name, sa->useOr ? "ANY" : "ALL");
		fed_deparse_expr(cxt, arr);
		appendStringInfoChar(buf, ')');
	}
	else if (IsA(arr, Param))
	{
		/*
		 * Keys shipped from a join (plan/keyjoin.c, always "= ANY"):
		 * fed_splice_params writes the array's elements as the IN list, each
		 * as its bytes when the comparison is by bytes (a negative parameter
		 * number).
		 */
		Assert(sa->useOr && strcmp(name, "=") == 0);
		deparse_operand(cxt, left, style);
		appendStringInfoString(buf, " IN (");
		fed_deparse_param(cxt, arr, exprType((Node *) arr));
		if (style == FED_OP_BYTES)
			llast_int(*cxt->param_offsets) = -llast_int(*cxt->param_offsets);
		appendStringInfoChar(buf, ')');
	}
	else
	{
		/*
		 * A constant array (shipcheck allowed no other): "= ANY" is an IN
		 * list; any other operator, or ALL, is the comparison with each
		 * element joined by OR (ANY) or AND (ALL), which has the same
		 * three-valued result as PostgreSQL's.
		 */
		ArrayType  *a = DatumGetArrayTypeP(((Const *) arr)->constvalue);
		bool		in_list = sa->useOr && strcmp(name, "=") == 0;
		Datum	   *elems;
		bool	   *nulls;
		int			n;
		int			i;

		fed_array_elements(a, &elems, &nulls, &n);
		if (in_list)
		{
			deparse_operand(cxt, left, style);
			appendStringInfoString(buf, " IN (");
		}
		for (i = 0; i < n; i++)
		{
			if (i > 0)
				appendStringInfoString(buf, in_list ? ", " :
									   sa->useOr ? " OR " : " AND ");
			if (!in_list)
			{
				appendStringInfoChar(buf, '(');
				deparse_operand(cxt, left, style);
				appendStringInfo(buf, " %s ", name);
			}
			if (style == FED_OP_BYTES)
				appendStringInfoString(buf, BYTES_OPEN);
			if (nulls[i])
				appendStringInfoString(buf, "NULL");
			else
				cxt->dialect->append_value(buf, elemtype, elems[i]);
			if (style == FED_OP_BYTES)
				appendStringInfoString(buf, BYTES_CLOSE);
			if (!in_list)
				appendStringInfoChar(buf, ')');
		}
		if (in_list)
			appendStringInfoChar(buf, ')');
	}
	appendStringInfoChar(buf, ')');
}

static void
deparse_funcexpr(FedDeparseCxt *cxt, FuncExpr *f)
{
	StringInfo	buf = cxt->buf;
	ListCell   *lc;
	bool		first = true;
	bool		length_call;

	if (cxt->dialect->print_function && cxt->dialect->print_function(cxt, f))
		return;
	/*
	 * An implicit length coercion (varchar(n), bpchar(n), bit(n): the one
	 * of a new value to its column's type) fails on a value that is too
	 * long, where the cast written "::varchar(n)" cuts it: it is written
	 * as the call it is, "varchar"(x, n, false).
	 */
	length_call = f->funcformat == COERCE_IMPLICIT_CAST &&
		list_length(f->args) == 3 && IsA(lthird(f->args), Const) &&
		!((Const *) lthird(f->args))->constisnull &&
		!DatumGetBool(((Const *) lthird(f->args))->constvalue);
	if (!length_call && (f->funcformat == COERCE_IMPLICIT_CAST ||
						 f->funcformat == COERCE_EXPLICIT_CAST))
	{
		appendStringInfoChar(buf, '(');
		fed_deparse_expr(cxt, linitial(f->args));
		appendStringInfo(buf, ")::%s",
						 format_type_extended(f->funcresulttype,
											  exprTypmod((Node *) f),
											  FORMAT_TYPE_TYPEMOD_GIVEN));
		return;
	}
	appendStringInfoString(buf, quote_identifier(get_func_name(f->funcid)));
	appendStringInfoChar(buf, '(');
	foreach(lc, f->args)
	{
		if (!first)
			appendStringInfoString(buf, ", ");
		fed_deparse_expr(cxt, lfirst(lc));
		first = false;
	}
	appendStringInfoChar(buf, ')');
}

static void
deparse_list(FedDeparseCxt *cxt, List *args)
{
	ListCell   *lc;

	foreach(lc, args)
	{
		if (lc != list_head(args))
			appendStringInfoString(cxt->buf, ", ");
		fed_deparse_expr(cxt, lfirst(lc));
	}
}

/* CASE [x] WHEN ... : a simple CASE is written as a searched one */
static void
deparse_case(FedDeparseCxt *cxt, CaseExpr *ce)
{
	StringInfo	buf = cxt->buf;
	Expr	   *saved = cxt->case_arg;
	ListCell   *lc;

	appendStringInfoString(buf, "(CASE");
	foreach(lc, ce->args)
	{
		CaseWhen   *w = lfirst(lc);

		appendStringInfoString(buf, " WHEN ");
		cxt->case_arg = ce->arg;
		fed_deparse_expr(cxt, w->expr);
		cxt->case_arg = saved;
		appendStringInfoString(buf, " THEN ");
		fed_deparse_expr(cxt, w->result);
	}
	if (ce->defresult)
	{
		appendStringInfoString(buf, " ELSE ");
		fed_deparse_expr(cxt, ce->defresult);
	}
	appendStringInfoString(buf, " END)");
}

static void
deparse_boolean_test(FedDeparseCxt *cxt, BooleanTest *bt)
{
	static const char *const tests[] = {
		[IS_TRUE] = " IS TRUE)",
		[IS_NOT_TRUE] = " IS NOT TRUE)",
		[IS_FALSE] = " IS FALSE)",
		[IS_NOT_FALSE] = " IS NOT FALSE)",
		[IS_UNKNOWN] = " IS UNKNOWN)",
		[IS_NOT_UNKNOWN] = " IS NOT UNKNOWN)",
	};

	appendStringInfoChar(cxt->buf, '(');
	fed_deparse_expr(cxt, bt->arg);
	appendStringInfoString(cxt->buf, tests[bt->booltesttype]);
}

static void deparse_window_func(FedDeparseCxt *cxt, WindowFunc *wf);
static void deparse_join(FedDeparseCxt *cxt, FedRemoteSelect *sel);

/* Does the dialect write a column of this type through an expression? */
static bool
column_expr_needed(const FedDialect *dialect, Oid typid)
{
	return dialect->column_expr_needed != NULL &&
		dialect->column_expr_needed(typid);
}

/*
 * A column in an expression: in a join, r1's or r2's; through the
 * dialect's append_column_expr where it has one for the column's type
 * (not in a pre-filter, see deparse_condition).
 */
static void
deparse_var(FedDeparseCxt *cxt, Var *var)
{
	bool		second = (cxt->varno2 != 0 && var->varno == cxt->varno2);
	StringInfoData col;

	initStringInfo(&col);
	if (cxt->on_conflict)
	{
		appendStringInfoString(&col, second ? cxt->dialect->excluded_open :
							   cxt->dialect->conflict_row_prefix);
		fed_deparse_column(&col, cxt->dialect, cxt->relid, var->varattno);
		if (second)
			appendStringInfoString(&col, cxt->dialect->excluded_close);
	}
	else
	{
		if (cxt->varno2 != 0)
			appendStringInfoString(&col, second ? "r2." : "r1.");
		fed_deparse_column(&col, cxt->dialect, second ? cxt->relid2 : cxt->relid,
						   var->varattno);
	}
	if (!cxt->stored_columns && column_expr_needed(cxt->dialect, var->vartype))
		cxt->dialect->append_column_expr(cxt->buf, col.data);
	else
		appendStringInfoString(cxt->buf, col.data);
	pfree(col.data);
}

/* e without RelabelTypes on top */
static Expr *
strip_relabel(Expr *e)
{
	while (e && IsA(e, RelabelType))
		e = ((RelabelType *) e)->arg;
	return e;
}

/*
 * Is the condition a strict comparison of a column written through the
 * dialect's append_column_expr with an expression of no column (a value,
 * a parameter), "col op value" or "col op ANY/ALL (values)"?
 */
static bool
column_value_comparison(FedDeparseCxt *cxt, Expr *e)
{
	List	   *args;
	Oid			opno;
	Expr	   *left;
	Expr	   *right;

	if (IsA(e, OpExpr))
	{
		args = ((OpExpr *) e)->args;
		opno = ((OpExpr *) e)->opno;
	}
	else if (IsA(e, ScalarArrayOpExpr))
	{
		args = ((ScalarArrayOpExpr *) e)->args;
		opno = ((ScalarArrayOpExpr *) e)->opno;
	}
	else
		return false;
	if (list_length(args) != 2 || !op_strict(opno))
		return false;
	left = strip_relabel(linitial(args));
	right = strip_relabel(lsecond(args));
	if (IsA(right, Var) && IsA(e, OpExpr))
	{
		Expr	   *t = left;

		left = right;
		right = t;
	}
	return IsA(left, Var) &&
		column_expr_needed(cxt->dialect, ((Var *) left)->vartype) &&
		!contain_var_clause((Node *) right);
}

/*
 * A condition at the top of a WHERE or ON list, where NULL means false.
 * A comparison of a column the dialect writes through an expression with
 * a value goes after the same comparison of the column as stored, a
 * pre-filter an index on the column can serve: it holds wherever the
 * comparison does (the column's value is then the one stored).
 */
static void
deparse_condition(FedDeparseCxt *cxt, Expr *e)
{
	if (!cxt->stored_columns && column_value_comparison(cxt, e))
	{
		appendStringInfoChar(cxt->buf, '(');
		cxt->stored_columns = true;
		fed_deparse_expr(cxt, e);
		cxt->stored_columns = false;
		appendStringInfoString(cxt->buf, " AND ");
		fed_deparse_expr(cxt, e);
		appendStringInfoChar(cxt->buf, ')');
	}
	else
		fed_deparse_expr(cxt, e);
}

void
fed_deparse_expr(FedDeparseCxt *cxt, Expr *expr)
{
	StringInfo	buf = cxt->buf;

	/* computed on the coordinator (see fed_is_coordinator_value) */
	if (fed_is_coordinator_value((Node *) expr))
	{
		fed_deparse_param(cxt, expr, exprType((Node *) expr));
		return;
	}

	switch (nodeTag(expr))
	{
		case T_CaseExpr:
			deparse_case(cxt, (CaseExpr *) expr);
			break;
		case T_WindowFunc:
			deparse_window_func(cxt, (WindowFunc *) expr);
			break;
		case T_CaseTestExpr:
			appendStringInfoChar(buf, '(');
			fed_deparse_expr(cxt, cxt->case_arg);
			appendStringInfoChar(buf, ')');
			break;
		case T_CoalesceExpr:
			appendStringInfoString(buf, "COALESCE(");
			deparse_list(cxt, ((CoalesceExpr *) expr)->args);
			appendStringInfoChar(buf, ')');
			break;
		case T_NullIfExpr:
			appendStringInfoString(buf, "NULLIF(");
			deparse_list(cxt, ((NullIfExpr *) expr)->args);
			appendStringInfoChar(buf, ')');
			break;
		case T_MinMaxExpr:
			appendStringInfoString(buf, ((MinMaxExpr *) expr)->op == IS_GREATEST ?
								   "GREATEST(" : "LEAST(");
			deparse_list(cxt, ((MinMaxExpr *) expr)->args);
			appendStringInfoChar(buf, ')');
			break;
		case T_BooleanTest:
			deparse_boolean_test(cxt, (BooleanTest *) expr);
			break;
		case T_CoerceViaIO:
			{
				CoerceViaIO *cio = (CoerceViaIO *) expr;

				appendStringInfoChar(buf, '(');
				fed_deparse_expr(cxt, cio->arg);
				appendStringInfo(buf, ")::%s",
								 format_type_extended(cio->resulttype, -1,
													  FORMAT_TYPE_TYPEMOD_GIVEN));
				break;
			}
		case T_Var:
			deparse_var(cxt, (Var *) expr);
			break;
		case T_Const:
			deparse_const(cxt, (Const *) expr);
			break;
		case T_Param:
			fed_deparse_param(cxt, expr, ((Param *) expr)->paramtype);
			break;
		case T_OpExpr:
			deparse_opexpr(cxt, (OpExpr *) expr);
			break;
		case T_DistinctExpr:
			{
				DistinctExpr *op = (DistinctExpr *) expr;
				const char *name;
				FedOpStyle	style = op_style(cxt, op->opno, op->args,
											 op->inputcollid, &name);

				appendStringInfoString(buf, cxt->dialect->distinct_prefix);
				deparse_operand(cxt, linitial(op->args), style);
				appendStringInfoString(buf, cxt->dialect->distinct_infix);
				deparse_operand(cxt, lsecond(op->args), style);
				appendStringInfoString(buf, cxt->dialect->distinct_suffix);
				break;
			}
		case T_ScalarArrayOpExpr:
			deparse_array_op(cxt, (ScalarArrayOpExpr *) expr);
			break;
		case T_BoolExpr:
			{
				BoolExpr   *b = (BoolExpr *) expr;
				ListCell   *lc;
				bool		first = true;

				appendStringInfoChar(buf, '(');
				if (b->boolop == NOT_EXPR)
				{
					appendStringInfoString(buf, "NOT ");
					fed_deparse_expr(cxt, linitial(b->args));
				}
				else
					foreach(lc, b->args)
					{
						if (!first)
							appendStringInfoString(buf, b->boolop == AND_EXPR ?
												   " AND " : " OR ");
						fed_deparse_expr(cxt, lfirst(lc));
						first = false;
					}
				appendStringInfoChar(buf, ')');
				break;
			}
		case T_NullTest:
			{
				NullTest   *nt = (NullTest *) expr;

				appendStringInfoChar(buf, '(');
				fed_deparse_expr(cxt, nt->arg);
				appendStringInfoString(buf, nt->nulltesttype == IS_NULL ?
									   " IS NULL)" : " IS NOT NULL)");
				break;
			}
		case T_RelabelType:
			fed_deparse_expr(cxt, ((RelabelType *) expr)->arg);
			break;
		case T_FuncExpr:
			deparse_funcexpr(cxt, (FuncExpr *) expr);
			break;
		default:
			elog(ERROR, "unsupported expression type for deparse: %d",
				 (int) nodeTag(expr));
	}
}

/* " WHERE a AND b" for a list of RestrictInfos or bare expressions. */
void
fed_deparse_where(FedDeparseCxt *cxt, List *conds)
{
	ListCell   *lc;
	bool		first = true;
	int			nest;

	if (conds == NIL)
		return;
	fed_set_transmission_modes(&nest);
	foreach(lc, conds)
	{
		Expr	   *e = lfirst(lc);

		if (IsA(e, RestrictInfo))
			e = ((RestrictInfo *) e)->clause;
		appendStringInfoString(cxt->buf, first ? " WHERE " : " AND ");
		deparse_condition(cxt, e);
		first = false;
	}
	fed_reset_transmission_modes(nest);
}

static void
init_cxt(FedDeparseCxt *cxt, PlannerInfo *root, RelOptInfo *rel,
		 FedTableInfo *info, const FedDialect *dialect, StringInfo buf,
		 List **params, List **param_offsets)
{
	cxt->case_arg = NULL;
	cxt->windows = NIL;
	cxt->varno2 = 0;
	cxt->relid2 = InvalidOid;
	cxt->root = root;
	cxt->rel = rel;
	cxt->varno = rel ? rel->relid : 0;
	cxt->relid = info->relid;
	cxt->dialect = dialect;
	cxt->buf = buf;
	cxt->params = params;
	cxt->param_offsets = param_offsets;
	cxt->stored_columns = false;
	cxt->on_conflict = false;
}

static const char *read_as_open(StringInfo buf, const FedDialect *dialect,
								Oid typid);
static void read_as_close(StringInfo buf, const char *as);

/*
 * SELECT <the columns in attrs> FROM <remote table> WHERE <remote_conds>.
 * *retrieved gets the attribute numbers in select-list order.
 */
void
fed_deparse_select(StringInfo buf, PlannerInfo *root, RelOptInfo *rel,
				   FedTableInfo *info, const FedDialect *dialect,
				   Bitmapset *attrs, List *remote_conds, List **retrieved,
				   List **params, List **param_offsets)
{
	FedDeparseCxt cxt;
	int			attnum = 0;
	bool		first = true;

	int			member = -1;
	bool		whole_row;
	int			natts;
	const char *as;
	Relation	relation = table_open(info->relid, NoLock);

	natts = RelationGetNumberOfAttributes(relation);
	table_close(relation, NoLock);

	/* attrs holds attnums offset by FirstLowInvalidHeapAttributeNumber */
	whole_row = bms_is_member(0 - FirstLowInvalidHeapAttributeNumber, attrs);
	*retrieved = NIL;
	appendStringInfoString(buf, "SELECT ");
	while (whole_row ? ++attnum <= natts :
		   (member = bms_next_member(attrs, member)) >= 0)
	{
		if (!whole_row)
			attnum = member + FirstLowInvalidHeapAttributeNumber;
		if (attnum <= 0 || get_attgenerated(info->relid, attnum) ||
			!OidIsValid(get_atttype(info->relid, attnum)))
			continue;
		if (!first)
			appendStringInfoString(buf, ", ");
		as = read_as_open(buf, dialect, get_atttype(info->relid, attnum));
		fed_deparse_column(buf, dialect, info->relid, attnum);
		read_as_close(buf, as);
		*retrieved = lappend_int(*retrieved, attnum);
		first = false;
	}
	if (first)
		appendStringInfoString(buf, "NULL");
	appendStringInfoString(buf, " FROM ");
	fed_deparse_relation(buf, dialect, info);

	init_cxt(&cxt, root, rel, info, dialect, buf, params, param_offsets);
	fed_deparse_where(&cxt, remote_conds);
}

/*
 * The columns attrs (attribute numbers of relid) as a list, each read as a
 * scan reads it: a write's RETURNING list, and the SELECT that reads an
 * updated row again where the engine has no UPDATE ... RETURNING.
 */
void
fed_deparse_column_list(StringInfo buf, const FedDialect *dialect,
						Oid relid, List *attrs)
{
	ListCell   *lc;

	foreach(lc, attrs)
	{
		AttrNumber	attnum = lfirst_int(lc);
		const char *as;

		if (lc != list_head(attrs))
			appendStringInfoString(buf, ", ");
		as = read_as_open(buf, dialect, get_atttype(relid, attnum));
		fed_deparse_column(buf, dialect, relid, attnum);
		read_as_close(buf, as);
	}
}

/*
 * A partial aggregate of a fan-out task: count, sum, min, max, bool_and,
 * bool_or or bit_and/or/xor of one argument (or count(*)), with its
 * FILTER.  MySQL has no bool_and/bool_or:
 * MIN/MAX of the 0/1 values mean the same; and it sums FLOAT as DOUBLE
 * already, so the cast to double precision asked for avg(real) is dropped.
 */
static void
deparse_aggregate(FedDeparseCxt *cxt, Aggref *agg)
{
	StringInfo	buf = cxt->buf;
	const char *name = get_func_name(agg->aggfnoid);
	bool		mysql = (cxt->dialect->kind == FED_DRIVER_MYSQL);

	if (agg->aggfnoid == F_BOOL_AND || agg->aggfnoid == F_EVERY)
		name = mysql ? "min" : "bool_and";
	else if (agg->aggfnoid == F_BOOL_OR)
		name = mysql ? "max" : "bool_or";
	appendStringInfo(buf, "%s(", name);
	/* MySQL has no FILTER: the rows filtered out become NULLs */
	if (mysql && agg->aggfilter)
	{
		appendStringInfoString(buf, "CASE WHEN ");
		fed_deparse_expr(cxt, agg->aggfilter);
		appendStringInfoString(buf, " THEN ");
	}
	if (agg->aggstar || agg->args == NIL)
		appendStringInfoString(buf, mysql && agg->aggfilter ? "1" : "*");
	else
	{
		Expr	   *arg = ((TargetEntry *) linitial(agg->args))->expr;

		if (mysql && IsA(arg, FuncExpr) &&
			((FuncExpr *) arg)->funcformat == COERCE_IMPLICIT_CAST)
			arg = linitial(((FuncExpr *) arg)->args);
		fed_deparse_expr(cxt, arg);
	}
	if (mysql && agg->aggfilter)
		appendStringInfoString(buf, " END");
	appendStringInfoChar(buf, ')');
	if (!mysql && agg->aggfilter)
	{
		appendStringInfoString(buf, " FILTER (WHERE ");
		fed_deparse_expr(cxt, agg->aggfilter);
		appendStringInfoChar(buf, ')');
	}
}

/* Is the expression a column declared NOT NULL (so needs no NULL order)? */
static bool
not_null_column(FedDeparseCxt *cxt, Expr *e)
{
	HeapTuple	tp;
	bool		result = false;

	while (IsA(e, RelabelType))
		e = ((RelabelType *) e)->arg;
	if (!IsA(e, Var) || ((Var *) e)->varattno <= 0)
		return false;
	/* values the engine holds may read as NULL (append_column_expr) */
	if (column_expr_needed(cxt->dialect, ((Var *) e)->vartype))
		return false;
	tp = SearchSysCache2(ATTNUM,
						 ObjectIdGetDatum(cxt->varno2 != 0 &&
										  ((Var *) e)->varno == cxt->varno2 ?
										  cxt->relid2 : cxt->relid),
						 Int16GetDatum(((Var *) e)->varattno));
	if (HeapTupleIsValid(tp))
	{
		result = ((Form_pg_attribute) GETSTRUCT(tp))->attnotnull;
		ReleaseSysCache(tp);
	}
	return result;
}

static void
deparse_maybe_bytes(FedDeparseCxt *cxt, Expr *e, bool bytes)
{
	if (bytes)
		appendStringInfoString(cxt->buf, BYTES_OPEN);
	fed_deparse_expr(cxt, e);
	if (bytes)
		appendStringInfoString(cxt->buf, BYTES_CLOSE);
}

/*
 * The engine's type a select item of type typid is read as (FedDialect
 * read_as), or NULL: write "CAST(" before the item, then finish with
 * read_as_close.
 */
static const char *
read_as_open(StringInfo buf, const FedDialect *dialect, Oid typid)
{
	const char *as = dialect->read_as ? dialect->read_as(typid) : NULL;

	if (as)
		appendStringInfoString(buf, "CAST(");
	return as;
}

static void
read_as_close(StringInfo buf, const char *as)
{
	if (as)
		appendStringInfo(buf, " AS %s)", as);
}

/*
 * One key of an ORDER BY (of the statement or of a window).  MySQL has no
 * NULLS FIRST/LAST: a NULL test goes first when the value may be NULL.
 */
static void
deparse_sort_key(FedDeparseCxt *cxt, Expr *e, bool desc, bool nulls_first)
{
	StringInfo	buf = cxt->buf;
	bool		bytes = false;

	(void) cxt->dialect->sort_ok(exprType((Node *) e), exprCollation((Node *) e),
								 &bytes);
	if (cxt->dialect->kind == FED_DRIVER_MYSQL)
	{
		if (!not_null_column(cxt, e))
		{
			fed_deparse_expr(cxt, e);
			appendStringInfoString(buf, nulls_first ? " IS NULL DESC, " :
								   " IS NULL, ");
		}
		deparse_maybe_bytes(cxt, e, bytes);
		if (desc)
			appendStringInfoString(buf, " DESC");
	}
	else
	{
		fed_deparse_expr(cxt, e);
		if (desc)
			appendStringInfoString(buf, " DESC");
		if (nulls_first != desc)
			appendStringInfoString(buf, nulls_first ? " NULLS FIRST" :
								   " NULLS LAST");
	}
}

static void
deparse_frame_bound(FedDeparseCxt *cxt, int options, bool start, Node *offset)
{
	StringInfo	buf = cxt->buf;

	if (options & (start ? FRAMEOPTION_START_UNBOUNDED_PRECEDING :
				   FRAMEOPTION_END_UNBOUNDED_PRECEDING))
		appendStringInfoString(buf, "UNBOUNDED PRECEDING");
	else if (options & (start ? FRAMEOPTION_START_UNBOUNDED_FOLLOWING :
						FRAMEOPTION_END_UNBOUNDED_FOLLOWING))
		appendStringInfoString(buf, "UNBOUNDED FOLLOWING");
	else if (options & (start ? FRAMEOPTION_START_CURRENT_ROW :
						FRAMEOPTION_END_CURRENT_ROW))
		appendStringInfoString(buf, "CURRENT ROW");
	else
	{
		/* (MySQL takes only a literal there: no parentheses) */
		bool		parens = (cxt->dialect->kind != FED_DRIVER_MYSQL);

		if (parens)
			appendStringInfoChar(buf, '(');
		fed_deparse_expr(cxt, (Expr *) offset);
		if (parens)
			appendStringInfoChar(buf, ')');
		appendStringInfoString(buf,
							   (options & (start ? FRAMEOPTION_START_OFFSET_PRECEDING :
										   FRAMEOPTION_END_OFFSET_PRECEDING)) ?
							   " PRECEDING" : " FOLLOWING");
	}
}

/*
 * fn(args) [FILTER (WHERE ...)] OVER (PARTITION BY ... ORDER BY ...
 * frame), the window from cxt->windows.  A frame is written only when the
 * query gave one (PostgreSQL's default frame is the standard's).
 */
static void
deparse_window_func(FedDeparseCxt *cxt, WindowFunc *wf)
{
	StringInfo	buf = cxt->buf;
	FedRemoteWindow *w = NULL;
	ListCell   *lc;
	int			opts;

	foreach(lc, cxt->windows)
	{
		if (((FedRemoteWindow *) lfirst(lc))->winref == wf->winref)
			w = lfirst(lc);
	}
	if (w == NULL)
		elog(ERROR, "federate: no window for window function %u", wf->winref);

	appendStringInfo(buf, "%s(", get_func_name(wf->winfnoid));
	if (wf->winstar)
		appendStringInfoChar(buf, '*');
	else
		deparse_list(cxt, wf->args);
	appendStringInfoChar(buf, ')');
	if (wf->aggfilter)
	{
		appendStringInfoString(buf, " FILTER (WHERE ");
		fed_deparse_expr(cxt, wf->aggfilter);
		appendStringInfoChar(buf, ')');
	}
	appendStringInfoString(buf, " OVER (");
	foreach(lc, w->partition)
	{
		Expr	   *e = lfirst(lc);
		bool		bytes = false;

		appendStringInfoString(buf, lc == list_head(w->partition) ?
							   "PARTITION BY " : ", ");
		(void) cxt->dialect->group_ok(exprType((Node *) e),
									  exprCollation((Node *) e), true, &bytes);
		deparse_maybe_bytes(cxt, e, bytes);
	}
	foreach(lc, w->order)
	{
		int			i = foreach_current_index(lc);

		appendStringInfoString(buf, i > 0 ? ", " :
							   w->partition ? " ORDER BY " : "ORDER BY ");
		deparse_sort_key(cxt, lfirst(lc), list_nth_int(w->order_desc, i),
						 list_nth_int(w->order_nulls_first, i));
	}
	opts = w->frame_options;
	if ((opts & FRAMEOPTION_NONDEFAULT) && fed_window_uses_frame(wf))
	{
		if (w->partition || w->order)
			appendStringInfoChar(buf, ' ');
		appendStringInfoString(buf, (opts & FRAMEOPTION_ROWS) ? "ROWS " :
							   (opts & FRAMEOPTION_GROUPS) ? "GROUPS " : "RANGE ");
		if (opts & FRAMEOPTION_BETWEEN)
			appendStringInfoString(buf, "BETWEEN ");
		deparse_frame_bound(cxt, opts, true, w->start_offset);
		if (opts & FRAMEOPTION_BETWEEN)
		{
			appendStringInfoString(buf, " AND ");
			deparse_frame_bound(cxt, opts, false, w->end_offset);
		}
		if (opts & FRAMEOPTION_EXCLUDE_CURRENT_ROW)
			appendStringInfoString(buf, " EXCLUDE CURRENT ROW");
		else if (opts & FRAMEOPTION_EXCLUDE_GROUP)
			appendStringInfoString(buf, " EXCLUDE GROUP");
		else if (opts & FRAMEOPTION_EXCLUDE_TIES)
			appendStringInfoString(buf, " EXCLUDE TIES");
	}
	appendStringInfoChar(buf, ')');
}

/* The conditions joined by AND, after prefix; nothing for none. */
static void
deparse_and(FedDeparseCxt *cxt, const char *prefix, List *conds, bool *first)
{
	ListCell   *lc;

	foreach(lc, conds)
	{
		Expr	   *e = lfirst(lc);

		if (IsA(e, RestrictInfo))
			e = ((RestrictInfo *) e)->clause;
		appendStringInfoString(cxt->buf, *first ? prefix : " AND ");
		deparse_condition(cxt, e);
		*first = false;
	}
}

/*
 * The rest of a co-located join's FROM and its WHERE, after "FROM t1":
 *	 INNER	r1 INNER JOIN t2 r2 ON (j) WHERE c1 AND c2
 *	 LEFT	r1 LEFT JOIN t2 r2 ON (j AND c2) WHERE c1 AND above
 *	 SEMI	r1 WHERE c1 AND EXISTS (SELECT 1 FROM t2 r2 WHERE j AND c2)
 *	 ANTI	the same with NOT EXISTS
 */
static void
deparse_join(FedDeparseCxt *cxt, FedRemoteSelect *sel)
{
	StringInfo	buf = cxt->buf;
	bool		first;

	appendStringInfoString(buf, " r1");
	if (sel->jointype == JOIN_INNER || sel->jointype == JOIN_LEFT)
	{
		appendStringInfoString(buf, sel->jointype == JOIN_INNER ?
							   " INNER JOIN " : " LEFT JOIN ");
		fed_deparse_relation(buf, cxt->dialect, sel->info2);
		appendStringInfoString(buf, " r2");
		first = true;
		deparse_and(cxt, " ON (", sel->join_conds, &first);
		if (sel->jointype == JOIN_LEFT)
			deparse_and(cxt, " ON (", sel->conds2, &first);
		appendStringInfoString(buf, first ? " ON (TRUE)" : ")");
		first = true;
		deparse_and(cxt, " WHERE ", sel->conds, &first);
		if (sel->jointype == JOIN_INNER)
			deparse_and(cxt, " WHERE ", sel->conds2, &first);
		else
			deparse_and(cxt, " WHERE ", sel->join_where, &first);
	}
	else
	{
		first = true;
		deparse_and(cxt, " WHERE ", sel->conds, &first);
		appendStringInfoString(buf, first ? " WHERE " : " AND ");
		appendStringInfoString(buf, sel->jointype == JOIN_ANTI ?
							   "NOT EXISTS (SELECT 1 FROM " : "EXISTS (SELECT 1 FROM ");
		fed_deparse_relation(buf, cxt->dialect, sel->info2);
		appendStringInfoString(buf, " r2");
		first = true;
		deparse_and(cxt, " WHERE ", sel->join_conds, &first);
		deparse_and(cxt, " WHERE ", sel->conds2, &first);
		appendStringInfoChar(buf, ')');
	}
}

/*
 * The statement of one fan-out task (see FedRemoteSelect).  GROUP BY names
 * select-list positions, which both engines accept; MySQL groups and sorts
 * text by its bytes (see dialect_mysql.c), and has no NULLS FIRST/LAST, so
 * a NULL test goes first in its ORDER BY when the column may be NULL.
 */
void
fed_deparse_remote_select(StringInfo buf, PlannerInfo *root, RelOptInfo *rel,
						  FedTableInfo *info, const FedDialect *dialect,
						  FedRemoteSelect *sel, List **params,
						  List **param_offsets)
{
	FedDeparseCxt cxt;
	ListCell   *lc;
	const char *as;
	int			pos = 0;
	int			remote_pos = 0;
	int		   *remote = palloc0(sizeof(int) * (list_length(sel->items) + 1));
	bool		first = true;
	int			nest;
	int			i;

	init_cxt(&cxt, root, rel, info, dialect, buf, params, param_offsets);
	cxt.windows = sel->windows;
	if (sel->info2)
	{
		cxt.varno2 = sel->varno2;
		cxt.relid2 = sel->info2->relid;
	}
	fed_set_transmission_modes(&nest);
	appendStringInfoString(buf, "SELECT ");
	/* (PostgreSQL only: plan/aggsplit.c asks for it on PostgreSQL shards) */
	foreach(lc, sel->distinct_on)
	{
		appendStringInfoString(buf, lc == list_head(sel->distinct_on) ?
							   "DISTINCT ON (" : ", ");
		fed_deparse_expr(&cxt, list_nth(sel->items, lfirst_int(lc) - 1));
		if (lnext(sel->distinct_on, lc) == NULL)
			appendStringInfoString(buf, ") ");
	}
	foreach(lc, sel->items)
	{
		Expr	   *e = lfirst(lc);
		bool		bytes = false;

		pos++;
		if (e == NULL)
			continue;
		remote[pos] = ++remote_pos;
		if (!first)
			appendStringInfoString(buf, ", ");
		first = false;
		as = read_as_open(buf, dialect, exprType((Node *) e));
		if (IsA(e, Aggref))
			deparse_aggregate(&cxt, (Aggref *) e);
		else
		{
			bool		grouped = list_member_int(sel->group_items, pos);

			if (grouped)
				(void) dialect->group_ok(exprType((Node *) e),
										 exprCollation((Node *) e), false,
										 &bytes);
			/* a column only fetched is converted here (append_column_expr) */
			cxt.stored_columns = IsA(e, Var) && !grouped;
			deparse_maybe_bytes(&cxt, e, bytes);
			cxt.stored_columns = false;
		}
		read_as_close(buf, as);
	}
	if (first)
		appendStringInfoString(buf, "NULL");
	appendStringInfoString(buf, " FROM ");
	fed_deparse_relation(buf, dialect, info);
	if (sel->info2)
	{
		deparse_join(&cxt, sel);
		fed_reset_transmission_modes(nest);
	}
	else
	{
		fed_reset_transmission_modes(nest);
		fed_deparse_where(&cxt, sel->conds);
	}

	fed_set_transmission_modes(&nest);
	first = true;
	foreach(lc, sel->group_items)
	{
		appendStringInfoString(buf, first ? " GROUP BY " : ", ");
		appendStringInfo(buf, "%d", remote[lfirst_int(lc)]);
		first = false;
	}

	/*
	 * DISTINCT ON (a) needs ORDER BY a, ... on the shard; the query's sort
	 * keys lack a DISTINCT ON column only when it has a single value there
	 * (WHERE a = 5), so putting it first changes no order.
	 */
	first = true;
	foreach(lc, sel->distinct_on)
	{
		Expr	   *e = list_nth(sel->items, lfirst_int(lc) - 1);
		int			k;
		bool		leading = false;

		for (k = 0; k < list_length(sel->sort_exprs) &&
			 k < list_length(sel->distinct_on); k++)
		{
			if (equal(list_nth(sel->sort_exprs, k), e))
				leading = true;
		}
		if (leading)
			continue;
		appendStringInfoString(buf, first ? " ORDER BY " : ", ");
		fed_deparse_expr(&cxt, e);
		first = false;
	}
	for (i = 0; i < list_length(sel->sort_exprs); i++)
	{
		Expr	   *e = list_nth(sel->sort_exprs, i);

		appendStringInfoString(buf, first && i == 0 ? " ORDER BY " : ", ");
		deparse_sort_key(&cxt, e, list_nth_int(sel->sort_desc, i),
						 list_nth_int(sel->sort_nulls_first, i));
	}
	if (sel->limit >= 0)
		appendStringInfo(buf, " LIMIT %.0f", sel->limit);
	fed_reset_transmission_modes(nest);
}

/* The elements of a one-dimensional array (palloc'd). */
void
fed_array_elements(ArrayType *a, Datum **elems, bool **nulls, int *n)
{
	int16		typlen;
	bool		typbyval;
	char		typalign;

	get_typlenbyvalalign(ARR_ELEMTYPE(a), &typlen, &typbyval, &typalign);
	deconstruct_array(a, ARR_ELEMTYPE(a), typlen, typbyval, typalign,
					  elems, nulls, n);
}

/*
 * The elements of an array parameter as the items of an IN list (NULL for
 * none); the caller checked that the engine can hold each of them.
 */
static void
splice_array(StringInfo buf, const FedDialect *dialect, Oid arraytype,
			 Datum value, bool bytes)
{
	ArrayType  *a = DatumGetArrayTypeP(value);
	Oid			elemtype = ARR_ELEMTYPE(a);
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	int			i;

	fed_array_elements(a, &elems, &nulls, &n);
	if (n == 0)
		appendStringInfoString(buf, "NULL");
	for (i = 0; i < n; i++)
	{
		if (i > 0)
			appendStringInfoString(buf, ", ");
		if (nulls[i])
		{
			appendStringInfoString(buf, "NULL");
			continue;
		}
		if (bytes)
			appendStringInfoString(buf, BYTES_OPEN);
		dialect->append_value(buf, elemtype, elems[i]);
		if (bytes)
			appendStringInfoString(buf, BYTES_CLOSE);
	}
}

/*
 * For engines without placeholders: the statement with each parameter's
 * literal written at its recorded offset.  offsets holds pairs (offset,
 * parameter number from 1).
 */
char *
fed_splice_params(const char *sql, List *offsets, const FedDialect *dialect,
				  int nparams, Oid *types, Datum *values, bool *nulls)
{
	StringInfoData buf;
	int			pos = 0;
	ListCell   *lc;
	int			nest;

	if (offsets == NIL)
		return (char *) sql;
	initStringInfo(&buf);
	fed_set_transmission_modes(&nest);
	for (lc = list_head(offsets); lc; lc = lnext(offsets, lc))
	{
		int			off = lfirst_int(lc);
		int			n;

		bool		bytes;

		lc = lnext(offsets, lc);
		n = lfirst_int(lc);
		bytes = (n < 0);
		n = abs(n) - 1;
		appendBinaryStringInfo(&buf, sql + pos, off - pos);
		pos = off;
		if (n < 0 || n >= nparams)
			elog(ERROR, "federate: parameter %d out of range", n + 1);
		if (nulls[n])
			appendStringInfoString(&buf, "NULL");
		else if (type_is_array(types[n]))
			splice_array(&buf, dialect, types[n], values[n], bytes);
		else if (!dialect->value_ok(types[n], values[n]))
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_DATA_TYPE),
					 errmsg("cannot send value \"%s\" of type %s to a %s server",
							fed_value_text(types[n], values[n]),
							format_type_be(types[n]),
							fed_driver_name(dialect->kind)),
					 errdetail("The server cannot hold this value, so the shipped condition that compares with this parameter cannot be evaluated there."),
					 errhint("Use a custom plan (plan_cache_mode = force_custom_plan) or a literal: a condition with such a value is then evaluated on the coordinator.")));
		else
			dialect->append_value(&buf, types[n], values[n]);
	}
	appendStringInfoString(&buf, sql + pos);
	fed_reset_transmission_modes(nest);
	return buf.data;
}

/*-------------------------------------------------------------------------
 *
 * deparse.h
 *		The dialect seam and the deparse entry points.
 *
 * One walker decides what may be shipped (shipcheck.c) and one printer
 * writes it (deparse.c); both ask the FedDialect of the target engine about
 * leaves and capabilities, so "shippable" and "printable" cannot drift
 * apart.  A dialect says how to quote, how to write a constant, and how (or
 * whether) to write an operator; it never decides structure.
 *
 * src/deparse/deparse.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef FEDERATE_DEPARSE_H
#define FEDERATE_DEPARSE_H

#include "federate.h"
#include "nodes/nodes.h"
#include "nodes/pathnodes.h"
#include "utils/array.h"

struct FedDeparseCxt;
struct FedRemoteWindow;

/* How a dialect writes an operator, if at all. */
typedef enum FedOpStyle
{
	FED_OP_NONE,				/* not shippable: evaluate locally */
	FED_OP_INFIX,				/* "a op b" with the returned name */
	FED_OP_BYTES,				/* MySQL text: compare the UTF-8 bytes of
								 * both sides with the returned operator */
	FED_OP_SIGNED,				/* MySQL integer arithmetic: each operand
								 * as a signed BIGINT */
	FED_OP_DECIMAL				/* MySQL numeric arithmetic: each column
								 * operand as a DECIMAL of its scale (never
								 * BIGINT UNSIGNED arithmetic), values as
								 * they are */
} FedOpStyle;

typedef struct FedDialect
{
	FedDriverKind kind;

	/* Append an identifier, quoted for the engine. */
	void		(*append_identifier) (StringInfo buf, const char *ident);

	/* May expressions of this type be evaluated by the engine? */
	bool		(*type_ok) (Oid typid);

	/* Can this value be written as a literal of the engine? */
	bool		(*value_ok) (Oid typid, Datum value);

	/* Append a non-NULL value as a literal. */
	void		(*append_value) (StringInfo buf, Oid typid, Datum value);

	/*
	 * How to write an operator applied to operands of the given types and
	 * input collation; *name receives the engine's operator.
	 */
	FedOpStyle	(*operator_style) (Oid opno, Oid lefttype, Oid righttype,
								   Oid inputcollid, const char **name);

	/*
	 * May the engine compute this function call (its arguments are checked
	 * by the walker)?  print_function, when set, writes the engine's
	 * translation of a call function_ok accepted and returns true; false
	 * means the generic "name(args)" or cast syntax.
	 */
	bool		(*function_ok) (FuncExpr *f);
	bool		(*print_function) (struct FedDeparseCxt *cxt, FuncExpr *f);

	/*
	 * May the engine compute this CASE, COALESCE, NULLIF, GREATEST/LEAST,
	 * IS [NOT] TRUE/FALSE/UNKNOWN or text-form cast node (its arguments are
	 * checked by the walker) with PostgreSQL's result?
	 */
	bool		(*node_ok) (Node *node);

	/*
	 * The engine evaluates built-ins that depend on the TimeZone setting
	 * (date_trunc, extract and casts of timestamptz, timestamptz
	 * arithmetic) under the coordinator session's zone: remote/ sends it
	 * with each remote transaction.
	 */
	bool		session_timezone;

	/*
	 * May the engine group rows by values of this type?  Grouping must
	 * never put values PostgreSQL tells apart into one group; with exact,
	 * it must not split values PostgreSQL finds equal either.  *bytes: write
	 * the value as its UTF-8 bytes (MySQL text).
	 */
	bool		(*group_ok) (Oid typid, Oid collid, bool exact, bool *bytes);

	/* May the engine sort by this type in PostgreSQL's order? */
	bool		(*sort_ok) (Oid typid, Oid collid, bool *bytes);

	/*
	 * May the engine compute this built-in aggregate (count, sum, min, max,
	 * bool_and, bool_or) over this argument type exactly as PostgreSQL?
	 * argtype is InvalidOid for count(*).
	 */
	bool		(*agg_ok) (Oid aggfnoid, Oid argtype, Oid inputcollid);

	/*
	 * May the engine compute this window function over this window (its
	 * arguments are checked by the walker, the window's expressions by
	 * plan/window.c) exactly as PostgreSQL?
	 */
	bool		(*window_ok) (WindowFunc *wf, const struct FedRemoteWindow *w);

	/*
	 * The engine's type that a value of this type is read as, when the
	 * engine would print it with fewer digits than it holds (MySQL prints a
	 * FLOAT with 6 significant digits, its DOUBLE in full), or NULL.
	 */
	const char *(*read_as) (Oid typid);

	/*
	 * Optional: does the engine keep values of columns of this type that
	 * PostgreSQL reads as NULL (MySQL's zero dates, see fdw/convert.c)?
	 * Then append_column_expr writes such a column ("col": quoted, and
	 * qualified in a join) wherever the engine evaluates it, so that
	 * those values are NULL there too.
	 */
	bool		(*column_expr_needed) (Oid typid);
	void		(*append_column_expr) (StringInfo buf, const char *col);

	/* Parameters: true when the engine takes $n placeholders. */
	bool		has_placeholders;

	/* The locking clause of SELECT ... FOR SHARE / FOR KEY SHARE */
	const char *lock_share;

	/*
	 * INSERT ... ON CONFLICT DO UPDATE (fdw/upsert.c): what is written
	 * before a column of the row already there, and around a column of the
	 * row proposed for insertion (PostgreSQL's EXCLUDED).
	 */
	const char *conflict_row_prefix;
	const char *excluded_open;
	const char *excluded_close;

	/* "a IS DISTINCT FROM b" */
	const char *distinct_prefix;	/* written before a */
	const char *distinct_infix;		/* between a and b */
	const char *distinct_suffix;	/* after b */
} FedDialect;

/*
 * What deparsing produces besides text: the expressions of the
 * parameters, and for engines without placeholders the byte offsets in the
 * text where each parameter's literal goes at execution time.
 */
/*
 * The window of shipped window functions (WindowFunc.winref): OVER
 * (PARTITION BY ... ORDER BY ... frame), in the terms of the relation.
 */
typedef struct FedRemoteWindow
{
	Index		winref;
	List	   *partition;		/* Exprs */
	List	   *order;			/* Exprs */
	List	   *order_desc;		/* IntList */
	List	   *order_nulls_first;	/* IntList */
	int			frame_options;	/* FRAMEOPTION_* */
	Node	   *start_offset;
	Node	   *end_offset;
} FedRemoteWindow;

typedef struct FedDeparseCxt
{
	Expr	   *case_arg;		/* CASE x WHEN ...: x, for its WHENs */
	List	   *windows;		/* FedRemoteWindow *, for WindowFuncs */
	Index		varno2;			/* a join's other relation ("r2"), or 0 */
	Oid			relid2;
	PlannerInfo *root;
	RelOptInfo *rel;			/* the foreign relation, or NULL */
	Index		varno;
	Oid			relid;
	const FedDialect *dialect;
	StringInfo	buf;
	List	  **params;			/* List of Expr, in placeholder order */
	List	  **param_offsets;	/* List of int (no-placeholder engines) */
	bool		stored_columns; /* columns as stored, never through
								 * append_column_expr (a pre-filter) */
	bool		on_conflict;	/* an ON CONFLICT DO UPDATE: varno is the
								 * row there, varno2 the proposed row */
} FedDeparseCxt;

/*
 * One task's statement: SELECT items FROM table WHERE conds GROUP BY ...
 * ORDER BY ... LIMIT n, every expression in terms of the task's relation.
 */
typedef struct FedRemoteSelect
{
	List	   *items;			/* Expr per column; NULL = not fetched */
	List	   *group_items;	/* positions in items (from 1) */
	List	   *distinct_on;	/* positions in items: DISTINCT ON (...) */
	List	   *conds;			/* Exprs */
	List	   *sort_exprs;		/* Exprs */
	List	   *sort_desc;		/* IntList */
	List	   *sort_nulls_first;	/* IntList */
	double		limit;			/* < 0: none */
	List	   *windows;		/* FedRemoteWindow *, of WindowFunc items */

	/*
	 * A join of two tables on one server (plan/colocated.c): FROM the
	 * table r1, joined with info2 r2; conds are r1's conditions.
	 */
	JoinType	jointype;		/* INNER, LEFT, SEMI or ANTI */
	FedTableInfo *info2;		/* NULL: no join */
	Index		varno2;
	List	   *join_conds;		/* ON (...), or inside [NOT] EXISTS */
	List	   *conds2;			/* r2's own conditions */
	List	   *join_where;		/* LEFT: conditions above the join */
} FedRemoteSelect;

/* in deparse/dialect_pg.c and deparse/dialect_mysql.c */
extern const FedDialect fed_dialect_pg;
extern const FedDialect fed_dialect_mysql;
extern const FedDialect *fed_dialect(FedDriverKind kind);

/* in deparse/shipcheck.c */
extern bool fed_is_coordinator_value(Node *node);
extern bool fed_timezone_function(Oid funcid);
extern bool fed_is_shippable(PlannerInfo *root, RelOptInfo *rel, Index varno,
							 const FedDialect *dialect, Expr *expr);
extern bool fed_shippable_over(PlannerInfo *root, Relids relids,
							   const FedDialect *dialect, Node *node,
							   const struct FedRemoteWindow *w);
extern bool fed_window_uses_frame(WindowFunc *wf);

/* in deparse/deparse.c */
extern void fed_deparse_expr(FedDeparseCxt *cxt, Expr *expr);
extern void fed_deparse_param(FedDeparseCxt *cxt, Expr *expr, Oid type);
extern Expr *fed_session_offset_expr(void);
extern void fed_deparse_relation(StringInfo buf, const FedDialect *dialect,
								 FedTableInfo *info);
extern void fed_deparse_column(StringInfo buf, const FedDialect *dialect,
							   Oid relid, AttrNumber attnum);
extern void fed_deparse_select(StringInfo buf, PlannerInfo *root,
							   RelOptInfo *rel, FedTableInfo *info,
							   const FedDialect *dialect, Bitmapset *attrs,
							   List *remote_conds, List **retrieved,
							   List **params, List **param_offsets);
extern bool fed_decimal_operand_scale(Node *arg, int *scale);
extern void fed_deparse_column_list(StringInfo buf,
									const FedDialect *dialect, Oid relid,
									List *attrs);
extern void fed_deparse_where(FedDeparseCxt *cxt, List *conds);
extern void fed_deparse_remote_select(StringInfo buf, PlannerInfo *root,
									  RelOptInfo *rel, FedTableInfo *info,
									  const FedDialect *dialect,
									  FedRemoteSelect *sel, List **params,
									  List **param_offsets);
extern char *fed_splice_params(const char *sql, List *offsets,
							   const FedDialect *dialect, int nparams,
							   Oid *types, Datum *values, bool *nulls);
extern void fed_set_transmission_modes(int *nestlevel);
extern void fed_reset_transmission_modes(int nestlevel);
extern char *fed_value_text(Oid typid, Datum value);
extern void fed_array_elements(ArrayType *a, Datum **elems, bool **nulls,
							   int *n);

#endif							/* FEDERATE_DEPARSE_H */

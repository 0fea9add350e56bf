/*-------------------------------------------------------------------------
 *
 * dialect_pg.c
 *		The PostgreSQL dialect: spelling and capabilities of a PostgreSQL
 *		server as seen by the one deparse walker.
 *
 * A remote PostgreSQL computes built-in immutable operators and functions
 * exactly as we do, so everything built in ships; constants are written
 * as quoted literals with an explicit cast, parameters as $n.
 *
 * src/deparse/dialect_pg.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/transam.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_operator.h"
#include "catalog/pg_type.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"
#include "access/htup_details.h"
#include "nodes/nodeFuncs.h"

#include "deparse/deparse.h"

static void
pg_append_identifier(StringInfo buf, const char *ident)
{
	appendStringInfoString(buf, quote_identifier(ident));
}

static bool
pg_type_ok(Oid typid)
{
	return typid < FirstGenbkiObjectId;
}

static bool
pg_value_ok(Oid typid, Datum value)
{
	return true;
}

static void
pg_append_value(StringInfo buf, Oid typid, Datum value)
{
	char	   *s = fed_value_text(typid, value);

	switch (typid)
	{
		case BOOLOID:
			appendStringInfoString(buf, DatumGetBool(value) ? "true" : "false");
			return;
		case INT2OID:
		case INT4OID:
		case INT8OID:
		case NUMERICOID:
			/* plain numbers only: NaN and Infinity need quotes */
			if (strspn(s, "-0123456789.") == strlen(s))
			{
				if (s[0] == '-')
					appendStringInfo(buf, "(%s)", s);
				else
					appendStringInfoString(buf, s);
				if (typid == INT2OID)
					appendStringInfoString(buf, "::smallint");
				else if (typid == INT8OID && strchr(s, '.') == NULL &&
						 DatumGetInt64(value) >= PG_INT32_MIN &&
						 DatumGetInt64(value) <= PG_INT32_MAX)
					appendStringInfoString(buf, "::bigint");
				else if (typid == NUMERICOID && strchr(s, '.') == NULL)
					appendStringInfoString(buf, "::numeric");
				return;
			}
			break;
		default:
			break;
	}
	appendStringInfoString(buf, quote_literal_cstr(s));
	appendStringInfo(buf, "::%s",
					 format_type_extended(typid, -1, FORMAT_TYPE_TYPEMOD_GIVEN));
}

static FedOpStyle
pg_operator_style(Oid opno, Oid lefttype, Oid righttype, Oid inputcollid,
				  const char **name)
{
	if (opno >= FirstGenbkiObjectId)
		return FED_OP_NONE;
	if (inputcollid != InvalidOid && inputcollid != DEFAULT_COLLATION_OID)
		return FED_OP_NONE;
	*name = get_opname(opno);
	return *name ? FED_OP_INFIX : FED_OP_NONE;
}

/*
 * Built-in immutable functions, and those that depend only on the
 * TimeZone setting: the remote transaction runs under the coordinator
 * session's zone (remote/connection.c).
 */
static bool
pg_function_ok(FuncExpr *f)
{
	return f->funcid < FirstGenbkiObjectId &&
		(func_volatile(f->funcid) == PROVOLATILE_IMMUTABLE ||
		 fed_timezone_function(f->funcid));
}

/*
 * Types whose text form does not depend on any setting (DateStyle,
 * extra_float_digits, bytea_output, ...): a cast to or from text through
 * it gives the same text on every server.
 */
static bool
plain_text_type(Oid typid)
{
	switch (typid)
	{
		case INT2OID:
		case INT4OID:
		case INT8OID:
		case NUMERICOID:
		case BOOLOID:
		case TEXTOID:
		case VARCHAROID:
		case BPCHAROID:
		case NAMEOID:
		case OIDOID:
		case UUIDOID:
			return true;
		default:
			return false;
	}
}

static bool
pg_node_ok(Node *node)
{
	if (IsA(node, CoerceViaIO))
		return plain_text_type(((CoerceViaIO *) node)->resulttype) &&
			plain_text_type(exprType((Node *) ((CoerceViaIO *) node)->arg));
	return true;
}

static bool
collation_default(Oid collid)
{
	return collid == InvalidOid || collid == DEFAULT_COLLATION_OID;
}

static bool
pg_group_ok(Oid typid, Oid collid, bool exact, bool *bytes)
{
	*bytes = false;
	return pg_type_ok(typid) && collation_default(collid);
}

static bool
pg_sort_ok(Oid typid, Oid collid, bool *bytes)
{
	*bytes = false;
	return pg_type_ok(typid) && collation_default(collid);
}

static bool
pg_agg_ok(Oid aggfnoid, Oid argtype, Oid inputcollid)
{
	return aggfnoid < FirstGenbkiObjectId &&
		(argtype == InvalidOid || pg_type_ok(argtype)) &&
		collation_default(inputcollid);
}

/* Built-in window functions and aggregates, any frame. */
static bool
pg_window_ok(WindowFunc *wf, const FedRemoteWindow *w)
{
	return wf->winfnoid < FirstGenbkiObjectId &&
		collation_default(wf->inputcollid);
}

const FedDialect fed_dialect_pg = {
	.kind = FED_DRIVER_POSTGRES,
	.append_identifier = pg_append_identifier,
	.type_ok = pg_type_ok,
	.value_ok = pg_value_ok,
	.append_value = pg_append_value,
	.operator_style = pg_operator_style,
	.function_ok = pg_function_ok,
	.print_function = NULL,
	.node_ok = pg_node_ok,
	.session_timezone = true,
	.group_ok = pg_group_ok,
	.sort_ok = pg_sort_ok,
	.agg_ok = pg_agg_ok,
	.window_ok = pg_window_ok,
	.has_placeholders = true,
	.lock_share = " FOR SHARE",
	.conflict_row_prefix = "r1.",
	.excluded_open = "excluded.",
	.excluded_close = "",
	.distinct_prefix = "(",
	.distinct_infix = " IS DISTINCT FROM ",
	.distinct_suffix = ")",
};

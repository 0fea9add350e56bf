/*-------------------------------------------------------------------------
 *
 * dialect_mysql.c
 *		The MySQL/MariaDB dialect: what a MySQL server may evaluate for us,
 *		and how to write it.
 *
 * MySQL means something else by much of the same syntax, so this list is
 * short and every entry is justified:
 *
 *	- comparisons (= <> < <= > >=) of numbers with numbers, and of dates,
 *	  times and timestamps of the same kind: same meaning on both sides
 *	  (timestamptz values are exchanged in UTC, the remote session's
 *	  time_zone);
 *	- text equality and inequality, but as a comparison of the UTF-8 bytes
 *	  of both sides (CAST(CONVERT(x USING utf8mb4) AS BINARY)): MySQL's
 *	  default collations ignore case and trailing spaces (PAD SPACE), ours
 *	  do not.  For "=" the plain comparison is added too, so an index on
 *	  the column can still be used.  Ordering comparisons of text ship only
 *	  under a "C" collation, where byte order is PostgreSQL's order;
 *	- IS [NOT] NULL, AND, OR, NOT, IN lists of constants, and
 *	  IS DISTINCT FROM as NOT (a <=> b);
 *	- no arithmetic (integer division, overflow and rounding differ), no
 *	  functions, no boolean comparisons (tinyint(1) may hold 2), no
 *	  char(n) (PostgreSQL pads, MySQL strips), no bytea, json or uuid.
 *
 * Literals: strings are single-quoted with quotes doubled (the session has
 * NO_BACKSLASH_ESCAPES, so a backslash is just a backslash); identifiers
 * are double-quoted (ANSI_QUOTES); floats carry an exponent so MySQL reads
 * them as DOUBLE, not DECIMAL.  Values MySQL cannot represent (NaN,
 * infinities, dates outside years 1..9999) are not shipped.
 *
 * src/deparse/dialect_mysql.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/transam.h"
#include "catalog/pg_type.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/float.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"
#include "utils/pg_locale.h"
#include "utils/timestamp.h"

#include "deparse/deparse.h"

typedef enum MyCategory
{
	MY_NONE,
	MY_NUMBER,
	MY_TEXT,
	MY_DATE,					/* date and timestamp compare alike */
	MY_TIMESTAMPTZ,
	MY_TIME,
	MY_BOOL
} MyCategory;

static MyCategory
category(Oid typid)
{
	switch (typid)
	{
		case INT2OID:
		case INT4OID:
		case INT8OID:
		case NUMERICOID:
		case FLOAT4OID:
		case FLOAT8OID:
			return MY_NUMBER;
		case TEXTOID:
		case VARCHAROID:
			return MY_TEXT;
		case DATEOID:
		case TIMESTAMPOID:
			return MY_DATE;
		case TIMESTAMPTZOID:
			return MY_TIMESTAMPTZ;
		case TIMEOID:
			return MY_TIME;
		case BOOLOID:
			return MY_BOOL;
		default:
			return MY_NONE;
	}
}

static void
my_append_identifier(StringInfo buf, const char *ident)
{
	const char *p;

	appendStringInfoChar(buf, '"');
	for (p = ident; *p; p++)
	{
		if (*p == '"')
			appendStringInfoChar(buf, '"');
		appendStringInfoChar(buf, *p);
	}
	appendStringInfoChar(buf, '"');
}

static bool
my_type_ok(Oid typid)
{
	return category(typid) != MY_NONE;
}

static bool
year_ok(Timestamp ts)
{
	struct pg_tm tm;
	fsec_t		fsec;

	if (TIMESTAMP_NOT_FINITE(ts) || timestamp2tm(ts, NULL, &tm, &fsec, NULL, NULL) != 0)
		return false;
	return tm.tm_year >= 1 && tm.tm_year <= 9999;
}

static bool
my_value_ok(Oid typid, Datum value)
{
	switch (typid)
	{
		case FLOAT4OID:
			return !isnan(DatumGetFloat4(value)) && !isinf(DatumGetFloat4(value));
		case FLOAT8OID:
			return !isnan(DatumGetFloat8(value)) && !isinf(DatumGetFloat8(value));
		case NUMERICOID:
			{
				char	   *s = fed_value_text(typid, value);

				return strspn(s, "-0123456789.") == strlen(s);
			}
		case DATEOID:
			return !DATE_NOT_FINITE(DatumGetDateADT(value)) &&
				year_ok(date2timestamp_no_overflow(DatumGetDateADT(value)));
		case TIMESTAMPOID:
		case TIMESTAMPTZOID:
			return year_ok(DatumGetTimestamp(value));
		default:
			return category(typid) != MY_NONE;
	}
}

static void
append_quoted(StringInfo buf, const char *s)
{
	const char *p;

	appendStringInfoChar(buf, '\'');
	for (p = s; *p; p++)
	{
		if (*p == '\'')
			appendStringInfoChar(buf, '\'');
		appendStringInfoChar(buf, *p);
	}
	appendStringInfoChar(buf, '\'');
}

static void
my_append_value(StringInfo buf, Oid typid, Datum value)
{
	char	   *s;

	switch (typid)
	{
		case BOOLOID:
			appendStringInfoString(buf, DatumGetBool(value) ? "1" : "0");
			return;
		case BYTEAOID:
			{
				bytea	   *b = DatumGetByteaPP(value);
				const unsigned char *p = (unsigned char *) VARDATA_ANY(b);
				int			len = VARSIZE_ANY_EXHDR(b);
				int			i;

				if (len == 0)
				{
					appendStringInfoString(buf, "''");
					return;
				}
				appendStringInfoString(buf, "0x");
				for (i = 0; i < len; i++)
					appendStringInfo(buf, "%02x", p[i]);
				return;
			}
		default:
			break;
	}

	s = fed_value_text(typid, value);
	switch (typid)
	{
		case INT2OID:
		case INT4OID:
		case INT8OID:
		case NUMERICOID:
			appendStringInfo(buf, s[0] == '-' ? "(%s)" : "%s", s);
			break;
		case FLOAT4OID:
		case FLOAT8OID:
			appendStringInfo(buf, s[0] == '-' ? "(%s%s)" : "%s%s", s,
							 strpbrk(s, "eE") ? "" : "E0");
			break;
		case TIMESTAMPTZOID:
			{
				/* written in UTC by the transmission modes: drop "+00" */
				int			len = strlen(s);

				if (len > 3 && strcmp(s + len - 3, "+00") == 0)
					s[len - 3] = '\0';
				append_quoted(buf, s);
				break;
			}
		default:
			append_quoted(buf, s);
			break;
	}
}

static FedOpStyle
my_operator_style(Oid opno, Oid lefttype, Oid righttype, Oid inputcollid,
				  const char **name)
{
	const char *op = get_opname(opno);
	MyCategory	lc;
	MyCategory	rc = category(righttype);
	bool		ordering;

	if (op == NULL || lefttype == InvalidOid)
		return FED_OP_NONE;
	lc = category(lefttype);
	if (lc != rc || lc == MY_NONE || lc == MY_BOOL)
		return FED_OP_NONE;

	if (strcmp(op, "=") == 0 || strcmp(op, "<>") == 0)
		ordering = false;
	else if (strcmp(op, "<") == 0 || strcmp(op, "<=") == 0 ||
			 strcmp(op, ">") == 0 || strcmp(op, ">=") == 0)
		ordering = true;
	else
		return FED_OP_NONE;

	*name = op;
	if (lc != MY_TEXT)
		return FED_OP_INFIX;
	if (ordering && !(OidIsValid(inputcollid) && lc_collate_is_c(inputcollid)))
		return FED_OP_NONE;
	return FED_OP_BYTES;
}

static bool
my_function_ok(Oid funcid)
{
	return false;
}

/*
 * Grouping: numbers, dates and timestamps group as here; text groups by
 * its bytes (MySQL's collations would merge 'a', 'A' and 'a ').  Booleans
 * may arrive as 1 and 2 for the same true, so they only group where the
 * coordinator groups again.
 */
static bool
my_group_ok(Oid typid, Oid collid, bool exact, bool *bytes)
{
	MyCategory	c = category(typid);

	*bytes = (c == MY_TEXT);
	switch (c)
	{
		case MY_NUMBER:
			return !exact || (typid != FLOAT4OID && typid != FLOAT8OID);
		case MY_TEXT:
		case MY_DATE:
		case MY_TIMESTAMPTZ:
			return true;
		case MY_BOOL:
		case MY_TIME:
			return !exact;
		default:
			return false;
	}
}

/* Sorting: as for comparisons; text only under "C", by its bytes. */
static bool
my_sort_ok(Oid typid, Oid collid, bool *bytes)
{
	MyCategory	c = category(typid);

	*bytes = (c == MY_TEXT);
	switch (c)
	{
		case MY_NUMBER:
		case MY_DATE:
		case MY_TIMESTAMPTZ:
			return true;
		case MY_TEXT:
			return OidIsValid(collid) && lc_collate_is_c(collid);
		default:
			return false;
	}
}

/*
 * Aggregates: count of anything, sum of numbers, min and max of numbers,
 * dates and timestamps (never of text: MySQL's collation would pick), and
 * bool_and/bool_or as MIN/MAX of 0/1 values.
 */
static bool
my_agg_ok(Oid aggfnoid, Oid argtype, Oid inputcollid)
{
	const char *name = get_func_name(aggfnoid);
	MyCategory	c = category(argtype);

	if (name == NULL || aggfnoid >= FirstGenbkiObjectId)
		return false;
	if (strcmp(name, "count") == 0)
		return argtype == InvalidOid || c != MY_NONE;
	if (strcmp(name, "sum") == 0)
		return c == MY_NUMBER;
	if (strcmp(name, "min") == 0 || strcmp(name, "max") == 0)
		return c == MY_NUMBER || c == MY_DATE || c == MY_TIMESTAMPTZ;
	if (strcmp(name, "bool_and") == 0 || strcmp(name, "bool_or") == 0)
		return c == MY_BOOL;
	return false;
}

const FedDialect fed_dialect_mysql = {
	.kind = FED_DRIVER_MYSQL,
	.append_identifier = my_append_identifier,
	.type_ok = my_type_ok,
	.value_ok = my_value_ok,
	.append_value = my_append_value,
	.operator_style = my_operator_style,
	.function_ok = my_function_ok,
	.group_ok = my_group_ok,
	.sort_ok = my_sort_ok,
	.agg_ok = my_agg_ok,
	.has_placeholders = false,
	.distinct_prefix = "(NOT (",
	.distinct_infix = " <=> ",
	.distinct_suffix = "))",
};

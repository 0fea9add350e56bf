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
 *	- + - * where the result is bigint (both raise an error on overflow);
 *	  no other arithmetic (integer division, int4 overflow and numeric
 *	  scale and rounding differ);
 *	- searched and simple CASE and COALESCE with integer, boolean or text
 *	  results, NULLIF of integers (numeric results would come back with
 *	  MySQL's scale);
 *	- date_trunc, extract/date_part (fields whose values are integers) and
 *	  casts to date of date and timestamp values, translated to MySQL's
 *	  functions; of timestamptz values (stored in UTC) only while the
 *	  session's TimeZone has a fixed UTC offset, which is then sent with
 *	  the statement and added to the values (not CONVERT_TZ, which leaves
 *	  values outside 1970-2038 unconverted and needs time zone tables for
 *	  names); under a zone with daylight saving time they stay on the
 *	  coordinator;
 *	- no other functions, no boolean comparisons (tinyint(1) may hold 2),
 *	  no char(n) (PostgreSQL pads, MySQL strips), no bytea, json or uuid.
 *
 * Dates with a zero year, month or day ('0000-00-00', '2024-00-10'),
 * which MySQL keeps where its sql_mode allowed them, read as NULL
 * (fdw/convert.c).  So wherever MySQL evaluates a date, datetime or
 * timestamp column (conditions, grouping, sorting, aggregates), the column
 * is written IF(YEAR(c) = 0 OR MONTH(c) = 0 OR DAYOFMONTH(c) = 0, NULL, c):
 * MySQL would find '0000-00-00' smaller than every date, count it, and
 * group and sort it apart from NULL.  A comparison with a value at the top
 * of the WHERE list also gets the plain comparison first, which an index
 * can serve (deparse.c, deparse_condition).
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
#include "common/int.h"
#include "nodes/nodeFuncs.h"
#include "nodes/parsenodes.h"
#include "pgtime.h"
#include "utils/fmgroids.h"
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

static bool integer_type(Oid typid);

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

/*
 * An interval as MySQL's TIME, [-]hours:mm:ss.ffffff (written to a TIME
 * column, which IMPORT FOREIGN SCHEMA maps to interval).  Months have no
 * fixed length: such a value cannot be sent.
 */
static void
append_interval(StringInfo buf, Datum value)
{
	Interval   *iv = DatumGetIntervalP(value);
	int64		usecs;
	uint64		u;

	if (iv->month != 0 ||
		pg_mul_s64_overflow((int64) iv->day, USECS_PER_DAY, &usecs) ||
		pg_add_s64_overflow(usecs, iv->time, &usecs))
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_DATA_TYPE),
				 errmsg("cannot send value \"%s\" of type interval to a mysql server",
						fed_value_text(INTERVALOID, value)),
				 errdetail("A MySQL TIME holds hours, minutes and seconds only.")));
	u = usecs < 0 ? -(uint64) usecs : (uint64) usecs;
	appendStringInfo(buf, "'%s" UINT64_FORMAT ":%02d:%02d.%06d'",
					 usecs < 0 ? "-" : "",
					 u / USECS_PER_HOUR,
					 (int) ((u / USECS_PER_MINUTE) % 60),
					 (int) ((u / USECS_PER_SEC) % 60),
					 (int) (u % USECS_PER_SEC));
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
		case INTERVALOID:
			append_interval(buf, value);
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

			/*
			 * A real is sent as the DOUBLE of the same value (exact), which
			 * a FLOAT column equals when PostgreSQL's real equals it: its
			 * shortest text as a real ("0.1") would be another DOUBLE.
			 */
			s = psprintf("%.17g", (double) DatumGetFloat4(value));
			/* FALLTHROUGH */
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

	if (strcmp(op, "+") == 0 || strcmp(op, "-") == 0 || strcmp(op, "*") == 0)
	{
		/*
		 * bigint arithmetic: MySQL's signed BIGINT, an error on overflow
		 * too.  Each operand is cast to SIGNED: a column that is UNSIGNED
		 * on the server would make the result UNSIGNED, and a negative one
		 * an error ("BIGINT UNSIGNED value is out of range").
		 */
		if (integer_type(lefttype) && integer_type(righttype) &&
			(lefttype == INT8OID || righttype == INT8OID))
		{
			*name = op;
			return FED_OP_SIGNED;
		}

		/*
		 * numeric + and -: exact on MySQL's DECIMAL too (its 65 digits
		 * hold a numeric(p,s) column's sums; an overflow is an error).
		 * Each column operand is cast to DECIMAL of its own scale, so that
		 * a BIGINT UNSIGNED column (numeric(20,0)) never makes the
		 * arithmetic unsigned, and the result keeps PostgreSQL's scale.
		 * Not *, whose result scale MySQL cuts at 30 digits.
		 */
		if (lefttype == NUMERICOID && righttype == NUMERICOID &&
			strcmp(op, "*") != 0)
		{
			*name = op;
			return FED_OP_DECIMAL;
		}
		return FED_OP_NONE;
	}
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
integer_type(Oid typid)
{
	return typid == INT2OID || typid == INT4OID || typid == INT8OID;
}

/* The session's zone has a fixed UTC offset (see session_utc_offset). */
static bool
fixed_offset_zone(void)
{
	long		gmtoff;

	return pg_get_timezone_offset(session_timezone, &gmtoff) &&
		gmtoff >= -18 * 3600 && gmtoff <= 18 * 3600;
}

typedef enum MyTimeFunc
{
	MYT_NONE,
	MYT_TRUNC,					/* date_trunc(field, x) */
	MYT_PART,					/* extract(field FROM x), date_part */
	MYT_DATE					/* x::date */
} MyTimeFunc;

/* The fields translated, and what each needs from MySQL. */
static const char *const trunc_fields[] = {
	"year", "quarter", "month", "week", "day", "hour", "minute", "second", NULL
};
static const char *const part_fields[] = {
	"year", "quarter", "month", "week", "day", "dow", "isodow", "doy",
	"isoyear", "hour", "minute", NULL
};

static bool
field_in(const char *field, const char *const *list, bool date_only)
{
	for (; *list; list++)
	{
		if (date_only && (strcmp(*list, "hour") == 0 || strcmp(*list, "minute") == 0))
			continue;
		if (strcmp(field, *list) == 0)
			return true;
	}
	return false;
}

/*
 * Which translated time function f is; *field gets its field (lower
 * case), *arg the date or timestamp argument.
 */
static MyTimeFunc
time_function(FuncExpr *f, char *field, int fieldsize, Expr **arg)
{
	MyTimeFunc	kind;
	Const	   *c;
	char	   *s;
	int			i;

	switch (f->funcid)
	{
		case F_DATE_TRUNC_TEXT_TIMESTAMP:
		case F_DATE_TRUNC_TEXT_TIMESTAMPTZ:
			kind = MYT_TRUNC;
			break;
		case F_DATE_PART_TEXT_TIMESTAMP:
		case F_DATE_PART_TEXT_TIMESTAMPTZ:
		case F_DATE_PART_TEXT_DATE:
		case F_EXTRACT_TEXT_DATE:
		case F_EXTRACT_TEXT_TIMESTAMP:
		case F_EXTRACT_TEXT_TIMESTAMPTZ:
			kind = MYT_PART;
			break;
		case F_DATE_TIMESTAMP:
		case F_DATE_TIMESTAMPTZ:
			field[0] = '\0';
			*arg = linitial(f->args);
			return MYT_DATE;
		default:
			return MYT_NONE;
	}
	if (list_length(f->args) != 2)
		return MYT_NONE;
	c = linitial(f->args);
	if (!IsA(c, Const) || c->constisnull || c->consttype != TEXTOID)
		return MYT_NONE;
	s = TextDatumGetCString(c->constvalue);
	if (strlen(s) >= fieldsize)
		return MYT_NONE;
	for (i = 0; s[i]; i++)
		field[i] = pg_ascii_tolower((unsigned char) s[i]);
	field[i] = '\0';
	*arg = lsecond(f->args);
	return kind;
}

static bool
my_function_ok(FuncExpr *f)
{
	char		field[16];
	Expr	   *arg;
	Oid			argtype;

	switch (time_function(f, field, sizeof(field), &arg))
	{
		case MYT_NONE:
			return false;
		case MYT_TRUNC:
			if (!field_in(field, trunc_fields, false))
				return false;
			break;
		case MYT_PART:
			if (!field_in(field, part_fields, exprType((Node *) arg) == DATEOID))
				return false;
			break;
		case MYT_DATE:
			break;
	}
	argtype = exprType((Node *) arg);
	if (argtype == TIMESTAMPTZOID)
		return fixed_offset_zone();
	return argtype == TIMESTAMPOID || argtype == DATEOID;
}

/* x in the session's zone: a timestamptz is stored in UTC */
static void
append_local(FedDeparseCxt *cxt, Expr *arg)
{
	if (exprType((Node *) arg) != TIMESTAMPTZOID)
	{
		fed_deparse_expr(cxt, arg);
		return;
	}
	appendStringInfoChar(cxt->buf, '(');
	fed_deparse_expr(cxt, arg);
	appendStringInfoString(cxt->buf, " + INTERVAL ");
	fed_deparse_param(cxt, fed_session_offset_expr(), INT4OID);
	appendStringInfoString(cxt->buf, " SECOND)");
}

static void
append_call(FedDeparseCxt *cxt, const char *before, Expr *arg, const char *after)
{
	appendStringInfoString(cxt->buf, before);
	append_local(cxt, arg);
	appendStringInfoString(cxt->buf, after);
}

static bool
my_print_function(FedDeparseCxt *cxt, FuncExpr *f)
{
	StringInfo	buf = cxt->buf;
	char		field[16];
	Expr	   *arg;
	MyTimeFunc	kind = time_function(f, field, sizeof(field), &arg);
	bool		tz = (exprType((Node *) arg) == TIMESTAMPTZOID);

	switch (kind)
	{
		case MYT_NONE:
			return false;
		case MYT_DATE:
			append_call(cxt, "DATE(", arg, ")");
			return true;
		case MYT_PART:
			if (strcmp(field, "year") == 0)
				append_call(cxt, "YEAR(", arg, ")");
			else if (strcmp(field, "quarter") == 0)
				append_call(cxt, "QUARTER(", arg, ")");
			else if (strcmp(field, "month") == 0)
				append_call(cxt, "MONTH(", arg, ")");
			else if (strcmp(field, "week") == 0)
				append_call(cxt, "WEEK(", arg, ", 3)");
			else if (strcmp(field, "day") == 0)
				append_call(cxt, "DAYOFMONTH(", arg, ")");
			else if (strcmp(field, "dow") == 0)
				append_call(cxt, "(DAYOFWEEK(", arg, ") - 1)");
			else if (strcmp(field, "isodow") == 0)
				append_call(cxt, "(WEEKDAY(", arg, ") + 1)");
			else if (strcmp(field, "doy") == 0)
				append_call(cxt, "DAYOFYEAR(", arg, ")");
			else if (strcmp(field, "isoyear") == 0)
				append_call(cxt, "(YEARWEEK(", arg, ", 3) DIV 100)");
			else if (strcmp(field, "hour") == 0)
				append_call(cxt, "HOUR(", arg, ")");
			else
				append_call(cxt, "MINUTE(", arg, ")");
			return true;
		case MYT_TRUNC:
			/* the local wall-clock time truncated, back to UTC if needed */
			if (tz)
				appendStringInfoChar(buf, '(');
			appendStringInfoString(buf, "CAST(");
			if (strcmp(field, "year") == 0)
				append_call(cxt, "MAKEDATE(YEAR(", arg, "), 1)");
			else if (strcmp(field, "quarter") == 0)
			{
				append_call(cxt, "(MAKEDATE(YEAR(", arg, "), 1)");
				append_call(cxt, " + INTERVAL (QUARTER(", arg, ") - 1) QUARTER)");
			}
			else if (strcmp(field, "month") == 0)
			{
				append_call(cxt, "(MAKEDATE(YEAR(", arg, "), 1)");
				append_call(cxt, " + INTERVAL (MONTH(", arg, ") - 1) MONTH)");
			}
			else if (strcmp(field, "week") == 0)
			{
				append_call(cxt, "(DATE(", arg, ")");
				append_call(cxt, " - INTERVAL WEEKDAY(", arg, ") DAY)");
			}
			else if (strcmp(field, "day") == 0)
				append_call(cxt, "DATE(", arg, ")");
			else if (strcmp(field, "hour") == 0)
				append_call(cxt, "DATE_FORMAT(", arg, ", '%Y-%m-%d %H:00:00')");
			else if (strcmp(field, "minute") == 0)
				append_call(cxt, "DATE_FORMAT(", arg, ", '%Y-%m-%d %H:%i:00')");
			else
				append_call(cxt, "DATE_FORMAT(", arg, ", '%Y-%m-%d %H:%i:%s')");
			appendStringInfoString(buf, " AS DATETIME)");
			if (tz)
			{
				appendStringInfoString(buf, " - INTERVAL ");
				fed_deparse_param(cxt, fed_session_offset_expr(), INT4OID);
				appendStringInfoString(buf, " SECOND)");
			}
			return true;
	}
	return false;
}

/*
 * CASE, COALESCE and NULLIF whose result MySQL writes as PostgreSQL does:
 * integers, booleans (0/1, read as booleans) and text; NULLIF compares
 * with "=", so only integers.
 */
static bool
my_node_ok(Node *node)
{
	Oid			type = exprType(node);

	switch (nodeTag(node))
	{
		case T_CaseExpr:
		case T_CoalesceExpr:
			return integer_type(type) || type == BOOLOID ||
				type == TEXTOID || type == VARCHAROID;
		case T_NullIfExpr:
			return integer_type(type) &&
				integer_type(exprType(lsecond(((NullIfExpr *) node)->args)));
		default:
			return false;
	}
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

/*
 * Window functions MariaDB computes as PostgreSQL does: the ranking
 * functions (rank and dense_rank need an ORDER BY there), lag/lead without
 * a default and first/last_value, and the aggregates my_agg_ok accepts
 * except over floating point (a frame's sum of doubles depends on the
 * order of additions) and bool_and/bool_or (which MySQL lacks).  No
 * FILTER.  Frames: ROWS, and RANGE without offsets; no GROUPS, no EXCLUDE
 * (the ranking functions, lag and lead are written without a frame).
 */
static bool
my_window_ok(WindowFunc *wf, const FedRemoteWindow *w)
{
	Oid			argtype = wf->args ? exprType(linitial(wf->args)) : InvalidOid;
	int			frame = w->frame_options;

	if (wf->aggfilter != NULL)
		return false;
	if (fed_window_uses_frame(wf))
	{
		if (frame & (FRAMEOPTION_GROUPS | FRAMEOPTION_EXCLUSION))
			return false;
		if ((frame & FRAMEOPTION_RANGE) &&
			(frame & (FRAMEOPTION_START_OFFSET | FRAMEOPTION_END_OFFSET)))
			return false;
	}
	switch (wf->winfnoid)
	{
		case F_ROW_NUMBER:
			return true;
		case F_RANK_:
		case F_DENSE_RANK_:
			return w->order != NIL;
		case F_LAG_ANYELEMENT:
		case F_LAG_ANYELEMENT_INT4:
		case F_LEAD_ANYELEMENT:
		case F_LEAD_ANYELEMENT_INT4:
		case F_FIRST_VALUE:
		case F_LAST_VALUE:
			return category(argtype) != MY_NONE;
		default:
			break;
	}
	if (!wf->winagg || argtype == FLOAT4OID || argtype == FLOAT8OID ||
		wf->winfnoid == F_BOOL_AND || wf->winfnoid == F_BOOL_OR ||
		wf->winfnoid == F_EVERY)
		return false;
	return my_agg_ok(wf->winfnoid, wf->winstar ? InvalidOid : argtype,
					 wf->inputcollid);
}

/* Dates, datetimes and timestamps: see the file header */
static bool
my_column_expr_needed(Oid typid)
{
	return typid == DATEOID || typid == TIMESTAMPOID || typid == TIMESTAMPTZOID;
}

static void
my_append_column_expr(StringInfo buf, const char *col)
{
	appendStringInfo(buf,
					 "IF(YEAR(%s) = 0 OR MONTH(%s) = 0 OR DAYOFMONTH(%s) = 0, NULL, %s)",
					 col, col, col, col);
}

/* FLOAT (real) is read as DOUBLE: the value to the last bit */
static const char *
my_read_as(Oid typid)
{
	return typid == FLOAT4OID ? "DOUBLE" : NULL;
}

const FedDialect fed_dialect_mysql = {
	.kind = FED_DRIVER_MYSQL,
	.append_identifier = my_append_identifier,
	.type_ok = my_type_ok,
	.value_ok = my_value_ok,
	.append_value = my_append_value,
	.operator_style = my_operator_style,
	.function_ok = my_function_ok,
	.print_function = my_print_function,
	.node_ok = my_node_ok,
	.session_timezone = false,
	.group_ok = my_group_ok,
	.sort_ok = my_sort_ok,
	.agg_ok = my_agg_ok,
	.window_ok = my_window_ok,
	.read_as = my_read_as,
	.column_expr_needed = my_column_expr_needed,
	.append_column_expr = my_append_column_expr,
	.has_placeholders = false,
	.lock_share = " LOCK IN SHARE MODE",
	.conflict_row_prefix = "",
	.excluded_open = "VALUES(",
	.excluded_close = ")",
	.distinct_prefix = "(NOT (",
	.distinct_infix = " <=> ",
	.distinct_suffix = "))",
};

/*-------------------------------------------------------------------------
 *
 * convert.c
 *		Remote rows (text values) to PostgreSQL Datums.
 *
 * Values arrive in the remote server's text format and go through the
 * column type's input function, so PostgreSQL's own parsing decides what
 * is valid.  MySQL needs these adjustments: BLOB/BINARY data arrives as
 * raw bytes (bytea is built from them directly); booleans arrive as
 * integers (tinyint(1): zero is false, anything else true) or as a BIT(1)
 * byte; TIMESTAMP/DATETIME values for a timestamptz column are in UTC (the
 * remote session's time_zone); dates with a zero year, month or day
 * ('0000-00-00', '2024-00-10', which MySQL keeps where its sql_mode allowed
 * them) read as NULL, as MySQL's own connectors do (zeroDateTimeBehavior
 * =convertToNull) and as the MySQL dialect makes the remote side see them
 * (dialect_mysql.c); a TIME outside PostgreSQL's time range (MySQL's runs
 * from -838:59:59 to 838:59:59) is an error that says so, for a time
 * column (an interval column takes every one); and text is checked to be
 * valid in the database encoding, since MySQL will happily send a binary
 * column's bytes.
 *
 * A conversion error names the column and the foreign table.
 *
 * src/fdw/convert.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/tupdesc.h"
#include "catalog/pg_type.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "fdw/fdw.h"

struct FedConverter
{
	int			natts;
	FmgrInfo   *infuncs;
	Oid		   *ioparams;
	Oid		   *types;
	int32	   *typmods;
	List	   *retrieved;		/* attnums in remote column order */
	FedDriverKind driver;
	TupleDesc	tupdesc;
	const char *relname;
	int			cur_attnum;		/* for the error context */
};

static void
conversion_error_callback(void *arg)
{
	FedConverter *cv = (FedConverter *) arg;

	if (cv->cur_attnum > 0)
		errcontext("column \"%s\" of foreign table \"%s\"",
				   NameStr(TupleDescAttr(cv->tupdesc, cv->cur_attnum - 1)->attname),
				   cv->relname);
}

/*
 * A converter of rows of tupdesc; like, when given, is a converter of the
 * same tuple descriptor whose input functions this one shares (the
 * partitions of one scan: only the engine and the name differ).
 */
FedConverter *
fed_convert_init(TupleDesc tupdesc, List *retrieved, FedDriverKind driver,
				 const char *relname, FedConverter *like)
{
	FedConverter *cv = palloc0(sizeof(FedConverter));
	int			i;

	if (like)
	{
		Assert(like->tupdesc == tupdesc);
		*cv = *like;
		cv->driver = driver;
		cv->relname = pstrdup(relname);
		cv->retrieved = retrieved;
		cv->cur_attnum = 0;
		return cv;
	}
	cv->natts = tupdesc->natts;
	cv->infuncs = palloc0(sizeof(FmgrInfo) * cv->natts);
	cv->ioparams = palloc0(sizeof(Oid) * cv->natts);
	cv->types = palloc0(sizeof(Oid) * cv->natts);
	cv->typmods = palloc0(sizeof(int32) * cv->natts);
	cv->retrieved = retrieved;
	cv->driver = driver;
	cv->tupdesc = tupdesc;
	cv->relname = pstrdup(relname);

	for (i = 0; i < cv->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(tupdesc, i);
		Oid			infunc;

		if (att->attisdropped)
			continue;
		getTypeInputInfo(att->atttypid, &infunc, &cv->ioparams[i]);
		fmgr_info(infunc, &cv->infuncs[i]);
		cv->types[i] = getBaseType(att->atttypid);
		cv->typmods[i] = att->atttypmod;
	}
	return cv;
}

/*
 * Is s (MySQL's text of a DATE, DATETIME or TIMESTAMP) a date with a zero
 * year, month or day?  MySQL writes them as YYYY-MM-DD[ hh:mm:ss[.f]].
 */
static bool
mysql_zero_date(const char *s, int len)
{
	int			i;

	if (len < 10 || s[4] != '-' || s[7] != '-')
		return false;
	for (i = 0; i < 10; i++)
	{
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return false;
	}
	return strncmp(s, "0000", 4) == 0 || strncmp(s + 5, "00", 2) == 0 ||
		strncmp(s + 8, "00", 2) == 0;
}

/*
 * MySQL's text of a TIME for a time column: an error unless PostgreSQL's
 * time holds it (00:00:00 to 24:00:00).
 */
static void
check_mysql_time(const char *s)
{
	const char *p = s;
	long		hours = 0;
	bool		rest_zero = true;

	if (*p == '-')
		p++;
	while (*p >= '0' && *p <= '9' && hours <= 24)
		hours = hours * 10 + (*p++ - '0');
	for (; *p; p++)
	{
		if (*p >= '1' && *p <= '9')
			rest_zero = false;
	}
	if (s[0] != '-' && (hours < 24 || (hours == 24 && rest_zero)))
		return;
	ereport(ERROR,
			(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
			 errmsg("time value out of range: \"%s\"", s),
			 errdetail("A MySQL TIME holds -838:59:59 to 838:59:59, type time without time zone 00:00:00 to 24:00:00."),
			 errhint("Declare the column as interval, which holds every MySQL TIME value.")));
}

/* Convert a MySQL value; false: it reads as NULL */
static bool
convert_mysql(FedConverter *cv, int i, char *s, int len, Datum *value)
{
	switch (cv->types[i])
	{
		case BYTEAOID:
			{
				bytea	   *b = palloc(len + VARHDRSZ);

				SET_VARSIZE(b, len + VARHDRSZ);
				memcpy(VARDATA(b), s, len);
				*value = PointerGetDatum(b);
				return true;
			}
		case BOOLOID:
			if (len == 1 && (s[0] == '\0' || s[0] == '\1'))
			{
				*value = BoolGetDatum(s[0] == '\1');
				return true;
			}
			{
				char	   *end;
				long		v = strtol(s, &end, 10);

				if (end != s && *end == '\0')
				{
					*value = BoolGetDatum(v != 0);
					return true;
				}
			}
			break;
		case DATEOID:
		case TIMESTAMPOID:
			if (mysql_zero_date(s, len))
				return false;
			break;
		case TIMESTAMPTZOID:
			if (mysql_zero_date(s, len))
				return false;
			if (len >= 10 && strchr(s + 10, '+') == NULL && strchr(s + 10, '-') == NULL)
				s = psprintf("%s+00", s);
			break;
		default:
			break;
	}
	pg_verifymbstr(s, len, false);
	if (cv->types[i] == TIMEOID)
		check_mysql_time(s);
	*value = InputFunctionCall(&cv->infuncs[i], s, cv->ioparams[i],
							   cv->typmods[i]);
	return true;
}

/*
 * Convert one remote row into values/nulls (both natts long), in the
 * current memory context.  Columns not retrieved are NULL.
 */
void
fed_convert_row(FedConverter *cv, FedRow *row, Datum *values, bool *nulls)
{
	ErrorContextCallback errcb;
	ListCell   *lc;
	int			col = 0;

	if (row->ncols != list_length(cv->retrieved) &&
		!(list_length(cv->retrieved) == 0 && row->ncols == 1))
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_COLUMN_NUMBER),
				 errmsg("remote query for foreign table \"%s\" returned %d columns, expected %d",
						cv->relname, row->ncols, list_length(cv->retrieved))));

	memset(values, 0, sizeof(Datum) * cv->natts);
	memset(nulls, true, sizeof(bool) * cv->natts);

	errcb.callback = conversion_error_callback;
	errcb.arg = cv;
	errcb.previous = error_context_stack;
	error_context_stack = &errcb;

	foreach(lc, cv->retrieved)
	{
		int			attnum = lfirst_int(lc);
		int			i = attnum - 1;
		char	   *s = row->values[col];

		cv->cur_attnum = attnum;
		if (s != NULL && cv->driver == FED_DRIVER_MYSQL)
			nulls[i] = !convert_mysql(cv, i, s, row->lengths[col], &values[i]);
		else if (s != NULL)
		{
			nulls[i] = false;
			values[i] = InputFunctionCall(&cv->infuncs[i], s,
										  cv->ioparams[i], cv->typmods[i]);
		}
		if (nulls[i])
			(void) InputFunctionCall(&cv->infuncs[i], NULL,
									 cv->ioparams[i], cv->typmods[i]);
		col++;
	}
	cv->cur_attnum = 0;
	error_context_stack = errcb.previous;
}

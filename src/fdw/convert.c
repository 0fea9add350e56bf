/*-------------------------------------------------------------------------
 *
 * convert.c
 *		Remote rows (text values) to PostgreSQL Datums.
 *
 * Values arrive in the remote server's text format and go through the
 * column type's input function, so PostgreSQL's own parsing decides what
 * is valid.  MySQL needs four adjustments: BLOB/BINARY data arrives as raw
 * bytes (bytea is built from them directly); booleans arrive as integers
 * (tinyint(1): zero is false, anything else true) or as a BIT(1) byte;
 * TIMESTAMP/DATETIME values for a timestamptz column are in UTC (the remote
 * session's time_zone); and text is checked to be valid in the database
 * encoding, since MySQL will happily send a binary column's bytes.
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

FedConverter *
fed_convert_init(TupleDesc tupdesc, List *retrieved, FedDriverKind driver,
				 const char *relname)
{
	FedConverter *cv = palloc0(sizeof(FedConverter));
	int			i;

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

static Datum
convert_mysql(FedConverter *cv, int i, char *s, int len)
{
	switch (cv->types[i])
	{
		case BYTEAOID:
			{
				bytea	   *b = palloc(len + VARHDRSZ);

				SET_VARSIZE(b, len + VARHDRSZ);
				memcpy(VARDATA(b), s, len);
				return PointerGetDatum(b);
			}
		case BOOLOID:
			if (len == 1 && (s[0] == '\0' || s[0] == '\1'))
				return BoolGetDatum(s[0] == '\1');
			{
				char	   *end;
				long		v = strtol(s, &end, 10);

				if (end != s && *end == '\0')
					return BoolGetDatum(v != 0);
			}
			break;
		case TIMESTAMPTZOID:
			if (len >= 10 && strchr(s + 10, '+') == NULL && strchr(s + 10, '-') == NULL)
				s = psprintf("%s+00", s);
			break;
		default:
			break;
	}
	pg_verifymbstr(s, len, false);
	return InputFunctionCall(&cv->infuncs[i], s, cv->ioparams[i], cv->typmods[i]);
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
		if (s != NULL)
		{
			nulls[i] = false;
			if (cv->driver == FED_DRIVER_MYSQL)
				values[i] = convert_mysql(cv, i, s, row->lengths[col]);
			else
				values[i] = InputFunctionCall(&cv->infuncs[i], s,
											  cv->ioparams[i], cv->typmods[i]);
		}
		else
			(void) InputFunctionCall(&cv->infuncs[i], NULL,
									 cv->ioparams[i], cv->typmods[i]);
		col++;
	}
	cv->cur_attnum = 0;
	error_context_stack = errcb.previous;
}

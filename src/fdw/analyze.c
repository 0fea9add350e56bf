/*-------------------------------------------------------------------------
 *
 * analyze.c
 *		ANALYZE of a federate foreign table: its row count and a sample of
 *		its rows, drawn on the server.
 *
 * PostgreSQL's ANALYZE asks a foreign table's wrapper for its size and for
 * a sample of its rows (AnalyzeForeignTable, then the AcquireSampleRowsFunc
 * it returns); ANALYZE of a partitioned table asks each foreign partition
 * for a share of the sample in proportion to its size, so the parent and
 * its partitions get statistics the planner uses (row counts, most common
 * values, histograms, distinct counts).  Autovacuum never analyzes a
 * foreign table: federate.analyze() (in the extension's script) analyzes
 * every federated table, for cron or pg_cron.
 *
 * One round trip asks the server for the table's size: on PostgreSQL its
 * reltuples when the server knows it (the table was vacuumed or analyzed
 * there), else count(*); on MySQL count(*).  The sample is drawn on the
 * server, never by reading the whole table through the coordinator:
 * TABLESAMPLE BERNOULLI (p) on PostgreSQL (WHERE random() < p for a view,
 * which takes no TABLESAMPLE), WHERE RAND() < p on MySQL, with p chosen to
 * return a little more than the sample asked for.  The rows that arrive
 * are streamed into a reservoir of the asked size (Vitter's algorithm, as
 * PostgreSQL's own ANALYZE does), so memory stays bounded whatever p
 * returns.
 *
 * src/fdw/analyze.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "commands/vacuum.h"
#include "foreign/fdwapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/sampling.h"

#include "catalog/options.h"
#include "deparse/deparse.h"
#include "fdw/fdw.h"

/* a little more than asked for: BERNOULLI's count varies around its mean */
#define FED_SAMPLE_MARGIN	1.1

/*
 * What AnalyzeForeignTable learnt of a table, for the sampling that
 * follows at once (ANALYZE calls one after the other for each table).
 */
static Oid	sized_relid = InvalidOid;
static double sized_rows = 0;
static bool sized_view = false;

/* The user whose mapping ANALYZE reads a table as: its owner's. */
static void
table_info(Relation relation, FedTableInfo *info)
{
	fed_table_info(RelationGetRelid(relation), relation->rd_rel->relowner,
				   info);
}

/* Read one float from a statement that returns one row (or none: -1). */
static double
one_number(FedConn *conn, const char *sql, char *kind)
{
	FedRow		row;
	int			owner;
	double		value = -1;

	fed_conn_open(conn, sql, 0, NULL, 0, &owner, NULL);
	while (fed_conn_next_row(conn, &owner, &row))
	{
		if (row.ncols >= 1 && row.values[0])
			value = strtod(row.values[0], NULL);
		if (kind && row.ncols >= 2 && row.values[1])
			*kind = row.values[1][0];
	}
	return value;
}

/*
 * The table's row count, from the server: reltuples where PostgreSQL knows
 * it, else an exact count.  Sets sized_view for a PostgreSQL view.
 */
static double
remote_rows(FedConn *conn, FedTableInfo *info)
{
	const FedDialect *dialect = fed_dialect(info->driver);
	StringInfoData name;
	StringInfoData sql;
	double		rows = -1;

	initStringInfo(&name);
	fed_deparse_relation(&name, dialect, info);
	initStringInfo(&sql);
	sized_view = false;
	if (info->driver == FED_DRIVER_POSTGRES)
	{
		char		kind = 'r';

		appendStringInfo(&sql,
						 "SELECT reltuples::float8, relkind FROM pg_catalog.pg_class WHERE oid = %s::pg_catalog.regclass",
						 quote_literal_cstr(name.data));
		rows = one_number(conn, sql.data, &kind);
		sized_view = (kind == 'v');
		resetStringInfo(&sql);
	}
	if (rows < 0)
	{
		appendStringInfo(&sql, "SELECT count(*) FROM %s", name.data);
		rows = one_number(conn, sql.data, NULL);
	}
	return Max(rows, 0);
}

/*
 * The rows of relation (every column) that the sample statement returns,
 * p the share of the table wanted (1: all).
 */
static char *
sample_sql(Relation relation, FedTableInfo *info, double p, List **attrs)
{
	const FedDialect *dialect = fed_dialect(info->driver);
	TupleDesc	tupdesc = RelationGetDescr(relation);
	StringInfoData sql;
	int			i;

	*attrs = NIL;
	for (i = 0; i < tupdesc->natts; i++)
		if (!TupleDescAttr(tupdesc, i)->attisdropped)
			*attrs = lappend_int(*attrs, i + 1);

	initStringInfo(&sql);
	appendStringInfoString(&sql, "SELECT ");
	if (*attrs == NIL)
		appendStringInfoString(&sql, "NULL");
	else
		fed_deparse_column_list(&sql, dialect, RelationGetRelid(relation),
								*attrs);
	appendStringInfoString(&sql, " FROM ");
	fed_deparse_relation(&sql, dialect, info);
	if (p < 1.0)
	{
		if (info->driver == FED_DRIVER_MYSQL)
			appendStringInfo(&sql, " WHERE RAND() < %.17g", p);
		else if (sized_view)
			appendStringInfo(&sql, " WHERE pg_catalog.random() < %.17g", p);
		else
			appendStringInfo(&sql, " TABLESAMPLE BERNOULLI (%.17g)", p * 100.0);
	}
	return sql.data;
}

/*
 * AcquireSampleRowsFunc: up to targrows rows of relation into rows, and
 * the table's row count into *totalrows (no dead rows: the server's own
 * business).
 */
static int
acquire_sample_rows(Relation relation, int elevel, HeapTuple *rows,
					int targrows, double *totalrows, double *totaldeadrows)
{
	FedTableInfo info;
	FedConn    *conn;
	FedConverter *cv;
	TupleDesc	tupdesc = RelationGetDescr(relation);
	MemoryContext rowcxt;
	MemoryContext old;
	ReservoirStateData rstate;
	List	   *attrs;
	Datum	   *values;
	bool	   *nulls;
	double		total;
	double		p;
	double		seen = 0;
	double		rowstoskip = -1;
	int			numrows = 0;
	int			owner;
	FedRow		row;
	char	   *sql;

	table_info(relation, &info);
	conn = fed_conn_get(info.server, info.user, true);
	if (sized_relid == RelationGetRelid(relation))
		total = sized_rows;
	else
		total = remote_rows(conn, &info);
	sized_relid = InvalidOid;

	p = total > 0 ? FED_SAMPLE_MARGIN * targrows / total : 1.0;
	sql = sample_sql(relation, &info, p, &attrs);
	cv = fed_convert_init(tupdesc, attrs, info.driver,
						  RelationGetRelationName(relation), NULL);
	values = palloc0(sizeof(Datum) * tupdesc->natts);
	nulls = palloc(sizeof(bool) * tupdesc->natts);
	rowcxt = AllocSetContextCreate(CurrentMemoryContext,
								   "federate analyze row",
								   ALLOCSET_SMALL_SIZES);
	reservoir_init_selection_state(&rstate, targrows);

	fed_conn_open(conn, sql, 0, NULL, Max(info.fetch_size, 1000), &owner, NULL);
	while (fed_conn_next_row(conn, &owner, &row))
	{
		HeapTuple	tuple;
		int			pos = -1;

		vacuum_delay_point();
		seen += 1;
		if (numrows < targrows)
			pos = numrows++;
		else
		{
			/* Vitter's algorithm: which rows replace one of the reservoir */
			if (rowstoskip < 0)
				rowstoskip = reservoir_get_next_S(&rstate, seen - 1, targrows);
			if (rowstoskip <= 0)
			{
				pos = (int) (targrows * sampler_random_fract(&rstate.randstate));
				Assert(pos >= 0 && pos < targrows);
				heap_freetuple(rows[pos]);
			}
			rowstoskip -= 1;
		}
		if (pos < 0)
			continue;

		old = MemoryContextSwitchTo(rowcxt);
		memset(nulls, true, sizeof(bool) * tupdesc->natts);
		fed_convert_row(cv, &row, values, nulls);
		MemoryContextSwitchTo(old);
		tuple = heap_form_tuple(tupdesc, values, nulls);
		rows[pos] = tuple;
		MemoryContextReset(rowcxt);
	}
	MemoryContextDelete(rowcxt);

	/* a table that grew since it was counted: at least what came */
	if (p >= 1.0)
		total = Max(total, seen);
	*totalrows = total;
	*totaldeadrows = 0;
	ereport(elevel,
			(errmsg("\"%s\": server \"%s\" has about %.0f rows; %d rows in sample, of %.0f sent",
					RelationGetRelationName(relation), info.server->servername,
					total, numrows, seen)));
	return numrows;
}

/*
 * AnalyzeForeignTable: the table's size (one round trip), in pages of an
 * average row width, so that ANALYZE of a partitioned table asks each
 * partition for its share of the sample.
 */
bool
fedAnalyzeForeignTable(Relation relation, AcquireSampleRowsFunc *func,
					   BlockNumber *totalpages)
{
	FedTableInfo info;
	FedConn    *conn;
	TupleDesc	tupdesc = RelationGetDescr(relation);
	double		width = MAXALIGN(SizeofHeapTupleHeader);
	double		pages;
	int			i;

	table_info(relation, &info);
	conn = fed_conn_get(info.server, info.user, true);
	sized_rows = remote_rows(conn, &info);
	sized_relid = RelationGetRelid(relation);

	for (i = 0; i < tupdesc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(tupdesc, i);

		if (!att->attisdropped)
			width += get_typavgwidth(att->atttypid, att->atttypmod);
	}
	pages = ceil(sized_rows * width / BLCKSZ);
	*totalpages = (BlockNumber) Min(Max(pages, 1), (double) MaxBlockNumber);
	*func = acquire_sample_rows;
	return true;
}

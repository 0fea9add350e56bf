/*-------------------------------------------------------------------------
 *
 * move.c
 *		The two steps of federate.move_partition() (its procedure is in the
 *		extension's script) that SQL cannot take: creating the target table
 *		on its server, in that engine's words, and switching a foreign table
 *		to another server in one catalog update.
 *
 * The procedure copies the rows into a staging foreign table on the target
 * server, catches up under a lock that blocks writes (not reads), verifies
 * both copies row by row, and only then calls federate._move_switch() in
 * the same transaction: the foreign table keeps its OID, columns, grants,
 * statistics and partition bounds, and takes the staging table's server
 * and remote name.  Until that commit every reader and writer uses the old
 * placement.
 *
 * src/catalog/move.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/reloptions.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/dependency.h"
#include "catalog/indexing.h"
#include "catalog/pg_foreign_server.h"
#include "catalog/pg_foreign_table.h"
#include "catalog/pg_type.h"
#include "commands/defrem.h"
#include "foreign/foreign.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"

#include "catalog/options.h"
#include "deparse/deparse.h"
#include "remote/remote.h"

PG_FUNCTION_INFO_V1(federate_move_create_table);
PG_FUNCTION_INFO_V1(federate_move_switch);
PG_FUNCTION_INFO_V1(federate_move_lock);

/*
 * federate._move_lock(partition regclass): block writes to the partition
 * until the end of the transaction, not reads (SHARE ROW EXCLUSIVE, which
 * also keeps a second move out; LOCK TABLE takes no foreign table).
 */
Datum
federate_move_lock(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_GETARG_OID(0);

	if (!pg_class_ownercheck(relid, GetUserId()))
		aclcheck_error(ACLCHECK_NOT_OWNER, OBJECT_FOREIGN_TABLE,
					   get_rel_name(relid));
	LockRelationOid(relid, ShareRowExclusiveLock);
	PG_RETURN_VOID();
}

/* The MySQL type of a column of PostgreSQL type typid (typmod), or NULL. */
static const char *
mysql_type(Oid typid, int32 typmod)
{
	switch (typid)
	{
		case INT2OID:
			return "SMALLINT";
		case INT4OID:
			return "INT";
		case INT8OID:
			return "BIGINT";
		case FLOAT4OID:
			return "FLOAT";
		case FLOAT8OID:
			return "DOUBLE";
		case BOOLOID:
			return "BOOLEAN";
		case NUMERICOID:
			if (typmod >= (int32) VARHDRSZ)
				return psprintf("DECIMAL(%d,%d)", ((typmod - VARHDRSZ) >> 16) & 0xffff,
								(typmod - VARHDRSZ) & 0xffff);
			return "DECIMAL(65,30)";
		case VARCHAROID:
			if (typmod >= (int32) VARHDRSZ)
				return psprintf("VARCHAR(%d)", typmod - VARHDRSZ);
			return "LONGTEXT";
		case BPCHAROID:
			if (typmod >= (int32) VARHDRSZ)
				return psprintf("CHAR(%d)", typmod - VARHDRSZ);
			return "CHAR(1)";
		case TEXTOID:
			return "LONGTEXT";
		case DATEOID:
			return "DATE";
		case TIMESTAMPOID:
		case TIMESTAMPTZOID:
			return "DATETIME(6)";
		case TIMEOID:
			return "TIME(6)";
		case BYTEAOID:
			return "LONGBLOB";
		case UUIDOID:
			return "CHAR(36)";
		case JSONOID:
		case JSONBOID:
			return "JSON";
		default:
			return NULL;
	}
}

/*
 * federate._move_create_table(staging regclass): create on the staging
 * foreign table's server the table it names, with its columns (their
 * remote names, in that engine's types) and its key columns as the
 * primary key.  Runs outside any remote transaction (MySQL's DDL commits
 * by itself).  Returns the statement sent.
 */
Datum
federate_move_create_table(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_GETARG_OID(0);
	FedTableInfo info;
	const FedDialect *dialect;
	Relation	rel;
	TupleDesc	tupdesc;
	StringInfoData sql;
	StringInfoData keys;
	FedConn    *conn;
	FedRow		row;
	int			owner;
	int			i;

	fed_table_info(relid, GetUserId(), &info);
	dialect = fed_dialect(info.driver);
	rel = table_open(relid, AccessShareLock);
	tupdesc = RelationGetDescr(rel);

	initStringInfo(&sql);
	initStringInfo(&keys);
	appendStringInfoString(&sql, "CREATE TABLE ");
	fed_deparse_relation(&sql, dialect, &info);
	appendStringInfoString(&sql, " (");
	for (i = 0; i < tupdesc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(tupdesc, i);
		const char *type;

		if (att->attisdropped)
			continue;
		if (info.driver == FED_DRIVER_MYSQL)
			type = mysql_type(att->atttypid, att->atttypmod);
		else
			type = format_type_with_typemod(att->atttypid, att->atttypmod);
		if (type == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("cannot create a column of type %s on MySQL server \"%s\"",
							format_type_be(att->atttypid), info.server->servername),
					 errhint("Create the table there yourself, and pass create => false.")));
		if (sql.data[sql.len - 1] != '(')
			appendStringInfoString(&sql, ", ");
		fed_deparse_column(&sql, dialect, relid, att->attnum);
		appendStringInfo(&sql, " %s%s", type, att->attnotnull ? " NOT NULL" : "");
		if (fed_column_is_key(relid, att->attnum))
		{
			if (keys.len > 0)
				appendStringInfoString(&keys, ", ");
			fed_deparse_column(&keys, dialect, relid, att->attnum);
		}
	}
	if (keys.len > 0)
		appendStringInfo(&sql, ", PRIMARY KEY (%s)", keys.data);
	appendStringInfoChar(&sql, ')');
	table_close(rel, AccessShareLock);

	conn = fed_conn_get_alone(info.server, info.user);
	fed_conn_open_alone(conn, sql.data, 0, NULL, &owner);
	while (fed_conn_next_row(conn, &owner, &row))
		;
	PG_RETURN_TEXT_P(cstring_to_text(sql.data));
}

/* The options of a foreign table but those naming its remote table. */
static List *
placement_free_options(List *options)
{
	List	   *out = NIL;
	ListCell   *lc;

	foreach(lc, options)
	{
		DefElem    *d = lfirst(lc);

		if (strcmp(d->defname, "schema_name") != 0 &&
			strcmp(d->defname, "table_name") != 0)
			out = lappend(out, d);
	}
	return out;
}

/*
 * federate._move_switch(partition regclass, staging regclass): the
 * partition now reads and writes the staging foreign table's server and
 * remote table (its other options kept), in one catalog update; its OID,
 * columns, grants, statistics and partition bounds stay.  The caller holds
 * a lock that blocks writes to it, and has verified the copies.
 */
Datum
federate_move_switch(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_GETARG_OID(0);
	Oid			staging = PG_GETARG_OID(1);
	ForeignTable *from = GetForeignTable(relid);
	ForeignTable *to = GetForeignTable(staging);
	List	   *options;
	ListCell   *lc;
	Relation	ftrel;
	HeapTuple	tup;
	HeapTuple	newtup;
	Datum		values[Natts_pg_foreign_table] = {0};
	bool		nulls[Natts_pg_foreign_table] = {0};
	bool		replaces[Natts_pg_foreign_table] = {0};
	Datum		optarray;

	if (!pg_class_ownercheck(relid, GetUserId()))
		aclcheck_error(ACLCHECK_NOT_OWNER, OBJECT_FOREIGN_TABLE,
					   get_rel_name(relid));

	options = placement_free_options(from->options);
	foreach(lc, to->options)
	{
		DefElem    *d = lfirst(lc);

		if (strcmp(d->defname, "schema_name") == 0 ||
			strcmp(d->defname, "table_name") == 0)
			options = lappend(options, d);
	}
	optarray = transformGenericOptions(ForeignTableRelationId, (Datum) 0,
									   options, InvalidOid);

	ftrel = table_open(ForeignTableRelationId, RowExclusiveLock);
	tup = SearchSysCacheCopy1(FOREIGNTABLEREL, ObjectIdGetDatum(relid));
	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for foreign table %u", relid);
	values[Anum_pg_foreign_table_ftserver - 1] = ObjectIdGetDatum(to->serverid);
	replaces[Anum_pg_foreign_table_ftserver - 1] = true;
	if (DatumGetPointer(optarray) != NULL)
		values[Anum_pg_foreign_table_ftoptions - 1] = optarray;
	else
		nulls[Anum_pg_foreign_table_ftoptions - 1] = true;
	replaces[Anum_pg_foreign_table_ftoptions - 1] = true;
	newtup = heap_modify_tuple(tup, RelationGetDescr(ftrel), values, nulls,
							   replaces);
	CatalogTupleUpdate(ftrel, &newtup->t_self, newtup);
	table_close(ftrel, RowExclusiveLock);

	if (changeDependencyFor(RelationRelationId, relid,
							ForeignServerRelationId, from->serverid,
							to->serverid) != 1)
		elog(ERROR, "federate: foreign table %u had no dependency on its server",
			 relid);
	CacheInvalidateRelcacheByRelid(relid);
	CommandCounterIncrement();
	PG_RETURN_VOID();
}

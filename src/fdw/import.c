/*-------------------------------------------------------------------------
 *
 * import.c
 *		IMPORT FOREIGN SCHEMA for PostgreSQL and MySQL servers.
 *
 * One catalog query per import reads every column of every table in the
 * remote schema (for MySQL, the database); LIMIT TO and EXCEPT are applied
 * here, comparing names exactly as PostgreSQL does (MySQL would compare
 * them without regard to case).  Column names are kept; each column gets
 * option column_name, and the columns of the remote primary key get
 * option key 'true', which UPDATE and DELETE use to identify rows.
 *
 * MySQL types map as follows: tinyint(1) and bit(1) to boolean; other
 * integers to the smallest PostgreSQL integer that holds them (unsigned
 * bigint to numeric(20,0)); decimal(p,s) to numeric(p,s); float to real;
 * double to double precision; char(n), varchar(n) and the text types to
 * character(n), varchar(n) and text; binary types and blobs to bytea;
 * date, datetime, timestamp and time to date, timestamp, timestamptz and
 * time; year to smallint; json to json; uuid to uuid; anything else
 * (enum, set, geometry ...) to text.  PostgreSQL types keep their names;
 * types outside pg_catalog become text.
 *
 * src/fdw/import.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "nodes/parsenodes.h"
#include "miscadmin.h"
#include "utils/builtins.h"

#include "deparse/deparse.h"
#include "fdw/fdw.h"

typedef struct ImportColumn
{
	char	   *table;
	char	   *column;
	char	   *type;			/* PostgreSQL type text */
	bool		notnull;
	bool		key;
} ImportColumn;

static const char *pg_columns_sql =
"SELECT c.relname, a.attname, "
"CASE WHEN t.typnamespace = 'pg_catalog'::regnamespace "
"THEN format_type(a.atttypid, a.atttypmod) ELSE 'text' END, "
"a.attnotnull, "
"EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid "
"AND i.indisprimary AND a.attnum = ANY (i.indkey)) "
"FROM pg_class c "
"JOIN pg_namespace n ON n.oid = c.relnamespace "
"JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped "
"JOIN pg_type t ON t.oid = a.atttypid "
"WHERE n.nspname = $1 AND c.relkind IN ('r', 'v', 'f', 'm', 'p') "
"AND NOT c.relispartition "
"ORDER BY c.relname, a.attnum";

static char *
mysql_type(const char *data_type, const char *column_type,
		   const char *precision, const char *scale, const char *length)
{
	bool		is_unsigned = strstr(column_type, "unsigned") != NULL;

	if (strcmp(data_type, "tinyint") == 0)
		return strncmp(column_type, "tinyint(1)", 10) == 0 ? "boolean" : "smallint";
	if (strcmp(data_type, "smallint") == 0)
		return is_unsigned ? "integer" : "smallint";
	if (strcmp(data_type, "mediumint") == 0)
		return "integer";
	if (strcmp(data_type, "int") == 0 || strcmp(data_type, "integer") == 0)
		return is_unsigned ? "bigint" : "integer";
	if (strcmp(data_type, "bigint") == 0)
		return is_unsigned ? "numeric(20,0)" : "bigint";
	if (strcmp(data_type, "decimal") == 0 || strcmp(data_type, "numeric") == 0)
		return (precision && scale) ? psprintf("numeric(%s,%s)", precision, scale) : "numeric";
	if (strcmp(data_type, "float") == 0)
		return "real";
	if (strcmp(data_type, "double") == 0 || strcmp(data_type, "real") == 0)
		return "double precision";
	if (strcmp(data_type, "bit") == 0)
		return strcmp(column_type, "bit(1)") == 0 ? "boolean" : "bytea";
	if (strcmp(data_type, "char") == 0)
		return length ? psprintf("character(%s)", length) : "text";
	if (strcmp(data_type, "varchar") == 0)
		return length ? psprintf("character varying(%s)", length) : "text";
	if (strstr(data_type, "text") != NULL)
		return "text";
	if (strstr(data_type, "binary") != NULL || strstr(data_type, "blob") != NULL)
		return "bytea";
	if (strcmp(data_type, "date") == 0)
		return "date";
	if (strcmp(data_type, "datetime") == 0)
		return "timestamp without time zone";
	if (strcmp(data_type, "timestamp") == 0)
		return "timestamp with time zone";
	if (strcmp(data_type, "time") == 0)
		return "time without time zone";
	if (strcmp(data_type, "year") == 0)
		return "smallint";
	if (strcmp(data_type, "json") == 0)
		return "json";
	if (strcmp(data_type, "uuid") == 0)
		return "uuid";
	if (strcmp(data_type, "inet4") == 0 || strcmp(data_type, "inet6") == 0)
		return "inet";
	return "text";
}

static bool
wanted(ImportForeignSchemaStmt *stmt, const char *table)
{
	ListCell   *lc;
	bool		listed = false;

	if (stmt->list_type == FDW_IMPORT_SCHEMA_ALL)
		return true;
	foreach(lc, stmt->table_list)
	{
		if (strcmp(((RangeVar *) lfirst(lc))->relname, table) == 0)
			listed = true;
	}
	return stmt->list_type == FDW_IMPORT_SCHEMA_LIMIT_TO ? listed : !listed;
}

static List *
read_columns(FedConn *conn, FedDriverKind driver, const char *schema,
			 const char *servername)
{
	List	   *cols = NIL;
	FedRow		row;
	StringInfoData sql;
	const char *params[1];
	int			nparams = 0;
	int			dummy;
	bool		exists;

	/* does the schema exist? (otherwise the import silently does nothing) */
	initStringInfo(&sql);
	if (driver == FED_DRIVER_POSTGRES)
	{
		appendStringInfoString(&sql, "SELECT 1 FROM pg_namespace WHERE nspname = $1");
		params[0] = schema;
		nparams = 1;
	}
	else
	{
		appendStringInfoString(&sql, "SELECT 1 FROM information_schema.SCHEMATA WHERE CAST(SCHEMA_NAME AS BINARY) = CAST(");
		fed_dialect_mysql.append_value(&sql, TEXTOID, CStringGetTextDatum(schema));
		appendStringInfoString(&sql, " AS BINARY)");
	}
	fed_conn_open(conn, sql.data, nparams, params, 0, &dummy, NULL);
	exists = fed_conn_next_row(conn, &dummy, &row);
	while (exists && fed_conn_next_row(conn, &dummy, &row))
		;
	if (!exists)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_SCHEMA_NOT_FOUND),
				 errmsg("schema \"%s\" is not present on foreign server \"%s\"",
						schema, servername)));

	resetStringInfo(&sql);
	if (driver == FED_DRIVER_POSTGRES)
		appendStringInfoString(&sql, pg_columns_sql);
	else
	{
		appendStringInfoString(&sql,
							   "SELECT TABLE_NAME, COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, "
							   "IS_NULLABLE, COLUMN_KEY, NUMERIC_PRECISION, NUMERIC_SCALE, "
							   "CHARACTER_MAXIMUM_LENGTH "
							   "FROM information_schema.COLUMNS "
							   "WHERE CAST(TABLE_SCHEMA AS BINARY) = CAST(");
		fed_dialect_mysql.append_value(&sql, TEXTOID, CStringGetTextDatum(schema));
		appendStringInfoString(&sql, " AS BINARY) "
							   "ORDER BY CAST(TABLE_NAME AS BINARY), ORDINAL_POSITION");
	}
	fed_conn_open(conn, sql.data, nparams, params, 1000, &dummy, NULL);
	while (fed_conn_next_row(conn, &dummy, &row))
	{
		ImportColumn *c = palloc0(sizeof(ImportColumn));

		c->table = pstrdup(row.values[0]);
		c->column = pstrdup(row.values[1]);
		if (driver == FED_DRIVER_POSTGRES)
		{
			c->type = pstrdup(row.values[2]);
			c->notnull = strcmp(row.values[3], "t") == 0;
			c->key = strcmp(row.values[4], "t") == 0;
		}
		else
		{
			c->type = pstrdup(mysql_type(row.values[2], row.values[3],
										 row.values[6], row.values[7],
										 row.values[8]));
			c->notnull = strcmp(row.values[4], "NO") == 0;
			c->key = strcmp(row.values[5], "PRI") == 0;
		}
		cols = lappend(cols, c);
	}
	return cols;
}

List *
fedImportForeignSchema(ImportForeignSchemaStmt *stmt, Oid serverOid)
{
	ForeignServer *server = GetForeignServer(serverOid);
	UserMapping *user = GetUserMapping(GetUserId(), serverOid);
	FedDriverKind driver = fed_server_driver(server);
	FedConn    *conn = fed_conn_get(server, user, true);
	List	   *cols = read_columns(conn, driver, stmt->remote_schema,
									server->servername);
	List	   *commands = NIL;
	StringInfoData buf;
	char	   *current = NULL;
	ListCell   *lc;

	initStringInfo(&buf);
	foreach(lc, cols)
	{
		ImportColumn *c = lfirst(lc);

		if (!wanted(stmt, c->table))
			continue;
		if (current == NULL || strcmp(current, c->table) != 0)
		{
			if (current != NULL)
			{
				appendStringInfo(&buf, "\n) SERVER %s OPTIONS (schema_name %s, table_name %s)",
								 quote_identifier(server->servername),
								 quote_literal_cstr(stmt->remote_schema),
								 quote_literal_cstr(current));
				commands = lappend(commands, pstrdup(buf.data));
			}
			resetStringInfo(&buf);
			appendStringInfo(&buf, "CREATE FOREIGN TABLE %s (\n",
							 quote_identifier(c->table));
			current = c->table;
		}
		else
			appendStringInfoString(&buf, ",\n");
		appendStringInfo(&buf, "  %s %s OPTIONS (column_name %s%s)%s",
						 quote_identifier(c->column), c->type,
						 quote_literal_cstr(c->column),
						 c->key ? ", key 'true'" : "",
						 c->notnull ? " NOT NULL" : "");
	}
	if (current != NULL)
	{
		appendStringInfo(&buf, "\n) SERVER %s OPTIONS (schema_name %s, table_name %s)",
						 quote_identifier(server->servername),
						 quote_literal_cstr(stmt->remote_schema),
						 quote_literal_cstr(current));
		commands = lappend(commands, pstrdup(buf.data));
	}
	return commands;
}

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
 * date, datetime and timestamp to date, timestamp and timestamptz; time
 * to interval (MySQL's TIME is a duration, -838:59:59 to 838:59:59); year
 * to smallint; json to json; uuid to uuid; anything else (enum, set,
 * geometry ...) to text.  PostgreSQL types keep their names; types outside
 * pg_catalog, or unknown here, become text.
 *
 * Nothing a remote catalog says is pasted into the CREATE FOREIGN TABLE
 * commands: names are quoted, and a type is written here from what this
 * server knows (a pg_catalog type looked up by name, a MySQL type by the
 * table above) and from lengths, precisions and scales checked to be
 * valid for it; an invalid one leaves the type unconstrained (numeric,
 * text).
 *
 * src/fdw/import.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_type.h"
#include "mb/pg_wchar.h"
#include "nodes/parsenodes.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"
#include "utils/varbit.h"

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
"THEN t.typname END, a.atttypmod, "
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

/*
 * A non-negative integer from a remote catalog's text, at most max; -1 if
 * the text is anything else (NULL included).
 */
static int
catalog_int(const char *s, int max)
{
	long		v = 0;
	const char *p;

	if (s == NULL || *s == '\0')
		return -1;
	for (p = s; *p; p++)
	{
		if (*p < '0' || *p > '9')
			return -1;
		v = v * 10 + (*p - '0');
		if (v > max)
			return -1;
	}
	return (int) v;
}

/*
 * The PostgreSQL type for a MySQL column, from information_schema.COLUMNS:
 * DATA_TYPE, COLUMN_TYPE, NUMERIC_PRECISION, NUMERIC_SCALE and
 * CHARACTER_MAXIMUM_LENGTH.  A precision, scale or length this server's
 * type cannot take gives the unconstrained type.
 */
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
	{
		int			p = catalog_int(precision, NUMERIC_MAX_PRECISION);
		int			s = catalog_int(scale, NUMERIC_MAX_PRECISION);

		if (p >= 1 && s >= 0 && s <= p)
			return psprintf("numeric(%d,%d)", p, s);
		return "numeric";
	}
	if (strcmp(data_type, "float") == 0)
		return "real";
	if (strcmp(data_type, "double") == 0 || strcmp(data_type, "real") == 0)
		return "double precision";
	if (strcmp(data_type, "bit") == 0)
		return strcmp(column_type, "bit(1)") == 0 ? "boolean" : "bytea";
	if (strcmp(data_type, "char") == 0 || strcmp(data_type, "varchar") == 0)
	{
		/* MySQL has CHAR(0) and VARCHAR(0); PostgreSQL's lengths start at 1 */
		int			n = catalog_int(length, MaxAttrSize);

		if (n < 1)
			return "text";
		return psprintf(data_type[0] == 'c' ? "character(%d)" :
						"character varying(%d)", n);
	}
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
		return "interval";
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

/*
 * May a column of type typid (an array: of its elements) have this
 * typmod here?  -1 always; otherwise what each type's typmod input
 * function would accept.  Types whose typmods are not known here take
 * none.
 */
static bool
pg_typmod_ok(Oid typid, int32 typmod)
{
	Oid			elem = get_element_type(typid);

	if (typmod == -1)
		return true;
	if (typmod < 0)
		return false;
	switch (OidIsValid(elem) ? elem : typid)
	{
		case NUMERICOID:
			{
				int32		tm = typmod - VARHDRSZ;
				int			precision = (tm >> 16) & 0xffff;
				int			scale = ((tm & 0x7ff) ^ 1024) - 1024;

				return typmod >= VARHDRSZ &&
					tm == ((precision << 16) | (scale & 0x7ff)) &&
					precision >= 1 && precision <= NUMERIC_MAX_PRECISION &&
					scale >= NUMERIC_MIN_SCALE && scale <= NUMERIC_MAX_SCALE;
			}
		case BPCHAROID:
		case VARCHAROID:
			return typmod >= VARHDRSZ + 1 && typmod - VARHDRSZ <= MaxAttrSize;
		case BITOID:
		case VARBITOID:
			return typmod >= 1 && typmod <= VARBITMAXLEN;
		case TIMEOID:
		case TIMETZOID:
			return typmod <= MAX_TIME_PRECISION;
		case TIMESTAMPOID:
		case TIMESTAMPTZOID:
			return typmod <= MAX_TIMESTAMP_PRECISION;
		case INTERVALOID:
			{
				int			precision = INTERVAL_PRECISION(typmod);
				int			range = INTERVAL_RANGE(typmod);
				static const int ranges[] = {
					INTERVAL_MASK(YEAR), INTERVAL_MASK(MONTH),
					INTERVAL_MASK(DAY), INTERVAL_MASK(HOUR),
					INTERVAL_MASK(MINUTE), INTERVAL_MASK(SECOND),
					INTERVAL_MASK(YEAR) | INTERVAL_MASK(MONTH),
					INTERVAL_MASK(DAY) | INTERVAL_MASK(HOUR),
					INTERVAL_MASK(DAY) | INTERVAL_MASK(HOUR) | INTERVAL_MASK(MINUTE),
					INTERVAL_MASK(DAY) | INTERVAL_MASK(HOUR) | INTERVAL_MASK(MINUTE) |
					INTERVAL_MASK(SECOND),
					INTERVAL_MASK(HOUR) | INTERVAL_MASK(MINUTE),
					INTERVAL_MASK(HOUR) | INTERVAL_MASK(MINUTE) | INTERVAL_MASK(SECOND),
					INTERVAL_MASK(MINUTE) | INTERVAL_MASK(SECOND),
					INTERVAL_FULL_RANGE
				};
				int			i;

				if ((typmod >> 16) > INTERVAL_RANGE_MASK ||
					(precision > MAX_INTERVAL_PRECISION &&
					 precision != INTERVAL_FULL_PRECISION))
					return false;
				for (i = 0; i < lengthof(ranges); i++)
				{
					if (range == ranges[i])
						return true;
				}
				return false;
			}
		default:
			return false;
	}
}

/*
 * The type of a PostgreSQL column, written by this server: the pg_catalog
 * type of that name (NULL: the remote type is not in pg_catalog) with the
 * remote typmod if valid here; text if there is no such type here.
 */
static char *
pg_type(const char *typname, const char *typmod_text)
{
	Oid			typid;
	int32		typmod = -1;
	char	   *end;
	long		v;

	if (typname == NULL)
		return "text";
	typid = GetSysCacheOid2(TYPENAMENSP, Anum_pg_type_oid,
							CStringGetDatum(typname),
							ObjectIdGetDatum(PG_CATALOG_NAMESPACE));
	if (!OidIsValid(typid) || get_typtype(typid) == TYPTYPE_PSEUDO ||
		!get_typisdefined(typid))
		return "text";
	if (typmod_text == NULL)
		typmod_text = "";
	errno = 0;
	v = strtol(typmod_text, &end, 10);
	if (errno == 0 && end != typmod_text && *end == '\0' &&
		v >= PG_INT32_MIN && v <= PG_INT32_MAX && pg_typmod_ok(typid, (int32) v))
		typmod = (int32) v;
	return format_type_extended(typid, typmod, FORMAT_TYPE_TYPEMOD_GIVEN);
}

/* A name from a remote catalog, checked to be valid in our encoding */
static char *
catalog_name(const char *name)
{
	pg_verifymbstr(name, strlen(name), false);
	return pstrdup(name);
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

		if (row.ncols != (driver == FED_DRIVER_POSTGRES ? 6 : 9) ||
			row.values[0] == NULL || row.values[1] == NULL ||
			row.values[4] == NULL || row.values[5] == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_ERROR),
					 errmsg("unexpected answer to the catalog query of IMPORT FOREIGN SCHEMA from server \"%s\"",
							servername)));
		c->table = catalog_name(row.values[0]);
		c->column = catalog_name(row.values[1]);
		if (driver == FED_DRIVER_POSTGRES)
		{
			c->type = pg_type(row.values[2], row.values[3]);
			c->notnull = strcmp(row.values[4], "t") == 0;
			c->key = strcmp(row.values[5], "t") == 0;
		}
		else
		{
			c->type = pstrdup(mysql_type(row.values[2] ? row.values[2] : "",
										 row.values[3] ? row.values[3] : "",
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

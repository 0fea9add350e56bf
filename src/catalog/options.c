/*-------------------------------------------------------------------------
 *
 * options.c
 *		The option table, the foreign data wrapper validator and typed
 *		access to the options of servers, user mappings, tables and columns.
 *
 * Every option federate accepts is one row of fed_options[]: its keyword,
 * the catalog it may be given in, and the drivers that use it.  The
 * validator rejects anything else at CREATE/ALTER time with a hint that
 * lists what is valid there; values are checked there too, so that a bad
 * port or fetch_size never reaches a connection attempt.
 *
 * Option values are never echoed in messages: a password must not leak.
 *
 * src/catalog/options.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/reloptions.h"
#include "catalog/pg_foreign_server.h"
#include "catalog/pg_foreign_table.h"
#include "catalog/pg_user_mapping.h"
#include "catalog/pg_attribute.h"
#include "catalog/pg_foreign_data_wrapper.h"
#include "commands/defrem.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"
#include "utils/varlena.h"

#include "federate.h"

#define FED_PG		(1 << FED_DRIVER_POSTGRES)
#define FED_MY		(1 << FED_DRIVER_MYSQL)
#define FED_ANY		(FED_PG | FED_MY)

typedef enum FedOptionKind
{
	FED_OPT_STRING,				/* any text */
	FED_OPT_POSINT,				/* integer > 0 */
	FED_OPT_NONNEGINT,			/* integer >= 0 */
	FED_OPT_PORT,				/* 1 .. 65535 */
	FED_OPT_BOOL,				/* anything parse_bool accepts */
	FED_OPT_DRIVER				/* "postgres" or "mysql" */
} FedOptionKind;

typedef struct FedOption
{
	const char *keyword;
	Oid			catalog;		/* where it may appear */
	int			drivers;		/* FED_PG, FED_MY or both */
	bool		connection;		/* handed to the driver when connecting */
	FedOptionKind kind;
} FedOption;

static const FedOption fed_options[] = {
	/* server: what federate itself reads */
	{"driver", ForeignServerRelationId, FED_ANY, false, FED_OPT_DRIVER},
	{"fetch_size", ForeignServerRelationId, FED_ANY, false, FED_OPT_POSINT},
	{"batch_size", ForeignServerRelationId, FED_ANY, false, FED_OPT_POSINT},
	{"statement_timeout", ForeignServerRelationId, FED_ANY, false, FED_OPT_NONNEGINT},
	{"replica", ForeignServerRelationId, FED_ANY, false, FED_OPT_STRING},
	{"connection_budget", ForeignServerRelationId, FED_ANY, false, FED_OPT_NONNEGINT},
	{"insert_with_copy", ForeignServerRelationId, FED_PG, false, FED_OPT_BOOL},

	/* server: connection, both drivers */
	{"host", ForeignServerRelationId, FED_ANY, true, FED_OPT_STRING},
	{"port", ForeignServerRelationId, FED_ANY, true, FED_OPT_PORT},
	{"dbname", ForeignServerRelationId, FED_ANY, true, FED_OPT_STRING},
	{"connect_timeout", ForeignServerRelationId, FED_ANY, true, FED_OPT_NONNEGINT},
	{"application_name", ForeignServerRelationId, FED_ANY, true, FED_OPT_STRING},

	/* server: libpq's own connection options */
	{"hostaddr", ForeignServerRelationId, FED_PG, true, FED_OPT_STRING},
	{"options", ForeignServerRelationId, FED_PG, true, FED_OPT_STRING},
	{"sslmode", ForeignServerRelationId, FED_PG, true, FED_OPT_STRING},
	{"sslcompression", ForeignServerRelationId, FED_PG, true, FED_OPT_STRING},
	{"sslcert", ForeignServerRelationId, FED_PG, true, FED_OPT_STRING},
	{"sslkey", ForeignServerRelationId, FED_PG, true, FED_OPT_STRING},
	{"sslrootcert", ForeignServerRelationId, FED_PG, true, FED_OPT_STRING},
	{"sslcrl", ForeignServerRelationId, FED_PG, true, FED_OPT_STRING},
	{"sslcrldir", ForeignServerRelationId, FED_PG, true, FED_OPT_STRING},
	{"sslsni", ForeignServerRelationId, FED_PG, true, FED_OPT_STRING},
	{"ssl_min_protocol_version", ForeignServerRelationId, FED_PG, true, FED_OPT_STRING},
	{"ssl_max_protocol_version", ForeignServerRelationId, FED_PG, true, FED_OPT_STRING},
	{"requirepeer", ForeignServerRelationId, FED_PG, true, FED_OPT_STRING},
	{"gssencmode", ForeignServerRelationId, FED_PG, true, FED_OPT_STRING},
	{"krbsrvname", ForeignServerRelationId, FED_PG, true, FED_OPT_STRING},
	{"gsslib", ForeignServerRelationId, FED_PG, true, FED_OPT_STRING},
	{"keepalives", ForeignServerRelationId, FED_PG, true, FED_OPT_STRING},
	{"keepalives_idle", ForeignServerRelationId, FED_PG, true, FED_OPT_STRING},
	{"keepalives_interval", ForeignServerRelationId, FED_PG, true, FED_OPT_STRING},
	{"keepalives_count", ForeignServerRelationId, FED_PG, true, FED_OPT_STRING},
	{"tcp_user_timeout", ForeignServerRelationId, FED_PG, true, FED_OPT_STRING},
	{"target_session_attrs", ForeignServerRelationId, FED_PG, true, FED_OPT_STRING},

	/* server: MariaDB Connector/C's TLS options */
	{"ssl_ca", ForeignServerRelationId, FED_MY, true, FED_OPT_STRING},
	{"ssl_capath", ForeignServerRelationId, FED_MY, true, FED_OPT_STRING},
	{"ssl_cert", ForeignServerRelationId, FED_MY, true, FED_OPT_STRING},
	{"ssl_key", ForeignServerRelationId, FED_MY, true, FED_OPT_STRING},
	{"ssl_cipher", ForeignServerRelationId, FED_MY, true, FED_OPT_STRING},
	{"ssl_verify_server_cert", ForeignServerRelationId, FED_MY, true, FED_OPT_BOOL},

	/* user mapping */
	{"user", UserMappingRelationId, FED_ANY, true, FED_OPT_STRING},
	{"password", UserMappingRelationId, FED_ANY, true, FED_OPT_STRING},
	{"password_required", UserMappingRelationId, FED_ANY, false, FED_OPT_BOOL},

	/* foreign table */
	{"schema_name", ForeignTableRelationId, FED_ANY, false, FED_OPT_STRING},
	{"table_name", ForeignTableRelationId, FED_ANY, false, FED_OPT_STRING},
	{"fetch_size", ForeignTableRelationId, FED_ANY, false, FED_OPT_POSINT},
	{"batch_size", ForeignTableRelationId, FED_ANY, false, FED_OPT_POSINT},
	{"copies", ForeignTableRelationId, FED_ANY, false, FED_OPT_STRING},
	{"insert_with_copy", ForeignTableRelationId, FED_PG, false, FED_OPT_BOOL},

	/* column */
	{"column_name", AttributeRelationId, FED_ANY, false, FED_OPT_STRING},
	{"key", AttributeRelationId, FED_ANY, false, FED_OPT_BOOL},

	{NULL, InvalidOid, 0, false, FED_OPT_STRING}
};

PG_FUNCTION_INFO_V1(federate_validator);

static const char *
catalog_name(Oid catalog)
{
	switch (catalog)
	{
		case ForeignServerRelationId:
			return "server";
		case UserMappingRelationId:
			return "user mapping";
		case ForeignTableRelationId:
			return "foreign table";
		case AttributeRelationId:
			return "column";
		default:
			return "foreign-data wrapper";
	}
}

const char *
fed_driver_name(FedDriverKind kind)
{
	return kind == FED_DRIVER_MYSQL ? "mysql" : "postgres";
}

static bool
parse_driver(const char *value, FedDriverKind *kind)
{
	if (strcmp(value, "postgres") == 0 || strcmp(value, "postgresql") == 0)
		*kind = FED_DRIVER_POSTGRES;
	else if (strcmp(value, "mysql") == 0 || strcmp(value, "mariadb") == 0)
		*kind = FED_DRIVER_MYSQL;
	else
		return false;
	return true;
}

/* A boolean option's value (checked by check_value) */
static bool
option_true(const char *value)
{
	bool		b = false;

	return parse_bool(value, &b) && b;
}

/* The valid keywords for a catalog and driver, for an error hint. */
static char *
valid_option_list(Oid catalog, int drivers)
{
	StringInfoData buf;
	const FedOption *opt;

	initStringInfo(&buf);
	for (opt = fed_options; opt->keyword; opt++)
	{
		if (opt->catalog != catalog || (opt->drivers & drivers) == 0)
			continue;
		if (buf.len > 0)
			appendStringInfoString(&buf, ", ");
		appendStringInfoString(&buf, opt->keyword);
	}
	return buf.data;
}

static void
check_value(const FedOption *opt, DefElem *def)
{
	char	   *value = defGetString(def);
	bool		ok = true;
	const char *hint = NULL;

	switch (opt->kind)
	{
		case FED_OPT_STRING:
			break;
		case FED_OPT_POSINT:
		case FED_OPT_NONNEGINT:
		case FED_OPT_PORT:
			{
				char	   *end;
				long		v;

				errno = 0;
				v = strtol(value, &end, 10);
				if (errno != 0 || end == value || *end != '\0' ||
					v > INT_MAX ||
					(opt->kind == FED_OPT_POSINT && v <= 0) ||
					(opt->kind == FED_OPT_NONNEGINT && v < 0) ||
					(opt->kind == FED_OPT_PORT && (v < 1 || v > 65535)))
				{
					ok = false;
					hint = opt->kind == FED_OPT_PORT ?
						"Valid values are integers from 1 to 65535." :
						opt->kind == FED_OPT_POSINT ?
						"Valid values are positive integers." :
						"Valid values are integers greater than or equal to zero.";
				}
				break;
			}
		case FED_OPT_BOOL:
			{
				bool		b;

				if (!parse_bool(value, &b))
				{
					ok = false;
					hint = "Valid values are true and false.";
				}
				break;
			}
		case FED_OPT_DRIVER:
			{
				FedDriverKind k;

				if (!parse_driver(value, &k))
				{
					ok = false;
					hint = "Valid values are \"postgres\" and \"mysql\".";
				}
				break;
			}
	}

	if (!ok)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
				 errmsg("invalid value for option \"%s\": \"%s\"",
						opt->keyword, value),
				 errhint("%s", hint)));
}

/*
 * The validator: called for every CREATE/ALTER of the wrapper, a server, a
 * user mapping, a foreign table and a column's options, with the complete
 * resulting option list.
 */
Datum
federate_validator(PG_FUNCTION_ARGS)
{
	List	   *options = untransformRelOptions(PG_GETARG_DATUM(0));
	Oid			catalog = PG_GETARG_OID(1);
	int			drivers = FED_ANY;
	const char *driver_name = NULL;
	ListCell   *lc;

	/* On a server, the driver decides which connection options are valid. */
	if (catalog == ForeignServerRelationId)
	{
		FedDriverKind kind = FED_DRIVER_POSTGRES;

		foreach(lc, options)
		{
			DefElem    *def = (DefElem *) lfirst(lc);

			if (strcmp(def->defname, "driver") == 0)
			{
				check_value(&fed_options[0], def);
				parse_driver(defGetString(def), &kind);
			}
		}
		drivers = 1 << kind;
		driver_name = fed_driver_name(kind);
	}

	foreach(lc, options)
	{
		DefElem    *def = (DefElem *) lfirst(lc);
		const FedOption *opt;
		const FedOption *found = NULL;
		bool		other_driver = false;

		for (opt = fed_options; opt->keyword; opt++)
		{
			if (opt->catalog != catalog || strcmp(opt->keyword, def->defname) != 0)
				continue;
			if (opt->drivers & drivers)
			{
				found = opt;
				break;
			}
			other_driver = true;
		}

		if (found == NULL)
		{
			if (other_driver)
				ereport(ERROR,
						(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
						 errmsg("option \"%s\" is not valid for driver \"%s\"",
								def->defname, driver_name),
						 errhint("Valid options for driver \"%s\" are: %s.",
								 driver_name,
								 valid_option_list(catalog, drivers))));
			else if (catalog == ForeignDataWrapperRelationId)
				ereport(ERROR,
						(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
						 errmsg("invalid option \"%s\"", def->defname),
						 errhint("The foreign-data wrapper \"federate\" takes no options.")));
			else if (strcmp(def->defname, "user") == 0 ||
					 strcmp(def->defname, "password") == 0)
				ereport(ERROR,
						(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
						 errmsg("invalid option \"%s\"", def->defname),
						 errhint("Set \"%s\" in a user mapping, not in the %s.",
								 def->defname, catalog_name(catalog))));
			else
				ereport(ERROR,
						(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
						 errmsg("invalid option \"%s\"", def->defname),
						 errhint("Valid options in this context are: %s.",
								 valid_option_list(catalog, drivers))));
		}
		check_value(found, def);

		/*
		 * As in postgres_fdw: only a superuser may turn the password rule
		 * off, and so only a superuser may change a mapping where it is
		 * off (the validator sees the whole new option list, not the old).
		 */
		if (catalog == UserMappingRelationId &&
			strcmp(def->defname, "password_required") == 0 &&
			!option_true(defGetString(def)) && !superuser())
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("password_required=false is superuser-only"),
					 errhint("User mappings with the password_required option set to false may only be created or modified by the superuser.")));
	}

	PG_RETURN_VOID();
}

/* Look up an option in a DefElem list; NULL when absent. */
static char *
find_option(List *options, const char *name)
{
	ListCell   *lc;

	foreach(lc, options)
	{
		DefElem    *def = (DefElem *) lfirst(lc);

		if (strcmp(def->defname, name) == 0)
			return defGetString(def);
	}
	return NULL;
}

int
fed_int_option(List *options, const char *name, int dflt)
{
	char	   *v = find_option(options, name);

	return v ? atoi(v) : dflt;
}

/* The statement timeout (ms, 0 = none) of statements sent to server. */
int
fed_server_statement_timeout(ForeignServer *server)
{
	return fed_int_option(server->options, "statement_timeout",
						  fed_statement_timeout);
}

/*
 * The servers (names) that hold a reference table's copies besides its
 * own server: option "copies", a comma-separated list.
 */
List *
fed_table_copies(ForeignTable *table)
{
	char	   *v = find_option(table->options, "copies");
	List	   *names = NIL;

	if (v == NULL || !SplitIdentifierString(pstrdup(v), ',', &names))
		return NIL;
	return names;
}

/* The name of server's replica, or NULL. */
char *
fed_server_replica(ForeignServer *server)
{
	return find_option(server->options, "replica");
}

FedDriverKind
fed_server_driver(ForeignServer *server)
{
	char	   *v = find_option(server->options, "driver");
	FedDriverKind kind = FED_DRIVER_POSTGRES;

	if (v && !parse_driver(v, &kind))
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
				 errmsg("invalid value for option \"driver\": \"%s\"", v),
				 errhint("Valid values are \"postgres\" and \"mysql\".")));
	return kind;
}

/*
 * Fill *info for a federate foreign table, as seen by the current user.
 */
void
fed_table_info(Oid relid, Oid userid, FedTableInfo *info)
{
	char	   *v;

	info->relid = relid;
	info->userid = OidIsValid(userid) ? userid : GetUserId();
	info->table = GetForeignTable(relid);
	info->server = GetForeignServer(info->table->serverid);
	info->user = GetUserMapping(OidIsValid(userid) ? userid : GetUserId(),
								 info->server->serverid);
	info->driver = fed_server_driver(info->server);

	v = find_option(info->table->options, "table_name");
	info->table_name = v ? v : get_rel_name(relid);
	info->schema_name = find_option(info->table->options, "schema_name");
	if (info->schema_name == NULL && info->driver == FED_DRIVER_POSTGRES)
		info->schema_name = get_namespace_name(get_rel_namespace(relid));

	info->fetch_size = fed_int_option(info->table->options, "fetch_size",
									  fed_int_option(info->server->options,
													 "fetch_size",
													 fed_default_fetch_size));
	info->batch_size = fed_int_option(info->table->options, "batch_size",
									  fed_int_option(info->server->options,
													 "batch_size",
													 fed_default_batch_size));
	v = find_option(info->table->options, "insert_with_copy");
	if (v == NULL)
		v = find_option(info->server->options, "insert_with_copy");
	info->insert_with_copy = info->driver == FED_DRIVER_POSTGRES &&
		(v == NULL || !parse_bool(v, &info->insert_with_copy) ||
		 info->insert_with_copy);
}

/*
 * Must the connection of this user mapping be authenticated by its
 * password?  Yes for a non-superuser, unless a superuser has set the
 * mapping's option password_required to false (as in postgres_fdw).
 */
bool
fed_password_required(UserMapping *user)
{
	char	   *v;

	if (superuser_arg(user->userid))
		return false;
	v = find_option(user->options, "password_required");
	return v == NULL || option_true(v);
}

/*
 * MySQL servers exchange text with us in UTF8 (character set utf8mb4), and
 * nothing converts it: refuse them in a database of any other encoding
 * rather than store or compare garbled text.
 */
static void
check_mysql_encoding(ForeignServer *server)
{
	if (GetDatabaseEncoding() == PG_UTF8)
		return;
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("cannot use MySQL server \"%s\" in a database with encoding \"%s\"",
					server->servername, GetDatabaseEncodingName()),
			 errdetail("Text is exchanged with MySQL servers in UTF8 and is not converted to other encodings."),
			 errhint("Use MySQL servers from a database created with ENCODING 'UTF8'.")));
}

/*
 * Connection keywords and values for a server and user mapping, as
 * NULL-terminated arrays for the driver.
 *
 * A connection that must be authenticated by its password (see
 * fed_password_required) needs a password in the mapping: otherwise the
 * remote server could be reached with the coordinator's own
 * operating-system identity.  That is not enough where the server may
 * ignore the password: libpq tells afterwards whether the server asked
 * for it (FedDriver.used_password), but a MySQL server authenticating an
 * account by the peer's operating-system user (unix_socket, auth_socket)
 * over a Unix socket takes any password without a word, and the client
 * cannot tell.  So such MySQL connections must go over TCP, and may only
 * authenticate with plugins that send the password (driver option
 * "password_auth_only").  MySQL servers also need a UTF8 database.
 */
void
fed_conn_params(ForeignServer *server, UserMapping *user,
				const char ***keys_out, const char ***values_out)
{
	FedDriverKind kind = fed_server_driver(server);
	List	   *all = list_concat(list_copy(server->options), user->options);
	const char **keys = palloc0(sizeof(char *) * (list_length(all) + 5));
	const char **values = palloc0(sizeof(char *) * (list_length(all) + 5));
	bool		password_required = fed_password_required(user);
	bool		have_password = false;
	bool		have_appname = false;
	const char *host = NULL;
	int			n = 0;
	ListCell   *lc;

	if (kind == FED_DRIVER_MYSQL)
		check_mysql_encoding(server);

	foreach(lc, all)
	{
		DefElem    *def = (DefElem *) lfirst(lc);
		const FedOption *opt;

		for (opt = fed_options; opt->keyword; opt++)
		{
			if (opt->connection && strcmp(opt->keyword, def->defname) == 0 &&
				(opt->drivers & (1 << kind)))
				break;
		}
		if (opt->keyword == NULL)
			continue;
		if (strcmp(def->defname, "password") == 0)
		{
			if (defGetString(def)[0] == '\0')
				continue;
			have_password = true;
		}
		if (strcmp(def->defname, "application_name") == 0)
			have_appname = true;
		if (strcmp(def->defname, "host") == 0)
			host = defGetString(def);
		keys[n] = def->defname;
		values[n] = defGetString(def);
		n++;
	}

	if (!have_appname)
	{
		/* where the statements come from: see also set_statement_tag */
		keys[n] = "application_name";
		values[n] = psprintf("federate pid=%d", MyProcPid);
		n++;
	}
	if (kind == FED_DRIVER_POSTGRES)
	{
		keys[n] = "client_encoding";
		values[n] = GetDatabaseEncodingName();
		n++;
	}
	if (kind == FED_DRIVER_MYSQL && password_required)
	{
		keys[n] = "password_auth_only";
		values[n] = "true";
		n++;
	}
	keys[n] = NULL;
	values[n] = NULL;

	if (password_required && !have_password)
		ereport(ERROR,
				(errcode(ERRCODE_S_R_E_PROHIBITED_SQL_STATEMENT_ATTEMPTED),
				 errmsg("password is required"),
				 errdetail("Non-superusers must supply a password in the user mapping for server \"%s\".",
						   server->servername)));

	/* the MySQL driver takes a missing host or a path for a Unix socket */
	if (kind == FED_DRIVER_MYSQL && password_required &&
		(host == NULL || host[0] == '\0' || host[0] == '/'))
		ereport(ERROR,
				(errcode(ERRCODE_S_R_E_PROHIBITED_SQL_STATEMENT_ATTEMPTED),
				 errmsg("password is required"),
				 errdetail("Non-superuser cannot connect to MySQL server \"%s\" through a Unix socket, where the server may authenticate the coordinator's operating-system user and ignore the password.",
						   server->servername),
				 errhint("Set the server's option \"host\" to a host name or address, which connects over TCP, or have a superuser set password_required 'false' in the user mapping.")));

	*keys_out = keys;
	*values_out = values;
}

/* The remote name of a column: option column_name, else its own name. */
char *
fed_column_name(Oid relid, AttrNumber attnum)
{
	List	   *options = GetForeignColumnOptions(relid, attnum);
	char	   *v = find_option(options, "column_name");

	return v ? v : get_attname(relid, attnum, false);
}

/* Is the column part of the remote key (column option key 'true')? */
bool
fed_column_is_key(Oid relid, AttrNumber attnum)
{
	List	   *options = GetForeignColumnOptions(relid, attnum);
	char	   *v = find_option(options, "key");
	bool		b = false;

	return v && parse_bool(v, &b) && b;
}

/*-------------------------------------------------------------------------
 *
 * options.h
 *		What federate reads from the catalogs: the driver of a server, a
 *		foreign table's remote name and options, column options.
 *
 * src/catalog/options.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef FEDERATE_OPTIONS_H
#define FEDERATE_OPTIONS_H

#include "foreign/foreign.h"
#include "nodes/pg_list.h"
#include "access/attnum.h"

typedef enum FedDriverKind
{
	FED_DRIVER_POSTGRES,
	FED_DRIVER_MYSQL
} FedDriverKind;

/* Everything a scan or modify needs to know about one foreign table. */
typedef struct FedTableInfo
{
	Oid			relid;
	Oid			userid;			/* the user the table is read as */
	ForeignTable *table;
	ForeignServer *server;
	UserMapping *user;
	FedDriverKind driver;
	char	   *schema_name;	/* remote schema (database on MySQL) or NULL */
	char	   *table_name;		/* remote table name */
	int			fetch_size;
	int			batch_size;
	bool		insert_with_copy;	/* INSERT batches as COPY (PostgreSQL) */
} FedTableInfo;

/* in catalog/options.c */
extern FedDriverKind fed_server_driver(ForeignServer *server);
extern const char *fed_driver_name(FedDriverKind kind);
extern void fed_table_info(Oid relid, Oid userid, FedTableInfo *info);
extern bool fed_password_required(UserMapping *user);
extern void fed_conn_params(ForeignServer *server, UserMapping *user,
							const char ***keys, const char ***values);
extern char *fed_column_name(Oid relid, AttrNumber attnum);
extern bool fed_column_is_key(Oid relid, AttrNumber attnum);
extern int	fed_int_option(List *options, const char *name, int dflt);
extern int	fed_server_statement_timeout(ForeignServer *server);
extern char *fed_server_replica(ForeignServer *server);
extern List *fed_table_copies(ForeignTable *table);

#endif							/* FEDERATE_OPTIONS_H */

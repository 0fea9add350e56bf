/*-------------------------------------------------------------------------
 *
 * federate.h
 *		Shared declarations of the federate extension, grouped by the file
 *		that defines them.
 *
 * src/federate.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef FEDERATE_H
#define FEDERATE_H

#include "foreign/foreign.h"
#include "lib/stringinfo.h"
#include "nodes/execnodes.h"
#include "nodes/pathnodes.h"
#include "utils/relcache.h"

#include "remote/driver.h"

struct ExplainState;

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
} FedTableInfo;

/* A cached connection; see remote/connection.c. */
typedef struct FedConn FedConn;

/*
 * Something that reads a result from a connection and can be asked to
 * "park": read the rest of its result into local storage so that the
 * connection can serve another statement.
 */
typedef void (*FedParkCallback) (void *owner);

/* in federate.c */
extern int	fed_default_fetch_size;
extern int	fed_default_batch_size;
extern int	fed_connect_timeout;
extern bool fed_log_remote_sql;
extern int	fed_statement_timeout;
extern int	fed_total_timeout;
extern int	fed_max_retries;
extern int	fed_retry_base_delay;
extern int	fed_retry_max_delay;
extern int	fed_on_shard_failure;
extern bool fed_require_shard_key;
extern int	fed_max_idle_connections;
extern int	fed_idle_timeout;
extern int	fed_connection_lifetime;

/* federate.on_shard_failure */
typedef enum FedFailureMode
{
	FED_ON_FAILURE_STRICT,
	FED_ON_FAILURE_PARTIAL
} FedFailureMode;

/* in catalog/options.c */
extern FedDriverKind fed_server_driver(ForeignServer *server);
extern const char *fed_driver_name(FedDriverKind kind);
extern void fed_table_info(Oid relid, Oid userid, FedTableInfo *info);
extern void fed_conn_params(ForeignServer *server, UserMapping *user,
							const char ***keys, const char ***values);
extern char *fed_column_name(Oid relid, AttrNumber attnum);
extern bool fed_column_is_key(Oid relid, AttrNumber attnum);
extern int	fed_int_option(List *options, const char *name, int dflt);
extern int	fed_server_statement_timeout(ForeignServer *server);
extern char *fed_server_replica(ForeignServer *server);
extern List *fed_table_copies(ForeignTable *table);

/* in remote/connection.c */
extern FedConn *fed_conn_get(ForeignServer *server, UserMapping *user,
							 bool start_xact);
extern uint64 fed_conn_exec(FedConn *conn, const char *sql,
							int nparams, const char *const *params);
extern void fed_conn_open(FedConn *conn, const char *sql,
						  int nparams, const char *const *params,
						  int fetch_size, void *owner, FedParkCallback park);
extern bool fed_conn_next_row(FedConn *conn, void *owner, FedRow *row);
extern void fed_conn_release(FedConn *conn, void *owner);
extern FedConn *fed_conn_claim(ForeignServer *server, UserMapping *user,
							   void *owner, FedParkCallback park, bool force);
extern FedConn *fed_conn_claim_writer(ForeignServer *server,
									 UserMapping *user, void *owner,
									 FedParkCallback park);
extern void fed_conn_reserve(ForeignServer **servers, UserMapping **users,
							 int n);
extern int	fed_conn_start(FedConn *conn, const char *sql, int nparams,
						   const char *const *params, int fetch_size,
						   FedRemoteError *err);
extern int	fed_conn_poll(FedConn *conn, FedRemoteError *err);
extern int	fed_conn_fetch(FedConn *conn, FedRow *row, FedRemoteError *err);
extern pgsocket fed_conn_socket(FedConn *conn);
extern long fed_conn_wait_ms(FedConn *conn, int events);
extern void fed_conn_raise(FedConn *conn, FedRemoteError *err) pg_attribute_noreturn();
extern void fed_conn_finish(FedConn *conn);
extern void fed_conn_note_write(FedConn *conn);
extern bool fed_conn_wrote(FedConn *conn);
extern bool fed_conn_in_xact(FedConn *conn);
extern bool fed_conn_connecting(FedConn *conn);
extern int	fed_conn_timeout(FedConn *conn);
extern char *fed_conn_timeout_detail(FedConn *conn, FedRemoteError *err,
									 bool connecting);
extern void fed_conn_abandon(FedConn *conn, int kind, FedRemoteError *err);
extern int	fed_timeout_grace(int ms);
extern const FedDriver *fed_conn_driver(FedConn *conn);
extern const char *fed_conn_server_name(FedConn *conn);
extern void fed_conn_init(void);
extern Datum fed_conn_list(PG_FUNCTION_ARGS);
extern bool fed_conn_disconnect(Oid serverid, bool all);

/* in remote/errors.c (see also health/health.h) */
extern void fed_report_remote_error(int elevel, FedRemoteError *err,
									const char *servername, const char *sql);
extern void fed_report_failure(int elevel, int kind, FedRemoteError *err,
							   const char *servername, const char *detail,
							   const char *shard, const char *sql);

/* in fdw/convert.c */
typedef struct FedConverter FedConverter;
extern FedConverter *fed_convert_init(TupleDesc tupdesc, List *retrieved,
									  FedDriverKind driver,
									  const char *relname);
extern void fed_convert_row(FedConverter *cv, FedRow *row,
							Datum *values, bool *nulls);

/* in fdw/scan.c */
extern void fedGetForeignRelSize(PlannerInfo *root, RelOptInfo *baserel,
								 Oid foreigntableid);
extern void fedGetForeignPaths(PlannerInfo *root, RelOptInfo *baserel,
							   Oid foreigntableid);
extern ForeignScan *fedGetForeignPlan(PlannerInfo *root, RelOptInfo *baserel,
									  Oid foreigntableid, ForeignPath *best_path,
									  List *tlist, List *scan_clauses,
									  Plan *outer_plan);
extern void fedBeginForeignScan(ForeignScanState *node, int eflags);
extern TupleTableSlot *fedIterateForeignScan(ForeignScanState *node);
extern void fedReScanForeignScan(ForeignScanState *node);
extern void fedEndForeignScan(ForeignScanState *node);
extern void fedExplainForeignScan(ForeignScanState *node,
								  struct ExplainState *es);
extern List *fed_scan_remote_conds(RelOptInfo *baserel);
extern char *fed_explain_sql(const char *sql, List *param_offsets);
struct FedDialect;
extern const char *fed_bind_params(const struct FedDialect *dialect,
								   const char *sql, List *offsets,
								   List *param_states, ExprContext *econtext,
								   Oid extra_type, Datum extra_value,
								   int *nparams, const char ***params);

/* in fdw/modify.c */
extern void fedAddForeignUpdateTargets(PlannerInfo *root, Index rtindex,
									   RangeTblEntry *target_rte,
									   Relation target_relation);
extern List *fedPlanForeignModify(PlannerInfo *root, ModifyTable *plan,
								  Index resultRelation, int subplan_index);
extern void fedBeginForeignModify(ModifyTableState *mtstate,
								  ResultRelInfo *rinfo, List *fdw_private,
								  int subplan_index, int eflags);
extern TupleTableSlot *fedExecForeignInsert(EState *estate, ResultRelInfo *rinfo,
											TupleTableSlot *slot,
											TupleTableSlot *planSlot);
extern TupleTableSlot **fedExecForeignBatchInsert(EState *estate,
												  ResultRelInfo *rinfo,
												  TupleTableSlot **slots,
												  TupleTableSlot **planSlots,
												  int *numSlots);
extern int	fedGetForeignModifyBatchSize(ResultRelInfo *rinfo);
extern TupleTableSlot *fedExecForeignUpdate(EState *estate, ResultRelInfo *rinfo,
											TupleTableSlot *slot,
											TupleTableSlot *planSlot);
extern TupleTableSlot *fedExecForeignDelete(EState *estate, ResultRelInfo *rinfo,
											TupleTableSlot *slot,
											TupleTableSlot *planSlot);
extern void fedEndForeignModify(EState *estate, ResultRelInfo *rinfo);
extern void fedBeginForeignInsert(ModifyTableState *mtstate,
								  ResultRelInfo *rinfo);
extern void fedEndForeignInsert(EState *estate, ResultRelInfo *rinfo);
extern int	fedIsForeignRelUpdatable(Relation rel);
extern bool fedPlanDirectModify(PlannerInfo *root, ModifyTable *plan,
								Index resultRelation, int subplan_index);
extern void fedBeginDirectModify(ForeignScanState *node, int eflags);
extern TupleTableSlot *fedIterateDirectModify(ForeignScanState *node);
extern void fedEndDirectModify(ForeignScanState *node);
extern void fedExplainDirectModify(ForeignScanState *node,
								   struct ExplainState *es);
extern void fedExplainForeignModify(ModifyTableState *mtstate,
									ResultRelInfo *rinfo, List *fdw_private,
									int subplan_index,
									struct ExplainState *es);

/* in fdw/import.c */
extern List *fedImportForeignSchema(ImportForeignSchemaStmt *stmt,
									Oid serverOid);

#endif							/* FEDERATE_H */

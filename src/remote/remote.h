/*-------------------------------------------------------------------------
 *
 * remote.h
 *		The connections to the shards (remote/connection.c) and the report
 *		of their failures (remote/errors.c), for exec/ and fdw/.
 *
 * src/remote/remote.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef FEDERATE_REMOTE_H
#define FEDERATE_REMOTE_H

#include "fmgr.h"
#include "foreign/foreign.h"

#include "federate.h"
#include "remote/driver.h"

/* A cached connection; see remote/connection.c. */
typedef struct FedConn FedConn;

/*
 * Something that reads a result from a connection (its owner) is told by
 * this callback when the connection is taken from it before the result's
 * end; the connection forgets the owner right after.
 *
 * FED_READER_PARK: another statement needs the connection: read the rest
 * of the result into local storage now (may wait and throw).
 * FED_READER_ROLLED_BACK, FED_READER_FAILED: the result is gone (the read
 * began inside a savepoint that was rolled back, or the connection failed
 * in another statement): never use the connection again, and say so if
 * asked for more rows.  Called during abort: no I/O, never throws.
 *
 * A reader that goes away without ending its result (its query failed)
 * calls fed_conn_forget instead, so that a connection never refers to a
 * reader that is gone.
 */
typedef enum FedReaderEvent
{
	FED_READER_PARK,
	FED_READER_ROLLED_BACK,
	FED_READER_FAILED
} FedReaderEvent;

typedef void (*FedParkCallback) (void *owner, FedReaderEvent event);

/*
 * Whether, and how, a read may run outside a remote transaction
 * (fed_conn_start).
 */
typedef enum FedAutocommit
{
	FED_AUTOCOMMIT_NO,			/* in the remote transaction */
	FED_AUTOCOMMIT_WHOLE,		/* alone, read whole: a small answer */
	FED_AUTOCOMMIT_STREAM		/* alone, read as its rows arrive */
} FedAutocommit;

/* in remote/connection.c */
extern FedConn *fed_conn_get(ForeignServer *server, UserMapping *user,
							 bool start_xact);
extern FedConn *fed_conn_get_alone(ForeignServer *server, UserMapping *user);
extern uint64 fed_conn_exec(FedConn *conn, const char *sql,
							int nparams, const char *const *params);
extern void fed_conn_open(FedConn *conn, const char *sql,
						  int nparams, const char *const *params,
						  int fetch_size, void *owner, FedParkCallback park);
extern void fed_conn_open_alone(FedConn *conn, const char *sql, int nparams,
								const char *const *params, void *owner);
extern bool fed_conn_next_row(FedConn *conn, void *owner, FedRow *row);

/* in remote/twophase.c */
extern bool fed_two_phase_commit;
extern char *fed_inject_fault;

/* in remote/recovery.c */
extern int	fed_recovery_interval;
extern char *fed_recovery_database;
extern void fed_recovery_register(void);
extern void fed_conn_release(FedConn *conn, void *owner);
extern void fed_conn_forget(FedConn *conn, void *owner);
extern FedConn *fed_conn_claim(ForeignServer *server, UserMapping *user,
							   void *owner, FedParkCallback park, bool force);
extern FedConn *fed_conn_claim_writer(ForeignServer *server,
									 UserMapping *user, void *owner,
									 FedParkCallback park);
extern void fed_conn_reserve(ForeignServer **servers, UserMapping **users,
							 int n);
extern int	fed_conn_start(FedConn *conn, const char *sql, int nparams,
						   const char *const *params, int fetch_size,
						   FedAutocommit autocommit, FedRemoteError *err);
extern int	fed_conn_poll(FedConn *conn, void *owner, FedRemoteError *err);
extern int	fed_conn_fetch(FedConn *conn, void *owner, FedRow *row,
						   FedRemoteError *err);
extern pgsocket fed_conn_socket(FedConn *conn);
extern uint64 fed_conn_generation(FedConn *conn);
extern long fed_conn_wait_ms(FedConn *conn, int events);
extern void fed_conn_raise(FedConn *conn, FedRemoteError *err) pg_attribute_noreturn();
extern void fed_conn_finish(FedConn *conn);
extern void fed_conn_note_write(FedConn *conn);
extern uint64 fed_conn_affected(FedConn *conn);
extern void fed_conn_send_write(FedConn *conn, const char *sql, int nparams,
								const char *const *params, void *owner,
								FedParkCallback park);
extern void fed_conn_send_copy(FedConn *conn, const char *sql,
							   const char *data, size_t len, void *owner,
							   FedParkCallback park);
extern void fed_conn_push_copy(FedConn *conn, void *owner);
extern uint64 fed_conn_end_write(FedConn *conn, void *owner);
extern bool fed_conn_wrote(FedConn *conn);
extern bool fed_conn_wrote_in_command(FedConn *conn);
extern bool fed_conn_in_xact(FedConn *conn);
extern bool fed_conn_connecting(FedConn *conn);
extern int	fed_conn_timeout(FedConn *conn);
extern char *fed_conn_timeout_detail(FedConn *conn, FedRemoteError *err,
									 bool connecting);
extern void fed_conn_abandon(FedConn *conn, int kind, FedRemoteError *err);
extern int64 fed_timeout_grace(int ms);
extern const FedDriver *fed_conn_driver(FedConn *conn);
extern const char *fed_conn_server_name(FedConn *conn);
extern const char *fed_conn_read_kind(FedConn *c);
extern void fed_conn_init(void);
extern Datum fed_conn_list(PG_FUNCTION_ARGS);
extern bool fed_conn_disconnect(Oid serverid, bool all);
extern bool fed_conn_others_in_xact(FedConn *conn);
extern bool fed_conn_can_share_snapshot(ForeignServer *server);
extern void fed_conn_want_export(FedConn *conn);
extern bool fed_conn_import_failed(FedConn *conn, FedRemoteError *err);
extern void *fed_conn_exporting_owner(UserMapping *user);
extern void fed_xact_note_read_statement(void);

/* in remote/errors.c (see also health/health.h) */
extern void fed_report_remote_error(int elevel, FedRemoteError *err,
									const char *servername, const char *sql);
extern void fed_report_failure(int elevel, int kind, FedRemoteError *err,
							   const char *servername, const char *detail,
							   const char *shard, const char *sql);

#endif							/* FEDERATE_REMOTE_H */

/*-------------------------------------------------------------------------
 *
 * federate.c
 *		Module entry point: settings and callback registration.
 *
 * Nothing else lives here.  The library works whether it is preloaded
 * (shared_preload_libraries) or loaded at first use of the foreign data
 * wrapper; nothing in _PG_init depends on being preloaded.
 *
 * src/federate.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"
#include "utils/guc.h"
#include "utils/queryjumble.h"

#include "fdw/fdw.h"
#include "health/health.h"
#include "plan/plan.h"

PG_MODULE_MAGIC;

int			fed_default_fetch_size = 1000;
int			fed_default_batch_size = 100;
int			fed_connect_timeout = 10;
bool		fed_log_remote_sql = false;
int			fed_statement_timeout = 0;
int			fed_total_timeout = 0;
int			fed_max_retries = 2;
int			fed_retry_base_delay = 100;
int			fed_retry_max_delay = 2000;
int			fed_on_shard_failure = FED_ON_FAILURE_STRICT;
bool		fed_require_shard_key = false;
int			fed_max_idle_connections = 8;
int			fed_idle_timeout = 0;
int			fed_connection_lifetime = 0;

/*
 * Whether federate.statement_timeout and federate.connect_timeout have the
 * value an administrator gave them (see timeout_trust_check).
 */
bool		fed_statement_timeout_trusted = true;
bool		fed_connect_timeout_trusted = true;

/*
 * A timeout a session chose (SET, a function's SET clause, ALTER ROLE or
 * ALTER DATABASE, the client's connection options) is the session's own
 * business: a statement that runs past it says nothing about the server,
 * so it must not count against the server's circuit breaker, which every
 * session shares.  The value's source travels with it as the GUC "extra":
 * trusted for the defaults, postgresql.conf and ALTER SYSTEM, the command
 * line, and ALTER ROLE ALL SET (superusers only).
 */
static bool
timeout_trust_check(int *newval, void **extra, GucSource source)
{
	bool	   *trusted = malloc(sizeof(bool));

	if (trusted == NULL)
		return false;
	*trusted = source <= PGC_S_GLOBAL;
	*extra = trusted;
	return true;
}

static void
statement_timeout_assign(int newval, void *extra)
{
	fed_statement_timeout_trusted = extra == NULL || *(bool *) extra;
}

static void
connect_timeout_assign(int newval, void *extra)
{
	fed_connect_timeout_trusted = extra == NULL || *(bool *) extra;
}

static const struct config_enum_entry on_shard_failure_options[] = {
	{"strict", FED_ON_FAILURE_STRICT, false},
	{"partial", FED_ON_FAILURE_PARTIAL, false},
	{NULL, 0, false}
};

void		_PG_init(void);

void
_PG_init(void)
{
	DefineCustomIntVariable("federate.fetch_size",
							"Rows fetched per round trip when a foreign table is read.",
							"Used when neither the foreign table nor its server sets option \"fetch_size\".",
							&fed_default_fetch_size,
							1000, 1, 1000000,
							PGC_USERSET, 0,
							NULL, NULL, NULL);

	DefineCustomIntVariable("federate.batch_size",
							"Rows sent per remote INSERT statement.",
							"Used when neither the foreign table nor its server sets option \"batch_size\".",
							&fed_default_batch_size,
							100, 1, 10000,
							PGC_USERSET, 0,
							NULL, NULL, NULL);

	DefineCustomIntVariable("federate.connect_timeout",
							"Seconds to wait for a connection to a remote server.",
							"Used when the server does not set option \"connect_timeout\".  Zero waits without bound.",
							&fed_connect_timeout,
							10, 0, 3600,
							PGC_USERSET, GUC_UNIT_S,
							timeout_trust_check, connect_timeout_assign, NULL);

	DefineCustomBoolVariable("federate.log_remote_sql",
							 "Reports every statement sent to a remote server as a NOTICE.",
							 NULL,
							 &fed_log_remote_sql,
							 false,
							 PGC_USERSET, 0,
							 NULL, NULL, NULL);

	DefineCustomBoolVariable("federate.two_phase_commit",
							 "Commits a transaction that wrote to several servers in two phases.",
							 "When on, each PostgreSQL server written is prepared (PREPARE TRANSACTION) and a commit record is written before the local commit; when off, the servers commit one after another, and a failure can leave some committed.",
							 &fed_two_phase_commit,
							 true,
							 PGC_USERSET, 0,
							 NULL, NULL, NULL);

	DefineCustomIntVariable("federate.recovery_interval",
							"Seconds between the recovery worker's rounds.",
							"The worker (federate in shared_preload_libraries) ends the transactions two-phase commit left in doubt: once after the server starts, then whenever federate.commit_records holds records.  Zero turns it off.",
							&fed_recovery_interval,
							60, 0, 86400,
							PGC_SIGHUP, GUC_UNIT_S,
							NULL, NULL, NULL);

	DefineCustomStringVariable("federate.recovery_database",
							   "The database whose federate servers the recovery worker looks after.",
							   NULL,
							   &fed_recovery_database,
							   "postgres",
							   PGC_POSTMASTER, 0,
							   NULL, NULL, NULL);

	DefineCustomStringVariable("federate.inject_fault",
							   "Fails the two-phase commit at a given point (for tests).",
							   NULL,
							   &fed_inject_fault,
							   NULL,
							   PGC_SUSET, GUC_NO_SHOW_ALL | GUC_NOT_IN_SAMPLE,
							   NULL, NULL, NULL);

	DefineCustomBoolVariable("federate.enable_fanout",
							 "Reads federated tables through one parallel fan-out node.",
							 "When off, a partitioned table is read as an Append of per-partition foreign scans, with no aggregate, sort or limit pushdown.",
							 &fed_enable_fanout,
							 true,
							 PGC_USERSET, 0,
							 NULL, NULL, NULL);

	DefineCustomBoolVariable("federate.combine_partitions",
							 "Reads the partitions a query needs on one server with one statement.",
							 "When on, the statements for the partitions of a federated table that live on the same server (and user mapping) are sent as one, joined with UNION ALL; when off, each partition is its own statement, run in parallel on up to 8 connections per server.",
							 &fed_combine_partitions,
							 true,
							 PGC_USERSET, 0,
							 NULL, NULL, NULL);

	DefineCustomIntVariable("federate.key_shipping_max_keys",
							"Most distinct join keys sent from a join's other input to the shards of a federated table.",
							"A hash join whose other input yields at most this many distinct keys sends them to every shard "
							"(\"column = ANY ($n)\" on PostgreSQL, an IN list on MySQL).  Zero disables key shipping.",
							&fed_key_shipping_max_keys,
							10000, 0, 1000000,
							PGC_USERSET, 0,
							NULL, NULL, NULL);

	DefineCustomIntVariable("federate.key_shipping_batch_size",
							"Most shipped join keys in one IN list sent to a MySQL server.",
							"More keys are sent in several statements, one after another on a connection, when the rows of a read may simply follow each other (rows, or partial aggregates without an order); otherwise in one list.  "
							"Each statement may scan the shard's table again when no index serves the key.",
							&fed_key_shipping_batch_size,
							10000, 1, 1000000,
							PGC_USERSET, 0,
							NULL, NULL, NULL);

	DefineCustomIntVariable("federate.statement_timeout",
							"Longest time a statement may run on a remote server.",
							"Used when the server does not set option \"statement_timeout\".  "
							"Enforced by the remote server and by federate.  Zero means no limit.",
							&fed_statement_timeout,
							0, 0, INT_MAX,
							PGC_USERSET, GUC_UNIT_MS,
							timeout_trust_check, statement_timeout_assign, NULL);

	DefineCustomIntVariable("federate.total_timeout",
							"Longest time a federated scan waits for its shards, retries included.",
							"Zero means no limit beyond the per-statement and connect timeouts.",
							&fed_total_timeout,
							0, 0, INT_MAX,
							PGC_USERSET, GUC_UNIT_MS,
							NULL, NULL, NULL);

	DefineCustomIntVariable("federate.max_retries",
							"Retries of a shard read that failed to connect or lost its connection.",
							"Only before any of the shard's rows was used, and never after a write to that server in the transaction.",
							&fed_max_retries,
							2, 0, 10,
							PGC_USERSET, 0,
							NULL, NULL, NULL);

	DefineCustomIntVariable("federate.retry_base_delay",
							"Backoff before the first retry of a shard read; it doubles for each further retry.",
							"The delay actually waited is a random time between half of it and all of it.",
							&fed_retry_base_delay,
							100, 0, 600000,
							PGC_USERSET, GUC_UNIT_MS,
							NULL, NULL, NULL);

	DefineCustomIntVariable("federate.retry_max_delay",
							"Longest backoff before a retry of a shard read.",
							NULL,
							&fed_retry_max_delay,
							2000, 0, 600000,
							PGC_USERSET, GUC_UNIT_MS,
							NULL, NULL, NULL);

	DefineCustomIntVariable("federate.circuit_failure_threshold",
							"Consecutive failures after which a server's circuit breaker opens.",
							"Zero disables the circuit breakers.",
							&fed_circuit_threshold,
							5, 0, 1000,
							PGC_SUSET, 0,
							NULL, NULL, NULL);

	DefineCustomIntVariable("federate.circuit_cooldown",
							"Time an open circuit breaker skips its server before letting one probe through.",
							NULL,
							&fed_circuit_cooldown_ms,
							30000, 0, INT_MAX,
							PGC_SUSET, GUC_UNIT_MS,
							NULL, NULL, NULL);

	DefineCustomEnumVariable("federate.on_shard_failure",
							 "What a federated query does when a shard cannot answer.",
							 "strict fails the query; partial returns the other shards' rows with a coverage NOTICE.",
							 &fed_on_shard_failure,
							 FED_ON_FAILURE_STRICT, on_shard_failure_options,
							 PGC_USERSET, 0,
							 NULL, NULL, NULL);

	DefineCustomBoolVariable("federate.require_shard_key",
							 "Rejects queries on sharded tables that would contact every shard.",
							 "A query must have a condition on the partition key that narrows it to fewer shards.",
							 &fed_require_shard_key,
							 false,
							 PGC_USERSET, 0,
							 NULL, NULL, NULL);

	DefineCustomIntVariable("federate.connection_budget",
							"Connections all sessions together may hold open to one remote server.",
							"The server option connection_budget overrides it; zero means no limit.",
							&fed_connection_budget,
							64, 0, 100000,
							PGC_SIGHUP, 0,
							NULL, NULL, NULL);

	DefineCustomIntVariable("federate.max_idle_connections",
							"Idle connections a session keeps open to one remote server between transactions.",
							NULL,
							&fed_max_idle_connections,
							8, 0, 1000,
							PGC_USERSET, 0,
							NULL, NULL, NULL);

	DefineCustomIntVariable("federate.idle_timeout",
							"Closes a session's idle connection unused for this long, at the end of its next transaction.",
							"Zero means never.",
							&fed_idle_timeout,
							0, 0, INT_MAX / 1000,
							PGC_USERSET, GUC_UNIT_S,
							NULL, NULL, NULL);

	DefineCustomIntVariable("federate.connection_lifetime",
							"Closes a session's idle connection opened this long ago, at the end of a transaction.",
							"Zero means never.",
							&fed_connection_lifetime,
							0, 0, INT_MAX / 1000,
							PGC_USERSET, GUC_UNIT_S,
							NULL, NULL, NULL);

	DefineCustomIntVariable("federate.dispatch_log_size",
							"Lines kept in federate.dispatch_log.",
							NULL,
							&fed_dispatch_log_size,
							1000, 0, 1000000,
							PGC_POSTMASTER, 0,
							NULL, NULL, NULL);

	DefineCustomIntVariable("federate.max_statement_stats",
							"Statement fingerprints and servers federate.statement_stats keeps.",
							"The least called entry makes room for a new one.",
							&fed_statement_stats_size,
							1000, 0, 100000,
							PGC_POSTMASTER, 0,
							NULL, NULL, NULL);

	MarkGUCPrefixReserved("federate");

	/* shared circuit breakers and statistics need the library preloaded */
	fed_health_init();
	if (process_shared_preload_libraries_in_progress)
	{
		EnableQueryId();
		fed_recovery_register();
	}

	fed_conn_init();
	fed_plan_init();
}

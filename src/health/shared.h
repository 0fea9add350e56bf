/*-------------------------------------------------------------------------
 *
 * shared.h
 *		The layout of federate's shared memory area (private to health/).
 *
 * src/health/shared.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef FEDERATE_HEALTH_SHARED_H
#define FEDERATE_HEALTH_SHARED_H

#include "storage/condition_variable.h"
#include "storage/lwlock.h"

#include "health/health.h"

/* Servers tracked at once (per cluster, all databases). */
#define FED_TRACKED_SERVERS		256

typedef struct FedServerSlot
{
	Oid			dbid;			/* InvalidOid: free */
	Oid			serverid;
	char		servername[NAMEDATALEN];

	uint64		statements;
	uint64		rows;
	uint64		bytes;
	uint64		errors;
	uint64		timeouts;
	uint64		retries;
	uint64		fallbacks;
	uint64		finished;		/* statements timed into total_ms */
	double		total_ms;
	double		max_ms;
	uint64		latency[FED_LATENCY_BUCKETS];	/* statements per bucket of
												 * fed_latency_bounds */

	FedCircuitState state;
	int			consecutive;	/* availability failures in a row */
	TimestampTz opened_at;
	int			cooldown_ms;	/* of the session whose failure opened it */
	TimestampTz probe_at;		/* when the half-open probe went */
	int			probe_pid;		/* the backend probing */
	char		last_error[256];
	TimestampTz last_error_at;

	/* the connection budget (health/budget.c) */
	int			conn_budget;	/* as last seen by a backend taking a unit */
	int			conn_open;		/* connections open, all backends */
	int			conn_idle;		/* of which idle between transactions */
	int			conn_waiting;	/* backends waiting for a unit */
} FedServerSlot;

/*
 * The statistics of one statement fingerprint (query id) on one server
 * (health/latency.c); serverid InvalidOid: the statement's Federate Scans
 * as a whole, with their fan-out width.
 */
typedef struct FedStmtSlot
{
	Oid			dbid;			/* InvalidOid: free */
	int64		query_id;
	Oid			serverid;
	Oid			userid;			/* who ran it first: the text is theirs */
	char		servername[NAMEDATALEN];
	char		query[256];
	uint64		calls;
	uint64		rows;
	uint64		bytes;
	uint64		errors;
	double		total_ms;
	double		max_ms;
	uint64		width_sum;		/* shards contacted, all executions */
	int			width_max;
	TimestampTz last_at;
} FedStmtSlot;

typedef struct FedHealthShared
{
	LWLock	   *lock;			/* NULL when the area is backend-local */
	FedServerSlot servers[FED_TRACKED_SERVERS];
	int			stmt_size;		/* slots of statement statistics */
	uint64		stmt_evicted;	/* entries evicted to make room */
	TimestampTz stmt_reset_at;
	int			dispatch_size;
	uint64		dispatch_next;	/* entries ever written */
	FedDispatch dispatches[FLEXIBLE_ARRAY_MEMBER];
} FedHealthShared;

/*
 * Sessions waiting for a unit of a server's connection budget, served in
 * the order they came (health/budget.c): one entry per backend (indexed by
 * its BackendId), and the condition variable they sleep on.  Shared
 * memory only: a session-local area never waits.
 */
typedef struct FedBudgetWait
{
	Oid			dbid;			/* InvalidOid: not waiting */
	Oid			serverid;
	uint64		ticket;			/* smaller: came first */
} FedBudgetWait;

typedef struct FedBudgetShared
{
	ConditionVariable cv;		/* broadcast when a unit is given back */
	uint64		next_ticket;
	int			nwaits;
	FedBudgetWait waits[FLEXIBLE_ARRAY_MEMBER];
} FedBudgetShared;

extern FedHealthShared *fed_health_area(void);
extern FedBudgetShared *fed_budget_area(void);
extern void fed_health_lock(FedHealthShared *h, bool exclusive);
extern void fed_health_unlock(FedHealthShared *h);
extern bool fed_health_shared(void);
extern FedStmtSlot *fed_stmt_slots(FedHealthShared *h);

/* in health/latency.c */
extern void fed_statement_reset(FedHealthShared *h);

/* in health/servers.c */
extern FedServerSlot *fed_server_slot(FedHealthShared *h, Oid serverid,
									  const char *name, bool create);
extern int	fed_server_snapshot(FedServerSlot **out);

#endif							/* FEDERATE_HEALTH_SHARED_H */

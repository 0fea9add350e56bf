/*-------------------------------------------------------------------------
 *
 * health.h
 *		What federate knows about the health of remote servers, shared by
 *		all backends: failure kinds, circuit breakers, per-server counters
 *		and the log of recent dispatches.
 *
 * src/health/health.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef FEDERATE_HEALTH_H
#define FEDERATE_HEALTH_H

#include "datatype/timestamp.h"
#include "foreign/foreign.h"

#include "remote/driver.h"

/* Why a shard did not answer. */
typedef enum FedFailKind
{
	FED_FAIL_NONE,
	FED_FAIL_TIMEOUT,			/* statement or overall timeout */
	FED_FAIL_REFUSED,			/* connection refused */
	FED_FAIL_CONNECT,			/* other connection failure */
	FED_FAIL_LOST,				/* connection lost during the statement */
	FED_FAIL_CIRCUIT,			/* skipped: circuit breaker open */
	FED_FAIL_AUTH,				/* connecting: the server refused the user
								 * mapping's credentials */
	FED_FAIL_REMOTE				/* the server reported an error */
} FedFailKind;

typedef enum FedCircuitState
{
	FED_CIRCUIT_CLOSED,
	FED_CIRCUIT_OPEN,
	FED_CIRCUIT_HALF_OPEN
} FedCircuitState;

/* Which counter of a server to bump. */
typedef enum FedCounter
{
	FED_COUNT_RETRY,
	FED_COUNT_FALLBACK
} FedCounter;

/*
 * The shards of one execution the dispatch log keeps times for (the first
 * this many), for federate.dispatch_shards and its straggler view.
 */
#define FED_DISPATCH_SHARDS		16

typedef struct FedDispatchShard
{
	char		shard[NAMEDATALEN];	/* the leaf partition */
	char		server[NAMEDATALEN];
	bool		answered;
	uint64		rows;
	double		ms;				/* from sending to its last row */
} FedDispatchShard;

/* One line of the dispatch log. */
typedef struct FedDispatch
{
	TimestampTz at;
	Oid			userid;			/* who ran it: the query text is theirs */
	int			pid;
	int64		query_id;
	char		query[256];
	char		relation[NAMEDATALEN];
	bool		targeted;
	int			contacted;
	int			total;
	int			answered;
	int			replicas;
	char		status[12];		/* complete, partial, failed, cancelled */
	double		duration_ms;
	int			nshards;		/* of shards[] */
	FedDispatchShard shards[FED_DISPATCH_SHARDS];
} FedDispatch;

/*
 * Statement times per server, in buckets (health/latency.c): the upper
 * bounds in ms of the first FED_LATENCY_BUCKETS - 1, the last unbounded.
 */
#define FED_LATENCY_BUCKETS		16
extern const double fed_latency_bounds[FED_LATENCY_BUCKETS - 1];

/* in health/latency.c */
extern int	fed_statement_stats_size;
extern int	fed_latency_bucket(double ms);
extern void fed_statement_finish(Oid serverid, const char *name,
								 uint64 rows, uint64 bytes, double ms);
extern void fed_statement_failed(Oid serverid, const char *name);
extern void fed_statement_fanout(FedDispatch *d);

/* in health/shmem.c */
extern int	fed_dispatch_log_size;
extern void fed_health_init(void);
extern void fed_copy_text(char *dst, const char *src, int size);

/* in health/servers.c */
extern int	fed_circuit_threshold;
extern int	fed_circuit_cooldown_ms;
extern bool fed_circuit_allows(Oid serverid, const char *name, char **why);
extern void fed_health_statement(Oid serverid, const char *name);
extern void fed_health_success(Oid serverid, const char *name);
extern void fed_health_failure(Oid serverid, const char *name,
							   FedFailKind kind, bool availability,
							   const char *message);
extern void fed_health_finish(Oid serverid, const char *name, uint64 rows,
							  uint64 bytes, double ms);
extern void fed_health_count(Oid serverid, const char *name,
							 FedCounter counter);
extern bool fed_availability_failure(FedFailKind kind);

/* in health/budget.c */
extern int	fed_connection_budget;
extern int	fed_server_budget(ForeignServer *server);
extern bool fed_budget_take(ForeignServer *server, bool required,
							TimestampTz deadline, bool holding);
extern void fed_budget_give_back(Oid serverid, bool was_idle);
extern void fed_budget_idle(Oid serverid, bool idle);
extern bool fed_budget_may_keep(Oid serverid, int budget);

/* in health/dispatch.c */
extern void fed_dispatch_record(FedDispatch *d);

/* in remote/errors.c */
extern FedFailKind fed_classify_error(const FedDriver *driver,
									  const FedRemoteError *err,
									  bool connecting);
extern const char *fed_fail_reason(FedFailKind kind);

#endif							/* FEDERATE_HEALTH_H */

/*-------------------------------------------------------------------------
 *
 * coverage.h
 *		How much of a federated query's data its answer covers.
 *
 * src/exec/coverage.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef FEDERATE_COVERAGE_H
#define FEDERATE_COVERAGE_H

#include "datatype/timestamp.h"
#include "nodes/pg_list.h"

#include "exec/fanout.h"
#include "health/health.h"

/* A shard that did not answer, or that a replica answered for. */
typedef struct FedShardNote
{
	char	   *shard;			/* the foreign table (partition) */
	char	   *server;			/* the server meant to answer */
	char	   *reason;			/* timeout, connection refused, ... */
	char	   *detail;			/* the error's text */
	char	   *replica;		/* the replica that answered, or NULL */
} FedShardNote;

typedef struct FedCoverage
{
	int			total;			/* shards the query needed */
	int			answered;		/* shards whose rows it has */
	List	   *missing;		/* FedShardNote, no replica */
	List	   *replaced;		/* FedShardNote, with replica */
	bool		approximate;	/* aggregates over a partial answer */
	int			ntimed;			/* of timed */
	FedDispatchShard timed[FED_DISPATCH_SHARDS];	/* the first shards'
													 * rows and times */
} FedCoverage;

extern void fed_coverage_notice(FedCoverage *cov);
extern void fed_coverage_copy(FedCoverage *dst, const FedCoverage *src);
extern void fed_coverage_remember(FedCoverage *cov);
extern void fed_coverage_add_task(FedCoverage *cov, const char *shard,
								  const FedTaskStats *stats);
extern void fed_coverage_report(FedCoverage *cov, const char *relname,
								TimestampTz started_at, int nshards,
								bool aborting, bool raised, bool *noticed);

#endif							/* FEDERATE_COVERAGE_H */

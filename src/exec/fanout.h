/*-------------------------------------------------------------------------
 *
 * fanout.h
 *		The fan-out loop: many remote statements in flight at once.
 *
 * src/exec/fanout.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef FEDERATE_FANOUT_H
#define FEDERATE_FANOUT_H

#include "nodes/execnodes.h"
#include "executor/tuptable.h"
#include "portability/instr_time.h"

#include "remote/remote.h"

typedef struct FedFanout FedFanout;

/* Convert a remote row of task into slot (a virtual tuple). */
typedef void (*FedRowConverter) (void *arg, int task, FedRow *row,
								 TupleTableSlot *slot);

/* What a task did: for EXPLAIN ANALYZE and the coverage report. */
typedef struct FedTaskStats
{
	bool		started;
	uint64		rows;
	uint64		bytes;
	double		ms;				/* from sending to the last row read */
	int			attempts;		/* statements started, retries included */
	const char *server;			/* the server meant to answer */
	bool		failed;			/* given up: no rows of this shard */
	int			fail_kind;		/* FedFailKind of the last failure */
	const char *fail_detail;	/* its text */
	bool		connecting;		/* it came while connecting */
	const char *replica;		/* the replica the task moved to, or NULL */
	int			fallback_kind;	/* why it left its server */
	const char *replica_note;	/* why the replica could not be used */
	int			batches;		/* statements of a read in batches started
								 * (fed_fanout_add_batches), or 0 */
	const char *read;			/* how the last statement was read: "cursor",
								 * "streamed" or "whole" */
	uint64		affected;		/* the rows a command changed
								 * (fed_fanout_command) */
} FedTaskStats;

extern FedFanout *fed_fanout_create(int ntasks, TupleDesc desc,
									FedRowConverter convert, void *arg);
extern void fed_fanout_add(FedFanout *ff, int task, FedTableInfo *info,
						   const char *sql, int nparams, const char **params);
extern void fed_fanout_add_batches(FedFanout *ff, int task, const char **sqls,
								   int n);
extern void fed_fanout_autocommit(FedFanout *ff, int task, bool whole);
extern void fed_fanout_stream(FedFanout *ff, int task);
extern void fed_fanout_use_writer(FedFanout *ff);
extern void fed_fanout_statement_writes(FedFanout *ff);
extern bool fed_statement_writes(EState *estate);
extern bool fed_read_may_start_early(EState *estate, Plan *plan);
extern void fed_fanout_command(FedFanout *ff, int task);
extern void fed_fanout_reserve(FedFanout *ff, FedFanout *other);
extern void fed_fanout_start(FedFanout *ff);
extern TupleTableSlot *fed_fanout_next(FedFanout *ff);
extern TupleTableSlot *fed_fanout_next_of(FedFanout *ff, int task);
extern void fed_fanout_end(FedFanout *ff);
extern void fed_fanout_stats(FedFanout *ff, int task, FedTaskStats *stats);
extern bool fed_fanout_raised(FedFanout *ff);

#endif							/* FEDERATE_FANOUT_H */

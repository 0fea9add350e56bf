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

#include "executor/tuptable.h"
#include "portability/instr_time.h"

#include "federate.h"

typedef struct FedFanout FedFanout;

/* Convert a remote row of task into slot (a virtual tuple). */
typedef void (*FedRowConverter) (void *arg, int task, FedRow *row,
								 TupleTableSlot *slot);

/* What EXPLAIN ANALYZE shows of a task. */
typedef struct FedTaskStats
{
	bool		started;
	uint64		rows;
	uint64		bytes;
	double		ms;				/* from sending to the last row read */
} FedTaskStats;

extern FedFanout *fed_fanout_create(int ntasks, TupleDesc desc,
									FedRowConverter convert, void *arg);
extern void fed_fanout_add(FedFanout *ff, int task, ForeignServer *server,
						   UserMapping *user, const char *sql, int nparams,
						   const char **params, int fetch_size);
extern void fed_fanout_start(FedFanout *ff);
extern TupleTableSlot *fed_fanout_next(FedFanout *ff);
extern TupleTableSlot *fed_fanout_next_of(FedFanout *ff, int task);
extern void fed_fanout_end(FedFanout *ff);
extern void fed_fanout_stats(FedFanout *ff, int task, FedTaskStats *stats);

#endif							/* FEDERATE_FANOUT_H */

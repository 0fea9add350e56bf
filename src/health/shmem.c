/*-------------------------------------------------------------------------
 *
 * shmem.c
 *		The shared memory area behind the circuit breakers, the per-server
 *		statistics and the dispatch log.
 *
 * When federate is in shared_preload_libraries, the area is allocated in
 * shared memory at server start and every backend sees the same circuit
 * breakers and counters, under one LWLock (updates are a few per remote
 * statement, never per row).  Loaded later, there is no way to add shared
 * memory on PostgreSQL 15, so the same area is allocated in the backend's
 * own memory: everything still works, but per session.  docs/options.md says
 * which.
 *
 * src/health/shmem.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/shmem.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "health/shared.h"

int			fed_dispatch_log_size = 1000;

static FedHealthShared *area = NULL;
static FedBudgetShared *budget_area = NULL;
static bool preloaded = false;

#if PG_VERSION_NUM >= 150000
static shmem_request_hook_type prev_shmem_request = NULL;
#endif
static shmem_startup_hook_type prev_shmem_startup = NULL;

/* Where the statement statistics begin: after the dispatch log. */
static Size
stmts_offset(int dispatch_size)
{
	return MAXALIGN(add_size(offsetof(FedHealthShared, dispatches),
							 mul_size(sizeof(FedDispatch), dispatch_size)));
}

static Size
area_size(void)
{
	return add_size(stmts_offset(fed_dispatch_log_size),
					mul_size(sizeof(FedStmtSlot), fed_statement_stats_size));
}

/* The statement statistics' slots (health/latency.c). */
FedStmtSlot *
fed_stmt_slots(FedHealthShared *h)
{
	return (FedStmtSlot *) ((char *) h + stmts_offset(h->dispatch_size));
}

static Size
budget_area_size(void)
{
	return add_size(offsetof(FedBudgetShared, waits),
					mul_size(sizeof(FedBudgetWait), MaxBackends + 1));
}

static void
area_reset(FedHealthShared *h)
{
	memset(h, 0, area_size());
	h->dispatch_size = fed_dispatch_log_size;
	h->stmt_size = fed_statement_stats_size;
	h->stmt_reset_at = GetCurrentTimestamp();
}

#if PG_VERSION_NUM >= 150000
static void
fed_shmem_request(void)
{
	if (prev_shmem_request)
		prev_shmem_request();
	RequestAddinShmemSpace(area_size());
	RequestAddinShmemSpace(budget_area_size());
	RequestNamedLWLockTranche("federate", 1);
}
#endif

static void
fed_shmem_startup(void)
{
	bool		found;

	if (prev_shmem_startup)
		prev_shmem_startup();

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	area = ShmemInitStruct("federate health", area_size(), &found);
	if (!found)
	{
		area_reset(area);
		area->lock = &(GetNamedLWLockTranche("federate"))->lock;
	}
	budget_area = ShmemInitStruct("federate budget waits", budget_area_size(),
								  &found);
	if (!found)
	{
		memset(budget_area, 0, budget_area_size());
		ConditionVariableInit(&budget_area->cv);
		budget_area->nwaits = MaxBackends + 1;
	}
	LWLockRelease(AddinShmemInitLock);
}

/* Called from _PG_init. */
void
fed_health_init(void)
{
	if (!process_shared_preload_libraries_in_progress)
		return;
	preloaded = true;
#if PG_VERSION_NUM >= 150000
	prev_shmem_request = shmem_request_hook;
	shmem_request_hook = fed_shmem_request;
#else
	RequestAddinShmemSpace(area_size());
	RequestAddinShmemSpace(budget_area_size());
	RequestNamedLWLockTranche("federate", 1);
#endif
	prev_shmem_startup = shmem_startup_hook;
	shmem_startup_hook = fed_shmem_startup;
}

/* The area: shared when preloaded, else this backend's own. */
FedHealthShared *
fed_health_area(void)
{
	if (area == NULL)
	{
		if (preloaded)
			elog(ERROR, "federate: shared memory area is missing");
		area = MemoryContextAlloc(TopMemoryContext, area_size());
		area_reset(area);
	}
	return area;
}

/* The budget's waiting sessions: NULL unless federate is preloaded. */
FedBudgetShared *
fed_budget_area(void)
{
	(void) fed_health_area();
	return budget_area;
}

/* Is the area shared by every backend (federate preloaded)? */
bool
fed_health_shared(void)
{
	return preloaded;
}

void
fed_health_lock(FedHealthShared *h, bool exclusive)
{
	if (h->lock)
		LWLockAcquire(h->lock, exclusive ? LW_EXCLUSIVE : LW_SHARED);
}

void
fed_health_unlock(FedHealthShared *h)
{
	if (h->lock)
		LWLockRelease(h->lock);
}

/*
 * Copy text into a field of size bytes of the area, cut at a character
 * boundary of the database encoding if it is longer: the views show it as
 * text, which must not end in half a character.
 */
void
fed_copy_text(char *dst, const char *src, int size)
{
	int			len = strlen(src);

	Assert(size > 0);
	if (len >= size)
		len = pg_mbcliplen(src, len, size - 1);
	memcpy(dst, src, len);
	dst[len] = '\0';
}

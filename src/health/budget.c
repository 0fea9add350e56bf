/*-------------------------------------------------------------------------
 *
 * budget.c
 *		The per-server connection budget shared by every coordinator
 *		backend, and the view federate.server_connections.
 *
 * Every connection a backend opens to a server takes one unit of the
 * server's budget (server option connection_budget, else the setting
 * federate.connection_budget; 0 = no limit) and gives it back when it is
 * closed: the counts live in the server's slot of the shared area
 * (health/shmem.c), next to its circuit breaker, so that all sessions
 * together never hold more connections than the budget.
 *
 * A query's first connection to a server is required: when the budget is
 * spent, the backend waits in line for a unit (first come, first served;
 * asleep on a condition variable that each unit given back wakes;
 * cancellable, bounded by the server's connect_timeout) and then fails
 * with an error naming the server and the budget.  Further connections are optional:
 * taken only while units are free, otherwise the task waits for one of its
 * query's own connections (exec/fanout.c).  Idle connections count too:
 * at the end of a transaction a backend keeps an idle connection only
 * while that leaves a unit free and nobody waits (remote/connection.c), so
 * a waiting session never starves behind idle ones.
 *
 * The catalog is not read here at transaction end: the caller passes the
 * budget it saw when the connection last served.
 *
 * Without shared_preload_libraries the area is the backend's own: the
 * budget then limits each session's connections to a server, and a
 * required connection is never refused.
 *
 * What this backend holds is also counted locally, and given back when
 * the backend exits (before_shmem_exit), since its connections are not
 * closed one by one then.  A crashed backend makes the postmaster reset
 * shared memory, counts included.
 *
 * src/health/budget.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "funcapi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/ipc.h"
#include "storage/condition_variable.h"
#include "storage/latch.h"
#include "storage/proc.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "federate.h"
#include "health/shared.h"

int			fed_connection_budget = 64;

PG_FUNCTION_INFO_V1(federate_server_connections);

/* What this backend holds, per server (given back at exit). */
typedef struct FedHeld
{
	Oid			serverid;
	int			open;
	int			idle;
} FedHeld;

static FedHeld *held = NULL;
static int	nheld = 0;
static bool exit_registered = false;

static FedHeld *
held_for(Oid serverid)
{
	int			i;

	for (i = 0; i < nheld; i++)
		if (held[i].serverid == serverid)
			return &held[i];
	if (held == NULL)
		held = MemoryContextAllocZero(TopMemoryContext,
									  sizeof(FedHeld) * FED_TRACKED_SERVERS);
	if (nheld >= FED_TRACKED_SERVERS)
		return NULL;
	held[nheld].serverid = serverid;
	held[nheld].open = held[nheld].idle = 0;
	return &held[nheld++];
}

/* Give back what this backend holds: it is exiting. */
static void
budget_exit(int code, Datum arg)
{
	FedHealthShared *h = fed_health_area();
	int			i;

	fed_health_lock(h, true);
	for (i = 0; i < nheld; i++)
	{
		FedServerSlot *s = fed_server_slot(h, held[i].serverid, NULL, false);

		if (s)
		{
			s->conn_open = Max(0, s->conn_open - held[i].open);
			s->conn_idle = Max(0, s->conn_idle - held[i].idle);
		}
		held[i].open = held[i].idle = 0;
	}
	if (fed_budget_area() && MyBackendId > 0 &&
		MyBackendId < fed_budget_area()->nwaits)
		fed_budget_area()->waits[MyBackendId].dbid = InvalidOid;
	fed_health_unlock(h);
	if (fed_budget_area())
		ConditionVariableBroadcast(&fed_budget_area()->cv);
}

/* The budget of server: its option connection_budget, else the setting. */
int
fed_server_budget(ForeignServer *server)
{
	return fed_int_option(server->options, "connection_budget",
						  fed_connection_budget);
}

/*
 * Is the waiting backend me (NULL: not waiting in line) the first in line
 * for serverid?  Under the area's lock.
 */
static bool
first_in_line(FedBudgetShared *b, FedBudgetWait *me, Oid serverid)
{
	int			i;

	if (b == NULL || me == NULL || me->dbid == InvalidOid)
	{
		/* not in line: only when nobody is */
		for (i = 0; b && i < b->nwaits; i++)
			if (b->waits[i].dbid == MyDatabaseId && b->waits[i].serverid == serverid)
				return false;
		return true;
	}
	for (i = 0; i < b->nwaits; i++)
	{
		FedBudgetWait *w = &b->waits[i];

		if (w != me && w->dbid == MyDatabaseId && w->serverid == serverid &&
			w->ticket < me->ticket)
			return false;
	}
	return true;
}

/* Leave the line for serverid (an error or a cancel while waiting). */
static void
stop_waiting(FedHealthShared *h, FedBudgetShared *b, FedBudgetWait *me,
			 Oid serverid)
{
	FedServerSlot *s;

	ConditionVariableCancelSleep();
	fed_health_lock(h, true);
	s = fed_server_slot(h, serverid, NULL, false);
	if (s && s->conn_waiting > 0)
		s->conn_waiting--;
	if (me)
		me->dbid = InvalidOid;
	fed_health_unlock(h);
	if (b)
		ConditionVariableBroadcast(&b->cv);
}

/*
 * Take one unit of server's budget for a new connection.  When none is
 * free: a required connection waits for one until deadline (0 = no
 * bound; cancellable) and then fails; an optional one returns false.
 *
 * holding: the backend holds connections to other servers that it cannot
 * give up now (in use, or in a remote transaction).  Two such sessions
 * could each wait for what the other holds, so it waits at most
 * deadlock_timeout and then takes the unit beyond the budget.
 */
bool
fed_budget_take(ForeignServer *server, bool required, TimestampTz deadline,
				bool holding)
{
	FedHealthShared *h = fed_health_area();
	FedBudgetShared *b = fed_budget_area();
	int			budget = fed_server_budget(server);
	volatile bool waiting = false;
	bool		taken = false;
	FedHeld    *mine = held_for(server->serverid);
	FedBudgetWait *me = NULL;
	TimestampTz give_up = 0;

	if (holding && required)
		give_up = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
											  DeadlockTimeout);
	if (!exit_registered)
	{
		before_shmem_exit(budget_exit, (Datum) 0);
		exit_registered = true;
	}
	if (b && MyBackendId > 0 && MyBackendId < b->nwaits)
		me = &b->waits[MyBackendId];

	PG_TRY();
	{
		for (;;)
		{
			FedServerSlot *s;

			fed_health_lock(h, true);
			s = fed_server_slot(h, server->serverid, server->servername, true);
			if (s == NULL || mine == NULL)
			{
				/* more servers than tracked: no budget */
				fed_health_unlock(h);
				taken = true;
				break;
			}
			s->conn_budget = budget;
			if (budget <= 0 ||
				(s->conn_open < budget && first_in_line(b, me, server->serverid)) ||
				(required && (h->lock == NULL || me == NULL)) ||
				(give_up != 0 && GetCurrentTimestamp() >= give_up))
			{
				s->conn_open++;
				mine->open++;
				if (waiting)
				{
					s->conn_waiting--;
					me->dbid = InvalidOid;
				}
				fed_health_unlock(h);
				if (waiting)
				{
					/* the next in line may be served now */
					waiting = false;
					ConditionVariableCancelSleep();
					ConditionVariableBroadcast(&b->cv);
				}
				taken = true;
				break;
			}
			if (!required)
			{
				fed_health_unlock(h);
				break;
			}
			if (!waiting)
			{
				/* in line, after everyone who came before */
				s->conn_waiting++;
				me->dbid = MyDatabaseId;
				me->serverid = server->serverid;
				me->ticket = ++b->next_ticket;
				waiting = true;
			}
			fed_health_unlock(h);

			if (deadline != 0 && GetCurrentTimestamp() >= deadline)
				ereport(ERROR,
						(errcode(ERRCODE_TOO_MANY_CONNECTIONS),
						 errmsg("no connection to server \"%s\" became free within its budget",
								server->servername),
						 errdetail("All %d connections of the budget are in use by other sessions.",
								   budget),
						 errhint("Raise the server option \"connection_budget\" or the setting federate.connection_budget, or retry when fewer sessions use the server.")));
			/* woken when a unit is given back; a timeout bounds each sleep */
			(void) ConditionVariableTimedSleep(&b->cv, 100, PG_WAIT_EXTENSION);
		}
	}
	PG_CATCH();
	{
		if (waiting)
			stop_waiting(h, b, me, server->serverid);
		PG_RE_THROW();
	}
	PG_END_TRY();
	return taken;
}

/* A connection to serverid that held a unit was closed. */
void
fed_budget_give_back(Oid serverid, bool was_idle)
{
	FedHealthShared *h = fed_health_area();
	FedServerSlot *s;
	FedHeld    *mine = held_for(serverid);

	bool		wake = false;

	fed_health_lock(h, true);
	s = fed_server_slot(h, serverid, NULL, false);
	if (s && mine && mine->open > 0)
	{
		s->conn_open = Max(0, s->conn_open - 1);
		mine->open--;
		if (was_idle && mine->idle > 0)
		{
			s->conn_idle = Max(0, s->conn_idle - 1);
			mine->idle--;
		}
		wake = s->conn_waiting > 0;
	}
	fed_health_unlock(h);
	if (wake && fed_budget_area())
		ConditionVariableBroadcast(&fed_budget_area()->cv);
}

/* A connection to serverid became idle (true) or busy again (false). */
void
fed_budget_idle(Oid serverid, bool idle)
{
	FedHealthShared *h = fed_health_area();
	FedServerSlot *s;
	FedHeld    *mine = held_for(serverid);

	fed_health_lock(h, true);
	s = fed_server_slot(h, serverid, NULL, false);
	if (s && mine)
	{
		if (idle && mine->idle < mine->open)
		{
			s->conn_idle++;
			mine->idle++;
		}
		else if (!idle && mine->idle > 0)
		{
			s->conn_idle = Max(0, s->conn_idle - 1);
			mine->idle--;
		}
	}
	fed_health_unlock(h);
}

/*
 * May this backend keep one more idle connection to server?  Only when
 * that leaves a unit of the budget free and no session waits for one.
 * The connection asked about is counted as open already.
 */
bool
fed_budget_may_keep(Oid serverid, int budget)
{
	FedHealthShared *h = fed_health_area();
	FedServerSlot *s;
	bool		keep = true;

	if (budget <= 0)
		return true;
	fed_health_lock(h, false);
	s = fed_server_slot(h, serverid, NULL, false);
	if (s && (s->conn_waiting > 0 || s->conn_open >= budget))
		keep = false;
	fed_health_unlock(h);
	return keep;
}

/* federate.server_connections(): the budget and its use, per server. */
Datum
federate_server_connections(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	FedServerSlot *slots;
	int			n;
	int			i;

	InitMaterializedSRF(fcinfo, 0);
	n = fed_server_snapshot(&slots);
	for (i = 0; i < n; i++)
	{
		FedServerSlot *s = &slots[i];
		ForeignServer *server = GetForeignServerExtended(s->serverid,
														 FSV_MISSING_OK);
		Datum		values[6];
		bool		nulls[6] = {0};
		int			budget;

		if (server == NULL)
			continue;
		budget = fed_server_budget(server);
		values[0] = CStringGetTextDatum(server->servername);
		if (budget > 0)
			values[1] = Int32GetDatum(budget);
		else
			nulls[1] = true;
		values[2] = Int32GetDatum(Max(0, s->conn_open - s->conn_idle));
		values[3] = Int32GetDatum(s->conn_idle);
		values[4] = Int32GetDatum(s->conn_waiting);
		values[5] = BoolGetDatum(fed_health_shared());
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

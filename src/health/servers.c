/*-------------------------------------------------------------------------
 *
 * servers.c
 *		Circuit breakers and counters per remote server, in the shared area
 *		(health/shmem.c), and the SQL functions that show and reset them.
 *
 * A circuit breaker per server: after federate.circuit_failure_threshold
 * availability failures in a row (refused, failed or lost connections,
 * timeouts, a server shutting down or out of connections) the circuit is
 * open and every backend skips the server at once, without trying to
 * connect.  Once federate.circuit_cooldown (the setting of the session
 * whose failure opened it) has passed, the next statement
 * for it is let through as a probe (half-open) while the others are still
 * skipped; its success closes the circuit and its failure opens it for
 * another cool-down.  A probe that never reports (cancelled) is replaced
 * after one more cool-down.  A remote SQL error (a missing table, a
 * syntax error) says nothing about availability and resets the count like
 * a success.
 *
 * Servers are identified by database and OID; the name is kept for the
 * views and refreshed on each use.  Up to FED_TRACKED_SERVERS servers are
 * tracked; beyond that, servers simply go untracked (their circuit is
 * always closed).
 *
 * src/health/servers.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "federate.h"
#include "health/shared.h"

int			fed_circuit_threshold = 5;
int			fed_circuit_cooldown_ms = 30000;

PG_FUNCTION_INFO_V1(federate_server_stats);
PG_FUNCTION_INFO_V1(federate_circuit_breakers);
PG_FUNCTION_INFO_V1(federate_reset_circuit);
PG_FUNCTION_INFO_V1(federate_reset_stats);

bool
fed_availability_failure(FedFailKind kind)
{
	return kind == FED_FAIL_TIMEOUT || kind == FED_FAIL_REFUSED ||
		kind == FED_FAIL_CONNECT || kind == FED_FAIL_LOST;
}

/* The slot of a server, made if needed (under the exclusive lock). */
FedServerSlot *
fed_server_slot(FedHealthShared *h, Oid serverid, const char *name, bool create)
{
	FedServerSlot *free_slot = NULL;
	int			i;

	for (i = 0; i < FED_TRACKED_SERVERS; i++)
	{
		FedServerSlot *s = &h->servers[i];

		if (s->dbid == MyDatabaseId && s->serverid == serverid)
		{
			if (create)			/* under the exclusive lock: keep it current */
				strlcpy(s->servername, name, NAMEDATALEN);
			return s;
		}
		if (free_slot == NULL && !OidIsValid(s->dbid))
			free_slot = s;
	}
	if (!create || free_slot == NULL)
		return NULL;
	memset(free_slot, 0, sizeof(FedServerSlot));
	free_slot->dbid = MyDatabaseId;
	free_slot->serverid = serverid;
	strlcpy(free_slot->servername, name, NAMEDATALEN);
	return free_slot;
}

/*
 * May a statement go to server now?  False when its circuit is open (then
 * *why, if given, says since when and why).  A half-open circuit lets one
 * probe through.
 */
bool
fed_circuit_allows(Oid serverid, const char *name, char **why)
{
	FedHealthShared *h = fed_health_area();
	FedServerSlot *s;
	TimestampTz now = GetCurrentTimestamp();
	bool		allow = true;

	if (fed_circuit_threshold <= 0)
		return true;
	fed_health_lock(h, true);
	s = fed_server_slot(h, serverid, name, false);
	if (s && s->state == FED_CIRCUIT_OPEN)
	{
		if (now >= TimestampTzPlusMilliseconds(s->opened_at, s->cooldown_ms))
		{
			s->state = FED_CIRCUIT_HALF_OPEN;
			s->probe_at = now;
			s->probe_pid = MyProcPid;
		}
		else
			allow = false;
	}
	else if (s && s->state == FED_CIRCUIT_HALF_OPEN)
	{
		/*
		 * One probing backend at a time (all the shards of its query on the
		 * server go); a probe that never reported is replaced.
		 */
		if (s->probe_pid == MyProcPid)
			allow = true;
		else if (now >= TimestampTzPlusMilliseconds(s->probe_at, s->cooldown_ms))
		{
			s->probe_at = now;
			s->probe_pid = MyProcPid;
		}
		else
			allow = false;
	}
	if (!allow && why)
		*why = psprintf("The circuit opened after %d consecutive failures; the last was %s",
						s->consecutive, s->last_error);
	fed_health_unlock(h);
	return allow;
}

/* A statement was sent to server. */
void
fed_health_statement(Oid serverid, const char *name)
{
	FedHealthShared *h = fed_health_area();
	FedServerSlot *s;

	fed_health_lock(h, true);
	s = fed_server_slot(h, serverid, name, true);
	if (s)
		s->statements++;
	fed_health_unlock(h);
}

/* server answered: its circuit closes. */
void
fed_health_success(Oid serverid, const char *name)
{
	FedHealthShared *h = fed_health_area();
	FedServerSlot *s;
	bool		healthy;

	/* usually nothing to change: look under the shared lock first */
	fed_health_lock(h, false);
	s = fed_server_slot(h, serverid, name, false);
	healthy = s == NULL || (s->consecutive == 0 &&
							s->state == FED_CIRCUIT_CLOSED);
	fed_health_unlock(h);
	if (healthy)
		return;

	fed_health_lock(h, true);
	s = fed_server_slot(h, serverid, name, false);
	if (s)
	{
		s->consecutive = 0;
		s->state = FED_CIRCUIT_CLOSED;
	}
	fed_health_unlock(h);
}

/*
 * A statement for server failed; message never holds a password.
 * availability: the failure was the server's (it counts against the
 * circuit breaker); otherwise the server answered, or the cause was the
 * session's own.
 */
void
fed_health_failure(Oid serverid, const char *name, FedFailKind kind,
				   bool availability, const char *message)
{
	FedHealthShared *h = fed_health_area();
	FedServerSlot *s;
	TimestampTz now = GetCurrentTimestamp();
	char		text[1024];

	if (kind == FED_FAIL_CIRCUIT)
		return;
	snprintf(text, sizeof(text), "%s: %s", fed_fail_reason(kind),
			 message ? message : "");
	fed_health_lock(h, true);
	s = fed_server_slot(h, serverid, name, true);
	if (s)
	{
		s->errors++;
		if (kind == FED_FAIL_TIMEOUT)
			s->timeouts++;
		/* cut at a character boundary (the view shows it as text) */
		fed_copy_text(s->last_error, text, sizeof(s->last_error));
		s->last_error_at = now;
		if (!availability && kind != FED_FAIL_TIMEOUT)
		{
			/* the server answered, with an error */
			s->consecutive = 0;
			s->state = FED_CIRCUIT_CLOSED;
		}
		else if (availability)
		{
			s->consecutive++;
			if (s->state == FED_CIRCUIT_HALF_OPEN ||
				(fed_circuit_threshold > 0 &&
				 s->consecutive >= fed_circuit_threshold))
			{
				s->state = FED_CIRCUIT_OPEN;
				s->opened_at = now;
				s->cooldown_ms = fed_circuit_cooldown_ms;
			}
		}
	}
	fed_health_unlock(h);
	fed_statement_failed(serverid, name);
}

/* A statement on server ended: its rows, bytes and time. */
void
fed_health_finish(Oid serverid, const char *name, uint64 rows, uint64 bytes,
				  double ms)
{
	FedHealthShared *h = fed_health_area();
	FedServerSlot *s;

	fed_health_lock(h, true);
	s = fed_server_slot(h, serverid, name, true);
	if (s)
	{
		s->rows += rows;
		s->bytes += bytes;
		s->finished++;
		s->total_ms += ms;
		if (ms > s->max_ms)
			s->max_ms = ms;
		s->latency[fed_latency_bucket(ms)]++;
	}
	fed_health_unlock(h);
	fed_statement_finish(serverid, name, rows, bytes, ms);
}

void
fed_health_count(Oid serverid, const char *name, FedCounter counter)
{
	FedHealthShared *h = fed_health_area();
	FedServerSlot *s;

	fed_health_lock(h, true);
	s = fed_server_slot(h, serverid, name, true);
	if (s)
	{
		if (counter == FED_COUNT_RETRY)
			s->retries++;
		else
			s->fallbacks++;
	}
	fed_health_unlock(h);
}

static const char *
state_name(FedCircuitState state)
{
	switch (state)
	{
		case FED_CIRCUIT_OPEN:
			return "open";
		case FED_CIRCUIT_HALF_OPEN:
			return "half-open";
		default:
			return "closed";
	}
}

/* A copy of this database's tracked servers, taken under the lock. */
int
fed_server_snapshot(FedServerSlot **out)
{
	FedHealthShared *h = fed_health_area();
	FedServerSlot *copy = palloc(sizeof(FedServerSlot) * FED_TRACKED_SERVERS);
	int			n = 0;
	int			i;

	fed_health_lock(h, false);
	for (i = 0; i < FED_TRACKED_SERVERS; i++)
		if (h->servers[i].dbid == MyDatabaseId)
			copy[n++] = h->servers[i];
	fed_health_unlock(h);

	/* servers dropped since are not shown */
	for (i = 0; i < n;)
	{
		if (GetForeignServerExtended(copy[i].serverid, FSV_MISSING_OK) == NULL)
			copy[i] = copy[--n];
		else
			i++;
	}
	*out = copy;
	return n;
}

/* The name to show: the server's current name if it still exists. */
static Datum
server_name(FedServerSlot *s)
{
	ForeignServer *server = GetForeignServerExtended(s->serverid,
													 FSV_MISSING_OK);

	return CStringGetTextDatum(server ? server->servername : s->servername);
}

/* The driver of a tracked server, or "" once it was dropped. */
static const char *
server_driver(FedServerSlot *s)
{
	ForeignServer *server = GetForeignServerExtended(s->serverid,
													 FSV_MISSING_OK);

	return server ? fed_driver_name(fed_server_driver(server)) : "";
}

/* federate.server_stats(): counters per server. */
Datum
federate_server_stats(PG_FUNCTION_ARGS)
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
		Datum		values[15];
		bool		nulls[15] = {0};

		values[0] = server_name(s);
		values[1] = CStringGetTextDatum(server_driver(s));
		values[2] = Int64GetDatum((int64) s->statements);
		values[3] = Int64GetDatum((int64) s->rows);
		values[4] = Int64GetDatum((int64) s->bytes);
		values[5] = Int64GetDatum((int64) s->errors);
		values[6] = Int64GetDatum((int64) s->timeouts);
		values[7] = Int64GetDatum((int64) s->retries);
		values[8] = Int64GetDatum((int64) s->fallbacks);
		values[9] = Float8GetDatum(s->total_ms);
		values[10] = Float8GetDatum(s->max_ms);
		values[11] = CStringGetTextDatum(state_name(s->state));
		values[12] = Int32GetDatum(s->consecutive);
		if (s->last_error_at != 0)
		{
			values[13] = CStringGetTextDatum(s->last_error);
			values[14] = TimestampTzGetDatum(s->last_error_at);
		}
		else
			nulls[13] = nulls[14] = true;
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/* federate.circuit_breakers(): the breaker of each server. */
Datum
federate_circuit_breakers(PG_FUNCTION_ARGS)
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
		Datum		values[6];
		bool		nulls[6] = {0};

		values[0] = server_name(s);
		values[1] = CStringGetTextDatum(state_name(s->state));
		values[2] = Int32GetDatum(s->consecutive);
		if (s->state != FED_CIRCUIT_CLOSED)
		{
			values[3] = TimestampTzGetDatum(s->opened_at);
			values[4] = TimestampTzGetDatum(s->state == FED_CIRCUIT_OPEN ?
											TimestampTzPlusMilliseconds(s->opened_at,
																		s->cooldown_ms) :
											s->probe_at);
		}
		else
			nulls[3] = nulls[4] = true;
		if (s->last_error_at != 0)
			values[5] = CStringGetTextDatum(s->last_error);
		else
			nulls[5] = true;
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/* federate.reset_circuit(server): close its circuit now. */
Datum
federate_reset_circuit(PG_FUNCTION_ARGS)
{
	char	   *name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	ForeignServer *server = GetForeignServerByName(name, false);
	FedHealthShared *h = fed_health_area();
	FedServerSlot *s;
	bool		was_open = false;

	fed_health_lock(h, true);
	s = fed_server_slot(h, server->serverid, server->servername, false);
	if (s)
	{
		was_open = s->state != FED_CIRCUIT_CLOSED;
		s->state = FED_CIRCUIT_CLOSED;
		s->consecutive = 0;
	}
	fed_health_unlock(h);
	PG_RETURN_BOOL(was_open);
}

/* federate.reset_stats(): forget every counter and the dispatch log. */
Datum
federate_reset_stats(PG_FUNCTION_ARGS)
{
	FedHealthShared *h = fed_health_area();
	int			i;

	fed_health_lock(h, true);
	for (i = 0; i < FED_TRACKED_SERVERS; i++)
	{
		FedServerSlot *s = &h->servers[i];

		if (s->dbid != MyDatabaseId)
			continue;
		s->statements = s->rows = s->bytes = s->errors = s->timeouts = 0;
		s->retries = s->fallbacks = s->finished = 0;
		s->total_ms = s->max_ms = 0;
		memset(s->latency, 0, sizeof(s->latency));
		s->last_error[0] = '\0';
		s->last_error_at = 0;
	}
	h->dispatch_next = 0;
	fed_statement_reset(h);
	fed_health_unlock(h);
	PG_RETURN_VOID();
}

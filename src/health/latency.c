/*-------------------------------------------------------------------------
 *
 * latency.c
 *		How long the servers take: a histogram of statement times per
 *		server (federate.server_latency, with p50/p95/p99), and statistics
 *		per statement fingerprint and server (federate.statement_stats).
 *
 * Every remote statement of a fan-out that ends is counted into its
 * server's histogram (FedServerSlot.latency, health/servers.c keeps the
 * rest of the server's counters) and into the entry of its query id and
 * server: calls, rows, bytes, errors, total and max time.  Each execution
 * of a Federate Scan also counts into its query id's entry for all servers
 * (serverid InvalidOid): its time, and how many shards it contacted (the
 * fan-out width).  The entries live in a fixed number of slots
 * (federate.max_statement_stats) in the shared area after the dispatch
 * log; when they are all taken, the entry called least (the oldest of
 * those) makes room, as pg_stat_statements evicts its least used.
 *
 * Quantiles are read from the buckets as Prometheus' histogram_quantile
 * does: the bucket the rank falls in, and a linear interpolation inside
 * it (the last, unbounded, bucket ends at the largest time seen).  The
 * bounds include those of the dashboards that watch cross-partition query
 * durations (10, 50, 100, 250, 500, 1000, 2500, 5000 ms).
 *
 * src/health/latency.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_authid.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "tcop/tcopprot.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/backend_status.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/timestamp.h"

#include "health/shared.h"

int			fed_statement_stats_size = 1000;

const double fed_latency_bounds[FED_LATENCY_BUCKETS - 1] = {
	1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000
};

/* The bucket a statement of ms milliseconds counts in. */
int
fed_latency_bucket(double ms)
{
	int			i;

	for (i = 0; i < FED_LATENCY_BUCKETS - 1; i++)
		if (ms <= fed_latency_bounds[i])
			return i;
	return FED_LATENCY_BUCKETS - 1;
}

/*
 * The slot of (query id, server) in this database, made when create
 * (taking the least called slot when none is free), or NULL.  Lock held
 * exclusively when create.
 */
static FedStmtSlot *
stmt_slot(FedHealthShared *h, int64 query_id, Oid serverid, const char *name,
		  const char *query, bool create)
{
	FedStmtSlot *slots = fed_stmt_slots(h);
	FedStmtSlot *free_slot = NULL;
	FedStmtSlot *victim = NULL;
	int			i;

	for (i = 0; i < h->stmt_size; i++)
	{
		FedStmtSlot *s = &slots[i];

		if (s->dbid == MyDatabaseId && s->query_id == query_id &&
			s->serverid == serverid)
			return s;
		if (s->dbid == InvalidOid)
		{
			if (free_slot == NULL)
				free_slot = s;
		}
		else if (victim == NULL || s->calls + s->errors < victim->calls + victim->errors ||
				 (s->calls + s->errors == victim->calls + victim->errors &&
				  s->last_at < victim->last_at))
			victim = s;
	}
	if (!create || h->stmt_size == 0)
		return NULL;
	if (free_slot == NULL)
	{
		free_slot = victim;
		h->stmt_evicted++;
	}
	memset(free_slot, 0, sizeof(FedStmtSlot));
	free_slot->dbid = MyDatabaseId;
	free_slot->query_id = query_id;
	free_slot->serverid = serverid;
	free_slot->userid = GetUserId();
	if (name)
		strlcpy(free_slot->servername, name, NAMEDATALEN);
	if (query)
		fed_copy_text(free_slot->query, query, sizeof(free_slot->query));
	return free_slot;
}

/* The current statement's fingerprint (0 when query ids are off). */
static int64
current_query_id(void)
{
	return (int64) pgstat_get_my_query_id();
}

/* Count a remote statement on server for the current statement's entry. */
static void
record(Oid serverid, const char *name, uint64 rows, uint64 bytes, double ms,
	   bool failed)
{
	FedHealthShared *h = fed_health_area();
	FedStmtSlot *s;

	if (h->stmt_size == 0)
		return;
	fed_health_lock(h, true);
	s = stmt_slot(h, current_query_id(), serverid, name, debug_query_string,
				  true);
	if (failed)
		s->errors++;
	else
	{
		s->calls++;
		s->rows += rows;
		s->bytes += bytes;
		s->total_ms += ms;
		s->max_ms = Max(s->max_ms, ms);
	}
	s->last_at = GetCurrentTimestamp();
	fed_health_unlock(h);
}

/* A remote statement on server ended: rows, bytes and time (ms). */
void
fed_statement_finish(Oid serverid, const char *name, uint64 rows,
					 uint64 bytes, double ms)
{
	record(serverid, name, rows, bytes, ms, false);
}

/* A remote statement on server failed. */
void
fed_statement_failed(Oid serverid, const char *name)
{
	record(serverid, name, 0, 0, 0, true);
}

/* An execution of a Federate Scan ended (its dispatch log line). */
void
fed_statement_fanout(FedDispatch *d)
{
	FedHealthShared *h = fed_health_area();
	FedStmtSlot *s;

	if (h->stmt_size == 0)
		return;
	fed_health_lock(h, true);
	s = stmt_slot(h, d->query_id, InvalidOid, NULL, d->query, true);
	s->calls++;
	if (strcmp(d->status, "failed") == 0 || strcmp(d->status, "cancelled") == 0)
		s->errors++;
	s->total_ms += d->duration_ms;
	s->max_ms = Max(s->max_ms, d->duration_ms);
	s->width_sum += d->contacted;
	s->width_max = Max(s->width_max, d->contacted);
	s->last_at = d->at;
	fed_health_unlock(h);
}

/*
 * The q quantile (0..1) of the times counted in counts (n in all), the
 * largest being max_ms: linear inside the bucket the rank falls in.
 */
static double
quantile(const uint64 *counts, uint64 n, double max_ms, double q)
{
	double		rank = q * n;
	uint64		below = 0;
	int			i;

	for (i = 0; i < FED_LATENCY_BUCKETS; i++)
	{
		double		lo = i == 0 ? 0 : fed_latency_bounds[i - 1];
		double		hi = i < FED_LATENCY_BUCKETS - 1 ? fed_latency_bounds[i] : max_ms;

		if (counts[i] == 0)
			continue;
		if (below + counts[i] >= rank)
		{
			double		v = lo + (hi - lo) * (rank - below) / counts[i];

			return Min(Max(v, lo), Max(max_ms, lo));
		}
		below += counts[i];
	}
	return max_ms;
}

PG_FUNCTION_INFO_V1(federate_server_latency);

/*
 * federate.server_latency(): per server, the statements timed, their
 * p50/p95/p99 and largest time, and the cumulative buckets (Prometheus'
 * "le" bounds, the last Infinity).
 */
Datum
federate_server_latency(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	FedServerSlot *copy;
	int			n;
	int			i;
	int			b;
	Datum		bounds[FED_LATENCY_BUCKETS];

	InitMaterializedSRF(fcinfo, 0);
	for (b = 0; b < FED_LATENCY_BUCKETS - 1; b++)
		bounds[b] = Float8GetDatum(fed_latency_bounds[b]);
	bounds[FED_LATENCY_BUCKETS - 1] = Float8GetDatum(get_float8_infinity());

	n = fed_server_snapshot(&copy);
	for (i = 0; i < n; i++)
	{
		FedServerSlot *s = &copy[i];
		Datum		values[8];
		bool		nulls[8] = {0};
		Datum		cum[FED_LATENCY_BUCKETS];
		uint64		total = 0;

		for (b = 0; b < FED_LATENCY_BUCKETS; b++)
		{
			total += s->latency[b];
			cum[b] = Int64GetDatum((int64) total);
		}
		values[0] = CStringGetTextDatum(s->servername);
		values[1] = Int64GetDatum((int64) total);
		if (total > 0)
		{
			values[2] = Float8GetDatum(quantile(s->latency, total, s->max_ms, 0.50));
			values[3] = Float8GetDatum(quantile(s->latency, total, s->max_ms, 0.95));
			values[4] = Float8GetDatum(quantile(s->latency, total, s->max_ms, 0.99));
			values[5] = Float8GetDatum(s->max_ms);
		}
		else
			nulls[2] = nulls[3] = nulls[4] = nulls[5] = true;
		values[6] = PointerGetDatum(construct_array(bounds, FED_LATENCY_BUCKETS,
													FLOAT8OID, sizeof(float8),
													FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
		values[7] = PointerGetDatum(construct_array(cum, FED_LATENCY_BUCKETS,
													INT8OID, sizeof(int64),
													FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(federate_statement_stats);

/*
 * federate.statement_stats(): the entries of this database, the text of a
 * statement shown to its role or a stats reader only (as
 * pg_stat_statements shows it).
 */
Datum
federate_statement_stats(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	FedHealthShared *h = fed_health_area();
	FedStmtSlot *copy;
	int			n = 0;
	int			i;
	bool		all_stats = has_privs_of_role(GetUserId(), ROLE_PG_READ_ALL_STATS);

	InitMaterializedSRF(fcinfo, 0);
	if (h->stmt_size == 0)
		return (Datum) 0;
	copy = palloc(sizeof(FedStmtSlot) * h->stmt_size);
	fed_health_lock(h, false);
	for (i = 0; i < h->stmt_size; i++)
		if (fed_stmt_slots(h)[i].dbid == MyDatabaseId)
			copy[n++] = fed_stmt_slots(h)[i];
	fed_health_unlock(h);

	for (i = 0; i < n; i++)
	{
		FedStmtSlot *s = &copy[i];
		Datum		values[13];
		bool		nulls[13] = {0};
		bool		whole = !OidIsValid(s->serverid);

		values[0] = Int64GetDatum(s->query_id);
		if (s->userid == GetUserId() || all_stats)
			values[1] = CStringGetTextDatum(s->query);
		else
			values[1] = CStringGetTextDatum("<insufficient privilege>");
		if (whole)
			nulls[2] = true;
		else
			values[2] = CStringGetTextDatum(s->servername);
		values[3] = Int64GetDatum((int64) s->calls);
		values[4] = Int64GetDatum((int64) s->errors);
		/* (a whole statement's rows are its servers') */
		values[5] = Int64GetDatum((int64) s->rows);
		values[6] = Int64GetDatum((int64) s->bytes);
		nulls[5] = nulls[6] = whole;
		values[7] = Float8GetDatum(s->total_ms);
		values[8] = Float8GetDatum(s->max_ms);
		if (s->calls > 0)
			values[9] = Float8GetDatum(s->total_ms / s->calls);
		else
			nulls[9] = true;
		if (whole && s->calls > 0)
		{
			values[10] = Float8GetDatum((double) s->width_sum / s->calls);
			values[11] = Int32GetDatum(s->width_max);
		}
		else
			nulls[10] = nulls[11] = true;
		values[12] = TimestampTzGetDatum(s->last_at);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(federate_statement_stats_info);

/* federate.statement_stats_info(): slots, taken, evicted, since when. */
Datum
federate_statement_stats_info(PG_FUNCTION_ARGS)
{
	FedHealthShared *h = fed_health_area();
	TupleDesc	tupdesc;
	Datum		values[4];
	bool		nulls[4] = {0};
	int			used = 0;
	int			i;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	fed_health_lock(h, false);
	for (i = 0; i < h->stmt_size; i++)
		if (fed_stmt_slots(h)[i].dbid != InvalidOid)
			used++;
	values[0] = Int32GetDatum(h->stmt_size);
	values[1] = Int32GetDatum(used);
	values[2] = Int64GetDatum((int64) h->stmt_evicted);
	values[3] = TimestampTzGetDatum(h->stmt_reset_at);
	fed_health_unlock(h);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(tupdesc),
													  values, nulls)));
}

/* Forget the statement statistics (federate.reset_stats). */
void
fed_statement_reset(FedHealthShared *h)
{
	memset(fed_stmt_slots(h), 0, sizeof(FedStmtSlot) * h->stmt_size);
	h->stmt_evicted = 0;
	h->stmt_reset_at = GetCurrentTimestamp();
}

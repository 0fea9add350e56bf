/*-------------------------------------------------------------------------
 *
 * dispatch.c
 *		The log of recent dispatches: one line per execution of a Federate
 *		Scan, in a ring of federate.dispatch_log_size lines in the shared
 *		area (health/shmem.c), and the function behind its view.
 *
 * src/health/dispatch.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "catalog/pg_authid.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "health/shared.h"

PG_FUNCTION_INFO_V1(federate_dispatch_log);

void
fed_dispatch_record(FedDispatch *d)
{
	FedHealthShared *h = fed_health_area();

	if (h->dispatch_size <= 0)
	{
		fed_statement_fanout(d);
		return;
	}
	fed_health_lock(h, true);
	h->dispatches[h->dispatch_next % h->dispatch_size] = *d;
	h->dispatch_next++;
	fed_health_unlock(h);
	fed_statement_fanout(d);
}

/*
 * The lines the log keeps, oldest first (into *n), those of executions
 * that read two shards or more only when several_shards; NULL when there
 * is no log.
 */
static FedDispatch *
copy_dispatches(FedHealthShared *h, bool several_shards, int *n)
{
	FedDispatch *copy;
	uint64		first;
	uint64		next;
	uint64		i;

	*n = 0;
	if (h->dispatch_size <= 0)
		return NULL;
	copy = palloc(sizeof(FedDispatch) * h->dispatch_size);
	fed_health_lock(h, false);
	next = h->dispatch_next;
	first = next > (uint64) h->dispatch_size ? next - h->dispatch_size : 0;
	for (i = first; i < next; i++)
	{
		FedDispatch *d = &h->dispatches[i % h->dispatch_size];

		if (!several_shards || d->nshards >= 2)
			copy[(*n)++] = *d;
	}
	fed_health_unlock(h);
	return copy;
}

/* federate.dispatch_log(): the lines kept, oldest first. */
Datum
federate_dispatch_log(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	FedDispatch *copy;
	int			n;
	int			i;

	InitMaterializedSRF(fcinfo, 0);
	copy = copy_dispatches(fed_health_area(), false, &n);

	for (i = 0; i < n; i++)
	{
		FedDispatch *d = &copy[i];
		Datum		values[13];
		bool		nulls[13] = {0};

		values[0] = TimestampTzGetDatum(d->at);
		values[1] = Int32GetDatum(d->pid);
		values[2] = Int64GetDatum(d->query_id);
		/* as pg_stat_activity: the text only to its role or a stats reader */
		if (d->userid == GetUserId() ||
			has_privs_of_role(GetUserId(), ROLE_PG_READ_ALL_STATS))
			values[3] = CStringGetTextDatum(d->query);
		else
			values[3] = CStringGetTextDatum("<insufficient privilege>");
		values[4] = CStringGetTextDatum(d->relation);
		values[5] = CStringGetTextDatum(d->targeted ? "targeted" : "scatter-gather");
		values[6] = Int32GetDatum(d->contacted);
		values[7] = Int32GetDatum(d->total);
		values[8] = Int32GetDatum(d->answered);
		values[9] = Int32GetDatum(d->replicas);
		values[10] = CStringGetTextDatum(psprintf("%d/%d", d->answered,
												  d->contacted));
		values[11] = CStringGetTextDatum(d->status);
		values[12] = Float8GetDatum(d->duration_ms);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

static int
cmp_double(const void *a, const void *b)
{
	double		x = *(const double *) a;
	double		y = *(const double *) b;

	return x < y ? -1 : x > y ? 1 : 0;
}

/* The median of n values (sorted in place). */
static double
median(double *v, int n)
{
	qsort(v, n, sizeof(double), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

PG_FUNCTION_INFO_V1(federate_dispatch_shards);

/*
 * federate.dispatch_shards(): for each execution the dispatch log keeps
 * that read two shards or more, each shard's rows and time (the first
 * FED_DISPATCH_SHARDS shards), and the median rows and time of the shards
 * of that execution that answered: the straggler and the skewed partition
 * stand out against their siblings (federate.shard_skew sums it up).  In
 * an execution that failed or was cancelled, the shards stopped before
 * their end show the rows and time they had then.
 */
Datum
federate_dispatch_shards(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	FedDispatch *copy;
	int			n;
	int			i;

	InitMaterializedSRF(fcinfo, 0);
	copy = copy_dispatches(fed_health_area(), true, &n);

	for (i = 0; i < n; i++)
	{
		FedDispatch *d = &copy[i];
		double		ms[FED_DISPATCH_SHARDS];
		double		rows[FED_DISPATCH_SHARDS];
		double		median_ms = 0;
		double		median_rows = 0;
		int			answered = 0;
		int			k;

		for (k = 0; k < d->nshards; k++)
			if (d->shards[k].answered)
			{
				ms[answered] = d->shards[k].ms;
				rows[answered] = (double) d->shards[k].rows;
				answered++;
			}
		if (answered > 0)
		{
			median_ms = median(ms, answered);
			median_rows = median(rows, answered);
		}
		for (k = 0; k < d->nshards; k++)
		{
			FedDispatchShard *s = &d->shards[k];
			Datum		values[13];
			bool		nulls[13] = {0};

			values[0] = TimestampTzGetDatum(d->at);
			values[1] = Int32GetDatum(d->pid);
			values[2] = Int64GetDatum(d->query_id);
			values[3] = CStringGetTextDatum(d->relation);
			values[4] = CStringGetTextDatum(s->shard);
			values[5] = CStringGetTextDatum(s->server);
			values[6] = BoolGetDatum(s->answered);
			values[7] = Int64GetDatum((int64) s->rows);
			values[8] = Float8GetDatum(s->ms);
			values[9] = Int32GetDatum(answered);
			values[10] = Float8GetDatum(median_rows);
			values[11] = Float8GetDatum(median_ms);
			nulls[10] = nulls[11] = (answered == 0);
			values[12] = CStringGetTextDatum(d->status);
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		}
	}
	return (Datum) 0;
}

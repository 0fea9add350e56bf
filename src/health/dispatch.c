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
		return;
	fed_health_lock(h, true);
	h->dispatches[h->dispatch_next % h->dispatch_size] = *d;
	h->dispatch_next++;
	fed_health_unlock(h);
}

/* federate.dispatch_log(): the lines kept, oldest first. */
Datum
federate_dispatch_log(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	FedHealthShared *h = fed_health_area();
	FedDispatch *copy;
	uint64		first;
	uint64		next;
	uint64		i;
	int			n = 0;

	InitMaterializedSRF(fcinfo, 0);
	if (h->dispatch_size <= 0)
		return (Datum) 0;

	copy = palloc(sizeof(FedDispatch) * h->dispatch_size);
	fed_health_lock(h, false);
	next = h->dispatch_next;
	first = next > (uint64) h->dispatch_size ? next - h->dispatch_size : 0;
	for (i = first; i < next; i++)
		copy[n++] = h->dispatches[i % h->dispatch_size];
	fed_health_unlock(h);

	for (i = 0; i < (uint64) n; i++)
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

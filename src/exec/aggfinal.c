/*-------------------------------------------------------------------------
 *
 * aggfinal.c
 *		Finishing split aggregates on the coordinator with PostgreSQL's own
 *		final functions.
 *
 * variance and stddev (samp and pop) of integers and numeric are split
 * into per-shard count(x), sum(x) and sum(x * x) (plan/aggsplit.c).  The
 * coordinator adds them up and rebuilds the transition state PostgreSQL's
 * numeric aggregates keep (N, sumX, sumX2), then calls PostgreSQL's final
 * function on it: the result is PostgreSQL's own, to the last digit and
 * scale, not a re-implementation of its arithmetic.  The state is rebuilt
 * through numeric_deserialize, whose input format (numeric_serialize in
 * numeric.c) is fixed within a major version.
 *
 * src/exec/aggfinal.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "libpq/pqformat.h"
#include "nodes/execnodes.h"
#include "utils/fmgrprotos.h"
#include "utils/numeric.h"

PG_FUNCTION_INFO_V1(federate_numeric_var_final);

/* the state format read here is PostgreSQL 15's (plan/aggsplit.c agrees) */
#if PG_VERSION_NUM >= 150000 && PG_VERSION_NUM < 160000
#define FED_NUMERIC_STATE_KNOWN
#endif

#ifdef FED_NUMERIC_STATE_KNOWN

/* A Numeric in numeric_serialize's NumericVar format. */
static void
send_numericvar(StringInfo buf, Numeric num)
{
	bytea	   *b = DatumGetByteaPP(DirectFunctionCall1(numeric_send,
													  NumericGetDatum(num)));
	StringInfoData r;
	int			ndigits;
	int			i;

	r.data = VARDATA_ANY(b);
	r.len = VARSIZE_ANY_EXHDR(b);
	r.maxlen = r.len;
	r.cursor = 0;
	/* numeric_send: int16 ndigits, weight, sign, dscale, then the digits */
	ndigits = (int16) pq_getmsgint(&r, 2);
	pq_sendint32(buf, ndigits);
	pq_sendint32(buf, (int32) (int16) pq_getmsgint(&r, 2));
	pq_sendint32(buf, (int32) (uint16) pq_getmsgint(&r, 2));
	pq_sendint32(buf, (int32) (int16) pq_getmsgint(&r, 2));
	for (i = 0; i < ndigits; i++)
		pq_sendint16(buf, (int16) pq_getmsgint(&r, 2));
}

/*
 * federate.numeric_var_final(kind, n, sumx, sumx2): kind 0 var_samp,
 * 1 var_pop, 2 stddev_samp, 3 stddev_pop over n values whose sum is sumx
 * and sum of squares sumx2.  A NaN or an infinity among the values makes
 * a sum non-finite; PostgreSQL then answers NaN, which one NaN counted in
 * the state reproduces.
 */
Datum
federate_numeric_var_final(PG_FUNCTION_ARGS)
{
	static const PGFunction finals[] = {
		numeric_var_samp, numeric_var_pop, numeric_stddev_samp, numeric_stddev_pop
	};
	int32		kind = PG_GETARG_INT32(0);
	int64		n = PG_ARGISNULL(1) ? 0 : PG_GETARG_INT64(1);
	Numeric		sumx;
	Numeric		sumx2;
	Numeric		zero = int64_to_numeric(0);
	bool		finite;
	StringInfoData buf;
	Datum		state;
	Datum		result;
	AggState   *aggstate;

	LOCAL_FCINFO(deser, 2);
	LOCAL_FCINFO(final, 1);

	if (kind < 0 || kind > 3)
		elog(ERROR, "federate: unknown variance kind %d", kind);
	if (n <= 0 || PG_ARGISNULL(2) || PG_ARGISNULL(3))
		PG_RETURN_NULL();
	sumx = PG_GETARG_NUMERIC(2);
	sumx2 = PG_GETARG_NUMERIC(3);
	finite = !numeric_is_nan(sumx) && !numeric_is_inf(sumx) &&
		!numeric_is_nan(sumx2) && !numeric_is_inf(sumx2);

	pq_begintypsend(&buf);
	pq_sendint64(&buf, finite ? n : n - 1);	/* N */
	send_numericvar(&buf, finite ? sumx : zero);	/* sumX */
	send_numericvar(&buf, finite ? sumx2 : zero);	/* sumX2 */
	pq_sendint32(&buf, 0);		/* maxScale */
	pq_sendint64(&buf, 0);		/* maxScaleCount */
	pq_sendint64(&buf, finite ? 0 : 1); /* NaNcount */
	pq_sendint64(&buf, 0);		/* pInfcount */
	pq_sendint64(&buf, 0);		/* nInfcount */

	/* numeric_deserialize insists on being called by an aggregate */
	aggstate = makeNode(AggState);
	InitFunctionCallInfoData(*deser, NULL, 2, InvalidOid, (Node *) aggstate, NULL);
	deser->args[0].value = PointerGetDatum(pq_endtypsend(&buf));
	deser->args[0].isnull = false;
	deser->args[1].value = (Datum) 0;
	deser->args[1].isnull = false;
	state = numeric_deserialize(deser);

	InitFunctionCallInfoData(*final, NULL, 1, InvalidOid, NULL, NULL);
	final->args[0].value = state;
	final->args[0].isnull = false;
	result = finals[kind] (final);
	if (final->isnull)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(result);
}
#else							/* !FED_NUMERIC_STATE_KNOWN */

Datum
federate_numeric_var_final(PG_FUNCTION_ARGS)
{
	elog(ERROR, "federate: numeric_var_final is not built for this PostgreSQL version");
	PG_RETURN_NULL();
}

#endif

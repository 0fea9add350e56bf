/*-------------------------------------------------------------------------
 *
 * keys.c
 *		The "Federate Keys" node: passes the small input of a hash join on
 *		unchanged and collects its distinct join keys for the shards (see
 *		plan/keyjoin.c).
 *
 * While rows pass, each row's key (NULLs never match and are skipped) goes
 * into a hash table of distinct keys; past federate.key_shipping_max_keys
 * the collection stops.  When the input ends, the keys are published as
 * an array in the node's PARAM_EXEC slot, where the Federate Scan on the
 * other side of the join reads them when it starts; too many keys leave
 * the slot NULL (the shards are then read without them).  A rescan clears
 * the slot until the input has been read again.
 *
 * src/exec/keys.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "commands/explain.h"
#include "executor/executor.h"
#include "nodes/extensible.h"
#include "utils/array.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/ruleutils.h"
#include "utils/typcache.h"

#include "plan/plan.h"

typedef struct FedKeysState
{
	CustomScanState css;
	ExprState  *key;
	int			paramid;
	int			max_keys;
	Oid			key_type;
	Oid			key_collation;
	MemoryContext keys_cxt;		/* the hash table and the published array */
	TupleHashTable keys;
	TupleTableSlot *key_slot;	/* one key, to look up in keys */
	TupleTableSlot *read_slot;	/* one key of keys, when publishing */
	int			nkeys;
	bool		overflow;		/* more than max_keys */
	bool		published;
	int64		published_keys; /* for EXPLAIN ANALYZE: -1 = too many */
} FedKeysState;

static Node *fed_create_keys_state(CustomScan *cscan);
static void fed_begin_keys(CustomScanState *node, EState *estate, int eflags);
static TupleTableSlot *fed_exec_keys(CustomScanState *node);
static void fed_end_keys(CustomScanState *node);
static void fed_rescan_keys(CustomScanState *node);
static void fed_explain_keys(CustomScanState *node, List *ancestors,
							 ExplainState *es);

const CustomScanMethods fed_keys_methods = {
	.CustomName = "Federate Keys",
	.CreateCustomScanState = fed_create_keys_state,
};

static const CustomExecMethods fed_keys_exec_methods = {
	.CustomName = "Federate Keys",
	.BeginCustomScan = fed_begin_keys,
	.ExecCustomScan = fed_exec_keys,
	.EndCustomScan = fed_end_keys,
	.ReScanCustomScan = fed_rescan_keys,
	.ExplainCustomScan = fed_explain_keys,
};

static Node *
fed_create_keys_state(CustomScan *cscan)
{
	FedKeysState *ks = (FedKeysState *) newNode(sizeof(FedKeysState),
												T_CustomScanState);

	ks->css.methods = &fed_keys_exec_methods;
	return (Node *) ks;
}

/* Nothing published: the Federate Scan reads the shards without keys. */
static void
clear_keys(FedKeysState *ks)
{
	EState	   *estate = ks->css.ss.ps.state;
	ParamExecData *prm = &estate->es_param_exec_vals[ks->paramid];

	prm->execPlan = NULL;
	prm->value = (Datum) 0;
	prm->isnull = true;
	ks->published = false;
	ks->overflow = false;
	ks->nkeys = 0;
	ks->keys = NULL;
	MemoryContextReset(ks->keys_cxt);
}

static void
make_table(FedKeysState *ks)
{
	TupleDesc	desc = CreateTemplateTupleDesc(1);
	TypeCacheEntry *tce = lookup_type_cache(ks->key_type, TYPECACHE_EQ_OPR);
	Oid		   *eqfuncs;
	FmgrInfo   *hashfuncs;
	AttrNumber *cols = palloc(sizeof(AttrNumber));
	Oid		   *colls = palloc(sizeof(Oid));
	MemoryContext old = MemoryContextSwitchTo(ks->keys_cxt);

	TupleDescInitEntry(desc, 1, "key", ks->key_type, -1, 0);
	cols[0] = 1;
	colls[0] = ks->key_collation;
	execTuplesHashPrepare(1, &tce->eq_opr, &eqfuncs, &hashfuncs);
	ks->key_slot = MakeSingleTupleTableSlot(desc, &TTSOpsVirtual);
	ks->read_slot = MakeSingleTupleTableSlot(desc, &TTSOpsMinimalTuple);
	ks->keys = BuildTupleHashTableExt(&ks->css.ss.ps, desc, 1, cols, eqfuncs,
									  hashfuncs, colls, 256, 0,
									  ks->keys_cxt, ks->keys_cxt,
									  ks->css.ss.ps.ps_ExprContext->ecxt_per_tuple_memory,
									  false);
	MemoryContextSwitchTo(old);
}

static void
fed_begin_keys(CustomScanState *node, EState *estate, int eflags)
{
	FedKeysState *ks = (FedKeysState *) node;
	CustomScan *cs = (CustomScan *) node->ss.ps.plan;
	List	   *ints = linitial(cs->custom_private);

	ks->paramid = linitial_int(ints);
	ks->max_keys = lsecond_int(ints);
	ks->key_type = linitial_oid(lsecond(cs->custom_private));
	ks->key_collation = lsecond_oid(lsecond(cs->custom_private));
	ks->key = ExecInitExpr(linitial(cs->custom_exprs), &node->ss.ps);
	ks->published_keys = -2;
	node->custom_ps = list_make1(ExecInitNode(linitial(cs->custom_plans),
											  estate, eflags));
	ks->keys_cxt = AllocSetContextCreate(estate->es_query_cxt,
										 "federate join keys",
										 ALLOCSET_DEFAULT_SIZES);
	clear_keys(ks);
}

/* The keys collected, as the array the Federate Scan reads. */
static void
publish(FedKeysState *ks)
{
	EState	   *estate = ks->css.ss.ps.state;
	ParamExecData *prm = &estate->es_param_exec_vals[ks->paramid];
	int16		typlen;
	bool		typbyval;
	char		typalign;
	Datum	   *elems;
	int			n = 0;
	TupleHashIterator it;
	TupleHashEntry entry;
	MemoryContext old;

	ks->published = true;
	if (ks->overflow)
	{
		ks->published_keys = -1;
		return;
	}
	old = MemoryContextSwitchTo(ks->keys_cxt);
	elems = palloc(sizeof(Datum) * Max(ks->nkeys, 1));
	if (ks->keys)
	{
		InitTupleHashIterator(ks->keys, &it);
		while ((entry = ScanTupleHashTable(ks->keys, &it)) != NULL)
		{
			bool		isnull;

			ExecStoreMinimalTuple(entry->firstTuple, ks->read_slot, false);
			elems[n++] = slot_getattr(ks->read_slot, 1, &isnull);
		}
	}
	get_typlenbyvalalign(ks->key_type, &typlen, &typbyval, &typalign);
	prm->value = PointerGetDatum(construct_array(elems, n, ks->key_type,
												 typlen, typbyval, typalign));
	prm->isnull = false;
	ks->published_keys = n;
	MemoryContextSwitchTo(old);
}

static TupleTableSlot *
keys_next(ScanState *ss)
{
	FedKeysState *ks = (FedKeysState *) ss;
	ExprContext *econtext = ss->ps.ps_ExprContext;
	TupleTableSlot *slot = ExecProcNode(linitial(ks->css.custom_ps));

	if (TupIsNull(slot))
	{
		if (!ks->published)
			publish(ks);
		return ExecClearTuple(ss->ss_ScanTupleSlot);
	}

	/* the node's expressions were compiled for a virtual scan slot */
	if (slot->tts_ops != &TTSOpsVirtual)
		slot = ExecCopySlot(ss->ss_ScanTupleSlot, slot);

	if (!ks->overflow && !ks->published)
	{
		bool		isnull;
		Datum		key;

		econtext->ecxt_scantuple = slot;
		key = ExecEvalExpr(ks->key, econtext, &isnull);
		if (!isnull)
		{
			bool		isnew;

			if (ks->keys == NULL)
				make_table(ks);
			ExecClearTuple(ks->key_slot);
			ks->key_slot->tts_values[0] = key;
			ks->key_slot->tts_isnull[0] = false;
			ExecStoreVirtualTuple(ks->key_slot);
			(void) LookupTupleHashEntry(ks->keys, ks->key_slot, &isnew, NULL);
			if (isnew && ++ks->nkeys > ks->max_keys)
			{
				/* too many to send: the shards are read without keys */
				ks->overflow = true;
				ks->keys = NULL;
				MemoryContextReset(ks->keys_cxt);
			}
		}
	}
	return slot;
}

static bool
keys_recheck(ScanState *ss, TupleTableSlot *slot)
{
	return true;
}

static TupleTableSlot *
fed_exec_keys(CustomScanState *node)
{
	return ExecScan(&node->ss, keys_next, keys_recheck);
}

static void
fed_end_keys(CustomScanState *node)
{
	ExecEndNode(linitial(node->custom_ps));
}

static void
fed_rescan_keys(CustomScanState *node)
{
	FedKeysState *ks = (FedKeysState *) node;
	PlanState  *child = linitial(node->custom_ps);

	clear_keys(ks);
	if (node->ss.ps.chgParam != NULL)
		UpdateChangedParamSet(child, node->ss.ps.chgParam);
	if (child->chgParam == NULL)
		ExecReScan(child);
}

static void
fed_explain_keys(CustomScanState *node, List *ancestors, ExplainState *es)
{
	FedKeysState *ks = (FedKeysState *) node;
	CustomScan *cs = (CustomScan *) node->ss.ps.plan;
	List	   *context;
	char	   *key;

	context = set_deparse_context_plan(es->deparse_cxt, &cs->scan.plan, ancestors);
	key = deparse_expression(linitial(cs->custom_exprs), context, true, false);
	ExplainPropertyText("Join Keys", psprintf("%s, at most %d sent to the shards",
											  key,
											  lsecond_int(linitial(cs->custom_private))),
						es);
	if (es->analyze && ks->published_keys >= -1)
	{
		if (ks->published_keys == -1)
			ExplainPropertyText("Keys Collected", "too many (shards read without keys)", es);
		else
			ExplainPropertyInteger("Keys Collected", NULL, ks->published_keys, es);
	}
}

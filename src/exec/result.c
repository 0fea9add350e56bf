/*-------------------------------------------------------------------------
 *
 * result.c
 *		The "Federate Result" node: passes its child's rows on under the
 *		names the rest of the plan uses (see plan/plan.c).
 *
 * It evaluates nothing itself: its scan tuple is the child's row, and its
 * output is projected from it by the ordinary ExecScan machinery.
 *
 * src/exec/result.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "executor/executor.h"
#include "nodes/extensible.h"

#include "plan/plan.h"

static Node *fed_create_result_state(CustomScan *cscan);
static void fed_begin_result(CustomScanState *node, EState *estate, int eflags);
static TupleTableSlot *fed_exec_result(CustomScanState *node);
static void fed_end_result(CustomScanState *node);
static void fed_rescan_result(CustomScanState *node);

const CustomScanMethods fed_result_methods = {
	.CustomName = "Federate Result",
	.CreateCustomScanState = fed_create_result_state,
};

static const CustomExecMethods fed_result_exec_methods = {
	.CustomName = "Federate Result",
	.BeginCustomScan = fed_begin_result,
	.ExecCustomScan = fed_exec_result,
	.EndCustomScan = fed_end_result,
	.ReScanCustomScan = fed_rescan_result,
};

static Node *
fed_create_result_state(CustomScan *cscan)
{
	CustomScanState *css = (CustomScanState *) newNode(sizeof(CustomScanState),
													   T_CustomScanState);

	css->methods = &fed_result_exec_methods;
	return (Node *) css;
}

static void
fed_begin_result(CustomScanState *node, EState *estate, int eflags)
{
	CustomScan *cs = (CustomScan *) node->ss.ps.plan;

	node->custom_ps = list_make1(ExecInitNode(linitial(cs->custom_plans),
											  estate, eflags));
}

static TupleTableSlot *
result_next(ScanState *ss)
{
	CustomScanState *node = (CustomScanState *) ss;
	TupleTableSlot *slot = ExecProcNode(linitial(node->custom_ps));

	if (TupIsNull(slot))
		return ExecClearTuple(ss->ss_ScanTupleSlot);

	/*
	 * The node's expressions were compiled for a virtual scan slot, whose
	 * values they read without deforming: hand them one.
	 */
	if (slot->tts_ops != &TTSOpsVirtual)
		return ExecCopySlot(ss->ss_ScanTupleSlot, slot);
	return slot;
}

static bool
result_recheck(ScanState *ss, TupleTableSlot *slot)
{
	return true;
}

static TupleTableSlot *
fed_exec_result(CustomScanState *node)
{
	return ExecScan(&node->ss, result_next, result_recheck);
}

static void
fed_end_result(CustomScanState *node)
{
	ExecEndNode(linitial(node->custom_ps));
}

static void
fed_rescan_result(CustomScanState *node)
{
	PlanState  *child = linitial(node->custom_ps);

	if (node->ss.ps.chgParam != NULL)
		UpdateChangedParamSet(child, node->ss.ps.chgParam);
	if (child->chgParam == NULL)
		ExecReScan(child);
}

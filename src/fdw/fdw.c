/*-------------------------------------------------------------------------
 *
 * fdw.c
 *		The foreign data wrapper handler: which function serves which
 *		FdwRoutine callback.  The callbacks live in scan.c, modify.c and
 *		import.c.
 *
 * src/fdw/fdw.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "foreign/fdwapi.h"

#include "fdw/fdw.h"

PG_FUNCTION_INFO_V1(federate_handler);

Datum
federate_handler(PG_FUNCTION_ARGS)
{
	FdwRoutine *r = makeNode(FdwRoutine);

	/* reading */
	r->GetForeignRelSize = fedGetForeignRelSize;
	r->GetForeignPaths = fedGetForeignPaths;
	r->GetForeignPlan = fedGetForeignPlan;
	r->BeginForeignScan = fedBeginForeignScan;
	r->IterateForeignScan = fedIterateForeignScan;
	r->ReScanForeignScan = fedReScanForeignScan;
	r->EndForeignScan = fedEndForeignScan;
	r->ExplainForeignScan = fedExplainForeignScan;

	/* writing */
	r->AddForeignUpdateTargets = fedAddForeignUpdateTargets;
	r->PlanForeignModify = fedPlanForeignModify;
	r->BeginForeignModify = fedBeginForeignModify;
	r->ExecForeignInsert = fedExecForeignInsert;
	r->ExecForeignBatchInsert = fedExecForeignBatchInsert;
	r->GetForeignModifyBatchSize = fedGetForeignModifyBatchSize;
	r->ExecForeignUpdate = fedExecForeignUpdate;
	r->ExecForeignDelete = fedExecForeignDelete;
	r->EndForeignModify = fedEndForeignModify;
	r->BeginForeignInsert = fedBeginForeignInsert;
	r->EndForeignInsert = fedEndForeignInsert;
	r->IsForeignRelUpdatable = fedIsForeignRelUpdatable;
	r->ExplainForeignModify = fedExplainForeignModify;
	r->PlanDirectModify = fedPlanDirectModify;
	r->BeginDirectModify = fedBeginDirectModify;
	r->IterateDirectModify = fedIterateDirectModify;
	r->EndDirectModify = fedEndDirectModify;
	r->ExplainDirectModify = fedExplainDirectModify;
	r->ExecForeignTruncate = fedExecForeignTruncate;

	/* ANALYZE: a sample drawn on the server (analyze.c) */
	r->AnalyzeForeignTable = fedAnalyzeForeignTable;

	/* IMPORT FOREIGN SCHEMA */
	r->ImportForeignSchema = fedImportForeignSchema;

	PG_RETURN_POINTER(r);
}

/* Whether routine is federate's (a relation's fdwroutine, for the planner). */
bool
fed_is_federate_routine(const FdwRoutine *routine)
{
	return routine != NULL &&
		routine->GetForeignRelSize == fedGetForeignRelSize;
}

/*-------------------------------------------------------------------------
 *
 * fdw.h
 *		The foreign-data wrapper's callbacks (scan, modify, import) and the
 *		conversion of remote rows to tuples.
 *
 * src/fdw/fdw.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef FEDERATE_FDW_H
#define FEDERATE_FDW_H

#include "foreign/fdwapi.h"
#include "nodes/execnodes.h"
#include "nodes/pathnodes.h"

#include "remote/remote.h"

struct ExplainState;

/* in fdw/convert.c */
typedef struct FedConverter FedConverter;
extern FedConverter *fed_convert_init(TupleDesc tupdesc, List *retrieved,
									  FedDriverKind driver,
									  const char *relname,
									  FedConverter *like);
extern void fed_convert_row(FedConverter *cv, FedRow *row,
							Datum *values, bool *nulls);

/* in fdw/scan.c */
extern void fedGetForeignRelSize(PlannerInfo *root, RelOptInfo *baserel,
								 Oid foreigntableid);
extern void fedGetForeignPaths(PlannerInfo *root, RelOptInfo *baserel,
							   Oid foreigntableid);
extern ForeignScan *fedGetForeignPlan(PlannerInfo *root, RelOptInfo *baserel,
									  Oid foreigntableid, ForeignPath *best_path,
									  List *tlist, List *scan_clauses,
									  Plan *outer_plan);
extern void fedBeginForeignScan(ForeignScanState *node, int eflags);
extern TupleTableSlot *fedIterateForeignScan(ForeignScanState *node);
extern void fedReScanForeignScan(ForeignScanState *node);
extern void fedEndForeignScan(ForeignScanState *node);
extern void fedExplainForeignScan(ForeignScanState *node,
								  struct ExplainState *es);
extern List *fed_scan_remote_conds(RelOptInfo *baserel);
extern char *fed_explain_sql(const char *sql, List *param_offsets);
struct FedDialect;
extern const char *fed_bind_params(const struct FedDialect *dialect,
								   const char *sql, List *offsets,
								   List *param_states, ExprContext *econtext,
								   Oid extra_type, Datum extra_value,
								   int *nparams, const char ***params);

/* in fdw/modify.c */

/* fdw_private of PlanForeignModify */
enum FedModifyPrivateIndex
{
	FedModifyTargetAttrs,		/* attnums written (IntList) */
	FedModifyKeyAttrs,			/* attnums of the key (IntList) */
	FedModifySetsPartKey,		/* UPDATE assigns a partition key column */
	FedModifyReturning,			/* attnums RETURNING reads from the server
								 * (IntList) */
	FedModifyConflictTarget		/* INSERT ... ON CONFLICT (cols): their
								 * names (String), set by fdw/upsert.c */
};

extern bool fed_sets_partition_key(Oid relid, List *attnos);
extern List *fed_store_coercions_to_mysql(List *tlist);
extern void fedAddForeignUpdateTargets(PlannerInfo *root, Index rtindex,
									   RangeTblEntry *target_rte,
									   Relation target_relation);
extern List *fedPlanForeignModify(PlannerInfo *root, ModifyTable *plan,
								  Index resultRelation, int subplan_index);
extern void fedBeginForeignModify(ModifyTableState *mtstate,
								  ResultRelInfo *rinfo, List *fdw_private,
								  int subplan_index, int eflags);
extern TupleTableSlot *fedExecForeignInsert(EState *estate, ResultRelInfo *rinfo,
											TupleTableSlot *slot,
											TupleTableSlot *planSlot);
extern TupleTableSlot **fedExecForeignBatchInsert(EState *estate,
												  ResultRelInfo *rinfo,
												  TupleTableSlot **slots,
												  TupleTableSlot **planSlots,
												  int *numSlots);
extern int	fedGetForeignModifyBatchSize(ResultRelInfo *rinfo);
extern TupleTableSlot *fedExecForeignUpdate(EState *estate, ResultRelInfo *rinfo,
											TupleTableSlot *slot,
											TupleTableSlot *planSlot);
extern TupleTableSlot *fedExecForeignDelete(EState *estate, ResultRelInfo *rinfo,
											TupleTableSlot *slot,
											TupleTableSlot *planSlot);
extern void fedEndForeignModify(EState *estate, ResultRelInfo *rinfo);
extern void fedBeginForeignInsert(ModifyTableState *mtstate,
								  ResultRelInfo *rinfo);
extern void fedEndForeignInsert(EState *estate, ResultRelInfo *rinfo);
extern void fedExecForeignTruncate(List *rels, DropBehavior behavior,
								   bool restart_seqs);
extern int	fedIsForeignRelUpdatable(Relation rel);
extern bool fedPlanDirectModify(PlannerInfo *root, ModifyTable *plan,
								Index resultRelation, int subplan_index);
extern void fedBeginDirectModify(ForeignScanState *node, int eflags);
extern TupleTableSlot *fedIterateDirectModify(ForeignScanState *node);
extern void fedEndDirectModify(ForeignScanState *node);
extern void fedExplainDirectModify(ForeignScanState *node,
								   struct ExplainState *es);
extern void fedExplainForeignModify(ModifyTableState *mtstate,
									ResultRelInfo *rinfo, List *fdw_private,
									int subplan_index,
									struct ExplainState *es);

/* in fdw/upsert.c */
typedef struct FedUpsert FedUpsert;
extern List *fed_upsert_take_targets(Query *query);
extern void fed_upsert_give_targets(PlannedStmt *stmt, List *taken);
extern List *fed_upsert_target_names(ModifyTable *plan, ResultRelInfo *rinfo,
									 List *fdw_private);
extern FedUpsert *fed_upsert_begin(ModifyTableState *mtstate,
								   ResultRelInfo *rinfo, FedTableInfo *info,
								   List *names);
extern bool fed_upsert_updates(FedUpsert *u);
extern bool fed_upsert_counts_rows(FedUpsert *u);
extern bool fed_upsert_check_row(FedUpsert *u, TupleTableSlot *slot);
extern void fed_upsert_refuse(void) pg_attribute_noreturn();
extern void fed_upsert_row_changed(FedUpsert *u, TupleTableSlot *slot);
extern bool fed_upsert_one_row(FedUpsert *u);
extern const char *fed_upsert_clause(FedUpsert *u, EState *estate);

/* in fdw/import.c */
extern bool fedAnalyzeForeignTable(Relation relation,
								   AcquireSampleRowsFunc *func,
								   BlockNumber *totalpages);

extern List *fedImportForeignSchema(ImportForeignSchemaStmt *stmt,
									Oid serverOid);

#endif							/* FEDERATE_FDW_H */

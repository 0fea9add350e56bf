/*-------------------------------------------------------------------------
 *
 * plan.h
 *		What the planner side of the fan-out keeps, and the plan payload the
 *		executor side reads.
 *
 * A FedPathInfo describes one way of reading a federated table: the tasks
 * (one per shard, that is per leaf partition left after pruning), the
 * shape of the statement each task sends (select list, conditions,
 * grouping, ordering, limit) and what the coordinator does with the rows
 * (concatenate, merge sorted streams).  Paths carry it as a pointer;
 * PlanCustomPath turns it into copyable lists in custom_private, indexed
 * by FedPlanPrivateIndex.
 *
 * src/plan/plan.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef FEDERATE_PLAN_H
#define FEDERATE_PLAN_H

#include "nodes/extensible.h"
#include "nodes/pathnodes.h"
#include "nodes/plannodes.h"

#include "deparse/deparse.h"
#include "federate.h"

/*
 * One shard of the table: a leaf partition, or the table itself; for a
 * co-located join (plan/colocated.c), a pair of leaves on one server.
 */
typedef struct FedTaskPlan
{
	RelOptInfo *rel;			/* the leaf's RelOptInfo */
	Oid			relid;
	FedTableInfo info;
	const FedDialect *dialect;
	List	   *remote_conds;	/* shipped conditions, in the leaf's terms */
	Relids		relids;			/* the leaf's relid, or both leaves' */
	/* co-located joins: the other table's leaf */
	RelOptInfo *rel2;
	Oid			relid2;
	FedTableInfo info2;
	List	   *remote_conds2;	/* its shipped conditions */
} FedTaskPlan;

typedef enum FedShape
{
	FED_SHAPE_SCAN,				/* rows, possibly sorted and limited */
	FED_SHAPE_PARTIAL_AGG,		/* partial aggregates, combined above */
	FED_SHAPE_FULL_AGG,			/* whole aggregates: groups never span shards */
	FED_SHAPE_WINDOW			/* rows with window functions: no window
								 * partition spans shards */
} FedShape;

/* One key of a pushed-down ORDER BY, merged on the coordinator. */
typedef struct FedSortKey
{
	int			item;			/* position in items, from 1 */
	Oid			sortop;			/* the < or > operator */
	Oid			collation;
	bool		descending;
	bool		nulls_first;
} FedSortKey;

/*
 * Key shipping (plan/keyjoin.c): "column opno ANY (keys)" added to every
 * shard's statement, the keys those of key_expr over the other input of a
 * hash join, published by its Federate Keys node in PARAM_EXEC paramid.
 */
typedef struct FedKeyFilter
{
	Var		   *column;			/* of the federated table */
	Oid			opno;			/* column opno key */
	Oid			collation;
	Oid			key_type;
	Expr	   *key_expr;		/* over the other input */
	int			paramid;
} FedKeyFilter;

typedef struct FedPathInfo
{
	RelOptInfo *baserel;		/* the federated table's relation */
	Index		rti;
	List	   *tasks;			/* FedTaskPlan *, in partition order */
	int			nshards;		/* leaf partitions before pruning */
	List	   *local_conds;	/* RestrictInfos evaluated here */
	List	   *gating;			/* pseudoconstant conditions (no column of
								 * the table): aggregate shapes check them
								 * once before contacting any shard */
	PartitionPruneInfo *pruneinfo;	/* run-time pruning, or NULL */
	List	   *prune_relids;	/* Relids of each task (for pruning) */

	FedShape	shape;
	List	   *items;			/* remote select list, in the table's terms */
	List	   *group_items;	/* positions (from 1) grouped by */
	List	   *sort_keys;		/* FedSortKey *, or NIL */
	List	   *distinct_on;	/* SELECT DISTINCT ON (these items, from 1) */
	double		limit;			/* per-shard LIMIT, or -1 */
	List	   *having;			/* FULL_AGG, WINDOW: condition evaluated here */
	List	   *windows;		/* WINDOW: FedRemoteWindow * of the window
								 * functions among the items */
	List	   *local_notes;	/* char *: what stays on the coordinator
								 * and why, for EXPLAIN ("Kept Local") */
	bool		split;			/* one of the two reads of a table split by
								 * engine under an Append (aggsplit.c) */
	FedKeyFilter *key_filter;	/* keys shipped from a hash join, or NULL */

	/*
	 * A co-located join of two federated tables (plan/colocated.c):
	 * baserel is the join relation, rti the first table's, rti2 the
	 * other's; each task joins a pair of leaves in one statement.
	 */
	Index		rti2;			/* 0: not a join */
	JoinType	jointype;		/* INNER, LEFT, SEMI or ANTI */
	List	   *join_conds;		/* the join's conditions (ON), in the tables' terms */
	List	   *join_where;		/* an outer join's conditions above it */
} FedPathInfo;

/* CustomScan.custom_private slots */
typedef enum FedPlanPrivateIndex
{
	FedPlanSqls,				/* List of String, per task */
	FedPlanRelids,				/* OidList: the leaf table of each task */
	FedPlanOffsets,				/* List of IntList: MySQL parameter spots */
	FedPlanRetrieved,			/* IntList: scan attnos of remote columns */
	FedPlanFlags,				/* IntList, see FedPlanFlag */
	FedPlanSortAttnos,			/* IntList */
	FedPlanSortOps,				/* OidList */
	FedPlanSortColls,			/* OidList */
	FedPlanSortNullsFirst,		/* IntList */
	FedPlanPrune,				/* PartitionPruneInfo, or NULL */
	FedPlanPushed,				/* String: what was pushed down, for EXPLAIN */
	FedPlanLocal,				/* List of String: what stayed local, why */
	FedPlanKeys,				/* key shipping: NIL, or (IntList (paramid,
								 * array type, prune), per task the statement
								 * with the keys (String) and its parameter
								 * spots (IntList)) */
	FedPlanJoin,				/* co-located join: NIL, or (OidList of each
								 * task's second leaf, OidList (the first
								 * table, the user it is read as), IntList
								 * (the join's lowest planner range table
								 * index, for run-time pruning)) */
	FedPlanMembers,				/* NIL, or per task an OidList of the leaves
								 * its statement reads (NIL: its own only);
								 * see federate.combine_partitions */
	FedPlanPruneRels			/* OidList: the table of each
								 * PartitionedRelPruneInfo of FedPlanPrune */
} FedPlanPrivateIndex;

typedef enum FedPlanFlag
{
	FedFlagShape,
	FedFlagShards,				/* leaf partitions before pruning */
	FedFlagTableoid,			/* scan attno filled with the leaf's OID, or 0 */
	FedFlagRti,					/* range table index the plan was made for */
	FedFlagSplit,				/* FedPathInfo.split */
	FedFlagMaxRows,				/* most rows one task returns, or -1 */
	FedFlagSoleRead,			/* the statement's only remote read, never
								 * rescanned (plan/hook.c) */
	FedFlagBatchable,			/* the rows of two statements may simply
								 * follow each other (key batches) */
	FedFlagReadStatement,		/* the statement only reads: a SELECT without
								 * row locks, data-modifying CTEs or volatile
								 * functions (plan/hook.c) */
	FedFlagCount
} FedPlanFlag;

/* in plan/hook.c */
extern bool fed_enable_fanout;
extern bool fed_combine_partitions;
extern void fed_plan_init(void);

/* in plan/path.c */
extern FedPathInfo *fed_scan_info(PlannerInfo *root, RelOptInfo *rel,
								  Index rti, RangeTblEntry *rte);
extern void fed_add_scan_paths(PlannerInfo *root, RelOptInfo *rel,
							   FedPathInfo *base);
extern void fed_add_ordered_paths(PlannerInfo *root, RelOptInfo *rel,
								  FedPathInfo *base);
extern bool fed_is_fanout_path(Path *path);
extern Expr *fed_to_leaf(PlannerInfo *root, FedPathInfo *fi, FedTaskPlan *task,
						 Expr *expr);
extern bool fed_shippable_everywhere(PlannerInfo *root, FedPathInfo *fi,
									 Expr *expr);
extern bool fed_task_shippable(PlannerInfo *root, FedPathInfo *fi,
							   FedTaskPlan *task, Expr *expr);
extern int	fed_item_position(FedPathInfo *fi, Expr *expr);
extern Expr *fed_strip_relabel(Expr *e);
extern bool fed_covers_partition_key(PlannerInfo *root, FedPathInfo *fi,
									 List *exprs);
extern void fed_note_local(FedPathInfo *fi, const char *note);
extern List *fed_sort_keys(PlannerInfo *root, FedPathInfo *fi, List *pathkeys);
extern FedPathInfo *fed_path_info(Path *path);
extern FedPathInfo *fed_find_row_scan(RelOptInfo *input_rel);
extern CustomPath *fed_make_path(PlannerInfo *root, RelOptInfo *rel,
								 PathTarget *target, FedPathInfo *fi,
								 double rows, List *pathkeys);

/* in plan/aggsplit.c */
extern bool fed_add_agg_paths(PlannerInfo *root, RelOptInfo *input_rel,
							  RelOptInfo *grouped_rel, void *extra);
extern void fed_add_distinct_paths(PlannerInfo *root, RelOptInfo *input_rel,
								   RelOptInfo *distinct_rel);
extern void fed_add_join_agg_paths(PlannerInfo *root, RelOptInfo *input_rel,
								   RelOptInfo *grouped_rel, void *extra);

/* in plan/window.c */
extern void fed_add_window_paths(PlannerInfo *root, RelOptInfo *input_rel,
								 RelOptInfo *window_rel);

/* in plan/keyjoin.c */
extern int	fed_key_shipping_max_keys;
extern int	fed_key_shipping_batch_size;
extern const CustomPathMethods fed_keys_path_methods;
extern void fed_add_key_join_paths(PlannerInfo *root, RelOptInfo *joinrel,
								   RelOptInfo *outerrel, RelOptInfo *innerrel,
								   JoinType jointype,
								   JoinPathExtraData *extra);
extern List *fed_key_join_clauses(PlannerInfo *root, FedPathInfo *scan,
								  RelOptInfo *joinrel, RelOptInfo *outerrel,
								  RelOptInfo *innerrel, JoinType jointype,
								  List *restrictlist, FedKeyFilter **key);
extern CustomPath *fed_make_keys_path(RelOptInfo *rel, Path *child,
									  FedKeyFilter *kf);

/* in plan/colocated.c */
extern void fed_add_colocated_join_paths(PlannerInfo *root, RelOptInfo *joinrel,
										 RelOptInfo *outerrel,
										 RelOptInfo *innerrel,
										 JoinType jointype,
										 JoinPathExtraData *extra);

/* in plan/plan.c */
extern const CustomPathMethods fed_path_methods;
extern const CustomPathMethods fed_result_path_methods;
extern CustomPath *fed_make_result_path(RelOptInfo *rel, Path *child,
										PathTarget *target);
extern CustomScan *fed_pass_through_scan(List *tlist, List *exprs,
										 List *custom_plans);

/* in exec/scan.c */
extern const CustomScanMethods fed_scan_methods;

/* in exec/result.c */
extern const CustomScanMethods fed_result_methods;

/* in exec/keys.c */
extern const CustomScanMethods fed_keys_methods;

#endif							/* FEDERATE_PLAN_H */

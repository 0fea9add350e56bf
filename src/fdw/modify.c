/*-------------------------------------------------------------------------
 *
 * modify.c
 *		INSERT, UPDATE and DELETE on a federate foreign table.
 *
 * INSERT sends multi-row statements of batch_size rows (also when rows are
 * routed to the table as a partition, and for COPY).  UPDATE and DELETE
 * whose WHERE and SET the engine can evaluate are sent as one remote
 * statement ("direct modify"); otherwise rows are read, changed here, and
 * written back one statement per row, identified by the remote key: the
 * columns with option key 'true' (IMPORT FOREIGN SCHEMA sets it from the
 * remote primary key).  Without a key such a statement is refused: a row
 * is never identified by a guess such as its first column.
 *
 * An UPDATE that assigns a partition key column of the table's partitioned
 * ancestors is never sent whole: each new row is checked against the
 * partition's constraint here, and a row that would have to move to
 * another partition is an error (rows are not moved between partitions
 * yet; updated in place, the row would sit where no query for its new key
 * looks).
 *
 * RETURNING gets the rows as the server wrote them (its defaults, its
 * triggers): the statement's RETURNING clause lists the columns the
 * RETURNING list reads; MySQL has no UPDATE ... RETURNING, so there an
 * updated row is read again by its key in the same remote transaction.
 *
 * Values are sent as $n parameters to PostgreSQL and as literals written
 * by the dialect to MySQL.  TRUNCATE is here too.
 *
 * src/fdw/modify.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/sysattr.h"
#include "access/table.h"
#include "access/transam.h"
#include "catalog/namespace.h"
#include "catalog/partition.h"
#include "commands/explain.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/appendinfo.h"
#include "optimizer/inherit.h"
#include "optimizer/optimizer.h"
#include "optimizer/pathnode.h"
#include "optimizer/planmain.h"
#include "parser/parsetree.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/partcache.h"
#include "utils/rel.h"
#include "utils/tuplestore.h"
#include "common/hashfn.h"
#include "utils/hsearch.h"

#include "deparse/deparse.h"
#include "exec/fanout.h"
#include "fdw/fdw.h"

/* fdw_private of a direct-modify ForeignScan */
enum FedDirectPrivateIndex
{
	FedDirectSql,
	FedDirectParamOffsets,
	FedDirectSetTag,
	FedDirectReturning,			/* as FedModifyReturning */
	FedDirectHasReturning		/* the statement has a RETURNING list */
};

typedef struct FedModifyState
{
	bool		upsert_checked; /* the batch's rows were checked already
								 * (fed_upsert_check_row) */
	FedTableInfo info;
	const FedDialect *dialect;
	Relation	rel;
	CmdType		operation;
	List	   *target_attrs;
	List	   *key_attrs;
	AttrNumber *key_junk;		/* junk column of each key attr */
	bool		check_partition;	/* new rows must stay in the partition */
	FedUpsert  *upsert;			/* INSERT ... ON CONFLICT, or NULL */
	List	   *ret_attrs;		/* columns RETURNING reads from the server */
	FedConverter *ret_cv;		/* their converter */
	FmgrInfo   *out_funcs;		/* each column's output function */
	HTAB	   *seen_keys;		/* rows this UPDATE/DELETE changed (joins) */
	bool		defer;			/* row-by-row writes wait for the reads */
	List	   *deferred;		/* FedDeferredWrite, in order */
	MemoryContext defer_cxt;
	int			batch_size;
	MemoryContext temp_cxt;		/* reset per statement */

	/*
	 * An INSERT batch sent without waiting (send_batch): its connection,
	 * its rows, and the memory of its statement until it ends.
	 */
	EState	   *estate;
	bool		set_tag;		/* the statement's rows count in its tag */
	FedConn    *pending_conn;
	int			pending_rows;
	bool		pending_lost;	/* its result was lost (see pending_park) */
	MemoryContext pending_cxt;
	MemoryContextCallback on_free;	/* the query's memory goes */

	/*
	 * COPY FROM hands rows over one at a time (PostgreSQL 15 has no batches
	 * for foreign tables in COPY): they wait here for a batch.
	 */
	bool		buffer_rows;
	TupleTableSlot **buffered;
	int			nbuffered;
} FedModifyState;

/*
 * The UPDATEs or DELETEs sent whole to the foreign partitions of one
 * statement's partitioned table: sent to their servers all at once (one
 * fan-out through the writing connections) when the first of them runs,
 * rather than each after the one before.  Statements for one server still
 * run one after another on its connection.
 */
struct FedWriteGroup
{
	EState	   *estate;
	List	   *members;		/* FedDirectState, in the plan's order */
	FedFanout  *ff;				/* once started */
	bool		ended;
	MemoryContextCallback on_free;
};

/* The groups of the queries running (cells in TopMemoryContext). */
static List *write_groups = NIL;

/*
 * The INSERT states whose batch in flight is a COPY (cells in
 * TopMemoryContext): each new batch first hands over the rows of those
 * whose servers asked for them (fed_conn_push_copy).
 */
static List *copies_in_flight = NIL;


/* A row-by-row UPDATE or DELETE kept until the statement's reads end */
typedef struct FedDeferredWrite
{
	char	   *sql;
	int			nparams;
	const char **params;
} FedDeferredWrite;

typedef struct FedWriteGroup FedWriteGroup;

typedef struct FedDirectState
{
	ForeignScanState *node;
	FedWriteGroup *group;		/* sent with its siblings, or NULL */
	int			task;			/* its task in the group's fan-out */
	FedTableInfo info;
	const FedDialect *dialect;
	char	   *sql;
	List	   *param_offsets;
	List	   *param_states;
	bool		set_tag;
	bool		returning;		/* the statement has a RETURNING list */
	List	   *ret_attrs;		/* the columns it reads from the server */
	FedConverter *ret_cv;
	Tuplestorestate *returned;	/* the rows the server returned */
	TupleTableSlot *returned_slot;	/* to read them */
	uint64		nreturned;		/* their number (rows without columns) */
	bool		done;
} FedDirectState;

static bool writes_go_together(EState *estate);
static void join_write_group(FedDirectState *ds, EState *estate);

/* A row's key, as two hashes of its key columns' text (see seen_before). */
typedef struct FedSeenKey
{
	uint64		h1;
	uint64		h2;
} FedSeenKey;

/*
 * Does a join under the ModifyTable give it rows to change (UPDATE ...
 * FROM, DELETE ... USING, a join in a subquery pulled up)?  Then one
 * target row may come once per row it joins.
 */
static bool
plan_has_join(Plan *plan)
{
	ListCell   *lc;

	if (plan == NULL)
		return false;
	if (IsA(plan, NestLoop) || IsA(plan, MergeJoin) || IsA(plan, HashJoin) ||
		IsA(plan, CustomScan))
		return true;
	if (IsA(plan, Append))
	{
		foreach(lc, ((Append *) plan)->appendplans)
			if (plan_has_join(lfirst(lc)))
				return true;
	}
	if (IsA(plan, MergeAppend))
	{
		foreach(lc, ((MergeAppend *) plan)->mergeplans)
			if (plan_has_join(lfirst(lc)))
				return true;
	}
	if (IsA(plan, SubqueryScan))
		return plan_has_join(((SubqueryScan *) plan)->subplan);
	return plan_has_join(outerPlan(plan)) || plan_has_join(innerPlan(plan));
}

static List *
key_attrs_of(Relation rel)
{
	TupleDesc	desc = RelationGetDescr(rel);
	List	   *keys = NIL;
	int			i;

	for (i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		if (!att->attisdropped && fed_column_is_key(RelationGetRelid(rel), att->attnum))
			keys = lappend_int(keys, att->attnum);
	}
	return keys;
}

static void
require_key(Relation rel, List *keys, CmdType op, bool sets_part_key)
{
	if (keys == NIL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_UNABLE_TO_CREATE_EXECUTION),
				 errmsg("cannot %s foreign table \"%s\" row by row because it has no key column",
						op == CMD_UPDATE ? "UPDATE" : "DELETE",
						RelationGetRelationName(rel)),
				 sets_part_key ?
				 errdetail("The UPDATE assigns a partition key column, so each new row must be checked against the partition's bounds before it is written, and each row identified by its key.") :
				 errdetail("The statement's conditions or new values cannot all be evaluated by the remote server, so each row must be identified by its key."),
				 errhint("Set the column option \"key\" to 'true' on the columns of the remote primary key, or import the table with IMPORT FOREIGN SCHEMA, which does so.")));
}

/*
 * Does an UPDATE of foreign table relid that writes the columns attnos
 * (the table's attribute numbers) assign a partition key column of one of
 * its partitioned ancestors (a column of the key, or one its expressions
 * use)?  Ancestors may number their columns differently: columns are
 * matched by name.
 */
bool
fed_sets_partition_key(Oid relid, List *attnos)
{
	List	   *ancestors;
	ListCell   *lc;
	bool		found = false;

	if (attnos == NIL || !get_rel_relispartition(relid))
		return false;
	ancestors = get_partition_ancestors(relid);
	foreach(lc, ancestors)
	{
		Oid			parent = lfirst_oid(lc);
		Relation	prel = table_open(parent, AccessShareLock);
		PartitionKey key = RelationGetPartitionKey(prel);
		Bitmapset  *cols = NULL;
		int			i;
		int			col = -1;

		for (i = 0; i < key->partnatts; i++)
		{
			if (key->partattrs[i] != 0)
				cols = bms_add_member(cols, key->partattrs[i] -
									  FirstLowInvalidHeapAttributeNumber);
		}
		pull_varattnos((Node *) key->partexprs, 1, &cols);
		while (!found && (col = bms_next_member(cols, col)) >= 0)
		{
			AttrNumber	pattno = col + FirstLowInvalidHeapAttributeNumber;
			char	   *name;

			if (pattno <= InvalidAttrNumber)
				continue;		/* a whole-row reference: any column */
			name = get_attname(parent, pattno, false);
			found = list_member_int(attnos, get_attnum(relid, name));
		}
		if (!found && bms_is_member(InvalidAttrNumber -
									FirstLowInvalidHeapAttributeNumber, cols))
			found = true;
		table_close(prel, NoLock);
		if (found)
			break;
	}
	list_free(ancestors);
	return found;
}

/*
 * Does a new value of the SET list read a column assigned before it in the
 * list?  MySQL evaluates single-table SET lists from left to right, each
 * expression seeing the columns already assigned (MariaDB too, unless
 * sql_mode SIMULTANEOUS_ASSIGNMENT, which MySQL lacks), where SQL has
 * every expression see the old row: "SET a = b, b = a" swaps on
 * PostgreSQL and copies on MySQL.  Such an UPDATE goes row by row, its
 * new values computed here.
 */
static bool
set_reads_assigned(List *tlist, List *colnos, Index varno)
{
	Bitmapset  *assigned = NULL;
	ListCell   *lc;
	ListCell   *lc2;

	forboth(lc, tlist, lc2, colnos)
	{
		TargetEntry *tle = lfirst_node(TargetEntry, lc);
		Bitmapset  *reads = NULL;

		pull_varattnos((Node *) tle->expr, varno, &reads);
		if (bms_overlap(reads, assigned) ||
			bms_is_member(InvalidAttrNumber - FirstLowInvalidHeapAttributeNumber,
						  reads))
			return true;
		assigned = bms_add_member(assigned, lfirst_int(lc2) -
								  FirstLowInvalidHeapAttributeNumber);
	}
	return false;
}

/*
 * A new row of an UPDATE that assigns the partition key must still belong
 * to the partition: federate does not move rows between partitions (yet),
 * and a row updated in place outside its partition's bounds would be
 * stranded, found by no query for its new key.
 */
static void
check_partition(FedModifyState *ms, ResultRelInfo *rinfo,
				TupleTableSlot *slot, EState *estate)
{
	ResultRelInfo *root = rinfo->ri_RootResultRelInfo;

	if (ExecPartitionCheck(rinfo, slot, estate, false))
		return;
	if (root == NULL)
		ExecPartitionCheckEmitError(rinfo, slot, estate);
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("cannot move a row of foreign table \"%s\" to another partition of \"%s\"",
					RelationGetRelationName(ms->rel),
					RelationGetRelationName(root->ri_RelationDesc)),
			 errdetail("The UPDATE changes the partition key so that the row no longer belongs to partition \"%s\", and federate does not move rows between partitions.",
					   RelationGetRelationName(ms->rel)),
			 errhint("Delete the row and insert it with its new values, in one transaction.")));
}

void
fedAddForeignUpdateTargets(PlannerInfo *root, Index rtindex,
						   RangeTblEntry *target_rte, Relation target_relation)
{
	ListCell   *lc;

	foreach(lc, key_attrs_of(target_relation))
	{
		Form_pg_attribute att = TupleDescAttr(RelationGetDescr(target_relation),
											  lfirst_int(lc) - 1);
		Var		   *var = makeVar(rtindex, att->attnum, att->atttypid,
								  att->atttypmod, att->attcollation, 0);

		add_row_identity_var(root, var, rtindex, NameStr(att->attname));
	}
}

int
fedIsForeignRelUpdatable(Relation rel)
{
	return (1 << CMD_INSERT) | (1 << CMD_UPDATE) | (1 << CMD_DELETE);
}

/*
 * The columns an INSERT into rel sends.  All of them when target is NULL
 * (COPY, a row moved by an UPDATE); else those the statement names and
 * those target (the table it names: rel, or the partitioned table rel is
 * a partition of) has a default for, matched by name: the others are left
 * out, so that the server fills them with its own defaults (a serial id
 * that RETURNING then reads), as it would for the same INSERT sent to it.
 */
static List *
insert_attrs(Relation rel, Relation target, Bitmapset *named)
{
	TupleDesc	desc = RelationGetDescr(rel);
	List	   *attrs = NIL;
	int			i;

	for (i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);
		AttrNumber	tattno = att->attnum;

		if (att->attisdropped || att->attgenerated)
			continue;
		if (target != NULL && target != rel)
			tattno = get_attnum(RelationGetRelid(target), NameStr(att->attname));
		if (target == NULL || tattno == InvalidAttrNumber ||
			bms_is_member(tattno - FirstLowInvalidHeapAttributeNumber, named) ||
			TupleDescAttr(RelationGetDescr(target), tattno - 1)->atthasdef)
			attrs = lappend_int(attrs, att->attnum);
	}
	return attrs;
}

/* The columns an INSERT's range table entry names. */
static Bitmapset *
inserted_cols(RangeTblEntry *rte, List *perminfos)
{
#if PG_VERSION_NUM >= 160000
	return getRTEPermissionInfo(perminfos, rte)->insertedCols;
#else
	return rte->insertedCols;
#endif
}

/*
 * The columns of rel a RETURNING list reads (its Vars of varno; a
 * whole-row reference reads them all), to be returned by the server.
 * Generated columns keep the value computed here.
 */
static List *
returning_attrs(Relation rel, List *returning, Index varno)
{
	TupleDesc	desc = RelationGetDescr(rel);
	Bitmapset  *cols = NULL;
	bool		whole;
	List	   *attrs = NIL;
	int			i;

	pull_varattnos((Node *) returning, varno, &cols);
	whole = bms_is_member(InvalidAttrNumber - FirstLowInvalidHeapAttributeNumber,
						  cols);
	for (i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		if (att->attisdropped || att->attgenerated)
			continue;
		if (whole || bms_is_member(att->attnum - FirstLowInvalidHeapAttributeNumber,
								   cols))
			attrs = lappend_int(attrs, att->attnum);
	}
	return attrs;
}

/*
 * Refuse ON CONFLICT DO NOTHING on a MySQL server: MySQL has no exact
 * equivalent (INSERT IGNORE also turns data errors into warnings, and ON
 * DUPLICATE KEY UPDATE cannot tell the rows it skipped from those it
 * inserted in the row count).  DO UPDATE is checked by fdw/upsert.c.
 */
static void
check_on_conflict(OnConflictAction action, Oid relid)
{
	FedTableInfo info;

	if (action != ONCONFLICT_NOTHING)
		return;
	fed_table_info(relid, InvalidOid, &info);
	if (info.driver != FED_DRIVER_POSTGRES)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("ON CONFLICT DO NOTHING is not supported on foreign table \"%s\" of MySQL server \"%s\"",
						get_rel_name(relid), info.server->servername),
				 errdetail("MySQL can skip duplicate rows only by INSERT IGNORE, which also ignores other errors, or by ON DUPLICATE KEY UPDATE, whose row count does not tell skipped rows from inserted ones."),
				 errhint("Use ON CONFLICT (...) DO UPDATE, or leave out the rows that are there already.")));
}

List *
fedPlanForeignModify(PlannerInfo *root, ModifyTable *plan,
					 Index resultRelation, int subplan_index)
{
	CmdType		op = plan->operation;
	RangeTblEntry *rte = planner_rt_fetch(resultRelation, root);
	Relation	rel = table_open(rte->relid, NoLock);
	List	   *targets = NIL;
	List	   *keys = NIL;
	bool		sets_part_key;
	Node	   *returning = NULL;
	List	   *priv;

	check_on_conflict(plan->onConflictAction, rte->relid);

	if (op == CMD_INSERT)
		targets = insert_attrs(rel, rel,
							   inserted_cols(rte,
#if PG_VERSION_NUM >= 160000
											 root->parse->rteperminfos
#else
											 NIL
#endif
											 ));
	else if (op == CMD_UPDATE || op == CMD_DELETE)
	{
		keys = key_attrs_of(rel);
		if (op == CMD_UPDATE)
		{
			RelOptInfo *relinfo = find_base_rel(root, resultRelation);
			Bitmapset  *cols = get_rel_all_updated_cols(root, relinfo);
			int			col = -1;

			while ((col = bms_next_member(cols, col)) >= 0)
			{
				AttrNumber	attno = col + FirstLowInvalidHeapAttributeNumber;

				if (attno <= InvalidAttrNumber)
					elog(ERROR, "federate: system-column update is not supported");
				if (!TupleDescAttr(RelationGetDescr(rel), attno - 1)->attgenerated)
					targets = lappend_int(targets, attno);
			}
		}
	}
	else
		elog(ERROR, "unexpected operation: %d", (int) op);

	sets_part_key = (op == CMD_UPDATE && fed_sets_partition_key(rte->relid, targets));
	if (op != CMD_INSERT)
		require_key(rel, keys, op, sets_part_key);
	if (plan->returningLists)
		returning = (Node *) returning_attrs(rel, list_nth(plan->returningLists,
														   subplan_index),
											 resultRelation);
	table_close(rel, NoLock);
	priv = list_make5(targets, keys, makeBoolean(sets_part_key), returning,
					  NIL);
	Assert(list_length(priv) == FedModifyConflictTarget + 1);
	return priv;
}

/* The user whose user mapping applies (a view owner, or the caller). */
static Oid
result_rel_user(ResultRelInfo *rinfo, EState *estate)
{
	Index		rti = rinfo->ri_RangeTableIndex;
	RangeTblEntry *rte;

	/* a partition reached by tuple routing has no range table entry */
	if (rti == 0 && rinfo->ri_RootResultRelInfo)
		rti = rinfo->ri_RootResultRelInfo->ri_RangeTableIndex;
	if (rti == 0)
		return GetUserId();
	rte = exec_rt_fetch(rti, estate);
	return OidIsValid(rte->checkAsUser) ? rte->checkAsUser : GetUserId();
}

/*
 * The query's memory goes while a batch is in flight (the statement failed:
 * its (sub)transaction's rollback undoes the batch): the connection
 * forgets the state, so that it never calls back into freed memory.
 */
static void
forget_pending(void *arg)
{
	FedModifyState *ms = (FedModifyState *) arg;

	if (ms->pending_conn)
		fed_conn_forget(ms->pending_conn, ms);
	ms->pending_conn = NULL;
	copies_in_flight = list_delete_ptr(copies_in_flight, ms);
}

static FedModifyState *
create_modify_state(EState *estate, ResultRelInfo *rinfo, CmdType op,
					List *targets, List *keys, Plan *subplan)
{
	FedModifyState *ms = palloc0(sizeof(FedModifyState));
	Relation	rel = rinfo->ri_RelationDesc;
	Oid			userid = result_rel_user(rinfo, estate);
	ListCell   *lc;
	int			i = 0;

	fed_table_info(RelationGetRelid(rel), userid, &ms->info);
	ms->dialect = fed_dialect(ms->info.driver);
	ms->rel = rel;
	ms->operation = op;
	ms->target_attrs = targets;
	ms->key_attrs = keys;
	ms->batch_size = ms->info.batch_size;
	/* PostgreSQL accepts at most 65535 parameters in one statement */
	if (ms->info.driver == FED_DRIVER_POSTGRES && list_length(targets) > 0)
		ms->batch_size = Min(ms->batch_size, 65535 / list_length(targets));
	ms->batch_size = Max(ms->batch_size, 1);
	ms->temp_cxt = AllocSetContextCreate(estate->es_query_cxt,
										 "federate modify temporary data",
										 ALLOCSET_SMALL_SIZES);
	ms->estate = estate;
	ms->out_funcs = palloc0(sizeof(FmgrInfo) * RelationGetDescr(rel)->natts);
	for (i = 0; i < RelationGetDescr(rel)->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(RelationGetDescr(rel), i);
		Oid			outfunc;
		bool		isvarlena;

		if (att->attisdropped)
			continue;
		getTypeOutputInfo(att->atttypid, &outfunc, &isvarlena);
		fmgr_info(outfunc, &ms->out_funcs[i]);
	}
	i = 0;
	ms->on_free.func = forget_pending;
	ms->on_free.arg = ms;
	MemoryContextRegisterResetCallback(estate->es_query_cxt, &ms->on_free);
	if (keys != NIL && subplan)
	{
		ms->key_junk = palloc(sizeof(AttrNumber) * list_length(keys));
		foreach(lc, keys)
		{
			const char *name = NameStr(TupleDescAttr(RelationGetDescr(rel),
													 lfirst_int(lc) - 1)->attname);

			ms->key_junk[i] = ExecFindJunkAttributeInTlist(subplan->targetlist, name);
			if (!AttributeNumberIsValid(ms->key_junk[i]))
				elog(ERROR, "could not find junk column \"%s\"", name);
			i++;
		}
	}
	return ms;
}

/* The columns RETURNING reads from the server, and their converter. */
static void
set_returning(FedModifyState *ms, List *attrs)
{
	ms->ret_attrs = attrs;
	if (attrs != NIL)
		ms->ret_cv = fed_convert_init(RelationGetDescr(ms->rel), attrs,
									  ms->info.driver,
									  RelationGetRelationName(ms->rel), NULL);
}

/*
 * Does the plan under a ModifyTable read a table other than its result
 * relations through a remote scan (a subquery, a join's other side), which
 * could run after some of the statement's row-by-row writes were sent?
 */
static bool
reads_elsewhere_walker(PlanState *ps, void *context)
{
	List	   *result_rels = (List *) context;

	if (ps == NULL)
		return false;
	if (IsA(ps, CustomScanState))
		return true;
	if (IsA(ps, ForeignScanState))
	{
		ForeignScan *fs = (ForeignScan *) ps->plan;

		if (fs->operation == CMD_SELECT &&
			!list_member_int(result_rels, (int) fs->scan.scanrelid))
			return true;
	}
	return planstate_tree_walker(ps, reads_elsewhere_walker, context);
}

void
fedBeginForeignModify(ModifyTableState *mtstate, ResultRelInfo *rinfo,
					  List *fdw_private, int subplan_index, int eflags)
{
	if (eflags & EXEC_FLAG_EXPLAIN_ONLY)
		return;
	rinfo->ri_FdwState =
		create_modify_state(mtstate->ps.state, rinfo, mtstate->operation,
							list_nth(fdw_private, FedModifyTargetAttrs),
							list_nth(fdw_private, FedModifyKeyAttrs),
							outerPlanState(mtstate)->plan);
	if (mtstate->operation == CMD_INSERT)
		((FedModifyState *) rinfo->ri_FdwState)->upsert =
			fed_upsert_begin(mtstate, rinfo,
							 &((FedModifyState *) rinfo->ri_FdwState)->info,
							 fed_upsert_target_names((ModifyTable *) mtstate->ps.plan,
													 rinfo, fdw_private));
	((FedModifyState *) rinfo->ri_FdwState)->set_tag =
		((ModifyTable *) mtstate->ps.plan)->canSetTag;

	/*
	 * An INSERT into a foreign partition itself (not routed through its
	 * partitioned table, which checks) must keep to the partition's bounds,
	 * as on a local partition: a row outside them would sit where no query
	 * for its key looks.
	 */
	((FedModifyState *) rinfo->ri_FdwState)->check_partition =
		boolVal(list_nth(fdw_private, FedModifySetsPartKey)) ||
		(mtstate->operation == CMD_INSERT &&
		 rinfo->ri_RelationDesc->rd_rel->relispartition &&
		 rinfo->ri_RootResultRelInfo == NULL);
	set_returning((FedModifyState *) rinfo->ri_FdwState,
				  list_nth(fdw_private, FedModifyReturning));

	/*
	 * A statement sees the tables as they were when it started.  A remote
	 * read that runs while rows are written one by one (a correlated
	 * subquery on the same table, a nested loop's inner side) would see the
	 * statement's own earlier writes in the remote transaction: then the
	 * writes wait until the reads are over, and are sent in order when the
	 * plan ends.  The rows were read FOR UPDATE, so each is still there.
	 */
	if (mtstate->operation != CMD_INSERT &&
		plan_has_join(outerPlanState(mtstate)->plan))
	{
		FedModifyState *ms = (FedModifyState *) rinfo->ri_FdwState;
		HASHCTL		ctl;

		ctl.keysize = sizeof(FedSeenKey);
		ctl.entrysize = sizeof(FedSeenKey);
		ctl.hcxt = mtstate->ps.state->es_query_cxt;
		ms->seen_keys = hash_create("federate rows changed", 256, &ctl,
									HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}
	if (mtstate->operation != CMD_INSERT &&
		reads_elsewhere_walker(outerPlanState(mtstate),
							   ((ModifyTable *) mtstate->ps.plan)->resultRelations))
	{
		FedModifyState *ms = (FedModifyState *) rinfo->ri_FdwState;

		if (((ModifyTable *) mtstate->ps.plan)->returningLists)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("RETURNING is not supported for this %s of foreign table \"%s\"",
							mtstate->operation == CMD_UPDATE ? "UPDATE" : "DELETE",
							RelationGetRelationName(rinfo->ri_RelationDesc)),
					 errdetail("The statement reads from a remote server while it changes rows one by one, so its changes are sent after those reads end, too late for RETURNING."),
					 errhint("Run the statement without RETURNING and read the rows afterwards, in the same transaction.")));
		ms->defer = true;
		ms->defer_cxt = AllocSetContextCreate(mtstate->ps.state->es_query_cxt,
											  "federate deferred writes",
											  ALLOCSET_DEFAULT_SIZES);
	}
}

void
fedBeginForeignInsert(ModifyTableState *mtstate, ResultRelInfo *rinfo)
{
	ModifyTable *plan = (ModifyTable *) mtstate->ps.plan;
	ResultRelInfo *root = rinfo->ri_RootResultRelInfo;
	EState	   *estate = mtstate->ps.state;
	Relation	target = NULL;
	Bitmapset  *named = NULL;
	FedModifyState *ms;

	/*
	 * An UPDATE that moves a row into a foreign partition it also updates:
	 * a row inserted before that partition's own UPDATE ran would be
	 * updated again by it, and the partition's row-by-row state would be
	 * replaced by this one's (its writes then sent without their key).
	 * Refused, as postgres_fdw does.
	 */
	if (plan && plan->operation == CMD_UPDATE &&
		(rinfo->ri_FdwState != NULL ||
		 (rinfo->ri_usesFdwDirectModify &&
		  rinfo > mtstate->resultRelInfo + mtstate->mt_lastResultIndex)))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot move a row into foreign table \"%s\", which the same UPDATE updates",
						RelationGetRelationName(rinfo->ri_RelationDesc)),
				 errhint("Delete the row and insert it with its new values, in one transaction.")));

	/*
	 * An INSERT routed here from the table it names sends the columns it
	 * names (and those with a default there); COPY and a row an UPDATE
	 * moves here send every column.
	 */
	if (plan && mtstate->operation == CMD_INSERT && root &&
		root->ri_RangeTableIndex != 0)
	{
		target = root->ri_RelationDesc;
		named = inserted_cols(exec_rt_fetch(root->ri_RangeTableIndex, estate),
#if PG_VERSION_NUM >= 160000
							  estate->es_rteperminfos
#else
							  NIL
#endif
			);
	}
	rinfo->ri_FdwState = ms =
		create_modify_state(estate, rinfo, CMD_INSERT,
							insert_attrs(rinfo->ri_RelationDesc, target, named),
							NIL, NULL);
	/* plan is NULL for COPY FROM (which counts its rows itself) */
	ms->set_tag = plan && plan->canSetTag;
	/* COPY into a foreign partition itself keeps to its bounds */
	ms->check_partition = plan == NULL &&
		rinfo->ri_RelationDesc->rd_rel->relispartition &&
		rinfo->ri_RootResultRelInfo == NULL;
	if (plan && plan->operation == CMD_INSERT &&
		plan->onConflictAction != ONCONFLICT_NONE)
	{
		check_on_conflict(plan->onConflictAction,
						  RelationGetRelid(rinfo->ri_RelationDesc));
		ms->upsert = fed_upsert_begin(mtstate, rinfo, &ms->info,
									  fed_upsert_target_names(plan, rinfo, NIL));
	}

	/*
	 * COPY FROM: rows are collected into batches here, as INSERT's are by
	 * the executor, unless row triggers must see each row as it arrives.
	 */
	if (plan == NULL && ms->batch_size > 1 &&
		!(rinfo->ri_TrigDesc &&
		  (rinfo->ri_TrigDesc->trig_insert_after_row ||
		   rinfo->ri_TrigDesc->trig_insert_before_row)))
		ms->buffer_rows = true;

	/*
	 * A partition reached by tuple routing: its RETURNING list is the first
	 * result relation's, its Vars renumbered to the partition's columns.
	 */
	if (plan && rinfo->ri_returningList)
		set_returning(ms, returning_attrs(rinfo->ri_RelationDesc,
										  rinfo->ri_returningList,
										  mtstate->resultRelInfo[0].ri_RangeTableIndex));
}

/*
 * Append one value of column attnum: a $n placeholder (collecting its text,
 * written by the column's output function under the transmission modes,
 * which a caller writing many values sets once) or a literal.
 */
static void
append_value(FedModifyState *ms, StringInfo sql, List **params,
			 AttrNumber attnum, Datum value, bool isnull)
{
	Oid			type = TupleDescAttr(RelationGetDescr(ms->rel), attnum - 1)->atttypid;

	if (ms->dialect->has_placeholders)
	{
		char	   *text = NULL;

		if (!isnull)
		{
			int			nest;

			fed_set_transmission_modes(&nest);
			text = OutputFunctionCall(&ms->out_funcs[attnum - 1], value);
			fed_reset_transmission_modes(nest);
		}
		*params = lappend(*params, text);
		appendStringInfo(sql, "$%d", list_length(*params));
	}
	else if (isnull)
		appendStringInfoString(sql, "NULL");
	else
	{
		if (ms->dialect->type_ok(type) && !ms->dialect->value_ok(type, value))
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_DATA_TYPE),
					 errmsg("cannot send value \"%s\" of type %s to a %s server",
							fed_value_text(type, value), format_type_be(type),
							fed_driver_name(ms->dialect->kind))));
		ms->dialect->append_value(sql, type, value);
	}
}

static uint64
run(FedModifyState *ms, StringInfo sql, List *params)
{
	FedConn    *conn = fed_conn_get(ms->info.server, ms->info.user, true);
	const char **values = palloc0(sizeof(char *) * (list_length(params) + 1));
	int			i = 0;
	ListCell   *lc;

	if (ms->defer && ms->operation != CMD_INSERT)
	{
		MemoryContext old = MemoryContextSwitchTo(ms->defer_cxt);
		FedDeferredWrite *w = palloc(sizeof(FedDeferredWrite));

		w->sql = pstrdup(sql->data);
		w->nparams = list_length(params);
		w->params = palloc0(sizeof(char *) * (w->nparams + 1));
		foreach(lc, params)
			w->params[i++] = lfirst(lc) ? pstrdup(lfirst(lc)) : NULL;
		ms->deferred = lappend(ms->deferred, w);
		MemoryContextSwitchTo(old);
		return 1;				/* the row was read FOR UPDATE: it is there */
	}

	fed_conn_note_write(conn);
	foreach(lc, params)
		values[i++] = lfirst(lc);
	return fed_conn_exec(conn, sql->data, list_length(params), values);
}

/*
 * Put a row the server returned into slot: the columns RETURNING reads
 * from it, the others as slot has them (the values sent), or NULL when
 * base is false (a deleted row).  The tuple lives in the caller's memory,
 * owned by the slot.
 */
static void
store_returned(FedModifyState *ms, FedRow *row, TupleTableSlot *slot,
			   bool base, MemoryContext tuple_cxt)
{
	TupleDesc	desc = slot->tts_tupleDescriptor;
	Datum	   *values = palloc0(sizeof(Datum) * desc->natts);
	bool	   *nulls = palloc(sizeof(bool) * desc->natts);
	Datum	   *rvalues = palloc0(sizeof(Datum) * desc->natts);
	bool	   *rnulls = palloc(sizeof(bool) * desc->natts);
	MemoryContext old;
	HeapTuple	tuple;
	ListCell   *lc;

	fed_convert_row(ms->ret_cv, row, rvalues, rnulls);
	memset(nulls, true, sizeof(bool) * desc->natts);
	if (base && !TTS_EMPTY(slot))
	{
		slot_getallattrs(slot);
		memcpy(values, slot->tts_values, sizeof(Datum) * desc->natts);
		memcpy(nulls, slot->tts_isnull, sizeof(bool) * desc->natts);
	}
	foreach(lc, ms->ret_attrs)
	{
		int			i = lfirst_int(lc) - 1;

		values[i] = rvalues[i];
		nulls[i] = rnulls[i];
	}
	old = MemoryContextSwitchTo(tuple_cxt);
	tuple = heap_form_tuple(desc, values, nulls);
	MemoryContextSwitchTo(old);
	ExecForceStoreHeapTuple(tuple, slot, true);
}

/*
 * Run a write that returns rows (its RETURNING clause, or the SELECT that
 * reads an updated row again): the i-th row goes into slots[i].  Returns
 * the number of rows.
 */
static int
run_returning(FedModifyState *ms, StringInfo sql, List *params,
			  TupleTableSlot **slots, int nslots, bool base,
			  MemoryContext tuple_cxt)
{
	FedConn    *conn = fed_conn_get(ms->info.server, ms->info.user, true);
	const char **values = palloc0(sizeof(char *) * (list_length(params) + 1));
	FedRow		row;
	int			n = 0;
	int			i = 0;
	ListCell   *lc;

	foreach(lc, params)
		values[i++] = lfirst(lc);
	fed_conn_note_write(conn);
	fed_conn_open(conn, sql->data, list_length(params), values, 0, ms, NULL);
	while (fed_conn_next_row(conn, ms, &row))
	{
		if (n < nslots)
			store_returned(ms, &row, slots[n], base, tuple_cxt);
		n++;
	}
	if (n > nslots)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_ERROR),
				 errmsg("server \"%s\" returned %d rows for %d rows written to foreign table \"%s\"",
						ms->info.server->servername, n, nslots,
						RelationGetRelationName(ms->rel)),
				 errdetail("Each row written is one remote row, identified by its key.")));
	return n;
}

/* " RETURNING <the columns RETURNING reads>" */
static void
append_returning(FedModifyState *ms, StringInfo sql)
{
	appendStringInfoString(sql, " RETURNING ");
	fed_deparse_column_list(sql, ms->dialect, RelationGetRelid(ms->rel),
							ms->ret_attrs);
}

/*
 * Wait for the batch sent without waiting to end (raising its error).  A
 * server that inserted fewer rows than sent (its trigger skipped some)
 * makes the statement's row count smaller, as on a local table.
 */
static void
end_pending(FedModifyState *ms)
{
	FedConn    *conn = ms->pending_conn;
	uint64		n;

	if (conn == NULL)
		return;
	ms->pending_conn = NULL;
	copies_in_flight = list_delete_ptr(copies_in_flight, ms);
	if (ms->pending_lost)
		ereport(ERROR,
				(errcode(ERRCODE_CONNECTION_FAILURE),
				 errmsg("lost the result of an INSERT into foreign table \"%s\" on server \"%s\"",
						RelationGetRelationName(ms->rel), ms->info.server->servername),
				 errdetail("The connection failed in another statement, or a savepoint it was sent in was rolled back.")));
	n = fed_conn_end_write(conn, ms);
	if (ms->set_tag && n < (uint64) ms->pending_rows &&
		ms->estate->es_processed >= (uint64) ms->pending_rows - n)
		ms->estate->es_processed -= (uint64) ms->pending_rows - n;
	MemoryContextReset(ms->pending_cxt);
}

/*
 * Another statement needs the connection of the batch in flight: end it
 * now.  Or the connection is gone (abort; no I/O then): remember that its
 * result is lost.
 */
static void
pending_park(void *owner, FedReaderEvent event)
{
	FedModifyState *ms = (FedModifyState *) owner;

	if (event == FED_READER_PARK)
		end_pending(ms);
	else
		ms->pending_lost = true;
}

/*
 * Send an INSERT batch without waiting for it: the next batch is built
 * (and other servers' batches sent) while this one runs.  It ends before
 * this table's next batch, when another statement needs the connection,
 * or at the end of the statement (fedEndForeignInsert/Modify), so its
 * error is the statement's.
 */
static void
send_batch(FedModifyState *ms, StringInfo sql, List *params,
		   StringInfo copy_data, int nrows)
{
	FedConn    *conn;
	MemoryContext old;
	const char **values;
	char	   *text;
	char	   *data = NULL;
	int			i = 0;
	ListCell   *lc;

	/* the COPYs of other tables whose servers asked for their rows meanwhile */
	foreach(lc, copies_in_flight)
	{
		FedModifyState *other = lfirst(lc);

		if (other != ms)
			fed_conn_push_copy(other->pending_conn, other);
	}
	end_pending(ms);
	if (ms->pending_cxt == NULL)
		ms->pending_cxt = AllocSetContextCreate(ms->estate->es_query_cxt,
												"federate INSERT in flight",
												ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(ms->pending_cxt);
	text = pstrdup(sql->data);
	values = palloc0(sizeof(char *) * (list_length(params) + 1));
	foreach(lc, params)
		values[i++] = lfirst(lc) ? pstrdup(lfirst(lc)) : NULL;
	if (copy_data)
	{
		data = palloc(copy_data->len + 1);
		memcpy(data, copy_data->data, copy_data->len + 1);
	}
	MemoryContextSwitchTo(old);

	conn = fed_conn_get(ms->info.server, ms->info.user, true);
	ms->pending_lost = false;
	if (copy_data)
	{
		fed_conn_send_copy(conn, text, data, copy_data->len, ms, pending_park);
		old = MemoryContextSwitchTo(TopMemoryContext);
		copies_in_flight = lappend(copies_in_flight, ms);
		MemoryContextSwitchTo(old);
	}
	else
		fed_conn_send_write(conn, text, list_length(params), values, ms,
							pending_park);
	ms->pending_conn = conn;
	ms->pending_rows = nrows;
}

/*
 * The rows in COPY's text format: values tab-separated, \N for NULL,
 * backslash, tab, newline and carriage return escaped; each value as the
 * column's output function writes it under the transmission modes, as a
 * parameter would be.
 */
static void
append_copy_rows(FedModifyState *ms, StringInfo data, TupleTableSlot **slots,
				 int nslots)
{
	ListCell   *lc;
	int			r;

	for (r = 0; r < nslots; r++)
	{
		bool		first = true;

		slot_getallattrs(slots[r]);
		foreach(lc, ms->target_attrs)
		{
			int			attnum = lfirst_int(lc);

			if (!first)
				appendStringInfoChar(data, '\t');
			first = false;
			if (slots[r]->tts_isnull[attnum - 1])
				appendStringInfoString(data, "\\N");
			else
			{
				char	   *text = OutputFunctionCall(&ms->out_funcs[attnum - 1],
													  slots[r]->tts_values[attnum - 1]);
				const char *p;
				const char *start = text;

				for (p = text; *p; p++)
				{
					const char *esc;

					switch (*p)
					{
						case '\\':
							esc = "\\\\";
							break;
						case '\t':
							esc = "\\t";
							break;
						case '\n':
							esc = "\\n";
							break;
						case '\r':
							esc = "\\r";
							break;
						default:
							continue;
					}
					appendBinaryStringInfo(data, start, p - start);
					appendStringInfoString(data, esc);
					start = p + 1;
				}
				appendBinaryStringInfo(data, start, p - start);
				pfree(text);
			}
		}
		appendStringInfoChar(data, '\n');
	}
}

/* " VALUES (...), (...)": the rows as $n parameters or literals */
static void
append_rows(FedModifyState *ms, StringInfo sql, List **params,
			TupleTableSlot **slots, int nslots)
{
	ListCell   *lc;
	bool		first;
	int			r;

	appendStringInfoString(sql, " VALUES ");
	for (r = 0; r < nslots; r++)
	{
		slot_getallattrs(slots[r]);
		appendStringInfoString(sql, r > 0 ? ", (" : "(");
		first = true;
		foreach(lc, ms->target_attrs)
		{
			int			attnum = lfirst_int(lc);
			Datum		value = slots[r]->tts_values[attnum - 1];
			bool		isnull = slots[r]->tts_isnull[attnum - 1];

			if (!first)
				appendStringInfoString(sql, ", ");
			append_value(ms, sql, params, attnum, value, isnull);
			first = false;
		}
		appendStringInfoChar(sql, ')');
	}
}

TupleTableSlot **
fedExecForeignBatchInsert(EState *estate, ResultRelInfo *rinfo,
						  TupleTableSlot **slots, TupleTableSlot **planSlots,
						  int *numSlots)
{
	FedModifyState *ms = (FedModifyState *) rinfo->ri_FdwState;
	MemoryContext caller = CurrentMemoryContext;
	MemoryContext old = MemoryContextSwitchTo(ms->temp_cxt);
	StringInfoData sql;
	List	   *params = NIL;
	ListCell   *lc;
	bool		first;
	int			r;
	int			nest;
	uint64		inserted;
	const char *on_conflict = fed_upsert_clause(ms->upsert, estate);
	/* the server's row count tells the rows inserted (or updated) */
	bool		counted = ms->upsert && fed_upsert_counts_rows(ms->upsert);

	initStringInfo(&sql);
	appendStringInfoString(&sql, "INSERT INTO ");
	fed_deparse_relation(&sql, ms->dialect, &ms->info);
	if (fed_upsert_updates(ms->upsert) &&
		ms->dialect->kind == FED_DRIVER_POSTGRES)
		appendStringInfoString(&sql, " AS r1");
	appendStringInfoString(&sql, " (");
	first = true;
	foreach(lc, ms->target_attrs)
	{
		if (!first)
			appendStringInfoString(&sql, ", ");
		fed_deparse_column(&sql, ms->dialect, RelationGetRelid(ms->rel), lfirst_int(lc));
		first = false;
	}
	appendStringInfoString(&sql, ")");

	if (ms->check_partition)
	{
		for (r = 0; r < *numSlots; r++)
			check_partition(ms, rinfo, slots[r], estate);
	}
	for (r = 0; ms->upsert && !ms->upsert_checked && r < *numSlots; r++)
	{
		int			before = r;

		if (!fed_upsert_check_row(ms->upsert, slots[r]))
			continue;

		/*
		 * A second proposal for one row: PostgreSQL inserts the rows before
		 * it one after another, and reports a failure of one of them first.
		 * They go (and are waited for), then the row is refused.
		 */
		if (before > 0)
		{
			ms->upsert_checked = true;
			fedExecForeignBatchInsert(estate, rinfo, slots, planSlots, &before);
			ms->upsert_checked = false;
			end_pending(ms);
		}
		fed_upsert_refuse();
	}

	/*
	 * Several rows for a PostgreSQL server, inserted without more ado (no
	 * ON CONFLICT, no RETURNING): COPY ... FROM STDIN, which the server
	 * parses and plans once for all of them (unless the option
	 * insert_with_copy says no: a remote view, or rules, take INSERTs only).
	 */
	if (ms->info.insert_with_copy && *numSlots > 1 &&
		ms->upsert == NULL && ms->ret_attrs == NIL && ms->target_attrs != NIL)
	{
		StringInfoData data;

		resetStringInfo(&sql);
		appendStringInfoString(&sql, "COPY ");
		fed_deparse_relation(&sql, ms->dialect, &ms->info);
		appendStringInfoString(&sql, " (");
		fed_deparse_column_list(&sql, ms->dialect, RelationGetRelid(ms->rel),
								ms->target_attrs);
		appendStringInfoString(&sql, ") FROM STDIN");
		initStringInfo(&data);
		fed_set_transmission_modes(&nest);
		append_copy_rows(ms, &data, slots, *numSlots);
		fed_reset_transmission_modes(nest);
		send_batch(ms, &sql, NIL, &data, *numSlots);
		MemoryContextSwitchTo(old);
		MemoryContextReset(ms->temp_cxt);
		return slots;
	}

	/* the transmission modes once for the batch, not once per value */
	fed_set_transmission_modes(&nest);
	append_rows(ms, &sql, &params, slots, *numSlots);
	fed_reset_transmission_modes(nest);

	if (ms->target_attrs == NIL)
	{
		/* no columns at all: one DEFAULT VALUES statement per row */
		resetStringInfo(&sql);
		appendStringInfoString(&sql, "INSERT INTO ");
		fed_deparse_relation(&sql, ms->dialect, &ms->info);
		if (fed_upsert_updates(ms->upsert) &&
			ms->dialect->kind == FED_DRIVER_POSTGRES)
			appendStringInfoString(&sql, " AS r1");
		appendStringInfoString(&sql, ms->dialect->kind == FED_DRIVER_MYSQL ?
							   " () VALUES ()" : " DEFAULT VALUES");
		appendStringInfoString(&sql, on_conflict);
		if (ms->ret_attrs != NIL)
			append_returning(ms, &sql);
		inserted = 0;
		for (r = 0; r < *numSlots; r++)
			inserted += ms->ret_attrs != NIL ?
				run_returning(ms, &sql, NIL, &slots[r], 1, true, caller) :
				run(ms, &sql, NIL);
	}
	else
	{
		appendStringInfoString(&sql, on_conflict);
		if (ms->ret_attrs != NIL)
		{
			append_returning(ms, &sql);
			inserted = run_returning(ms, &sql, params, slots, *numSlots,
									 true, caller);
		}
		else if (!counted)
		{
			/*
			 * Every row is inserted (or, on MySQL, updates the row it
			 * conflicts with), or the statement fails.
			 */
			send_batch(ms, &sql, params, NULL, *numSlots);
			inserted = *numSlots;
		}
		else
			inserted = run(ms, &sql, params);
	}

	/*
	 * The rows the server skipped (ON CONFLICT DO NOTHING, or DO UPDATE
	 * ... WHERE) are not counted in the command tag.  Which ones they were
	 * is not known, but nothing needs to know: row triggers and RETURNING
	 * make batches of one row.
	 */
	if (counted && inserted < (uint64) *numSlots)
		*numSlots = (int) inserted;
	if (inserted > 0 && fed_upsert_one_row(ms->upsert))
		fed_upsert_row_changed(ms->upsert, slots[0]);

	MemoryContextSwitchTo(old);
	MemoryContextReset(ms->temp_cxt);
	return slots;
}

/* Send the rows COPY left waiting (fedExecForeignInsert). */
static void
flush_buffered(FedModifyState *ms, EState *estate, ResultRelInfo *rinfo)
{
	int			n = ms->nbuffered;
	int			i;

	if (n == 0)
		return;
	(void) fedExecForeignBatchInsert(estate, rinfo, ms->buffered, NULL, &n);
	for (i = 0; i < ms->nbuffered; i++)
		ExecClearTuple(ms->buffered[i]);
	ms->nbuffered = 0;
}

TupleTableSlot *
fedExecForeignInsert(EState *estate, ResultRelInfo *rinfo,
					 TupleTableSlot *slot, TupleTableSlot *planSlot)
{
	FedModifyState *ms = (FedModifyState *) rinfo->ri_FdwState;
	int			n = 1;

	if (ms->buffer_rows)
	{
		/* COPY: the row waits for a full batch (COPY counts it itself) */
		if (ms->buffered == NULL)
		{
			MemoryContext old = MemoryContextSwitchTo(estate->es_query_cxt);
			/* an unpinned copy: the slots are never explicitly dropped */
			TupleDesc	desc = CreateTupleDescCopy(slot->tts_tupleDescriptor);
			int			i;

			ms->buffered = palloc(sizeof(TupleTableSlot *) * ms->batch_size);
			for (i = 0; i < ms->batch_size; i++)
				ms->buffered[i] = MakeSingleTupleTableSlot(desc, &TTSOpsVirtual);
			MemoryContextSwitchTo(old);
		}
		if (ms->check_partition)
			check_partition(ms, rinfo, slot, estate);
		ExecCopySlot(ms->buffered[ms->nbuffered++], slot);
		if (ms->nbuffered == ms->batch_size)
			flush_buffered(ms, estate, rinfo);
		return slot;
	}

	fedExecForeignBatchInsert(estate, rinfo, &slot, &planSlot, &n);
	return n > 0 ? slot : NULL;
}

int
fedGetForeignModifyBatchSize(ResultRelInfo *rinfo)
{
	FedModifyState *ms = (FedModifyState *) rinfo->ri_FdwState;

	/*
	 * Row triggers need to see each row as it is inserted, and PostgreSQL
	 * computes RETURNING only for rows inserted one at a time.
	 */
	if (rinfo->ri_TrigDesc &&
		(rinfo->ri_TrigDesc->trig_insert_after_row ||
		 rinfo->ri_TrigDesc->trig_insert_before_row))
		return 1;
	if (rinfo->ri_projectReturning != NULL)
		return 1;
	if (ms && fed_upsert_one_row(ms->upsert))
		return 1;
	return ms ? ms->batch_size : 1;
}

/*
 * Has this statement changed the row of planSlot's key already?  A row
 * that a join gives more than once is changed once, by the first of its
 * joined rows, as PostgreSQL does with a local table (later ones find it
 * "already updated by this command"); the others are skipped, neither
 * written nor counted, nor seen by AFTER ROW triggers.
 */
static bool
seen_before(FedModifyState *ms, TupleTableSlot *planSlot)
{
	StringInfoData buf;
	FedSeenKey	key;
	bool		found;
	ListCell   *lc;
	int			i = 0;

	if (ms->seen_keys == NULL)
		return false;
	initStringInfo(&buf);
	foreach(lc, ms->key_attrs)
	{
		int			attnum = lfirst_int(lc);
		bool		isnull;
		Datum		v = ExecGetJunkAttribute(planSlot, ms->key_junk[i], &isnull);
		char	   *t = isnull ? "" : OutputFunctionCall(&ms->out_funcs[attnum - 1], v);

		/* length-prefixed, so that no two keys make the same text */
		appendStringInfo(&buf, "%d:%zu:%s", isnull ? 1 : 0, strlen(t), t);
		i++;
	}
	key.h1 = hash_bytes_extended((unsigned char *) buf.data, buf.len, 0);
	key.h2 = hash_bytes_extended((unsigned char *) buf.data, buf.len,
								 UINT64CONST(0x9e3779b97f4a7c15));
	pfree(buf.data);
	(void) hash_search(ms->seen_keys, &key, HASH_ENTER, &found);
	return found;
}

/*
 * " WHERE k1 = v1 AND k2 = v2" from the plan slot's key columns (the row
 * as read), or, for the key columns an UPDATE assigns, from newslot when
 * given (the row as written).
 */
static void
append_key_where(FedModifyState *ms, StringInfo sql, List **params,
				 TupleTableSlot *planSlot, TupleTableSlot *newslot)
{
	TupleDesc	desc = RelationGetDescr(ms->rel);
	ListCell   *lc;
	int			i = 0;

	foreach(lc, ms->key_attrs)
	{
		int			attnum = lfirst_int(lc);
		bool		isnull;
		Datum		v;

		if (newslot && list_member_int(ms->target_attrs, attnum))
			v = slot_getattr(newslot, attnum, &isnull);
		else
			v = ExecGetJunkAttribute(planSlot, ms->key_junk[i], &isnull);

		if (isnull)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_ERROR),
					 errmsg("key column \"%s\" of foreign table \"%s\" is null",
							NameStr(TupleDescAttr(desc, attnum - 1)->attname),
							RelationGetRelationName(ms->rel)),
					 errdetail("A row can be identified only by a non-null key.")));
		appendStringInfoString(sql, i == 0 ? " WHERE " : " AND ");
		fed_deparse_column(sql, ms->dialect, RelationGetRelid(ms->rel), attnum);
		appendStringInfoString(sql, " = ");
		append_value(ms, sql, params, attnum, v, false);
		i++;
	}
}

TupleTableSlot *
fedExecForeignUpdate(EState *estate, ResultRelInfo *rinfo,
					 TupleTableSlot *slot, TupleTableSlot *planSlot)
{
	FedModifyState *ms = (FedModifyState *) rinfo->ri_FdwState;
	MemoryContext caller = CurrentMemoryContext;
	MemoryContext old = MemoryContextSwitchTo(ms->temp_cxt);
	StringInfoData sql;
	List	   *params = NIL;
	ListCell   *lc;
	bool		first = true;
	uint64		n;

	if (seen_before(ms, planSlot))
	{
		MemoryContextSwitchTo(old);
		MemoryContextReset(ms->temp_cxt);
		return NULL;
	}
	slot_getallattrs(slot);
	if (ms->check_partition)
		check_partition(ms, rinfo, slot, estate);
	initStringInfo(&sql);
	appendStringInfoString(&sql, "UPDATE ");
	fed_deparse_relation(&sql, ms->dialect, &ms->info);
	appendStringInfoString(&sql, " SET ");
	foreach(lc, ms->target_attrs)
	{
		int			attnum = lfirst_int(lc);

		if (!first)
			appendStringInfoString(&sql, ", ");
		fed_deparse_column(&sql, ms->dialect, RelationGetRelid(ms->rel), attnum);
		appendStringInfoString(&sql, " = ");
		append_value(ms, &sql, &params, attnum, slot->tts_values[attnum - 1],
					 slot->tts_isnull[attnum - 1]);
		first = false;
	}
	append_key_where(ms, &sql, &params, planSlot, NULL);
	if (ms->ret_attrs == NIL)
		n = run(ms, &sql, params);
	else if (ms->dialect->kind == FED_DRIVER_POSTGRES)
	{
		append_returning(ms, &sql);
		n = run_returning(ms, &sql, params, &slot, 1, true, caller);
	}
	else
	{
		/* MySQL has no UPDATE ... RETURNING: read the new row by its key */
		n = run(ms, &sql, params);
		if (n > 0)
		{
			params = NIL;
			resetStringInfo(&sql);
			appendStringInfoString(&sql, "SELECT ");
			fed_deparse_column_list(&sql, ms->dialect, RelationGetRelid(ms->rel),
									ms->ret_attrs);
			appendStringInfoString(&sql, " FROM ");
			fed_deparse_relation(&sql, ms->dialect, &ms->info);
			append_key_where(ms, &sql, &params, planSlot, slot);
			n = run_returning(ms, &sql, params, &slot, 1, true, caller);
		}
	}
	MemoryContextSwitchTo(old);
	MemoryContextReset(ms->temp_cxt);
	return n > 0 ? slot : NULL;
}

TupleTableSlot *
fedExecForeignDelete(EState *estate, ResultRelInfo *rinfo,
					 TupleTableSlot *slot, TupleTableSlot *planSlot)
{
	FedModifyState *ms = (FedModifyState *) rinfo->ri_FdwState;
	MemoryContext caller = CurrentMemoryContext;
	MemoryContext old = MemoryContextSwitchTo(ms->temp_cxt);
	StringInfoData sql;
	List	   *params = NIL;
	uint64		n;

	if (seen_before(ms, planSlot))
	{
		MemoryContextSwitchTo(old);
		MemoryContextReset(ms->temp_cxt);
		return NULL;
	}
	initStringInfo(&sql);
	appendStringInfoString(&sql, "DELETE FROM ");
	fed_deparse_relation(&sql, ms->dialect, &ms->info);
	append_key_where(ms, &sql, &params, planSlot, NULL);
	if (ms->ret_attrs != NIL)
	{
		/* MariaDB has DELETE ... RETURNING since 10.0.5 */
		append_returning(ms, &sql);
		n = run_returning(ms, &sql, params, &slot, 1, false, caller);
	}
	else
		n = run(ms, &sql, params);
	MemoryContextSwitchTo(old);
	MemoryContextReset(ms->temp_cxt);
	return n > 0 ? slot : NULL;
}

/*
 * TRUNCATE of federate foreign tables, called once per server with its
 * tables, in the remote transaction (so a ROLLBACK undoes it).  PostgreSQL
 * gets one TRUNCATE of them all with the statement's RESTART IDENTITY and
 * CASCADE; MySQL one DELETE per table, since its TRUNCATE TABLE commits
 * the transaction it runs in.  For the same reason MySQL refuses RESTART
 * IDENTITY (resetting AUTO_INCREMENT is an ALTER TABLE, which commits too)
 * and CASCADE (a DELETE cascades only along foreign keys declared ON
 * DELETE CASCADE; others fail as PostgreSQL's RESTRICT does).
 */
void
fedExecForeignTruncate(List *rels, DropBehavior behavior, bool restart_seqs)
{
	FedTableInfo info;
	const FedDialect *dialect;
	FedConn    *conn;
	StringInfoData sql;
	ListCell   *lc;

	if (rels == NIL)
		return;
	fed_table_info(RelationGetRelid((Relation) linitial(rels)), GetUserId(),
				   &info);
	dialect = fed_dialect(info.driver);
	if (info.driver == FED_DRIVER_MYSQL && (restart_seqs ||
											behavior == DROP_CASCADE))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot TRUNCATE foreign table \"%s\" with %s on MySQL server \"%s\"",
						RelationGetRelationName((Relation) linitial(rels)),
						restart_seqs ? "RESTART IDENTITY" : "CASCADE",
						info.server->servername),
				 errdetail("A MySQL server empties a table inside a transaction only by DELETE, which neither resets AUTO_INCREMENT nor cascades to referencing tables."),
				 errhint("Leave out %s.", restart_seqs ? "RESTART IDENTITY" : "CASCADE")));

	conn = fed_conn_get(info.server, info.user, true);
	fed_conn_note_write(conn);
	initStringInfo(&sql);

	/*
	 * TRUNCATE needs the table's exclusive lock, which a read of this
	 * transaction through another connection to a PostgreSQL server holds
	 * in part until the transaction ends: the TRUNCATE would wait for it
	 * forever.  (MySQL gets a DELETE, which waits for no plain read.)
	 */
	if (info.driver == FED_DRIVER_POSTGRES && fed_conn_others_in_xact(conn))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot TRUNCATE foreign table \"%s\" on server \"%s\" after this transaction read from the server through another connection",
						RelationGetRelationName((Relation) linitial(rels)),
						info.server->servername),
				 errdetail("That connection's remote transaction holds locks that the TRUNCATE would wait for until this transaction ends."),
				 errhint("TRUNCATE before reading from the server, or in a transaction of its own.")));
	if (info.driver == FED_DRIVER_POSTGRES)
	{
		/*
		 * A cursor of an earlier read of this transaction that stopped
		 * early is still open on the server, and the server refuses to
		 * TRUNCATE a table an open cursor reads (55006).  Nothing reads
		 * from such a cursor any more (a reader still reading was parked
		 * when the connection was taken for this statement): closed in
		 * the same round trip.  (A cursor of the session's own on the
		 * table is refused by PostgreSQL before this.)
		 */
		appendStringInfoString(&sql, "CLOSE ALL; TRUNCATE ");
		foreach(lc, rels)
		{
			Relation	rel = (Relation) lfirst(lc);
			FedTableInfo ti;

			fed_table_info(RelationGetRelid(rel), GetUserId(), &ti);
			if (lc != list_head(rels))
				appendStringInfoString(&sql, ", ");
			fed_deparse_relation(&sql, dialect, &ti);
		}
		appendStringInfoString(&sql, restart_seqs ? " RESTART IDENTITY" :
							   " CONTINUE IDENTITY");
		appendStringInfoString(&sql, behavior == DROP_CASCADE ? " CASCADE" :
							   " RESTRICT");
		(void) fed_conn_exec(conn, sql.data, 0, NULL);
		return;
	}
	foreach(lc, rels)
	{
		Relation	rel = (Relation) lfirst(lc);
		FedTableInfo ti;

		fed_table_info(RelationGetRelid(rel), GetUserId(), &ti);
		resetStringInfo(&sql);
		appendStringInfoString(&sql, "DELETE FROM ");
		fed_deparse_relation(&sql, dialect, &ti);
		(void) fed_conn_exec(conn, sql.data, 0, NULL);
	}
}

void
fedEndForeignModify(EState *estate, ResultRelInfo *rinfo)
{
	FedModifyState *ms = (FedModifyState *) rinfo->ri_FdwState;
	ListCell   *lc;

	if (ms == NULL)
		return;
	end_pending(ms);
	/* the writes kept while the statement's reads ran (fedBeginForeignModify) */
	if (ms->deferred == NIL)
		return;
	foreach(lc, ms->deferred)
	{
		FedDeferredWrite *w = (FedDeferredWrite *) lfirst(lc);
		FedConn    *conn = fed_conn_get(ms->info.server, ms->info.user, true);

		fed_conn_note_write(conn);
		(void) fed_conn_exec(conn, w->sql, w->nparams, w->params);
		CHECK_FOR_INTERRUPTS();
	}
	ms->deferred = NIL;
	MemoryContextDelete(ms->defer_cxt);
	ms->defer_cxt = NULL;
	/* everything else lives in the query's memory; connections stay cached */
}

void
fedEndForeignInsert(EState *estate, ResultRelInfo *rinfo)
{
	FedModifyState *ms = (FedModifyState *) rinfo->ri_FdwState;

	if (ms == NULL)
		return;
	flush_buffered(ms, estate, rinfo);
	end_pending(ms);
}

void
fedExplainForeignModify(ModifyTableState *mtstate, ResultRelInfo *rinfo,
						List *fdw_private, int subplan_index, ExplainState *es)
{
	if (es->verbose && mtstate->operation == CMD_INSERT)
	{
		FedTableInfo info;

		fed_table_info(RelationGetRelid(rinfo->ri_RelationDesc), InvalidOid, &info);
		ExplainPropertyInteger("Batch Size", NULL, info.batch_size, es);
	}
}

/*
 * Is expr "a + b" or "a - b" of two integer or smallint columns, values or
 * parameters, of the type of the column it is stored in?
 */
static bool
stored_int_arith(Expr *expr, Oid *opno)
{
	OpExpr	   *op = (OpExpr *) expr;
	const char *name;
	ListCell   *lc;

	if (!IsA(expr, OpExpr) || list_length(op->args) != 2 ||
		(op->opresulttype != INT4OID && op->opresulttype != INT2OID))
		return false;
	name = get_opname(op->opno);
	if (name == NULL || (strcmp(name, "+") != 0 && strcmp(name, "-") != 0))
		return false;
	foreach(lc, op->args)
	{
		Node	   *arg = lfirst(lc);
		Oid			type = exprType(arg);

		if ((type != INT4OID && type != INT2OID) ||
			!(IsA(arg, Var) || IsA(arg, Const) || IsA(arg, Param)))
			return false;
	}
	*opno = OpernameGetOprid(list_make1(makeString((char *) name)),
							 INT8OID, INT8OID);
	return OidIsValid(*opno);
}

/*
 * The new values of an UPDATE (or of an upsert's DO UPDATE) for a MySQL
 * server, written for what MySQL does when it stores a value in a column
 * of the foreign table's type (the remote column is taken to have that
 * type, as IMPORT FOREIGN SCHEMA declares it):
 *
 * - without the coercion to the column's length or precision
 *   (numeric(p,s), varchar(n)) that the planner puts on top: MySQL makes
 *   the same when it stores the value in a DECIMAL(p,s) or VARCHAR(n)
 *   column (rounding half away from zero, an error on overflow or on a
 *   string too long in its strict mode, trailing spaces cut);
 *
 * - "a + b" and "a - b" of integer (smallint) operands stored in an
 *   integer (smallint) column as MySQL's signed BIGINT arithmetic: the
 *   exact result is out of the column's range exactly when PostgreSQL's
 *   integer arithmetic overflows, and then MySQL's store fails in its
 *   strict mode as PostgreSQL fails (22003).  The operands are relabeled
 *   bigint for the deparser, which casts each to SIGNED; the expression
 *   is only ever written, never evaluated here.
 *
 * So "SET v = v + 1" and the like are still sent whole.
 */
List *
fed_store_coercions_to_mysql(List *tlist)
{
	List	   *result = NIL;
	ListCell   *lc;

	foreach(lc, tlist)
	{
		TargetEntry *tle = lfirst_node(TargetEntry, lc);
		Oid			type = exprType((Node *) tle->expr);
		int32		typmod;
		Oid			opno;

		/* (an explicit cast to varchar(n) cuts a long value: kept) */
		if ((type == NUMERICOID || type == VARCHAROID) &&
			exprIsLengthCoercion((Node *) tle->expr, &typmod) &&
			IsA(tle->expr, FuncExpr) &&
			((FuncExpr *) tle->expr)->funcformat == COERCE_IMPLICIT_CAST)
		{
			tle = flatCopyTargetEntry(tle);
			tle->expr = linitial(((FuncExpr *) tle->expr)->args);
		}
		else if (stored_int_arith(tle->expr, &opno))
		{
			OpExpr	   *op = (OpExpr *) copyObject(tle->expr);
			ListCell   *lc2;

			op->opno = opno;
			op->opfuncid = get_opcode(opno);
			op->opresulttype = INT8OID;
			foreach(lc2, op->args)
				lfirst(lc2) = makeRelabelType(lfirst(lc2), INT8OID, -1,
											  InvalidOid, COERCE_IMPLICIT_CAST);
			tle = flatCopyTargetEntry(tle);
			tle->expr = (Expr *) op;
		}
		result = lappend(result, tle);
	}
	return result;
}

/*
 * The ForeignScan under a ModifyTable for this result relation, if the
 * plan is that simple (as in postgres_fdw).
 */
static ForeignScan *
find_scan(PlannerInfo *root, ModifyTable *plan, Index rtindex, int subplan_index)
{
	Plan	   *sub = outerPlan(plan);

	if (IsA(sub, Append))
	{
		Append	   *ap = (Append *) sub;

		if (subplan_index < list_length(ap->appendplans))
			sub = (Plan *) list_nth(ap->appendplans, subplan_index);
	}
	else if (IsA(sub, Result) && outerPlan(sub) != NULL && sub->qual == NIL &&
			 ((Result *) sub)->resconstantqual == NULL)
		sub = outerPlan(sub);

	if (IsA(sub, ForeignScan) && ((ForeignScan *) sub)->scan.scanrelid == rtindex)
		return (ForeignScan *) sub;
	return NULL;
}

bool
fedPlanDirectModify(PlannerInfo *root, ModifyTable *plan,
					Index resultRelation, int subplan_index)
{
	CmdType		op = plan->operation;
	ForeignScan *fscan;
	RelOptInfo *rel;
	RangeTblEntry *rte;
	FedTableInfo info;
	const FedDialect *dialect;
	StringInfoData sql;
	List	   *params = NIL;
	List	   *offsets = NIL;
	List	   *tlist = NIL;
	List	   *colnos = NIL;
	FedDeparseCxt cxt;
	ListCell   *lc;
	ListCell   *lc2;
	int			nest;
	List	   *ret_attrs = NIL;

	if (op != CMD_UPDATE && op != CMD_DELETE)
		return false;
	fscan = find_scan(root, plan, resultRelation, subplan_index);
	if (fscan == NULL || fscan->scan.plan.qual != NIL)
		return false;

	rel = find_base_rel(root, resultRelation);
	rte = planner_rt_fetch(resultRelation, root);
	fed_table_info(rte->relid, rte->checkAsUser, &info);
	dialect = fed_dialect(info.driver);

	/* MySQL has DELETE ... RETURNING (MariaDB), no UPDATE ... RETURNING */
	if (plan->returningLists)
	{
		Relation	relation;

		if (op == CMD_UPDATE && info.driver == FED_DRIVER_MYSQL)
			return false;
		relation = table_open(rte->relid, NoLock);
		ret_attrs = returning_attrs(relation, list_nth(plan->returningLists,
													   subplan_index),
									resultRelation);
		table_close(relation, NoLock);
	}

	if (op == CMD_UPDATE)
	{
		get_translated_update_targetlist(root, resultRelation, &tlist, &colnos);
		if (info.driver == FED_DRIVER_MYSQL)
			tlist = fed_store_coercions_to_mysql(tlist);
		forboth(lc, tlist, lc2, colnos)
		{
			TargetEntry *tle = lfirst_node(TargetEntry, lc);

			if (lfirst_int(lc2) <= InvalidAttrNumber ||
				!fed_is_shippable(root, rel, resultRelation, dialect, tle->expr))
				return false;
		}
		/* each new row's partition is checked here (check_partition) */
		if (fed_sets_partition_key(rte->relid, colnos))
			return false;
		if (info.driver == FED_DRIVER_MYSQL && set_reads_assigned(tlist, colnos,
																  resultRelation))
			return false;
	}

	initStringInfo(&sql);
	memset(&cxt, 0, sizeof(cxt));
	cxt.root = root;
	cxt.rel = rel;
	cxt.varno = resultRelation;
	cxt.relid = rte->relid;
	cxt.dialect = dialect;
	cxt.buf = &sql;
	cxt.params = &params;
	cxt.param_offsets = &offsets;

	if (op == CMD_UPDATE)
	{
		bool		first = true;

		appendStringInfoString(&sql, "UPDATE ");
		fed_deparse_relation(&sql, dialect, &info);
		appendStringInfoString(&sql, " SET ");
		fed_set_transmission_modes(&nest);
		forboth(lc, tlist, lc2, colnos)
		{
			TargetEntry *tle = lfirst_node(TargetEntry, lc);

			if (!first)
				appendStringInfoString(&sql, ", ");
			fed_deparse_column(&sql, dialect, rte->relid, lfirst_int(lc2));
			appendStringInfoString(&sql, " = ");
			fed_deparse_expr(&cxt, tle->expr);
			first = false;
		}
		fed_reset_transmission_modes(nest);
	}
	else
	{
		appendStringInfoString(&sql, "DELETE FROM ");
		fed_deparse_relation(&sql, dialect, &info);
	}
	fed_deparse_where(&cxt, fed_scan_remote_conds(rel));
	if (ret_attrs != NIL)
	{
		appendStringInfoString(&sql, " RETURNING ");
		fed_deparse_column_list(&sql, dialect, rte->relid, ret_attrs);
	}

	fscan->operation = op;
	fscan->resultRelation = resultRelation;
	fscan->fdw_exprs = params;
	fscan->fdw_private = list_make5(makeString(sql.data), offsets,
									makeBoolean(plan->canSetTag), ret_attrs,
									makeBoolean(plan->returningLists != NIL));
	return true;
}

void
fedBeginDirectModify(ForeignScanState *node, int eflags)
{
	ForeignScan *fs = (ForeignScan *) node->ss.ps.plan;
	EState	   *estate = node->ss.ps.state;
	FedDirectState *ds = palloc0(sizeof(FedDirectState));
	RangeTblEntry *rte = exec_rt_fetch(fs->resultRelation, estate);

	node->fdw_state = ds;
	ds->node = node;
	fed_table_info(rte->relid, rte->checkAsUser, &ds->info);
	ds->dialect = fed_dialect(ds->info.driver);
	ds->sql = strVal(list_nth(fs->fdw_private, FedDirectSql));
	ds->param_offsets = list_nth(fs->fdw_private, FedDirectParamOffsets);
	ds->set_tag = boolVal(list_nth(fs->fdw_private, FedDirectSetTag));
	ds->ret_attrs = list_nth(fs->fdw_private, FedDirectReturning);
	ds->returning = boolVal(list_nth(fs->fdw_private, FedDirectHasReturning));
	if (eflags & EXEC_FLAG_EXPLAIN_ONLY)
		return;
	ds->param_states = ExecInitExprList(fs->fdw_exprs, (PlanState *) node);
	/* a RETURNING list that reads columns reads each statement's rows */
	if (ds->ret_attrs == NIL && writes_go_together(estate))
		join_write_group(ds, estate);
	if (ds->ret_attrs != NIL)
	{
		Relation	rel = node->ss.ss_currentRelation;

		ds->ret_cv = fed_convert_init(RelationGetDescr(rel), ds->ret_attrs,
									  ds->info.driver,
									  RelationGetRelationName(rel), NULL);
		ds->returned_slot = ExecInitExtraTupleSlot(estate, RelationGetDescr(rel),
												   &TTSOpsMinimalTuple);
	}
}

/* The query's memory goes: forget its group. */
static void
forget_write_group(void *arg)
{
	MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);

	write_groups = list_delete_ptr(write_groups, arg);
	MemoryContextSwitchTo(old);
}

/*
 * May the direct modifications of this query's foreign partitions go out
 * together?  Only when the query is one UPDATE or DELETE of a partitioned
 * table (no writable CTE whose statements must not overlap) whose
 * partitions are not pruned while it runs (a statement sent to a
 * partition the executor then skips would still run).
 */
static bool
writes_go_together(EState *estate)
{
	PlannedStmt *stmt = estate->es_plannedstmt;
	ModifyTable *mt;
	Append	   *ap;
	ListCell   *lc;

	if (stmt == NULL || !IsA(stmt->planTree, ModifyTable))
		return false;
	mt = (ModifyTable *) stmt->planTree;
	/* (the statement's result relations include the partitioned table) */
	if (list_length(mt->resultRelations) < 2 ||
		list_length(mt->resultRelations) + (mt->rootRelation > 0 ? 1 : 0) !=
		list_length(stmt->resultRelations) ||
		outerPlan(mt) == NULL || !IsA(outerPlan(mt), Append))
		return false;
	ap = (Append *) outerPlan(mt);
	if (ap->part_prune_info == NULL)
		return true;
	foreach(lc, ap->part_prune_info->prune_infos)
	{
		ListCell   *lc2;

		foreach(lc2, (List *) lfirst(lc))
		{
			PartitionedRelPruneInfo *pinfo = lfirst(lc2);

			if (pinfo->exec_pruning_steps != NIL)
				return false;
		}
	}
	return true;
}

/* Add ds to the group of its query, made on the first call. */
static void
join_write_group(FedDirectState *ds, EState *estate)
{
	FedWriteGroup *g = NULL;
	ListCell   *lc;
	MemoryContext old;

	foreach(lc, write_groups)
	{
		if (((FedWriteGroup *) lfirst(lc))->estate == estate)
			g = lfirst(lc);
	}
	if (g == NULL)
	{
		g = MemoryContextAllocZero(estate->es_query_cxt, sizeof(FedWriteGroup));
		g->estate = estate;
		g->on_free.func = forget_write_group;
		g->on_free.arg = g;
		MemoryContextRegisterResetCallback(estate->es_query_cxt, &g->on_free);
		old = MemoryContextSwitchTo(TopMemoryContext);
		write_groups = lappend(write_groups, g);
		MemoryContextSwitchTo(old);
	}
	old = MemoryContextSwitchTo(estate->es_query_cxt);
	g->members = lappend(g->members, ds);
	MemoryContextSwitchTo(old);
	ds->group = g;
}

/*
 * Send every statement of the group: called by the first member to run,
 * with the parameters' values of now (they are the same for every member:
 * the query's parameters and the values of its initplans).
 */
static void
start_write_group(FedWriteGroup *g)
{
	MemoryContext old = MemoryContextSwitchTo(g->estate->es_query_cxt);
	ListCell   *lc;
	int			i = 0;

	g->ff = fed_fanout_create(list_length(g->members),
							  CreateTemplateTupleDesc(0), NULL, NULL);
	fed_fanout_use_writer(g->ff);
	foreach(lc, g->members)
	{
		FedDirectState *m = (FedDirectState *) lfirst(lc);
		ExprContext *econtext = m->node->ss.ps.ps_ExprContext;
		const char **params;
		int			nparams;
		const char *sql;

		sql = fed_bind_params(m->dialect, m->sql, m->param_offsets,
							  m->param_states, econtext, InvalidOid, (Datum) 0,
							  &nparams, &params);
		fed_fanout_add(g->ff, i, &m->info, sql, nparams, params);
		fed_fanout_command(g->ff, i);
		m->task = i++;
	}
	fed_fanout_start(g->ff);
	MemoryContextSwitchTo(old);
}

/* Wait for ds's statement of its group to end; the rows it changed. */
static uint64
finish_in_group(FedDirectState *ds)
{
	FedTaskStats stats;

	if (ds->group->ff == NULL)
		start_write_group(ds->group);
	while (fed_fanout_next_of(ds->group->ff, ds->task) != NULL)
		;						/* a command returns no rows */
	fed_fanout_stats(ds->group->ff, ds->task, &stats);
	return stats.affected;
}

/*
 * Run a direct UPDATE or DELETE with a RETURNING clause, keeping the rows
 * the server returns in a tuplestore (in work_mem, then on disk): RETURNING
 * is computed as the ModifyTable asks for them, and its expressions may
 * read from the same server meanwhile.
 */
static uint64
direct_returning(FedDirectState *ds, ForeignScanState *node, FedConn *conn,
				 const char *sql, int nparams, const char **params)
{
	EState	   *estate = node->ss.ps.state;
	TupleDesc	desc = RelationGetDescr(node->ss.ss_currentRelation);
	Datum	   *values = palloc(sizeof(Datum) * desc->natts);
	bool	   *nulls = palloc(sizeof(bool) * desc->natts);
	MemoryContext row_cxt = AllocSetContextCreate(CurrentMemoryContext,
												  "federate returned row",
												  ALLOCSET_SMALL_SIZES);
	MemoryContext old;
	FedRow		row;
	uint64		n = 0;

	old = MemoryContextSwitchTo(estate->es_query_cxt);
	ds->returned = tuplestore_begin_heap(false, false, work_mem);
	MemoryContextSwitchTo(old);
	fed_conn_open(conn, sql, nparams, params, FED_FETCH_STREAM, ds, NULL);
	while (fed_conn_next_row(conn, ds, &row))
	{
		old = MemoryContextSwitchTo(row_cxt);
		fed_convert_row(ds->ret_cv, &row, values, nulls);
		tuplestore_putvalues(ds->returned, desc, values, nulls);
		MemoryContextSwitchTo(old);
		MemoryContextReset(row_cxt);
		n++;
	}
	MemoryContextDelete(row_cxt);
	return n;
}

TupleTableSlot *
fedIterateDirectModify(ForeignScanState *node)
{
	FedDirectState *ds = (FedDirectState *) node->fdw_state;
	EState	   *estate = node->ss.ps.state;
	ExprContext *econtext = node->ss.ps.ps_ExprContext;
	TupleTableSlot *slot = node->ss.ss_ScanTupleSlot;

	if (!ds->done)
	{
		uint64		n;

		if (ds->group)
			n = finish_in_group(ds);
		else
		{
			FedConn    *conn = fed_conn_get(ds->info.server, ds->info.user, true);
			MemoryContext old;
			const char **params;
			int			nparams;
			const char *sql;

			fed_conn_note_write(conn);
			old = MemoryContextSwitchTo(econtext->ecxt_per_tuple_memory);
			sql = fed_bind_params(ds->dialect, ds->sql, ds->param_offsets,
								  ds->param_states, econtext, InvalidOid,
								  (Datum) 0, &nparams, &params);
			if (ds->ret_attrs != NIL)
				n = direct_returning(ds, node, conn, sql, nparams, params);
			else
				n = fed_conn_exec(conn, sql, nparams, params);
			MemoryContextSwitchTo(old);
			ResetExprContext(econtext);
		}
		if (ds->set_tag && !ds->returning)
			estate->es_processed += n;
		ds->nreturned = n;
		ds->done = true;
	}
	if (!ds->returning)
		return ExecClearTuple(slot);

	/* one row for the ModifyTable's RETURNING list per row changed */
	if (ds->returned)
	{
		TupleTableSlot *ts = ds->returned_slot;

		if (!tuplestore_gettupleslot(ds->returned, true, false, ts))
			return ExecClearTuple(slot);
		ExecCopySlot(slot, ts);
	}
	else
	{
		/* RETURNING reads no column of the table: the count is enough */
		if (ds->nreturned == 0)
			return ExecClearTuple(slot);
		ds->nreturned--;
		ExecStoreAllNullTuple(slot);
	}
	if (ds->set_tag)
		estate->es_processed++;
	node->resultRelInfo->ri_projectReturning->pi_exprContext->ecxt_scantuple = slot;
	return slot;
}

void
fedEndDirectModify(ForeignScanState *node)
{
	FedDirectState *ds = (FedDirectState *) node->fdw_state;

	if (ds == NULL)
		return;
	if (ds->returned)
		tuplestore_end(ds->returned);
	ds->returned = NULL;
	/* the first member to end ends the group's fan-out: all have run */
	if (ds->group && ds->group->ff && !ds->group->ended)
	{
		fed_fanout_end(ds->group->ff);
		ds->group->ended = true;
	}
}

void
fedExplainDirectModify(ForeignScanState *node, ExplainState *es)
{
	FedDirectState *ds = (FedDirectState *) node->fdw_state;

	if (es->verbose)
	{
		ExplainPropertyText("Server", ds->info.server->servername, es);
		ExplainPropertyText("Remote SQL",
							fed_explain_sql(ds->sql, ds->param_offsets), es);
	}
}

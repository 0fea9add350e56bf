/*-------------------------------------------------------------------------
 *
 * upsert.c
 *		INSERT ... ON CONFLICT on federate foreign tables: the conflict
 *		target carried past the planner, and the clause each engine gets.
 *
 * PostgreSQL infers the arbiter of ON CONFLICT (cols) from the unique
 * indexes of the target table, and a foreign table (or a partitioned
 * table with foreign partitions) has none, so the planner refuses the
 * statement.  The unique index that decides is the remote table's: the
 * planner hook takes the conflict target out of the query before
 * planning (fed_upsert_take_targets) and puts its column names into the
 * finished ModifyTable's private lists (fed_upsert_give_targets), where
 * the foreign table's insert state finds them (fed_upsert_begin).
 *
 * A row conflicts with the rows of the table (the partition) it is
 * inserted into, by the remote table's unique keys:
 *
 * PostgreSQL servers get the clause as written: ON CONFLICT (cols) DO
 * NOTHING, or DO UPDATE SET ... [WHERE ...] with the row there written as
 * r1 (the target's alias) and the proposed row as EXCLUDED.
 *
 * MySQL servers get ON DUPLICATE KEY UPDATE, with the proposed row as
 * VALUES(col).  It updates the row that conflicts on any unique key, so
 * the remote table's unique keys must make that the row of the conflict
 * target (every unique key includes its columns, one of them is exactly
 * those); it assigns from left to right, each expression seeing the
 * columns assigned before it, so the assignments are put in an order in
 * which none reads a column assigned before it; and it has no WHERE.
 * MySQL's row count does not tell inserted, updated and unchanged rows
 * apart, but without a WHERE every row sent is inserted or updates one:
 * the command tag counts the rows sent.  DO NOTHING stays refused on
 * MySQL (see check_on_conflict in modify.c).
 *
 * Either way a proposed row that conflicts with a row the statement
 * inserted or updated already is refused, as PostgreSQL refuses it
 * ("cannot affect row a second time"): the server only sees one batch at
 * a time (see fed_upsert_check_row).
 *
 * src/fdw/upsert.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/table.h"
#include "catalog/pg_class.h"
#include "catalog/pg_inherits.h"
#include "common/hashfn.h"
#include "executor/executor.h"
#include "foreign/fdwapi.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "parser/parsetree.h"
#include "rewrite/rewriteManip.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/syscache.h"

#include "deparse/deparse.h"
#include "fdw/fdw.h"

/* In the expressions of an upsert: the row there, and the proposed row */
#define ROW_VARNO		1
#define EXCLUDED_VARNO	2

struct FedUpsert
{
	OnConflictAction action;
	Oid			relid;
	const char *servername;
	const FedDialect *dialect;
	List	   *target;			/* conflict target: attnos (IntList) */
	List	   *set_cols;		/* DO UPDATE: attnos assigned, in order */
	List	   *set_exprs;		/* their new values (Exprs) */
	Expr	   *where;			/* DO UPDATE ... WHERE, or NULL */
	char	   *clause;			/* written on first use */
	HTAB	   *seen;			/* conflict target values sent */
	MemoryContext cxt;			/* the statement's, for the clause */
	FmgrInfo   *out_funcs;		/* output function of each target column */
};

/* A conflict target taken out of a query: its table and column names */
typedef struct FedTakenTarget
{
	Oid			relid;
	List	   *names;			/* String */
} FedTakenTarget;

/* A proposed row's conflict target values, as two hashes of their text */
typedef struct FedUpsertKey
{
	uint64		h1;
	uint64		h2;
} FedUpsertKey;

/*
 * Is relid a federate foreign table, or a partitioned table whose leaf
 * partitions all are?  (With a local partition too, PostgreSQL's own
 * rules apply, and refuse a conflict target.)
 */
static bool
federated_target(Oid relid)
{
	char		relkind = get_rel_relkind(relid);
	List	   *rels;
	ListCell   *lc;
	bool		any = false;

	if (relkind == RELKIND_FOREIGN_TABLE)
		return fed_is_federate_routine(GetFdwRoutineByRelId(relid));
	if (relkind != RELKIND_PARTITIONED_TABLE)
		return false;
	rels = find_all_inheritors(relid, NoLock, NULL);
	foreach(lc, rels)
	{
		Oid			part = lfirst_oid(lc);

		relkind = get_rel_relkind(part);
		if (relkind == RELKIND_PARTITIONED_TABLE)
			continue;
		if (relkind != RELKIND_FOREIGN_TABLE ||
			!fed_is_federate_routine(GetFdwRoutineByRelId(part)))
			return false;
		any = true;
	}
	return any;
}

static void
take_targets(Query *query, List **taken)
{
	OnConflictExpr *oc = query->onConflict;
	Oid			relid;
	List	   *names = NIL;
	ListCell   *lc;

	foreach(lc, query->cteList)
	{
		CommonTableExpr *cte = lfirst_node(CommonTableExpr, lc);

		if (IsA(cte->ctequery, Query))
			take_targets((Query *) cte->ctequery, taken);
	}
	if (query->commandType != CMD_INSERT || oc == NULL ||
		oc->arbiterElems == NIL)
		return;
	relid = rt_fetch(query->resultRelation, query->rtable)->relid;
	if (!federated_target(relid))
		return;

	if (oc->arbiterWhere != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("ON CONFLICT with a WHERE clause in the conflict target is not supported on federate foreign tables"),
				 errhint("Name the columns of a unique key of the remote table, without WHERE.")));
	foreach(lc, oc->arbiterElems)
	{
		InferenceElem *ie = lfirst_node(InferenceElem, lc);
		Var		   *var = (Var *) ie->expr;

		if (!IsA(var, Var) || var->varattno <= 0 ||
			OidIsValid(ie->infercollid) || OidIsValid(ie->inferopclass))
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("the conflict target of ON CONFLICT on federate foreign table \"%s\" must be a list of columns",
							get_rel_name(relid)),
					 errdetail("Expressions, collations and operator classes in the conflict target are not supported.")));
		names = lappend(names, makeString(get_attname(relid, var->varattno,
													  false)));
	}
	foreach(lc, *taken)
	{
		FedTakenTarget *t = lfirst(lc);

		if (t->relid == relid && !equal(t->names, names))
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("the INSERT ... ON CONFLICT statements of one query must name the same conflict target for table \"%s\"",
							get_rel_name(relid))));
	}
	{
		FedTakenTarget *t = palloc(sizeof(FedTakenTarget));

		t->relid = relid;
		t->names = names;
		*taken = lappend(*taken, t);
	}
	oc->arbiterElems = NIL;
}

/*
 * Before planning: take the conflict targets of INSERT ... ON CONFLICT
 * into federated tables out of query (and its WITH queries), so that the
 * planner does not look for a local unique index.  Returns what
 * fed_upsert_give_targets needs, or NIL.
 */
List *
fed_upsert_take_targets(Query *query)
{
	List	   *taken = NIL;

	take_targets(query, &taken);
	return taken;
}

static void
give_target(PlannedStmt *stmt, Plan *plan, List *taken)
{
	ModifyTable *mt = (ModifyTable *) plan;
	Oid			relid;
	ListCell   *lc;

	if (plan == NULL || !IsA(plan, ModifyTable) ||
		mt->operation != CMD_INSERT ||
		mt->onConflictAction == ONCONFLICT_NONE)
		return;
	relid = rt_fetch(linitial_int(mt->resultRelations), stmt->rtable)->relid;
	foreach(lc, taken)
	{
		FedTakenTarget *t = lfirst(lc);
		List	   *priv = linitial(mt->fdwPrivLists);

		if (t->relid != relid)
			continue;
		if (get_rel_relkind(relid) == RELKIND_FOREIGN_TABLE)
			lfirst(list_nth_cell(priv, FedModifyConflictTarget)) = t->names;
		else
			linitial(mt->fdwPrivLists) = list_make1(t->names);
		return;
	}
}

/*
 * After planning: the conflict targets taken out go to the ModifyTable
 * nodes of their tables: into the foreign table's private list
 * (FedModifyConflictTarget), or, for a partitioned table, into its own
 * entry of fdwPrivLists, which nothing else uses.
 */
void
fed_upsert_give_targets(PlannedStmt *stmt, List *taken)
{
	ListCell   *lc;

	give_target(stmt, stmt->planTree, taken);
	foreach(lc, stmt->subplans)
		give_target(stmt, (Plan *) lfirst(lc), taken);
}

/* The conflict target names of the INSERT that inserts into rinfo. */
List *
fed_upsert_target_names(ModifyTable *plan, ResultRelInfo *rinfo,
						List *fdw_private)
{
	List	   *priv;

	if (fdw_private != NIL)
		return list_nth(fdw_private, FedModifyConflictTarget);
	priv = plan->fdwPrivLists ? linitial(plan->fdwPrivLists) : NIL;
	return priv ? linitial(priv) : NIL;
}

/*
 * The upsert's expressions in the table's terms: the Vars of the target
 * (varno target, attnos of the first result relation) and of EXCLUDED
 * (INNER_VAR, the same attnos) become ROW_VARNO and EXCLUDED_VARNO Vars
 * with the table's attnos (map: NULL when they are the same).
 */
typedef struct FedMapCxt
{
	Index		target;
	AttrMap    *map;
} FedMapCxt;

static Node *
to_table_vars(Node *node, FedMapCxt *cxt)
{
	if (node == NULL)
		return NULL;
	if (IsA(node, Var))
	{
		Var		   *var = (Var *) copyObject(node);

		if (var->varlevelsup == 0 &&
			(var->varno == cxt->target || var->varno == INNER_VAR))
		{
			var->varno = var->varno == INNER_VAR ? EXCLUDED_VARNO : ROW_VARNO;
			var->varnosyn = var->varno;
			if (cxt->map && var->varattno > 0)
				var->varattno = cxt->map->attnums[var->varattno - 1];
		}
		return (Node *) var;
	}
	return expression_tree_mutator(node, to_table_vars, (void *) cxt);
}

/* Is expr the column attno of the row there or of the proposed row? */
static bool
is_same_column(Expr *expr, AttrNumber attno)
{
	while (expr && IsA(expr, RelabelType))
		expr = ((RelabelType *) expr)->arg;
	return expr && IsA(expr, Var) && ((Var *) expr)->varattno == attno &&
		((Var *) expr)->varlevelsup == 0;
}

/*
 * MySQL assigns from left to right: order the assignments so that none
 * reads a column assigned before it (each goes before those that assign
 * what it reads).  Returns false when they read each other in a cycle.
 */
static bool
order_for_mysql(List **cols, List **exprs)
{
	List	   *pend_cols = *cols;
	List	   *pend_exprs = *exprs;
	List	   *out_cols = NIL;
	List	   *out_exprs = NIL;

	while (pend_cols != NIL)
	{
		int			i;
		int			n = list_length(pend_cols);
		int			pick = -1;

		/* the first assignment whose column no other pending one reads */
		for (i = 0; i < n && pick < 0; i++)
		{
			AttrNumber	col = list_nth_int(pend_cols, i);
			bool		read = false;
			int			j;

			for (j = 0; j < n && !read; j++)
			{
				Bitmapset  *reads = NULL;

				if (j == i)
					continue;
				pull_varattnos(list_nth(pend_exprs, j), ROW_VARNO, &reads);
				read = bms_is_member(col - FirstLowInvalidHeapAttributeNumber,
									 reads) ||
					bms_is_member(InvalidAttrNumber -
								  FirstLowInvalidHeapAttributeNumber, reads);
			}
			if (!read)
				pick = i;
		}
		if (pick < 0)
			return false;
		out_cols = lappend_int(out_cols, list_nth_int(pend_cols, pick));
		out_exprs = lappend(out_exprs, list_nth(pend_exprs, pick));
		pend_cols = list_delete_nth_cell(list_copy(pend_cols), pick);
		pend_exprs = list_delete_nth_cell(list_copy(pend_exprs), pick);
	}
	*cols = out_cols;
	*exprs = out_exprs;
	return true;
}

/*
 * The unique keys of MySQL tables, read once per session and table: for
 * the foreign table relid, a List of Lists of Strings: the key's name,
 * then its columns.
 * Forgotten when a foreign table or server changes.
 */
typedef struct FedUniqueKeys
{
	Oid			relid;
	List	   *keys;
} FedUniqueKeys;

static HTAB *unique_keys = NULL;

static void
forget_unique_keys(Datum arg, int cacheid, uint32 hashvalue)
{
	if (unique_keys)
	{
		hash_destroy(unique_keys);
		unique_keys = NULL;
	}
}

static List *
mysql_unique_keys(FedTableInfo *info)
{
	static bool registered = false;
	FedUniqueKeys *entry;
	bool		found;
	FedConn    *conn;
	StringInfoData sql;
	FedRow		row;
	int			owner;
	List	   *keys = NIL;
	List	   *key = NIL;
	char	   *last = NULL;
	MemoryContext old;

	if (!registered)
	{
		CacheRegisterSyscacheCallback(FOREIGNTABLEREL, forget_unique_keys, 0);
		CacheRegisterSyscacheCallback(FOREIGNSERVEROID, forget_unique_keys, 0);
		registered = true;
	}
	if (unique_keys == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(Oid);
		ctl.entrysize = sizeof(FedUniqueKeys);
		ctl.hcxt = CacheMemoryContext;
		unique_keys = hash_create("federate MySQL unique keys", 16, &ctl,
								  HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}
	entry = hash_search(unique_keys, &info->relid, HASH_FIND, NULL);
	if (entry)
		return entry->keys;

	initStringInfo(&sql);
	appendStringInfoString(&sql,
						   "SELECT INDEX_NAME, COLUMN_NAME FROM information_schema.STATISTICS "
						   "WHERE NON_UNIQUE = 0 AND CAST(TABLE_SCHEMA AS BINARY) = CAST(");
	if (info->schema_name)
		fed_dialect_mysql.append_value(&sql, TEXTOID,
									   CStringGetTextDatum(info->schema_name));
	else
		appendStringInfoString(&sql, "DATABASE()");
	appendStringInfoString(&sql, " AS BINARY) AND CAST(TABLE_NAME AS BINARY) = CAST(");
	fed_dialect_mysql.append_value(&sql, TEXTOID,
								   CStringGetTextDatum(info->table_name));
	appendStringInfoString(&sql, " AS BINARY) ORDER BY INDEX_NAME, SEQ_IN_INDEX");

	conn = fed_conn_get(info->server, info->user, true);
	fed_conn_open(conn, sql.data, 0, NULL, 0, &owner, NULL);
	while (fed_conn_next_row(conn, &owner, &row))
	{
		if (row.ncols != 2 || row.values[0] == NULL || row.values[1] == NULL)
			continue;
		if (last == NULL || strcmp(last, row.values[0]) != 0)
		{
			if (key != NIL)
				keys = lappend(keys, key);
			last = pstrdup(row.values[0]);
			key = list_make1(makeString(last));
		}
		key = lappend(key, makeString(pstrdup(row.values[1])));
	}
	if (key != NIL)
		keys = lappend(keys, key);

	old = MemoryContextSwitchTo(CacheMemoryContext);
	keys = copyObject(keys);
	MemoryContextSwitchTo(old);
	entry = hash_search(unique_keys, &info->relid, HASH_ENTER, &found);
	entry->keys = keys;
	return keys;
}

/* Is the column name (case-insensitive, as MySQL's) in names? */
static bool
name_in(const char *name, List *names)
{
	ListCell   *lc;

	foreach(lc, names)
	{
		if (pg_strcasecmp(strVal(lfirst(lc)), name) == 0)
			return true;
	}
	return false;
}

/*
 * ON DUPLICATE KEY UPDATE updates the row that conflicts on any unique
 * key: exact only when that row is always the conflict target's, that is
 * when one unique key has exactly the target's columns and every unique
 * key has them all.
 */
static void
check_mysql_keys(FedUpsert *u, FedTableInfo *info, Relation rel)
{
	List	   *keys = mysql_unique_keys(info);
	List	   *target = NIL;
	ListCell   *lc;
	bool		exact = false;
	StringInfoData names;

	initStringInfo(&names);
	foreach(lc, u->target)
	{
		const char *name = fed_column_name(RelationGetRelid(rel), lfirst_int(lc));

		target = lappend(target, makeString((char *) name));
		appendStringInfo(&names, "%s%s", names.len ? ", " : "", name);
	}
	foreach(lc, keys)
	{
		List	   *key = lfirst(lc);
		List	   *cols = list_copy_tail(key, 1);
		ListCell   *lc2;
		bool		has_all = true;

		foreach(lc2, target)
			has_all &= name_in(strVal(lfirst(lc2)), cols);
		if (!has_all)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("cannot send the ON CONFLICT DO UPDATE of foreign table \"%s\" to MySQL server \"%s\"",
							RelationGetRelationName(rel), info->server->servername),
					 errdetail("MySQL updates the row that conflicts on any unique key, and unique key \"%s\" of the remote table does not include every column of the conflict target (%s).",
							   strVal(linitial(key)), names.data)));
		if (list_length(cols) == list_length(target))
			exact = true;
	}
	if (!exact)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_COLUMN_REFERENCE),
				 errmsg("there is no unique or exclusion constraint matching the ON CONFLICT specification"),
				 errdetail("The remote table of foreign table \"%s\" on MySQL server \"%s\" has no unique key on exactly (%s).",
						   RelationGetRelationName(rel), info->server->servername,
						   names.data)));
}

/*
 * The ON CONFLICT clause of an INSERT into the foreign table of rinfo, as
 * its server will get it, checked: NULL when the INSERT has none.  names:
 * the conflict target (fed_upsert_target_names).
 */
FedUpsert *
fed_upsert_begin(ModifyTableState *mtstate, ResultRelInfo *rinfo,
				 FedTableInfo *info, List *names)
{
	ModifyTable *plan = (ModifyTable *) mtstate->ps.plan;
	Relation	rel = rinfo->ri_RelationDesc;
	Oid			relid = RelationGetRelid(rel);
	const char *relname = RelationGetRelationName(rel);
	FedUpsert  *u;
	FedMapCxt	map;
	ListCell   *lc;
	ListCell   *lc2;
	Relids		relids;

	if (plan == NULL || plan->onConflictAction == ONCONFLICT_NONE)
		return NULL;
	u = palloc0(sizeof(FedUpsert));
	u->action = plan->onConflictAction;
	u->relid = relid;
	u->servername = info->server->servername;
	u->cxt = CurrentMemoryContext;
	u->dialect = fed_dialect(info->driver);
	foreach(lc, names)
	{
		AttrNumber	attno = get_attnum(relid, strVal(lfirst(lc)));

		if (attno == InvalidAttrNumber)
			elog(ERROR, "column \"%s\" of the conflict target is not in \"%s\"",
				 strVal(lfirst(lc)), relname);
		u->target = lappend_int(u->target, attno);
	}
	if (u->action == ONCONFLICT_NOTHING)
		return u;
	if (u->target == NIL)
		elog(ERROR, "ON CONFLICT DO UPDATE on \"%s\" without its conflict target",
			 relname);

	/* PostgreSQL would fire UPDATE triggers for updated rows, not INSERT's */
	if (rinfo->ri_TrigDesc &&
		(rinfo->ri_TrigDesc->trig_insert_before_row ||
		 rinfo->ri_TrigDesc->trig_insert_after_row ||
		 rinfo->ri_TrigDesc->trig_update_before_row ||
		 rinfo->ri_TrigDesc->trig_update_after_row))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("ON CONFLICT DO UPDATE is not supported on foreign table \"%s\" with row triggers",
						relname),
				 errdetail("Whether a row was inserted or updated is not known here, so neither the INSERT nor the UPDATE row triggers could be fired correctly.")));
	/*
	 * The check would see the proposed row, not the updated one.  (The
	 * executor sets up ri_WithCheckOptions after BeginForeignModify.)
	 */
	if (rinfo->ri_WithCheckOptions != NIL || plan->withCheckOptionLists != NIL)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("ON CONFLICT DO UPDATE is not supported on foreign table \"%s\" through a view WITH CHECK OPTION",
						relname)));
	if (plan->onConflictWhere && info->driver == FED_DRIVER_MYSQL)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("ON CONFLICT DO UPDATE with a WHERE clause is not supported on foreign table \"%s\" of MySQL server \"%s\"",
						relname, info->server->servername),
				 errdetail("MySQL's ON DUPLICATE KEY UPDATE has no WHERE, and its row count could not tell the rows it skipped.")));

	/* the expressions in the table's own terms */
	map.target = linitial_int(plan->resultRelations);
	map.map = NULL;
	if (rinfo->ri_RootResultRelInfo != NULL && rinfo != mtstate->resultRelInfo)
		map.map = build_attrmap_by_name(RelationGetDescr(rel),
										RelationGetDescr(rinfo->ri_RootResultRelInfo->ri_RelationDesc));
	forboth(lc, plan->onConflictSet, lc2, plan->onConflictCols)
	{
		TargetEntry *tle = lfirst_node(TargetEntry, lc);
		AttrNumber	attno = lfirst_int(lc2);

		if (map.map)
			attno = map.map->attnums[attno - 1];
		u->set_cols = lappend_int(u->set_cols, attno);
		u->set_exprs = lappend(u->set_exprs,
							   to_table_vars((Node *) tle->expr, &map));
	}
	u->where = (Expr *) to_table_vars((Node *) plan->onConflictWhere, &map);
	if (u->where && IsA(u->where, List))	/* an implicit AND */
		u->where = make_ands_explicit((List *) u->where);

	/*
	 * MySQL makes the implicit store coercions to numeric(p,s) and
	 * varchar(n) itself (see fed_store_coercions_to_mysql).
	 */
	if (info->driver == FED_DRIVER_MYSQL)
	{
		List	   *tlist = NIL;
		List	   *stripped;

		foreach(lc, u->set_exprs)
			tlist = lappend(tlist, makeTargetEntry(lfirst(lc),
												   list_length(tlist) + 1,
												   NULL, false));
		stripped = fed_store_coercions_to_mysql(tlist);
		u->set_exprs = NIL;
		foreach(lc, stripped)
			u->set_exprs = lappend(u->set_exprs, lfirst_node(TargetEntry, lc)->expr);
	}

	relids = bms_make_singleton(ROW_VARNO);
	relids = bms_add_member(relids, EXCLUDED_VARNO);
	forboth(lc, u->set_cols, lc2, u->set_exprs)
	{
		AttrNumber	attno = lfirst_int(lc);

		/*
		 * A partition key column keeps its value, or takes the proposed
		 * row's, which was routed to this partition: the row stays.
		 */
		if (fed_sets_partition_key(relid, list_make1_int(attno)) &&
			!is_same_column(lfirst(lc2), attno))
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("ON CONFLICT DO UPDATE cannot change partition key column \"%s\" of foreign table \"%s\"",
							get_attname(relid, attno, false), relname),
					 errhint("Assign it EXCLUDED.%s, or leave it out of the SET list.",
							 quote_identifier(get_attname(relid, attno, false)))));
		if (!fed_shippable_over(NULL, relids, u->dialect, lfirst(lc2), NULL))
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("cannot send the ON CONFLICT DO UPDATE of foreign table \"%s\" to server \"%s\"",
							relname, info->server->servername),
					 errdetail("The new value of column \"%s\" is an expression the server cannot evaluate as PostgreSQL does.",
							   get_attname(relid, attno, false))));
	}
	if (u->where &&
		!fed_shippable_over(NULL, relids, u->dialect, (Node *) u->where, NULL))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot send the ON CONFLICT DO UPDATE of foreign table \"%s\" to server \"%s\"",
						relname, info->server->servername),
				 errdetail("Its WHERE clause is an expression the server cannot evaluate as PostgreSQL does.")));

	if (info->driver == FED_DRIVER_MYSQL)
	{
		if (!order_for_mysql(&u->set_cols, &u->set_exprs))
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("cannot send the ON CONFLICT DO UPDATE SET list of foreign table \"%s\" to MySQL server \"%s\"",
							relname, info->server->servername),
					 errdetail("MySQL assigns the columns from left to right, each new value seeing the columns assigned before it, and these assignments read each other's columns.")));
		check_mysql_keys(u, info, rel);
	}

	/* proposed rows repeating a conflict target's values: see header */
	{
		HASHCTL		ctl;
		int			i = 0;

		ctl.keysize = sizeof(FedUpsertKey);
		ctl.entrysize = sizeof(FedUpsertKey);
		ctl.hcxt = CurrentMemoryContext;
		u->seen = hash_create("federate upsert keys", 256, &ctl,
							  HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
		u->out_funcs = palloc(sizeof(FmgrInfo) * list_length(u->target));
		foreach(lc, u->target)
		{
			Oid			outfunc;
			bool		isvarlena;

			getTypeOutputInfo(TupleDescAttr(RelationGetDescr(rel),
											lfirst_int(lc) - 1)->atttypid,
							  &outfunc, &isvarlena);
			fmgr_info(outfunc, &u->out_funcs[i++]);
		}
	}
	return u;
}

/* Does the INSERT ... ON CONFLICT update rows (and alias its target)? */
bool
fed_upsert_updates(FedUpsert *u)
{
	return u != NULL && u->action == ONCONFLICT_UPDATE;
}

/*
 * Does the server's row count tell the rows the statement inserted or
 * updated?  Otherwise (MySQL) every row sent counts.
 */
bool
fed_upsert_counts_rows(FedUpsert *u)
{
	return u != NULL && u->dialect->kind == FED_DRIVER_POSTGRES;
}

/* The hashes of the conflict target values of slot; false if one is NULL */
static bool
row_key(FedUpsert *u, TupleTableSlot *slot, FedUpsertKey *key)
{
	StringInfoData buf;
	ListCell   *lc;
	int			i = 0;

	slot_getallattrs(slot);
	initStringInfo(&buf);
	foreach(lc, u->target)
	{
		AttrNumber	attno = lfirst_int(lc);
		char	   *t;

		/* NULLs never conflict */
		if (slot->tts_isnull[attno - 1])
		{
			pfree(buf.data);
			return false;
		}
		t = OutputFunctionCall(&u->out_funcs[i++], slot->tts_values[attno - 1]);
		/* length-prefixed, so that no two keys make the same text */
		appendStringInfo(&buf, "%zu:%s", strlen(t), t);
	}
	key->h1 = hash_bytes_extended((unsigned char *) buf.data, buf.len, 0);
	key->h2 = hash_bytes_extended((unsigned char *) buf.data, buf.len,
								  UINT64CONST(0x9e3779b97f4a7c15));
	pfree(buf.data);
	return true;
}

/*
 * Does a proposed row conflict with a row this statement inserted or
 * updated already?  PostgreSQL refuses it, "cannot affect row a second
 * time" (fed_upsert_refuse).  Without a WHERE every row sent is inserted
 * or updates one, so the row's values are remembered here; with one, only
 * rows the server reported changed are (fed_upsert_row_changed), and such
 * rows go one at a time (fed_upsert_one_row).
 */
bool
fed_upsert_check_row(FedUpsert *u, TupleTableSlot *slot)
{
	FedUpsertKey key;
	bool		found;

	if (u == NULL || u->action != ONCONFLICT_UPDATE || !row_key(u, slot, &key))
		return false;
	(void) hash_search(u->seen, &key, u->where ? HASH_FIND : HASH_ENTER, &found);
	return found;
}

/* Refuse the row fed_upsert_check_row found again. */
void
fed_upsert_refuse(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_CARDINALITY_VIOLATION),
			 errmsg("ON CONFLICT DO UPDATE command cannot affect row a second time"),
			 errhint("Ensure that no rows proposed for insertion within the same command have duplicate constrained values.")));
}

/* The server inserted or updated the row of slot (DO UPDATE ... WHERE). */
void
fed_upsert_row_changed(FedUpsert *u, TupleTableSlot *slot)
{
	FedUpsertKey key;

	if (u && u->action == ONCONFLICT_UPDATE && u->where &&
		row_key(u, slot, &key))
		(void) hash_search(u->seen, &key, HASH_ENTER, NULL);
}

/*
 * Must rows go one per statement?  With DO UPDATE ... WHERE, whether a
 * row changed anything is known only from the row count of its own
 * statement.
 */
bool
fed_upsert_one_row(FedUpsert *u)
{
	return u && u->action == ONCONFLICT_UPDATE && u->where != NULL;
}

/* Values computed here (parameters, stable functions) as constants */
static Node *
fold_coordinator_values(Node *node, EState *estate)
{
	if (node == NULL)
		return NULL;
	if ((IsA(node, Param) &&
		 (((Param *) node)->paramkind == PARAM_EXTERN ||
		  ((Param *) node)->paramkind == PARAM_EXEC)) ||
		fed_is_coordinator_value(node))
	{
		Oid			type = exprType(node);
		ExprState  *state = ExecInitExpr((Expr *) node, NULL);
		ExprContext *econtext = GetPerTupleExprContext(estate);
		bool		isnull;
		Datum		value;
		int16		typlen;
		bool		typbyval;

		value = ExecEvalExprSwitchContext(state, econtext, &isnull);
		get_typlenbyval(type, &typlen, &typbyval);
		return (Node *) makeConst(type, exprTypmod(node), exprCollation(node),
								  typlen,
								  isnull ? (Datum) 0 : datumCopy(value, typbyval, typlen),
								  isnull, typbyval);
	}
	return expression_tree_mutator(node, fold_coordinator_values,
								   (void *) estate);
}

/* Is a constant of node one the dialect cannot write as a literal? */
static bool
has_unwritable_const(Node *node, void *context)
{
	const FedDialect *d = context;

	if (node == NULL)
		return false;
	if (IsA(node, Const))
		return !((Const *) node)->constisnull &&
			!d->value_ok(((Const *) node)->consttype,
						 ((Const *) node)->constvalue);
	return expression_tree_walker(node, has_unwritable_const, context);
}

static void
unwritable(FedUpsert *u)
{
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("cannot send the ON CONFLICT DO UPDATE of foreign table \"%s\" to server \"%s\"",
					get_rel_name(u->relid), u->servername),
			 errdetail("It uses a value computed here that the server cannot take as a literal.")));
}

/*
 * The text after the VALUES of the INSERT: " ON CONFLICT ..." or
 * " ON DUPLICATE KEY UPDATE ...", written once per statement, when the
 * first rows go (the values it computes here, such as a parameter or an
 * uncorrelated subquery's, are known by then).
 */
const char *
fed_upsert_clause(FedUpsert *u, EState *estate)
{
	StringInfoData buf;
	FedDeparseCxt cxt;
	List	   *params = NIL;
	List	   *offsets = NIL;
	ListCell   *lc;
	ListCell   *lc2;
	int			nest;
	MemoryContext old;

	if (u == NULL)
		return "";
	if (u->clause)
		return u->clause;

	old = MemoryContextSwitchTo(u->cxt);
	initStringInfo(&buf);
	memset(&cxt, 0, sizeof(cxt));
	cxt.varno = ROW_VARNO;
	cxt.relid = u->relid;
	cxt.varno2 = EXCLUDED_VARNO;
	cxt.relid2 = u->relid;
	cxt.dialect = u->dialect;
	cxt.buf = &buf;
	cxt.params = &params;
	cxt.param_offsets = &offsets;
	cxt.on_conflict = true;

	if (u->dialect->kind == FED_DRIVER_POSTGRES)
	{
		appendStringInfoString(&buf, " ON CONFLICT");
		if (u->target != NIL)
		{
			appendStringInfoString(&buf, " (");
			fed_deparse_column_list(&buf, u->dialect, u->relid, u->target);
			appendStringInfoChar(&buf, ')');
		}
		appendStringInfoString(&buf, u->action == ONCONFLICT_NOTHING ?
							   " DO NOTHING" : " DO UPDATE SET ");
	}
	else
		appendStringInfoString(&buf, " ON DUPLICATE KEY UPDATE ");

	fed_set_transmission_modes(&nest);
	forboth(lc, u->set_cols, lc2, u->set_exprs)
	{
		Node	   *expr = fold_coordinator_values(lfirst(lc2), estate);

		if (has_unwritable_const(expr, (void *) u->dialect))
			unwritable(u);
		if (lc != list_head(u->set_cols))
			appendStringInfoString(&buf, ", ");
		fed_deparse_column(&buf, u->dialect, u->relid, lfirst_int(lc));
		appendStringInfoString(&buf, " = ");
		fed_deparse_expr(&cxt, (Expr *) expr);
	}
	if (u->where)
	{
		Node	   *where = fold_coordinator_values((Node *) u->where, estate);

		if (has_unwritable_const(where, (void *) u->dialect))
			unwritable(u);
		appendStringInfoString(&buf, " WHERE ");
		fed_deparse_expr(&cxt, (Expr *) where);
	}
	fed_reset_transmission_modes(nest);
	if (params != NIL)
		elog(ERROR, "ON CONFLICT clause of \"%s\" has parameters",
			 get_rel_name(u->relid));
	u->clause = buf.data;
	MemoryContextSwitchTo(old);
	return u->clause;
}

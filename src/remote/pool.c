/*-------------------------------------------------------------------------
 *
 * pool.c
 *		The connection cache and pool: which connection a statement gets.
 *
 * Connections are kept per user mapping and slot (FedConnKey) across
 * queries and transactions: the key is the user mapping's OID, so two
 * users sharing the PUBLIC mapping share the connection, and two mappings
 * never do.  Slot 0 serves plain scans and writes; fan-out tasks on one
 * server take further slots (up to FED_MAX_SLOTS), each under a unit of
 * the server's shared budget (health/budget.c).  At transaction end,
 * fed_pool_settle_idle decides which idle connections stay open.
 *
 * src/remote/pool.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_foreign_server.h"
#include "catalog/pg_user_mapping.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "pgtime.h"
#include "storage/fd.h"
#include "storage/latch.h"
#include "utils/acl.h"
#include "utils/backend_status.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/memutils.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "health/health.h"
#include "remote/conn_internal.h"

static void fed_inval_callback(Datum arg, int cacheid, uint32 hashvalue);

HTAB	   *fed_conn_hash = NULL;

void
fed_conn_init(void)
{
	fed_xact_init();
	CacheRegisterSyscacheCallback(FOREIGNSERVEROID, fed_inval_callback, (Datum) 0);
	CacheRegisterSyscacheCallback(USERMAPPINGOID, fed_inval_callback, (Datum) 0);
}

/* The hash entry for (user mapping, slot), created empty if needed. */
FedConn *
fed_pool_entry(UserMapping *user, int slot)
{
	FedConnKey	key;
	FedConn    *c;
	bool		found;

	if (fed_conn_hash == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(FedConnKey);
		ctl.entrysize = sizeof(FedConn);
		fed_conn_hash = hash_create("federate connections", 8, &ctl,
								HASH_ELEM | HASH_BLOBS);
	}
	memset(&key, 0, sizeof(key));
	key.umid = user->umid;
	key.slot = slot;
	c = hash_search(fed_conn_hash, &key, HASH_ENTER, &found);
	if (!found)
	{
		memset(((char *) c) + sizeof(FedConnKey), 0,
			   sizeof(FedConn) - sizeof(FedConnKey));
		c->step.phase = FED_PHASE_IDLE;
	}
	return c;
}

/*
 * Does this backend hold a connection to another server than serverid
 * that it cannot give up now (a reader has it, or a remote transaction is
 * open on it)?  Then waiting for a unit of serverid's budget could wait
 * for a session that waits for it (see fed_budget_take).
 */
bool
fed_pool_holds_busy(Oid serverid)
{
	HASH_SEQ_STATUS scan;
	FedConn    *c;

	if (fed_conn_hash == NULL)
		return false;
	hash_seq_init(&scan, fed_conn_hash);
	while ((c = (FedConn *) hash_seq_search(&scan)))
		if (c->handle && c->serverid != serverid &&
			(c->stream.owner || c->rx.depth > 0))
		{
			hash_seq_term(&scan);
			return true;
		}
	return false;
}

/* How long a backend's first connection to server waits for its budget. */
TimestampTz
fed_pool_budget_deadline(ForeignServer *server)
{
	int			secs = fed_int_option(server->options, "connect_timeout",
									  fed_connect_timeout);

	return secs > 0 ?
		TimestampTzPlusMilliseconds(GetCurrentTimestamp(), (int64) secs * 1000) : 0;
}

/* Checks and bookkeeping before a connection serves a statement. */
static void
prepare_entry(FedConn *c, ForeignServer *server, UserMapping *user)
{
	if (c->rx.state == FED_XACT_BROKEN)
		ereport(ERROR,
				(errcode(ERRCODE_CONNECTION_FAILURE),
				 errmsg("connection to server \"%s\" was lost", c->servername),
				 errdetail("The remote transaction on this server ended with the connection; the local transaction must be rolled back.")));

	/*
	 * Changed options take effect between transactions, on a connection
	 * nobody uses: not on one still being made for a reader (that one
	 * reads the new options already).
	 */
	if (c->handle && c->invalidated && c->rx.depth == 0 &&
		c->stream.owner == NULL && c->step.phase == FED_PHASE_IDLE)
		fed_conn_close_handle(c);

	if (c->handle == NULL)
	{
		c->serverid = server->serverid;
		c->userid = user->userid;
		strlcpy(c->servername, server->servername, NAMEDATALEN);
		c->driver = fed_server_driver(server) == FED_DRIVER_MYSQL ?
			&fed_driver_mysql : &fed_driver_libpq;
		c->sess.connect_timeout = fed_int_option(server->options, "connect_timeout",
											fed_connect_timeout);
		c->sess.connect_timeout_counts = fed_connect_timeout_trusted ||
			fed_int_option(server->options, "connect_timeout", -1) >= 0;
		c->server_hashvalue = GetSysCacheHashValue1(FOREIGNSERVEROID,
													ObjectIdGetDatum(server->serverid));
		c->mapping_hashvalue = GetSysCacheHashValue1(USERMAPPINGOID,
													 ObjectIdGetDatum(user->umid));
	}
	c->server = server;
	c->user = user;
	c->sess.stmt_timeout = fed_server_statement_timeout(server);
	c->sess.stmt_timeout_counts = fed_statement_timeout_trusted ||
		fed_int_option(server->options, "statement_timeout", -1) >= 0;
	c->budget = fed_server_budget(server);
	c->last_used = GetCurrentTimestamp();
	if (c->idle_counted)
	{
		fed_budget_idle(c->serverid, false);
		c->idle_counted = false;
	}
}

/*
 * Can reads of server share one snapshot in the current local transaction
 * (see snapshot_sql in remote/xact.c)?  Its engine must export snapshots,
 * and the local transaction must be one that no exporting remote
 * transaction will have to be prepared in.
 */
bool
fed_conn_can_share_snapshot(ForeignServer *server)
{
	const FedDriver *d = fed_server_driver(server) == FED_DRIVER_MYSQL ?
		&fed_driver_mysql : &fed_driver_libpq;

	return d->export_snapshot_sql != NULL && fed_xact_may_export();
}

/*
 * The connection for a server and user mapping, connected and with the
 * remote transaction open.  This is slot 0, the one plain scans and
 * writes share.
 */
FedConn *
fed_conn_get(ForeignServer *server, UserMapping *user, bool start_xact)
{
	FedConn    *c = fed_pool_entry(user, 0);
	FedRemoteError err = {0};
	char	   *why;

	prepare_entry(c, server, user);
	if (c->rx.depth == 0 &&
		!fed_circuit_allows(server->serverid, server->servername, &why))
		fed_report_failure(ERROR, FED_FAIL_CIRCUIT, NULL, server->servername,
						   why, NULL, NULL);
	fed_conn_make_idle(c);
	fed_conn_run_sync(c, fed_conn_start(c, NULL, 0, NULL, 0, FED_AUTOCOMMIT_NO, &err), &err);
	return c;
}

/*
 * The same connection, without opening a remote transaction: not yet
 * connected, perhaps (fed_conn_open_alone connects it).
 */
FedConn *
fed_conn_get_alone(ForeignServer *server, UserMapping *user)
{
	FedConn    *c = fed_pool_entry(user, 0);

	prepare_entry(c, server, user);
	fed_conn_make_idle(c);
	return c;
}

/* c is owner's now: its current reader, if any, parks first. */
static FedConn *
hand_over(FedConn *c, ForeignServer *server, UserMapping *user, void *owner,
		  FedParkCallback park)
{
	prepare_entry(c, server, user);
	fed_conn_make_idle(c);
	c->stream.owner = owner;
	c->stream.park = park;
	return c;
}

/*
 * A connection for a fan-out task reading from server as user, or NULL
 * when none can be had without taking it from another reader.
 *
 * In order: once the transaction has written through slot 0, every read
 * goes there, to see its own writes; else a connection of this user
 * mapping no reader holds, an open one first; else a new one (up to
 * FED_MAX_SLOTS per mapping), which takes a unit of the server's budget:
 * the backend's first connection to the mapping waits for one
 * (fed_budget_take), further ones are taken only while units are free.
 * When that fails, a forced claim takes an open connection from its
 * reader, which parks (reads its rest into local storage); an unforced one
 * returns NULL, and the task waits for one of its query's connections to
 * free (exec/fanout.c).  Nothing is sent yet.
 */
FedConn *
fed_conn_claim(ForeignServer *server, UserMapping *user, void *owner,
			   FedParkCallback park, bool force)
{
	FedConn    *c = fed_pool_entry(user, 0);
	FedConn    *empty = NULL;
	FedConn    *busy = NULL;
	int			slot;

	if (c->rx.state != FED_XACT_WRITTEN && c->rx.state != FED_XACT_BROKEN)
	{
		c = NULL;
		for (slot = 0; slot < FED_MAX_SLOTS; slot++)
		{
			FedConn    *s = fed_pool_entry(user, slot);

			if (s->rx.state == FED_XACT_BROKEN)
				continue;
			if (s->stream.owner == NULL && s->handle)
			{
				c = s;
				break;
			}
			/* a unit reserved already (fed_conn_reserve) comes first */
			if (s->stream.owner == NULL && s->handle == NULL &&
				(empty == NULL || (s->budget_held && !empty->budget_held)))
				empty = s;
			if (s->stream.owner && s->handle && busy == NULL)
				busy = s;
		}
		if (c == NULL && empty)
		{
			/* a new connection: the first one waits for the budget */
			if (empty->budget_held ||
				fed_budget_take(server, busy == NULL, fed_pool_budget_deadline(server),
								busy == NULL && fed_pool_holds_busy(server->serverid)))
			{
				empty->budget_held = true;
				c = empty;
			}
		}
		if (c == NULL)
		{
			if (!force)
				return NULL;
			/* the reader of an open connection parks */
			c = busy ? busy : fed_pool_entry(user, 0);
		}
	}
	return hand_over(c, server, user, owner, park);
}

/*
 * The writing connection (slot 0, as fed_conn_get), claimed by a reader
 * of the table the statement writes: its current reader, if any, parks.
 */
FedConn *
fed_conn_claim_writer(ForeignServer *server, UserMapping *user, void *owner,
					  FedParkCallback park)
{
	return hand_over(fed_pool_entry(user, 0), server, user, owner, park);
}

/*
 * Before a fan-out starts: make sure this backend has a connection, or a
 * unit of the budget for one, on each server it is about to read from
 * (user mapping users[i] on servers[i], sorted by server OID), waiting for
 * the budget where needed.  Units are taken in server OID order, and
 * before waiting for one, idle connections to servers later in that order
 * are closed: two sessions each holding what the other waits for would
 * otherwise wait for each other until the connect timeout.  (Connections
 * in an open remote transaction cannot be closed, so sessions that keep
 * transactions open on several servers can still wait for each other.)
 */
void
fed_conn_reserve(ForeignServer **servers, UserMapping **users, int n)
{
	int			i;

	for (i = 0; i < n; i++)
	{
		FedConn    *empty = NULL;
		bool		have = false;
		int			slot;

		for (slot = 0; slot < FED_MAX_SLOTS && !have; slot++)
		{
			FedConn    *s = fed_pool_entry(users[i], slot);

			if (s->rx.state == FED_XACT_BROKEN)
				continue;
			if (s->handle || s->budget_held)
				have = true;
			else if (s->stream.owner == NULL && empty == NULL)
				empty = s;
		}
		if (have || empty == NULL)
			continue;
		if (!fed_budget_take(servers[i], false, 0, false))
		{
			HASH_SEQ_STATUS scan;
			FedConn    *c;

			hash_seq_init(&scan, fed_conn_hash);
			while ((c = (FedConn *) hash_seq_search(&scan)))
				if (c->handle && c->serverid > servers[i]->serverid &&
					c->stream.owner == NULL && c->rx.depth == 0 && c->rx.state != FED_XACT_BROKEN &&
					c->step.phase == FED_PHASE_IDLE)
					fed_conn_close_handle(c);
			fed_budget_take(servers[i], true, fed_pool_budget_deadline(servers[i]),
							fed_pool_holds_busy(servers[i]->serverid));
		}
		empty->budget_held = true;
		empty->serverid = servers[i]->serverid;
		strlcpy(empty->servername, servers[i]->servername, NAMEDATALEN);
	}
}

/*
 * The transaction is over: decide which idle connections stay open.  One
 * is closed when the session keeps federate.max_idle_connections to its
 * server already, when it is older than federate.connection_lifetime or
 * unused for federate.idle_timeout, or when keeping it would leave its
 * server's budget without a free unit (or someone waits for one).  The
 * others are counted idle in the budget's view.
 */
void
fed_pool_settle_idle(void)
{
	HASH_SEQ_STATUS scan;
	FedConn    *c;
	TimestampTz now = GetCurrentTimestamp();
	Oid		   *kept_server = NULL;
	int		   *kept_count = NULL;
	int			nkept = 0;
	long		n = hash_get_num_entries(fed_conn_hash);

	if (n == 0)
		return;
	kept_server = palloc(sizeof(Oid) * n);
	kept_count = palloc0(sizeof(int) * n);
	hash_seq_init(&scan, fed_conn_hash);
	while ((c = (FedConn *) hash_seq_search(&scan)))
	{
		int			k;
		bool		close = false;

		/* a unit reserved for a connection that was never made */
		if (c->handle == NULL && c->budget_held && c->stream.owner == NULL)
		{
			fed_budget_give_back(c->serverid, false);
			c->budget_held = false;
			continue;
		}
		if (c->handle == NULL || c->stream.owner || c->rx.depth > 0 ||
			c->rx.state == FED_XACT_BROKEN ||
			c->step.phase != FED_PHASE_IDLE)
			continue;
		for (k = 0; k < nkept; k++)
			if (kept_server[k] == c->serverid)
				break;
		if (k == nkept)
		{
			kept_server[nkept] = c->serverid;
			kept_count[nkept++] = 0;
		}
		if (kept_count[k] >= fed_max_idle_connections)
			close = true;
		else if (fed_connection_lifetime > 0 &&
				 now >= TimestampTzPlusMilliseconds(c->connected_at,
													fed_connection_lifetime * 1000L))
			close = true;
		else if (fed_idle_timeout > 0 &&
				 now >= TimestampTzPlusMilliseconds(c->last_used,
													fed_idle_timeout * 1000L))
			close = true;
		else if (c->budget_held && !fed_budget_may_keep(c->serverid, c->budget))
			close = true;
		if (close)
		{
			fed_conn_close_handle(c);
			continue;
		}
		kept_count[k]++;
		if (c->budget_held && !c->idle_counted)
		{
			fed_budget_idle(c->serverid, true);
			c->idle_counted = true;
		}
	}
	pfree(kept_server);
	pfree(kept_count);
}

static void
fed_inval_callback(Datum arg, int cacheid, uint32 hashvalue)
{
	HASH_SEQ_STATUS scan;
	FedConn    *c;

	if (fed_conn_hash == NULL)
		return;
	hash_seq_init(&scan, fed_conn_hash);
	while ((c = (FedConn *) hash_seq_search(&scan)))
	{
		if (hashvalue == 0 ||
			(cacheid == FOREIGNSERVEROID && c->server_hashvalue == hashvalue) ||
			(cacheid == USERMAPPINGOID && c->mapping_hashvalue == hashvalue))
			c->invalidated = true;
	}
}

/*
 * Does another connection than c to c's server have a remote transaction
 * open (a read of this local transaction, whose locks it holds until the
 * transaction ends)?
 */
bool
fed_conn_others_in_xact(FedConn *c)
{
	HASH_SEQ_STATUS scan;
	FedConn    *o;
	bool		found = false;

	hash_seq_init(&scan, fed_conn_hash);
	while ((o = (FedConn *) hash_seq_search(&scan)))
	{
		if (o != c && o->serverid == c->serverid && o->handle &&
			o->rx.depth > 0)
			found = true;
	}
	return found;
}

/*
 * federate.connections(): one row per cached connection.
 */
Datum
fed_conn_list(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	HASH_SEQ_STATUS scan;
	FedConn    *c;

	InitMaterializedSRF(fcinfo, 0);
	if (fed_conn_hash == NULL)
		return (Datum) 0;

	hash_seq_init(&scan, fed_conn_hash);
	while ((c = (FedConn *) hash_seq_search(&scan)))
	{
		Datum		values[5];
		bool		nulls[5] = {false, false, false, false, false};
		ForeignServer *server;

		if (c->handle == NULL)
			continue;
		server = GetForeignServerExtended(c->serverid, FSV_MISSING_OK);
		values[0] = CStringGetTextDatum(server ? server->servername : c->servername);
		if (OidIsValid(c->userid))
			values[1] = CStringGetTextDatum(GetUserNameFromId(c->userid, true) ?
											GetUserNameFromId(c->userid, true) : "");
		else
			values[1] = CStringGetTextDatum("public");
		values[2] = CStringGetTextDatum(c->driver->name);
		values[3] = BoolGetDatum(c->rx.depth > 0);
		values[4] = BoolGetDatum(!c->invalidated && server != NULL);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/*
 * Close the cached connections of one server (or all).  A connection in
 * use is kept, with a warning: one in a remote transaction, or one a
 * reader holds (a read that runs without a remote transaction, such as the
 * statement calling this, still reads from it).  Returns true if anything
 * was closed.
 */
bool
fed_conn_disconnect(Oid serverid, bool all)
{
	HASH_SEQ_STATUS scan;
	FedConn    *c;
	bool		closed = false;

	if (fed_conn_hash == NULL)
		return false;
	hash_seq_init(&scan, fed_conn_hash);
	while ((c = (FedConn *) hash_seq_search(&scan)))
	{
		if (c->handle == NULL || (!all && c->serverid != serverid))
			continue;
		if (c->rx.depth > 0 || c->stream.owner != NULL)
		{
			ereport(WARNING,
					(errmsg("cannot close the connection to server \"%s\" because it is still in use",
							c->servername)));
			continue;
		}
		fed_conn_close_handle(c);
		closed = true;
	}
	return closed;
}

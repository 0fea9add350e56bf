/*-------------------------------------------------------------------------
 *
 * federate.c
 *		Module entry point: settings and callback registration.
 *
 * Nothing else lives here.  The library works whether it is preloaded
 * (shared_preload_libraries) or loaded at first use of the foreign data
 * wrapper; nothing in _PG_init depends on being preloaded.
 *
 * src/federate.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/guc.h"

#include "federate.h"
#include "plan/plan.h"

PG_MODULE_MAGIC;

int			fed_default_fetch_size = 1000;
int			fed_default_batch_size = 100;
int			fed_connect_timeout = 10;
bool		fed_log_remote_sql = false;

void		_PG_init(void);

void
_PG_init(void)
{
	DefineCustomIntVariable("federate.fetch_size",
							"Rows fetched per round trip when a foreign table is read.",
							"Used when neither the foreign table nor its server sets option \"fetch_size\".",
							&fed_default_fetch_size,
							1000, 1, 1000000,
							PGC_USERSET, 0,
							NULL, NULL, NULL);

	DefineCustomIntVariable("federate.batch_size",
							"Rows sent per remote INSERT statement.",
							"Used when neither the foreign table nor its server sets option \"batch_size\".",
							&fed_default_batch_size,
							100, 1, 10000,
							PGC_USERSET, 0,
							NULL, NULL, NULL);

	DefineCustomIntVariable("federate.connect_timeout",
							"Seconds to wait for a connection to a remote server.",
							"Used when the server does not set option \"connect_timeout\".  Zero waits without bound.",
							&fed_connect_timeout,
							10, 0, 3600,
							PGC_USERSET, GUC_UNIT_S,
							NULL, NULL, NULL);

	DefineCustomBoolVariable("federate.log_remote_sql",
							 "Reports every statement sent to a remote server as a NOTICE.",
							 NULL,
							 &fed_log_remote_sql,
							 false,
							 PGC_USERSET, 0,
							 NULL, NULL, NULL);

	DefineCustomBoolVariable("federate.enable_fanout",
							 "Reads federated tables through one parallel fan-out node.",
							 "When off, a partitioned table is read as an Append of per-partition foreign scans, with no aggregate, sort or limit pushdown.",
							 &fed_enable_fanout,
							 true,
							 PGC_USERSET, 0,
							 NULL, NULL, NULL);

	MarkGUCPrefixReserved("federate");

	fed_conn_init();
	fed_plan_init();
}

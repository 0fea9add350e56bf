/*-------------------------------------------------------------------------
 *
 * recovery.c
 *		The background worker that ends what two-phase commit leaves in
 *		doubt (federate in shared_preload_libraries only).
 *
 * Every federate.recovery_interval seconds the worker connects to
 * federate.recovery_database and, if the extension is installed there,
 * calls federate.recover_prepared_transactions() (remote/twophase.c) as
 * the bootstrap superuser, whose user mappings it uses: once after each
 * start (a coordinator that crashed may have left transactions prepared
 * without a commit record), then whenever federate.commit_records holds
 * a record (every two-phase commit leaves one until recovery finds its
 * servers done), so that a coordinator that never commits across servers
 * never connects to them from here.  A failure (a server down) is logged
 * and tried again at the next round.
 *
 * src/remote/recovery.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "tcop/tcopprot.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"

#include "remote/remote.h"

int			fed_recovery_interval = 60;
char	   *fed_recovery_database = NULL;

PGDLLEXPORT void federate_recovery_main(Datum arg);

/* Register the worker (from _PG_init, while preloading). */
void
fed_recovery_register(void)
{
	BackgroundWorker worker;

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS |
		BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = 60;
	snprintf(worker.bgw_library_name, BGW_MAXLEN, "federate");
	snprintf(worker.bgw_function_name, BGW_MAXLEN, "federate_recovery_main");
	snprintf(worker.bgw_name, BGW_MAXLEN, "federate recovery");
	snprintf(worker.bgw_type, BGW_MAXLEN, "federate recovery");
	RegisterBackgroundWorker(&worker);
}

/*
 * One round in a transaction of its own: whether there is anything to do
 * (first: the first round), and recovery then.  An error is logged, and
 * the next round tries again.
 */
static void
recovery_round(bool first)
{
	MemoryContext cxt = CurrentMemoryContext;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
	PG_TRY();
	{
		bool		run;
		int			ret;

		SPI_connect();
		ret = SPI_execute(first ?
						  "SELECT EXISTS (SELECT FROM pg_extension WHERE extname = 'federate')" :
						  "SELECT EXISTS (SELECT FROM pg_extension WHERE extname = 'federate') "
						  "AND EXISTS (SELECT FROM federate.commit_records)", true, 1);
		run = ret == SPI_OK_SELECT && SPI_processed == 1 &&
			strcmp(SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1), "t") == 0;
		if (run)
		{
			pgstat_report_activity(STATE_RUNNING, "federate.recover_prepared_transactions()");
			ret = SPI_execute("SELECT count(*) FROM federate.recover_prepared_transactions()",
							  false, 0);
			if (ret == SPI_OK_SELECT && SPI_processed == 1)
			{
				char	   *n = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);

				if (n && strcmp(n, "0") != 0)
					ereport(LOG,
							(errmsg("federate recovery ended %s prepared transactions", n)));
			}
		}
		SPI_finish();
		PopActiveSnapshot();
		CommitTransactionCommand();
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		FlushErrorState();
		AbortCurrentTransaction();
		ereport(LOG,
				(errmsg("federate recovery failed: %s", edata->message),
				 edata->detail ? errdetail_internal("%s", edata->detail) : 0));
		FreeErrorData(edata);
	}
	PG_END_TRY();
	/* nothing stays connected between rounds */
	(void) fed_conn_disconnect(InvalidOid, true);
	pgstat_report_activity(STATE_IDLE, NULL);
}

void
federate_recovery_main(Datum arg)
{
	bool		first = true;

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnection(fed_recovery_database ?
										 fed_recovery_database : "postgres",
										 NULL, 0);
	for (;;)
	{
		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}
		if (fed_recovery_interval > 0)
		{
			recovery_round(first);
			first = false;
		}
		(void) WaitLatch(MyLatch,
						 WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 (fed_recovery_interval > 0 ? fed_recovery_interval : 60) * 1000L,
						 PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
}

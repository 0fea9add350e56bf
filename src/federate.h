/*-------------------------------------------------------------------------
 *
 * federate.h
 *		The settings of the federate extension (federate.c) and the catalog
 *		layer every other layer reads.  The driver interface is not here:
 *		deparse/ and plan/ never see it; exec/, fdw/ and remote/ include
 *		remote/remote.h for it.
 *
 * src/federate.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef FEDERATE_H
#define FEDERATE_H

#include "catalog/options.h"

struct FdwRoutine;

/* in federate.c */
extern int	fed_default_fetch_size;
extern int	fed_default_batch_size;
extern int	fed_connect_timeout;
extern bool fed_log_remote_sql;
extern int	fed_statement_timeout;
extern bool fed_statement_timeout_trusted;
extern bool fed_connect_timeout_trusted;
extern int	fed_total_timeout;
extern int	fed_max_retries;
extern int	fed_retry_base_delay;
extern int	fed_retry_max_delay;
extern int	fed_on_shard_failure;
extern bool fed_require_shard_key;
extern int	fed_max_idle_connections;
extern int	fed_idle_timeout;
extern int	fed_connection_lifetime;

/* federate.on_shard_failure */
typedef enum FedFailureMode
{
	FED_ON_FAILURE_STRICT,
	FED_ON_FAILURE_PARTIAL
} FedFailureMode;

/* in fdw/fdw.c */
extern bool fed_is_federate_routine(const struct FdwRoutine *routine);

#endif							/* FEDERATE_H */

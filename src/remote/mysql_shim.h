/*-------------------------------------------------------------------------
 *
 * mysql_shim.h
 *		Include MariaDB Connector/C's <mysql.h> next to PostgreSQL headers.
 *
 * <mysql.h> pulls in <ma_list.h>, which declares list_length(),
 * list_delete() and list_free() with signatures that conflict with
 * PostgreSQL's nodes/pg_list.h.  We rename the library's declarations while
 * its headers are read and drop the renames afterwards, so that the names
 * keep their PostgreSQL meaning in the rest of the translation unit.  The
 * driver never calls the library's list functions.
 *
 * Include this after "postgres.h", and only from remote/driver_mysql.c: no
 * other file of federate may see the client library's declarations.
 *
 * src/remote/mysql_shim.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef FEDERATE_MYSQL_SHIM_H
#define FEDERATE_MYSQL_SHIM_H

#define list_length		fed_mariadb_list_length
#define list_delete		fed_mariadb_list_delete
#define list_free		fed_mariadb_list_free

#include <mysql.h>
#include <errmsg.h>

#undef list_length
#undef list_delete
#undef list_free

#endif							/* FEDERATE_MYSQL_SHIM_H */

#!/usr/bin/env bash
# A throwaway local federation that shows what federate does.
#
#   bash test/demo.sh          (what `make demo` runs) build and install federate,
#                              start the servers, load data, run showcase queries
#   bash test/demo.sh stop     stop every demo server and remove the demo dir
#   bash test/demo.sh status   show what is running and how to connect
#
# Layout, under $FED_DEMO_DIR (default /tmp/federate-demo), all on 127.0.0.1
# with free ports:
#   coord    PostgreSQL coordinator, shared_preload_libraries = 'federate'
#   shard1   PostgreSQL, database app: orders of tenants 1-10
#   shard2   PostgreSQL, database app: orders of tenants 11-20
#   mariadb  MariaDB, database catalog: orders of tenants 21-25, and products
# The coordinator's partitioned table orders (PARTITION BY LIST (tenant_id))
# has one federate foreign table per shard as its partitions.
#
# Run as root: the servers then run as $FED_OS_USER (default postgres).  Run
# as another user, the servers run as that user and federate must already be
# installed (or the install must be allowed).
#
# FED_SKIP_BUILD=1 uses the federate already installed.  Running it again
# first stops the previous demo.  If a step fails, every
# server is stopped (the logs stay in the demo dir).  On success the servers
# keep running until `bash test/demo.sh stop`.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
REPO=$(pwd)
FED_LOG_TAG=demo
# shellcheck source=test/lib.sh
. "$REPO/test/lib.sh"

DEMO=${FED_DEMO_DIR:-/tmp/federate-demo}
DEMO=${DEMO%/}
MARKER=$DEMO/.federate-demo
STOP_CMD="bash test/demo.sh stop"
[ "$DEMO" = /tmp/federate-demo ] || STOP_CMD="FED_DEMO_DIR=$DEMO $STOP_CMD"
PG_NODES=(coord shard1 shard2)
export LANG=C.UTF-8 LC_ALL=C.UTF-8 PAGER=
unset LANGUAGE PGHOST PGHOSTADDR PGPORT PGUSER PGDATABASE PGSERVICE PGPASSWORD PGOPTIONS PGDATA

# ----------------------------------------------------------- stopping ---

stop_servers() {
	local n
	for n in "${PG_NODES[@]}"; do
		if [ -f "$DEMO/$n/postmaster.pid" ]; then
			fed_log "stopping PostgreSQL $n"
			fed_as_user pg_ctl -D "$DEMO/$n" -m fast -w -t 60 stop >/dev/null 2>&1 || true
		fi
	done
	if [ -d "$DEMO/mariadb" ]; then
		fed_log "stopping MariaDB"
		fed_mariadb_stop "$DEMO/mariadb" "${FED_MARIADB_PID:-}"
	fi
	fed_kill_leftovers "$DEMO"
}

stop_demo() {
	if [ ! -e "$DEMO" ]; then
		fed_log "no demo in $DEMO"
		return 0
	fi
	if [ ! -f "$MARKER" ]; then
		fed_die "$DEMO exists but is not a federate demo dir (no $MARKER); not touching it"
	fi
	stop_servers
	rm -rf "$DEMO"
	fed_log "demo stopped, $DEMO removed"
}

print_status() {
	# shellcheck disable=SC1091
	[ -f "$DEMO/ports.env" ] || { echo "no demo running in $DEMO"; return 0; }
	. "$DEMO/ports.env"
	local n
	cat <<-EOF

	The demo federation is running under $DEMO:
	  coordinator  PostgreSQL  127.0.0.1:$COORD_PORT   (federate; table orders, schema legacy_catalog)
	  shard1       PostgreSQL  127.0.0.1:$SHARD1_PORT   database app, user app / app_secret
	  shard2       PostgreSQL  127.0.0.1:$SHARD2_PORT   database app, user app / app_secret
	  legacy       MariaDB     127.0.0.1:$MARIADB_PORT   database catalog, user fed / fed_secret

	Connect to the coordinator (trust authentication on 127.0.0.1, any OS user):
	  psql -h 127.0.0.1 -p $COORD_PORT -U postgres postgres
	Try for example:
	  SELECT region, count(*), sum(revenue) FROM orders GROUP BY region ORDER BY region;
	  EXPLAIN (VERBOSE, COSTS OFF) SELECT * FROM orders WHERE tenant_id = 22;
	  SELECT * FROM legacy_catalog.products;
	  SELECT * FROM federate.connections();
	The shards directly:
	  psql -h 127.0.0.1 -p $SHARD1_PORT -U app app        (password app_secret)
	  mariadb -h 127.0.0.1 -P $MARIADB_PORT -u fed -pfed_secret --default-character-set=utf8mb4 catalog
	Server logs: $DEMO/*.log, $DEMO/mariadb/mariadbd.err
	Stop everything and remove $DEMO (\`make demo\` again also replaces it):
	  $STOP_CMD
	EOF
	for n in "${PG_NODES[@]}"; do
		[ -f "$DEMO/$n/postmaster.pid" ] || echo "  (warning: $n does not seem to be running)"
	done
}

case "${1:-start}" in
stop)
	stop_demo
	exit 0 ;;
status)
	print_status
	exit 0 ;;
start) ;;
*)
	echo "usage: bash test/demo.sh [start|stop|status]" >&2
	exit 2 ;;
esac

# ----------------------------------------------------------- starting ---

SUCCESS=0
on_exit() {
	local rc=$?
	trap - EXIT INT TERM
	if [ "$SUCCESS" != 1 ] && [ -f "$MARKER" ]; then
		fed_log "the demo failed (status $rc); stopping its servers"
		stop_servers
		fed_log "logs kept in $DEMO (*.log, mariadb/mariadbd.err); '$STOP_CMD' removes them"
	fi
	exit "$rc"
}

# A previous demo goes first (this checks the dir is ours before touching it).
stop_demo

if [ "${FED_SKIP_BUILD:-0}" = 1 ]; then
	fed_log "FED_SKIP_BUILD=1: using the federate that is already installed"
elif [ "$(id -u)" -eq 0 ]; then
	fed_log "building and installing federate"
	make -s </dev/null
	make -s install </dev/null
else
	fed_log "building and installing federate"
	make -s </dev/null
	if ! make -s install </dev/null; then
		fed_log "could not install federate as $(id -un); using the installed copy, if any"
	fi
fi

trap on_exit EXIT
trap 'fed_log interrupted; exit 130' INT TERM
fed_mkdir_user "$DEMO"
touch "$MARKER"

fed_free_port COORD_PORT
fed_free_port SHARD1_PORT
fed_free_port SHARD2_PORT
fed_free_port MARIADB_PORT

# pg_node NAME PORT AUTH_HOST EXTRA_CONF : initdb and start one cluster.
pg_node() {
	local name=$1 port=$2 auth_host=$3 extra=$4 dir=$DEMO/$1
	fed_log "starting PostgreSQL $name on 127.0.0.1:$port"
	fed_as_user initdb -D "$dir" -U postgres -E UTF8 --locale=C.UTF-8 --no-sync \
		--auth-local=trust --auth-host="$auth_host" >"$DEMO/$name.initdb.log" 2>&1 \
		|| { cat "$DEMO/$name.initdb.log" >&2; fed_die "initdb failed for $name"; }
	cat >>"$dir/postgresql.conf" <<-EOF

		# federate demo
		port = $port
		listen_addresses = '127.0.0.1'
		unix_socket_directories = '$DEMO'
		max_connections = 50
		max_prepared_transactions = 20
		shared_buffers = 32MB
		fsync = off
		synchronous_commit = off
		timezone = 'UTC'
		log_timezone = 'UTC'
		log_line_prefix = '%m [%p] %q%u@%d '
		$extra
	EOF
	fed_as_user pg_ctl -D "$dir" -l "$DEMO/$name.log" -w -t 60 start >/dev/null \
		|| { tail -n 30 "$DEMO/$name.log" >&2; fed_die "PostgreSQL $name did not start"; }
}

# psql_on PORT DB [USER] < SQL : run SQL on a demo cluster, stop at the first error.
psql_on() {
	"${FED_AS_USER[@]}" psql -X -q -h "$DEMO" -p "$1" -d "$2" -U "${3:-postgres}" \
		-v ON_ERROR_STOP=1 -b -P pager=off
}

pg_node coord "$COORD_PORT" trust "shared_preload_libraries = 'federate'"
pg_node shard1 "$SHARD1_PORT" scram-sha-256 ""
pg_node shard2 "$SHARD2_PORT" scram-sha-256 ""
fed_log "starting MariaDB on 127.0.0.1:$MARIADB_PORT"
fed_mariadb_start "$DEMO/mariadb" "$MARIADB_PORT"

cat >"$DEMO/ports.env" <<EOF
COORD_PORT=$COORD_PORT
SHARD1_PORT=$SHARD1_PORT
SHARD2_PORT=$SHARD2_PORT
MARIADB_PORT=$MARIADB_PORT
EOF

# ------------------------------------------------------------- data ---

# load_pg_shard PORT FIRST_TENANT ORDER_ID_BASE ROWS
load_pg_shard() {
	local port=$1 t0=$2 base=$3 rows=$4
	psql_on "$port" postgres <<-EOF
		CREATE ROLE app LOGIN PASSWORD 'app_secret';
		CREATE DATABASE app OWNER app;
	EOF
	psql_on "$port" app app <<-EOF
		CREATE TABLE orders (
			order_id   bigint PRIMARY KEY,
			tenant_id  int NOT NULL,
			region     text NOT NULL,
			revenue    numeric(12,2) NOT NULL,
			created_at timestamptz NOT NULL,
			product_id int NOT NULL
		);
		INSERT INTO orders
		SELECT $base + g,
		       $t0 + g % 10,
		       (ARRAY['amer', 'apac', 'emea'])[1 + g % 3],
		       round((g * 7919 % 100000) / 100.0, 2),
		       timestamptz '2024-01-01 00:00:00+00' + g * interval '37 minutes',
		       1 + g % 7
		FROM generate_series(1, $rows) AS g;
		ANALYZE orders;
	EOF
}
fed_log "loading shard1 (tenants 1-10) and shard2 (tenants 11-20)"
load_pg_shard "$SHARD1_PORT" 1 100000 3000
load_pg_shard "$SHARD2_PORT" 11 200000 4000

fed_log "loading MariaDB (catalog.orders: tenants 21-25, catalog.products)"
fed_mariadb_sql "$DEMO/mariadb" >/dev/null <<-'EOF'
	CREATE DATABASE catalog CHARACTER SET utf8mb4;
	USE catalog;
	CREATE TABLE orders (
		order_id   BIGINT PRIMARY KEY,
		tenant_id  INT NOT NULL,
		region     VARCHAR(16) NOT NULL,
		revenue    DECIMAL(12,2) NOT NULL,
		created_at DATETIME NOT NULL,
		product_id INT NOT NULL
	);
	SET SESSION max_recursive_iterations = 100000;
	INSERT INTO orders
	WITH RECURSIVE seq(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM seq WHERE g < 2000)
	SELECT 300000 + g,
	       21 + g % 5,
	       ELT(1 + g % 3, 'amer', 'apac', 'emea'),
	       ROUND((g * 7919 % 100000) / 100, 2),
	       TIMESTAMP '2024-01-01 00:00:00' + INTERVAL (g * 37) MINUTE,
	       1 + g % 7
	FROM seq;
	CREATE TABLE products (
		product_id INT PRIMARY KEY,
		name       VARCHAR(100) NOT NULL,
		category   VARCHAR(20) NOT NULL,
		price      DECIMAL(10,2)
	);
	INSERT INTO products VALUES
		(1, 'Widget', 'tools', 9.99),
		(2, 'O''Reilly''s "Deluxe" Gadget', 'books', 24.50),
		(3, 'Café Crème', 'food', 3.20),
		(4, 'Smörgåsbord ☃ 🎉', 'food', 12.00),
		(5, '東京 desk lamp', 'home', 79.00),
		(6, 'Back\\slash & 100% pure', 'books', 1.00),
		(7, 'Mystery box', 'Books ', NULL);
	ANALYZE TABLE orders, products;
EOF

# --------------------------------------------------------- federation ---

fed_log "setting up the federation on the coordinator"
psql_on "$COORD_PORT" postgres <<-EOF
	CREATE EXTENSION federate;
	CREATE SERVER shard1 FOREIGN DATA WRAPPER federate
	    OPTIONS (driver 'postgres', host '127.0.0.1', port '$SHARD1_PORT', dbname 'app');
	CREATE SERVER shard2 FOREIGN DATA WRAPPER federate
	    OPTIONS (driver 'postgres', host '127.0.0.1', port '$SHARD2_PORT', dbname 'app');
	CREATE SERVER legacy FOREIGN DATA WRAPPER federate
	    OPTIONS (driver 'mysql', host '127.0.0.1', port '$MARIADB_PORT', dbname 'catalog');
	CREATE USER MAPPING FOR CURRENT_USER SERVER shard1 OPTIONS (user 'app', password 'app_secret');
	CREATE USER MAPPING FOR CURRENT_USER SERVER shard2 OPTIONS (user 'app', password 'app_secret');
	CREATE USER MAPPING FOR CURRENT_USER SERVER legacy OPTIONS (user 'fed', password 'fed_secret');

	CREATE SCHEMA legacy_catalog;
	IMPORT FOREIGN SCHEMA catalog LIMIT TO (products) FROM SERVER legacy INTO legacy_catalog;

	CREATE TABLE orders (
	    order_id   bigint,
	    tenant_id  int,
	    region     text,
	    revenue    numeric(12,2),
	    created_at timestamptz,
	    product_id int
	) PARTITION BY LIST (tenant_id);
	CREATE FOREIGN TABLE orders_shard1 PARTITION OF orders
	    FOR VALUES IN (1, 2, 3, 4, 5, 6, 7, 8, 9, 10)
	    SERVER shard1 OPTIONS (table_name 'orders');
	CREATE FOREIGN TABLE orders_shard2 PARTITION OF orders
	    FOR VALUES IN (11, 12, 13, 14, 15, 16, 17, 18, 19, 20)
	    SERVER shard2 OPTIONS (table_name 'orders');
	CREATE FOREIGN TABLE orders_legacy PARTITION OF orders
	    FOR VALUES IN (21, 22, 23, 24, 25)
	    SERVER legacy OPTIONS (table_name 'orders');
EOF

# ---------------------------------------------------------- showcase ---

echo
echo "======================================================================"
echo " federate demo: coordinator 127.0.0.1:$COORD_PORT, shards on"
echo " PostgreSQL :$SHARD1_PORT, PostgreSQL :$SHARD2_PORT and MariaDB :$MARIADB_PORT"
echo "======================================================================"
psql_on "$COORD_PORT" postgres <<-'EOF'
	\set ECHO queries
	\pset null '(null)'
	\echo
	\echo '--- 1. IMPORT FOREIGN SCHEMA catalog LIMIT TO (products) FROM SERVER legacy INTO legacy_catalog'
	\echo '\\d legacy_catalog.products'
	\d legacy_catalog.products
	SELECT * FROM legacy_catalog.products ORDER BY product_id;

	\echo
	\echo '--- 2. orders is partitioned by tenant over three shards on two engines'
	SELECT c.relname AS partition, s.srvname AS server,
	       array_to_string(s.srvoptions, ', ') AS server_options,
	       pg_get_expr(c.relpartbound, c.oid) AS tenants
	FROM pg_inherits i
	JOIN pg_class c ON c.oid = i.inhrelid
	JOIN pg_foreign_table ft ON ft.ftrelid = c.oid
	JOIN pg_foreign_server s ON s.oid = ft.ftserver
	WHERE i.inhparent = 'orders'::regclass
	ORDER BY c.relname;

	\echo
	\echo '--- 3. One query across PostgreSQL and MariaDB'
	SELECT region, count(*) AS orders, sum(revenue) AS revenue
	FROM orders GROUP BY region ORDER BY region;
	SELECT tableoid::regclass AS partition, count(*) AS orders,
	       min(created_at) AS first_order, max(created_at) AS last_order
	FROM orders GROUP BY 1 ORDER BY 1;

	\echo
	\echo '--- 4. A filtered query: big orders of tenant 3 (shard1) and tenant 22 (MariaDB)'
	SELECT order_id, tenant_id, region, revenue, created_at
	FROM orders
	WHERE tenant_id IN (3, 22) AND revenue > 980
	ORDER BY revenue DESC, order_id
	LIMIT 10;

	\echo
	\echo '--- 5. What each shard is asked (Remote SQL)'
	EXPLAIN (VERBOSE, COSTS OFF)
	SELECT region, count(*), sum(revenue)
	FROM orders WHERE created_at >= '2024-02-01' GROUP BY region ORDER BY region;
	EXPLAIN (VERBOSE, COSTS OFF)
	SELECT order_id, revenue FROM orders WHERE tenant_id IN (3, 22) AND revenue > 980;

	\echo
	\echo '--- 6. The headline join: orders on the PostgreSQL shards (and MariaDB),'
	\echo '---    the product catalog on MariaDB: revenue of the books'
	\echo '---    (the ids of the books go to every shard, which sums per product;'
	\echo '---    MariaDB compares text as bytes here, so its Books-with-a-space is no book)'
	SELECT p.category, count(*) AS orders, sum(o.revenue) AS revenue
	FROM orders o JOIN legacy_catalog.products p USING (product_id)
	WHERE p.category = 'books'
	GROUP BY 1;
	EXPLAIN (VERBOSE, COSTS OFF)
	SELECT p.category, count(*) AS orders, sum(o.revenue) AS revenue
	FROM orders o JOIN legacy_catalog.products p USING (product_id)
	WHERE p.category = 'books'
	GROUP BY 1;

	\echo
	\echo '--- 7. Connections the coordinator keeps open, and the budget all sessions share'
	SELECT * FROM federate.connections();
	SELECT * FROM federate.server_connections ORDER BY server_name;
EOF

# A shard fails: shard2 stops.
fed_log "stopping shard2 to show a shard failure"
fed_as_user pg_ctl -D "$DEMO/shard2" -m fast -w -t 60 stop >/dev/null
psql_on "$COORD_PORT" postgres <<-'EOF'
	\set ECHO queries
	\echo
	\echo '--- 8. shard2 is down.  Strict (the default): the query fails, naming the shard'
	\set ON_ERROR_STOP off
	SELECT region, count(*) FROM orders GROUP BY region ORDER BY region;
	\set ON_ERROR_STOP on
	\echo
	\echo '--- Partial: the other shards answer, and a NOTICE says what is missing'
	SET federate.on_shard_failure = partial;
	SELECT region, count(*) FROM orders GROUP BY region ORDER BY region;
	SELECT * FROM federate.last_coverage();
	\echo '--- A query that does not need shard2 is complete'
	SELECT count(*) FROM orders WHERE tenant_id = 22;
	\echo '--- After 5 failures in a row the circuit opens: shard2 is skipped at once'
	SELECT server_name, state, consecutive_failures FROM federate.circuit_breakers ORDER BY 1;
	SELECT server_name, statements, errors, retries, circuit_state FROM federate.server_stats ORDER BY 1;
	SELECT relation, strategy, shards_contacted, shards_answered, coverage, status
	FROM federate.dispatch_log ORDER BY dispatched_at DESC LIMIT 4;
EOF
fed_log "starting shard2 again"
fed_as_user pg_ctl -D "$DEMO/shard2" -l "$DEMO/shard2.log" -w -t 60 start >/dev/null
psql_on "$COORD_PORT" postgres <<-'EOF'
	\set ECHO queries
	\echo
	\echo '--- 9. shard2 is back; its circuit closes at the next probe (or now, by hand)'
	SELECT federate.reset_circuit('shard2');
	SELECT region, count(*) FROM orders GROUP BY region ORDER BY region;
	SELECT * FROM federate.last_coverage();

	\echo
	\echo '--- 10. Operating it: statistics sampled on the servers, latency per server,'
	\echo '---     each shard against its siblings, and a partition moved to another server'
	SELECT relation, reltuples FROM federate.analyze() ORDER BY 1;
	EXPLAIN SELECT * FROM orders WHERE tenant_id = 3;
	SELECT server_name, statements, p50_ms, p95_ms, p99_ms FROM federate.server_latency ORDER BY 1;
	SELECT relation, shard, server_name, executions, round(time_ratio::numeric, 2) AS time_ratio,
	       round(rows_ratio::numeric, 2) AS rows_ratio
	FROM federate.shard_skew ORDER BY time_ratio DESC NULLS LAST;
	ALTER FOREIGN TABLE orders_shard2 ALTER COLUMN order_id OPTIONS (ADD key 'true');
	CALL federate.move_partition('orders_shard2', 'shard1', table_name => 'orders_from_shard2');
	SELECT region, count(*) FROM orders GROUP BY region ORDER BY region;
	EXPLAIN (VERBOSE, COSTS OFF) SELECT count(*) FROM orders WHERE tenant_id = 12;
EOF

SUCCESS=1
print_status

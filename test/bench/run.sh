#!/usr/bin/env bash
# The federate benchmark: builds a local federation on 127.0.0.1, loads a
# sharded orders table, and times test/bench/queries.sql through federate,
# through postgres_fdw (+ mysql_fdw), on one local table, and with the
# "floor" client (test/bench/floor.c) that sends federate's per-shard
# statements itself.  See test/bench/README.md.
#
#   bash test/bench/run.sh         run the benchmark (scenarios A and B)
#   bash test/bench/run.sh stop    stop the servers of a kept run, remove BENCH_DIR
#
# Knobs (environment):
#   BENCH_ROWS_PER_SHARD  minimum rows per shard (default 1000000; 20000 for a smoke run)
#   BENCH_RUNS            timed runs per query and system (default 7), after one warm-up
#   BENCH_SCENARIOS       "A B" (default): A = 4 PostgreSQL shards,
#                         B = 3 PostgreSQL shards + 1 MariaDB shard
#   BENCH_DIR             where the servers live (default /tmp/federate-bench)
#   BENCH_KEEP=1          leave the servers running and the data in place; the
#                         next run with the same BENCH_ROWS_PER_SHARD reuses them
#   BENCH_PORT            first of 6 consecutive TCP ports (default 56400)
#   BENCH_STATEMENT_TIMEOUT  statement_timeout of the coordinator sessions (default 600s)
#   BENCH_REVENUE_INDEX=1 index orders.revenue everywhere (default: no such index)
#   BENCH_SHARD_PARALLEL  max_parallel_workers_per_gather of the PostgreSQL shards
#                         (default 0: the fan-out is compared, not per-shard parallel
#                         workers competing for the cores; 2 for Q17)
#
# Run as root, the servers run as $FED_OS_USER (default postgres), as
# test/run_tests.sh and test/demo.sh do.  The federate extension must be
# installed (make install); this script never installs it.  In scenario B it
# installs the Debian package postgresql-15-mysql-fdw when it is missing
# (as root).  The exit status is non-zero when any system's answer differs
# from the local table's, or a system failed.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
REPO=$(pwd)
HERE=$REPO/test/bench
FED_LOG_TAG=bench
# shellcheck source=test/lib.sh
. "$REPO/test/lib.sh"

export LANG=C.UTF-8 LC_ALL=C.UTF-8 PAGER=
unset LANGUAGE PGHOST PGHOSTADDR PGPORT PGUSER PGDATABASE PGSERVICE PGSERVICEFILE \
	PGPASSWORD PGPASSFILE PGOPTIONS PGDATA PGSSLMODE PGTZ PGDATESTYLE PGCLIENTENCODING

ROWS=${BENCH_ROWS_PER_SHARD:-1000000}
RUNS=${BENCH_RUNS:-7}
SCENARIOS=${BENCH_SCENARIOS:-A B}
DIR=${BENCH_DIR:-/tmp/federate-bench}
DIR=${DIR%/}
KEEP=${BENCH_KEEP:-0}
PORT_BASE=${BENCH_PORT:-56400}
STMT_TIMEOUT=${BENCH_STATEMENT_TIMEOUT:-600s}
MARKER=$DIR/.federate-bench

case "$ROWS" in ''|*[!0-9]*) fed_die "BENCH_ROWS_PER_SHARD must be a number" ;; esac
case "$RUNS" in ''|*[!0-9]*) fed_die "BENCH_RUNS must be a number" ;; esac
case "$PORT_BASE" in ''|*[!0-9]*) fed_die "BENCH_PORT must be a number" ;; esac
[ "$ROWS" -ge 100 ] || fed_die "BENCH_ROWS_PER_SHARD must be at least 100"
[ "$RUNS" -ge 1 ] || fed_die "BENCH_RUNS must be at least 1"
NEED_A=0 NEED_B=0
for s in $SCENARIOS; do
	case "$s" in
	A) NEED_A=1 ;;
	B) NEED_B=1 ;;
	*) fed_die "BENCH_SCENARIOS: unknown scenario '$s' (A or B)" ;;
	esac
done
[ $((NEED_A + NEED_B)) -gt 0 ] || fed_die "BENCH_SCENARIOS is empty"

COORD_PORT=$PORT_BASE
SHARD_PORTS=($((PORT_BASE + 1)) $((PORT_BASE + 2)) $((PORT_BASE + 3)) $((PORT_BASE + 4)))
MARIADB_PORT=$((PORT_BASE + 5))
MDIR=$DIR/mariadb
PG_NODES=(coord shard0 shard1 shard2 shard3)
MYSQL_DB=bench
FED_MYSQL_USER=fed FED_MYSQL_PASSWORD=fed_secret
# A MariaDB sized like the PostgreSQL shards (lib.sh's defaults are for tests).
FED_MARIADB_OPTS+=(
	--innodb-buffer-pool-size=256M
	--innodb-log-file-size=256M
	--local-infile=1
	--tmp-table-size=64M
	--max-heap-table-size=64M
)
PSQL=$FED_PG_BINDIR/psql

# psql_on PORT DB [PSQL ARGS] : psql over the Unix socket in $DIR as
# postgres (unless -U says otherwise), stop at the first error.
psql_on() {
	local port=$1 db=$2
	shift 2
	PGOPTIONS='-c client_min_messages=warning' \
		"$PSQL" -X -q -h "$DIR" -p "$port" -d "$db" -U postgres -v ON_ERROR_STOP=1 -b -P pager=off "$@"
}
node_port() {
	case "$1" in
	coord) echo "$COORD_PORT" ;;
	shard*) echo "${SHARD_PORTS[${1#shard}]}" ;;
	esac
}
pg_running() {
	[ -f "$DIR/$1/postmaster.pid" ] && fed_as_user pg_ctl -D "$DIR/$1" status >/dev/null 2>&1
}

# ----------------------------------------------------------- stopping ---

stop_servers() {
	local n
	for n in "${PG_NODES[@]}"; do
		if [ -f "$DIR/$n/postmaster.pid" ]; then
			fed_log "stopping PostgreSQL $n"
			fed_as_user pg_ctl -D "$DIR/$n" -m fast -w -t 60 stop >/dev/null 2>&1 || true
		fi
	done
	if [ -d "$MDIR" ]; then
		fed_log "stopping MariaDB"
		fed_mariadb_stop "$MDIR" "${FED_MARIADB_PID:-}"
	fi
	fed_kill_leftovers "$DIR"
}

remove_dir() {
	[ -e "$DIR" ] || return 0
	[ -f "$MARKER" ] || fed_die "$DIR exists but is not a federate bench dir (no $MARKER); not touching it"
	stop_servers
	rm -rf "$DIR"
}

if [ "${1:-}" = stop ]; then
	remove_dir
	fed_log "stopped; $DIR removed"
	exit 0
elif [ -n "${1:-}" ]; then
	echo "usage: bash test/bench/run.sh [stop]" >&2
	exit 2
fi

# ------------------------------------------------------- prerequisites ---

PKGLIBDIR=$("$FED_PG_BINDIR/pg_config" --pkglibdir)
SHAREDIR=$("$FED_PG_BINDIR/pg_config" --sharedir)
[ -f "$PKGLIBDIR/federate.so" ] && [ -f "$SHAREDIR/extension/federate.control" ] \
	|| fed_die "federate is not installed ($PKGLIBDIR/federate.so); run make install first"
[ -f "$SHAREDIR/extension/postgres_fdw.control" ] || fed_die "postgres_fdw is missing (package postgresql-15)"
command -v gcc >/dev/null || fed_die "gcc is missing"
# MariaDB in both scenarios: Q9's products live there (and B's fourth shard).
# Bench-only dependency, not part of test/install_deps.sh.
if [ ! -f "$SHAREDIR/extension/mysql_fdw.control" ]; then
	[ "$(id -u)" -eq 0 ] || fed_die "mysql_fdw is missing: apt-get install postgresql-15-mysql-fdw (as root)"
	fed_log "installing postgresql-15-mysql-fdw (Q9 and scenario B compare against mysql_fdw)"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
		postgresql-15-mysql-fdw >/dev/null || {
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
			--no-install-recommends postgresql-15-mysql-fdw >/dev/null; } \
		|| fed_die "could not install postgresql-15-mysql-fdw"
fi
command -v mariadb_config >/dev/null || fed_die "mariadb_config is missing (libmariadb-dev)"
fed_mariadb_find_bins

# ---------------------------------------------------------- the dir ---

SUCCESS=0
on_exit() {
	local rc=$?
	trap - EXIT INT TERM
	if [ -f "$MARKER" ]; then
		if [ "$KEEP" = 1 ]; then
			fed_log "BENCH_KEEP=1: servers left running in $DIR ('bash test/bench/run.sh stop' stops them)"
		elif [ "$SUCCESS" = 1 ]; then
			stop_servers
			rm -rf "$DIR"
		else
			stop_servers
			fed_log "servers stopped; logs and data kept in $DIR ('bash test/bench/run.sh stop' removes them)"
		fi
	fi
	exit "$rc"
}

if [ -e "$DIR" ] && [ ! -f "$MARKER" ]; then
	fed_die "$DIR exists but is not a federate bench dir (no $MARKER); not touching it"
fi
# The data set and the servers' ports are fixed at creation: reuse only a match.
DATASET="rows=$ROWS port=$PORT_BASE"
if [ -f "$MARKER" ] && [ "$(cat "$DIR/dataset" 2>/dev/null)" != "$DATASET" ]; then
	fed_log "$DIR holds another data set; starting over"
	remove_dir
fi
trap on_exit EXIT
trap 'fed_log interrupted; exit 130' INT TERM
fed_mkdir_user "$DIR"
chmod 755 "$DIR"
touch "$MARKER"
echo "$DATASET" >"$DIR/dataset"
mkdir -p "$DIR/bin" "$DIR/work"

# -------------------------------------------------------------- floor ---

fed_log "building the floor client"
FLOOR=$DIR/bin/floor
FLOOR_FLAGS=(-I"$("$FED_PG_BINDIR/pg_config" --includedir)" -L"$("$FED_PG_BINDIR/pg_config" --libdir)" -lpq)
if command -v mariadb_config >/dev/null; then
	# shellcheck disable=SC2207
	FLOOR_FLAGS+=($(mariadb_config --cflags --libs))
else
	FLOOR_FLAGS+=(-DNO_MYSQL)
fi
gcc -O2 -Wall -o "$FLOOR" "$HERE/floor.c" "${FLOOR_FLAGS[@]}" || fed_die "could not build floor.c"

# ------------------------------------------------------------ servers ---

port_free() {
	perl -MIO::Socket::INET -e '
		my $s = IO::Socket::INET->new(LocalAddr => "127.0.0.1", LocalPort => $ARGV[0],
		                              Proto => "tcp", Listen => 1, ReuseAddr => 1);
		exit($s ? 0 : 1);' "$1" 2>/dev/null
}

# start_pg NAME EXTRA_CONF : initdb (once) and start one cluster, tuned for
# the benchmark on a 2-core machine.
start_pg() {
	local name=$1 extra=$2 dir=$DIR/$1 port auth=scram-sha-256 sb=256MB
	port=$(node_port "$name")
	if [ "$name" = coord ]; then auth=trust sb=1GB; fi
	if pg_running "$name"; then
		if [ "$name" = coord ]; then
			# federate.so may have been reinstalled since: load it afresh
			fed_log "restarting the coordinator (loads the installed federate.so)"
			fed_as_user pg_ctl -D "$dir" -l "$DIR/$name.log" -m fast -w -t 120 restart >/dev/null \
				|| { tail -n 30 "$DIR/$name.log" >&2; fed_die "the coordinator did not restart"; }
		fi
		return 0
	fi
	port_free "$port" || fed_die "port $port is in use (set BENCH_PORT to another base port)"
	if [ ! -f "$dir/PG_VERSION" ]; then
		rm -rf "$dir"
		fed_as_user initdb -D "$dir" -U postgres -E UTF8 --locale=C.UTF-8 --no-sync \
			--auth-local=trust --auth-host="$auth" >"$DIR/$name.initdb.log" 2>&1 \
			|| { cat "$DIR/$name.initdb.log" >&2; fed_die "initdb failed for $name"; }
		cat >>"$dir/postgresql.conf" <<-EOF

			# federate benchmark
			port = $port
			listen_addresses = '127.0.0.1'
			unix_socket_directories = '$DIR'
			max_connections = 50
			max_prepared_transactions = 50
			shared_buffers = $sb
			work_mem = 64MB
			maintenance_work_mem = 256MB
			max_parallel_workers_per_gather = 0
			max_parallel_maintenance_workers = 0
			jit = off
			autovacuum = off
			fsync = off
			synchronous_commit = off
			full_page_writes = off
			max_wal_size = 4GB
			checkpoint_timeout = 30min
			timezone = 'UTC'
			log_timezone = 'UTC'
			lc_messages = 'C'
			log_line_prefix = '%m [%p] %q%u@%d '
			$extra
		EOF
	fi
	fed_log "starting PostgreSQL $name on 127.0.0.1:$port"
	fed_as_user pg_ctl -D "$dir" -l "$DIR/$name.log" -w -t 120 start >/dev/null \
		|| { tail -n 30 "$DIR/$name.log" >&2; fed_die "PostgreSQL $name did not start"; }
}

PG_SHARDS=(shard0 shard1 shard2)
[ "$NEED_A" = 1 ] && PG_SHARDS+=(shard3)
start_pg coord "shared_preload_libraries = 'federate'"
for n in "${PG_SHARDS[@]}"; do start_pg "$n" ""; done
if [ -S "$MDIR/sock" ] && "$MARIADB_ADMIN" --no-defaults --socket="$MDIR/sock" -uroot \
	--connect-timeout=2 status >/dev/null 2>&1; then
	FED_MARIADB_PID=$(tr -dc 0-9 <"$MDIR/mariadbd.pid" 2>/dev/null || true)
else
	port_free "$MARIADB_PORT" || fed_die "port $MARIADB_PORT is in use (set BENCH_PORT to another base port)"
	fed_log "starting MariaDB on 127.0.0.1:$MARIADB_PORT"
	fed_mariadb_start "$MDIR" "$MARIADB_PORT"
fi

# --------------------------------------------------------------- data ---

T0=$SECONDS
if [ ! -f "$DIR/done.local" ]; then
	fed_log "generating the data set on the coordinator (bench_local.orders, >= $ROWS rows per shard)"
	psql_on "$COORD_PORT" postgres -c "DROP DATABASE IF EXISTS bench" -c "CREATE DATABASE bench"
	psql_on "$COORD_PORT" bench <<-EOF
		-- Only its partition key matters: satisfies_hash_partition() on it
		-- tells which of 4 hash partitions a tenant_id falls in, exactly as
		-- for the partitioned tables built below.
		CREATE TABLE bench_hashkey (tenant_id int) PARTITION BY HASH (tenant_id);

		-- 1000 tenants with zipf sizes (rank r has weight 1/r).  Tenants are
		-- given ids so that the 4 hash partitions weigh the same (largest
		-- first, each into the lightest partition), and the row counts are
		-- scaled so that every partition gets at least $ROWS rows.
		CREATE TABLE bench_tenants (tenant_id int PRIMARY KEY, rank int UNIQUE,
		                            part int, nrows bigint, first_seq bigint);
		DO \$\$
		DECLARE
		    w float8[] := '{0,0,0,0}';
		    r int; p int; best int; tid int; c float8;
		BEGIN
		    CREATE TEMP TABLE pool AS
		    SELECT g AS tenant_id,
		           (SELECT q FROM generate_series(0, 3) q
		             WHERE satisfies_hash_partition('bench_hashkey'::regclass, 4, q, g)) AS part,
		           false AS used
		    FROM generate_series(1, 4000) g;
		    FOR r IN 1..1000 LOOP
		        best := 0;
		        FOR p IN 1..3 LOOP
		            IF w[p + 1] < w[best + 1] THEN best := p; END IF;
		        END LOOP;
		        SELECT tenant_id INTO tid FROM pool WHERE part = best AND NOT used
		         ORDER BY tenant_id LIMIT 1;
		        UPDATE pool SET used = true WHERE tenant_id = tid;
		        w[best + 1] := w[best + 1] + 1.0 / r;
		        INSERT INTO bench_tenants (tenant_id, rank, part) VALUES (tid, r, best);
		    END LOOP;
		    c := $ROWS / (SELECT min(x) FROM unnest(w) x);
		    UPDATE bench_tenants SET nrows = ceil(c / rank);
		    UPDATE bench_tenants t SET first_seq = s.f
		      FROM (SELECT tenant_id, sum(nrows) OVER (ORDER BY rank) - nrows AS f
		              FROM bench_tenants) s
		     WHERE s.tenant_id = t.tenant_id;
		END
		\$\$;

		CREATE SCHEMA bench_local;
		CREATE TABLE bench_local.orders (
		    order_id   bigint NOT NULL,
		    tenant_id  int NOT NULL,
		    region     text NOT NULL,
		    product_id int NOT NULL,
		    revenue    numeric(12,2) NOT NULL,
		    qty        int NOT NULL,
		    status     text NOT NULL,
		    created_at timestamptz NOT NULL
		);
		-- Every value is a hash of the row's sequence number (reproducible);
		-- order ids follow created_at, and the table is stored in that order,
		-- as an order table that grew over the years would be.
		SET work_mem = '512MB';
		INSERT INTO bench_local.orders
		SELECT row_number() OVER (ORDER BY created_at, seq), tenant_id, region, product_id,
		       revenue, qty, status, created_at
		FROM (
		    SELECT s AS seq, t.tenant_id,
		           (ARRAY['us-east', 'us-west', 'eu-west', 'eu-central', 'ap-south',
		                  'ap-northeast', 'sa-east', 'af-south'])[1 + (h.h1 % 8)::int] AS region,
		           1 + (h.h2 % 50000)::int AS product_id,
		           ((1 + h.h3 % 999999) / 100.0)::numeric(12,2) AS revenue,
		           1 + (h.h4 % 10)::int AS qty,
		           CASE WHEN h.h5 % 100 < 55 THEN 'shipped'
		                WHEN h.h5 % 100 < 80 THEN 'delivered'
		                WHEN h.h5 % 100 < 90 THEN 'pending'
		                WHEN h.h5 % 100 < 96 THEN 'cancelled'
		                ELSE 'returned' END AS status,
		           timestamptz '2023-01-01 00:00:00+00'
		             + (h.h6 % span.us) * interval '1 microsecond' AS created_at
		    FROM bench_tenants t,
		         -- from 2023 to the day the data is made: "the last 90 days" has rows
		         (SELECT (extract(epoch FROM date_trunc('day', now(), 'UTC')
		                  - timestamptz '2023-01-01 00:00:00+00') * 1000000)::bigint AS us) span,
		         generate_series(t.first_seq + 1, t.first_seq + t.nrows) s,
		         LATERAL (SELECT hashint8extended(s, 1) & 9223372036854775807 AS h1,
		                         hashint8extended(s, 2) & 9223372036854775807 AS h2,
		                         hashint8extended(s, 3) & 9223372036854775807 AS h3,
		                         hashint8extended(s, 4) & 9223372036854775807 AS h4,
		                         hashint8extended(s, 5) & 9223372036854775807 AS h5,
		                         hashint8extended(s, 6) & 9223372036854775807 AS h6) h
		) g
		ORDER BY created_at, seq;
		ALTER TABLE bench_local.orders ADD PRIMARY KEY (order_id);
		CREATE INDEX ON bench_local.orders (tenant_id, created_at);
		VACUUM (FREEZE, ANALYZE) bench_local.orders;
		ANALYZE bench_tenants;
	EOF
	touch "$DIR/done.local"
fi
# Q8's product catalog, on the coordinator: 50000 products in 20
# categories (about 2500 each), as the background document's legacy catalog.
psql_on "$COORD_PORT" bench -q <<-EOF >/dev/null
	CREATE TABLE IF NOT EXISTS products (product_id int PRIMARY KEY, category text NOT NULL, name text NOT NULL);
	INSERT INTO products
	SELECT g, (ARRAY['books', 'music', 'garden', 'toys', 'tools', 'food', 'shoes', 'sports', 'office', 'baby',
	                 'beauty', 'games', 'health', 'home', 'jewelry', 'kitchen', 'movies', 'pets', 'software', 'travel'])
	          [1 + (hashint4(g) & 2147483647) % 20],
	       'product ' || g
	FROM generate_series(1, 50000) g
	WHERE NOT EXISTS (SELECT FROM products);
	ANALYZE products;
EOF
# Q4's tenant: rank 100 of 1000 by size, and the partition it hashes to.
read -r TENANT TENANT_PART < <(psql_on "$COORD_PORT" bench -At -F ' ' \
	-c "SELECT tenant_id, part FROM bench_tenants WHERE rank = 100")
mapfile -t PART_ROWS < <(psql_on "$COORD_PORT" bench -At \
	-c "SELECT sum(nrows) FROM bench_tenants GROUP BY part ORDER BY part")

# load_pg_shard N : the rows of hash partition N into shardN's app.orders.
load_pg_shard() {
	local n=$1 port=${SHARD_PORTS[$1]} got
	psql_on "$port" postgres >/dev/null <<-EOF
		DROP DATABASE IF EXISTS app;
		DROP ROLE IF EXISTS app;
		CREATE ROLE app LOGIN PASSWORD 'app_secret';
		CREATE DATABASE app OWNER app;
	EOF
	psql_on "$port" app -U app <<-EOF
		CREATE TABLE orders (
		    order_id   bigint NOT NULL,
		    tenant_id  int NOT NULL,
		    region     text NOT NULL,
		    product_id int NOT NULL,
		    revenue    numeric(12,2) NOT NULL,
		    qty        int NOT NULL,
		    status     text NOT NULL,
		    created_at timestamptz NOT NULL
		);
	EOF
	psql_on "$COORD_PORT" bench -c "\\copy (SELECT * FROM bench_local.orders WHERE satisfies_hash_partition('bench_hashkey'::regclass, 4, $n, tenant_id)) to stdout" \
		| psql_on "$port" app -U app -c "\\copy orders from stdin"
	psql_on "$port" app -U app <<-EOF
		SET maintenance_work_mem = '512MB';
		ALTER TABLE orders ADD PRIMARY KEY (order_id);
		CREATE INDEX orders_tenant_created ON orders (tenant_id, created_at);
		VACUUM (FREEZE, ANALYZE) orders;
	EOF
	got=$(psql_on "$port" app -U app -At -c "SELECT count(*) FROM orders")
	[ "$got" = "${PART_ROWS[$n]}" ] || fed_die "shard$n holds $got rows, expected ${PART_ROWS[$n]}"
}

pids=()
for n in "${PG_SHARDS[@]}"; do
	i=${n#shard}
	[ -f "$DIR/done.$n" ] && continue
	fed_log "loading $n (${PART_ROWS[$i]} rows of hash partition $i)"
	( load_pg_shard "$i"; touch "$DIR/done.$n" ) &
	pids+=($!)
done
if [ "$NEED_B" = 1 ] && [ ! -f "$DIR/done.mariadb" ]; then
	fed_log "loading MariaDB (${PART_ROWS[3]} rows of hash partition 3)"
	(
		tsv=$DIR/part3.tsv
		psql_on "$COORD_PORT" bench -c "\\copy (SELECT order_id, tenant_id, region, product_id, revenue, qty, status, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') FROM bench_local.orders WHERE satisfies_hash_partition('bench_hashkey'::regclass, 4, 3, tenant_id) ORDER BY order_id) to '$tsv'"
		"$MARIADB_CLIENT" --no-defaults --socket="$MDIR/sock" -uroot --local-infile=1 \
			--default-character-set=utf8mb4 --batch --skip-column-names <<-EOF
			CREATE DATABASE IF NOT EXISTS $MYSQL_DB CHARACTER SET utf8mb4;
			USE $MYSQL_DB;
			DROP TABLE IF EXISTS orders;
			CREATE TABLE orders (
			    order_id   BIGINT NOT NULL PRIMARY KEY,
			    tenant_id  INT NOT NULL,
			    region     VARCHAR(32) NOT NULL,
			    product_id INT NOT NULL,
			    revenue    DECIMAL(12,2) NOT NULL,
			    qty        INT NOT NULL,
			    status     VARCHAR(16) NOT NULL,
			    created_at DATETIME(6) NOT NULL
			) ENGINE=InnoDB;
			LOAD DATA LOCAL INFILE '$tsv' INTO TABLE orders
			    FIELDS TERMINATED BY '\t' LINES TERMINATED BY '\n'
			    (order_id, tenant_id, region, product_id, revenue, qty, status, created_at);
			ALTER TABLE orders ADD INDEX orders_tenant_created (tenant_id, created_at);
			ANALYZE TABLE orders;
		EOF
		rm -f "$tsv"
		got=$(fed_mariadb_sql "$MDIR" "$MYSQL_DB" <<<"SELECT count(*) FROM orders")
		[ "$got" = "${PART_ROWS[3]}" ] || fed_die "MariaDB holds $got rows, expected ${PART_ROWS[3]}"
		touch "$DIR/done.mariadb"
	) >/dev/null &
	pids+=($!)
fi
for p in "${pids[@]}"; do wait "$p" || fed_die "loading a shard failed"; done

# The join queries' tables (Q9-Q11), added to kept data sets too:
# products (the coordinator's, Q8) copied to MariaDB (Q9 joins it from there)
# and to every PostgreSQL shard (Q11's reference table, with MariaDB's copy in
# B); order_items, partitioned like orders (Q10), made from each shard's own
# orders by the same integer arithmetic on every engine: 1 to 5 items per
# order (3 on average).
ITEMS_COLS="order_id bigint, tenant_id int, item_no int, product_id int, amount numeric(12,2)"
# items_sql DIVISOR ORDERS : the INSERT's SELECT (100.0 on PostgreSQL, 100 on
# MariaDB: both exact to the cent)
items_sql() {
	echo "SELECT o.order_id, o.tenant_id, k.n, 1 + (o.order_id * 31 + k.n * 17) % 50000, ((o.order_id * 7 + k.n * 13) % 100000) / $1 FROM $2 o JOIN (SELECT 1 AS n UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5) k ON k.n <= 1 + o.order_id % 5"
}
if [ ! -f "$DIR/done.local_items" ]; then
	fed_log "making bench_local.order_items"
	psql_on "$COORD_PORT" bench -q <<-EOF
		DROP TABLE IF EXISTS bench_local.order_items;
		CREATE TABLE bench_local.order_items ($ITEMS_COLS);
		SET work_mem = '512MB';
		INSERT INTO bench_local.order_items $(items_sql 100.0 bench_local.orders);
		VACUUM (FREEZE, ANALYZE) bench_local.order_items;
	EOF
	touch "$DIR/done.local_items"
fi
psql_on "$COORD_PORT" bench -q <<-EOF >/dev/null
	CREATE OR REPLACE VIEW bench_local.products_my AS SELECT * FROM public.products;
	CREATE OR REPLACE VIEW bench_local.products_ref AS SELECT * FROM public.products;
	CREATE OR REPLACE VIEW bench_local.orders_big AS SELECT * FROM bench_local.orders
	  WHERE satisfies_hash_partition('bench_hashkey'::regclass, 4, $TENANT_PART, tenant_id);
EOF
# Q17 reads the partition of Q4's tenant from a PostgreSQL shard alone
[ "$TENANT_PART" != 3 ] || [ "$NEED_A" = 1 ] \
	|| fed_die "Q4's tenant is on partition 3, which scenario B has on MariaDB: Q17 needs a PostgreSQL shard"
pids=()
for n in "${PG_SHARDS[@]}"; do
	[ -f "$DIR/done.${n}_joins" ] && continue
	fed_log "$n: order_items and a copy of products"
	(
		port=${SHARD_PORTS[${n#shard}]}
		psql_on "$port" app -U app -q <<-EOF
			DROP TABLE IF EXISTS order_items, products;
			CREATE TABLE products (product_id int PRIMARY KEY, category text NOT NULL, name text NOT NULL);
			CREATE TABLE order_items ($ITEMS_COLS);
			SET work_mem = '256MB';
			INSERT INTO order_items $(items_sql 100.0 orders);
		EOF
		psql_on "$COORD_PORT" bench -c "\\copy products to stdout" \
			| psql_on "$port" app -U app -c "\\copy products from stdin"
		psql_on "$port" app -U app -q -c "VACUUM (FREEZE, ANALYZE) order_items, products"
		touch "$DIR/done.${n}_joins"
	) >/dev/null &
	pids+=($!)
done
if [ ! -f "$DIR/done.mariadb_joins" ] || { [ -f "$DIR/done.mariadb" ] && [ ! -f "$DIR/done.mariadb_items" ]; }; then
	fed_log "MariaDB: products$([ "$NEED_B" = 1 ] && echo ', order_items')"
	(
		tsv=$DIR/products.tsv
		psql_on "$COORD_PORT" bench -c "\\copy (SELECT * FROM products ORDER BY product_id) to '$tsv'"
		items=""
		if [ -f "$DIR/done.mariadb" ]; then
			items="CREATE TABLE order_items (order_id BIGINT NOT NULL, tenant_id INT NOT NULL, item_no INT NOT NULL, product_id INT NOT NULL, amount DECIMAL(12,2) NOT NULL) ENGINE=InnoDB;
			       INSERT INTO order_items $(items_sql 100 orders);
			       ANALYZE TABLE order_items;"
		fi
		"$MARIADB_CLIENT" --no-defaults --socket="$MDIR/sock" -uroot --local-infile=1 \
			--default-character-set=utf8mb4 --batch --skip-column-names <<-EOF
			CREATE DATABASE IF NOT EXISTS $MYSQL_DB CHARACTER SET utf8mb4;
			USE $MYSQL_DB;
			DROP TABLE IF EXISTS products, order_items;
			CREATE TABLE products (product_id INT PRIMARY KEY, category VARCHAR(32) NOT NULL, name VARCHAR(64) NOT NULL) ENGINE=InnoDB;
			LOAD DATA LOCAL INFILE '$tsv' INTO TABLE products
			    FIELDS TERMINATED BY '\t' LINES TERMINATED BY '\n' (product_id, category, name);
			ANALYZE TABLE products;
			$items
		EOF
		rm -f "$tsv"
		[ -z "$items" ] || touch "$DIR/done.mariadb_items"
		touch "$DIR/done.mariadb_joins"
	) >/dev/null &
	pids+=($!)
fi
for p in "${pids[@]}"; do wait "$p" || fed_die "making the join tables failed"; done
[ $((SECONDS - T0)) -gt 1 ] && fed_log "data ready after $((SECONDS - T0))s"

# The index on revenue (BENCH_REVENUE_INDEX=1) turns Q5 into an index walk of
# ten rows per shard, where only fixed per-query costs are left to measure;
# without it (the default) Q5 is a top-N sort over every row of each shard.
# Applied on every run, so kept data follows the knob.
if [ "${BENCH_REVENUE_INDEX:-0}" = 1 ]; then
	pg_rev="CREATE INDEX IF NOT EXISTS orders_revenue ON orders (revenue)"
	my_rev="CREATE INDEX IF NOT EXISTS orders_revenue ON orders (revenue)"
	loc_rev="CREATE INDEX IF NOT EXISTS orders_revenue_local ON bench_local.orders (revenue)"
else
	pg_rev="DROP INDEX IF EXISTS orders_revenue"
	my_rev="DROP INDEX IF EXISTS orders_revenue ON orders"
	loc_rev="DROP INDEX IF EXISTS bench_local.orders_revenue_local; DROP INDEX IF EXISTS bench_local.orders_revenue_idx"
fi
psql_on "$COORD_PORT" bench -q -c "$loc_rev" >/dev/null
for n in "${PG_SHARDS[@]}"; do
	psql_on "$(node_port "$n")" app -U app -q -c "$pg_rev" >/dev/null
done
# The shards' parallel workers (BENCH_SHARD_PARALLEL), also applied on every
# run: a session of each system, kept or new, plans with it from now on.
SHARD_PARALLEL=${BENCH_SHARD_PARALLEL:-0}
for n in "${PG_SHARDS[@]}"; do
	psql_on "$(node_port "$n")" postgres -q \
		-c "ALTER SYSTEM SET max_parallel_workers_per_gather = $SHARD_PARALLEL" \
		-c "SELECT pg_reload_conf()" >/dev/null
done
if [ "$NEED_B" = 1 ]; then
	fed_mariadb_sql "$MDIR" "$MYSQL_DB" <<<"$my_rev" >/dev/null
fi

# --------------------------------------------------------- federation ---

COLS="order_id bigint, tenant_id int, region text, product_id int, revenue numeric(12,2), qty int, status text, created_at timestamptz"

# scenario_servers SCEN : the federate server of each partition 0..3
scenario_servers() {
	if [ "$1" = A ]; then echo shard0 shard1 shard2 shard3; else echo shard0 shard1 shard2 shard3_mariadb; fi
}

fed_log "creating the federate and postgres_fdw tables on the coordinator"
{
	echo "SET client_min_messages = warning;"
	echo "DROP SCHEMA IF EXISTS fed_a CASCADE; DROP SCHEMA IF EXISTS fed_b CASCADE;"
	echo "DROP EXTENSION IF EXISTS federate CASCADE;"
	echo "CREATE EXTENSION federate;"
	for n in "${PG_SHARDS[@]}"; do
		echo "CREATE SERVER $n FOREIGN DATA WRAPPER federate OPTIONS (driver 'postgres', host '127.0.0.1', port '${SHARD_PORTS[${n#shard}]}', dbname 'app', fetch_size '10000');"
		echo "CREATE USER MAPPING FOR CURRENT_USER SERVER $n OPTIONS (user 'app', password 'app_secret');"
	done
	echo "CREATE SERVER shard3_mariadb FOREIGN DATA WRAPPER federate OPTIONS (driver 'mysql', host '127.0.0.1', port '$MARIADB_PORT', dbname '$MYSQL_DB', fetch_size '10000');"
	echo "CREATE USER MAPPING FOR CURRENT_USER SERVER shard3_mariadb OPTIONS (user '$FED_MYSQL_USER', password '$FED_MYSQL_PASSWORD');"
	for s in $SCENARIOS; do
		sch=fed_${s,,}
		echo "CREATE SCHEMA $sch;"
		echo "CREATE TABLE $sch.orders ($COLS) PARTITION BY HASH (tenant_id);"
		i=0
		for srv in $(scenario_servers "$s"); do
			opts="table_name 'orders'"
			[ "$srv" = shard3_mariadb ] || opts="schema_name 'public', $opts"
			echo "CREATE FOREIGN TABLE $sch.orders_$i PARTITION OF $sch.orders FOR VALUES WITH (MODULUS 4, REMAINDER $i) SERVER $srv OPTIONS ($opts);"
			i=$((i + 1))
		done
		# Q10: order_items partitioned like orders, each partition beside
		# its orders partition (co-located)
		echo "CREATE TABLE $sch.order_items ($ITEMS_COLS) PARTITION BY HASH (tenant_id);"
		i=0
		for srv in $(scenario_servers "$s"); do
			opts="table_name 'order_items'"
			[ "$srv" = shard3_mariadb ] || opts="schema_name 'public', $opts"
			echo "CREATE FOREIGN TABLE $sch.order_items_$i PARTITION OF $sch.order_items FOR VALUES WITH (MODULUS 4, REMAINDER $i) SERVER $srv OPTIONS ($opts);"
			i=$((i + 1))
		done
		# Q9: products on MariaDB; Q11: products as a reference table,
		# a copy on every shard
		echo "CREATE FOREIGN TABLE $sch.products_my (product_id int, category text, name text) SERVER shard3_mariadb OPTIONS (table_name 'products');"
		# Q17: Q4's tenant's partition (a PostgreSQL shard's whole table)
		# as one foreign table
		echo "CREATE FOREIGN TABLE $sch.orders_big ($COLS) SERVER shard$TENANT_PART OPTIONS (schema_name 'public', table_name 'orders');"
		read -r -a srvs <<<"$(scenario_servers "$s")"
		echo "CREATE FOREIGN TABLE $sch.products_ref (product_id int, category text, name text) SERVER ${srvs[0]} OPTIONS (schema_name 'public', table_name 'products', copies '${srvs[1]}, ${srvs[2]}, ${srvs[3]}');"
	done
} | psql_on "$COORD_PORT" bench
# federate cannot ANALYZE its foreign tables yet; once it can, its planner gets the statistics.
for s in $SCENARIOS; do
	psql_on "$COORD_PORT" bench -c "SET client_min_messages = error" -c "ANALYZE fed_${s,,}.orders" \
		>/dev/null 2>&1 || fed_log "note: ANALYZE fed_${s,,}.orders failed (not supported yet?)"
done

{
	echo "SET client_min_messages = warning;"
	echo "CREATE EXTENSION IF NOT EXISTS mysql_fdw;"
	echo "DROP SERVER IF EXISTS mysqlfdw_shard3 CASCADE;"
	echo "CREATE SERVER mysqlfdw_shard3 FOREIGN DATA WRAPPER mysql_fdw OPTIONS (host '127.0.0.1', port '$MARIADB_PORT', fetch_size '10000');"
	echo "CREATE USER MAPPING FOR CURRENT_USER SERVER mysqlfdw_shard3 OPTIONS (username '$FED_MYSQL_USER', password '$FED_MYSQL_PASSWORD');"
} | psql_on "$COORD_PORT" bench
rm -f "$DIR"/done.pgfdw_*
for s in $SCENARIOS; do
	sch=pgfdw_${s,,}
	fed_log "creating $sch.orders (postgres_fdw$([ "$s" = B ] && echo ' + mysql_fdw')) and analyzing it"
	{
		echo "SET client_min_messages = warning;"
		echo "CREATE EXTENSION IF NOT EXISTS postgres_fdw;"
		[ "$s" = B ] && echo "CREATE EXTENSION IF NOT EXISTS mysql_fdw;"
		echo "DROP SCHEMA IF EXISTS $sch CASCADE;"
		echo "CREATE SCHEMA $sch;"
		echo "CREATE TABLE $sch.orders ($COLS) PARTITION BY HASH (tenant_id);"
		i=0
		for srv in $(scenario_servers "$s"); do
			if [ "$srv" = shard3_mariadb ]; then
				echo "CREATE FOREIGN TABLE $sch.orders_$i PARTITION OF $sch.orders FOR VALUES WITH (MODULUS 4, REMAINDER $i) SERVER mysqlfdw_shard3 OPTIONS (dbname '$MYSQL_DB', table_name 'orders');"
			else
				echo "CREATE SERVER IF NOT EXISTS pgfdw_$srv FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host '127.0.0.1', port '${SHARD_PORTS[$i]}', dbname 'app', async_capable 'true', fetch_size '10000');"
				echo "CREATE USER MAPPING IF NOT EXISTS FOR CURRENT_USER SERVER pgfdw_$srv OPTIONS (user 'app', password 'app_secret');"
				echo "CREATE FOREIGN TABLE $sch.orders_$i PARTITION OF $sch.orders FOR VALUES WITH (MODULUS 4, REMAINDER $i) SERVER pgfdw_$srv OPTIONS (schema_name 'public', table_name 'orders');"
			fi
			i=$((i + 1))
		done
		echo "CREATE FOREIGN TABLE $sch.orders_big ($COLS) SERVER pgfdw_shard$TENANT_PART OPTIONS (schema_name 'public', table_name 'orders');"
		echo "ANALYZE $sch.orders;"
		# Q10: order_items partitioned alike
		echo "CREATE TABLE $sch.order_items ($ITEMS_COLS) PARTITION BY HASH (tenant_id);"
		i=0
		for srv in $(scenario_servers "$s"); do
			if [ "$srv" = shard3_mariadb ]; then
				echo "CREATE FOREIGN TABLE $sch.order_items_$i PARTITION OF $sch.order_items FOR VALUES WITH (MODULUS 4, REMAINDER $i) SERVER mysqlfdw_shard3 OPTIONS (dbname '$MYSQL_DB', table_name 'order_items');"
			else
				echo "CREATE FOREIGN TABLE $sch.order_items_$i PARTITION OF $sch.order_items FOR VALUES WITH (MODULUS 4, REMAINDER $i) SERVER pgfdw_$srv OPTIONS (schema_name 'public', table_name 'order_items');"
			fi
			i=$((i + 1))
		done
		echo "ANALYZE $sch.order_items;"
		# Q9: the catalog on MariaDB through mysql_fdw; Q11: postgres_fdw has
		# no reference tables, so it joins the coordinator's own copy
		echo "CREATE FOREIGN TABLE $sch.products_my (product_id int, category text, name text) SERVER mysqlfdw_shard3 OPTIONS (dbname '$MYSQL_DB', table_name 'products');"
		echo "CREATE VIEW $sch.products_ref AS SELECT * FROM public.products;"
	} | psql_on "$COORD_PORT" bench
	touch "$DIR/done.$sch"
done

# ----------------------------------------------------------- measure ---

# results-A.txt for a whole run, results-A-Q8-Q9.txt for BENCH_QUERIES="Q8 Q9";
# a smoke run (BENCH_ROWS_PER_SHARD below the default) writes smoke-*.txt
RESULTS_NAME=results
[ "$ROWS" -ge 1000000 ] || RESULTS_NAME=smoke
RESULTS_SUFFIX=
if [ -n "${BENCH_QUERIES:-}" ]; then
	RESULTS_SUFFIX=$(echo "$BENCH_QUERIES" | tr -s ' ' '-')
	RESULTS_SUFFIX=-${RESULTS_SUFFIX%-}
fi
[ "$SHARD_PARALLEL" = 0 ] || RESULTS_SUFFIX="$RESULTS_SUFFIX-parallel$SHARD_PARALLEL"
COMMIT=$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)
FED_VERSION=$(psql_on "$COORD_PORT" bench -At -c "SELECT extversion FROM pg_extension WHERE extname = 'federate'")
FAILED=0
for s in $SCENARIOS; do
	sl=${s,,}
	W=$DIR/work/$s
	rm -rf "$W"
	mkdir -p "$W/out"
	read -r -a servers <<<"$(scenario_servers "$s")"
	if [ "$s" = A ]; then
		title="4 PostgreSQL shards"
		baseline="postgres_fdw"
	else
		title="3 PostgreSQL shards + 1 MariaDB shard"
		baseline="postgres_fdw + mysql_fdw (partition 3)"
	fi
	conf=$W/conf
	{
		printf 'scenario\t%s\n' "$s"
		printf 'title\t%s\n' "$title"
		printf 'coord\thost=127.0.0.1 port=%s dbname=bench user=postgres\n' "$COORD_PORT"
		printf 'psql\t%s\n' "$PSQL"
		printf 'runs\t%s\n' "$RUNS"
		printf 'tenant\t%s\n' "$TENANT"
		printf 'tenant_server\t%s\n' "${servers[$TENANT_PART]}"
		for sys in federate pgfdw_on pgfdw_off local; do
			printf 'session\t%s\tSET statement_timeout = %s\n' "$sys" "'$STMT_TIMEOUT'"
		done
		printf 'session\tfederate\tSET search_path = fed_%s, public\n' "$sl"
		printf 'session\tpgfdw_on\tSET search_path = pgfdw_%s, public\n' "$sl"
		printf 'session\tpgfdw_on\tSET enable_partitionwise_aggregate = on\n'
		printf 'session\tpgfdw_on\tSET enable_partitionwise_join = on\n'
		printf 'session\tpgfdw_off\tSET search_path = pgfdw_%s, public\n' "$sl"
		printf 'session\tpgfdw_off\tSET enable_partitionwise_aggregate = off\n'
		printf 'session\tpgfdw_off\tSET enable_partitionwise_join = off\n'
		printf 'session\tlocal\tSET search_path = bench_local, public\n'
		for i in 0 1 2 3; do
			srv=${servers[$i]}
			if [ "$srv" = shard3_mariadb ]; then
				printf 'server\t%s\tmysql\thost=127.0.0.1 port=%s user=%s password=%s dbname=%s\n' \
					"$srv" "$MARIADB_PORT" "$FED_MYSQL_USER" "$FED_MYSQL_PASSWORD" "$MYSQL_DB"
			else
				printf 'server\t%s\tpostgres\thost=127.0.0.1 port=%s dbname=app user=app password=app_secret\n' \
					"$srv" "${SHARD_PORTS[$i]}"
			fi
		done
		if [ "$s" = A ]; then
			printf 'xserver\tshard3_mariadb\tmysql\thost=127.0.0.1 port=%s user=%s password=%s dbname=%s\n' \
				"$MARIADB_PORT" "$FED_MYSQL_USER" "$FED_MYSQL_PASSWORD" "$MYSQL_DB"
		fi
		printf 'info\trows: %s (partition 0..3 = %s); %s tenants, zipf sizes; Q4 tenant %s on %s\n' \
			"$(( PART_ROWS[0] + PART_ROWS[1] + PART_ROWS[2] + PART_ROWS[3] ))" \
			"$(IFS=/; echo "${PART_ROWS[*]}")" 1000 "$TENANT" "${servers[$TENANT_PART]}"
		printf 'info\tshards: %s; baseline: %s\n' "${servers[*]}" "$baseline"
		printf 'info\tfederate %s (commit %s), %s, %s cores, %s\n' "$FED_VERSION" "$COMMIT" \
			"$("$PSQL" --version | awk '{print "PostgreSQL " $3}')" "$(nproc)" "$(date -u +%Y-%m-%dT%H:%MZ)"
	} >"$conf"

	fed_log "scenario $s ($title): EXPLAIN through federate"
	perl "$HERE/bench.pl" spec "$conf" "$HERE/queries.sql" "$W"
	fed_log "scenario $s: timing $(grep -c '^query' "$W/spec") queries x (1 warm-up + $RUNS runs)"
	"$FLOOR" -f "$W/spec" -r "$RUNS" -o "$W/out" >"$W/times.tsv" || true
	echo
	perl "$HERE/bench.pl" report "$conf" "$HERE/queries.sql" "$W" "$HERE/$RESULTS_NAME-$s$RESULTS_SUFFIX.txt" || FAILED=1
	echo
	fed_log "scenario $s: written to test/bench/$RESULTS_NAME-$s$RESULTS_SUFFIX.txt (EXPLAIN output and answers in $W)"
done

if [ "$FAILED" = 1 ]; then
	[ "$KEEP" = 1 ] || fed_log "an answer differed or a system failed; $DIR is kept for inspection"
	exit 1
fi
SUCCESS=1
exit 0

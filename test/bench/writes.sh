#!/usr/bin/env bash
# The write benchmark, on the servers a kept scenario-A benchmark left
# (4 PostgreSQL shards):
#
#   BENCH_KEEP=1 BENCH_SCENARIOS=A BENCH_QUERIES=Q4 BENCH_RUNS=1 \
#     BENCH_ROWS_PER_SHARD=250000 bash test/bench/run.sh
#   bash test/bench/writes.sh                    (then this, by hand)
#
# Each shard gets an empty table orders_w (orders' columns, primary key
# order_id); the coordinator gets it three ways: wbench.fed (federate,
# hash-partitioned on tenant_id, one partition per shard), wbench.pgfdw
# (postgres_fdw, batch_size 1000, the same remote tables) and
# wbench.local (a local table).  Then, WR_ROUNDS rounds, each system in
# turn, times (ms, client side):
#   insert  INSERT ... SELECT of WR_INSERT_ROWS rows of bench_local.orders
#   copy    COPY FROM a file of WR_COPY_ROWS rows
#   update  UPDATE of every row (all shards), in a transaction
#   delete  DELETE of a tenth of the rows (all shards), in a transaction
#   byid    WR_BYID single-row UPDATEs by key, one client (psql, one
#           statement each): ms per statement
# and the floor of update and delete: the same statements sent to the four
# shards at once by floor.c (federate's Remote SQL, in one transaction
# each).  Rows are loaded before each timed update/delete and rolled back
# after, so every round changes the same rows.  Written to
# test/bench/writes-A.txt.
set -euo pipefail

FED_LOG_TAG=writes
# shellcheck source=test/bench/kept.sh
. "$(dirname "${BASH_SOURCE[0]}")/kept.sh"

ROUNDS=${WR_ROUNDS:-3}
INSERT_ROWS=${WR_INSERT_ROWS:-400000}
COPY_ROWS=${WR_COPY_ROWS:-1000000}
BYID=${WR_BYID:-200}
PGBENCH=$FED_PG_BINDIR/pgbench
FLOOR=$DIR/bin/floor
OUT=$REPO/test/bench/writes-A.txt
WORK=$DIR/work/writes
[ -x "$FLOOR" ] || fed_die "no floor client in $FLOOR: run test/bench/run.sh first"
mkdir -p "$WORK"
chmod 755 "$WORK"
# the coordinator writes and reads the COPY file itself
[ "$(id -u)" = 0 ] && chown "${FED_OS_USER:-postgres}" "$WORK"

COORD="host=127.0.0.1 port=$COORD_PORT dbname=bench user=postgres"
shard_conn() { echo "host=127.0.0.1 port=${SHARD_PORTS[$1]} dbname=app user=app password=app_secret"; }
COLS="order_id bigint, tenant_id int, region text, product_id int, revenue numeric(12,2), qty int, status text, created_at timestamptz"

[ "$(kq "$COORD_PORT" postgres bench -c "SELECT count(*) >= $COPY_ROWS FROM bench_local.orders")" = t ] ||
	fed_die "bench_local.orders has fewer than $COPY_ROWS rows: keep a benchmark with BENCH_ROWS_PER_SHARD >= $((COPY_ROWS / 4))"

fed_log "creating orders_w on every shard and wbench.{fed,pgfdw,local} on the coordinator"
for i in 0 1 2 3; do
	kq "${SHARD_PORTS[$i]}" app app <<-EOF
		SET client_min_messages = warning;
		DROP TABLE IF EXISTS orders_w;
		CREATE TABLE orders_w (LIKE orders INCLUDING ALL);
	EOF
done
{
	echo "SET client_min_messages = warning;"
	echo "DROP SCHEMA IF EXISTS wbench CASCADE; CREATE SCHEMA wbench;"
	echo "CREATE TABLE wbench.fed ($COLS) PARTITION BY HASH (tenant_id);"
	echo "CREATE TABLE wbench.pgfdw ($COLS) PARTITION BY HASH (tenant_id);"
	for i in 0 1 2 3; do
		echo "CREATE FOREIGN TABLE wbench.fed_$i PARTITION OF wbench.fed FOR VALUES WITH (MODULUS 4, REMAINDER $i) SERVER shard$i OPTIONS (schema_name 'public', table_name 'orders_w', batch_size '1000');"
		echo "ALTER FOREIGN TABLE wbench.fed_$i ALTER COLUMN order_id OPTIONS (ADD key 'true');"
		echo "CREATE FOREIGN TABLE wbench.pgfdw_$i PARTITION OF wbench.pgfdw FOR VALUES WITH (MODULUS 4, REMAINDER $i) SERVER pgfdw_shard$i OPTIONS (schema_name 'public', table_name 'orders_w', batch_size '1000');"
	done
	echo "CREATE TABLE wbench.local (LIKE bench_local.orders INCLUDING ALL);"
	echo "CREATE TABLE wbench.src AS SELECT * FROM bench_local.orders ORDER BY order_id LIMIT $INSERT_ROWS;"
	echo "COPY (SELECT * FROM bench_local.orders ORDER BY order_id LIMIT $COPY_ROWS) TO '$WORK/copy.tsv';"
} | kq "$COORD_PORT" postgres bench

# ms of one statement on the coordinator (floor.c: client-side time)
one() { "$FLOOR" -r 1 -w 0 pg "$COORD" "$1" | awk '/^median/ {print $2}'; }
# ms of a statement per shard, sent to the four at once
floor4() {
	local args=() i
	for i in 0 1 2 3; do args+=(pg "$(shard_conn "$i")" "$1"); done
	"$FLOOR" -r 1 -w 0 "${args[@]}" | awk '/^median/ {print $2}'
}
empty() { kq "$COORD_PORT" postgres bench -c "TRUNCATE wbench.fed, wbench.local" >/dev/null; }
load() { kq "$COORD_PORT" postgres bench -c "INSERT INTO wbench.$1 SELECT * FROM wbench.src" >/dev/null; }
median() { sort -n | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

# the Remote SQL federate sends for update and delete (as floor's statements)
remote_sql() {
	kq "$COORD_PORT" postgres bench -c "EXPLAIN (VERBOSE, COSTS OFF) $1" |
		awk -F'Remote SQL: ' '/Remote SQL/ {print $2; exit}'
}
UPD="UPDATE %s SET qty = qty + 1, revenue = revenue + 0.5"
DEL="DELETE FROM %s WHERE order_id %% 10 = 3"
UPD_REMOTE=$(remote_sql "$(printf "$UPD" wbench.fed)")
DEL_REMOTE=$(remote_sql "$(printf "$DEL" wbench.fed)")
fed_log "floor statements: $UPD_REMOTE / $DEL_REMOTE"

# byid's statements: BYID keys spread over the rows, one UPDATE each
kq "$COORD_PORT" postgres bench -c "SELECT order_id FROM wbench.src ORDER BY order_id" |
	awk -v n="$BYID" -v step="$((INSERT_ROWS / BYID))" 'NR % step == 1 && c < n {print; c++}' >"$WORK/ids"
for s in local pgfdw fed; do
	sed "s/.*/UPDATE wbench.$s SET qty = qty + 1 WHERE order_id = &;/" "$WORK/ids" >"$WORK/byid.$s.sql"
done

declare -A T
add() { T[$1]+="$2 "; }
for r in $(seq 1 "$ROUNDS"); do
	fed_log "round $r of $ROUNDS"
	# insert: INSERT ... SELECT into an empty table
	for s in local pgfdw fed; do
		empty
		add "insert.$s" "$(one "INSERT INTO wbench.$s SELECT * FROM wbench.src")"
	done
	# copy: COPY FROM a file into an empty table
	for s in local pgfdw fed; do
		empty
		add "copy.$s" "$(one "COPY wbench.$s FROM '$WORK/copy.tsv'")"
	done
	# update and delete of INSERT_ROWS rows, rolled back (the table is the
	# same for every system: load it once, time inside a transaction)
	empty
	load fed
	load local
	for s in local pgfdw fed; do
		add "update.$s" "$(one "BEGIN; $(printf "$UPD" "wbench.$s"); ROLLBACK")"
		add "delete.$s" "$(one "BEGIN; $(printf "$DEL" "wbench.$s"); ROLLBACK")"
	done
	add update.floor "$(floor4 "BEGIN; $UPD_REMOTE; ROLLBACK")"
	add delete.floor "$(floor4 "BEGIN; $DEL_REMOTE; ROLLBACK")"
	# byid: single-row updates by key, one client, one statement each
	for s in local pgfdw fed; do
		start=$(date +%s%N)
		"$FED_PG_BINDIR/psql" -X -q -h "$DIR" -p "$COORD_PORT" -U postgres -d bench \
			-f "$WORK/byid.$s.sql" >/dev/null
		end=$(date +%s%N)
		add "byid.$s" "$(awk -v a="$start" -v b="$end" -v n="$BYID" 'BEGIN {printf "%.3f", (b - a) / 1e6 / n}')"
	done
done
empty

{
	echo "federate writes, scenario A (4 PostgreSQL shards; $(date -u +%Y-%m-%dT%H:%MZ), commit $(git -C "$REPO" rev-parse --short HEAD))"
	echo "  median of $ROUNDS rounds, ms (byid: ms per statement); insert $INSERT_ROWS rows, copy $COPY_ROWS rows,"
	echo "  update/delete of $INSERT_ROWS rows in a rolled-back transaction, byid $BYID single-row UPDATEs by key"
	echo "  postgres_fdw and federate with batch_size 1000; floor = federate's Remote SQL sent to the 4 shards at once"
	echo
	printf '%-7s | %9s | %12s | %11s | %9s | %9s | %12s\n' op "local" "postgres_fdw" "federate" "floor" "fed/floor" "pgfdw/fed"
	for op in insert copy update delete byid; do
		l=$(tr ' ' '\n' <<<"${T[$op.local]}" | grep . | median)
		p=$(tr ' ' '\n' <<<"${T[$op.pgfdw]}" | grep . | median)
		f=$(tr ' ' '\n' <<<"${T[$op.fed]}" | grep . | median)
		fl=-
		ratio=-
		if [ -n "${T[$op.floor]:-}" ]; then
			fl=$(tr ' ' '\n' <<<"${T[$op.floor]}" | grep . | median)
			ratio=$(awk -v a="$f" -v b="$fl" 'BEGIN {printf "%.2fx", a / b}')
		fi
		printf '%-7s | %9s | %12s | %11s | %9s | %9s | %12s\n' "$op" "$l" "$p" "$f" "$fl" "$ratio" \
			"$(awk -v a="$p" -v b="$f" 'BEGIN {printf "%.2fx", a / b}')"
	done
	echo
	echo "targets: update/delete within 1.3x of the floor; insert and copy at least 2x postgres_fdw's rate"
	echo "(pgfdw/fed >= 2); byid within 1.5x of postgres_fdw's latency (pgfdw/fed >= 0.67)"
} | tee "$OUT"

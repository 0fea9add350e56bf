#!/usr/bin/env bash
# The same 4M rows as 64 partitions over the 4 servers instead of 4: does
# federate keep its speed when each server holds 16 partitions (more
# statements than a query's connections, which queue)?
#
#   BENCH_KEEP=1 BENCH_SCENARIOS=A bash test/bench/run.sh   (once)
#   bash test/bench/layout.sh                                (then this)
#
# On each PostgreSQL shard it splits the kept orders table into 16 tables
# orders64_<r> (r = the hash remainder modulo 64; remainder r of 64 lies in
# remainder r % 4 of 4, so each shard's rows stay on it), once; on the
# coordinator fed_a64.orders is PARTITION BY HASH (tenant_id) with 64
# federate partitions.  Q1, Q5 and Q6 then run through federate on both
# layouts in one session, alternating, LAYOUT_RUNS (default 5) timed runs
# each after a warm-up; medians of psql's client-side times.  A third
# column reads the 64 partitions with federate.combine_partitions = off
# (one statement per partition instead of one per server).
set -euo pipefail

FED_LOG_TAG=layout
# shellcheck source=test/bench/kept.sh
. "$(dirname "${BASH_SOURCE[0]}")/kept.sh"

RUNS=${LAYOUT_RUNS:-5}
OUT=$REPO/test/bench/layout-A.txt

q() { kq "$@"; }

if [ ! -f "$DIR/done.layout64" ]; then
	pids=()
	for i in 0 1 2 3; do
		fed_log "shard$i: splitting orders into 16 tables"
		(
			sql="DROP TABLE IF EXISTS hashkey64; CREATE TABLE hashkey64 (tenant_id int) PARTITION BY HASH (tenant_id);"
			for r in $(seq "$i" 4 63); do
				sql+=" DROP TABLE IF EXISTS orders64_$r;"
				sql+=" CREATE TABLE orders64_$r AS SELECT * FROM orders WHERE satisfies_hash_partition('hashkey64'::regclass, 64, $r, tenant_id);"
				sql+=" ANALYZE orders64_$r;"
			done
			q "${SHARD_PORTS[$i]}" app app -c "$sql" >/dev/null
		) &
		pids+=($!)
	done
	for p in "${pids[@]}"; do wait "$p" || fed_die "splitting a shard failed"; done
	touch "$DIR/done.layout64"
fi

fed_log "creating fed_a64.orders (64 partitions)"
{
	echo "SET client_min_messages = warning;"
	echo "DROP SCHEMA IF EXISTS fed_a64 CASCADE; CREATE SCHEMA fed_a64;"
	echo "CREATE TABLE fed_a64.orders (LIKE fed_a.orders) PARTITION BY HASH (tenant_id);"
	for r in $(seq 0 63); do
		echo "CREATE FOREIGN TABLE fed_a64.orders_$r PARTITION OF fed_a64.orders FOR VALUES WITH (MODULUS 64, REMAINDER $r) SERVER shard$((r % 4)) OPTIONS (schema_name 'public', table_name 'orders64_$r');"
	done
} | q "$COORD_PORT" postgres bench >/dev/null
n4=$(q "$COORD_PORT" postgres bench -c "SELECT count(*) FROM fed_a.orders")
n64=$(q "$COORD_PORT" postgres bench -c "SELECT count(*) FROM fed_a64.orders")
[ "$n4" = "$n64" ] || fed_die "fed_a64.orders has $n64 rows, fed_a.orders $n4"

declare -A SQL=(
	[Q1]="SELECT region, sum(revenue), count(*), avg(revenue) FROM %s.orders GROUP BY region ORDER BY region"
	[Q5]="SELECT * FROM %s.orders ORDER BY revenue DESC, order_id LIMIT 10"
	[Q6]="SELECT count(DISTINCT product_id) FROM %s.orders"
)
{
	echo "federate layout, scenario A: 4 PostgreSQL shards, $n4 rows as 4 partitions (fed_a) or 64 (fed_a64); $(date -u +%Y-%m-%dT%H:%MZ), commit $(git -C "$REPO" rev-parse --short HEAD)"
	echo "  median of $RUNS runs after a warm-up, alternating, psql \\timing (client-side ms); answers compared"
	echo
	echo "  64p, one per partition: the same 64 partitions with federate.combine_partitions = off"
	echo
	printf '%-5s | %14s | %15s | %8s | %24s | %8s | %s\n' query "4 partitions ms" "64 partitions ms" "64p/4p" "64p, one per partition ms" "ratio" answers
	echo "------+-----------------+------------------+----------+---------------------------+----------+--------"
} | tee "$OUT"
for qid in Q1 Q5 Q6; do
	s4=$(printf "${SQL[$qid]}" fed_a)
	s64=$(printf "${SQL[$qid]}" fed_a64)
	# a round: 4p, 64p, SET off, 64p one per partition, RESET (5 timings)
	round="$s4;"$'\n'"$s64;"$'\n'"SET federate.combine_partitions = off;"$'\n'"$s64;"$'\n'"RESET federate.combine_partitions;"
	script="\\timing on"$'\n'"$round"
	for _ in $(seq "$RUNS"); do script+=$'\n'"$round"; done
	out=$(q "$COORD_PORT" postgres bench <<<"$script")
	mapfile -t t < <(grep -o '^Time: [0-9.]*' <<<"$out" | awk '{print $2}')
	med() { sort -n | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
	m4=$(for ((k = 5; k < ${#t[@]}; k += 5)); do echo "${t[$k]}"; done | med)
	m64=$(for ((k = 6; k < ${#t[@]}; k += 5)); do echo "${t[$k]}"; done | med)
	moff=$(for ((k = 8; k < ${#t[@]}; k += 5)); do echo "${t[$k]}"; done | med)
	a4=$(q "$COORD_PORT" postgres bench -c "$s4")
	a64=$(q "$COORD_PORT" postgres bench -c "$s64")
	aoff=$(PGOPTIONS="-c federate.combine_partitions=off" q "$COORD_PORT" postgres bench -c "$s64")
	ans=ok
	[ "$a4" = "$a64" ] && [ "$a4" = "$aoff" ] || ans=DIFFERENT
	printf '%-5s | %15.1f | %16.1f | %7.2fx | %25.1f | %7.2fx | %s\n' "$qid" "$m4" "$m64" \
		"$(awk -v a="$m64" -v b="$m4" 'BEGIN { print a / b }')" "$moff" \
		"$(awk -v a="$moff" -v b="$m4" 'BEGIN { print a / b }')" "$ans" | tee -a "$OUT"
done
fed_log "written to $OUT (target: 64p/4p <= 1.3)"

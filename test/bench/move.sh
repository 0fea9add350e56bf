#!/usr/bin/env bash
# federate.move_partition() and federate.split_partition() on the kept
# benchmark's 4M-row table: moves fed_a.orders_1 (shard1, 1M rows) to
# shard2 and back, restores the layout (the partition on shard1's table
# "orders"), then, with MOVE_SPLIT=1, splits it (modulus 4 into 8) onto
# shard1 and shard2, which changes the layout until the next run.sh.
# Prints the NOTICEs (copy time, rows verified, how long writes waited),
# the total times, and checks count and sum before and after.
#
#   BENCH_KEEP=1 BENCH_SCENARIOS=A bash test/bench/run.sh   (once)
#   bash test/bench/move.sh                                  (then this)
set -euo pipefail

FED_LOG_TAG=move
# shellcheck source=test/bench/kept.sh
. "$(dirname "${BASH_SOURCE[0]}")/kept.sh"

OUT=$REPO/test/bench/move-A.txt
q() { kq "$COORD_PORT" postgres bench "$@"; }
s1() { kq "${SHARD_PORTS[1]}" app app "$@"; }
s2() { kq "${SHARD_PORTS[2]}" app app "$@"; }

s2 -c "DROP TABLE IF EXISTS orders_moved" >/dev/null
s1 -c "DROP TABLE IF EXISTS orders_back" >/dev/null
q -c "DROP FOREIGN TABLE IF EXISTS federate.move_$(q -c "SELECT 'fed_a.orders_1'::regclass::oid")" >/dev/null
q -c "ALTER FOREIGN TABLE fed_a.orders_1 ALTER COLUMN order_id OPTIONS (ADD key 'true')" >/dev/null 2>&1 || true
before=$(q -c "SELECT count(*) || ' rows, sum ' || sum(revenue) FROM fed_a.orders")

move() {
	local t0 t1 out
	t0=$(date +%s.%N)
	out=$(q -c "CALL federate.move_partition('fed_a.orders_1', '$1', table_name => '$2')" 2>&1)
	t1=$(date +%s.%N)
	echo "$out" | sed 's/^/  /'
	echo "  total $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s"
}

{
	echo "federate.move_partition, scenario A: fed_a.orders_1 (1M of fed_a.orders' 4M rows); $(date -u +%Y-%m-%dT%H:%MZ), commit $(git -C "$REPO" rev-parse --short HEAD)"
	echo "  before: $before"
	echo
	echo "shard1 -> shard2:"
	move shard2 orders_moved
	echo "  after: $(q -c "SELECT count(*) || ' rows, sum ' || sum(revenue) FROM fed_a.orders")"
	echo
	echo "shard2 -> shard1:"
	move shard1 orders_back
	after=$(q -c "SELECT count(*) || ' rows, sum ' || sum(revenue) FROM fed_a.orders")
	echo "  after: $after"
	[ "$before" = "$after" ] && echo "  same rows: yes" || echo "  same rows: NO"
} | tee "$OUT"

# the layout the other scripts expect
s1 -c "DROP TABLE orders; ALTER TABLE orders_back RENAME TO orders" >/dev/null
s2 -c "DROP TABLE orders_moved" >/dev/null
q -c "ALTER FOREIGN TABLE fed_a.orders_1 OPTIONS (SET table_name 'orders')" >/dev/null
if [ "${MOVE_SPLIT:-0}" = 1 ]; then
	s1 -c "DROP TABLE IF EXISTS orders_1" >/dev/null
	s2 -c "DROP TABLE IF EXISTS orders_5" >/dev/null
	{
		echo
		echo "split fed_a.orders_1 (modulus 4, remainder 1) onto shard1 and shard2 (modulus 8, remainders 1 and 5):"
		t0=$(date +%s.%N)
		q -c "CALL federate.split_partition('fed_a.orders_1', 'shard1', 'shard2')" 2>&1 | sed 's/^/  /'
		t1=$(date +%s.%N)
		echo "  total $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s"
		after=$(q -c "SELECT count(*) || ' rows, sum ' || sum(revenue) FROM fed_a.orders")
		echo "  after: $after"
		[ "$before" = "$after" ] && echo "  same rows: yes" || echo "  same rows: NO"
		echo "  partitions: $(q -c "SELECT string_agg(c.relname || ' ' || pg_get_expr(c.relpartbound, c.oid), '; ' ORDER BY 1) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'fed_a.orders'::regclass")"
		echo "  (run test/bench/run.sh again for the layout of 4 partitions)"
	} | tee -a "$OUT"
fi
fed_log "written to $OUT"

#!/usr/bin/env bash
# What the coordinator adds to a targeted read, its memory on a big read,
# and generic against custom plans, on the servers a kept benchmark left:
#
#   BENCH_KEEP=1 BENCH_SCENARIOS=A BENCH_QUERIES=Q4 BENCH_RUNS=1 bash test/bench/run.sh
#   bash test/bench/overhead.sh                  (then this, by hand)
#
# 1. Q4 sent back to back (floor.c, OH_RUNS runs after 20 warm-up ones,
#    OH_ROUNDS rounds): the shard's statement sent directly (the floor),
#    the query through federate, the query on the coordinator's local
#    table, and SELECT 1 to the coordinator (one empty round trip).
# 2. Peak resident memory (VmHWM) of a coordinator backend reading all 4M
#    rows of fed_a.orders (COPY ... TO '/dev/null'), outside and inside a
#    transaction block.
# 3. Q4 with a parameter under pgbench -M prepared, plan_cache_mode
#    force_custom_plan against force_generic_plan, 1 and 8 clients,
#    OH_SECONDS each, OH_ROUNDS rounds.
# Written to test/bench/overhead-A.txt.
set -euo pipefail

FED_LOG_TAG=overhead
# shellcheck source=test/bench/kept.sh
. "$(dirname "${BASH_SOURCE[0]}")/kept.sh"

RUNS=${OH_RUNS:-500}
ROUNDS=${OH_ROUNDS:-3}
SECS=${OH_SECONDS:-8}
PGBENCH=$FED_PG_BINDIR/pgbench
FLOOR=$DIR/bin/floor
OUT=$REPO/test/bench/overhead-A.txt
[ -x "$FLOOR" ] || fed_die "no floor client in $FLOOR: run test/bench/run.sh first"

q() { kq "$1" postgres "$2" -c "$3"; }

read -r TENANT TPART < <(q "$COORD_PORT" bench "SELECT tenant_id, part FROM bench_tenants WHERE rank = 100" | tr '|' ' ')
COLS="order_id, tenant_id, region, product_id, revenue, qty, status, created_at"
ORDER="ORDER BY created_at DESC, order_id DESC LIMIT 20"
SHARD_SQL="SELECT $COLS FROM public.orders WHERE (tenant_id = $TENANT) $ORDER"
COORD="host=127.0.0.1 port=$COORD_PORT dbname=bench user=postgres"
SHARD="host=127.0.0.1 port=${SHARD_PORTS[$TPART]} dbname=app user=app password=app_secret"
WORK=$DIR/work/overhead
mkdir -p "$WORK"
chmod 755 "$WORK"

median() { "$FLOOR" -r "$RUNS" -w 20 "$@" | awk '/^median/ {print $2}'; }

# VmHWM (kB) of a coordinator backend after running SQL
hwm() {
	kq "$COORD_PORT" postgres bench <<-EOF | tail -1
		SELECT pg_backend_pid() \g $WORK/pid
		$1
		\! awk '/VmHWM/ {print \$2}' /proc/\$(cat $WORK/pid)/status
	EOF
}

{
	echo "federate overhead, scenario A (4 PostgreSQL shards; $(date -u +%Y-%m-%dT%H:%MZ), commit $(git -C "$REPO" rev-parse --short HEAD))"
	echo "  Q4: tenant $TENANT on shard$TPART; floor.c, $RUNS runs back to back after 20 warm-up runs, median ms"
	echo
	printf '%-5s | %9s | %11s | %11s | %13s | %9s\n' round "floor ms" "federate ms" "local ms" "SELECT 1 ms" fed/floor
	printf -- '------+-----------+-------------+-------------+---------------+----------\n'
	for r in $(seq 1 "$ROUNDS"); do
		fed_log "Q4 back to back, round $r"
		f=$(median pg "$SHARD" "$SHARD_SQL")
		d=$(median pg "$COORD" "SELECT * FROM fed_a.orders WHERE tenant_id = $TENANT $ORDER")
		l=$(median pg "$COORD" "SELECT * FROM bench_local.orders WHERE tenant_id = $TENANT $ORDER")
		s=$(median pg "$COORD" "SELECT 1")
		printf '%-5s | %9s | %11s | %11s | %13s | %8.2fx\n' "$r" "$f" "$d" "$l" "$s" "$(echo "$d / $f" | bc -l)"
	done
	echo
	fed_log "memory of a 4M-row read"
	echo "peak resident memory of a coordinator backend (VmHWM, counts the shared buffers it touched):"
	echo "  COPY (SELECT * FROM fed_a.orders) TO '/dev/null', outside a transaction block: $(hwm "COPY (SELECT * FROM fed_a.orders) TO '/dev/null'") kB"
	echo "  the same inside BEGIN ... COMMIT:                                   $(hwm "BEGIN; COPY (SELECT * FROM fed_a.orders) TO '/dev/null'; COMMIT") kB"
	echo
	printf '\\set t %s\nSELECT * FROM fed_a.orders WHERE tenant_id = :t %s;\n' "$TENANT" "$ORDER" >"$WORK/q4p.sql"
	echo "Q4 with a parameter, pgbench -M prepared -j 2 -T $SECS, transactions per second:"
	printf '%-5s | %7s | %13s | %14s\n' round clients "custom plans" "generic plan"
	printf -- '------+---------+---------------+---------------\n'
	for r in $(seq 1 "$ROUNDS"); do
		for c in 1 8; do
			fed_log "generic against custom, round $r, $c client(s)"
			for m in force_custom_plan force_generic_plan; do
				PGOPTIONS="-c plan_cache_mode=$m" "$PGBENCH" -n -h "$DIR" -p "$COORD_PORT" -U postgres \
					-M prepared -c "$c" -j 2 -T "$SECS" -f "$WORK/q4p.sql" bench 2>/dev/null |
					awk '/^tps = / {printf "%.1f\n", $3}' >"$WORK/tps.$m"
			done
			printf '%-5s | %7s | %13s | %14s\n' "$r" "$c" "$(cat "$WORK/tps.force_custom_plan")" \
				"$(cat "$WORK/tps.force_generic_plan")"
		done
	done
} | tee "$OUT"
fed_log "written to $OUT"

#!/usr/bin/env bash
# Throughput of many sessions at once (pgbench), federate against
# postgres_fdw and against the query sent directly to its shard, with the
# peak number of connections each system held on any shard meanwhile.
#
#   BENCH_KEEP=1 bash test/bench/run.sh          (once: builds the federation)
#   bash test/bench/throughput.sh                 (then this, by hand)
#
# It uses the servers and data a kept benchmark run left (scenario A's
# schemas fed_a and pgfdw_a: 4 PostgreSQL shards) and changes nothing in
# them.  Queries: Q4 (one tenant's 20 latest orders: one shard) and Q3 (a
# filtered count and sum over every shard).  Each runs TP_SECONDS (default
# 30) per number of clients (TP_CLIENTS, default "1 8 32"), pgbench -j 2,
# simple protocol (TP_PROTOCOL=prepared: pgbench -M prepared, written to
# throughput-A-prepared.txt); the systems alternate per client count.
#
# Knobs: BENCH_DIR, BENCH_PORT (as run.sh), TP_SECONDS, TP_CLIENTS,
# TP_QUERIES (default "Q4 Q3"; "" measures only the connection rate at the
# end), TP_BUDGET (if set: ALTER SERVER ... OPTIONS
# connection_budget for the run, restored after).
set -euo pipefail

FED_LOG_TAG=throughput
# shellcheck source=test/bench/kept.sh
. "$(dirname "${BASH_SOURCE[0]}")/kept.sh"

SECS=${TP_SECONDS:-30}
CLIENTS=${TP_CLIENTS:-1 8 32}
QUERIES=${TP_QUERIES-Q4 Q3}
PGBENCH=$FED_PG_BINDIR/pgbench
PROTOCOL=${TP_PROTOCOL:-simple}
case $PROTOCOL in simple | prepared) ;; *) fed_die "TP_PROTOCOL must be simple or prepared" ;; esac
OUT=$REPO/test/bench/throughput-A${TP_BUDGET:+-budget$TP_BUDGET}.txt
[ "$PROTOCOL" = simple ] || OUT=${OUT%.txt}-$PROTOCOL.txt
[ -n "$QUERIES" ] || OUT=$REPO/test/bench/connrate-A.txt
[ -x "$PGBENCH" ] || fed_die "pgbench is missing ($PGBENCH)"

q() { kq "$1" postgres "$2" -c "$3"; }

read -r TENANT TPART < <(q "$COORD_PORT" bench "SELECT tenant_id, part FROM bench_tenants WHERE rank = 100" | tr '|' ' ')
Q4="SELECT * FROM orders WHERE tenant_id = $TENANT ORDER BY created_at DESC, order_id DESC LIMIT 20;"
Q3="SELECT count(*), sum(revenue) FROM orders WHERE created_at >= '2024-01-01 00:00:00+00' AND created_at < '2024-04-01 00:00:00+00' AND status = 'shipped';"
WORK=$DIR/work/throughput
mkdir -p "$WORK"
chmod 755 "$WORK"

if [ -n "${TP_BUDGET:-}" ]; then
	for s in shard0 shard1 shard2 shard3; do
		q "$COORD_PORT" bench "ALTER SERVER $s OPTIONS (ADD connection_budget '$TP_BUDGET')" >/dev/null 2>&1 ||
			q "$COORD_PORT" bench "ALTER SERVER $s OPTIONS (SET connection_budget '$TP_BUDGET')" >/dev/null
	done
	trap 'for s in shard0 shard1 shard2 shard3; do q "$COORD_PORT" bench "ALTER SERVER $s OPTIONS (DROP connection_budget)" >/dev/null 2>&1 || true; done' EXIT
fi

# peak_poll FILE PATTERN: every 0.2 s, the largest number of connections
# matching PATTERN (application_name LIKE) on any shard, until killed.
peak_poll() {
	local file=$1 pat=$2 peak=0 n p
	while true; do
		for p in "${SHARD_PORTS[@]}"; do
			n=$(q "$p" postgres "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' AND application_name LIKE '$pat'" 2>/dev/null || echo 0)
			[ "$n" -gt "$peak" ] && peak=$n && echo "$peak" >"$file"
		done
		sleep 0.2
	done
}

# run SYSTEM QUERY CLIENTS : prints "tps peak"
run() {
	local sys=$1 qid=$2 c=$3 sql port db user opts pat tps peakf pid
	sql=${!qid}
	case $sys in
	federate) port=$COORD_PORT db=bench user=postgres opts="-c search_path=fed_a,public" pat='federate%' ;;
	pgfdw) port=$COORD_PORT db=bench user=postgres pat='postgres_fdw%'
		opts="-c search_path=pgfdw_a,public -c enable_partitionwise_aggregate=on -c enable_partitionwise_join=on" ;;
	direct) port=${SHARD_PORTS[$TPART]} db=app user=app opts="-c search_path=public" pat='pgbench%' ;;
	esac
	echo "$sql" >"$WORK/$qid.sql"
	peakf=$WORK/peak.$sys.$qid.$c
	echo 0 >"$peakf"
	peak_poll "$peakf" "$pat" </dev/null >/dev/null 2>&1 &
	pid=$!
	tps=$(PGOPTIONS="$opts" "$PGBENCH" -n -h "$DIR" -p "$port" -U "$user" -c "$c" -j 2 -T "$SECS" -M "$PROTOCOL" \
		-f "$WORK/$qid.sql" "$db" 2>"$WORK/pgbench.err" | awk '/^tps = / {printf "%.1f", $3}')
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	if [ -z "$tps" ] || grep -q "aborted" "$WORK/pgbench.err"; then
		cat "$WORK/pgbench.err" >&2
		fed_die "pgbench failed: $sys $qid $c clients"
	fi
	echo "$tps $(cat "$peakf")"
}

{
	echo "federate throughput, scenario A (4 PostgreSQL shards; $(date -u +%Y-%m-%dT%H:%MZ), commit $(git -C "$REPO" rev-parse --short HEAD))"
	echo "  pgbench -T $SECS -j 2, $PROTOCOL protocol; Q4 tenant $TENANT on shard$TPART; peak = most connections of that system on any one shard"
	[ -n "${TP_BUDGET:-}" ] && echo "  connection_budget $TP_BUDGET on every shard server"
	echo
	printf '%-5s | %7s | %12s | %10s | %12s | %12s | %10s | %12s\n' query clients "federate tps" "fed peak" "pg_fdw tps" "pg_fdw peak" "direct tps" "fed/direct"
	echo "------+---------+--------------+------------+--------------+--------------+------------+-------------"
} | tee "$OUT"
for qid in $QUERIES; do
	for c in $CLIENTS; do
		fed_log "$qid, $c client(s): federate"
		read -r ft fp < <(run federate "$qid" "$c")
		fed_log "$qid, $c client(s): postgres_fdw"
		read -r pt pp < <(run pgfdw "$qid" "$c")
		dt=- ratio=-
		if [ "$qid" = Q4 ]; then
			fed_log "$qid, $c client(s): direct"
			read -r dt _ < <(run direct "$qid" "$c")
			ratio=$(awk -v a="$ft" -v b="$dt" 'BEGIN { printf "%.2fx", a / b }')
		fi
		printf '%-5s | %7s | %12s | %10s | %12s | %12s | %10s | %12s\n' "$qid" "$c" "$ft" "$fp" "$pt" "$pp" "$dt" "$ratio" | tee -a "$OUT"
	done
done
# What a session beyond the budget pays per transaction: a new connection
# to a shard (fork and SCRAM authentication, over TCP as federate connects).
echo "select 1;" >"$WORK/select1.sql"
rate=$(PGPASSWORD=app_secret "$PGBENCH" -n -C -c 8 -j 2 -T 5 -h 127.0.0.1 -p "${SHARD_PORTS[0]}" -U app \
	-f "$WORK/select1.sql" app 2>/dev/null | awk '/^tps = / {printf "%.1f", $3}')
{
	echo
	echo "new connections per second to a shard (pgbench -C -c 8 -T 5, SELECT 1, TCP, SCRAM): ${rate:-?}"
} | tee -a "$OUT"
fed_log "written to $OUT"

#!/usr/bin/env bash
# A TPC-B-like transaction over two servers, on the servers a kept
# scenario-A benchmark left (run by hand):
#
#   BENCH_KEEP=1 BENCH_SCENARIOS=A BENCH_QUERIES=Q4 BENCH_RUNS=1 \
#     BENCH_ROWS_PER_SHARD=250000 bash test/bench/run.sh
#   bash test/bench/tpcb.sh
#
# Shards 0 and 1 get a table tpcb_acc of TPCB_ACCOUNTS accounts; the
# coordinator gets it as tpcb.fed0/fed1 (federate), tpcb.pgfdw0/pgfdw1
# (postgres_fdw) and tpcb.local0/local1 (local tables).  Each pgbench
# transaction moves a random amount from a random account of one table to
# a random account of the other:
#
#   BEGIN; UPDATE t0 SET bal = bal + :d WHERE id = :a;
#          UPDATE t1 SET bal = bal - :d WHERE id = :b; END;
#
# run for TPCB_SECONDS with each of TPCB_CLIENTS clients (-M prepared), on
# the local tables, on postgres_fdw, and on federate with
# federate.two_phase_commit off and on, one after another.  The average
# latency (ms) of each goes to test/bench/tpcb-A.txt, with the cost of
# two-phase commit (on/off).  The shards run with fsync off, as the rest
# of the benchmark: PREPARE and COMMIT PREPARED cost their round trips
# here, not their disk flushes.
set -euo pipefail

FED_LOG_TAG=tpcb
# shellcheck source=test/bench/kept.sh
. "$(dirname "${BASH_SOURCE[0]}")/kept.sh"

ACCOUNTS=${TPCB_ACCOUNTS:-100000}
SECS=${TPCB_SECONDS:-10}
CLIENTS=${TPCB_CLIENTS:-"1 8 32"}
PGBENCH=$FED_PG_BINDIR/pgbench
OUT=$REPO/test/bench/tpcb-A.txt
WORK=$DIR/work/tpcb
mkdir -p "$WORK"
chmod 755 "$WORK"

for i in 0 1; do
	[ "$(kq "${SHARD_PORTS[$i]}" app app -c "SHOW max_prepared_transactions")" != 0 ] ||
		fed_die "shard $i has max_prepared_transactions = 0: keep a new benchmark (test/bench/run.sh sets it)"
done

fed_log "creating tpcb_acc ($ACCOUNTS accounts) on shards 0 and 1, and schema tpcb on the coordinator"
for i in 0 1; do
	kq "${SHARD_PORTS[$i]}" app app <<-EOF
		SET client_min_messages = warning;
		DROP TABLE IF EXISTS tpcb_acc;
		CREATE TABLE tpcb_acc (id int PRIMARY KEY, bal bigint NOT NULL, filler char(84));
		INSERT INTO tpcb_acc SELECT g, 0, '' FROM generate_series(1, $ACCOUNTS) g;
		VACUUM ANALYZE tpcb_acc;
	EOF
done
{
	echo "SET client_min_messages = warning;"
	echo "DROP SCHEMA IF EXISTS tpcb CASCADE; CREATE SCHEMA tpcb;"
	for i in 0 1; do
		echo "CREATE FOREIGN TABLE tpcb.fed$i (id int OPTIONS (key 'true'), bal bigint) SERVER shard$i OPTIONS (schema_name 'public', table_name 'tpcb_acc');"
		echo "CREATE FOREIGN TABLE tpcb.pgfdw$i (id int, bal bigint) SERVER pgfdw_shard$i OPTIONS (schema_name 'public', table_name 'tpcb_acc');"
		echo "CREATE TABLE tpcb.local$i (id int PRIMARY KEY, bal bigint NOT NULL, filler char(84));"
		echo "INSERT INTO tpcb.local$i SELECT g, 0, '' FROM generate_series(1, $ACCOUNTS) g;"
		echo "VACUUM ANALYZE tpcb.local$i;"
	done
} | kq "$COORD_PORT" postgres bench

for s in local pgfdw fed; do
	cat >"$WORK/$s.sql" <<-EOF
		\\set a random(1, $ACCOUNTS)
		\\set b random(1, $ACCOUNTS)
		\\set d random(-5000, 5000)
		BEGIN;
		UPDATE tpcb.${s}0 SET bal = bal + :d WHERE id = :a;
		UPDATE tpcb.${s}1 SET bal = bal - :d WHERE id = :b;
		END;
	EOF
done

# average latency in ms of a run; its tps after it
run() {
	local script=$1 clients=$2 opts=$3 out
	out=$(PGOPTIONS="$opts" "$PGBENCH" -n -M prepared -c "$clients" -j "$((clients < 2 ? clients : 2))" \
		-T "$SECS" -h "$DIR" -p "$COORD_PORT" -U postgres -f "$WORK/$script.sql" bench 2>&1) ||
		{ echo "$out" >&2; fed_die "pgbench failed ($script, $clients clients)"; }
	awk '/^latency average/ {lat = $4} /^tps/ {tps = $3} END {printf "%.3f %.0f", lat, tps}' <<<"$out"
}

declare -A L
declare -A P
for c in $CLIENTS; do
	fed_log "$c client(s)"
	read -r L[local.$c] P[local.$c] <<<"$(run local "$c" "")"
	read -r L[pgfdw.$c] P[pgfdw.$c] <<<"$(run pgfdw "$c" "")"
	read -r L[off.$c] P[off.$c] <<<"$(run fed "$c" "-c federate.two_phase_commit=off")"
	read -r L[on.$c] P[on.$c] <<<"$(run fed "$c" "-c federate.two_phase_commit=on")"
done
left=$(kq "${SHARD_PORTS[0]}" app app -c "SELECT count(*) FROM pg_prepared_xacts")
left=$((left + $(kq "${SHARD_PORTS[1]}" app app -c "SELECT count(*) FROM pg_prepared_xacts")))

{
	echo "federate TPC-B-like transaction over two servers, scenario A ($(date -u +%Y-%m-%dT%H:%MZ), commit $(git -C "$REPO" rev-parse --short HEAD))"
	echo "  two UPDATEs by key (shard 0 and shard 1) per transaction, $ACCOUNTS accounts per table, ${SECS}s per run, pgbench -M prepared"
	echo "  average latency in ms (tps); 2pc/1pc = federate with two_phase_commit on / off"
	echo
	printf '%-8s| %16s | %16s | %16s | %16s | %8s\n' clients local postgres_fdw "federate 1pc" "federate 2pc" 2pc/1pc
	for c in $CLIENTS; do
		printf '%-8s| %9s (%5s) | %9s (%5s) | %9s (%5s) | %9s (%5s) | %7.2fx\n' "$c" \
			"${L[local.$c]}" "${P[local.$c]}" "${L[pgfdw.$c]}" "${P[pgfdw.$c]}" \
			"${L[off.$c]}" "${P[off.$c]}" "${L[on.$c]}" "${P[on.$c]}" \
			"$(awk -v a="${L[on.$c]}" -v b="${L[off.$c]}" 'BEGIN {print a / b}')"
	done
	echo
	echo "target: two-phase commit at most 1.5x the latency of one-phase commit; prepared transactions left: $left"
} | tee "$OUT"

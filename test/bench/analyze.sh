#!/usr/bin/env bash
# Plans before and after ANALYZE: queries on the kept benchmark's 4M-row
# federated table (scenario A, fed_a) planned on the default guess (every
# foreign partition 1000 rows) and then on statistics sampled on the
# servers (ANALYZE, fdw/analyze.c).  For each query: EXPLAIN and the median
# of ANALYZE_RUNS timed runs before, then after; the answers compared.
#
#   BENCH_KEEP=1 BENCH_SCENARIOS=A bash test/bench/run.sh   (once)
#   bash test/bench/analyze.sh                               (then this)
#
# ("Kept Local" lines of the plans are left out.)  "Before" is made by forgetting fed_a's statistics (reltuples -1, no
# pg_statistic rows), as a table never analyzed has.  Writes
# test/bench/analyze-A.txt (the table and the plans).
set -euo pipefail

FED_LOG_TAG=analyze
# shellcheck source=test/bench/kept.sh
. "$(dirname "${BASH_SOURCE[0]}")/kept.sh"

RUNS=${ANALYZE_RUNS:-5}
OUT=$REPO/test/bench/analyze-A.txt

q() { kq "$COORD_PORT" postgres bench "$@"; }

# L1, L2: the federated table joined with the local copy of the same rows
# (bench_local.orders) for one tenant, the second largest (rank 2) and a
# mid-size one (rank 100).  On the default guess the tenant has 5 rows, and
# the planner loops over them with an index lookup each; with statistics
# it knows their number.  J1: the ten smallest tenants' rows, key
# shipping either way.
T2=$(q -c "SELECT tenant_id FROM bench_tenants WHERE rank = 2")
T100=$(q -c "SELECT tenant_id FROM bench_tenants WHERE rank = 100")
declare -A SQL=(
	[L1]="SELECT count(*), sum(o.revenue) FROM fed_a.orders o JOIN bench_local.orders l ON l.order_id = o.order_id AND l.tenant_id = o.tenant_id WHERE l.tenant_id = $T2 AND l.qty > 1"
	[L2]="SELECT count(*), sum(o.revenue) FROM fed_a.orders o JOIN bench_local.orders l ON l.order_id = o.order_id AND l.tenant_id = o.tenant_id WHERE l.tenant_id = $T100 AND l.qty > 1"
	[J1]="SELECT t.rank, count(*), sum(o.revenue) FROM fed_a.orders o JOIN bench_tenants t ON t.tenant_id = o.tenant_id WHERE t.rank > 990 GROUP BY t.rank ORDER BY t.rank"
)
ORDER=(L1 L2 J1)

forget() {
	q >/dev/null <<-'EOF'
		UPDATE pg_class SET reltuples = -1, relpages = 0
		 WHERE oid IN (SELECT inhrelid FROM pg_inherits WHERE inhparent = 'fed_a.orders'::regclass
		               UNION SELECT 'fed_a.orders'::regclass);
		DELETE FROM pg_statistic
		 WHERE starelid IN (SELECT inhrelid FROM pg_inherits WHERE inhparent = 'fed_a.orders'::regclass
		                    UNION SELECT 'fed_a.orders'::regclass);
	EOF
}

med() { sort -n | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

# median ms of RUNS runs of $1 after a warm-up
timed() {
	local script="\\timing on"$'\n'"$1;"
	for _ in $(seq "$RUNS"); do script+=$'\n'"$1;"; done
	q <<<"$script" | grep -o '^Time: [0-9.]*' | awk 'NR > 1 {print $2}' | med
}

declare -A BEFORE AFTER ANS_B ANS_A PLAN_B PLAN_A
forget
for id in "${ORDER[@]}"; do
	fed_log "$id before ANALYZE"
	PLAN_B[$id]=$(q -c "EXPLAIN ${SQL[$id]}" | grep -v "Kept Local")
	BEFORE[$id]=$(timed "${SQL[$id]}")
	ANS_B[$id]=$(q -c "${SQL[$id]}")
done

fed_log "ANALYZE fed_a.orders"
t0=$(date +%s.%N)
q -c "ANALYZE fed_a.orders" >/dev/null
t1=$(date +%s.%N)
analyze_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
rows=$(q -c "SELECT reltuples::bigint FROM pg_class WHERE oid = 'fed_a.orders'::regclass")

for id in "${ORDER[@]}"; do
	fed_log "$id after ANALYZE"
	PLAN_A[$id]=$(q -c "EXPLAIN ${SQL[$id]}" | grep -v "Kept Local")
	AFTER[$id]=$(timed "${SQL[$id]}")
	ANS_A[$id]=$(q -c "${SQL[$id]}")
done

{
	echo "federate ANALYZE, scenario A: fed_a.orders, 4 PostgreSQL shards; $(date -u +%Y-%m-%dT%H:%MZ), commit $(git -C "$REPO" rev-parse --short HEAD)"
	echo "  ANALYZE fed_a.orders took ${analyze_s} s (reltuples after: $rows); median of $RUNS runs after a warm-up, psql \\timing (client-side ms)"
	echo
	printf '%-4s | %12s | %11s | %8s | %s\n' query "before ms" "after ms" before/after answers
	echo "-----+--------------+-------------+----------+--------"
	for id in "${ORDER[@]}"; do
		ans=same
		[ "${ANS_B[$id]}" = "${ANS_A[$id]}" ] || ans=DIFFERENT
		printf '%-4s | %12.1f | %11.1f | %7.2fx | %s\n' "$id" "${BEFORE[$id]}" "${AFTER[$id]}" \
			"$(awk -v a="${BEFORE[$id]}" -v b="${AFTER[$id]}" 'BEGIN { print a / b }')" "$ans"
	done
	for id in "${ORDER[@]}"; do
		echo
		echo "$id: ${SQL[$id]}"
		echo "-- before ANALYZE:"
		echo "${PLAN_B[$id]}"
		echo "-- after ANALYZE:"
		echo "${PLAN_A[$id]}"
	done
} | tee "$OUT"
fed_log "written to $OUT"

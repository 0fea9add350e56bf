# Sourced by the by-hand benchmarks that run on the servers a kept
# benchmark left (test/bench/throughput.sh, layout.sh): the environment,
# the ports, a check that scenario A's tables are there, and a restart of
# the coordinator (federate.so may have been reinstalled since it started).
# Set FED_LOG_TAG before sourcing.
#
# Defines REPO, DIR, PORT_BASE, COORD_PORT, SHARD_PORTS, PSQL and
# kq PORT USER DB [PSQL ARGS]: psql over the Unix socket, stop at errors.

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
REPO=$(pwd)
# shellcheck source=test/lib.sh
. "$REPO/test/lib.sh"

export LANG=C.UTF-8 LC_ALL=C.UTF-8 PAGER=
unset PGHOST PGHOSTADDR PGPORT PGUSER PGDATABASE PGOPTIONS PGPASSWORD

DIR=${BENCH_DIR:-/tmp/federate-bench}
DIR=${DIR%/}
PORT_BASE=${BENCH_PORT:-56400}
COORD_PORT=$PORT_BASE
SHARD_PORTS=($((PORT_BASE + 1)) $((PORT_BASE + 2)) $((PORT_BASE + 3)) $((PORT_BASE + 4)))
PSQL=$FED_PG_BINDIR/psql

kq() { "$PSQL" -X -q -At -v ON_ERROR_STOP=1 -h "$DIR" -p "$1" -U "$2" -d "$3" "${@:4}"; }

[ -f "$DIR/.federate-bench" ] && [ -f "$DIR/shard3/postmaster.pid" ] ||
	fed_die "no kept scenario-A benchmark in $DIR: run BENCH_KEEP=1 BENCH_SCENARIOS=A BENCH_QUERIES=Q4 BENCH_RUNS=1 bash test/bench/run.sh first"

fed_log "restarting the coordinator (loads the installed federate.so)"
fed_as_user pg_ctl -D "$DIR/coord" -l "$DIR/coord.log" -m fast -w -t 120 restart >/dev/null ||
	fed_die "the coordinator did not restart"

[ "$(kq "$COORD_PORT" postgres bench -c "SELECT count(*) FROM pg_namespace WHERE nspname IN ('fed_a', 'pgfdw_a')")" = 2 ] ||
	fed_die "the kept benchmark has no scenario A tables (the last run.sh was another scenario): run BENCH_KEEP=1 BENCH_SCENARIOS=A BENCH_QUERIES=Q4 BENCH_RUNS=1 bash test/bench/run.sh"

#!/usr/bin/env bash
# Builds and installs federate, then runs the pg_regress suite and the TAP
# suite against a throwaway MariaDB.  This is what `make test` runs (after
# test/install_deps.sh).
#
# Run it as root (CI, or a dev machine): the build and install run as root;
# servers and tests run as the unprivileged user $FED_OS_USER (default
# postgres) in a scratch copy of the tree under /tmp, because initdb refuses
# to run as root.  Run as another user it does everything as that user (the
# install then needs write access to the PostgreSQL directories).
#
# Environment knobs:
#   FED_TESTS="scan_pg errors"       run only these pg_regress tests
#   FED_TAP="test/t/010_restart.pl"  run only these TAP files
#   FED_SKIP_REGRESS=1 / FED_SKIP_TAP=1   skip a part
#   FED_PROVE_FLAGS=--verbose        extra prove flags
#   FED_KEEP=1                       keep the scratch dir even on success
#   FED_SCRATCH_BASE=/tmp            where the scratch dir is made (the test
#                                    user must be able to reach it)
#   FED_ALLOW_WARNINGS=1             do not fail the run on compiler warnings
#   FED_SKIP_BUILD=1                 test the federate already installed
#   FED_REGRESS_TIMEOUT / FED_TAP_TIMEOUT  seconds (default 1200 / 2400)
#   FED_PG_CONFIG=/opt/pg15-cassert/bin/pg_config   build, install and test
#                                    against that PostgreSQL 15 (e.g. one built
#                                    with --enable-cassert) instead of the
#                                    default /usr/lib/postgresql/15
#
# The tests receive FED_MYSQL_HOST, FED_MYSQL_PORT, FED_MYSQL_USER,
# FED_MYSQL_PASSWORD, FED_MYSQL_SOCKET, FED_MYSQL_BIN (client binaries) and
# FED_MYSQLD (server binary) for a MariaDB that test/fixtures/mariadb.sql
# has been loaded into, and FED_REGRESS_PORT.
#
# The last line printed is "total: N passed, N failed" (pg_regress tests plus
# TAP files).  The exit status is non-zero if anything failed or nothing ran.
set -uo pipefail

# Another PostgreSQL: make (PG_CONFIG ?=) and test/lib.sh (PATH, bindir)
# follow PG_CONFIG; pg_regress, prove's perl modules and the servers the
# tests start then come from that installation.
if [ -n "${FED_PG_CONFIG:-}" ]; then
	PG_CONFIG=$(readlink -f "$FED_PG_CONFIG") && [ -x "$PG_CONFIG" ] \
		&& FED_PG_BINDIR=$("$PG_CONFIG" --bindir) || {
		echo "run_tests: FED_PG_CONFIG=$FED_PG_CONFIG is not a working pg_config" >&2; exit 1; }
	export PG_CONFIG FED_PG_BINDIR
fi

cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1
REPO=$(pwd)
FED_LOG_TAG=run_tests
# shellcheck source=test/lib.sh
. "$REPO/test/lib.sh"

# Deterministic locale and no stray connection settings from the caller.
export LANG=C.UTF-8 LC_ALL=C.UTF-8
unset LANGUAGE PGHOST PGHOSTADDR PGPORT PGUSER PGDATABASE PGSERVICE PGSERVICEFILE \
	PGPASSWORD PGPASSFILE PGOPTIONS PGDATA PGSSLMODE PGTZ PGDATESTYLE

PASSED=0 FAILED=0 BUILD_WARNINGS=0 INFRA_ERROR=0 KEEP=${FED_KEEP:-0}
SCRATCH="" MDIR="" MARIADB_STARTED=0 CHILD=""

# run_logged OUT SECONDS CMD... : run CMD as the test user with a time
# limit, its output shown and saved to OUT.  It runs in the background so
# that an interrupt can stop it (timeout puts it in its own process group,
# out of reach of the terminal's ^C).
run_logged() {
	local out=$1 secs=$2 rc tailpid
	shift 2
	: >"$out"
	"${FED_AS_USER[@]}" timeout -k 30 "$secs" "$@" </dev/null >"$out" 2>&1 &
	CHILD=$!
	tail -n +1 -f --pid="$CHILD" "$out" &
	tailpid=$!
	wait "$CHILD"
	rc=$?
	CHILD=""
	wait "$tailpid"
	[ "$rc" -eq 124 ] && fed_log "timed out after ${secs}s: $*"
	return "$rc"
}

cleanup() {
	local rc=$? final
	trap - EXIT INT TERM
	if [ -n "$CHILD" ] && kill -0 "$CHILD" 2>/dev/null; then
		kill -TERM "$CHILD" 2>/dev/null
		wait "$CHILD" 2>/dev/null
	fi
	# Keep what there is to look at when the run broke down.
	[ "$rc" -ne 0 ] && [ "$rc" -ne 130 ] && KEEP=1
	if [ "$MARIADB_STARTED" = 1 ]; then fed_mariadb_stop "$MDIR" "${FED_MARIADB_PID:-}"; fi
	if [ -n "$SCRATCH" ]; then
		fed_kill_leftovers "$SCRATCH"
		if [ "$KEEP" = 1 ]; then
			fed_log "kept the scratch dir for inspection: $SCRATCH"
			fed_log "  (src/regression.diffs, src/results, src/log: pg_regress; src/tmp_check/log: TAP; mariadb/mariadbd.err)"
			fed_log "  remove it with: rm -rf $SCRATCH"
		else
			rm -rf "$SCRATCH"
		fi
	fi
	final=0
	if [ "$rc" -ne 0 ] || [ "$FAILED" -gt 0 ] || [ "$INFRA_ERROR" -ne 0 ] \
		|| [ $((PASSED + FAILED)) -eq 0 ]; then
		final=1
	fi
	if [ "$BUILD_WARNINGS" -gt 0 ] && [ "${FED_ALLOW_WARNINGS:-0}" != 1 ]; then
		fed_log "failing: the build produced $BUILD_WARNINGS warning(s) (FED_ALLOW_WARNINGS=1 to accept)"
		final=1
	fi
	[ $((PASSED + FAILED)) -eq 0 ] && fed_log "no test ran"
	echo
	echo "total: $PASSED passed, $FAILED failed"
	exit "$final"
}
trap cleanup EXIT
trap 'fed_log "interrupted"; exit 130' INT TERM

# ---------------------------------------------------------------- build ---
if [ "${FED_SKIP_BUILD:-0}" = 1 ]; then
	fed_log "FED_SKIP_BUILD=1: testing the federate that is already installed"
else
	fed_log "building federate"
	if [ -n "${FED_PG_CONFIG:-}" ]; then
		# From a clean copy: the tree's objects were compiled against the
		# default server's headers (no USE_ASSERT_CHECKING), and another
		# build may be running in it.
		BUILD_DIR=$(mktemp -d /tmp/federate-build-dir.XXXXXX)
		tar -C "$REPO" --exclude=./.git --exclude=tmp_check --exclude=./results --exclude=./log \
			--exclude='*.o' --exclude='*.so' --exclude='*.bc' -cf - . | tar -C "$BUILD_DIR" -xf - \
			&& cd "$BUILD_DIR" || { fed_log "could not copy the tree to $BUILD_DIR"; INFRA_ERROR=1; exit 1; }
		fed_log "against $PG_CONFIG, in $BUILD_DIR"
	fi
	BUILD_LOG=$(mktemp /tmp/federate-build.XXXXXX)
	make -s </dev/null 2>&1 | tee "$BUILD_LOG"
	build_rc=${PIPESTATUS[0]}
	BUILD_WARNINGS=$(grep -c 'warning:' "$BUILD_LOG" || true)
	rm -f "$BUILD_LOG"
	if [ "$build_rc" -ne 0 ]; then
		fed_log "build failed"
		INFRA_ERROR=1
		exit 1
	fi
	[ "$BUILD_WARNINGS" -gt 0 ] && fed_log "the build printed $BUILD_WARNINGS warning(s)"
	fed_log "installing federate"
	if ! make -s install </dev/null; then
		fed_log "make install failed"
		INFRA_ERROR=1
		exit 1
	fi
	if [ -n "${FED_PG_CONFIG:-}" ]; then cd "$REPO" && rm -rf "$BUILD_DIR"; fi
fi

# -------------------------------------------------------- scratch copy ---
mkdir -p "${FED_SCRATCH_BASE:-/tmp}"
SCRATCH=$(mktemp -d "${FED_SCRATCH_BASE:-/tmp}/federate-test.XXXXXX")
chmod 755 "$SCRATCH"
SRC=$SCRATCH/src
MDIR=$SCRATCH/mariadb
mkdir -p "$SRC"
tar -C "$REPO" --exclude=./.git --exclude=tmp_check --exclude=./results --exclude=./log \
	--exclude='*.o' --exclude='*.so' --exclude='*.bc' --exclude=./regression.diffs \
	--exclude=./regression.out -cf - . | tar -C "$SRC" -xf - || {
	fed_log "could not copy the tree to $SRC"; INFRA_ERROR=1; exit 1; }
[ "$(id -u)" -eq 0 ] && chown -R "$FED_OS_USER:" "$SCRATCH"
fed_log "running tests as $FED_OS_USER in $SRC"

# ------------------------------------------------------------- MariaDB ---
fed_free_port MYSQL_PORT
fed_log "starting MariaDB on 127.0.0.1:$MYSQL_PORT ($MDIR)"
MARIADB_STARTED=1
fed_mariadb_start "$MDIR" "$MYSQL_PORT"
if [ -f "$SRC/test/fixtures/mariadb.sql" ]; then
	# From the tree's root, so that its "source test/fixtures/..." lines work.
	fed_log "loading test/fixtures/mariadb.sql"
	if ! (cd "$SRC" && fed_mariadb_sql "$MDIR" <test/fixtures/mariadb.sql); then
		fed_log "loading test/fixtures/mariadb.sql failed"
		INFRA_ERROR=1
		exit 1
	fi
fi

export FED_MYSQL_HOST=127.0.0.1 FED_MYSQL_PORT=$MYSQL_PORT
export FED_MYSQL_USER=${FED_MYSQL_USER:-fed} FED_MYSQL_PASSWORD=${FED_MYSQL_PASSWORD:-fed_secret}
export FED_MYSQL_SOCKET=$MDIR/sock
FED_MYSQL_BIN=$(dirname "$MARIADB_CLIENT")
FED_MYSQLD=$MARIADBD
export FED_MYSQL_BIN FED_MYSQLD

# ----------------------------------------------------------- pg_regress ---
if [ "${FED_SKIP_REGRESS:-0}" != 1 ]; then
	fed_free_port FED_REGRESS_PORT
	export FED_REGRESS_PORT
	args=(regresscheck "FED_REGRESS_PORT=$FED_REGRESS_PORT")
	[ -n "${FED_TESTS:-}" ] && args+=("REGRESS=$FED_TESTS")
	fed_log "pg_regress on port $FED_REGRESS_PORT${FED_TESTS:+ (only: $FED_TESTS)}"
	run_logged "$SCRATCH/regress.out" "${FED_REGRESS_TIMEOUT:-1200}" make -C "$SRC" "${args[@]}"
	regress_rc=$?
	out=$SCRATCH/regress.out
	if n=$(sed -n 's/^ *All \([0-9][0-9]*\) tests passed\..*/\1/p' "$out" | tail -n 1) && [ -n "$n" ]; then
		rp=$n rf=0
	elif l=$(grep -E '^ *[0-9]+ of [0-9]+ tests passed, [0-9]+ failed test\(s\) ignored' "$out" | tail -n 1) && [ -n "$l" ]; then
		read -r _m _of n _rest <<<"$l"
		rp=$n rf=0
	elif l=$(grep -E '^ *[0-9]+ of [0-9]+ tests failed' "$out" | tail -n 1) && [ -n "$l" ]; then
		read -r m _of n _rest <<<"$l"
		ign=$(sed -n 's/.*, \([0-9][0-9]*\) of these failures ignored.*/\1/p' <<<"$l")
		rf=$((m - ${ign:-0})) rp=$((n - m + ${ign:-0}))
	else
		rp=0 rf=0
	fi
	if [ "$regress_rc" -ne 0 ] && [ "$rf" -eq 0 ]; then
		# pg_regress did not get to its summary (temp instance failed to
		# start, timeout, make error): count the tests it finished, and
		# one failure for the rest.
		fed_log "pg_regress exited with status $regress_rc before reporting"
		rp=$(grep -cE '\.\.\. ok( |$)' "$out" 2>/dev/null) || rp=0
		rf=$(grep -cE '\.\.\. FAILED( |$)' "$out" 2>/dev/null) || rf=0
		rf=$((rf + 1))
	fi
	if [ "$rf" -gt 0 ]; then
		KEEP=1
		if [ -s "$SRC/regression.diffs" ]; then
			echo "======== regression.diffs (first 300 lines) ========"
			head -n 300 "$SRC/regression.diffs"
			echo "======== end of regression.diffs ($SRC/regression.diffs) ========"
		fi
		fed_log "server log: $SRC/log/postmaster.log"
	fi
	fed_log "pg_regress: $rp passed, $rf failed"
	PASSED=$((PASSED + rp)) FAILED=$((FAILED + rf))
fi

# ------------------------------------------------------------------ TAP ---
if [ "${FED_SKIP_TAP:-0}" != 1 ]; then
	if [ -n "${FED_TAP:-}" ]; then
		tap_tests=$FED_TAP
	else
		tap_tests=$(cd "$SRC" && ls test/t/*.pl 2>/dev/null | tr '\n' ' ')
	fi
	if [ -z "${tap_tests// /}" ]; then
		fed_log "no TAP tests in test/t"
	else
		args=(tapcheck "PROVE_TESTS=$tap_tests")
		[ -n "${FED_PROVE_FLAGS:-}" ] && args+=("PROVE_FLAGS=$FED_PROVE_FLAGS")
		fed_log "TAP: $tap_tests"
		run_logged "$SCRATCH/tap.out" "${FED_TAP_TIMEOUT:-2400}" make -C "$SRC" "${args[@]}"
		tap_rc=$?
		# Files=N from prove's summary; failed files are those in the
		# "Test Summary Report" with a non-zero wait status, failed tests or
		# parse errors (files listed only for passing TODOs do not count).
		read -r tp tf < <(perl -ne '
			if (/^Test Summary Report/) { $in = 1; next }
			if (/^Files=(\d+),/) { $files = $1; $in = 0; next }
			next unless $in;
			if (/^(\S.*?) \(Wstat: (\d+).*Failed: (\d+)\)/) {
				$cur = $1; $bad{$cur} = 1 if $2 != 0 || $3 != 0; next }
			$bad{$cur} = 1 if defined $cur && /^\s+Parse errors:/;
			END { my $f = scalar keys %bad; $files //= 0;
			      printf "%d %d\n", $files - $f, $f }' "$SCRATCH/tap.out")
		if [ "$tap_rc" -ne 0 ] && [ "$tf" -eq 0 ]; then
			# No summary (timeout, make error): count the files that
			# finished, and one failure for the rest.
			fed_log "prove exited with status $tap_rc before reporting a failed file"
			tp=$(grep -cE '^[^ ]+\.pl \.\.+ (ok|skipped)' "$SCRATCH/tap.out" 2>/dev/null) || tp=0
			tf=$(grep -c '^Dubious, test returned' "$SCRATCH/tap.out" 2>/dev/null) || tf=0
			tf=$((tf + 1))
		fi
		if [ "$tf" -gt 0 ]; then
			KEEP=1
			fed_log "TAP logs: $SRC/tmp_check/log/"
		fi
		fed_log "TAP: $tp files passed, $tf failed"
		PASSED=$((PASSED + tp)) FAILED=$((FAILED + tf))
	fi
fi

exit 0

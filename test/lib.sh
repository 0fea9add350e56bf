# Shell helpers shared by test/run_tests.sh and test/demo.sh.  Source it; don't run it.
#
# Servers never run as root (initdb refuses to): when the caller is root they
# run as $FED_OS_USER (default postgres), otherwise as the caller.

FED_PG_BINDIR=${FED_PG_BINDIR:-$(${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config} --bindir 2>/dev/null || echo /usr/lib/postgresql/15/bin)}
# PATH for the unprivileged user: root's PATH may name dirs it cannot read.
FED_SAFE_PATH="$FED_PG_BINDIR:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
if [ "$(id -u)" -eq 0 ]; then
	FED_OS_USER=${FED_OS_USER:-postgres}
else
	FED_OS_USER=$(id -un)
fi

fed_log() { printf '%s: %s\n' "${FED_LOG_TAG:-federate}" "$*" >&2; }
fed_die() { fed_log "error: $*"; exit 1; }

# "${FED_AS_USER[@]}" CMD... runs CMD as $FED_OS_USER with the current
# environment and a PATH that user can use.  Being a plain command (not a
# function), "${FED_AS_USER[@]}" CMD & gives in $! a pid that a signal
# can stop: runuser passes SIGTERM on to CMD.
if [ "$(id -u)" -eq 0 ] && [ "$FED_OS_USER" != root ]; then
	FED_AS_USER=(runuser -u "$FED_OS_USER" -- env PATH="$FED_SAFE_PATH")
else
	FED_AS_USER=(env PATH="$FED_SAFE_PATH:$PATH")
fi

# fed_as_user CMD... : the same, in the foreground, with no stdin.
fed_as_user() {
	"${FED_AS_USER[@]}" "$@" </dev/null
}

# fed_mkdir_user DIR... : create directories owned by $FED_OS_USER.
fed_mkdir_user() {
	mkdir -p "$@"
	if [ "$(id -u)" -eq 0 ]; then chown "$FED_OS_USER:" "$@"; fi
}

# fed_free_port VAR : set VAR to a TCP port that nothing on 127.0.0.1 is
# bound to and that this shell has not handed out before (it is not run in
# $(...), so that the list of handed-out ports survives).  Range
# 15000-32767 stays below Linux's ephemeral range, so outgoing connections
# do not take the port meanwhile.
FED_USED_PORTS=" "
fed_free_port() {
	local p i
	for i in $(seq 1 200); do
		p=$((15000 + RANDOM % 17000))
		case "$FED_USED_PORTS" in *" $p "*) continue ;; esac
		if perl -MIO::Socket::INET -e '
			my $s = IO::Socket::INET->new(LocalAddr => "127.0.0.1", LocalPort => $ARGV[0],
			                              Proto => "tcp", Listen => 1, ReuseAddr => 0);
			exit($s ? 0 : 1);' "$p" 2>/dev/null; then
			FED_USED_PORTS="$FED_USED_PORTS$p "
			printf -v "$1" '%s' "$p"
			return 0
		fi
	done
	fed_die "no free TCP port found"
}

# MariaDB binaries.  The server lives in /usr/sbin on Debian, the clients in /usr/bin.
fed_find_bin() {
	local name d
	for name in "$@"; do
		for d in ${FED_MYSQL_BIN:+"$FED_MYSQL_BIN"} /usr/sbin /usr/bin /usr/local/mysql/bin /usr/local/bin /usr/libexec; do
			if [ -x "$d/$name" ]; then echo "$d/$name"; return 0; fi
		done
		if command -v "$name" >/dev/null 2>&1; then command -v "$name"; return 0; fi
	done
	return 1
}
fed_mariadb_find_bins() {
	MARIADBD=$(fed_find_bin mariadbd mysqld) || fed_die "mariadbd not found (install mariadb-server)"
	MARIADB_INSTALL_DB=$(fed_find_bin mariadb-install-db mysql_install_db) || fed_die "mariadb-install-db not found"
	MARIADB_CLIENT=$(fed_find_bin mariadb mysql) || fed_die "mariadb client not found (install mariadb-client)"
	MARIADB_ADMIN=$(fed_find_bin mariadb-admin mysqladmin) || fed_die "mariadb-admin not found"
}

# Server options that keep a throwaway MariaDB small, fast and deterministic.
FED_MARIADB_OPTS=(
	--skip-log-bin
	--skip-name-resolve
	--character-set-server=utf8mb4
	--default-time-zone=+00:00
	--max-connections=100
	--innodb-buffer-pool-size=32M
	--innodb-log-file-size=16M
	--innodb-log-buffer-size=4M
	--innodb-flush-log-at-trx-commit=2   # commits reach the OS at once: they survive kill -9, not a power cut
	--innodb-doublewrite=0
	--innodb-use-native-aio=0
	--key-buffer-size=1M
	--performance-schema=OFF
	--table-open-cache=200
)

# fed_mariadb_start DIR PORT : initialise DIR (datadir; socket DIR/sock,
# pid file DIR/mariadbd.pid, log DIR/mariadbd.err) if needed, then start
# mariadbd as $FED_OS_USER listening on 127.0.0.1:PORT and wait (bounded)
# until it answers.  Creates user fed/fed_secret (or FED_MYSQL_USER/PASSWORD).
fed_mariadb_start() {
	local dir=$1 port=$2 wait=${FED_MARIADB_START_TIMEOUT:-60}
	fed_mariadb_find_bins
	fed_mkdir_user "$dir"
	if [ ! -d "$dir/mysql" ]; then
		if ! fed_as_user "$MARIADB_INSTALL_DB" --no-defaults --datadir="$dir" \
			--auth-root-authentication-method=normal --skip-test-db \
			--innodb-log-file-size=16M --innodb-use-native-aio=0 \
			>"$dir.install.log" 2>&1; then
			cat "$dir.install.log" >&2
			fed_die "mariadb-install-db failed in $dir"
		fi
	fi
	# In the background; stopped through its socket or pid file, never by name.
	"${FED_AS_USER[@]}" "$MARIADBD" --no-defaults --datadir="$dir" --socket="$dir/sock" \
		--port="$port" --bind-address=127.0.0.1 --pid-file="$dir/mariadbd.pid" \
		--log-error="$dir/mariadbd.err" "${FED_MARIADB_OPTS[@]}" \
		</dev/null >/dev/null 2>&1 &
	if ! timeout "$wait" bash -c '
		until "$0" --no-defaults --socket="$1/sock" -uroot --connect-timeout=2 status >/dev/null 2>&1; do
			sleep 0.2
		done' "$MARIADB_ADMIN" "$dir"; then
		tail -n 40 "$dir/mariadbd.err" >&2 2>/dev/null || true
		fed_mariadb_stop "$dir"
		fed_die "MariaDB in $dir did not come up within ${wait}s"
	fi
	# Remembered, so that fed_mariadb_stop can end it even if its files go.
	FED_MARIADB_PID=$(tr -dc 0-9 <"$dir/mariadbd.pid" 2>/dev/null || true)
	fed_mariadb_sql "$dir" <<-EOF
		CREATE USER IF NOT EXISTS '${FED_MYSQL_USER:-fed}'@'%' IDENTIFIED BY '${FED_MYSQL_PASSWORD:-fed_secret}';
		CREATE USER IF NOT EXISTS '${FED_MYSQL_USER:-fed}'@'localhost' IDENTIFIED BY '${FED_MYSQL_PASSWORD:-fed_secret}';
		GRANT ALL PRIVILEGES ON *.* TO '${FED_MYSQL_USER:-fed}'@'%';
		GRANT ALL PRIVILEGES ON *.* TO '${FED_MYSQL_USER:-fed}'@'localhost';
	EOF
}

# fed_mariadb_sql DIR [DB] < SQL : run SQL as MariaDB root over the socket.
fed_mariadb_sql() {
	local dir=$1 db=${2:-}
	[ -n "${MARIADB_CLIENT:-}" ] || fed_mariadb_find_bins
	"$MARIADB_CLIENT" --no-defaults --socket="$dir/sock" -uroot --default-character-set=utf8mb4 \
		--batch --skip-column-names ${db:+"$db"}
}

# fed_pid_is PID WORD : PID is alive and its command line mentions WORD
# (guards against killing a process that reused a stale pid).
fed_pid_is() {
	kill -0 "$1" 2>/dev/null && grep -qa -- "$2" "/proc/$1/cmdline" 2>/dev/null
}

# fed_mariadb_stop DIR [PID] : shut the server in DIR down (bounded), then
# make sure its process (from DIR/mariadbd.pid, else PID) is gone.  Safe to
# call when it is not running.
fed_mariadb_stop() {
	local dir=$1 pid=${2:-} i
	[ -n "${MARIADB_ADMIN:-}" ] || fed_mariadb_find_bins
	if [ -f "$dir/mariadbd.pid" ]; then
		pid=$(tr -dc 0-9 <"$dir/mariadbd.pid" 2>/dev/null || true)
	fi
	if [ -S "$dir/sock" ]; then
		timeout 30 "$MARIADB_ADMIN" --no-defaults --socket="$dir/sock" -uroot \
			--connect-timeout=2 shutdown >/dev/null 2>&1 || true
	elif [ -n "$pid" ] && fed_pid_is "$pid" 'mysqld\|mariadbd'; then
		kill -TERM "$pid" 2>/dev/null || true
	fi
	if [ -n "$pid" ] && fed_pid_is "$pid" 'mysqld\|mariadbd'; then
		for i in $(seq 1 150); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.2
		done
		if kill -0 "$pid" 2>/dev/null; then
			fed_log "MariaDB $pid did not stop; killing it"
			kill -9 "$pid" 2>/dev/null || true
		fi
	fi
	rm -f "$dir/mariadbd.pid"
}

# fed_kill_leftovers DIR : stop every PostgreSQL or MariaDB server whose
# pid file lies under DIR (servers a test started and did not stop, for
# example because prove was killed by a timeout).
fed_kill_leftovers() {
	local dir=$1 f pid
	[ -d "$dir" ] || return 0
	while IFS= read -r f; do
		pid=$(head -n 1 "$f" 2>/dev/null | tr -dc 0-9)
		[ -n "$pid" ] || continue
		case "$f" in
		*/postmaster.pid)
			fed_pid_is "$pid" postgres || continue
			fed_log "stopping leftover PostgreSQL $pid (${f%/postmaster.pid})"
			kill -QUIT "$pid" 2>/dev/null || true ;;
		*)
			fed_pid_is "$pid" 'mysqld\|mariadbd' || continue
			fed_log "stopping leftover MariaDB $pid ($f)"
			kill -TERM "$pid" 2>/dev/null || true ;;
		esac
		for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
		kill -9 "$pid" 2>/dev/null || true
	done < <(find "$dir" \( -name postmaster.pid -o -name 'mariadbd*.pid' \) -type f 2>/dev/null)
}

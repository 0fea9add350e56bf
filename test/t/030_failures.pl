# Failure handling of the Federate Scan, against real servers: a sharded
# table with one partition on each of two PostgreSQL clusters and one on a
# MariaDB server (and a PostgreSQL cluster holding a copy of the second
# shard, for replica fallback).  Every answer is compared with the same
# query on a local table holding the same rows (restricted to the surviving
# shards' rows when a shard is missing).
#
#   1. a shard stopped before a query (both engines): strict mode names the
#      server, partial mode returns the surviving shards' rows with a
#      "shard coverage" NOTICE; a replica answers for a stopped primary;
#   2. a shard stopped in the middle of a query (both engines);
#   3. a shard slower than federate.statement_timeout (GUC and server
#      option; both engines): the error or NOTICE says timeout and the
#      statement is gone from the shard;
#   4. the circuit breaker: opens after circuit_failure_threshold failures,
#      fails fast while open, lets one probe through after the cool-down,
#      closes when the shard answers again, reset_circuit();
#   5. a cancel (statement_timeout, pg_cancel_backend) reaches every shard
#      of both engines; remote statements carry /* federate pid=... */ and
#      application_name 'federate pid=...';
#   and along the way federate.last_coverage(), federate.server_stats,
#   federate.dispatch_log, federate.circuit_breakers and
#   federate.require_shard_key.
use strict;
use warnings;

use IO::Select;
use IO::Socket::INET;
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time sleep);

use FederateTest::MariaDB;
use FederateTest::Session;

my $test_start = time;

# --- servers ----------------------------------------------------------------
my $coord = PostgreSQL::Test::Cluster->new('coord');
$coord->init;
$coord->append_conf('postgresql.conf', "shared_preload_libraries = 'federate'");
$coord->start;

# Each PostgreSQL shard holds its rows in "sales" and is read through the
# view "sales_nap", which first sleeps for nap.secs seconds (0 normally):
# updating nap slows a shard down.  OFFSET 0 keeps the subquery (and its
# volatile pg_sleep) from being flattened away, also for count(*).
# The shards listen on 127.0.0.1 too, and federate reaches them over TCP, so
# that a stopped shard refuses connections as a remote host would.
my $shard_sql = q{
	CREATE TABLE sales (id int PRIMARY KEY, k int NOT NULL, v numeric(12,2), t text);
	CREATE TABLE nap (secs float8 NOT NULL);
	INSERT INTO nap VALUES (0);
	CREATE VIEW sales_nap AS
	  SELECT s.id, s.k, s.v, s.t
	  FROM sales s, (SELECT pg_sleep(secs) AS z FROM nap OFFSET 0) n;
	CREATE VIEW nap_lo AS SELECT * FROM sales_nap WHERE id < 151;
	CREATE VIEW nap_hi AS SELECT * FROM sales_nap WHERE id >= 151;
};
my %pg;
for my $name (qw(shard1 shard2 replica2))
{
	my $n = PostgreSQL::Test::Cluster->new($name);
	$n->init;
	$n->append_conf('postgresql.conf', "listen_addresses = '127.0.0.1'");
	$n->start;
	$n->safe_psql('postgres', $shard_sql);
	$pg{$name} = $n;
}

my $m = FederateTest::MariaDB->new(name => 'm1');
$m->start;
# TEMPTABLE: the view is computed whole, so the sleep runs (once: the
# derived table has one row) whatever the outer query reads.
$m->sql(q{
	CREATE DATABASE app;
	CREATE TABLE app.sales (id int PRIMARY KEY, k int NOT NULL, v decimal(12,2), t varchar(20));
	CREATE TABLE app.nap (secs double NOT NULL);
	INSERT INTO app.nap VALUES (0);
	CREATE ALGORITHM=TEMPTABLE VIEW app.sales_nap AS
	  SELECT s.id, s.k, s.v, s.t FROM app.sales s
	  JOIN (SELECT SLEEP(secs) AS z FROM app.nap) n ON n.z = 0;
});

my $setup = "CREATE EXTENSION federate;\n";
for my $srv ([ 's1', 'shard1' ], [ 's2', 'shard2' ], [ 's2r', 'replica2' ])
{
	my ($name, $node) = @$srv;
	$setup .= sprintf(qq{
		CREATE SERVER $name FOREIGN DATA WRAPPER federate
		  OPTIONS (host '127.0.0.1', port '%s', dbname 'postgres');
		CREATE USER MAPPING FOR CURRENT_USER SERVER $name;
		CREATE FOREIGN TABLE load_$name (id int, k int, v numeric(12,2), t text)
		  SERVER $name OPTIONS (schema_name 'public', table_name 'sales');
	}, $pg{$node}->port);
}
$setup .= sprintf(qq{
	CREATE SERVER m1 FOREIGN DATA WRAPPER federate OPTIONS (%s, dbname 'app');
	CREATE USER MAPPING FOR CURRENT_USER SERVER m1 OPTIONS (%s);
	CREATE FOREIGN TABLE load_m1 (id int, k int, v numeric(12,2), t text)
	  SERVER m1 OPTIONS (table_name 'sales');
}, $m->server_options, $m->user_mapping_options);
$setup .= q{
	CREATE TABLE sales (id int, k int, v numeric(12,2), t text) PARTITION BY LIST (k);
	CREATE FOREIGN TABLE sales_1 PARTITION OF sales FOR VALUES IN (1)
	  SERVER s1 OPTIONS (schema_name 'public', table_name 'sales_nap');
	CREATE FOREIGN TABLE sales_2 PARTITION OF sales FOR VALUES IN (2)
	  SERVER s2 OPTIONS (schema_name 'public', table_name 'sales_nap');
	CREATE FOREIGN TABLE sales_3 PARTITION OF sales FOR VALUES IN (3)
	  SERVER m1 OPTIONS (table_name 'sales_nap');

	-- two partitions on one server, read with one statement
	CREATE TABLE pairs (id int, k int, v numeric(12,2), t text) PARTITION BY RANGE (id);
	CREATE FOREIGN TABLE pairs_lo PARTITION OF pairs FOR VALUES FROM (MINVALUE) TO (151)
	  SERVER s2 OPTIONS (schema_name 'public', table_name 'nap_lo');
	CREATE FOREIGN TABLE pairs_hi PARTITION OF pairs FOR VALUES FROM (151) TO (MAXVALUE)
	  SERVER s2 OPTIONS (schema_name 'public', table_name 'nap_hi');

	CREATE TABLE sales_local (id int, k int, v numeric(12,2), t text);
	INSERT INTO sales_local
	SELECT g, g % 3 + 1,
	       CASE WHEN g % 11 = 0 THEN NULL ELSE ((g * 37) % 1000 - 300) / 4.0 END,
	       CASE WHEN g % 13 = 0 THEN NULL ELSE 'r' || (g % 7) END
	FROM generate_series(1, 300) g;
	INSERT INTO load_s1 SELECT * FROM sales_local WHERE k = 1;
	INSERT INTO load_s2 SELECT * FROM sales_local WHERE k = 2;
	INSERT INTO load_s2r SELECT * FROM sales_local WHERE k = 2;
	INSERT INTO load_m1 SELECT * FROM sales_local WHERE k = 3;
};
$coord->safe_psql('postgres', $setup);

is($pg{shard1}->safe_psql('postgres', 'SELECT count(*) FROM sales'), '100', 'shard1 holds k = 1');
is($pg{shard2}->safe_psql('postgres', 'SELECT count(*) FROM sales'), '100', 'shard2 holds k = 2');
is($pg{replica2}->safe_psql('postgres', 'SELECT count(*) FROM sales'), '100',
	'the replica of shard2 holds k = 2');
is($m->sql('SELECT count(*) FROM app.sales'), '100', 'MariaDB holds k = 3');

# --- helpers ------------------------------------------------------------------

# A long-lived coordinator session (FederateTest::Session).  send_s
# starts SQL without waiting, wait_s waits for it and returns (stdout,
# stderr) of just that SQL; $s->{elapsed} is the time from send to answer.
sub new_session { return FederateTest::Session->new($coord->connstr('postgres')); }
sub send_s { my ($s, $sql) = @_; return $s->send($sql); }
sub wait_s { my ($s) = @_; return $s->wait; }
sub run_s { my ($s, $sql) = @_; return $s->run($sql); }

# The answer of a query on a fresh coordinator connection (or '' and a
# diagnostic if it failed).
sub q1
{
	my ($sql) = @_;
	my ($rc, $out, $err) = $coord->psql('postgres', $sql);
	diag("failed: $sql\n$err") if $rc != 0;
	return $out;
}

# Query shapes; %T is the table.  fed() is the sharded table, loc() the
# local table with the rows of the given partition keys (all by default).
my $agg  = q{SELECT count(*), count(v), sum(v), avg(v), min(t), max(id) FROM %T};
my $grp  = q{SELECT k, t, count(*), sum(v), max(v) FROM %T GROUP BY k, t ORDER BY k, t};
my $rows = q{SELECT id, k, v, t FROM %T ORDER BY id};
my @shapes = ($agg, $grp, $rows);

sub fed
{
	my ($q) = @_;
	(my $s = $q) =~ s/%T/sales/g;
	return "$s;";
}

sub loc
{
	my ($q, @k) = @_;
	@k = (1, 2, 3) unless @k;
	my $sub = '(SELECT * FROM sales_local WHERE k IN (' . join(', ', @k) . ')) l';
	(my $s = $q) =~ s/%T/$sub/g;
	return $coord->safe_psql('postgres', $s);
}

sub shape_name
{
	my ($q) = @_;
	return $q eq $agg ? 'aggregates' : $q eq $grp ? 'GROUP BY' : 'rows';
}

# The NOTICE of a query that misses one shard.
sub coverage_re
{
	my ($n, $of, $part, $server, $reasons) = @_;
	return qr/NOTICE:  shard coverage $n\/$of(?:, aggregates are approximate)?: missing shard \Q$part\E on server "\Q$server\E" \((?:$reasons)\)/;
}

# Poll $code every 0.1 s for up to $secs seconds; true once it returned true.
sub poll
{
	my ($secs, $code) = @_;
	my $end = time + $secs;
	while (1)
	{
		return 1 if $code->();
		return 0 if time > $end;
		sleep 0.1;
	}
}

# Statements sleeping on a PostgreSQL shard (only federate's statements
# sleep there) / on MariaDB (federate's reads of the view).
sub pg_sleepers
{
	my ($node) = @_;
	return $node->safe_psql('postgres',
		"SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'PgSleep'");
}

sub my_sleepers
{
	return $m->sql(q{SELECT count(*) FROM information_schema.PROCESSLIST
		WHERE ID <> CONNECTION_ID() AND COMMAND = 'Query'
		  AND (INFO LIKE '%sales_nap%' OR STATE = 'User sleep')});
}

sub pg_nap { my ($node, $secs) = @_; $node->safe_psql('postgres', "UPDATE nap SET secs = $secs"); }
sub my_nap { my ($secs) = @_; $m->sql("UPDATE app.nap SET secs = $secs"); }

# The newest dispatch_log row of a backend.
sub last_dispatch
{
	my ($s) = @_;
	return q1(qq{SELECT status, strategy, shards_contacted, shards_total, shards_answered,
	                    replicas, coverage
	             FROM federate.dispatch_log WHERE pid = $s->{pid}
	             ORDER BY dispatched_at DESC LIMIT 1});
}

# A Test::More test that $sql succeeds on a fresh coordinator connection.
sub coord_ok
{
	my ($sql, $name) = @_;
	my ($rc, $out, $err) = $coord->psql('postgres', $sql);
	my $ok = is($rc, 0, $name);
	diag($err) unless $ok;
	return $ok;
}

sub stat_of
{
	my ($server, $col) = @_;
	my $v = q1(qq{SELECT coalesce((SELECT $col FROM federate.server_stats
	                               WHERE server_name = '$server'), 0)});
	return $v eq '' ? 0 : $v;
}

# The breaker settings of the sessions under test: circuit_breakers computes
# retry_at with the cool-down of the session that reads it.
my $breaker_gucs = '';

# "state|consecutive_failures" of a server's breaker (closed|0 if not listed)
sub breaker
{
	my ($server) = @_;
	return q1($breaker_gucs . qq{SELECT coalesce((SELECT state || '|' || consecutive_failures
	                               FROM federate.circuit_breakers
	                               WHERE server_name = '$server'), 'closed|0')});
}

# The whole circuit_breakers row of a server and the time now, for diagnostics.
sub breaker_row
{
	my ($server) = @_;
	return q1($breaker_gucs . qq{SELECT clock_timestamp() AS now, b.* FROM federate.circuit_breakers b
	             WHERE server_name = '$server'});
}

my ($o, $e);

# --- 0. sessions, complete answers, last_coverage, require_shard_key ----------
my $A = new_session();    # strict (the default)
my $P = new_session();    # partial
my $B = new_session();    # a third session for concurrent checks
note("sessions: A pid $A->{pid}, P pid $P->{pid}, B pid $B->{pid}");

# The breaker would open after 5 consecutive failures of a server, which the
# sections before the breaker's own could reach: off until then.
run_s($_, 'SET federate.circuit_failure_threshold = 0;') for ($A, $P, $B);
run_s($P, 'SET federate.on_shard_failure = partial;');

($o, $e) = run_s($A, q{SELECT count(*), bool_and(shards_total IS NULL AND shards_answered IS NULL
                                             AND missing_shards IS NULL AND exact IS NULL)
                       FROM federate.last_coverage();});
is($o, '1|t', 'last_coverage() before any federated query: one row of NULLs');
is($e, '', 'last_coverage() before any federated query: no error');

q1('SELECT federate.reset_stats()');

for my $q (@shapes)
{
	for my $s ([ 'strict', $A ], [ 'partial', $P ])
	{
		($o, $e) = run_s($s->[1], fed($q));
		is($o, loc($q), "all shards up, $s->[0] mode: same answer (" . shape_name($q) . ')');
		is($e, '', "all shards up, $s->[0] mode: no message (" . shape_name($q) . ')');
	}
}
is(last_dispatch($A), 'complete|scatter-gather|3|3|3|0|3/3', 'dispatch_log: a complete scatter-gather');
($o, $e) = run_s($A, q{SELECT shards_total, shards_answered, coalesce(cardinality(missing_shards), 0), exact
                       FROM federate.last_coverage();});
is($o, '3|3|0|t', 'last_coverage() of a complete query');

($o, $e) = run_s($A, q{SELECT count(*), sum(v) FROM sales WHERE k = 1;});
is($o, loc(q{SELECT count(*), sum(v) FROM %T}, 1), 'targeted query: same answer');
like(last_dispatch($A), qr/^complete\|targeted\|1\|3\|1\|0\|/, 'dispatch_log: a targeted query contacted 1 of 3 shards');

($o, $e) = run_s($A, 'SET federate.require_shard_key = on;' . fed($agg));
is($o, '', 'require_shard_key: no answer without a partition key condition');
like($e, qr/ERROR:  query on sharded table "sales" would contact all 3 shards/,
	'require_shard_key: a query without a partition key condition is rejected');
like($e, qr/HINT:  Add a condition on the partition key, or set federate.require_shard_key to off\./,
	'require_shard_key: the hint');
($o, $e) = run_s($A, q{SELECT count(*), sum(v), max(t) FROM sales WHERE k = 2;});
is($o, loc(q{SELECT count(*), sum(v), max(t) FROM %T}, 2), 'require_shard_key: k = 2 is accepted');
is($e, '', 'require_shard_key: k = 2 without message');
($o, $e) = run_s($A, q{SELECT count(*), sum(v), max(t) FROM sales WHERE k IN (1, 3);});
is($o, loc(q{SELECT count(*), sum(v), max(t) FROM %T}, 1, 3), 'require_shard_key: k IN (1, 3) is accepted');
is($e, '', 'require_shard_key: k IN (1, 3) without message');
run_s($A, 'RESET federate.require_shard_key;');

my $pairs_q = 'SELECT count(*), sum(v), min(id), max(id) FROM %T';
(my $pairs_fed = $pairs_q) =~ s/%T/pairs/;
($o, $e) = run_s($A, "$pairs_fed;");
is($o, loc($pairs_q, 2), 'two partitions on one server: the answer');
like(q1("EXPLAIN (VERBOSE, COSTS OFF) $pairs_fed"), qr/Partitions: pairs_lo, pairs_hi\n\s+Remote SQL: \(SELECT .*nap_lo.*\) UNION ALL \(SELECT .*nap_hi/,
	'two partitions on one server: one statement');

# --- 1. a shard stopped before a query ---------------------------------------
note('PostgreSQL shard stopped before a query');
my %before = map { $_ => stat_of('s2', $_) } qw(errors retries);
$before{fallbacks} = q1('SELECT coalesce(sum(fallbacks), 0) FROM federate.server_stats') || 0;
$pg{shard2}->stop('immediate');

($o, $e) = run_s($A, fed($agg));
is($o, '', 'shard2 stopped, strict: no answer');
like($e, qr/ERROR:  could not connect to server "s2"/, 'shard2 stopped, strict: the error names s2');
cmp_ok($A->{elapsed}, '<', 10, 'shard2 stopped, strict: the error comes within the connect timeout');
like(last_dispatch($A), qr/^failed\|scatter-gather\|3\|3\|/, 'dispatch_log: status failed');

for my $q (@shapes)
{
	($o, $e) = run_s($P, fed($q));
	is($o, loc($q, 1, 3), 'shard2 stopped, partial: the surviving shards\' answer (' . shape_name($q) . ')');
	like($e, coverage_re(2, 3, 'sales_2', 's2', 'connection refused'),
		'shard2 stopped, partial: NOTICE shard coverage 2/3 names sales_2 on s2 (' . shape_name($q) . ')');
	unlike($e, qr/ERROR/, 'shard2 stopped, partial: no error (' . shape_name($q) . ')');
}
is(last_dispatch($P), 'partial|scatter-gather|3|3|2|0|2/3', 'dispatch_log: status partial, 2 of 3 answered');
($o, $e) = run_s($P, q{SELECT shards_total, shards_answered, missing_shards, missing_servers, reasons, exact
                       FROM federate.last_coverage();});
like($o, qr/^3\|2\|\{(?:public\.)?sales_2\}\|\{s2\}\|\{"connection refused"\}\|f$/,
	'last_coverage() of the partial query');
# one statement for two partitions: the coverage counts both
($o, $e) = run_s($P, "$pairs_fed;");
is($o, '0|||', 'two partitions on one server, stopped, partial: an empty aggregate');
like($e, qr/NOTICE:  shard coverage 0\/2, aggregates are approximate/,
	'two partitions on one server, stopped, partial: NOTICE counts both partitions');
($o, $e) = run_s($P, q{SELECT shards_total, shards_answered, missing_shards FROM federate.last_coverage();});
like($o, qr/^2\|0\|\{(?:public\.)?pairs_lo,(?:public\.)?pairs_hi\}$/,
	'two partitions on one server, stopped, partial: last_coverage() names both');
cmp_ok(stat_of('s2', 'errors'), '>', $before{errors}, 'server_stats: errors of s2 increased');
cmp_ok(stat_of('s2', 'retries'), '>', $before{retries}, 'server_stats: retries of s2 increased');

# Plain foreign scans (federate.enable_fanout = off: an Append of one
# foreign scan per partition; a partition read alone) run on the same
# engine: retries, partial mode and its NOTICE apply to them.
note('plain foreign scans, shard2 stopped');
$before{retries} = stat_of('s2', 'retries');
($o, $e) = run_s($A, 'SET federate.enable_fanout = off; ' . fed($agg) . ' RESET federate.enable_fanout;');
like($e, qr/ERROR:  could not connect to server "s2"/, 'plain scans, strict: the error names s2');
cmp_ok(stat_of('s2', 'retries'), '>', $before{retries}, 'plain scans: the read of s2 was retried');
for my $q (@shapes)
{
	($o, $e) = run_s($P, 'SET federate.enable_fanout = off; ' . fed($q) . ' RESET federate.enable_fanout;');
	is($o, loc($q, 1, 3), 'plain scans, partial: the surviving partitions\' answer (' . shape_name($q) . ')');
	like($e, coverage_re(0, 1, 'sales_2', 's2', 'connection refused'),
		'plain scans, partial: NOTICE shard coverage 0/1 names sales_2 on s2 (' . shape_name($q) . ')');
	unlike($e, qr/ERROR/, 'plain scans, partial: no error (' . shape_name($q) . ')');
}
($o, $e) = run_s($P, q{SELECT shards_total, shards_answered, missing_shards, exact FROM federate.last_coverage();});
like($o, qr/^3\|2\|\{(?:public\.)?sales_2\}\|f$/, 'plain scans: last_coverage() adds up the partitions\' scans');
($o, $e) = run_s($P, 'SELECT count(*) FROM sales_2;');
is($o, '0', 'a partition read alone, partial: no rows');
like($e, coverage_re(0, 1, 'sales_2', 's2', 'connection refused'), 'a partition read alone, partial: the NOTICE');
($o, $e) = run_s($P, 'BEGIN; UPDATE sales SET v = v WHERE k = 2; ROLLBACK;');
like($e, qr/ERROR:  could not connect to server "s2"/,
	'partial mode: an UPDATE of the stopped shard fails (the rows it reads are never left out)');

note('replica fallback');
coord_ok("ALTER SERVER s2 OPTIONS (ADD replica 's2r')", 'server option replica accepted');
for my $q (@shapes)
{
	($o, $e) = run_s($A, fed($q));
	is($o, loc($q), 'shard2 stopped, replica: the complete answer (' . shape_name($q) . ')');
	like($e, qr/NOTICE:  shard coverage 3\/3: shard sales_2 on server "s2" answered by replica "s2r" \(connection refused\)/,
		'shard2 stopped, replica: NOTICE names the replica (' . shape_name($q) . ')');
	unlike($e, qr/ERROR/, 'shard2 stopped, replica: no error (' . shape_name($q) . ')');
}
is(last_dispatch($A), 'complete|scatter-gather|3|3|3|1|3/3', 'dispatch_log: complete with one replica');
($o, $e) = run_s($A, 'SET federate.enable_fanout = off; ' . fed($agg) . ' RESET federate.enable_fanout;');
is($o, loc($agg), 'plain scans, shard2 stopped, replica: the complete answer');
like($e, qr/NOTICE:  shard coverage 1\/1: shard sales_2 on server "s2" answered by replica "s2r" \(connection refused\)/,
	'plain scans, shard2 stopped, replica: NOTICE names the replica');
($o, $e) = run_s($A, q{SELECT shards_total, shards_answered, coalesce(cardinality(missing_shards), 0),
                              replica_shards, replica_servers, exact
                       FROM federate.last_coverage();});
like($o, qr/^3\|3\|0\|\{(?:public\.)?sales_2\}\|\{s2r\}\|t$/, 'last_coverage() of the query a replica helped');
cmp_ok(q1('SELECT coalesce(sum(fallbacks), 0) FROM federate.server_stats') || 0, '>', $before{fallbacks},
	'server_stats: fallbacks increased');
coord_ok('ALTER SERVER s2 OPTIONS (DROP replica)', 'server option replica dropped');
$pg{shard2}->start;
($o, $e) = run_s($A, fed($agg));
is($o, loc($agg), 'shard2 started again: the complete answer');
is($e, '', 'shard2 started again: no message');

note('MariaDB stopped before a query');
$before{errors} = stat_of('m1', 'errors');
$m->stop;
($o, $e) = run_s($A, fed($agg));
is($o, '', 'MariaDB stopped, strict: no answer');
like($e, qr/ERROR:  could not connect to server "m1"/, 'MariaDB stopped, strict: the error names m1');
cmp_ok($A->{elapsed}, '<', 10, 'MariaDB stopped, strict: the error comes within the connect timeout');
for my $q (@shapes)
{
	($o, $e) = run_s($P, fed($q));
	is($o, loc($q, 1, 2), 'MariaDB stopped, partial: the surviving shards\' answer (' . shape_name($q) . ')');
	like($e, coverage_re(2, 3, 'sales_3', 'm1', 'connection refused'),
		'MariaDB stopped, partial: NOTICE shard coverage 2/3 names sales_3 on m1 (' . shape_name($q) . ')');
}
is(last_dispatch($P), 'partial|scatter-gather|3|3|2|0|2/3', 'dispatch_log: MariaDB missing, status partial');
cmp_ok(stat_of('m1', 'errors'), '>', $before{errors}, 'server_stats: errors of m1 increased');
$m->start;
($o, $e) = run_s($A, fed($agg));
is($o, loc($agg), 'MariaDB started again: the complete answer');
is($e, '', 'MariaDB started again: no message');

# --- 2. a shard stopped in the middle of a query ------------------------------
# Both sessions read while the shard sleeps; the shard is stopped then.
note('PostgreSQL shard stopped during a query');
pg_nap($pg{shard2}, 10);
send_s($A, fed($agg));
send_s($P, fed($rows));
ok(poll(20, sub { pg_sleepers($pg{shard2}) == 2 }), 'both queries are running on shard2');
my $t0 = time;
$pg{shard2}->stop('immediate');
($o, $e) = wait_s($A);
my $el = time - $t0;
is($o, '', 'shard2 stopped during the query, strict: no answer');
like($e, qr/ERROR:  (?:lost connection to|could not connect to) server "s2"/,
	'shard2 stopped during the query, strict: the error names s2');
cmp_ok($el, '<', 10, 'shard2 stopped during the query, strict: the error comes promptly');
note("the error: $e");
($o, $e) = wait_s($P);
note("the messages: $e");
is($o, loc($rows, 1, 3), 'shard2 stopped during the query, partial: the surviving shards\' rows');
like($e, coverage_re(2, 3, 'sales_2', 's2', 'connection lost|connection refused|connection failed'),
	'shard2 stopped during the query, partial: NOTICE names sales_2 on s2');
is(last_dispatch($P), 'partial|scatter-gather|3|3|2|0|2/3', 'dispatch_log: partial after a mid-query stop');
$pg{shard2}->start;
pg_nap($pg{shard2}, 0);

note('MariaDB stopped during a query');
my_nap(10);
send_s($A, fed($agg));
send_s($P, fed($rows));
ok(poll(20, sub { my_sleepers() == 2 }), 'both queries are running on MariaDB');
$t0 = time;
$m->kill9;
($o, $e) = wait_s($A);
$el = time - $t0;
is($o, '', 'MariaDB killed during the query, strict: no answer');
like($e, qr/ERROR:  (?:lost connection to|could not connect to) server "m1"/,
	'MariaDB killed during the query, strict: the error names m1');
cmp_ok($el, '<', 10, 'MariaDB killed during the query, strict: the error comes promptly');
note("the error: $e");
($o, $e) = wait_s($P);
note("the messages: $e");
is($o, loc($rows, 1, 2), 'MariaDB killed during the query, partial: the surviving shards\' rows');
like($e, coverage_re(2, 3, 'sales_3', 'm1', 'connection lost|connection refused|connection failed'),
	'MariaDB killed during the query, partial: NOTICE names sales_3 on m1');
$m->start;
my_nap(0);
for my $s ([ 'strict', $A ], [ 'partial', $P ])
{
	($o, $e) = run_s($s->[1], fed($grp));
	is($o, loc($grp), "after the restarts, $s->[0] session: the complete answer");
	is($e, '', "after the restarts, $s->[0] session: no message");
}

# --- 3. a shard slower than its statement timeout -----------------------------
note('PostgreSQL shard past federate.statement_timeout');
my %to = (s2 => stat_of('s2', 'timeouts'), m1 => stat_of('m1', 'timeouts'));
pg_nap($pg{shard2}, 30);
run_s($_, 'SET federate.statement_timeout = 1000;') for ($A, $P);
($o, $e) = run_s($A, fed($agg));
is($o, '', 'slow shard2, strict: no answer');
like($e, qr/ERROR:  timed out waiting for server "s2"/, 'slow shard2, strict: timed out waiting for server "s2"');
like($e, qr/DETAIL:  .*statement timeout of 1000 ms/, 'slow shard2, strict: the detail gives 1000 ms');
note("the error: $e");
cmp_ok($A->{elapsed}, '<', 10, 'slow shard2, strict: the error comes soon after the timeout');
like(last_dispatch($A), qr/^failed\|/, 'dispatch_log: a timed-out query failed');
ok(poll(10, sub { pg_sleepers($pg{shard2}) == 0 }), 'slow shard2, strict: the statement is gone from shard2');
for my $q ($agg, $rows)
{
	($o, $e) = run_s($P, fed($q));
	is($o, loc($q, 1, 3), 'slow shard2, partial: the other shards\' answer (' . shape_name($q) . ')');
	like($e, coverage_re(2, 3, 'sales_2', 's2', 'timeout'),
		'slow shard2, partial: NOTICE names sales_2 on s2 (timeout) (' . shape_name($q) . ')');
	cmp_ok($P->{elapsed}, '<', 10, 'slow shard2, partial: answered soon after the timeout (' . shape_name($q) . ')');
	ok(poll(10, sub { pg_sleepers($pg{shard2}) == 0 }),
		'slow shard2, partial: the statement is gone from shard2 (' . shape_name($q) . ')');
}
is(last_dispatch($P), 'partial|scatter-gather|3|3|2|0|2/3', 'dispatch_log: partial after a timeout');
($o, $e) = run_s($P, q{SELECT shards_answered, missing_servers, reasons, exact FROM federate.last_coverage();});
is($o, '2|{s2}|{timeout}|f', 'last_coverage() of the timed-out shard');
cmp_ok(stat_of('s2', 'timeouts') - $to{s2}, '>=', 3, 'server_stats: 3 timeouts of s2 counted');

note('server option statement_timeout');
run_s($_, 'RESET federate.statement_timeout;') for ($A, $P);
coord_ok("ALTER SERVER s2 OPTIONS (ADD statement_timeout '500')", 'server option statement_timeout accepted');
($o, $e) = run_s($A, fed($agg));
like($e, qr/ERROR:  timed out waiting for server "s2"/,
	'server option statement_timeout: timed out waiting for server "s2"');
# "No answer within the statement timeout of 500 ms." when the coordinator
# gave up first; the shard's own timeout usually fires first and is reported
# with the same figure.
like($e, qr/DETAIL:  .*statement timeout of 500 ms/,
	'server option statement_timeout: the detail gives the server\'s 500 ms');
cmp_ok($A->{elapsed}, '<', 10, 'server option statement_timeout: the error comes soon');
ok(poll(10, sub { pg_sleepers($pg{shard2}) == 0 }),
	'server option statement_timeout: the statement is gone from shard2');
coord_ok('ALTER SERVER s2 OPTIONS (DROP statement_timeout)', 'server option statement_timeout dropped');
pg_nap($pg{shard2}, 0);

note('MariaDB past federate.statement_timeout');
my_nap(30);
run_s($_, 'SET federate.statement_timeout = 1000;') for ($A, $P);
($o, $e) = run_s($A, fed($agg));
is($o, '', 'slow MariaDB, strict: no answer');
like($e, qr/ERROR:  timed out waiting for server "m1"/, 'slow MariaDB, strict: timed out waiting for server "m1"');
like($e, qr/DETAIL:  .*statement timeout of 1000 ms/, 'slow MariaDB, strict: the detail gives 1000 ms');
note("the error: $e");
cmp_ok($A->{elapsed}, '<', 10, 'slow MariaDB, strict: the error comes soon after the timeout');
ok(poll(10, sub { my_sleepers() == 0 }), 'slow MariaDB, strict: the statement is gone from MariaDB');
for my $q ($agg, $rows)
{
	($o, $e) = run_s($P, fed($q));
	is($o, loc($q, 1, 2), 'slow MariaDB, partial: the other shards\' answer (' . shape_name($q) . ')');
	like($e, coverage_re(2, 3, 'sales_3', 'm1', 'timeout'),
		'slow MariaDB, partial: NOTICE names sales_3 on m1 (timeout) (' . shape_name($q) . ')');
	cmp_ok($P->{elapsed}, '<', 10, 'slow MariaDB, partial: answered soon after the timeout (' . shape_name($q) . ')');
	ok(poll(10, sub { my_sleepers() == 0 }),
		'slow MariaDB, partial: the statement is gone from MariaDB (' . shape_name($q) . ')');
}
cmp_ok(stat_of('m1', 'timeouts') - $to{m1}, '>=', 3, 'server_stats: 3 timeouts of m1 counted');
run_s($_, 'RESET federate.statement_timeout;') for ($A, $P);
my_nap(0);
($o, $e) = run_s($A, fed($rows));
is($o, loc($rows), 'after the timeouts: the complete answer');
is($e, '', 'after the timeouts: no message');

# --- 4. circuit breaker ----------------------------------------------------------
# shard2 is stopped and its port taken by a listener that never answers: a
# connection attempt waits for the whole connect timeout, so failing fast
# can only come from the open breaker.
note('circuit breaker');
run_s($A, fed($agg));
q1(q{SELECT federate.reset_circuit('s2')});
is(breaker('s2'), 'closed|0', 'breaker of s2 closed at first');
$breaker_gucs = 'SET federate.circuit_failure_threshold = 2; SET federate.circuit_cooldown = 3000; ';
for my $s ($A, $P, $B)
{
	run_s($s, q{SET federate.circuit_failure_threshold = 2;
	            SET federate.circuit_cooldown = 3000;
	            SET federate.max_retries = 0;
	            SET federate.connect_timeout = 10;});
}
$pg{shard2}->stop('immediate');
my $hang = IO::Socket::INET->new(
	LocalAddr => '127.0.0.1', LocalPort => $pg{shard2}->port, Proto => 'tcp',
	Listen => 64, ReuseAddr => 1);
ok($hang, "a listener that never answers holds shard2's port") or diag("listen: $!");
my @held;
# accept (and keep) the connections waiting on the listener
my $accept_pending = sub {
	while ($hang && IO::Select->new($hang)->can_read(0))
	{
		my $c = $hang->accept or last;
		push @held, $c;
	}
};

# The connect timeout that counts against the breaker is the server's own
# (or an administrator's): the same failures under a timeout a session
# chose (SET federate.connect_timeout) are not the server's.
# (The first query also finds its kept connection to shard2 lost, which
# counts: the circuit is closed again by hand.)
run_s($A, 'SET federate.connect_timeout = 2;');
for my $i (1, 2)
{
	($o, $e) = run_s($A, fed($agg));
	like($e, qr/ERROR:  could not connect to server "s2"/, "breaker: a session's connect timeout passes ($i)");
	$accept_pending->();
	q1(q{SELECT federate.reset_circuit('s2')}) if $i == 1;
}
is(breaker('s2'), 'closed|0', 'breaker: a session\'s own connect timeout does not count');
run_s($A, 'SET federate.connect_timeout = 10;');
coord_ok("ALTER SERVER s2 OPTIONS (ADD connect_timeout '2')", 'server option connect_timeout 2');
for my $i (1, 2)
{
	($o, $e) = run_s($A, fed($agg));
	like($e, qr/ERROR:  could not connect to server "s2"/, "breaker: failure $i could not connect to s2");
	cmp_ok($A->{elapsed}, '>=', 1, "breaker: failure $i waited for the connect timeout");
	cmp_ok($A->{elapsed}, '<', 15, "breaker: failure $i within the connect timeout");
	$accept_pending->();
}
is(breaker('s2'), 'open|2', 'breaker: open after 2 failures');
is(q1($breaker_gucs . q{SELECT retry_at > clock_timestamp(),
               extract(epoch FROM retry_at - opened_at) BETWEEN 2.5 AND 3.5
        FROM federate.circuit_breakers WHERE server_name = 's2'}),
	't|t', 'breaker: retry_at is the cool-down after opened_at')
  or diag(breaker_row('s2'));
is(q1(q{SELECT circuit_state FROM federate.server_stats WHERE server_name = 's2'}), 'open',
	'server_stats: circuit_state open');

($o, $e) = run_s($A, fed($agg));
like($e, qr/ERROR:  circuit breaker for server "s2" is open/, 'breaker open, strict: the circuit error');
cmp_ok($A->{elapsed}, '<', 2, 'breaker open, strict: fails fast');
like(last_dispatch($A), qr/^failed\|/, 'dispatch_log: failed while the breaker is open');
($o, $e) = run_s($P, fed($rows));
is($o, loc($rows, 1, 3), 'breaker open, partial: the other shards\' rows');
like($e, coverage_re(2, 3, 'sales_2', 's2', 'circuit open'), 'breaker open, partial: NOTICE says circuit open');
cmp_ok($P->{elapsed}, '<', 2, 'breaker open, partial: answers fast');

# after the cool-down, one probe goes through; shard2 is still unreachable
ok( poll(10, sub {
		q1($breaker_gucs . q{SELECT clock_timestamp() >= retry_at FROM federate.circuit_breakers
		     WHERE server_name = 's2'}) eq 't' }),
	'breaker: the cool-down passes')
  or diag(breaker_row('s2'));
$accept_pending->();
$_->close for @held;
@held = ();
coord_ok("ALTER SERVER s2 OPTIONS (SET connect_timeout '3')", 'server option connect_timeout 3');
send_s($A, fed($agg));
ok(IO::Select->new($hang)->can_read(10), 'breaker: the probe connects to shard2\'s port');
$accept_pending->();
ok(poll(3, sub { breaker('s2') =~ /^half-open\|/ }), 'breaker: half-open during the probe');
($o, $e) = run_s($B, fed($agg));
like($e, qr/ERROR:  circuit breaker for server "s2" is open/,
	'breaker half-open: another query is not let through');
cmp_ok($B->{elapsed}, '<', 2, 'breaker half-open: another query fails fast');
($o, $e) = wait_s($A);
like($e, qr/ERROR:  could not connect to server "s2"/, 'breaker: the probe tried shard2 and failed');
cmp_ok($A->{elapsed}, '>=', 1.5, 'breaker: the probe waited for the connect timeout');
like(breaker('s2'), qr/^open\|/, 'breaker: open again after the failed probe');
is(q1($breaker_gucs . q{SELECT retry_at > clock_timestamp() FROM federate.circuit_breakers WHERE server_name = 's2'}),
	't', 'breaker: a new cool-down');
coord_ok('ALTER SERVER s2 OPTIONS (DROP connect_timeout)', 'server option connect_timeout dropped');
($o, $e) = run_s($A, fed($agg));
like($e, qr/ERROR:  circuit breaker for server "s2" is open/, 'breaker reopened: the circuit error');
cmp_ok($A->{elapsed}, '<', 2, 'breaker reopened: fails fast');

# shard2 back: after the cool-down the probe succeeds and closes the breaker
$_->close for @held;
@held = ();
$hang->close;
undef $hang;
$pg{shard2}->start;
ok( poll(10, sub {
		q1($breaker_gucs . q{SELECT clock_timestamp() >= retry_at FROM federate.circuit_breakers
		     WHERE server_name = 's2'}) eq 't' }),
	'breaker: the second cool-down passes')
  or diag(breaker_row('s2'));
($o, $e) = run_s($A, fed($agg));
is($o, loc($agg), 'breaker: shard2 back, the probe query answers completely');
is($e, '', 'breaker: shard2 back, no message');
is(breaker('s2'), 'closed|0', 'breaker: closed after the successful probe');
is(q1(q{SELECT circuit_state FROM federate.server_stats WHERE server_name = 's2'}), 'closed',
	'server_stats: circuit_state closed');

# reset_circuit() closes an open breaker at once
run_s($A, 'SET federate.circuit_cooldown = 600000;');
$breaker_gucs = 'SET federate.circuit_failure_threshold = 2; SET federate.circuit_cooldown = 600000; ';
$pg{shard2}->stop('immediate');
for my $i (1, 2)
{
	($o, $e) = run_s($A, fed($agg));
	like($e, qr/ERROR:  could not connect to server "s2"/, "reset_circuit: failure $i");
}
like(breaker('s2'), qr/^open\|/, 'reset_circuit: the breaker is open');
$pg{shard2}->start;
($o, $e) = run_s($A, fed($agg));
like($e, qr/ERROR:  circuit breaker for server "s2" is open/,
	'reset_circuit: shard2 is up again but the breaker stays open for its cool-down');
($o, $e) = run_s($A, q{SELECT federate.reset_circuit('s2');});
is($o, 't', 'reset_circuit(s2) returns true for an open breaker');
is(breaker('s2'), 'closed|0', 'reset_circuit: the breaker is closed');
($o, $e) = run_s($A, fed($agg));
is($o, loc($agg), 'reset_circuit: the next query answers completely');
is($e, '', 'reset_circuit: no message');
($o, $e) = run_s($A, q{SELECT federate.reset_circuit('s2');});
is($o, 'f', 'reset_circuit(s2) returns false for a closed breaker');

for my $s ($A, $P, $B)
{
	run_s($s, q{SET federate.circuit_failure_threshold = 0;
	            RESET federate.circuit_cooldown;
	            RESET federate.max_retries;
	            RESET federate.connect_timeout;});
}
$breaker_gucs = '';

# --- 5. cancels reach every shard; remote statement identifiers ----------------
note('statement_timeout on the coordinator cancels every shard');
pg_nap($pg{shard1}, 60);
pg_nap($pg{shard2}, 60);
my_nap(60);
($o, $e) = run_s($A, "SET statement_timeout = '2s';" . fed($agg) . 'RESET statement_timeout;');
like($e, qr/ERROR:  canceling statement due to statement timeout/, 'statement_timeout cancels the query');
cmp_ok($A->{elapsed}, '<', 10, 'statement_timeout: the cancel is prompt');
ok(poll(10, sub { pg_sleepers($pg{shard1}) == 0 }), 'statement_timeout: nothing left running on shard1');
ok(poll(10, sub { pg_sleepers($pg{shard2}) == 0 }), 'statement_timeout: nothing left running on shard2');
ok(poll(10, sub { my_sleepers() == 0 }), 'statement_timeout: nothing left running on MariaDB');
like(last_dispatch($A), qr/^cancelled\|/, 'dispatch_log: status cancelled');

note('pg_cancel_backend from another session; remote statement identifiers');
send_s($A, fed($rows));
ok( poll(20, sub {
		pg_sleepers($pg{shard1}) == 1 && pg_sleepers($pg{shard2}) == 1 && my_sleepers() == 1 }),
	'the query sleeps on all three shards');
for my $node ($pg{shard1}, $pg{shard2})
{
	my $act = $node->safe_psql('postgres', q{SELECT application_name, query FROM pg_stat_activity
	                                        WHERE wait_event = 'PgSleep'});
	my ($appname, $query) = split /\|/, $act, 2;
	is($appname, "federate pid=$A->{pid}", $node->name . ': application_name names the coordinator backend');
	like($query, qr{^/\* federate pid=$A->{pid} query_id=-?\d+ \*/},
		$node->name . ': the remote statement starts with /* federate pid=... */');
}
my $info = $m->sql(q{SELECT INFO FROM information_schema.PROCESSLIST
	WHERE ID <> CONNECTION_ID() AND COMMAND = 'Query' AND INFO LIKE '%sales_nap%'});
like($info, qr{^/\* federate pid=$A->{pid} query_id=-?\d+ \*/},
	'MariaDB: the remote statement starts with /* federate pid=... */');
$coord->safe_psql('postgres', "SELECT pg_cancel_backend($A->{pid})");
($o, $e) = wait_s($A);
like($e, qr/ERROR:  canceling statement due to user request/, 'pg_cancel_backend cancels the query');
ok(poll(10, sub { pg_sleepers($pg{shard1}) == 0 }), 'user cancel: nothing left running on shard1');
ok(poll(10, sub { pg_sleepers($pg{shard2}) == 0 }), 'user cancel: nothing left running on shard2');
ok(poll(10, sub { my_sleepers() == 0 }), 'user cancel: nothing left running on MariaDB');

pg_nap($pg{shard1}, 0);
pg_nap($pg{shard2}, 0);
my_nap(0);
for my $q (@shapes)
{
	($o, $e) = run_s($A, fed($q));
	is($o, loc($q), 'after the cancels: the session answers completely (' . shape_name($q) . ')');
	is($e, '', 'after the cancels: no message (' . shape_name($q) . ')');
}

# --- frozen servers (SIGSTOP): the abort does not wait for them ---------------
# The query ends at its statement timeout; the cleanup gives a server that
# does not answer the cancel (or the statement in flight) about a second,
# then closes the connection: control comes back soon after the error, not
# after a longer cleanup wait (it took 5 s more on MariaDB before).
for my $f ([ 'MariaDB', sub { ($m->pid) } ],
	[ 'shard2', sub { my $pm = $pg{shard2}->{_pid}; ($pm, split(' ', `pgrep -P $pm`)) } ])
{
	my ($name, $pids) = @$f;
	($o, $e) = run_s($A, 'SET federate.circuit_failure_threshold = 0; ' . fed($agg));
	is($o, loc($agg), "$name frozen: the session's connections are open first");
	my @p = $pids->();
	kill 'STOP', @p;
	($o, $e) = run_s($A, "SET statement_timeout = '2s'; " . fed($agg) . ' RESET statement_timeout;');
	my $el = $A->{elapsed};
	kill 'CONT', @p;
	like($e, qr/canceling statement due to statement timeout/,
		"$name frozen: the statement timeout stops the query");
	cmp_ok($el, '<', 4.5, "$name frozen: control comes back within about a second of the timeout");
	note("$name frozen: control back after $el s (statement_timeout 2 s)");
	($o, $e) = run_s($A, fed($agg));
	is($o, loc($agg), "$name thawed: the session answers completely");
	is($e, '', "$name thawed: no message");
}

# --- a savepoint released while a cursor's read starts on a frozen server -----
# The cursor's first rows come from the other shards while the frozen
# server's SAVEPOINT is in flight; RELEASE moves the cursor to the outer
# level (the streams of the others go on, and that savepoint counts as
# released once opened), and a new savepoint is set before the server
# thaws: the read then starts in it, every row comes once, and the
# transaction goes on and commits.
for my $f ([ 'MariaDB', sub { ($m->pid) } ],
	[ 'shard2', sub { my $pm = $pg{shard2}->{_pid}; ($pm, split(' ', `pgrep -P $pm`)) } ])
{
	my ($name, $pids) = @$f;
	($o, $e) = run_s($A, 'BEGIN; SELECT count(*) FROM sales;');
	is($o, '300', "$name frozen in a savepoint: the remote transactions are open");
	my @p = $pids->();
	kill 'STOP', @p;
	my ($o1, $e1) = run_s($A, q{SAVEPOINT a;
		DECLARE c CURSOR FOR SELECT id, k, v, t FROM sales;
		FETCH 5 FROM c;
		RELEASE a;
		SAVEPOINT b;});
	kill 'CONT', @p;
	my ($o2, $e2) = run_s($A, 'FETCH ALL FROM c;');
	my @got = sort { (split(/\|/, $a))[0] <=> (split(/\|/, $b))[0] } split(/\n/, "$o1\n$o2");
	is(join("\n", @got), loc($rows),
		"$name frozen in a savepoint: the cursor reads every row once after RELEASE");
	is("$e1$e2", '', "$name frozen in a savepoint: no message");
	($o, $e) = run_s($A, 'ROLLBACK TO b; ' . fed($agg) . ' COMMIT;');
	is($o, loc($agg), "$name frozen in a savepoint: the transaction goes on");
	is($e, '', "$name frozen in a savepoint: and commits");
}

# --- the statistics ----------------------------------------------------------------
is(q1(q{SELECT string_agg(server_name || ':' || driver, ',' ORDER BY server_name)
        FROM federate.server_stats WHERE server_name IN ('s1', 's2', 'm1')}),
	'm1:mysql,s1:postgres,s2:postgres', 'server_stats: the servers used, with their drivers');
is(q1(q{SELECT bool_and(statements > 0 AND rows > 0 AND bytes > 0 AND total_time_ms > 0
                        AND max_time_ms > 0)
        FROM federate.server_stats WHERE server_name IN ('s1', 's2', 'm1')}),
	't', 'server_stats: statements, rows, bytes and times counted');
is(q1(q{SELECT errors > 0 AND last_error IS NOT NULL AND last_error_at IS NOT NULL
        FROM federate.server_stats WHERE server_name = 's2'}),
	't', 'server_stats: the last error of s2 is kept');
is(q1(q{SELECT count(*) FILTER (WHERE status = 'complete') > 0,
               count(*) FILTER (WHERE status = 'partial') > 0,
               count(*) FILTER (WHERE status = 'failed') > 0,
               count(*) FILTER (WHERE status = 'cancelled') > 0
        FROM federate.dispatch_log}),
	't|t|t|t', 'dispatch_log: complete, partial, failed and cancelled dispatches');

for my $s ($A, $P, $B)
{
	$s->{in} .= "\\q\n";
	$s->{h}->finish;
}
$m->stop;
note(sprintf('030_failures ran for %.1f s', time - $test_start));
done_testing();

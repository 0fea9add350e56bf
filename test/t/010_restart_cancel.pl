# A shard restarted between two queries of one session: the second query
# succeeds.  A long remote query cancelled on the coordinator (statement
# timeout) is gone from the shard, and the session keeps working.  Both for
# PostgreSQL shards (separate clusters) and for a real MariaDB server.
use strict;
use warnings;

use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time sleep);

use FederateTest::MariaDB;

my $coord = PostgreSQL::Test::Cluster->new('coord');
$coord->init;
$coord->append_conf('postgresql.conf', "shared_preload_libraries = 'federate'");
$coord->start;

my @shards;
for my $i (1, 2)
{
	my $s = PostgreSQL::Test::Cluster->new("shard$i");
	$s->init;
	$s->start;
	$s->safe_psql('postgres', qq{
		CREATE TABLE t (id int PRIMARY KEY, v text);
		INSERT INTO t SELECT g, 'v' || g FROM generate_series($i * 1000, $i * 1000 + 99) g;
		CREATE VIEW slow AS SELECT pg_sleep(120)::text AS x;
	});
	push @shards, $s;
}

my $m = FederateTest::MariaDB->new(name => 'm1');
$m->start;
$m->sql(q{
	CREATE DATABASE app;
	CREATE TABLE app.t (id int PRIMARY KEY, v varchar(10));
	INSERT INTO app.t VALUES (1, 'a'), (2, 'b'), (3, 'c');
	CREATE VIEW app.slow AS SELECT SLEEP(120) AS x;
});

my $setup = "CREATE EXTENSION federate;\n";
for my $i (1, 2)
{
	my $s = $shards[ $i - 1 ];
	$setup .= sprintf(qq{
		CREATE SERVER s$i FOREIGN DATA WRAPPER federate
		  OPTIONS (host '%s', port '%s', dbname 'postgres');
		CREATE USER MAPPING FOR CURRENT_USER SERVER s$i;
		CREATE FOREIGN TABLE t$i (id int, v text) SERVER s$i OPTIONS (table_name 't');
		CREATE FOREIGN TABLE slow$i (x text) SERVER s$i OPTIONS (table_name 'slow');
	}, $s->host, $s->port);
}
$setup .= sprintf(qq{
	CREATE SERVER m1 FOREIGN DATA WRAPPER federate OPTIONS (%s, dbname 'app');
	CREATE USER MAPPING FOR CURRENT_USER SERVER m1 OPTIONS (%s);
	CREATE FOREIGN TABLE mt (id int, v text) SERVER m1 OPTIONS (table_name 't');
	CREATE FOREIGN TABLE mslow (x int) SERVER m1 OPTIONS (table_name 'slow');
}, $m->server_options, $m->user_mapping_options);
$coord->safe_psql('postgres', $setup);

# One long-lived coordinator session, so that cached connections matter.
my ($in, $out, $err) = ('', '', '');
my $psql = IPC::Run::start(
	[ 'psql', '-XAtq', '-v', 'ON_ERROR_STOP=0', '-d', $coord->connstr('postgres'), '-f', '-' ],
	'<', \$in, '>', \$out, '2>', \$err,
	IPC::Run::timeout($PostgreSQL::Test::Utils::timeout_default));

# Run SQL in the session; returns (stdout, stderr) of just that SQL.
sub session
{
	my ($sql) = @_;
	my $marker = '__done_' . int(rand(1e9)) . '__';
	$out = '';
	$err = '';
	$in .= "$sql\n\\echo $marker\n\\warn $marker\n";
	# wait for the marker line on both streams, newline included (psql
	# writes a \warn line's text and newline separately)
	$psql->pump until $out =~ /\Q$marker\E\n/ && $err =~ /\Q$marker\E\n/;
	(my $o = $out) =~ s/\Q$marker\E\n//;
	(my $e = $err) =~ s/\Q$marker\E\n//;
	chomp $o;
	return ($o, $e);
}

my ($o, $e);

# --- PostgreSQL shard restarted between two queries ---------------------
($o, $e) = session('SELECT count(*) FROM t1;');
is($o, '100', 'first query on shard1');
$shards[0]->restart;
($o, $e) = session('SELECT count(*), min(id) FROM t1;');
is($o, '100|1000', 'query after shard1 restart succeeds');
is($e, '', 'no error after shard1 restart');

# and inside an explicit transaction started after the restart
$shards[0]->restart;
($o, $e) = session("BEGIN; SELECT count(*) FROM t1 WHERE id > 1050; COMMIT;");
is($o, '49', 'transaction after a second restart succeeds');

# --- MariaDB restarted between two queries --------------------------------
($o, $e) = session('SELECT count(*) FROM mt;');
is($o, '3', 'first query on MariaDB');
$m->restart;
($o, $e) = session("SELECT string_agg(v, ',' ORDER BY id) FROM mt;");
is($o, 'a,b,c', 'query after MariaDB restart succeeds');
is($e, '', 'no error after MariaDB restart');

# --- cancel a long PostgreSQL query --------------------------------------
my $t0 = time;
($o, $e) = session("SET statement_timeout = '2s'; SELECT * FROM slow2; RESET statement_timeout;");
my $elapsed = time - $t0;
like($e, qr/canceling statement due to statement timeout/, 'statement timeout cancels the remote read');
cmp_ok($elapsed, '<', 30, 'cancel returned promptly');
ok( $shards[1]->poll_query_until('postgres',
		"SELECT count(*) = 0 FROM pg_stat_activity WHERE wait_event = 'PgSleep'"),
	'the cancelled statement is gone from shard2');
($o, $e) = session('SELECT count(*) FROM t2;');
is($o, '100', 'the session still reads shard2 after the cancel');

# a cancel request (as from Ctrl-C) from another session
my $pid;
($pid, $e) = session('SELECT pg_backend_pid();');
$in .= "SELECT * FROM slow1;\n\\echo __after_cancel__\n\\warn __after_cancel__\n";
$psql->pump_nb while length $in;
ok( $shards[0]->poll_query_until('postgres',
		"SELECT count(*) = 1 FROM pg_stat_activity WHERE wait_event = 'PgSleep'"),
	'the slow query runs on shard1');
$coord->safe_psql('postgres', "SELECT pg_cancel_backend($pid)");
$psql->pump until $out =~ /__after_cancel__\n/ && $err =~ /__after_cancel__\n/;
like($err, qr/canceling statement due to user request/, 'a user cancel stops the remote read');
ok( $shards[0]->poll_query_until('postgres',
		"SELECT count(*) = 0 FROM pg_stat_activity WHERE wait_event = 'PgSleep'"),
	'the cancelled statement is gone from shard1');
($o, $e) = session('SELECT count(*) FROM t1;');
is($o, '100', 'the session still reads shard1 after the user cancel');

# --- cancel a long MariaDB query ------------------------------------------
$t0 = time;
($o, $e) = session("SET statement_timeout = '2s'; SELECT * FROM mslow; RESET statement_timeout;");
$elapsed = time - $t0;
like($e, qr/canceling statement due to statement timeout/, 'statement timeout cancels the MariaDB read');
cmp_ok($elapsed, '<', 30, 'MariaDB cancel returned promptly');
my $gone = 0;
for (1 .. 100)
{
	my $n = $m->sql("SELECT count(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE '%slow%' AND ID <> CONNECTION_ID()");
	if ($n eq '0') { $gone = 1; last; }
	sleep 0.2;
}
ok($gone, 'the cancelled statement is gone from MariaDB');
($o, $e) = session("SELECT count(*) FROM mt;");
is($o, '3', 'the session still reads MariaDB after the cancel');

$in .= "\\q\n";
$psql->finish;
$m->stop;
done_testing();

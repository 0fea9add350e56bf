# The connection budget shared by all coordinator sessions, and tasks that
# queue for a connection:
#   1. 64 hash partitions over two PostgreSQL servers and MariaDB (21-22 per
#      server) with a budget of 4 connections per server: aggregates,
#      ordered merges (with and without LIMIT), DISTINCT and row queries
#      equal the local table's, and no server ever has more than 4 of
#      federate's connections;
#   2. 20 concurrent sessions with a budget of 3: never more than 3
#      federate connections on any server (pg_stat_activity and MariaDB's
#      PROCESSLIST, polled while they run), every answer right, none fails;
#   3. a session waiting for a unit of the budget obeys statement_timeout
#      and pg_cancel_backend, and fails with a clear error after the
#      server's connect_timeout; federate.server_connections shows it
#      waiting.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time sleep);

use FederateTest::MariaDB;
use FederateTest::Session;

my $coord = PostgreSQL::Test::Cluster->new('coord');
$coord->init;
$coord->append_conf('postgresql.conf', "shared_preload_libraries = 'federate'\nmax_connections = 60");
$coord->start;

my @pg;
for my $i (1, 2)
{
	my $s = PostgreSQL::Test::Cluster->new("shard$i");
	$s->init;
	$s->append_conf('postgresql.conf', 'max_connections = 60');
	$s->start;
	push @pg, $s;
}
my $m = FederateTest::MariaDB->new(name => 'm1');
$m->start;
$m->sql('CREATE DATABASE app;');

my $cols = 'id int, k int, v numeric(12,2), t text';
my $nparts = 64;
my @server_of = map { ('s1', 's2', 'm1')[ $_ % 3 ] } 0 .. $nparts - 1;

my %remote = (s1 => '', s2 => '', m1 => '');
for my $p (0 .. $nparts - 1)
{
	my $srv = $server_of[$p];
	if ($srv eq 'm1')
	{
		$remote{m1} .= "CREATE TABLE app.big_$p (id int, k int, v DECIMAL(12,2), t varchar(20));\n";
	}
	else
	{
		$remote{$srv} .= "CREATE TABLE big_$p ($cols);\n";
	}
}
$pg[0]->safe_psql('postgres', $remote{s1});
$pg[1]->safe_psql('postgres', $remote{s2});
$m->sql($remote{m1});

my $setup = "CREATE EXTENSION federate;\n";
for my $i (1, 2)
{
	$setup .= sprintf(qq{
		CREATE SERVER s$i FOREIGN DATA WRAPPER federate
		  OPTIONS (host '%s', port '%s', dbname 'postgres', connection_budget '4');
		CREATE USER MAPPING FOR CURRENT_USER SERVER s$i;
	}, $pg[ $i - 1 ]->host, $pg[ $i - 1 ]->port);
}
$setup .= sprintf(qq{
	CREATE SERVER m1 FOREIGN DATA WRAPPER federate
	  OPTIONS (%s, dbname 'app', connection_budget '4');
	CREATE USER MAPPING FOR PUBLIC SERVER m1 OPTIONS (%s);
}, $m->server_options, $m->user_mapping_options);
$setup .= "CREATE TABLE big ($cols) PARTITION BY HASH (k);\n";
for my $p (0 .. $nparts - 1)
{
	my $srv = $server_of[$p];
	my $opts = $srv eq 'm1' ? "table_name 'big_$p'" : "schema_name 'public', table_name 'big_$p'";
	$setup .= "CREATE FOREIGN TABLE big_p$p PARTITION OF big FOR VALUES WITH (MODULUS $nparts, REMAINDER $p) SERVER $srv OPTIONS ($opts);\n";
}
$setup .= qq{
	CREATE TABLE big_local ($cols);
	INSERT INTO big_local
	SELECT g, g % 211,
	       CASE WHEN g % 17 = 0 THEN NULL ELSE ((g * 37) % 2000 - 700) / 4.0 END,
	       CASE WHEN g % 19 = 0 THEN NULL
	            ELSE (ARRAY['a', 'A', 'a ', 'b', 'o''q', 'ü'])[g % 6 + 1] END
	FROM generate_series(1, 3000) g;
	INSERT INTO big SELECT * FROM big_local;
	CREATE ROLE app LOGIN;
	GRANT ALL ON big, big_local TO app;
	GRANT USAGE ON FOREIGN SERVER s1, s2, m1 TO app;
};
$coord->safe_psql('postgres', $setup);
is($coord->safe_psql('postgres', 'SELECT count(*) FROM big'), '3000', 'the rows reached the 64 partitions');

# Query shapes; %T is the table.
my @shapes = (
	q{SELECT count(*), count(v), sum(v), avg(v), min(v), max(id) FROM %T},
	q{SELECT k % 7, count(*), sum(v), max(t) FROM %T GROUP BY 1 ORDER BY 1},
	q{SELECT id, v FROM %T ORDER BY v DESC NULLS LAST, id LIMIT 25},
	q{SELECT id, k, v, t FROM %T ORDER BY id},
	q{SELECT DISTINCT t FROM %T ORDER BY t},
	q{SELECT id, t FROM %T WHERE v > 100 AND t = 'a' ORDER BY id},
);

sub fed_sql { (my $s = $_[0]) =~ s/%T/big/g; return "$s;" }
sub loc_sql { (my $s = $_[0]) =~ s/%T/big_local/g; return "$s;" }

my %expect = map { $_ => $coord->safe_psql('postgres', loc_sql($_)) } @shapes;

# federate's connections open on each server now
my $mysql_user = $m->user;
sub shard_conns
{
	my %n;
	for my $i (1, 2)
	{
		$n{"s$i"} = $pg[ $i - 1 ]->safe_psql('postgres',
			q{SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'federate%'});
	}
	# not the short side connections KILL QUERY goes through (no database:
	# outside the budget for the moment they last, see driver_mysql.c), nor
	# a connection the coordinator has closed whose server thread is still
	# ending (mysql_close does not wait for it: its unit of the budget is
	# already given back)
	$n{m1} = $m->sql("SELECT count(*) FROM information_schema.PROCESSLIST WHERE USER = '$mysql_user' AND DB IS NOT NULL AND COMMAND NOT IN ('Quit', 'Killed')");
	return \%n;
}

# --- 1. budget 4, one session at a time ------------------------------------
for my $q (@shapes)
{
	my ($rc, $out, $err) = $coord->psql('postgres', fed_sql($q));
	is($out, $expect{$q}, "64 partitions, budget 4: $q");
	is($err, '', "no error or notice: $q");
}
{
	# one session reads all the shapes in one transaction, with a cursor
	# open meanwhile (its connection is held while the others queue)
	my $s = FederateTest::Session->new($coord->connstr('postgres'));
	my ($out, $err) = $s->run(q{
		BEGIN;
		DECLARE c CURSOR FOR SELECT id, v FROM big ORDER BY id;
		FETCH 3 FROM c;
		SELECT count(*), sum(v) FROM big;
		FETCH 2 FROM c;
		COMMIT;
	});
	my $want = $coord->safe_psql('postgres', q{
		SELECT id, v FROM big_local ORDER BY id LIMIT 3;
		SELECT count(*), sum(v) FROM big_local;
		SELECT id, v FROM big_local ORDER BY id OFFSET 3 LIMIT 2;
	});
	is($out, $want, 'a cursor open on the budget while another query of the transaction runs');
	is($err, '', 'the cursor and the query: no error');
	my $n = shard_conns();
	ok($n->{$_} <= 4, "server $_: $n->{$_} federate connections open, budget 4") for sort keys %$n;
	my $view = $coord->safe_psql('postgres',
		q{SELECT server_name, budget, in_use + idle <= budget, waiting, shared FROM federate.server_connections ORDER BY 1});
	is($view, "m1|4|t|0|t\ns1|4|t|0|t\ns2|4|t|0|t", 'federate.server_connections: budget 4, within it, nobody waiting');
	$s->quit;
}

# --- 2. 20 concurrent sessions, budget 3 -----------------------------------
$coord->safe_psql('postgres', q{
	ALTER SERVER s1 OPTIONS (SET connection_budget '3', connect_timeout '60');
	ALTER SERVER s2 OPTIONS (SET connection_budget '3', connect_timeout '60');
	ALTER SERVER m1 OPTIONS (SET connection_budget '3', connect_timeout '60');
});
my @sessions = map { FederateTest::Session->new($coord->connstr('postgres')) } 1 .. 20;
my $script = join("\n", map { fed_sql($shapes[$_]) } 0, 1, 2, 4, 0, 2);
my $want = join("\n", map { $expect{ $shapes[$_] } } 0, 1, 2, 4, 0, 2);
$_->send($script) for @sessions;
my %peak = (s1 => 0, s2 => 0, m1 => 0);
my $polls = 0;
while (grep { $_->busy } @sessions)
{
	my $n = shard_conns();
	for my $k (keys %$n) { $peak{$k} = $n->{$k} if $n->{$k} > $peak{$k}; }
	$polls++;
	if ($ENV{BUDGET_DEBUG} && $polls == 200)
	{
		diag($coord->safe_psql('postgres', q{SELECT pid, state, wait_event_type, wait_event, left(query, 40) FROM pg_stat_activity WHERE backend_type = 'client backend'}));
		diag($coord->safe_psql('postgres', q{SELECT * FROM federate.server_connections}));
		diag($pg[0]->safe_psql('postgres', q{SELECT application_name, state, left(query, 60) FROM pg_stat_activity WHERE application_name LIKE 'federate%'}));
		diag($m->sql("SELECT ID, COMMAND, TIME, STATE, LEFT(INFO, 60) FROM information_schema.PROCESSLIST WHERE USER = '$mysql_user'"));
	}
	sleep 0.05;
}
my $wrong = 0;
for my $i (0 .. $#sessions)
{
	my ($out, $err) = $sessions[$i]->wait;
	if ($out ne $want || $err ne '')
	{
		$wrong++;
		diag("session $i: error: $err") if $err ne '';
		diag("session $i: answer differs") if $out ne $want;
	}
}
is($wrong, 0, '20 concurrent sessions, budget 3: every answer right, none failed');
ok($polls > 0, "the shards were polled while the sessions ran ($polls times)");
ok($peak{$_} <= 3, "server $_: at most 3 federate connections at once (peak $peak{$_})")
  for sort keys %peak;
ok($peak{s1} >= 1, 'the poll saw federate connections on s1');
is($coord->safe_psql('postgres', 'SELECT sum(waiting) FROM federate.server_connections'), '0',
	'nobody waits once the sessions are done');
$_->quit for @sessions;

# --- 3. waiting for the budget: timeouts and cancel ------------------------
$coord->safe_psql('postgres', q{
	ALTER SERVER s1 OPTIONS (SET connection_budget '1', SET connect_timeout '30');
});
# the holder keeps s1's only unit in an open transaction
my $holder = FederateTest::Session->new($coord->connstr('postgres'));
my ($hout, $herr) = $holder->run(q{BEGIN; SELECT count(*) FROM big WHERE k = 0;});
is($hout, $coord->safe_psql('postgres', 'SELECT count(*) FROM big_local WHERE k = 0'),
	'the holder read through s1');
my $waiter = FederateTest::Session->new($coord->connstr('postgres'));

# statement_timeout
my ($wout, $werr) = $waiter->run(q{SET statement_timeout = '700ms'; SELECT count(*) FROM big;});
like($werr, qr/canceling statement due to statement timeout/, 'a session waiting for the budget meets statement_timeout');
ok($waiter->{elapsed} < 5, sprintf('... and gets control back (%.1f s)', $waiter->{elapsed}));

# cancel, while federate.server_connections shows it waiting
$waiter->send(q{SET statement_timeout = 0; SELECT count(*) FROM big;});
my $seen = 0;
for (1 .. 100)
{
	$seen = $coord->safe_psql('postgres', q{SELECT waiting FROM federate.server_connections WHERE server_name = 's1'});
	last if $seen eq '1';
	sleep 0.05;
}
is($seen, '1', 'federate.server_connections shows the session waiting for s1');
$coord->safe_psql('postgres', "SELECT pg_cancel_backend($waiter->{pid})");
($wout, $werr) = $waiter->wait;
like($werr, qr/canceling statement due to user request/, 'a session waiting for the budget can be cancelled');
is($coord->safe_psql('postgres', q{SELECT waiting FROM federate.server_connections WHERE server_name = 's1'}),
	'0', 'the cancelled session no longer counts as waiting');

# the connect timeout bounds the wait
$coord->safe_psql('postgres', q{ALTER SERVER s1 OPTIONS (SET connect_timeout '1')});
($wout, $werr) = $waiter->run(q{SELECT count(*) FROM big;});
like($werr, qr/ERROR:  no connection to server "s1" became free within its budget\nDETAIL:  All 1 connections of the budget are in use by other sessions\.\nHINT:  Raise the server option "connection_budget"/,
	'after connect_timeout: an error naming the server and the budget');

# the holder ends its transaction: the waiter gets the unit
$holder->run('COMMIT;');
($wout, $werr) = $waiter->run(q{SELECT count(*), sum(v) FROM big;});
is($wout, $coord->safe_psql('postgres', 'SELECT count(*), sum(v) FROM big_local'),
	'once the holder commits, the waiting session reads');
is($werr, '', '... without an error');
my $n = shard_conns();
ok($n->{s1} <= 1, "s1 had at most its budget of 1 open ($n->{s1})");
$holder->quit;
$waiter->quit;

$coord->stop;
$_->stop for @pg;
$m->stop;
done_testing();

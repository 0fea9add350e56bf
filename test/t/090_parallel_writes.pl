# UPDATE and DELETE of a partitioned table whose foreign partitions live on
# two PostgreSQL clusters and a MariaDB server, each partition's statement
# sent whole ("Foreign Update"/"Foreign Delete"):
#   1. the servers' statements run at the same time: while shard 1's
#      statement waits for a row lock held by another session, shard 2's
#      and MariaDB's statements have already run (sent one after another,
#      they would not have started);
#   2. the command tag counts every server's rows, and the contents equal
#      a local table's after the same statements (also prepared statements
#      under a generic plan, and a writable CTE, which runs its statements
#      one after another);
#   3. a statement that fails on one server fails the whole statement, and
#      the transaction's rollback leaves every server as it was.
use strict;
use warnings;

use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

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
	# shard 2 refuses large values: section 3 makes it fail alone
	my $check = $i == 2 ? ', CHECK (v < 1000)' : '';
	$s->safe_psql('postgres',
		"CREATE TABLE w (g int, id int PRIMARY KEY, v numeric(12,2)$check);");
	push @shards, $s;
}

my $m = FederateTest::MariaDB->new(name => 'm1');
$m->start;
$m->sql(q{
	CREATE DATABASE app;
	CREATE TABLE app.w (g int, id int PRIMARY KEY, v DECIMAL(12,2)) ENGINE=InnoDB;
});

my $setup = "CREATE EXTENSION federate;\n";
for my $i (1, 2)
{
	$setup .= sprintf(qq{
		CREATE SERVER s$i FOREIGN DATA WRAPPER federate
		  OPTIONS (host '%s', port '%s', dbname 'postgres');
		CREATE USER MAPPING FOR CURRENT_USER SERVER s$i;
	}, $shards[ $i - 1 ]->host, $shards[ $i - 1 ]->port);
}
$setup .= sprintf(qq{
	CREATE SERVER m1 FOREIGN DATA WRAPPER federate OPTIONS (%s, dbname 'app');
	CREATE USER MAPPING FOR CURRENT_USER SERVER m1 OPTIONS (%s);
}, $m->server_options, $m->user_mapping_options);
# the partitions in bound order: shard 1's comes first in the plan
$setup .= q{
	CREATE TABLE w (g int, id int, v numeric(12,2)) PARTITION BY LIST (g);
	CREATE FOREIGN TABLE w1 PARTITION OF w FOR VALUES IN (1)
	  SERVER s1 OPTIONS (table_name 'w');
	CREATE FOREIGN TABLE w2 PARTITION OF w FOR VALUES IN (2)
	  SERVER s2 OPTIONS (table_name 'w');
	CREATE FOREIGN TABLE w3 PARTITION OF w FOR VALUES IN (3)
	  SERVER m1 OPTIONS (table_name 'w');
	ALTER FOREIGN TABLE w1 ALTER COLUMN id OPTIONS (ADD key 'true');
	ALTER FOREIGN TABLE w2 ALTER COLUMN id OPTIONS (ADD key 'true');
	ALTER FOREIGN TABLE w3 ALTER COLUMN id OPTIONS (ADD key 'true');
	CREATE TABLE wl (g int, id int PRIMARY KEY, v numeric(12,2));
	INSERT INTO w SELECT 1 + i % 3, i, i * 1.25 FROM generate_series(1, 300) i;
	INSERT INTO wl SELECT 1 + i % 3, i, i * 1.25 FROM generate_series(1, 300) i;
};
$coord->safe_psql('postgres', $setup);

# A long-lived psql session: send SQL, and read what it printed.
sub start_session
{
	my ($connstr) = @_;
	my %s = (in => '', out => '', err => '');
	$s{h} = IPC::Run::start(
		[ 'psql', '-XAtq', '-v', 'ON_ERROR_STOP=0', '-d', $connstr, '-f', '-' ],
		'<', \$s{in}, '>', \$s{out}, '2>', \$s{err},
		IPC::Run::timeout($PostgreSQL::Test::Utils::timeout_default));
	return \%s;
}

# Send SQL to session s and wait until it has run; returns (stdout, stderr).
sub run_in
{
	my ($s, $sql) = @_;
	send_to($s, $sql);
	return wait_for($s);
}

sub send_to
{
	my ($s, $sql) = @_;
	$s->{marker} = '__done_' . int(rand(1e9)) . '__';
	$s->{out} = '';
	$s->{err} = '';
	$s->{in} .= "$sql\n\\echo $s->{marker}\n\\warn $s->{marker}\n";
	# hand all of it to psql now: the caller goes on without waiting
	while (length $s->{in})
	{
		$s->{h}->pump_nb;
		select(undef, undef, undef, 0.01);
	}
}

sub wait_for
{
	my ($s) = @_;
	my $marker = $s->{marker};
	$s->{h}->pump
	  until $s->{out} =~ /\Q$marker\E\n/ && $s->{err} =~ /\Q$marker\E\n/;
	(my $o = $s->{out}) =~ s/\Q$marker\E\n//;
	(my $e = $s->{err}) =~ s/\Q$marker\E\n//;
	chomp $o;
	return ($o, $e);
}

sub same_contents
{
	my ($name) = @_;
	my $diff = $coord->safe_psql('postgres', q{
		SELECT count(*) FROM ((TABLE w EXCEPT ALL TABLE wl)
		                      UNION ALL (TABLE wl EXCEPT ALL TABLE w)) d;});
	is($diff, '0', "$name: the federated table equals the local one");
}

# --- 1. the servers' statements run at the same time ----------------------
my $coord_s = start_session($coord->connstr('postgres'));
my ($o, $e) = run_in($coord_s, 'EXPLAIN (COSTS OFF) UPDATE w SET v = v + 1;');
is(scalar(() = $o =~ /Foreign Update on/g), 6,
	'each partition gets one UPDATE sent whole (3 result relations, 3 scans)');

my $blocker = start_session($shards[0]->connstr('postgres'));
($o, $e) = run_in($blocker, 'BEGIN; SELECT id FROM w WHERE id = 3 FOR UPDATE;');
is($o, '3', 'another session on shard 1 holds a row lock');

run_in($coord_s, 'BEGIN;');
send_to($coord_s, 'UPDATE w SET v = v + 1;');

# wait until shard 1's UPDATE waits for the lock
my $waiting = $shards[0]->poll_query_until('postgres', q{
	SELECT count(*) = 1 FROM pg_stat_activity
	WHERE wait_event_type = 'Lock' AND query LIKE '%UPDATE public.w %';});
ok($waiting, "shard 1's UPDATE waits for the row lock");

# meanwhile the other servers' statements have run, in the remote
# transaction that waits for the coordinator's COMMIT
is($shards[1]->safe_psql('postgres', q{
	SELECT state FROM pg_stat_activity
	WHERE query LIKE '%UPDATE public.w %' AND pid <> pg_backend_pid();}),
	'idle in transaction',
	"shard 2's UPDATE has already run while shard 1's waits");
is($m->sql(q{SELECT trx_rows_modified FROM information_schema.innodb_trx
	WHERE trx_rows_modified > 0;}),
	'100', "MariaDB's UPDATE has already run while shard 1's waits");

run_in($blocker, 'COMMIT;');
($o, $e) = wait_for($coord_s);
is($e, '', 'the UPDATE ends once the lock is released');
($o, $e) = run_in($coord_s, 'COMMIT;');
is($e, '', 'COMMIT');
$coord->safe_psql('postgres', 'UPDATE wl SET v = v + 1;');
same_contents('after the blocked UPDATE');

# --- 2. command tags and contents -----------------------------------------
# The rows a statement changed, as its command tag says (ROW_COUNT).
sub row_count
{
	my ($stmt) = @_;
	my ($o, $e) = run_in($coord_s, qq{DO \$\$DECLARE n bigint;
		BEGIN $stmt; GET DIAGNOSTICS n = ROW_COUNT; RAISE NOTICE 'rows=%', n; END\$\$;});
	return $e =~ /rows=(\d+)/ ? $1 : "error: $e";
}

for my $stmt (
	'UPDATE %T SET v = v * 2 WHERE id % 7 = 1',
	'DELETE FROM %T WHERE id % 10 = 0',
	'UPDATE %T SET v = v - 0.005, g = g WHERE g IN (1, 3)',
	'DELETE FROM %T WHERE v > 300',
	'UPDATE %T SET v = -v WHERE id > 1000',
	'UPDATE %T SET v = v + 1 WHERE id % 3 = 0')
{
	(my $f = $stmt) =~ s/%T/w/g;
	(my $l = $stmt) =~ s/%T/wl/g;
	my $nf = row_count($f);
	my $nl = row_count($l);
	is($nf, $nl, "$f: the command tag counts the rows of every server ($nl)");
	same_contents($f);
}

# a prepared statement under a generic plan
run_in($coord_s, 'SET plan_cache_mode = force_generic_plan;');
run_in($coord_s, 'PREPARE pu(numeric, int) AS UPDATE w SET v = v + $1 WHERE id % $2 = 1;');
run_in($coord_s, 'PREPARE pl(numeric, int) AS UPDATE wl SET v = v + $1 WHERE id % $2 = 1;');
for my $args ('(1.5, 2)', '(-0.25, 5)', '(3, 1)')
{
	run_in($coord_s, "EXECUTE pu$args; EXECUTE pl$args;");
	same_contents("EXECUTE pu$args");
}
($o, $e) = run_in($coord_s, 'EXPLAIN (COSTS OFF) EXECUTE pu(1, 2);');
like($o, qr/Foreign Update on w3/, 'the generic plan updates each partition whole');

# a writable CTE: its statements run one after another, as before
run_in($coord_s, q{WITH a AS (UPDATE w SET v = v + 1 WHERE g = 1 RETURNING id)
	UPDATE w SET v = v + (SELECT count(*) FROM a) WHERE g = 2;});
run_in($coord_s, q{WITH a AS (UPDATE wl SET v = v + 1 WHERE g = 1 RETURNING id)
	UPDATE wl SET v = v + (SELECT count(*) FROM a) WHERE g = 2;});
same_contents('a writable CTE');

# --- 3. a failure on one server fails the statement -------------------------
($o, $e) = run_in($coord_s, 'UPDATE w SET v = v + 950;');
like($e, qr/violates check constraint/, 'shard 2 refuses the new values: the UPDATE fails');
same_contents('after the failed UPDATE: no server kept its changes');
# Again and again: a statement that fails on one server while another's
# BEGIN is still on its way must leave no remote transaction open, so that
# the next transaction begins its own (its writes would otherwise run in
# autocommit mode, out of reach of its ROLLBACK)
for my $round (1 .. 10)
{
	($o, $e) = run_in($coord_s, 'UPDATE w SET v = v + 950;');
	($o, $e) = run_in($coord_s, q{BEGIN; DELETE FROM w WHERE g = 3; UPDATE w SET v = v + 950; });
	like($e, qr/violates check constraint/, "round $round: the UPDATE in a transaction fails");
	run_in($coord_s, 'ROLLBACK;');
	is($m->sql('SELECT count(*) FROM app.w'),
		$coord->safe_psql('postgres', 'SELECT count(*) FROM wl WHERE g = 3'),
		"round $round: MariaDB's rows are all there after the ROLLBACK");
}
same_contents('after the rolled back transactions');

$coord_s->{in} .= "\\q\n";
$coord_s->{h}->finish;
$blocker->{in} .= "\\q\n";
$blocker->{h}->finish;
$m->stop;
done_testing();

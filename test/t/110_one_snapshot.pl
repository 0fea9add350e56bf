# One snapshot per server: a local transaction that reads one PostgreSQL
# server through several connections (a cursor and a query, a write and a
# read, a self-join) sees the server as it was at one moment, while
# another session commits rows there in between.  Each answer is compared
# with what the rows were when the transaction first read the server, and
# the test checks that the transaction did use several connections.  The
# snapshot is shared in read-only transactions, and in a statement that is
# its own transaction and only reads: PostgreSQL refuses to
# prepare a transaction that exported its snapshot, and an export in every
# BEGIN of transactions that may write would cost them more than a
# one-phase commit; a transaction that may write, with two-phase commit on,
# must still commit in two phases, and with it off exports nothing.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

use FederateTest::Session;

my $coord = PostgreSQL::Test::Cluster->new('coord');
$coord->init;
$coord->append_conf('postgresql.conf', "shared_preload_libraries = 'federate'");
$coord->start;

my $shard = PostgreSQL::Test::Cluster->new('shard');
$shard->init;
$shard->start;
$shard->safe_psql('postgres', q{
	CREATE TABLE t (id int PRIMARY KEY, v int);
	INSERT INTO t SELECT g, g FROM generate_series(1, 1000) g;
	CREATE TABLE u (id int PRIMARY KEY, v int);
	INSERT INTO u SELECT g, g FROM generate_series(1, 10) g;
});
$coord->safe_psql('postgres', sprintf(q{
	CREATE EXTENSION federate;
	CREATE SERVER s1 FOREIGN DATA WRAPPER federate
	  OPTIONS (host '%s', port '%s', dbname 'postgres', fetch_size '100');
	CREATE USER MAPPING FOR CURRENT_USER SERVER s1;
	CREATE FOREIGN TABLE t (id int OPTIONS (key 'true'), v int) SERVER s1;
	CREATE FOREIGN TABLE u (id int OPTIONS (key 'true'), v int) SERVER s1;
	CREATE SERVER s1b FOREIGN DATA WRAPPER federate
	  OPTIONS (host '%s', port '%s', dbname 'postgres');
	CREATE USER MAPPING FOR CURRENT_USER SERVER s1b;
	CREATE FOREIGN TABLE ub (id int OPTIONS (key 'true'), v int) SERVER s1b
	  OPTIONS (table_name 'u');
}, $shard->host, $shard->port, $shard->host, $shard->port));

my $next = 2000;
# another session commits a row on the server
sub concurrent_insert
{
	$next++;
	$shard->safe_psql('postgres', "INSERT INTO t VALUES ($next, 0)");
	return;
}

sub rows_now { $shard->safe_psql('postgres', 'SELECT count(*) FROM t') }

my $a = FederateTest::Session->new($coord->connstr('postgres'));

for my $mode ('READ ONLY', 'default_transaction_read_only')
{
	for my $iso ('READ COMMITTED', 'REPEATABLE READ')
	{
		my $begin = $mode eq 'READ ONLY' ? "BEGIN ISOLATION LEVEL $iso READ ONLY;"
		  : "SET default_transaction_read_only = on;\nBEGIN ISOLATION LEVEL $iso;";
		my $what = "$iso, $mode";

		# 1. a cursor streams on one connection; a query meanwhile needs a
		# second one, which imports the first one's snapshot
		my $before = rows_now();
		$a->run("$begin\n"
			  . "DECLARE c CURSOR FOR SELECT id FROM t ORDER BY id;\n"
			  . "FETCH 1 FROM c;");
		concurrent_insert();
		my ($count) = $a->run('SELECT count(*) FROM t;');
		my ($conns) = $a->run(q{SELECT count(*) FROM federate.connections() WHERE server_name = 's1' AND in_transaction;});
		$a->run("MOVE FORWARD ALL IN c;\nCOMMIT;\nRESET default_transaction_read_only;");
		is($count, $before, "$what, a cursor and a query: the query sees the cursor's snapshot");
		cmp_ok($conns, '>=', 2, "$what, a cursor and a query: two connections to the server");

		# 3. later reads through other connections still see the rows as
		# they were at the transaction's first read of the server
		$before = rows_now();
		$a->run("$begin\n"
			  . "SELECT count(*) FROM u;\n"
			  . "DECLARE c CURSOR FOR SELECT id FROM u ORDER BY id;\n"
			  . "FETCH 1 FROM c;");
		concurrent_insert();
		my ($c1) = $a->run('SELECT count(*) FROM t;');
		my ($c2) = $a->run('SELECT count(*) FROM t WHERE id > 0;');
		$a->run("COMMIT;\nRESET default_transaction_read_only;");
		is("$c1/$c2", "$before/$before", "$what, reads after a concurrent commit: the first read's snapshot");
	}
}

# 3b. a transaction that may write, two-phase commit on: a cursor on one
# connection, a write through it and through a second server to the same
# database; both are prepared (none exported a snapshot) and committed
{
	my ($out, $err) = $a->run("SET federate.log_remote_sql = on;\nBEGIN;\n"
		  . "DECLARE c CURSOR FOR SELECT id FROM t ORDER BY id;\n"
		  . "FETCH 1 FROM c;\n"
		  . "UPDATE u SET v = v + 1 WHERE id = 2;\n"
		  . "UPDATE ub SET v = v + 1 WHERE id = 3;\n"
		  . "COMMIT;\nRESET federate.log_remote_sql;");
	unlike($err, qr/ERROR/, 'may write, two-phase commit on: COMMIT succeeds');
	like($err, qr/PREPARE TRANSACTION/, 'may write, two-phase commit on: prepared');
	unlike($err, qr/pg_export_snapshot/, 'may write, two-phase commit on: no snapshot exported');
	is($shard->safe_psql('postgres', 'SELECT v FROM u WHERE id IN (2, 3) ORDER BY id'), "3\n4",
		'may write, two-phase commit on: both writes committed');
	($out, $err) = $a->run("SET federate.log_remote_sql = on;\nSET federate.two_phase_commit = off;\nBEGIN;\n"
		  . "DECLARE c CURSOR FOR SELECT id FROM t ORDER BY id;\n"
		  . "FETCH 1 FROM c;\n"
		  . "UPDATE u SET v = v + 1 WHERE id = 2;\n"
		  . "COMMIT;\nRESET federate.log_remote_sql;\nRESET federate.two_phase_commit;");
	unlike($err, qr/pg_export_snapshot/, 'may write, two-phase commit off: no snapshot exported at BEGIN');
}

# 5. a statement that is its own transaction and only reads, reading two
# tables of one server at once (two partitions, not combined into one
# statement): the second read waits for a lock while another session moves
# a row from the first table to the second and commits.  Both reads must see
# the server as it was at one moment: the row is counted once.
{
	$shard->safe_psql('postgres', q{
		CREATE TABLE pa (id int, v int);
		CREATE TABLE pb (id int, v int);
		INSERT INTO pa SELECT g, g FROM generate_series(1, 100) g;
		INSERT INTO pb SELECT g, g FROM generate_series(101, 200) g;
	});
	$coord->safe_psql('postgres', q{
		CREATE TABLE pt (id int, v int) PARTITION BY RANGE (id);
		CREATE FOREIGN TABLE pt_a PARTITION OF pt FOR VALUES FROM (1) TO (101)
		  SERVER s1 OPTIONS (table_name 'pa');
		CREATE FOREIGN TABLE pt_b PARTITION OF pt FOR VALUES FROM (101) TO (1000)
		  SERVER s1 OPTIONS (table_name 'pb');
	});
	my $mover = FederateTest::Session->new($shard->connstr('postgres'));
	for my $query ('SELECT count(*) FROM pt;',
		'SELECT count(*) FROM (SELECT id FROM pt ORDER BY id LIMIT 1000) s;')
	{
		my $total = $shard->safe_psql('postgres', 'SELECT (SELECT count(*) FROM pa) + (SELECT count(*) FROM pb)');
		$mover->run("BEGIN;\nLOCK TABLE pb IN ACCESS EXCLUSIVE MODE;");
		$a->send("SET federate.combine_partitions = off;\nSET federate.log_remote_sql = on;\n"
			  . "$query\nRESET federate.log_remote_sql;\nRESET federate.combine_partitions;");
		$shard->poll_query_until('postgres',
			q{SELECT count(*) > 0 FROM pg_locks WHERE NOT granted AND relation = 'pb'::regclass})
		  or die 'the read of pb never waited for its lock';
		$mover->run("DELETE FROM pa WHERE id = (SELECT min(id) FROM pa);\n"
			  . "INSERT INTO pb VALUES ((SELECT max(id) + 1 FROM pb), 0);\nCOMMIT;");
		my ($out, $err) = $a->wait;
		is($out, $total, "a read statement, two tables of one server read at once ($query): one snapshot");
		like($err, qr/SET TRANSACTION SNAPSHOT/, "a read statement ($query): the second read imports the first one's snapshot");
	}
	$mover->quit;
}

# 4. the snapshot of a transaction that ended is never imported: the next
# transaction sees the rows committed meanwhile
concurrent_insert();
my ($count) = $a->run("BEGIN READ ONLY;\nDECLARE c CURSOR FOR SELECT id FROM t;\nFETCH 1 FROM c;\nSELECT count(*) FROM t;\nCOMMIT;");
$count = (split /\n/, $count)[-1];
is($count, rows_now(), 'a new transaction: a new snapshot');

$a->quit;
done_testing();

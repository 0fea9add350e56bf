# Two-phase commit of a transaction that wrote to several servers, with
# faults injected at each step, and the recovery of what they leave in
# doubt (federate.recover_prepared_transactions()).  After each case
# every transaction is applied on all of its servers or on none, and no
# prepared transaction is left behind once recovery ran.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

use FederateTest::MariaDB;
use FederateTest::Session;
use FederateTest::TwoPhase;

my $coord = PostgreSQL::Test::Cluster->new('coord');
$coord->init;
$coord->append_conf('postgresql.conf', "shared_preload_libraries = 'federate'");
$coord->start;

# s1 and s2 take prepared transactions; s3 does not
my @shards;
for my $i (1, 2, 3)
{
	my $s = PostgreSQL::Test::Cluster->new("shard$i");
	$s->init;
	$s->append_conf('postgresql.conf',
		'max_prepared_transactions = ' . ($i == 3 ? 0 : 10));
	$s->start;
	$s->safe_psql('postgres', q{
		CREATE TABLE t (id int PRIMARY KEY, v int);
		CREATE TABLE d (id int PRIMARY KEY DEFERRABLE INITIALLY DEFERRED);
	});
	push @shards, $s;
}

my $m = FederateTest::MariaDB->new(name => 'm1');
$m->start;
$m->sql(q{
	CREATE DATABASE app;
	CREATE TABLE app.t (id int PRIMARY KEY, v int) ENGINE=InnoDB;
});

my $setup = "CREATE EXTENSION federate;\n";
for my $i (1, 2, 3)
{
	$setup .= sprintf(qq{
		CREATE SERVER s$i FOREIGN DATA WRAPPER federate
		  OPTIONS (host '%s', port '%s', dbname 'postgres');
		CREATE USER MAPPING FOR CURRENT_USER SERVER s$i;
		CREATE FOREIGN TABLE t$i (id int OPTIONS (key 'true'), v int)
		  SERVER s$i OPTIONS (table_name 't');
		CREATE FOREIGN TABLE d$i (id int OPTIONS (key 'true'))
		  SERVER s$i OPTIONS (table_name 'd');
	}, $shards[ $i - 1 ]->host, $shards[ $i - 1 ]->port);
}
$setup .= sprintf(qq{
	CREATE SERVER m1 FOREIGN DATA WRAPPER federate OPTIONS (%s, dbname 'app');
	CREATE USER MAPPING FOR CURRENT_USER SERVER m1 OPTIONS (%s);
	CREATE FOREIGN TABLE tm (id int OPTIONS (key 'true'), v int)
	  SERVER m1 OPTIONS (table_name 't');
}, $m->server_options, $m->user_mapping_options);
$coord->safe_psql('postgres', $setup);

# the rows with this id on s1, s2 (and m1)
sub where_is
{
	my ($id) = @_;
	my @on;
	for my $i (1, 2)
	{
		push @on, "s$i"
		  if $shards[ $i - 1 ]->safe_psql('postgres', "SELECT count(*) FROM t WHERE id = $id") eq '1';
	}
	push @on, 'm1' if $m->sql("SELECT count(*) FROM app.t WHERE id = $id") =~ /^1\s*$/;
	return join(',', @on);
}

sub prepared_count { FederateTest::TwoPhase::prepared_count(@shards[ 0, 1 ]) }

sub recover
{
	return $coord->safe_psql('postgres',
		'SELECT server_name, action FROM federate.recover_prepared_transactions() ORDER BY 1');
}

sub restart_after_crash { FederateTest::TwoPhase::restart_after_crash($coord) }

sub records
{
	return $coord->safe_psql('postgres', 'SELECT count(*) FROM federate.commit_records');
}

# 1. a transaction that wrote to two servers is prepared on both, then
# committed on both; recovery then only deletes its commit record
my ($ret, $out, $err) = $coord->psql('postgres', q{
	SET federate.log_remote_sql = on;
	BEGIN;
	INSERT INTO t1 VALUES (1, 1);
	INSERT INTO t2 VALUES (1, 1);
	COMMIT;
});
is($ret, 0, 'two servers: COMMIT succeeds');
like($err, qr/s1": PREPARE TRANSACTION 'fed:[0-9a-f]{16}(:[0-9a-f]{8}){4}:\d'/, 'two servers: s1 is prepared');
like($err, qr/s2": COMMIT PREPARED 'fed:/, 'two servers: s2 commits the prepared transaction');
is(where_is(1), 's1,s2', 'two servers: the rows are on both');
is(prepared_count(), 0, 'two servers: nothing left prepared');
is(records(), '1', 'two servers: one commit record');
is(recover(), '', 'two servers: recovery has nothing to end');
is(records(), '0', 'two servers: recovery deleted the commit record');

# 2. one server written (others only read): one COMMIT, no PREPARE
($ret, $out, $err) = $coord->psql('postgres', q{
	SET federate.log_remote_sql = on;
	BEGIN;
	SELECT count(*) FROM t2;
	INSERT INTO t1 VALUES (2, 1);
	COMMIT;
});
unlike($err, qr/PREPARE TRANSACTION/, 'one server written: no PREPARE');
is(where_is(2), 's1', 'one server written: committed');

# 2b. one server written, another only read whose connection is lost
# before COMMIT: nothing was written there, the commit succeeds (its
# COMMIT failing once made the client believe a committed transaction had
# failed)
{
	my $sess = FederateTest::Session->new($coord->connstr('postgres'));
	$sess->run("BEGIN;\nSELECT count(*) FROM t2;\nINSERT INTO t1 VALUES (21, 1);");
	$shards[1]->safe_psql('postgres', q{SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() AND datname = 'postgres'});
	my (undef, $e) = $sess->run('COMMIT;');
	unlike($e, qr/ERROR/, 'a server only read lost before COMMIT: the commit succeeds');
	$sess->quit;
}
is(where_is(21), 's1', 'a server only read lost before COMMIT: the written server committed');

# 3. federate.two_phase_commit = off: the servers commit one after another
($ret, $out, $err) = $coord->psql('postgres', q{
	SET federate.log_remote_sql = on;
	SET federate.two_phase_commit = off;
	BEGIN;
	INSERT INTO t1 VALUES (3, 1);
	INSERT INTO t2 VALUES (3, 1);
	COMMIT;
});
unlike($err, qr/PREPARE TRANSACTION/, 'two_phase_commit off: no PREPARE');
is(where_is(3), 's1,s2', 'two_phase_commit off: committed on both');

# 4. PREPARE fails on s2 (a deferred key finds a duplicate there): the
# client gets the error, s1's prepared transaction is rolled back
$shards[1]->safe_psql('postgres', 'INSERT INTO d VALUES (7)');
($ret, $out, $err) = $coord->psql('postgres', q{
	BEGIN;
	INSERT INTO t1 VALUES (4, 1);
	INSERT INTO t2 VALUES (4, 1);
	INSERT INTO d2 VALUES (7);
	COMMIT;
});
isnt($ret, 0, 'PREPARE fails on s2: COMMIT fails');
like($err, qr/duplicate key value violates unique constraint/, 'PREPARE fails on s2: its error');
is(where_is(4), '', 'PREPARE fails on s2: applied nowhere');
is(prepared_count(), 0, 'PREPARE fails on s2: nothing left prepared');

# 5. a server without prepared transactions: refused before anything is
# prepared
($ret, $out, $err) = $coord->psql('postgres', q{
	BEGIN;
	INSERT INTO t1 VALUES (5, 1);
	INSERT INTO t3 VALUES (5, 1);
	COMMIT;
});
like($err, qr/server "s3" does not accept prepared transactions/, 'max_prepared_transactions = 0: a clear error');
like($err, qr/HINT:  Set max_prepared_transactions above zero/, 'max_prepared_transactions = 0: a hint');
is(where_is(5), '', 'max_prepared_transactions = 0: s1 not committed');
is($shards[2]->safe_psql('postgres', 'SELECT count(*) FROM t WHERE id = 5'), '0',
	'max_prepared_transactions = 0: s3 not committed');

# 6. a failure after every server prepared, before the local commit: all
# roll back
($ret, $out, $err) = $coord->psql('postgres', q{
	SET federate.inject_fault = 'after_prepare';
	BEGIN;
	INSERT INTO t1 VALUES (6, 1);
	INSERT INTO t2 VALUES (6, 1);
	COMMIT;
});
like($err, qr/injected fault after_prepare/, 'fault after PREPARE: COMMIT fails');
is(where_is(6), '', 'fault after PREPARE: applied nowhere');
is(prepared_count(), 0, 'fault after PREPARE: prepared transactions rolled back');

# 7. the servers are lost between the local commit and COMMIT PREPARED:
# in doubt (prepared, rows invisible) until recovery commits them, also
# after a server restarted meanwhile
($ret, $out, $err) = $coord->psql('postgres', q{
	SET federate.inject_fault = 'before_commit_prepared';
	BEGIN;
	INSERT INTO t1 VALUES (7, 1);
	INSERT INTO t2 VALUES (7, 1);
	COMMIT;
});
is($ret, 0, 'lost before COMMIT PREPARED: the local commit stands');
is(prepared_count(), 2, 'lost before COMMIT PREPARED: in doubt on both servers');
is($coord->safe_psql('postgres',
	"SELECT server_name, recovery, prepared <= now() FROM federate.prepared_transactions ORDER BY 1"),
	"s1|commit|t\ns2|commit|t", 'lost before COMMIT PREPARED: the view shows both, to be committed');
is(where_is(7), '', 'lost before COMMIT PREPARED: not visible yet');
$shards[1]->restart;
is(recover(), "s1|committed\ns2|committed", 'lost before COMMIT PREPARED: recovery commits both');
is(where_is(7), 's1,s2', 'lost before COMMIT PREPARED: applied on both');
is(prepared_count(), 0, 'lost before COMMIT PREPARED: nothing left prepared');
is(records(), '0', 'lost before COMMIT PREPARED: commit record deleted');

# 8. the coordinator dies after PREPARE, before its local commit: no
# commit record, so recovery rolls back
($ret, $out, $err) = $coord->psql('postgres', q{
	SET federate.inject_fault = 'crash_after_prepare';
	BEGIN;
	INSERT INTO t1 VALUES (8, 1);
	INSERT INTO t2 VALUES (8, 1);
	COMMIT;
});
isnt($ret, 0, 'coordinator dies after PREPARE: the client sees the failure');
restart_after_crash();
is(prepared_count(), 2, 'coordinator dies after PREPARE: in doubt on both servers');
is($coord->safe_psql('postgres',
	"SELECT string_agg(recovery, ',') FROM federate.prepared_transactions"),
	'roll back,roll back', 'coordinator dies after PREPARE: the view says roll back');
is(recover(), "s1|rolled back\ns2|rolled back", 'coordinator dies after PREPARE: recovery rolls back');
is(where_is(8), '', 'coordinator dies after PREPARE: applied nowhere');

# 9. the coordinator dies after its local commit, before COMMIT PREPARED:
# the commit record survives, so recovery commits
($ret, $out, $err) = $coord->psql('postgres', q{
	SET federate.inject_fault = 'crash_before_commit_prepared';
	BEGIN;
	INSERT INTO t1 VALUES (9, 1);
	INSERT INTO t2 VALUES (9, 1);
	COMMIT;
});
restart_after_crash();
is(prepared_count(), 2, 'coordinator dies after its commit: in doubt on both servers');
is(recover(), "s1|committed\ns2|committed", 'coordinator dies after its commit: recovery commits');
is(where_is(9), 's1,s2', 'coordinator dies after its commit: applied on both');
is(prepared_count(), 0, 'coordinator dies after its commit: nothing left prepared');

# 10. a PostgreSQL and a MariaDB server: both prepared (XA on MariaDB,
# its branch named at XA START), then both committed
($ret, $out, $err) = $coord->psql('postgres', q{
	SET federate.log_remote_sql = on;
	BEGIN;
	INSERT INTO t1 VALUES (10, 1);
	INSERT INTO tm VALUES (10, 1);
	COMMIT;
});
is($ret, 0, 'PostgreSQL and MariaDB: COMMIT succeeds');
like($err, qr/m1": XA START '(fed:[0-9a-f:]+)'.*m1": XA END '\1'; XA PREPARE '\1'.*m1": XA COMMIT '\1'(?:\n|$)/s,
	'PostgreSQL and MariaDB: XA START, XA END and PREPARE, XA COMMIT');
like($err, qr/s1": PREPARE TRANSACTION.*s1": COMMIT PREPARED/s,
	'PostgreSQL and MariaDB: PostgreSQL prepared and committed');
is(where_is(10), 's1,m1', 'PostgreSQL and MariaDB: applied on both');
is(prepared_count(), 0, 'PostgreSQL and MariaDB: nothing left prepared');

# 10b. MariaDB alone, or only read: XA ended and committed in one phase
# (one round trip); with two_phase_commit off, a plain transaction
($ret, $out, $err) = $coord->psql('postgres', q{
	SET federate.log_remote_sql = on;
	BEGIN;
	SELECT count(*) FROM tm;
	INSERT INTO t1 VALUES (101, 1);
	COMMIT;
	BEGIN;
	INSERT INTO tm VALUES (101, 1);
	COMMIT;
	SET federate.two_phase_commit = off;
	BEGIN;
	INSERT INTO tm VALUES (102, 1);
	COMMIT;
});
like($err, qr/m1": XA END '(fed:[0-9a-f:]+)'; XA COMMIT '\1' ONE PHASE.*m1": XA END '(fed:[0-9a-f:]+)'; XA COMMIT '\2' ONE PHASE/s,
	'MariaDB read or written alone: one-phase XA commit');
like($err, qr/m1": START TRANSACTION WITH CONSISTENT SNAPSHOT.*m1": COMMIT(\n|\z)/s,
	'two_phase_commit off: a plain transaction on MariaDB');
unlike($err, qr/PREPARE/, 'MariaDB read or written alone: nothing prepared');
is(where_is(101), 's1,m1', 'MariaDB alone: committed');
is($m->sql('SELECT count(*) FROM app.t WHERE id = 102'), '1', 'two_phase_commit off: committed');

# 10c. an error inside the XA transaction: ROLLBACK ends and rolls back
# the branch, ROLLBACK TO SAVEPOINT keeps it; the connection serves the
# next transaction
($ret, $out, $err) = $coord->psql('postgres', q{
	BEGIN;
	INSERT INTO tm VALUES (103, 1);
	INSERT INTO tm VALUES (103, 1);
	ROLLBACK;
	BEGIN;
	INSERT INTO tm VALUES (104, 1);
	SAVEPOINT a;
	INSERT INTO tm VALUES (104, 1);
	ROLLBACK TO a;
	INSERT INTO t1 VALUES (104, 1);
	INSERT INTO tm VALUES (105, 1);
	COMMIT;
}, on_error_stop => 0);
like($err, qr/Duplicate entry/, 'XA: the duplicate key fails');
is($m->sql('SELECT group_concat(id ORDER BY id) FROM app.t WHERE id BETWEEN 103 AND 105'),
	'104,105', 'XA: rolled back, then a savepoint rolled back inside a prepared transaction');
is(where_is(104), 's1,m1', 'XA: committed on both after ROLLBACK TO SAVEPOINT');
is(FederateTest::TwoPhase::xa_count($m), 0, 'XA: nothing left prepared on MariaDB');

# 10d. the servers are lost before the second phase: in doubt on both;
# MariaDB killed meanwhile keeps its prepared branch; recovery commits
($ret, $out, $err) = $coord->psql('postgres', q{
	SET federate.inject_fault = 'before_commit_prepared';
	BEGIN;
	INSERT INTO t1 VALUES (106, 1);
	INSERT INTO tm VALUES (106, 1);
	COMMIT;
});
is($ret, 0, 'MariaDB in doubt: the local commit stands');
is(FederateTest::TwoPhase::xa_count($m), 1, 'MariaDB in doubt: XA RECOVER lists the branch');
is($coord->safe_psql('postgres',
	"SELECT server_name, recovery, prepared IS NULL FROM federate.prepared_transactions ORDER BY 1"),
	"m1|commit|t\ns1|commit|f", 'MariaDB in doubt: the view shows both (MariaDB does not say since when)');
$m->kill9;
$m->start;
is(FederateTest::TwoPhase::xa_count($m), 1, 'MariaDB killed after XA PREPARE: the branch survives its restart');
is(recover(), "m1|committed\ns1|committed", 'MariaDB in doubt: recovery commits both');
is(where_is(106), 's1,m1', 'MariaDB in doubt: applied on both');
is(FederateTest::TwoPhase::xa_count($m) + prepared_count(), 0, 'MariaDB in doubt: nothing left prepared');

# 10d2. a MariaDB branch whose writes were all rolled back to a savepoint
# is prepared with nothing to commit: once its session is gone, MariaDB
# answers XA COMMIT with XA_RBROLLBACK, and recovery takes it as ended
($ret, $out, $err) = $coord->psql('postgres', q{
	SET federate.inject_fault = 'before_commit_prepared';
	BEGIN;
	INSERT INTO t1 VALUES (110, 1);
	SAVEPOINT a;
	INSERT INTO tm VALUES (110, 1);
	ROLLBACK TO a;
	COMMIT;
});
is($ret, 0, 'empty MariaDB branch in doubt: the local commit stands');
is(recover(), "m1|committed\ns1|committed", 'empty MariaDB branch in doubt: recovery ends both');
is(where_is(110), 's1', 'empty MariaDB branch in doubt: the PostgreSQL part applied');
is(FederateTest::TwoPhase::xa_count($m) + prepared_count(), 0, 'empty MariaDB branch in doubt: nothing left prepared');

# 10d3. a server down during recovery: a WARNING, the others are ended,
# the commit record stays until the server is back
($ret, $out, $err) = $coord->psql('postgres', q{
	SET federate.inject_fault = 'before_commit_prepared';
	BEGIN;
	INSERT INTO t1 VALUES (111, 1);
	INSERT INTO t2 VALUES (111, 1);
	COMMIT;
});
$shards[1]->stop;
($ret, $out, $err) = $coord->psql('postgres',
	'SELECT server_name, action FROM federate.recover_prepared_transactions() ORDER BY 1');
is($out, 's1|committed', 'a server down: the others are recovered');
like($err, qr/WARNING:  could not list the prepared transactions on server "s2"/, 'a server down: a WARNING names it');
is(records(), '1', 'a server down: the commit record stays');
$shards[1]->start;
is(recover(), 's2|committed', 'the server back: recovery commits it');
is(where_is(111), 's1,s2', 'the server back: applied on both');
is(records(), '0', 'the server back: the commit record deleted');

# 10e. the coordinator dies after PREPARE on PostgreSQL and MariaDB:
# recovery rolls back both
($ret, $out, $err) = $coord->psql('postgres', q{
	SET federate.inject_fault = 'crash_after_prepare';
	BEGIN;
	INSERT INTO t1 VALUES (107, 1);
	INSERT INTO tm VALUES (107, 1);
	COMMIT;
});
restart_after_crash();
is(FederateTest::TwoPhase::xa_count($m), 1, 'coordinator dies after XA PREPARE: in doubt on MariaDB');
is(recover(), "m1|rolled back\ns1|rolled back", 'coordinator dies after XA PREPARE: recovery rolls back both');
is(where_is(107), '', 'coordinator dies after XA PREPARE: applied nowhere');

# 10f. MariaDB's connection killed before COMMIT: the branch rolls back
# with it, the commit fails, nothing is applied
{
	my $sess = FederateTest::Session->new($coord->connstr('postgres'));
	$sess->run("BEGIN;\nINSERT INTO t1 VALUES (108, 1);\nINSERT INTO tm VALUES (108, 1);");
	my $kill = $m->sql(q{SELECT concat('KILL CONNECTION ', id, ';') FROM information_schema.processlist WHERE db = 'app' AND id <> connection_id()});
	ok($kill =~ /KILL/, 'MariaDB connection killed: the coordinator\'s connection found');
	$m->sql($kill);
	my (undef, $e) = $sess->run('COMMIT;');
	like($e, qr/ERROR/, 'MariaDB connection killed: COMMIT fails');
	$sess->quit;
}
is(where_is(108), '', 'MariaDB connection killed: applied nowhere');
is(FederateTest::TwoPhase::xa_count($m) + prepared_count(), 0, 'MariaDB connection killed: nothing left prepared');

# 11. recovery never touches a prepared transaction it did not create
$shards[0]->safe_psql('postgres', q{
	BEGIN; INSERT INTO t VALUES (11, 1); PREPARE TRANSACTION 'someone else';
});
is(recover(), '', 'foreign prepared transaction: left alone');
is($shards[0]->safe_psql('postgres', 'SELECT gid FROM pg_prepared_xacts'), 'someone else',
	'foreign prepared transaction: still there');
$shards[0]->safe_psql('postgres', q{ROLLBACK PREPARED 'someone else'});

# 12. the recovery worker (federate.recovery_interval, off in the tests
# until now) ends an in-doubt transaction by itself
$coord->safe_psql('postgres', q{
	ALTER SYSTEM SET federate.recovery_interval = 1;
	SELECT pg_reload_conf();
});
my $log_from = -s $coord->logfile;
($ret, $out, $err) = $coord->psql('postgres', q{
	SET federate.inject_fault = 'before_commit_prepared';
	BEGIN;
	INSERT INTO t1 VALUES (12, 1);
	INSERT INTO t2 VALUES (12, 1);
	COMMIT;
});
is($ret, 0, 'recovery worker: the local commit stands');
ok($shards[0]->poll_query_until('postgres', 'SELECT count(*) = 0 FROM pg_prepared_xacts')
	  && $shards[1]->poll_query_until('postgres', 'SELECT count(*) = 0 FROM pg_prepared_xacts'),
	'recovery worker: nothing left prepared');
is(where_is(12), 's1,s2', 'recovery worker: committed on both');
ok($coord->poll_query_until('postgres', 'SELECT count(*) = 0 FROM federate.commit_records'),
	'recovery worker: commit record deleted');
# (in one round or, should a round come between the two servers' ends, in
# two: the lines since the transaction add up to its two)
my $ended = 0;
$ended += $_ for (slurp_file($coord->logfile, $log_from) =~ /federate recovery ended (\d+) prepared transactions/g);
cmp_ok($ended, '>=', 2, 'recovery worker: it says what it did');

$m->stop;
done_testing();

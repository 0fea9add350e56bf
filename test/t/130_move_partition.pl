# federate.move_partition(): a partition moves to another server, of
# either engine, while other sessions read it and write it; the partition
# then holds exactly the rows of a local twin that got the same writes, and
# reads never failed.  A fault injected at each step leaves the old
# placement serving, with every row.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

use FederateTest::MariaDB;
use FederateTest::Session;

my $coord = PostgreSQL::Test::Cluster->new('coord');
$coord->init;
$coord->append_conf('postgresql.conf', "shared_preload_libraries = 'federate'");
$coord->start;

my @pg;
for my $i (1, 2)
{
	my $s = PostgreSQL::Test::Cluster->new("shard$i");
	$s->init;
	$s->append_conf('postgresql.conf', 'max_prepared_transactions = 10');
	$s->start;
	push @pg, $s;
}
$pg[0]->safe_psql('postgres', q{
	CREATE TABLE mv_a (id int PRIMARY KEY, k int NOT NULL, note text, amount numeric(12,2), at timestamptz);
	INSERT INTO mv_a SELECT g, 0, 'row ' || g || CASE WHEN g % 7 = 0 THEN ' it''s' ELSE '' END,
	  g * 1.25, timestamptz '2024-01-01 00:00:00+00' + g * interval '1 minute'
	  FROM generate_series(1, 20000) g;
	CREATE TABLE mv_c (id int PRIMARY KEY, k int NOT NULL, note text, amount numeric(12,2), at timestamptz);
	INSERT INTO mv_c SELECT g, 1, NULL, g * 0.5, NULL FROM generate_series(20001, 25000) g;
	CREATE TABLE mv_b (id int PRIMARY KEY, k int NOT NULL, note text, amount numeric(12,2), at timestamptz);
	CREATE TABLE hs0 (id int PRIMARY KEY, tenant int NOT NULL, v text);
	CREATE TABLE hs1 (id int PRIMARY KEY, tenant int NOT NULL, v text);
});

my $m = FederateTest::MariaDB->new(name => 'm1');
$m->start;
$m->sql(q{CREATE DATABASE app;});

my $setup = "CREATE EXTENSION federate;\n";
for my $i (1, 2)
{
	$setup .= sprintf(qq{
		CREATE SERVER s$i FOREIGN DATA WRAPPER federate OPTIONS (host '%s', port '%s', dbname 'postgres');
		CREATE USER MAPPING FOR CURRENT_USER SERVER s$i;
	}, $pg[ $i - 1 ]->host, $pg[ $i - 1 ]->port);
}
$setup .= sprintf(qq{
	CREATE SERVER m1 FOREIGN DATA WRAPPER federate OPTIONS (%s, dbname 'app');
	CREATE USER MAPPING FOR CURRENT_USER SERVER m1 OPTIONS (%s);
	CREATE TABLE mv (id int, k int NOT NULL, note text, amount numeric(12,2), at timestamptz)
	  PARTITION BY LIST (k);
	CREATE FOREIGN TABLE mv_0 PARTITION OF mv FOR VALUES IN (0) SERVER s1 OPTIONS (table_name 'mv_a');
	CREATE FOREIGN TABLE mv_1 PARTITION OF mv FOR VALUES IN (1, 2, 3) SERVER s1 OPTIONS (table_name 'mv_c');
	ALTER FOREIGN TABLE mv_0 ALTER COLUMN id OPTIONS (ADD key 'true');
	ALTER FOREIGN TABLE mv_1 ALTER COLUMN id OPTIONS (ADD key 'true');
	CREATE TABLE twin (id int PRIMARY KEY, k int NOT NULL, note text, amount numeric(12,2), at timestamptz);
	INSERT INTO twin SELECT * FROM mv;
}, $m->server_options, $m->user_mapping_options);
$coord->safe_psql('postgres', $setup);

sub sq { return $coord->safe_psql('postgres', $_[0]) }

sub same
{
	my ($what) = @_;
	is(sq(q{SELECT count(*) FROM ((SELECT * FROM mv EXCEPT ALL SELECT * FROM twin)
	         UNION ALL (SELECT * FROM twin EXCEPT ALL SELECT * FROM mv)) d}),
		'0', "$what: the table holds exactly the twin's rows");
	return;
}

sub server_of { return sq("SELECT s.srvname FROM pg_foreign_table f JOIN pg_foreign_server s ON s.oid = f.ftserver WHERE f.ftrelid = '$_[0]'::regclass") }

same('before');

# a writer (the partitioned table and its twin in one transaction each
# time) and a reader, while each move runs
my $n = 0;
my $caught = 0;
sub move_under_load
{
	my ($part, $k, $server, $table) = @_;
	my $w = FederateTest::Session->new($coord->connstr('postgres'));
	my $r = FederateTest::Session->new($coord->connstr('postgres'));
	$n++;
	my $base = 100000 * $n;
	$w->send(qq{
DO \$\$
BEGIN
	FOR i IN 1..150 LOOP
		INSERT INTO mv VALUES ($base + i, $k, 'new ' || i, i, now());
		INSERT INTO twin VALUES ($base + i, $k, 'new ' || i, i, now());
		UPDATE mv SET amount = amount + 1, note = note || '+' WHERE k = $k AND id = (i * 37) % 20000;
		UPDATE twin SET amount = amount + 1, note = note || '+' WHERE k = $k AND id = (i * 37) % 20000;
		DELETE FROM mv WHERE k = $k AND id = (i * 53) % 20000 + 1;
		DELETE FROM twin WHERE k = $k AND id = (i * 53) % 20000 + 1;
		COMMIT;
		PERFORM pg_sleep(0.005);
	END LOOP;
END \$\$;});
	$r->send(q{
DO $$
DECLARE c bigint;
BEGIN
	FOR i IN 1..60 LOOP
		SELECT count(*) INTO c FROM mv;
		PERFORM pg_sleep(0.02);
	END LOOP;
END $$;});
	my ($rc, $out, $err) = $coord->psql('postgres', "CALL federate.move_partition('$part', '$server', table_name => '$table')");
	my (undef, $werr) = $w->wait;
	my (undef, $rerr) = $r->wait;
	$w->quit;
	$r->quit;
	is($rc, 0, "move $part to $server: it succeeds") or diag($err);
	like($err, qr/NOTICE:  moved "$part" to server "$server": \d+ rows verified/, "move $part to $server: it says so");
	if ($err =~ /\((\d+) written during the copy caught up\); writes waited ([\d.]+) s/)
	{
		$caught += $1;
		note("move $part to $server: $1 rows written during the copy caught up; writes waited $2 s");
	}
	unlike($werr, qr/ERROR/, "move $part to $server: every write of the concurrent writer succeeded");
	unlike($rerr, qr/ERROR/, "move $part to $server: every read of the concurrent reader succeeded");
	is(server_of($part), $server, "move $part to $server: the partition uses the new server");
	same("move $part to $server");
	return;
}

# PostgreSQL to PostgreSQL, then to MariaDB, then back from MariaDB
move_under_load('mv_0', 0, 's2', 'mv_moved');
move_under_load('mv_0', 0, 'm1', 'mv_m');
move_under_load('mv_0', 0, 's1', 'mv_back');
cmp_ok($caught, '>', 0, 'the moves caught up rows written during their copies');
is(sq("SELECT ftoptions::text FROM pg_foreign_table WHERE ftrelid = 'mv_0'::regclass"),
	'{table_name=mv_back,schema_name=public}', 'the partition names its new remote table');

# a fault at each step: the old placement keeps serving, with every row
for my $fault ('move_after_create', 'move_after_copy', 'move_before_switch')
{
	my ($rc, $out, $err) = $coord->psql('postgres',
		"SET federate.inject_fault = '$fault'; CALL federate.move_partition('mv_1', 's2', table_name => 'mv_$fault')");
	isnt($rc, 0, "$fault: the move fails");
	like($err, qr/DETAIL:  The move failed .*Foreign table "mv_1" still uses server "s1"/s, "$fault: it says the old placement still serves");
	is(server_of('mv_1'), 's1', "$fault: the partition still uses its server");
	same($fault);
	sq("INSERT INTO mv VALUES (999000 + length('$fault'), 1, 'after', 1, '2025-01-01'); INSERT INTO twin VALUES (999000 + length('$fault'), 1, 'after', 1, '2025-01-01')");
	same("$fault, a write after it");
}
is(sq("SELECT count(*) FROM pg_class WHERE relname LIKE 'move\\_%' AND relnamespace = 'federate'::regnamespace"),
	'1', 'a failed move leaves its staging table, which the next one replaces');
my ($rc, $out, $err) = $coord->psql('postgres', "CALL federate.move_partition('mv_1', 's2', table_name => 'mv_ok')");
is($rc, 0, 'after the faults, the move succeeds') or diag($err);
is(server_of('mv_1'), 's2', 'after the faults: the partition uses the new server');
is(sq("SELECT count(*) FROM pg_class WHERE relname LIKE 'move\\_%' AND relnamespace = 'federate'::regnamespace"),
	'0', 'no staging table left');
same('after the faults');

# splitting a hash partition (modulus 2) into two of modulus 4, on a
# PostgreSQL and a MariaDB server, while a writer writes through the
# parent and a reader reads
sq(q{
	CREATE TABLE hs (id int, tenant int NOT NULL, v text) PARTITION BY HASH (tenant);
	CREATE FOREIGN TABLE hs_0 PARTITION OF hs FOR VALUES WITH (MODULUS 2, REMAINDER 0) SERVER s1 OPTIONS (table_name 'hs0');
	CREATE FOREIGN TABLE hs_1 PARTITION OF hs FOR VALUES WITH (MODULUS 2, REMAINDER 1) SERVER s1 OPTIONS (table_name 'hs1');
	ALTER FOREIGN TABLE hs_1 ALTER COLUMN id OPTIONS (ADD key 'true');
	INSERT INTO hs SELECT g, g % 97, 'v' || g FROM generate_series(1, 20000) g;
	CREATE TABLE hs_twin (id int PRIMARY KEY, tenant int NOT NULL, v text);
	INSERT INTO hs_twin SELECT * FROM hs;
});
sub same_hs
{
	my ($what) = @_;
	is(sq(q{SELECT count(*) FROM ((SELECT * FROM hs EXCEPT ALL SELECT * FROM hs_twin)
	         UNION ALL (SELECT * FROM hs_twin EXCEPT ALL SELECT * FROM hs)) d}),
		'0', "$what: the hash-partitioned table holds exactly the twin's rows");
	return;
}

# a fault first: the partition stays, with every row
($rc, $out, $err) = $coord->psql('postgres',
	"SET federate.inject_fault = 'split_before_switch'; CALL federate.split_partition('hs_1', 's2', 'm1')");
isnt($rc, 0, 'split, split_before_switch: the split fails');
like($err, qr/DETAIL:  The split failed at its catch-up\. Foreign table "hs_1" is still the partition/, 'split, split_before_switch: it says the partition stays');
is(sq("SELECT string_agg(inhrelid::regclass::text, ',' ORDER BY 1) FROM pg_inherits WHERE inhparent = 'hs'::regclass"),
	'hs_0,hs_1', 'split, split_before_switch: the partitions are as they were');
same_hs('split_before_switch');
sq('DROP FOREIGN TABLE hs_1_1, hs_1_3');
$pg[1]->safe_psql('postgres', 'DROP TABLE hs1_1');
$m->sql('DROP TABLE app.hs1_3');

{
	my $w = FederateTest::Session->new($coord->connstr('postgres'));
	my $r = FederateTest::Session->new($coord->connstr('postgres'));
	$w->send(q{
DO $$
BEGIN
	FOR i IN 1..150 LOOP
		INSERT INTO hs VALUES (100000 + i, i % 97, 'new ' || i);
		INSERT INTO hs_twin VALUES (100000 + i, i % 97, 'new ' || i);
		UPDATE hs SET v = v || '+' WHERE tenant = i % 97 AND id = (i * 37) % 20000;
		UPDATE hs_twin SET v = v || '+' WHERE tenant = i % 97 AND id = (i * 37) % 20000;
		DELETE FROM hs WHERE tenant = (i * 53) % 97 AND id = (i * 53) % 20000 + 1;
		DELETE FROM hs_twin WHERE tenant = (i * 53) % 97 AND id = (i * 53) % 20000 + 1;
		COMMIT;
		PERFORM pg_sleep(0.005);
	END LOOP;
END $$;});
	$r->send(q{
DO $$
DECLARE c bigint;
BEGIN
	FOR i IN 1..60 LOOP
		SELECT count(*) INTO c FROM hs;
		PERFORM pg_sleep(0.02);
	END LOOP;
END $$;});
	($rc, $out, $err) = $coord->psql('postgres', "CALL federate.split_partition('hs_1', 's2', 'm1')");
	my (undef, $werr) = $w->wait;
	my (undef, $rerr) = $r->wait;
	$w->quit;
	$r->quit;
	is($rc, 0, 'split: it succeeds') or diag($err);
	like($err, qr/NOTICE:  split "hs_1": \d+ rows verified in public\.hs_1_1 and \d+ in public\.hs_1_3/, 'split: it says so');
	note($1) if $err =~ /(\(\d+ written during the copy caught up\); writes waited [\d.]+ s)/;
	unlike($werr, qr/ERROR/, 'split: every write of the concurrent writer succeeded');
	unlike($rerr, qr/ERROR/, 'split: every read of the concurrent reader succeeded');
}
is(sq(q{SELECT string_agg(c.relname || ' ' || pg_get_expr(c.relpartbound, c.oid) || ' ' || s.srvname, '; ' ORDER BY 1)
	FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
	JOIN pg_foreign_table f ON f.ftrelid = c.oid JOIN pg_foreign_server s ON s.oid = f.ftserver
	WHERE i.inhparent = 'hs'::regclass}),
	'hs_0 FOR VALUES WITH (modulus 2, remainder 0) s1; hs_1_1 FOR VALUES WITH (modulus 4, remainder 1) s2; hs_1_3 FOR VALUES WITH (modulus 4, remainder 3) m1',
	'split: two partitions of modulus 4 in place of the old one, on the servers asked for');
same_hs('split');
is(sq(q{SELECT count(*) FROM hs_1_1 WHERE NOT satisfies_hash_partition('hs'::regclass, 4, 1, tenant)})
	. '/' . sq(q{SELECT count(*) FROM hs_1_3 WHERE NOT satisfies_hash_partition('hs'::regclass, 4, 3, tenant)}),
	'0/0', 'split: every row is in the partition of its hash');
sq(q{INSERT INTO hs VALUES (999999, 5, 'after'); INSERT INTO hs_twin VALUES (999999, 5, 'after')});
same_hs('split, a write after it');
is(sq("SELECT relispartition FROM pg_class WHERE oid = 'hs_1'::regclass"), 'f', 'split: the old partition is detached');

# refusals
($rc, $out, $err) = $coord->psql('postgres', "CALL federate.move_partition('twin', 's2')");
like($err, qr/ERROR:  relation "twin" is not a federate foreign table/, 'refused: a local table');
($rc, $out, $err) = $coord->psql('postgres', "CALL federate.move_partition('mv_1', 's2')");
like($err, qr/ERROR:  foreign table "mv_1" is on server "s2" already/, 'refused: the same server');
sq("CREATE FOREIGN TABLE nokey (id int) SERVER s1 OPTIONS (table_name 'mv_b')");
($rc, $out, $err) = $coord->psql('postgres', "CALL federate.move_partition('nokey', 's2')");
like($err, qr/ERROR:  foreign table "nokey" has no key column/, 'refused: no key column');
($rc, $out, $err) = $coord->psql('postgres', "CALL federate.split_partition('mv_1', 's2', 'm1')");
like($err, qr/ERROR:  foreign table "mv_1" is not a hash partition/, 'refused: splitting a list partition');

$m->stop;
done_testing();

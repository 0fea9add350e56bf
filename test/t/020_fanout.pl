# The Federate Scan over a partitioned table whose partitions live on two
# PostgreSQL clusters and a MariaDB server:
#   1. every shard's statement runs at the same time (four 1-second views
#      answer in about one second, not four);
#   2. answers over both engines equal those of one local table with the
#      same rows (case- and trailing-space-sensitive text, NULLs, unicode,
#      numeric avg to the last digit, ORDER BY/LIMIT merge, HAVING,
#      count(DISTINCT), targeted and empty queries);
#   3. a prepared statement with a generic plan contacts only the shard its
#      parameter selects;
#   4. EXPLAIN (VERBOSE) never opens a connection.
use strict;
use warnings;

use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time);

use FederateTest::MariaDB;

my $coord = PostgreSQL::Test::Cluster->new('coord');
$coord->init;
$coord->append_conf('postgresql.conf', "shared_preload_libraries = 'federate'");
# one statement per partition, so that each partition's statement, slot
# and timing can be watched; section 2 checks the combined statements
$coord->append_conf('postgresql.conf', "federate.combine_partitions = off");
$coord->start;

my $sales_cols = 'id int, tenant int, region text, amount numeric(12,2), qty int, created timestamp';

# shard1 holds two partitions of each table (two remote objects), shard2 one.
my @shards;
for my $i (1, 2)
{
	my $s = PostgreSQL::Test::Cluster->new("shard$i");
	$s->init;
	$s->start;
	my $sql = '';
	my @names = $i == 1 ? ('a', 'b') : ('c');
	for my $n (@names)
	{
		my $k = ord($n) - ord('a') + 1;
		# OFFSET 0 keeps the subquery from being flattened, so the sleep
		# runs even when the outer query does not use z (count(*)).
		$sql .= qq{
			CREATE VIEW slow_$n AS
			  SELECT k, z FROM (SELECT $k AS k, pg_sleep(1)::text AS z OFFSET 0) s;
			CREATE TABLE sales_$n ($sales_cols);
		};
	}
	$s->safe_psql('postgres', $sql);
	push @shards, $s;
}

my $m = FederateTest::MariaDB->new(name => 'm1');
$m->start;
# Default collation of utf8mb4 (case-insensitive, PAD SPACE).
$m->sql(q{
	CREATE DATABASE app;
	CREATE ALGORITHM=TEMPTABLE VIEW app.slow_d AS SELECT 4 AS k, CAST(SLEEP(1) AS CHAR) AS z;
	CREATE TABLE app.sales (id int, tenant int, region varchar(20), amount DECIMAL(12,2),
	                        qty int, created DATETIME(6));
});

my $setup = "CREATE EXTENSION federate;\n";
for my $i (1, 2)
{
	my $s = $shards[ $i - 1 ];
	$setup .= sprintf(qq{
		CREATE SERVER s$i FOREIGN DATA WRAPPER federate
		  OPTIONS (host '%s', port '%s', dbname 'postgres');
		CREATE USER MAPPING FOR CURRENT_USER SERVER s$i;
	}, $s->host, $s->port);
}
$setup .= sprintf(qq{
	CREATE SERVER m1 FOREIGN DATA WRAPPER federate OPTIONS (%s, dbname 'app');
	CREATE USER MAPPING FOR CURRENT_USER SERVER m1 OPTIONS (%s);
}, $m->server_options, $m->user_mapping_options);
$setup .= qq{
	CREATE TABLE slow (k int, z text) PARTITION BY LIST (k);
	CREATE FOREIGN TABLE slow_1 PARTITION OF slow FOR VALUES IN (1)
	  SERVER s1 OPTIONS (table_name 'slow_a', schema_name 'public');
	CREATE FOREIGN TABLE slow_2 PARTITION OF slow FOR VALUES IN (2)
	  SERVER s1 OPTIONS (table_name 'slow_b', schema_name 'public');
	CREATE FOREIGN TABLE slow_3 PARTITION OF slow FOR VALUES IN (3)
	  SERVER s2 OPTIONS (table_name 'slow_c', schema_name 'public');
	CREATE FOREIGN TABLE slow_4 PARTITION OF slow FOR VALUES IN (4)
	  SERVER m1 OPTIONS (table_name 'slow_d');

	CREATE TABLE sales ($sales_cols) PARTITION BY HASH (tenant);
	CREATE FOREIGN TABLE sales_0 PARTITION OF sales FOR VALUES WITH (MODULUS 4, REMAINDER 0)
	  SERVER s1 OPTIONS (table_name 'sales_a', schema_name 'public');
	CREATE FOREIGN TABLE sales_1 PARTITION OF sales FOR VALUES WITH (MODULUS 4, REMAINDER 1)
	  SERVER s1 OPTIONS (table_name 'sales_b', schema_name 'public');
	CREATE FOREIGN TABLE sales_2 PARTITION OF sales FOR VALUES WITH (MODULUS 4, REMAINDER 2)
	  SERVER s2 OPTIONS (table_name 'sales_c', schema_name 'public');
	CREATE FOREIGN TABLE sales_3 PARTITION OF sales FOR VALUES WITH (MODULUS 4, REMAINDER 3)
	  SERVER m1 OPTIONS (table_name 'sales');

	CREATE TABLE sales_local ($sales_cols);
};
$coord->safe_psql('postgres', $setup);

# --- load the same rows into the sharded table and a local table ----------
# Regions that differ only by case or a trailing space (MariaDB's default
# collation says they are equal), NULLs in every column, unicode, a quote,
# a backslash, and the extremes of each MariaDB type.
my $gen = q{
	SELECT CASE WHEN g % 97 = 0 THEN NULL ELSE g END,
	       CASE WHEN g % 53 = 0 THEN NULL ELSE g % 10 END,
	       (ARRAY['east', 'East', 'east ', 'EAST', 'west', 'Wést', 'o''brien',
	              '日本', '🙂 smile', NULL, 'back\slash', ' east'])[g % 12 + 1],
	       CASE WHEN g % 37 = 0 THEN NULL ELSE ((g * 7.13) % 1000 - 500)::numeric(12,2) END,
	       CASE WHEN g % 41 = 0 THEN NULL ELSE (g * 31) % 17 - 3 END,
	       CASE WHEN g % 43 = 0 THEN NULL
	            ELSE timestamp '2024-01-01' + g * interval '1 hour 37 minutes 1.234567 seconds' END
	FROM generate_series(1, 2000) g
	UNION ALL
	SELECT 5000 + t, t, 'East', 9999999999.99, 2147483647, timestamp '9999-12-31 23:59:59.999999'
	FROM generate_series(0, 9) t
	UNION ALL
	SELECT 5100 + t, t, 'east ', -9999999999.99, -2147483648, timestamp '1000-01-01 00:00:00'
	FROM generate_series(0, 9) t
	UNION ALL
	SELECT NULL, NULL, NULL, NULL, NULL, NULL
};
$coord->safe_psql('postgres', "INSERT INTO sales_local $gen");
my ($rc, $out, $err) = $coord->psql('postgres', "INSERT INTO sales $gen");
is($rc, 0, 'INSERT ... SELECT through the coordinator routes rows to both engines')
  or diag($err);

my $total = $coord->safe_psql('postgres', 'SELECT count(*) FROM sales_local');
is($total, '2021', 'local table loaded');
my @per_part;
for my $p (0 .. 3)
{
	push @per_part, $coord->safe_psql('postgres', "SELECT count(*) FROM ONLY sales_$p");
}
note("rows per partition: @per_part");
ok(!(grep { $_ == 0 } @per_part), 'every partition received rows');
is(eval { my $s = 0; $s += $_ for @per_part; $s }, $total, 'the partitions hold every row');
is($shards[0]->safe_psql('postgres', 'SELECT count(*) FROM sales_a'), $per_part[0],
	'rows of sales_0 are on shard1 (sales_a)');
is($shards[0]->safe_psql('postgres', 'SELECT count(*) FROM sales_b'), $per_part[1],
	'rows of sales_1 are on shard1 (sales_b)');
is($shards[1]->safe_psql('postgres', 'SELECT count(*) FROM sales_c'), $per_part[2],
	'rows of sales_2 are on shard2');
is($m->sql('SELECT count(*) FROM app.sales'), $per_part[3], 'rows of sales_3 are on MariaDB');
# The MariaDB table really compares case- and space-insensitively, so the
# text checks below mean something.
is($m->sql(q{SELECT count(DISTINCT region) FROM app.sales WHERE region = 'east'}), '1',
	"MariaDB's collation folds 'east', 'East', 'east '");
cmp_ok($m->sql(q{SELECT count(*) FROM app.sales WHERE region = 'east'}), '>',
	$m->sql(q{SELECT count(*) FROM app.sales WHERE BINARY region = 'east'}),
	'MariaDB alone would count more rows equal to east');

# --- 1. parallelism --------------------------------------------------------
# One long-lived coordinator session, so that the warm-up's connections are
# the ones the timed query uses.
my ($in, $sout, $serr) = ('', '', '');
my $psql = IPC::Run::start(
	[ 'psql', '-XAtq', '-v', 'ON_ERROR_STOP=0', '-d', $coord->connstr('postgres'), '-f', '-' ],
	'<', \$in, '>', \$sout, '2>', \$serr,
	IPC::Run::timeout($PostgreSQL::Test::Utils::timeout_default));

# Run SQL in the session; returns (stdout, stderr) of just that SQL.
sub session
{
	my ($sql) = @_;
	my $marker = '__done_' . int(rand(1e9)) . '__';
	$sout = '';
	$serr = '';
	$in .= "$sql\n\\echo $marker\n\\warn $marker\n";
	# wait for the marker line on both streams, newline included (psql
	# writes a \warn line's text and newline separately)
	$psql->pump until $sout =~ /\Q$marker\E\n/ && $serr =~ /\Q$marker\E\n/;
	(my $o = $sout) =~ s/\Q$marker\E\n//;
	(my $e = $serr) =~ s/\Q$marker\E\n//;
	chomp $o;
	return ($o, $e);
}

my ($o, $e);
# sales has the same layout (two partitions on s1, one on s2, one on m1):
# this opens every connection the slow query needs.
($o, $e) = session('SELECT count(*) FROM sales;');
is($o, $total, 'warm-up query on the same servers');
($o, $e) = session(q{SELECT server_name, count(*) FROM federate.connections()
                     GROUP BY 1 ORDER BY 1;});
note("connections after warm-up: " . join(', ', split /\n/, $o));
like($o, qr/^s1\|2$/m, 'two partitions on one server use two connections');

my $t0 = time;
($o, $e) = session('SELECT count(*), sum(k) FROM slow;');
my $elapsed = time - $t0;
is($o, '4|10', 'count(*) over four sleeping views');
is($e, '', 'no error from the slow views');
note(sprintf("SELECT count(*) FROM slow took %.3f s", $elapsed));
cmp_ok($elapsed, '>=', 0.9, 'the views did sleep');
cmp_ok($elapsed, '<', 2.5, 'the four shards ran at the same time');

$t0 = time;
($o, $e) = session('SELECT k, z FROM slow ORDER BY k;');
$elapsed = time - $t0;
is($o, "1|\n2|\n3|\n4|0", 'rows of four sleeping views');
note(sprintf("SELECT k, z FROM slow took %.3f s", $elapsed));
cmp_ok($elapsed, '>=', 0.9, 'the views did sleep (rows)');
cmp_ok($elapsed, '<', 2.5, 'the four shards ran at the same time (rows)');

($o, $e) = session('EXPLAIN (COSTS OFF) SELECT count(*) FROM slow;');
like($o, qr/Custom Scan \(Federate Scan\) on (public\.)?slow/, 'slow is read by a Federate Scan');
like($o, qr/Strategy: scatter-gather, 4 of 4 shards/, 'slow: scatter-gather over 4 shards');

$in .= "\\q\n";
$psql->finish;

# --- 2. mixed-engine correctness --------------------------------------------
# Each query runs once on the sharded table and once on the local one (%T);
# the outputs must be identical text.  Every ORDER BY is total.
my @queries = (
	# full dump: every value survived the round trip to both engines
	q{SELECT id, tenant, region, amount, qty, created FROM %T
	  ORDER BY id, tenant, region, amount, qty, created},
	q{SELECT region, count(*), count(amount), sum(amount), avg(amount), min(amount), max(amount),
	         sum(qty), avg(qty), min(created), max(created)
	  FROM %T GROUP BY region ORDER BY region},
	q{SELECT region, count(*) FROM %T GROUP BY region ORDER BY region COLLATE "C"},
	q{SELECT tenant, count(*), sum(amount), avg(amount), count(region), count(DISTINCT region),
	         min(region), max(region), sum(qty), avg(qty), min(created), max(created)
	  FROM %T GROUP BY tenant ORDER BY tenant},
	q{SELECT count(DISTINCT region), count(*), count(id), count(tenant), count(region),
	         count(amount), count(qty), count(created), sum(amount), avg(amount),
	         sum(qty), avg(qty), min(region), max(region), min(created), max(created)
	  FROM %T},
	q{SELECT count(DISTINCT region) FROM %T WHERE tenant IN (1, 2, 3)},
	q{SELECT tenant, count(DISTINCT region), count(DISTINCT amount) FROM %T GROUP BY tenant ORDER BY 1},
	q{SELECT region, tenant, count(*), sum(amount) FROM %T GROUP BY region, tenant ORDER BY 1, 2},
	q{SELECT DISTINCT region FROM %T ORDER BY 1},
	q{SELECT upper(region), count(*), sum(amount) FROM %T GROUP BY 1 ORDER BY 1},
	q{SELECT region, sum(qty), avg(amount) FROM %T GROUP BY region HAVING count(*) > 170 ORDER BY 1},
	q{SELECT region, count(*) FROM %T GROUP BY region HAVING min(amount) < -499 ORDER BY 1},
	q{SELECT tenant, sum(amount) FROM %T GROUP BY tenant HAVING avg(amount) > 0 ORDER BY 1},
	q{SELECT tenant, count(*) FROM %T GROUP BY tenant HAVING count(DISTINCT region) = 12 ORDER BY 1},
	q{SELECT bool_and(qty > -4), bool_or(amount > 499), every(tenant < 9) FROM %T},
	q{SELECT count(*) FILTER (WHERE qty > 5), sum(amount) FILTER (WHERE region = 'East') FROM %T},
	# text equality: exact on every engine
	q{SELECT count(*), sum(amount), avg(amount) FROM %T WHERE region = 'east'},
	q{SELECT count(*), sum(amount) FROM %T WHERE region = 'East'},
	q{SELECT count(*), sum(amount) FROM %T WHERE region = 'east '},
	q{SELECT count(*), sum(amount) FROM %T WHERE region = ' east'},
	q{SELECT count(*), sum(amount) FROM %T WHERE region <> 'east'},
	q{SELECT count(*) FROM %T WHERE region IN ('EAST', 'o''brien', 'Wést')},
	q{SELECT count(*) FROM %T WHERE region NOT IN ('EAST', 'east')},
	q{SELECT count(*) FROM %T WHERE region IS NULL},
	q{SELECT count(*) FROM %T WHERE region = '日本' OR region = '🙂 smile'},
	q{SELECT count(*) FROM %T WHERE region = 'back\slash'},
	q{SELECT count(*) FROM %T WHERE region IS DISTINCT FROM 'west'},
	q{SELECT count(*) FROM %T WHERE region LIKE 'e%'},
	q{SELECT id, region, amount FROM %T WHERE region = 'o''brien' AND amount > 400 ORDER BY id},
	q{SELECT region, count(*) FROM %T WHERE amount BETWEEN -100 AND 100 AND qty > 0
	  GROUP BY region ORDER BY region},
	q{SELECT count(*), sum(qty) FROM %T WHERE created >= '2024-02-01' AND created < '2024-03-01 12:00'},
	# ORDER BY / LIMIT (k-way merge)
	q{SELECT id, tenant, region, amount FROM %T ORDER BY amount DESC NULLS LAST, id LIMIT 7 OFFSET 2},
	q{SELECT id, amount FROM %T ORDER BY amount NULLS FIRST, id LIMIT 5},
	q{SELECT id, region FROM %T WHERE id IS NOT NULL ORDER BY region, id LIMIT 12},
	q{SELECT id, region FROM %T WHERE id IS NOT NULL ORDER BY region DESC NULLS LAST, id DESC LIMIT 12},
	q{SELECT id, created FROM %T WHERE id IS NOT NULL ORDER BY created DESC, id LIMIT 5},
	q{SELECT id, qty FROM %T WHERE id IS NOT NULL ORDER BY qty, id LIMIT 10 OFFSET 30},
	q{SELECT region, sum(amount) FROM %T GROUP BY region ORDER BY sum(amount) DESC NULLS LAST, region LIMIT 3},
	# PostgreSQL's NULL placement (MySQL puts NULLs first in ascending order)
	q{SELECT id, amount FROM %T ORDER BY amount DESC, id LIMIT 5},
	q{SELECT id, amount FROM %T WHERE id IS NOT NULL ORDER BY amount, id DESC LIMIT 5 OFFSET 1985},
	q{SELECT id, region FROM %T WHERE id IS NOT NULL ORDER BY region DESC, id LIMIT 12},
	q{SELECT id, created FROM %T WHERE id IS NOT NULL ORDER BY created, id LIMIT 10 OFFSET 1930},
	# pages that cross from one region to the next (case, spaces, unicode)
	q{SELECT id, region FROM %T WHERE id IS NOT NULL ORDER BY region, id LIMIT 20 OFFSET 150},
	q{SELECT id, region FROM %T WHERE id IS NOT NULL ORDER BY region, id LIMIT 20 OFFSET 320},
	q{SELECT id, region FROM %T WHERE id IS NOT NULL ORDER BY region DESC NULLS LAST, id LIMIT 30 OFFSET 480},
	q{SELECT region, id FROM %T WHERE id IS NOT NULL AND tenant <> 3 ORDER BY region COLLATE "C", id LIMIT 15 OFFSET 1000},
	q{SELECT count(*) FROM (SELECT id FROM %T LIMIT 50) s},
	q{SELECT count(*) FROM (SELECT id FROM %T ORDER BY id LIMIT 5000) s},
	# expressions MySQL would compute differently stay on the coordinator
	q{SELECT tenant, sum(qty / 2), sum(amount * 2), avg(qty % 3), max(region || '!') FROM %T GROUP BY tenant ORDER BY 1},
	q{SELECT count(*) FROM %T WHERE qty / 2 = 1 AND region = 'east'},
	q{SELECT region || '|', count(*) FROM %T GROUP BY 1 ORDER BY 1},
	q{SELECT date_trunc('month', created), count(*), sum(amount) FROM %T GROUP BY 1 ORDER BY 1},
	q{SELECT length(region), count(*) FROM %T GROUP BY 1 ORDER BY 1},
	# aggregates that cannot be split
	q{SELECT tenant, string_agg(coalesce(region, '-'), ',' ORDER BY id NULLS FIRST, region) FROM %T
	  GROUP BY tenant ORDER BY 1},
	q{SELECT array_agg(DISTINCT region ORDER BY region) FROM %T},
	q{SELECT qty, count(DISTINCT region), count(*) FROM %T GROUP BY qty ORDER BY 1},
	q{SELECT qty, sum(amount) FROM %T GROUP BY qty HAVING count(DISTINCT region) > 10 ORDER BY 1},
	q{SELECT region, count(*) FROM %T GROUP BY region ORDER BY count(*) DESC, region LIMIT 4},
	# empty
	q{SELECT count(*), sum(amount), avg(amount), min(region), max(created) FROM %T
	  WHERE tenant = -1 AND amount > 0},
	q{SELECT region, count(*) FROM %T WHERE tenant = -1 GROUP BY region ORDER BY 1},
	q{SELECT count(*), sum(amount), avg(qty), count(DISTINCT region) FROM %T WHERE amount < -10000000000},
	q{SELECT id FROM %T WHERE tenant = -1 ORDER BY amount DESC, id LIMIT 3},
	# the partition key is NULL: the row with every column NULL and a few more
	q{SELECT count(*), sum(amount), avg(amount) FROM %T WHERE tenant IS NULL},
);
# one tenant (targeted), for every tenant, so that each engine answers alone
for my $t (0 .. 9)
{
	push @queries,
	  qq{SELECT region, count(*), sum(amount), avg(amount), min(created), max(qty) FROM %T
	     WHERE tenant = $t GROUP BY region ORDER BY region},
	  qq{SELECT id, region, amount FROM %T WHERE tenant = $t ORDER BY amount DESC NULLS LAST, id LIMIT 4},
	  qq{SELECT count(*), count(DISTINCT region), avg(qty) FROM %T WHERE tenant = $t AND region = 'East'};
}

sub compare
{
	my ($q) = @_;
	(my $fq = $q) =~ s/%T/sales/g;
	(my $lq = $q) =~ s/%T/sales_local/g;
	my $local = $coord->safe_psql('postgres', $lq);
	my ($frc, $fout, $ferr) = $coord->psql('postgres', $fq);
	(my $name = $q) =~ s/\s+/ /g;
	$name =~ s/%T/sales/g;
	my $ok = is($fout, $local, "same answer: $name");
	diag("federate error: $ferr") if $frc != 0;
	return $ok;
}
compare($_) for @queries;

# federate.combine_partitions: the same answers when each server's
# partitions are read by one statement
for my $q (@queries)
{
	(my $fq = $q) =~ s/%T/sales/g;
	(my $lq = $q) =~ s/%T/sales_local/g;
	my ($frc, $fout, $ferr) = $coord->psql('postgres',
		"SET federate.combine_partitions = on; $fq");
	(my $name = $q) =~ s/\s+/ /g;
	is($fout, $coord->safe_psql('postgres', $lq),
		"same answer, one statement per server: $name");
	diag("federate error: $ferr") if $frc != 0;
}
my $combined = $coord->safe_psql('postgres', q{SET federate.combine_partitions = on;
	EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM sales ORDER BY amount DESC NULLS LAST, id LIMIT 9});
is(scalar(() = $combined =~ /Remote SQL:/g), 3,
	'one statement per server: three statements for four partitions');
like($combined, qr/Partitions: \S+, \S+\n\s+Remote SQL: \(SELECT .*\) UNION ALL \(SELECT .*\) ORDER BY \d+ DESC NULLS LAST, \d+ NULLS LAST LIMIT 9$/m,
	'one statement per server: the two partitions on s1, ordered and limited as one');

# The sharded table is read through the Federate Scan, aggregates pushed.
my $plan = $coord->safe_psql('postgres', q{EXPLAIN (VERBOSE, COSTS OFF)
	SELECT region, count(*), sum(amount), avg(amount) FROM sales GROUP BY region});
like($plan, qr/Custom Scan \(Federate Scan\) on public\.sales/, 'sales is read by a Federate Scan');
like($plan, qr/Strategy: scatter-gather, 4 of 4 shards/, 'GROUP BY region: 4 of 4 shards');
like($plan, qr/Pushed Down: partial aggregates/, 'GROUP BY region: partial aggregates pushed down');
is(scalar(() = $plan =~ /Remote SQL:/g), 4, 'GROUP BY region: four remote statements');
like($plan, qr/Shard: m1 \(mysql\)/, 'GROUP BY region: the MariaDB shard is listed');

# ORDER BY ... LIMIT: each shard sorts and limits, the coordinator merges.
$plan = $coord->safe_psql('postgres', q{EXPLAIN (VERBOSE, COSTS OFF)
	SELECT id, tenant, region, amount FROM sales ORDER BY amount DESC NULLS LAST, id LIMIT 7 OFFSET 2});
note($plan);
like($plan, qr/Merge: ordered/, 'ORDER BY ... LIMIT: ordered merge');
is(scalar(() = $plan =~ /Remote SQL: .*ORDER BY.*LIMIT 9\b/g), 4,
	'ORDER BY ... LIMIT: every shard is sent ORDER BY and LIMIT count + offset');

# EXPLAIN ANALYZE: per-shard rows that add up to the table's
$plan = $coord->safe_psql('postgres',
	'EXPLAIN (ANALYZE, VERBOSE, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT id FROM sales');
my @received = $plan =~ /Received: rows=(\d+) bytes=\d+/g;
is(scalar(@received), 4, 'EXPLAIN ANALYZE: a Received line per shard');
is(eval { my $s = 0; $s += $_ for @received; $s }, $total,
	'EXPLAIN ANALYZE: rows received add up to the table');
unlike($plan, qr/time=/, 'no shard time with TIMING OFF');
$plan = $coord->safe_psql('postgres',
	'EXPLAIN (ANALYZE, COSTS OFF, SUMMARY OFF) SELECT count(*) FROM sales');
like($plan, qr/Received: rows=\d+ bytes=\d+ time=[0-9.]+ ms/, 'shard time with TIMING on');

# --- 3. a generic plan contacts one shard ------------------------------------
# One representative tenant per partition.
for my $p (0 .. 3)
{
	my $t = $coord->safe_psql('postgres',
		"SELECT min(tenant) FROM ONLY sales_$p WHERE tenant IS NOT NULL");
	my $server = (qw(s1 s1 s2 m1))[$p];
	my $local = $coord->safe_psql('postgres',
		"SELECT count(*), sum(amount) FROM sales_local WHERE tenant = $t");
	my ($r, $res, $msgs) = ('', '', '');
	$coord->psql('postgres', qq{
		-- open every connection first, so only q's own statements are logged
		SELECT count(*) FROM sales;
		PREPARE q(int) AS SELECT count(*), sum(amount) FROM sales WHERE tenant = \$1;
		SET plan_cache_mode = force_generic_plan;
		SET federate.log_remote_sql = on;
		EXECUTE q($t);
	}, stdout => \$res, stderr => \$msgs, on_error_stop => 1);
	my @lines = grep { /NOTICE:  federate: server / } split /\n/, $msgs;
	my @selects = grep { /SELECT/ } @lines;
	my %servers = map { /server "([^"]+)"/ ? ($1 => 1) : () } @lines;
	note("generic plan, tenant $t:\n" . join("\n", @lines));
	my @rows = split /\n/, $res;
	is($rows[-1], $local, "generic plan, tenant $t (partition sales_$p): same answer");
	is(scalar(@selects), 1, "generic plan, tenant $t: one SELECT sent");
	is_deeply([ sort keys %servers ], [$server], "generic plan, tenant $t: only $server contacted");
	like($selects[0] // '', qr/"\Q$server\E"/, "generic plan, tenant $t: the SELECT went to $server");

	$plan = $coord->safe_psql('postgres', qq{
		PREPARE q(int) AS SELECT count(*), sum(amount) FROM sales WHERE tenant = \$1;
		SET plan_cache_mode = force_generic_plan;
		EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) EXECUTE q($t);
	});
	like($plan, qr/Strategy: targeted, 1 of 4 shards/, "EXPLAIN ANALYZE EXECUTE q($t): 1 of 4 shards");
	is(scalar(() = $plan =~ /Received: rows=/g), 1, "EXPLAIN ANALYZE EXECUTE q($t): one shard read");
	like($plan, qr/Shard: \Q$server\E /, "EXPLAIN ANALYZE EXECUTE q($t): shard $server");
}

# text and LIMIT parameters of a generic plan, written for each engine
{
	my $sql = q{
		PREPARE r(text) AS SELECT count(*), sum(amount) FROM %T WHERE region = $1;
		PREPARE l(text, int) AS SELECT id, amount FROM %T WHERE region <> $1 AND id IS NOT NULL
		  ORDER BY amount DESC NULLS LAST, id LIMIT $2;
		SET plan_cache_mode = force_generic_plan;
		EXECUTE r('east');
		EXECUTE r('East');
		EXECUTE r('east ');
		EXECUTE r('o''brien');
		EXECUTE r('back\slash');
		EXECUTE r('🙂 smile');
		EXECUTE l('East', 6);
		EXECUTE l('west', 3);
	};
	(my $fq = $sql) =~ s/%T/sales/g;
	(my $lq = $sql) =~ s/%T/sales_local/g;
	my ($frc, $fout, $ferr) = $coord->psql('postgres', $fq);
	is($fout, $coord->safe_psql('postgres', $lq), 'generic plans with text and LIMIT parameters')
	  or diag($ferr);
}

# a NULL parameter selects no partition at all
{
	my ($res, $msgs) = ('', '');
	$coord->psql('postgres', q{
		SELECT count(*) FROM sales;
		PREPARE q(int) AS SELECT count(*), sum(amount) FROM sales WHERE tenant = $1;
		SET plan_cache_mode = force_generic_plan;
		SET federate.log_remote_sql = on;
		EXECUTE q(NULL);
	}, stdout => \$res, stderr => \$msgs, on_error_stop => 1);
	my @rows = split /\n/, $res;
	is($rows[-1], '0|', 'generic plan, NULL parameter: empty answer');
	is(scalar(grep { /NOTICE:  federate: .*SELECT/ } split /\n/, $msgs), 0,
		'generic plan, NULL parameter: no SELECT sent');
}

# --- 4. EXPLAIN never connects -------------------------------------------------
{
	my ($res, $msgs) = ('', '');
	my $r = $coord->psql('postgres', q{
		SELECT count(*) FROM sales;
		SELECT count(*) FROM federate.connections();
		SELECT federate.disconnect_all();
		SELECT count(*) FROM federate.connections();
		SET federate.log_remote_sql = on;
		EXPLAIN (VERBOSE) SELECT count(*) FROM sales;
		EXPLAIN (VERBOSE, COSTS OFF) SELECT region, avg(amount) FROM sales GROUP BY region
		  ORDER BY 2 DESC LIMIT 3;
		PREPARE q(int) AS SELECT count(*), sum(amount) FROM sales WHERE tenant = $1;
		SET plan_cache_mode = force_generic_plan;
		EXPLAIN (VERBOSE) EXECUTE q(3);
		SELECT 'connections after explain: ' || count(*) FROM federate.connections();
	}, stdout => \$res, stderr => \$msgs, on_error_stop => 1);
	is($r, 0, 'EXPLAIN session ran') or diag($msgs);
	my @rows = split /\n/, $res;
	is($rows[0], $total, 'EXPLAIN session: a query first');
	cmp_ok($rows[1], '>=', 4, 'EXPLAIN session: the query opened connections');
	is($rows[3], '0', 'EXPLAIN session: disconnect_all closed them');
	is(scalar(grep { /Remote SQL:/ } @rows), 9, 'EXPLAIN (VERBOSE) shows Remote SQL for every shard');
	like($res, qr/Remote SQL: .*sales_a/, 'EXPLAIN shows the remote table of shard1');
	is($rows[-1], 'connections after explain: 0', 'EXPLAIN opened no connection');
	unlike($msgs, qr/NOTICE:  federate:/, 'EXPLAIN sent no statement');
}

$m->stop;
done_testing();

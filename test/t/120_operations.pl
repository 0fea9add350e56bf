# Operating a federation: the latency histograms per server
# (federate.server_latency), the statistics per statement fingerprint and
# server (federate.statement_stats, bounded, the least called evicted),
# and the straggler and skew view (federate.shard_skew over
# federate.dispatch_shards), on PostgreSQL and MariaDB servers.  A sharded
# table has one partition per server: one slow (a remote view that sleeps
# 200 ms per statement) and one with ten times the rows of the others.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

use FederateTest::MariaDB;

my $coord = PostgreSQL::Test::Cluster->new('coord');
$coord->init;
$coord->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'federate'
federate.max_statement_stats = 12
});
$coord->start;

my $shard = PostgreSQL::Test::Cluster->new('shard');
$shard->init;
$shard->start;
$shard->safe_psql('postgres', q{
	CREATE TABLE ev_a (k int, id int);
	INSERT INTO ev_a SELECT 1, g FROM generate_series(1, 100) g;
	CREATE TABLE ev_b (k int, id int);
	INSERT INTO ev_b SELECT 2, g FROM generate_series(1, 1000) g;
	CREATE TABLE ev_c_t (k int, id int);
	INSERT INTO ev_c_t SELECT 3, g FROM generate_series(1, 100) g;
	CREATE VIEW ev_c AS SELECT t.* FROM ev_c_t t, (SELECT pg_sleep(0.2)) s;
});

my $m = FederateTest::MariaDB->new(name => 'm1');
$m->start;
$m->sql(q{
	CREATE DATABASE app;
	CREATE TABLE app.ev_m (k int, id int) ENGINE=InnoDB;
	INSERT INTO app.ev_m SELECT 4, seq FROM app.seq_1_to_100;
});

my $setup = "CREATE EXTENSION federate;\n";
for my $i (1, 2, 3)
{
	$setup .= sprintf(qq{
		CREATE SERVER s$i FOREIGN DATA WRAPPER federate
		  OPTIONS (host '%s', port '%s', dbname 'postgres');
		CREATE USER MAPPING FOR CURRENT_USER SERVER s$i;
	}, $shard->host, $shard->port);
}
$setup .= sprintf(qq{
	CREATE SERVER m1 FOREIGN DATA WRAPPER federate OPTIONS (%s, dbname 'app');
	CREATE USER MAPPING FOR CURRENT_USER SERVER m1 OPTIONS (%s);
	CREATE TABLE ev (k int, id int) PARTITION BY LIST (k);
	CREATE FOREIGN TABLE ev_1 PARTITION OF ev FOR VALUES IN (1) SERVER s1 OPTIONS (table_name 'ev_a');
	CREATE FOREIGN TABLE ev_2 PARTITION OF ev FOR VALUES IN (2) SERVER s2 OPTIONS (table_name 'ev_b');
	CREATE FOREIGN TABLE ev_3 PARTITION OF ev FOR VALUES IN (3) SERVER s3 OPTIONS (table_name 'ev_c');
	CREATE FOREIGN TABLE ev_4 PARTITION OF ev FOR VALUES IN (4) SERVER m1 OPTIONS (table_name 'ev_m');
}, $m->server_options, $m->user_mapping_options);
$coord->safe_psql('postgres', $setup);

sub sq { return $coord->safe_psql('postgres', $_[0]) }

sq('SELECT federate.reset_stats()');
is(sq('SELECT count(*) FROM federate.statement_stats'), '0', 'after a reset: no statement statistics');
is(sq('SELECT coalesce(sum(statements), 0) FROM federate.server_latency'), '0', 'after a reset: no statement timed');

# 1. a scatter-gather count, five times
sq('SELECT count(*) FROM ev') for 1 .. 5;

my %lat = map { my @f = split /\|/; ($f[0] => \@f) } split /\n/, sq(q{
	SELECT server_name, statements, p50_ms, p95_ms, p99_ms, max_ms,
	       bucket_count[array_length(bucket_count, 1)],
	       (SELECT bool_and(c >= lag) FROM (SELECT c, lag(c, 1, 0::bigint) OVER (ORDER BY i) AS lag
	          FROM unnest(bucket_count) WITH ORDINALITY AS u(c, i)) x),
	       bucket_le_ms[4], bucket_le_ms[array_length(bucket_le_ms, 1)]
	  FROM federate.server_latency});
for my $s ('s1', 's2', 's3', 'm1')
{
	my $l = $lat{$s};
	is($l->[1], '5', "server_latency $s: five statements timed");
	is($l->[6], $l->[1], "server_latency $s: the last cumulative bucket counts them all");
	is($l->[7], 't', "server_latency $s: the buckets are cumulative");
	ok($l->[2] <= $l->[3] && $l->[3] <= $l->[4] && $l->[4] <= $l->[5],
		"server_latency $s: p50 <= p95 <= p99 <= max ($l->[2], $l->[3], $l->[4], $l->[5])");
}
is($lat{s1}->[8] . '/' . $lat{s1}->[9], '10/Infinity', 'server_latency: the buckets (le 10 ms, ..., Infinity)');
cmp_ok($lat{s3}->[2], '>=', 100, 'server_latency: the server that sleeps 200 ms has its p50 in the 100-250 ms bucket or above');
cmp_ok($lat{s3}->[2], '>', $lat{s1}->[2], 'server_latency: the slow server\'s p50 is above a fast one\'s');

my $qid = sq(q{SELECT query_id FROM federate.statement_stats WHERE server_name IS NULL AND query = 'SELECT count(*) FROM ev'});
like($qid, qr/^-?\d+$/, 'statement_stats: the statement has a row for its Federate Scans as a whole');
is(sq(qq{SELECT calls, errors, rows IS NULL, mean_fanout, max_fanout FROM federate.statement_stats
	WHERE query_id = $qid AND server_name IS NULL}), '5|0|t|4|4',
	'statement_stats, the whole statement: five calls, no error, fan-out width 4');
is(sq(qq{SELECT string_agg(server_name || '=' || calls || '/' || rows || '/' || errors, ' ' ORDER BY server_name)
	FROM federate.statement_stats WHERE query_id = $qid AND server_name IS NOT NULL}),
	'm1=5/5/0 s1=5/5/0 s2=5/5/0 s3=5/5/0',
	'statement_stats, per server: five calls, a row each');
ok(sq(qq{SELECT bool_and(mean_time_ms > 0 AND max_time_ms >= mean_time_ms AND total_time_ms >= max_time_ms)
	FROM federate.statement_stats WHERE query_id = $qid}) eq 't',
	'statement_stats: mean <= max <= total time');
cmp_ok(sq(qq{SELECT mean_time_ms FROM federate.statement_stats WHERE query_id = $qid AND server_name = 's3'}),
	'>=', 150, 'statement_stats: the slow server\'s mean time');

# 2. an error on one server counts for the statement and that server
my ($rc, $out, $err) = $coord->psql('postgres', 'SELECT count(*) FROM ev WHERE 10 / (k - 2) > 0');
isnt($rc, 0, 'a statement that fails on s2 fails');
is(sq(q{SELECT errors FROM federate.statement_stats WHERE server_name = 's2' AND query LIKE '%10 / (k - 2)%'}),
	'1', 'statement_stats: the failure counted for s2');

# 3. stragglers and skew: every row, three times
sq('SELECT * FROM ev') for 1 .. 3;
my @skew = split /\n/, sq(q{
	SELECT shard, executions, round(time_ratio::numeric, 1), round(rows_ratio::numeric, 1)
	  FROM federate.shard_skew WHERE relation = 'ev' ORDER BY shard});
is(scalar(@skew), 4, 'shard_skew: a row per shard');
is(sq(q{SELECT shard FROM federate.shard_skew WHERE relation = 'ev' ORDER BY time_ratio DESC LIMIT 1}),
	'ev_3', 'shard_skew: the slow shard has the highest time ratio');
cmp_ok(sq(q{SELECT time_ratio FROM federate.shard_skew WHERE relation = 'ev' AND shard = 'ev_3'}),
	'>', 2, 'shard_skew: the slow shard takes over twice its siblings\' median');
is(sq(q{SELECT shard FROM federate.shard_skew WHERE relation = 'ev' ORDER BY rows_ratio DESC LIMIT 1}),
	'ev_2', 'shard_skew: the partition with ten times the rows has the highest rows ratio');
cmp_ok(sq(q{SELECT max(rows / nullif(median_rows, 0)) FROM federate.dispatch_shards
	WHERE relation = 'ev' AND shard = 'ev_2' AND answered}), '>=', 9.9,
	'dispatch_shards: the skewed partition has ten times the median rows of its execution');
is(sq(q{SELECT rows || '/' || median_rows FROM federate.dispatch_shards WHERE relation = 'ev' AND shard = 'ev_2'
	AND rows > 1 ORDER BY dispatched_at DESC LIMIT 1}), '1000/100',
	'dispatch_shards: the skewed partition\'s rows against the median of its execution');

# 4. privileges: another role sees the numbers, not the text
sq(q{CREATE ROLE watcher LOGIN; GRANT USAGE ON SCHEMA federate TO watcher;
	GRANT SELECT ON federate.statement_stats TO watcher});
is($coord->safe_psql('postgres', "SET ROLE watcher; SELECT DISTINCT query FROM federate.statement_stats WHERE query_id = $qid"),
	'<insufficient privilege>', 'statement_stats: another role does not see the text');
($rc, $out, $err) = $coord->psql('postgres', 'SET ROLE watcher; SELECT federate.reset_stats()');
like($err, qr/permission denied/, 'reset_stats: not for another role');

# 5. bounded: twelve slots, the least called evicted
sq("SELECT count(*) FROM ev WHERE id > $_") for 1 .. 4;
my ($slots, $used, $evicted) = split /\|/, sq('SELECT slots, used, evicted FROM federate.statement_stats_info()');
is("$slots/$used", '12/12', 'statement_stats_info: twelve slots, all used');
cmp_ok($evicted, '>', 0, 'statement_stats_info: entries were evicted to make room');
is(sq("SELECT calls FROM federate.statement_stats WHERE query_id = $qid AND server_name IS NULL"), '5',
	'statement_stats: the most called statement stayed');

# 6. reset
sq('SELECT federate.reset_stats()');
is(sq('SELECT count(*) || \'/\' || (SELECT evicted FROM federate.statement_stats_info()) FROM federate.statement_stats'),
	'0/0', 'reset_stats: statement statistics gone');
is(sq('SELECT sum(statements) FROM federate.server_latency'), '0', 'reset_stats: latencies gone');

$m->stop;
done_testing();

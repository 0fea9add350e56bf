# Random transactions over two PostgreSQL servers (and a MariaDB server
# in the mixed rounds) with faults injected at random: a PREPARE that
# fails (a deferred key), a server connection killed before COMMIT, a
# failure after every server prepared, the servers lost before COMMIT
# PREPARED, the coordinator killed after PREPARE or after its own commit,
# and MariaDB killed (and started again) before COMMIT or with its XA
# branch prepared.  After each transaction (and recovery) every server's rows must
# be those of a model that applies the transaction whole when its COMMIT
# succeeded (or when the coordinator died after its commit) and not at
# all otherwise: a torn transaction is a failure.  No prepared transaction
# may be left once recovery ran.
#
# TPC_FAULT_N transactions per round (default 40; a long run by hand:
# TPC_FAULT_N=300), TPC_FAULT_SEED (default 1).
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

use FederateTest::MariaDB;
use FederateTest::Session;
use FederateTest::TwoPhase;

my $N = $ENV{TPC_FAULT_N} // 40;
my $seed = $ENV{TPC_FAULT_SEED} // 1;
srand($seed);

my $coord = PostgreSQL::Test::Cluster->new('coord');
$coord->init;
$coord->append_conf('postgresql.conf', "shared_preload_libraries = 'federate'");
$coord->start;

my %shard;
for my $name ('s1', 's2')
{
	my $s = PostgreSQL::Test::Cluster->new("shard_$name");
	$s->init;
	$s->start;
	$s->safe_psql('postgres', q{
		CREATE TABLE t (id int PRIMARY KEY, v int);
		CREATE TABLE d (id int PRIMARY KEY DEFERRABLE INITIALLY DEFERRED);
		INSERT INTO d VALUES (7);
	});
	$shard{$name} = $s;
}
my $m = FederateTest::MariaDB->new(name => 'm1');
$m->start;
$m->sql(q{
	CREATE DATABASE app;
	CREATE TABLE app.t (id int PRIMARY KEY, v int) ENGINE=InnoDB;
});

my $setup = "CREATE EXTENSION federate;\n";
for my $name ('s1', 's2')
{
	$setup .= sprintf(qq{
		CREATE SERVER $name FOREIGN DATA WRAPPER federate
		  OPTIONS (host '%s', port '%s', dbname 'postgres', application_name 'fed_$name');
		CREATE USER MAPPING FOR CURRENT_USER SERVER $name;
		CREATE FOREIGN TABLE t_$name (id int OPTIONS (key 'true'), v int)
		  SERVER $name OPTIONS (table_name 't');
		CREATE FOREIGN TABLE d_$name (id int OPTIONS (key 'true'))
		  SERVER $name OPTIONS (table_name 'd');
	}, $shard{$name}->host, $shard{$name}->port);
}
$setup .= sprintf(qq{
	CREATE SERVER m1 FOREIGN DATA WRAPPER federate OPTIONS (%s, dbname 'app');
	CREATE USER MAPPING FOR CURRENT_USER SERVER m1 OPTIONS (%s);
	CREATE FOREIGN TABLE t_m1 (id int OPTIONS (key 'true'), v int)
	  SERVER m1 OPTIONS (table_name 't');
}, $m->server_options, $m->user_mapping_options);
$coord->safe_psql('postgres', $setup);

# the model: server => { id => v }
my %model = (s1 => {}, s2 => {}, m1 => {});
my $next_id = 1;

sub contents
{
	my ($name) = @_;
	my $out = $name eq 'm1'
	  ? $m->sql('SELECT id, v FROM app.t ORDER BY id')
	  : $shard{$name}->safe_psql('postgres', q{SELECT id || E'\t' || v FROM t ORDER BY id});
	return join(' ', map { join('=', split /\t/) } grep { length } split /\n/, $out);
}

sub model_text
{
	my ($name) = @_;
	my $t = $model{$name};
	return join(' ', map { "$_=$t->{$_}" } sort { $a <=> $b } keys %$t);
}

sub prepared_left
{
	return FederateTest::TwoPhase::prepared_count($shard{s1}, $shard{s2})
	  + FederateTest::TwoPhase::xa_count($m);
}

sub restart_after_crash { FederateTest::TwoPhase::restart_after_crash($coord) }

my %faults_seen;
my %faulted;    # round => transactions with a fault
my $torn = 0;
for my $round ('pg', 'mixed')
{
	my @servers = $round eq 'pg' ? ('s1', 's2') : ('s1', 's2', 'm1');
	for my $k (1 .. $N)
	{
		# one to three servers, one to three statements each
		my @chosen = grep { rand() < 0.7 } @servers;
		@chosen = ($servers[ int(rand(@servers)) ]) unless @chosen;
		my %change;    # server => { id => v or undef (deleted) }
		my @sql;
		for my $s (@chosen)
		{
			my @ids = keys %{ $model{$s} };
			for (1 .. 1 + int(rand(3)))
			{
				my $r = rand();
				if ($r < 0.5 || !@ids)
				{
					my $id = $next_id++;
					push @sql, "INSERT INTO t_$s VALUES ($id, $k)";
					$change{$s}{$id} = $k;
				}
				elsif ($r < 0.8)
				{
					my $id = $ids[ int(rand(@ids)) ];
					next if exists $change{$s}{$id} && !defined $change{$s}{$id};
					push @sql, "UPDATE t_$s SET v = v + 1 WHERE id = $id";
					$change{$s}{$id} = ($change{$s}{$id} // $model{$s}{$id}) + 1;
				}
				else
				{
					my $id = $ids[ int(rand(@ids)) ];
					push @sql, "DELETE FROM t_$s WHERE id = $id";
					$change{$s}{$id} = undef;
				}
			}
		}
		@sql = map { "$_;" } @sql;
		my $two_phase = keys(%change) >= 2;
		my @pg = grep { $_ ne 'm1' } keys %change;

		my $f = rand();
		my $fault =
			$f < 0.40 ? 'none'
		  : $f < 0.50 ? 'prepare_fails'
		  : $f < 0.58 ? 'kill_connection'
		  : $f < 0.66 ? 'after_prepare'
		  : $f < 0.78 ? 'before_commit_prepared'
		  : $f < 0.84 ? 'crash_after_prepare'
		  : $f < 0.90 ? 'crash_before_commit_prepared'
		  : $f < 0.95 ? 'kill_mariadb'
		  :             'kill_mariadb_in_doubt';
		# the fault points are in two-phase commit only; a deferred key
		# needs a PostgreSQL server written, MariaDB's faults MariaDB
		$fault = 'none' if $fault =~ /prepare|in_doubt/ && $fault ne 'prepare_fails' && !$two_phase;
		$fault = 'none' if $fault eq 'prepare_fails' && !@pg;
		$fault = 'none' if $fault =~ /mariadb/ && !exists $change{m1};
		$faults_seen{$fault}++;
		$faulted{$round}++ if $fault ne 'none';

		my $victim = @pg ? $pg[ int(rand(@pg)) ] : undef;
		push @sql, "INSERT INTO d_$victim VALUES (7);" if $fault eq 'prepare_fails';
		# a killed connection: any server written
		if ($fault eq 'kill_connection')
		{
			my @w = sort keys %change;
			$victim = $w[ int(rand(@w)) ];
		}
		my $pre = '';
		$pre = "SET federate.inject_fault = '$fault';"
		  if $fault =~ /^(after_prepare|before_commit_prepared|crash_after_prepare|crash_before_commit_prepared)$/;
		$pre = "SET federate.inject_fault = 'before_commit_prepared';"
		  if $fault eq 'kill_mariadb_in_doubt';

		my $body = "$pre\nBEGIN;\n" . join("\n", @sql) . "\n";
		my ($ret, $out, $err);
		if ($fault eq 'kill_connection' || $fault eq 'kill_mariadb')
		{
			# the statements, then the coordinator's connection to the
			# victim is terminated on the server (or MariaDB killed and
			# started again), then COMMIT
			my $sess = FederateTest::Session->new($coord->connstr('postgres'));
			$sess->run("BEGIN;\n" . join("\n", @sql));
			if ($fault eq 'kill_mariadb')
			{
				$m->kill9;
				$m->start;
			}
			elsif ($victim eq 'm1')
			{
				my $kill = $m->sql(q{SELECT concat('KILL CONNECTION ', id, ';') FROM information_schema.processlist WHERE db = 'app' AND id <> connection_id()});
				$m->sql($kill) if $kill =~ /KILL/;
			}
			else
			{
				$shard{$victim}->safe_psql('postgres',
					"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'fed_$victim'");
			}
			(undef, $err) = $sess->run('COMMIT;');
			$ret = $err =~ /ERROR/ ? 1 : 0;
			$sess->quit;
		}
		else
		{
			($ret, $out, $err) = $coord->psql('postgres', $body . "COMMIT;\n", on_error_stop => 1);
		}
		restart_after_crash() if $fault =~ /^crash_/;
		if ($fault eq 'kill_mariadb_in_doubt')
		{
			# MariaDB dies with its branch prepared, committed locally
			$m->kill9;
			$m->start;
		}

		my $applies = $fault eq 'none' || $fault eq 'before_commit_prepared' ||
		  $fault eq 'crash_before_commit_prepared' || $fault eq 'kill_mariadb_in_doubt';
		if ($fault eq 'none' || $fault eq 'before_commit_prepared' || $fault eq 'kill_mariadb_in_doubt')
		{
			diag("seed $seed, $round #$k: COMMIT failed without a fault: $err") if $ret != 0;
			$applies = $ret == 0;
		}
		$coord->safe_psql('postgres', 'SELECT count(*) FROM federate.recover_prepared_transactions()');

		if ($applies)
		{
			for my $s (keys %change)
			{
				for my $id (keys %{ $change{$s} })
				{
					if (defined $change{$s}{$id}) { $model{$s}{$id} = $change{$s}{$id} }
					else { delete $model{$s}{$id} }
				}
			}
		}
		for my $s (@servers)
		{
			my ($got, $want) = (contents($s), model_text($s));
			next if $got eq $want;
			$torn++;
			diag("seed $seed, $round #$k, fault $fault, servers " . join(',', sort keys %change)
				  . ": $s holds [$got], expected [$want]\nstatements:\n$body");
			# go on from what the servers hold
			$model{$s} = { map { split /=/ } split / /, $got };
		}
		my $left = prepared_left();
		if ($left)
		{
			$torn++;
			diag("seed $seed, $round #$k, fault $fault: $left prepared transactions left after recovery");
		}
	}
}
is($torn, 0, "seed $seed: " . (2 * $N) . ' transactions with random faults ('
	  . join(', ', map { "$_ $faults_seen{$_}" } sort keys %faults_seen)
	  . "; with a fault: PostgreSQL only " . ($faulted{pg} // 0) . ', mixed ' . ($faulted{mixed} // 0)
	  . '): none torn, none left prepared');

$m->stop;
done_testing();

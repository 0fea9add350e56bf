# Random SQL from sqlsmith against the federation of 050_differential.pl
# (FederateTest::Differential: ft and ft2 over 36 partitions each on two
# PostgreSQL shards and MariaDB, the dimension tables, their local twins),
# as an unprivileged role that may SELECT every table and has user mappings
# with passwords for every server (the PostgreSQL shards ask for them).
# sqlsmith's queries fail often (random SQL): that is fine.  The test fails
# when the coordinator crashes ("terminated by signal" in its log, or the
# postmaster is gone) or when federate raises an internal error (SQLSTATE
# XX000 from one of federate's source files: the log has %e in
# log_line_prefix and LOCATION lines).
#
# Knobs (environment): FUZZ_SEED (sqlsmith's --seed, default 1),
# SQLSMITH_QUERIES (default 10000) and SQLSMITH_SECONDS (default 75): it
# stops at whichever comes first (sqlsmith is started again, with the next
# seed, if it ends early).
use strict;
use warnings;

use File::Basename qw(basename dirname);
use File::Find;
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time);

BEGIN
{
	eval { require DBI; require DBD::Pg; 1 }
	  or plan skip_all => 'DBD::Pg is not installed (test/install_deps.sh installs libdbd-pg-perl)';
}

use FederateTest::Differential;

my ($sqlsmith) = grep { -x } map { "$_/sqlsmith" } split(/:/, $ENV{PATH} // ''), '/usr/bin';
plan skip_all => 'sqlsmith is not installed (test/install_deps.sh installs it)' unless $sqlsmith;

my $seed    = $ENV{FUZZ_SEED} // 1;
my $max_q   = $ENV{SQLSMITH_QUERIES} // 10000;
my $max_sec = $ENV{SQLSMITH_SECONDS} // 75;

# federate's source files, to tell its internal errors from PostgreSQL's
my $srcdir = dirname(__FILE__) . '/../../src';
my %fedfile;
find(sub { $fedfile{$_} = 1 if /\.c$/ }, $srcdir) if -d $srcdir;
ok(scalar(keys %fedfile) > 10, 'found federate\'s source files (' . scalar(keys %fedfile) . ')');

my $fed = FederateTest::Differential->build(
	name       => 'smith',
	n_ft       => 1000,
	n_ft2      => 500,
	coord_conf => "log_error_verbosity = verbose\nlog_min_error_statement = error\n");
my $coord = $fed->coord;

# --- the unprivileged role, with passwords everywhere ------------------------
for my $s ($fed->shards)
{
	$s->safe_psql('postgres', q{
		CREATE ROLE smith_remote LOGIN PASSWORD 'smith_secret';
		GRANT SELECT ON ALL TABLES IN SCHEMA public TO smith_remote;
	});
	# the password lines must come before the trust lines
	my $hba = $s->data_dir . '/pg_hba.conf';
	my $old = slurp_file($hba);
	open(my $fh, '>', $hba) or die "cannot write $hba: $!";
	print $fh "local all smith_remote scram-sha-256\n";
	print $fh "host all smith_remote 127.0.0.1/32 scram-sha-256\n";
	print $fh $old;
	close $fh;
	$s->reload;
}
my $m = $fed->mariadb;
$coord->safe_psql('postgres', sprintf(q{
	CREATE ROLE smith LOGIN;
	GRANT SELECT ON ALL TABLES IN SCHEMA public TO smith;
	CREATE USER MAPPING FOR smith SERVER s1 OPTIONS (user 'smith_remote', password 'smith_secret');
	CREATE USER MAPPING FOR smith SERVER s2 OPTIONS (user 'smith_remote', password 'smith_secret');
	CREATE USER MAPPING FOR smith SERVER m1 OPTIONS (%s);
	ALTER ROLE smith SET statement_timeout = '2s';
}, $m->user_mapping_options));

my ($rc, $out, $err) = $coord->psql('postgres',
	'SELECT count(*), count(DISTINCT grp) FROM ft; SELECT count(*) FROM dim_pg; SELECT count(*) FROM dim_my;',
	extra_params => [ '-U', 'smith' ]);
is($rc, 0, 'the unprivileged role reads every server through its password mappings')
  or diag($err);
note("as smith: $out");

# --- sqlsmith -----------------------------------------------------------------
my $target = sprintf('host=%s port=%s dbname=postgres user=smith', $coord->host, $coord->port);
my $logfile = "$PostgreSQL::Test::Utils::log_path/060_sqlsmith_sqlsmith.log";
my $log_start = -s $coord->logfile;
my $t0 = time;
my ($runs, $queries, $s) = (0, 0, $seed);
while (time - $t0 < $max_sec && $queries < $max_q && $fed->coord_alive)
{
	my $left_q = $max_q - $queries;
	my $left_s = $max_sec - (time - $t0);
	my @cmd = ($sqlsmith, "--target=$target", "--seed=$s", "--max-queries=$left_q", '--exclude-catalog',
		'--verbose');
	note("running: @cmd");
	my ($o, $e) = ('', '');
	my $h = IPC::Run::start(\@cmd, '<', \undef, '>', \$o, '2>', \$e, IPC::Run::timeout($left_s + 5));
	eval { $h->finish };
	if ($@)
	{
		note("sqlsmith stopped at the time limit");
		$h->kill_kill;
	}
	$runs++;
	# --verbose prints a character per query, and "queries: N" at the end
	my $all = "$o\n$e";
	my $n = 0;
	$n += length($1) while $all =~ /^([.a-zA-Z]+)$/mg;
	my @gen = $all =~ /^queries: (\d+)/mg;
	$n = $gen[-1] if @gen;
	$queries += $n > 0 ? $n : 1;
	if (open(my $fh, '>>', $logfile))
	{
		print $fh "=== @cmd\n$o\n$e\n";
		close $fh;
	}
	$s++;
}
note(sprintf('sqlsmith: %d run(s), about %d queries in %.0f s; its output: %s', $runs, $queries,
	time - $t0, $logfile));

# --- what the coordinator's log says ------------------------------------------
ok($fed->coord_alive, 'the coordinator is still running');
my $log = slurp_file($coord->logfile);
$log = substr($log, $log_start);
my @lines = split /\n/, $log;
my (@crash, @internal, @other_internal);
my $prefix = qr/^\d{4}-\d\d-\d\d \S+ \S+ \[\d+\]/;    # log_line_prefix '%m [%p] %e %q%a '
for my $i (0 .. $#lines)
{
	if ($lines[$i] =~ /terminated by signal|terminated by exception|PANIC:|TRAP:|server process \(PID \d+\) exited with exit code/)
	{
		# with the statement that was running
		my $ctx = $lines[$i];
		my $in = 0;
		for my $j ($i + 1 .. ($i + 200 > $#lines ? $#lines : $i + 200))
		{
			if ($lines[$j] =~ /$prefix/)
			{
				last if $in || $lines[$j] !~ /DETAIL:|LOCATION:/;
				next unless $lines[$j] =~ /(Failed process was running: .*)$/;
				$ctx .= "\n    $1";
				$in = 1;
				next;
			}
			$ctx .= "\n    $lines[$j]" if $in;
		}
		$ctx = substr($ctx, 0, 2500) . ' ...[truncated]' if length($ctx) > 2500;
		push @crash, $ctx;
	}
	next unless $lines[$i] =~ /$prefix XX000 (?:\S+ )?(?:ERROR|FATAL|PANIC):/;
	# the lines after it: LOCATION, STATEMENT (whose text may go on over
	# unprefixed lines), DETAIL, CONTEXT ... of the same message
	my ($loc, $stmt, $in_stmt) = ('', '', 0);
	for my $j ($i + 1 .. ($i + 200 > $#lines ? $#lines : $i + 200))
	{
		if ($lines[$j] =~ /$prefix/)
		{
			last unless $lines[$j] =~ /$prefix XX000 (?:\S+ )?(LOCATION|STATEMENT|DETAIL|HINT|CONTEXT):\s+(.*)$/;
			$in_stmt = $1 eq 'STATEMENT';
			$loc  = $2 if $1 eq 'LOCATION';
			$stmt = $2 if $in_stmt;
			next;
		}
		$stmt .= "\n$lines[$j]" if $in_stmt;
	}
	my ($file) = $loc =~ /, (\S+?\.c):\d+/;
	my $entry = "$lines[$i]\n    LOCATION: $loc\n    STATEMENT: " . substr($stmt, 0, 2000);
	if (defined $file && $fedfile{$file})
	{
		push @internal, $entry;
	}
	else
	{
		push @other_internal, $entry;
	}
}
is(scalar(@crash), 0, 'no crash in the coordinator log')
  or diag("crashes (the first 5):\n" . join("\n", @crash[ 0 .. ($#crash < 4 ? $#crash : 4) ]));
is(scalar(@internal), 0, 'no internal error (XX000) raised by federate')
  or diag("internal errors:\n" . join("\n", @internal[ 0 .. ($#internal < 9 ? $#internal : 9) ]));
note("internal errors (XX000) raised outside federate's files (PostgreSQL's own), not counted:\n"
	  . join("\n", @other_internal[ 0 .. ($#other_internal < 9 ? $#other_internal : 9) ]))
  if @other_internal;
my %states;
$states{$1}++ while $log =~ /^\d{4}-\d\d-\d\d \S+ \S+ \[\d+\] ([0-9A-Z]{5}) (?:\S+ )?(?:ERROR|FATAL):/mg;
diag(sprintf('sqlsmith summary: seed %s, %d run(s), about %d queries in %.0f s; errors by SQLSTATE: %s; '
	  . '%d crash(es), %d federate internal error(s), %d other internal error(s)',
	$seed, $runs, $queries, time - $t0,
	join(' ', map { "$_=$states{$_}" } sort { $states{$b} <=> $states{$a} } keys %states) || 'none',
	scalar(@crash), scalar(@internal), scalar(@other_internal)));

$fed->stop;
done_testing();

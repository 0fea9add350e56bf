
# Copyright: part of federate.  A throwaway MariaDB server for TAP tests.

=pod

=head1 NAME

FederateTest::MariaDB - a throwaway MariaDB server for federate's TAP tests

=head1 SYNOPSIS

  use PostgreSQL::Test::Cluster;
  use PostgreSQL::Test::Utils;
  use Test::More;
  use FederateTest::MariaDB;

  plan skip_all => 'MariaDB is not installed'
    unless FederateTest::MariaDB->available;

  my $m = FederateTest::MariaDB->new(name => 'm1');
  $m->start;
  $m->sql("CREATE DATABASE app; CREATE TABLE app.t (id int primary key)");
  $m->sql("INSERT INTO t VALUES (1)", db => 'app');
  is($m->sql("SELECT count(*) FROM t", db => 'app'), '1', 'one row');

  $node->safe_psql('postgres', sprintf(
      "CREATE SERVER m1 FOREIGN DATA WRAPPER federate OPTIONS (%s, dbname 'app');
       CREATE USER MAPPING FOR CURRENT_USER SERVER m1 OPTIONS (%s)",
      $m->server_options, $m->user_mapping_options));

  $m->kill9;     # crash it
  $m->start;     # crash recovery, same port and data
  $m->stop;      # also done automatically at the end of the test

=head1 DESCRIPTION

The server runs as the current (unprivileged) user, listens on
127.0.0.1 on a port from PostgreSQL::Test::Cluster::get_free_port, and
keeps its datadir under the TAP tmp dir (PostgreSQL::Test::Utils::tempdir)
and its socket in a short temp dir.  Its error log goes to
tmp_check/log/mariadb_<test>_<name>.log.  Root (no password) is reachable
only over the socket; the user C<fed> / C<fed_secret> (all privileges) is
created on first start for federate to connect with over TCP.

Binaries are looked up in $FED_MYSQLD / $FED_MYSQL_BIN (set by
test/run_tests.sh), then in PATH, /usr/sbin, /usr/bin, /usr/local/mysql/bin.

Servers still running at the end of the test (or when their object goes
away) are shut down.

=cut

package FederateTest::MariaDB;

use strict;
use warnings;

use Carp;
use File::Basename qw(basename dirname);
use File::Path qw(make_path);
use IPC::Run;
use POSIX qw(WNOHANG);
use Scalar::Util qw(weaken);
use Time::HiRes qw(usleep);
use Test::More;
use PostgreSQL::Test::Utils ();
use PostgreSQL::Test::Cluster ();

our @all_servers;    # weak references, for END

# Small, fast and deterministic.  innodb-flush-log-at-trx-commit=2 hands each
# commit to the OS at once: committed rows survive kill9 (not a power cut).
my @server_opts = (
	'--skip-log-bin',                     '--skip-name-resolve',
	'--character-set-server=utf8mb4',     '--default-time-zone=+00:00',
	'--max-connections=100',              '--innodb-buffer-pool-size=32M',
	'--innodb-log-file-size=16M',         '--innodb-log-buffer-size=4M',
	'--innodb-flush-log-at-trx-commit=2', '--innodb-doublewrite=0',
	'--innodb-use-native-aio=0',          '--key-buffer-size=1M',
	'--performance-schema=OFF',           '--table-open-cache=200');

# Find the first of @names in the usual places; undef if none.
sub _find_bin
{
	my (@names) = @_;
	my @dirs = grep { defined && length } (
		$ENV{FED_MYSQL_BIN}, split(/:/, $ENV{PATH} // ''),
		qw(/usr/sbin /usr/bin /usr/local/mysql/bin /usr/local/bin /usr/local/sbin));
	for my $name (@names)
	{
		if ($name eq 'mariadbd' && $ENV{FED_MYSQLD} && -x $ENV{FED_MYSQLD})
		{
			return $ENV{FED_MYSQLD};
		}
		for my $d (@dirs)
		{
			return "$d/$name" if -f "$d/$name" && -x _;
		}
	}
	return undef;
}

sub _bins
{
	return {
		server     => _find_bin(qw(mariadbd mysqld)),
		install_db => _find_bin(qw(mariadb-install-db mysql_install_db)),
		client     => _find_bin(qw(mariadb mysql)),
		admin      => _find_bin(qw(mariadb-admin mysqladmin)),
	};
}

=pod

=head1 METHODS

=over

=item FederateTest::MariaDB->available

True when the MariaDB server and client binaries can be found.

=cut

sub available
{
	my $b = _bins();
	return !grep { !defined } values %$b;
}

=pod

=item FederateTest::MariaDB->new(name => 'm1', %opts)

Creates (but does not start) a server.  Options: C<port> (default: a free
port), C<user>/C<password> (default fed/fed_secret), C<extra_opts> (array
ref of additional mariadbd switches).

=cut

sub new
{
	my ($class, %args) = @_;
	my $name = $args{name} // 'mariadb';
	croak "bad name '$name'" unless $name =~ /^\w+$/;
	my $bins = _bins();
	for my $k (sort keys %$bins)
	{
		croak "MariaDB binary ($k) not found; install mariadb-server and mariadb-client"
		  unless defined $bins->{$k};
	}
	my $base    = PostgreSQL::Test::Utils::tempdir("mariadb_$name");
	my $sockdir = PostgreSQL::Test::Utils::tempdir_short();
	my $testname = basename($0);
	$testname =~ s/\.[^.]+$//;

	my $self = bless {
		name       => $name,
		host       => '127.0.0.1',
		port       => $args{port} // PostgreSQL::Test::Cluster::get_free_port(),
		user       => $args{user} // 'fed',
		password   => $args{password} // 'fed_secret',
		basedir    => $base,
		datadir    => "$base/data",
		socket     => "$sockdir/mariadb.sock",
		pidfile    => "$base/mariadbd.pid",
		logfile    => "$PostgreSQL::Test::Utils::log_path/mariadb_${testname}_$name.log",
		extra_opts => $args{extra_opts} // [],
		bins       => $bins,
		pid        => undef,
		owner_pid  => $$,
		user_created => 0,
	}, $class;

	push @all_servers, $self;
	weaken($all_servers[-1]);
	print "# MariaDB '$name': port $self->{port}, datadir $self->{datadir}\n";
	return $self;
}

=pod

=item Accessors

C<name>, C<host> (127.0.0.1), C<port>, C<user>, C<password> (the account
federate should use), C<socket>, C<datadir>, C<logfile>, C<pid> (undef when
not running).

=cut

sub name     { $_[0]->{name} }
sub host     { $_[0]->{host} }
sub port     { $_[0]->{port} }
sub user     { $_[0]->{user} }
sub password { $_[0]->{password} }
sub socket   { $_[0]->{socket} }
sub datadir  { $_[0]->{datadir} }
sub logfile  { $_[0]->{logfile} }
sub pid      { $_[0]->{pid} }

=pod

=item $m->server_options / $m->user_mapping_options

SQL fragments for CREATE SERVER ... OPTIONS (...) (without dbname) and
CREATE USER MAPPING ... OPTIONS (...):
C<driver 'mysql', host '127.0.0.1', port 'NNNN'> and
C<user 'fed', password 'fed_secret'>.

=cut

sub server_options
{
	my ($self) = @_;
	return "driver 'mysql', host '$self->{host}', port '$self->{port}'";
}

sub user_mapping_options
{
	my ($self) = @_;
	return "user '$self->{user}', password '$self->{password}'";
}

=pod

=item $m->is_running

True while the server process we started is alive.

=cut

sub is_running
{
	my ($self) = @_;
	return 0 unless defined $self->{pid};
	my $r = waitpid($self->{pid}, WNOHANG);
	if ($r == $self->{pid} || $r == -1)
	{
		$self->{pid} = undef;
		return 0;
	}
	return 1;
}

sub _run_logged
{
	my ($self, @cmd) = @_;
	print "# running: @cmd\n";
	my ($out, $err) = ('', '');
	my $ok = IPC::Run::run(\@cmd, '<', \'', '>', \$out, '2>', \$err,
		IPC::Run::timeout($PostgreSQL::Test::Utils::timeout_default));
	print $out, $err;
	return $ok;
}

=pod

=item $m->start

Initialises the datadir the first time, starts mariadbd in the background,
waits (at most PG_TEST_TIMEOUT_DEFAULT seconds, 180 by default) until it
accepts connections, and creates the federate user the first time.  Dies
on failure, showing the end of the server log.

=cut

sub start
{
	my ($self) = @_;
	croak "MariaDB '$self->{name}' is already running" if $self->is_running;
	my $b = $self->{bins};

	if (!-d "$self->{datadir}/mysql")
	{
		make_path($self->{datadir});
		$self->_run_logged(
			$b->{install_db},                  '--no-defaults',
			"--datadir=$self->{datadir}",      '--auth-root-authentication-method=normal',
			'--skip-test-db',                  '--innodb-log-file-size=16M',
			'--innodb-use-native-aio=0')
		  or croak "mariadb-install-db failed for '$self->{name}'";
	}

	my @cmd = (
		$b->{server},                   '--no-defaults',
		"--datadir=$self->{datadir}",   "--socket=$self->{socket}",
		"--port=$self->{port}",         "--bind-address=$self->{host}",
		"--pid-file=$self->{pidfile}",  "--log-error=$self->{logfile}",
		@server_opts,                   @{ $self->{extra_opts} });
	print "# starting MariaDB '$self->{name}': @cmd\n";

	my $pid = fork();
	croak "fork failed: $!" unless defined $pid;
	if ($pid == 0)
	{
		open(STDIN, '<', '/dev/null');
		open(STDOUT, '>>', $self->{logfile});
		open(STDERR, '>&', \*STDOUT);
		exec(@cmd) or do { print STDERR "exec $cmd[0] failed: $!\n"; POSIX::_exit(127) };
	}
	$self->{pid} = $pid;

	my $deadline = time() + $PostgreSQL::Test::Utils::timeout_default;
	while (1)
	{
		if (!$self->is_running)
		{
			$self->_show_log;
			croak "MariaDB '$self->{name}' exited during startup";
		}
		last if $self->_ping;
		if (time() > $deadline)
		{
			$self->_show_log;
			$self->kill9;
			croak "MariaDB '$self->{name}' did not start within "
			  . "$PostgreSQL::Test::Utils::timeout_default s";
		}
		usleep(100_000);
	}
	print "# MariaDB '$self->{name}' is up (pid $pid)\n";

	if (!$self->{user_created})
	{
		my ($u, $p) = ($self->{user}, $self->{password});
		$self->sql(
			"CREATE USER IF NOT EXISTS '$u'\@'%' IDENTIFIED BY '$p';
			 CREATE USER IF NOT EXISTS '$u'\@'localhost' IDENTIFIED BY '$p';
			 GRANT ALL PRIVILEGES ON *.* TO '$u'\@'%';
			 GRANT ALL PRIVILEGES ON *.* TO '$u'\@'localhost';");
		$self->{user_created} = 1;
	}
	return $self;
}

sub _ping
{
	my ($self) = @_;
	return 0 unless -S $self->{socket};
	my ($out, $err);
	return IPC::Run::run(
		[
			$self->{bins}{admin}, '--no-defaults', "--socket=$self->{socket}",
			'-uroot', '--connect-timeout=2', 'status'
		],
		'<', \'', '>', \$out, '2>', \$err,
		IPC::Run::timeout(10));
}

sub _show_log
{
	my ($self) = @_;
	return unless -f $self->{logfile};
	my @lines = split /\n/, PostgreSQL::Test::Utils::slurp_file($self->{logfile});
	splice(@lines, 0, @lines - 40) if @lines > 40;
	diag("end of $self->{logfile}:\n" . join("\n", @lines));
}

# Wait up to $secs for our child to exit; true if it did.
sub _wait_exit
{
	my ($self, $secs) = @_;
	my $deadline = time() + $secs;
	while ($self->is_running)
	{
		return 0 if time() > $deadline;
		usleep(100_000);
	}
	return 1;
}

=pod

=item $m->stop

Clean shutdown (mariadb-admin shutdown), waiting for the process to exit;
killed with SIGKILL if it has not after PG_TEST_TIMEOUT_DEFAULT seconds.
Does nothing if it is not running.

=cut

sub stop
{
	my ($self) = @_;
	return $self unless $self->is_running;
	print "# stopping MariaDB '$self->{name}' (pid $self->{pid})\n";
	my ($out, $err);
	my $ok = eval {
		IPC::Run::run(
			[
				$self->{bins}{admin}, '--no-defaults', "--socket=$self->{socket}",
				'-uroot', '--connect-timeout=2', 'shutdown'
			],
			'<', \'', '>', \$out, '2>', \$err,
			IPC::Run::timeout(30));
	};
	# SIGTERM is a clean shutdown too, for when the client could not do it.
	kill 'TERM', $self->{pid} if !$ok && $self->is_running;
	if (!$self->_wait_exit($PostgreSQL::Test::Utils::timeout_default))
	{
		diag("MariaDB '$self->{name}' did not shut down; killing it");
		$self->kill9;
	}
	return $self;
}

=pod

=item $m->kill9

Kills the server with SIGKILL (a crash) and reaps it.

=cut

sub kill9
{
	my ($self) = @_;
	return $self unless $self->is_running;
	print "# killing MariaDB '$self->{name}' (pid $self->{pid}) with SIGKILL\n";
	kill 'KILL', $self->{pid};
	waitpid($self->{pid}, 0);
	$self->{pid} = undef;
	return $self;
}

=pod

=item $m->restart

stop, then start.

=cut

sub restart
{
	my ($self) = @_;
	$self->stop;
	return $self->start;
}

=pod

=item $m->run_sql($sql, %opts)

Runs $sql (any number of statements) with the C<mariadb> client in batch
mode (tab-separated, no column names) and returns ($rc, $stdout, $stderr)
without dying; $rc is the client's exit status (0 on success).  Options:
C<db> (default database), C<tcp> (connect over 127.0.0.1:port as the fed
user instead of over the socket as root), C<user>/C<password> (with tcp),
C<column_names> (true to keep the header line).

=item $m->sql($sql, %opts)

Like run_sql, but dies with the client's stderr on error, and returns
stdout without its final newline.

=item $m->sql_ok($sql, $test_name, %opts)

A Test::More test that $sql succeeds.

=cut

sub run_sql
{
	my ($self, $sql, %opts) = @_;
	croak "MariaDB '$self->{name}' is not running" unless $self->is_running;
	my @cmd = ($self->{bins}{client}, '--no-defaults');
	if ($opts{tcp})
	{
		push @cmd, '--protocol=TCP', "--host=$self->{host}", "--port=$self->{port}",
		  '--user=' . ($opts{user} // $self->{user}),
		  '--password=' . ($opts{password} // $self->{password});
	}
	else
	{
		push @cmd, "--socket=$self->{socket}", '--user=root';
	}
	push @cmd, '--batch', '--default-character-set=utf8mb4';
	push @cmd, '--skip-column-names' unless $opts{column_names};
	push @cmd, $opts{db} if defined $opts{db};

	my ($out, $err) = ('', '');
	my $ok = IPC::Run::run(\@cmd, '<', \$sql, '>', \$out, '2>', \$err,
		IPC::Run::timeout($PostgreSQL::Test::Utils::timeout_default));
	return ($ok ? 0 : ($? >> 8 || 1), $out, $err);
}

sub sql
{
	my ($self, $sql, %opts) = @_;
	my ($rc, $out, $err) = $self->run_sql($sql, %opts);
	if ($rc != 0)
	{
		croak "MariaDB '$self->{name}' SQL failed (exit $rc): $err\nwhile running: $sql";
	}
	chomp $out;
	return $out;
}

sub sql_ok
{
	my ($self, $sql, $name, %opts) = @_;
	$name //= "MariaDB '$self->{name}': $sql";
	my ($rc, $out, $err) = $self->run_sql($sql, %opts);
	my $ok = ok($rc == 0, $name);
	diag("exit $rc: $err") unless $ok;
	return $ok;
}

=pod

=back

=cut

sub DESTROY
{
	my ($self) = @_;
	return unless $$ == ($self->{owner_pid} // 0);
	local ($?, $@);
	eval { $self->stop };
}

END
{
	my $exit = $?;
	for my $m (@all_servers)
	{
		next unless defined $m && $$ == ($m->{owner_pid} // 0);
		eval { $m->stop };
	}
	$? = $exit;
}

1;

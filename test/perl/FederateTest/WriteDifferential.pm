# Copyright: part of federate.  A seeded random differential tester for writes.

=pod

=head1 NAME

FederateTest::WriteDifferential - builds a small federation whose tables
have local twins, generates random write transactions from a seed, runs
each statement on the federated tables and, with the table names swapped,
on the twins, and compares errors, command tags, returned rows and, after
every transaction, the full contents of every table and what its row
triggers saw

=head1 SYNOPSIS

  use FederateTest::WriteDifferential;

  my $fed = FederateTest::WriteDifferential->build(name => 'wdiff');
  $fed->check_load;                           # TAP tests: the rows arrived
  my $run = $fed->runner(seed => 1, n => 800, engines => 'all');
  $run->self_check;                           # a planted difference is seen
  $run->run;                                  # the random transactions
  $run->summary;

=head1 THE FEDERATION

A coordinator (shared_preload_libraries = 'federate'), two PostgreSQL
shard clusters (servers C<s1>, C<s2>) and one MariaDB (server C<m1>,
database C<wapp>, default collation utf8mb4_general_ci: case-insensitive,
PAD SPACE), started the way FederateTest::Differential starts them, with
six tables of the same columns:

  id int NOT NULL (key 'true'), k int, g int, tx text DEFAULT 'dflt',
  vc varchar(20), nm numeric(12,2), f8 float8,
  ts timestamp DEFAULT '2024-01-01 00:00:00', b boolean, qty int DEFAULT 7

=over

=item C<wh>

PARTITION BY HASH (k), 6 foreign partitions C<wh_0> .. C<wh_5>, remainder
r on s1, s2, m1 for r % 3 = 0, 1, 2.

=item C<wr>

PARTITION BY RANGE (k): C<wr_0> (MINVALUE..0) on s2, C<wr_1> (0..25) on
m1, C<wr_2> (25..50) on s1, C<wr_3> (50..75) a heap table on the
coordinator, C<wr_4> (75..100) on m1 (tx utf8mb4_nopad_bin, vc
utf8mb4_unicode_ci), C<wr_5> DEFAULT on s2 (NULL keys, 100 and up;
its PRIMARY KEY and its twin's are DEFERRABLE INITIALLY DEFERRED, so a
duplicate there fails at COMMIT).

=item C<fp>, C<fq>, C<fm>, C<fn>

Plain federate foreign tables: on s1, on s2, on m1, and on m1 with tx
utf8mb4_unicode_ci and vc utf8mb4_nopad_bin.

=item triggers

C<fq> and C<fn> (and their twins) have a BEFORE INSERT OR UPDATE row
trigger that sets a NULL qty to -1, and an AFTER INSERT OR UPDATE OR
DELETE row trigger that writes (table, operation, id, qty, tx) to
C<audit_f> (C<audit_l> for the twins).

=item C<vh>, C<vq>, C<vn>

Views over wh, fq and fn: C<WHERE g IS NULL OR g < 4 WITH CASCADED CHECK
OPTION>.

=back

Every remote table has PRIMARY KEY (id), so uniqueness holds per
partition.  The local twins C<lh>, C<lr>, C<lp>, C<lq>, C<lm>, C<ln>
(views C<lvh>, C<lvq>, C<lvn>) have the same columns, defaults,
partitioning (partitions C<lh_0> ..; C<lr_0> ..), triggers and views,
and each partition (each table) has its own PRIMARY KEY (id): the same
rules, the same errors.  No unique constraint is on text (MariaDB's
case-insensitive collation would refuse rows that PostgreSQL accepts).
Values are ones both engines store (no NaN, infinities or -0; years 1100
to 9000, so that interval arithmetic stays within MariaDB's 1000 to
9999).

=cut

package FederateTest::WriteDifferential;

use strict;
use warnings;
use utf8;

use Carp;
use DBI;
use POSIX qw(strftime);
use Time::HiRes qw(time usleep);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

use FederateTest::MariaDB;
# connect (a DBI session on the coordinator), coord, coord_alive, and the
# row comparison FederateTest::Differential::Fuzzer::compare
use FederateTest::Differential;
our @ISA = ('FederateTest::Differential');

# [name, PostgreSQL type, MariaDB type, coordinator DEFAULT, value class]
our @COLS = (
	[ id  => 'int NOT NULL',  'INT NOT NULL',  undef,                     'int' ],
	[ k   => 'int',           'INT',           undef,                     'int' ],
	[ g   => 'int',           'INT',           undef,                     'int' ],
	[ tx  => 'text',          'TEXT',          q{'dflt'},                 'text' ],
	[ vc  => 'varchar(20)',   'VARCHAR(20)',   undef,                     'text' ],
	[ nm  => 'numeric(12,2)', 'DECIMAL(12,2)', undef,                     'numeric' ],
	[ f8  => 'float8',        'DOUBLE',        undef,                     'float' ],
	[ ts  => 'timestamp',     'DATETIME(6)',   q{'2024-01-01 00:00:00'}, 'timestamp' ],
	[ b   => 'boolean',       'BOOLEAN',       undef,                     'bool' ],
	[ qty => 'int',           'INT',           '7',                       'int' ],
);
our @COLNAMES = map { $_->[0] } @COLS;
our %CLASS    = map { $_->[0] => $_->[4] } @COLS;
# a dumped row: [part, id, k, ...]; the index of each column in it
our %IDX = map { $COLNAMES[$_] => $_ + 1 } 0 .. $#COLNAMES;

# The federated tables.  A part is [bound, server, MariaDB collations of
# tx and vc (optional)] or [bound, server, 'deferred'] (its PRIMARY KEY,
# and its twin's, is DEFERRABLE INITIALLY DEFERRED: a duplicate fails at
# COMMIT, where the remote commit fails); server 'local' is a heap
# partition on the coordinator.  krange: the partition keys new rows get.
our %TABLES = (
	wh => { local => 'lh', by => 'HASH (k)', krange => [ -5, 60 ],
		parts => [ map { [ "FOR VALUES WITH (MODULUS 6, REMAINDER $_)", (qw(s1 s2 m1))[ $_ % 3 ] ] } 0 .. 5 ] },
	wr => { local => 'lr', by => 'RANGE (k)', krange => [ -10, 115 ],
		parts => [
			[ 'FOR VALUES FROM (MINVALUE) TO (0)', 's2' ],
			[ 'FOR VALUES FROM (0) TO (25)',       'm1' ],
			[ 'FOR VALUES FROM (25) TO (50)',      's1' ],
			[ 'FOR VALUES FROM (50) TO (75)',      'local' ],
			[ 'FOR VALUES FROM (75) TO (100)',     'm1', 'utf8mb4_nopad_bin', 'utf8mb4_unicode_ci' ],
			[ 'DEFAULT',                           's2', 'deferred' ] ] },
	fp => { local => 'lp', server => 's1', krange => [ -5, 60 ] },
	fq => { local => 'lq', server => 's2', krange => [ -5, 60 ] },
	fm => { local => 'lm', server => 'm1', krange => [ -5, 60 ] },
	fn => { local => 'ln', server => 'm1', krange => [ -5, 60 ], coll => [ 'utf8mb4_unicode_ci', 'utf8mb4_nopad_bin' ] },
);
our @TABLE_NAMES = qw(wh wr fp fq fm fn);

# Tables (and their twins) with row triggers (see build).
our @TRIGGERS = qw(fq fn);

# Auto-updatable views WITH CHECK OPTION over some of them (and over
# their twins): a write through one must keep its rows visible in it.
our %VIEWS = (vh => 'wh', vq => 'fq', vn => 'fn');
our $VIEW_COND = 'g IS NULL OR g < 4';

# The tables each engine mix writes (WFUZZ_ENGINES): PostgreSQL shards
# only, MariaDB only, the partitioned tables over both with the plain
# tables of both, or everything.
our %ENGINES = (
	postgres => [qw(fp fq)],
	mysql    => [qw(fm fn)],
	mixed    => [qw(wh wr fp fm)],
	all      => [@TABLE_NAMES],
);

our %LOCAL = ((map { $_ => $TABLES{$_}{local} } @TABLE_NAMES), map { $_ => "l$_" } keys %VIEWS);
my $NAME_RE = join('|', sort keys %LOCAL);

# The local twin of a federated statement: table (and partition) names
# swapped outside string literals.
sub local_sql
{
	my ($sql) = @_;
	my @parts = split /('(?:[^']|'')*')/, $sql;
	for my $i (grep { $_ % 2 == 0 } 0 .. $#parts)
	{
		$parts[$i] =~ s/\b($NAME_RE)(?=_\d|\b)/$LOCAL{$1}/g;
	}
	return join('', @parts);
}

sub quote_lit { return FederateTest::Differential::quote_lit($_[0]) }

# Column definitions for the coordinator (with defaults; $key: the id
# column gets the option key 'true', for foreign tables).
sub coord_cols
{
	my ($key) = @_;
	return join(', ', map {
		# column_name type [OPTIONS (...)] [constraints]
		my ($type, $notnull) = $_->[1] =~ /^(.*?)( NOT NULL)?$/;
		"$_->[0] $type" . ($key && $_->[0] eq 'id' ? q{ OPTIONS (key 'true')} : '') . ($notnull // '')
		  . (defined $_->[3] ? " DEFAULT $_->[3]" : '')
	} @COLS);
}

# ------------------------------------------------------------- the data ---

# Text values that writes through federation may get wrong: case and
# trailing-space variants (equal under MariaDB's collation), empty strings,
# quotes, backslashes, LIKE wildcards, unicode.  All fit varchar(20) but
# the last, which makes "vc = tx" fail now and then.
our @TEXTS = (
	'a', 'A', 'a ', ' a', 'a  ', 'A ', '', ' ', 'b', 'B', 'b ', 'ab', 'aB', 'AB ', 'abc', 'ABC',
	"o'brien", "O'Brien ", 'x_y', 'x%y', '50%', '_', 'back\\slash', 'é', 'É', 'e', 'é ', 'ß', 'ss', 'SS',
	'us', 'US', 'us ', 'Us  ', 'ü', 'u', '日本', '🙂', "tab\there", 'NULL', 'z', 'Z', 'zz', 'dflt', 'DFLT ',
	'a rather long text of 34 letters',
);
our @VCS = grep { length($_) <= 20 } @TEXTS;

our @NUMS = ('0.00', '-0.01', '0.01', '1.50', '-1.50', '2.50', '-2.50', '12.34', '0.05', '100000.00',
	'9999999999.99', '-9999999999.99', '1234567.89', '0.10');
our @FLOATS = ('0', '0.1', '1.2345678901234567', '1e+15', '-2.5', '1e-07', '100000.7', '0.30000000000000004',
	'0.25', '-1000000', '7');
our @STAMPS = ('2024-03-10 00:00:00', '2024-03-10 23:59:59.999999', '2024-03-11 00:00:00',
	'2024-02-29 12:00:00', '2023-12-31 23:59:59.5', '2024-01-31 10:00:00', '1100-01-01 00:00:00',
	'9000-12-30 00:00:00', '2024-03-10 02:30:00', '2024-06-30 00:00:00.000001');

sub _r     { int(rand($_[0])) }
sub _pick  { $_[ int(rand(@_)) ] }
sub _maybe { my ($p, $v) = @_; return rand() < $p ? undef : $v }

sub gen_text { return rand() < 0.9 ? _pick(@TEXTS) : join('', map { _pick('a' .. 'd', 'A', ' ', 'é') } 1 .. 1 + _r(5)) }
sub gen_vc   { my $v = gen_text(); return length($v) <= 20 ? $v : _pick(@VCS) }
sub gen_num  { return rand() < 0.3 ? _pick(@NUMS) : sprintf('%.2f', (rand() < 0.3 ? -1 : 1) * (_r(100000) + _r(100) / 100)) }
sub gen_f8   { return rand() < 0.3 ? _pick(@FLOATS) : (_r(4_000_000) - 2_000_000) / 4 }
sub gen_ts
{
	return _pick(@STAMPS) if rand() < 0.3;
	my $e = 1704067200 + _r(400 * 86400);    # 2024-01-01 + 400 days
	my $s = strftime('%Y-%m-%d %H:%M:%S', gmtime($e));
	my $r = rand();
	$s .= $r < 0.6 ? '' : $r < 0.8 ? '.5' : sprintf('.%06d', 1 + _r(999999));
	return $s;
}
sub gen_qty  { return rand() < 0.03 ? _pick(2147483647, -2147483648, 0) : _r(1020) - 20 }

sub gen_k
{
	my ($t) = @_;
	return undef if rand() < 0.03;
	my ($lo, $hi) = @{ $TABLES{$t}{krange} };
	return $lo + _r($hi - $lo + 1);
}

# A fresh row (values in @COLS order) of table $t.
sub gen_row
{
	my ($t, $id) = @_;
	return [
		$id, gen_k($t),
		_maybe(0.05, _r(6)),
		_maybe(0.08, gen_text()),
		_maybe(0.08, gen_vc()),
		_maybe(0.06, gen_num()),
		_maybe(0.06, gen_f8()),
		_maybe(0.06, gen_ts()),
		_maybe(0.1, rand() < 0.5 ? 'true' : 'false'),
		_maybe(0.06, gen_qty()),
	];
}

# ---------------------------------------------------------- the builder ---

=pod

=head1 METHODS

=over

=item FederateTest::WriteDifferential->build(%opts)

Starts the coordinator, the shards and MariaDB, creates the tables and
loads the same rows into each federated table and its twin.  Options:
C<name> (prefix of the node names), C<n_rows> (rows per table, default
40), C<data_seed> (default $ENV{WFUZZ_DATA_SEED} or 20240311),
C<coord_conf> (more postgresql.conf lines for the coordinator).

=cut

sub build
{
	my ($class, %opts) = @_;
	my $name = $opts{name} // 'wdiff';
	my $self = bless {
		name      => $name,
		n_rows    => $opts{n_rows} // 40,
		data_seed => $opts{data_seed} // $ENV{WFUZZ_DATA_SEED} // 20240311,
	}, $class;
	my $t0 = time;

	my $coord = PostgreSQL::Test::Cluster->new("${name}_coord");
	$coord->init;
	$coord->append_conf('postgresql.conf', join("\n",
		"shared_preload_libraries = 'federate'",
		"log_line_prefix = '%m [%p] %e %q%a '",
		"log_statement = 'none'",
		"restart_after_crash = on",
		"timezone = 'UTC'",
		"lc_messages = 'C'",
		"max_connections = 30",
		"shared_buffers = 32MB",
		"jit = off",
		$opts{coord_conf} // ''));
	$coord->start;
	$self->{coord} = $coord;

	my @shards;
	for my $i (1, 2)
	{
		my $s = PostgreSQL::Test::Cluster->new("${name}_shard$i");
		$s->init;
		$s->append_conf('postgresql.conf', join("\n",
			"log_statement = 'none'", "max_connections = 60", "timezone = 'UTC'",
			"shared_buffers = 16MB", "max_parallel_workers_per_gather = 0"));
		$s->start;
		push @shards, $s;
	}
	$self->{shards} = \@shards;

	my $m = FederateTest::MariaDB->new(name => "${name}_m1");
	$m->start;
	$self->{mariadb} = $m;

	# the remote tables, each with PRIMARY KEY (id)
	my %pg = (s1 => '', s2 => '');
	my $my = "CREATE DATABASE wapp;\n";
	my $pk = sub { return ($_[0] // '') eq 'deferred' ? 'PRIMARY KEY (id) DEFERRABLE INITIALLY DEFERRED' : 'PRIMARY KEY (id)' };
	my $remote = sub {
		my ($server, $table, @coll) = @_;
		if ($server eq 'm1')
		{
			$my .= sprintf("CREATE TABLE wapp.%s (%s, PRIMARY KEY (id));\n", $table, join(', ', map {
				my $c = $_;
				"$c->[0] $c->[2]" . ($c->[4] eq 'text' && @coll ? ' COLLATE ' . ($c->[0] eq 'tx' ? $coll[0] : $coll[1]) : '')
			} @COLS));
		}
		elsif ($server ne 'local')
		{
			$pg{$server} .= sprintf("CREATE TABLE %s (%s, %s);\n", $table,
				join(', ', map { "$_->[0] $_->[1]" } @COLS), $pk->($coll[0]));
		}
	};
	for my $t (@TABLE_NAMES)
	{
		my $d = $TABLES{$t};
		if ($d->{parts})
		{
			$remote->($d->{parts}[$_][1], "${t}_$_", @{ $d->{parts}[$_] }[ 2 .. $#{ $d->{parts}[$_] } ])
			  for 0 .. $#{ $d->{parts} };
		}
		else
		{
			$remote->($d->{server}, $t, @{ $d->{coll} || [] });
		}
	}
	$shards[0]->safe_psql('postgres', $pg{s1});
	$shards[1]->safe_psql('postgres', $pg{s2});
	$m->sql($my);

	# the coordinator: servers, federated tables, local twins
	my $setup = "CREATE EXTENSION federate;\n";
	for my $i (1, 2)
	{
		$setup .= sprintf(qq{CREATE SERVER s$i FOREIGN DATA WRAPPER federate OPTIONS (host '%s', port '%s', dbname 'postgres');
			CREATE USER MAPPING FOR CURRENT_USER SERVER s$i;\n}, $shards[ $i - 1 ]->host, $shards[ $i - 1 ]->port);
	}
	$setup .= sprintf(qq{CREATE SERVER m1 FOREIGN DATA WRAPPER federate OPTIONS (%s, dbname 'wapp');
		CREATE USER MAPPING FOR CURRENT_USER SERVER m1 OPTIONS (%s);\n}, $m->server_options, $m->user_mapping_options);
	my $ftopts = sub {
		my ($server, $table) = @_;
		return "SERVER $server OPTIONS (table_name '$table'" . ($server eq 'm1' ? '' : ", schema_name 'public'") . ')';
	};
	for my $t (@TABLE_NAMES)
	{
		my $d = $TABLES{$t};
		my $l = $d->{local};
		if ($d->{parts})
		{
			$setup .= sprintf("CREATE TABLE %s (%s) PARTITION BY %s;\n", $t, coord_cols(0), $d->{by});
			$setup .= sprintf("CREATE TABLE %s (%s) PARTITION BY %s;\n", $l, coord_cols(0), $d->{by});
			for my $i (0 .. $#{ $d->{parts} })
			{
				my ($bound, $server, $opt) = @{ $d->{parts}[$i] };
				my $key = $pk->($opt);
				$bound = "FOR VALUES $bound" if $bound !~ /^(FOR|DEFAULT)/;
				if ($server eq 'local')
				{
					$setup .= "CREATE TABLE ${t}_$i PARTITION OF $t ($key) $bound;\n";
				}
				else
				{
					$setup .= sprintf("CREATE FOREIGN TABLE %s_%d PARTITION OF %s %s %s;\n", $t, $i, $t, $bound,
						$ftopts->($server, "${t}_$i"));
					$setup .= "ALTER FOREIGN TABLE ${t}_$i ALTER COLUMN id OPTIONS (ADD key 'true');\n";
				}
				$setup .= "CREATE TABLE ${l}_$i PARTITION OF $l ($key) $bound;\n";
			}
		}
		else
		{
			$setup .= sprintf("CREATE FOREIGN TABLE %s (%s) %s;\n", $t, coord_cols(1), $ftopts->($d->{server}, $t));
			$setup .= sprintf("CREATE TABLE %s (%s, PRIMARY KEY (id));\n", $l, coord_cols(0));
		}
	}
	for my $v (sort keys %VIEWS)
	{
		$setup .= "CREATE VIEW $v AS SELECT * FROM $VIEWS{$v} WHERE $VIEW_COND WITH CASCADED CHECK OPTION;\n";
		$setup .= "CREATE VIEW $LOCAL{$v} AS SELECT * FROM $LOCAL{ $VIEWS{$v} } WHERE $VIEW_COND WITH CASCADED CHECK OPTION;\n";
	}
	# row triggers on fq and fn and on their twins: a BEFORE trigger that
	# changes the new row (so no UPDATE of them can be sent whole) and an
	# AFTER trigger that writes each row it sees to audit_f (federated
	# side) or audit_l (twins), compared after every transaction
	$setup .= q{
		CREATE TABLE audit_f (tbl text, op text, id int, qty int, tx text);
		CREATE TABLE audit_l (tbl text, op text, id int, qty int, tx text);
		CREATE FUNCTION wfz_fix() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN
			NEW.qty := coalesce(NEW.qty, -1);
			RETURN NEW;
		END $$;
		CREATE FUNCTION wfz_log() RETURNS trigger LANGUAGE plpgsql AS $$
		DECLARE
			r record;
		BEGIN
			IF TG_OP = 'DELETE' THEN r := OLD; ELSE r := NEW; END IF;
			EXECUTE format('INSERT INTO %I VALUES ($1, $2, $3, $4, $5)', TG_ARGV[0])
			  USING TG_ARGV[1], TG_OP, r.id, r.qty, r.tx;
			RETURN NULL;
		END $$;
	};
	for my $t (@TRIGGERS)
	{
		for my $side ([ $t, 'audit_f' ], [ $LOCAL{$t}, 'audit_l' ])
		{
			my ($rel, $audit) = @$side;
			$setup .= "CREATE TRIGGER fix BEFORE INSERT OR UPDATE ON $rel FOR EACH ROW EXECUTE FUNCTION wfz_fix();\n"
			  . "CREATE TRIGGER log AFTER INSERT OR UPDATE OR DELETE ON $rel FOR EACH ROW "
			  . "EXECUTE FUNCTION wfz_log('$audit', '$t');\n";
		}
	}
	$coord->safe_psql('postgres', $setup);

	# the rows: the same INSERT into each table and its twin
	srand($self->{data_seed});
	my $dbh = $self->connect or croak "cannot connect to the coordinator: $DBI::errstr";
	for my $t (@TABLE_NAMES)
	{
		my @rows = map { gen_row($t, $_) } 1 .. $self->{n_rows};
		my $sql = sprintf("INSERT INTO %s (%s) VALUES\n%s", $t, join(', ', @COLNAMES),
			join(",\n", map { '(' . join(', ', map { quote_lit($_) } @$_) . ')' } @rows));
		for my $target ($t, $LOCAL{$t})
		{
			(my $s = $sql) =~ s/^INSERT INTO $t /INSERT INTO $target /;
			$dbh->do($s) or BAIL_OUT("loading $target failed: " . $dbh->errstr);
		}
	}
	$dbh->do('ANALYZE ' . join(', ', map { $LOCAL{$_} } @TABLE_NAMES));
	$dbh->do('DELETE FROM audit_f; DELETE FROM audit_l');
	$dbh->disconnect;
	note(sprintf('federation %s built and loaded in %.1f s', $name, time - $t0));
	return $self;
}

# The statement that reads a whole table for the comparison: which
# partition each row is in (the name's suffix: "_3" for wh_3 and lh_3)
# and every column.
sub dump_sql
{
	my ($t) = @_;
	return sprintf(q{SELECT regexp_replace(tableoid::regclass::text, '^[a-z]+', '') AS part, %s FROM %s ORDER BY id},
		join(', ', @COLNAMES), $t);
}

=pod

=item $fed->check_load

TAP tests: each federated table holds the rows of its twin, every
partition holds rows, and MariaDB's collation does fold case and
trailing spaces.

=cut

sub check_load
{
	my ($self) = @_;
	my $c = $self->{coord};
	for my $t (@TABLE_NAMES)
	{
		my $l = $LOCAL{$t};
		my $d = $c->safe_psql('postgres', sprintf(
			'SELECT count(*) FROM ((%s) EXCEPT ALL (%s)) a', local_sql(dump_sql($t)) =~ s/ ORDER BY id//r,
			dump_sql($t) =~ s/ ORDER BY id//r));
		is($d, '0', "$t holds the rows of $l, each in the matching partition");
	}
	for my $t (grep { $TABLES{$_}{parts} } @TABLE_NAMES)
	{
		my $n = $c->safe_psql('postgres', "SELECT count(DISTINCT tableoid) FROM $t");
		is($n, scalar @{ $TABLES{$t}{parts} }, "$t: every partition holds rows");
	}
	is($self->{mariadb}->sql(q{SELECT count(*) FROM wapp.fm WHERE 'a' = 'A ' AND 'É' = 'e'}),
		$self->{mariadb}->sql('SELECT count(*) FROM wapp.fm'),
		"MariaDB's collation calls 'a' and 'A ' equal (the trap is set)");
	return;
}

sub runner
{
	my ($self, %opts) = @_;
	return FederateTest::WriteDifferential::Runner->new(fed => $self, %opts);
}

# Kill the coordinator's connections to server s1, s2 or m1 on that
# server (pg_terminate_backend, KILL CONNECTION): the connection is lost
# in the middle of the coordinator's transaction.  Returns how many.
sub kill_connections
{
	my ($self, $server) = @_;
	if ($server eq 'm1')
	{
		my $kill = $self->{mariadb}->sql(q{SELECT concat('KILL CONNECTION ', id, ';') FROM information_schema.processlist
			WHERE db = 'wapp' AND id <> connection_id()});
		my $n = () = $kill =~ /KILL/g;
		# (a connection that ended meanwhile: its KILL fails, harmlessly)
		$self->{mariadb}->run_sql($kill) if $n;
		return $n;
	}
	my $shard = $self->{shards}[ $server eq 's1' ? 0 : 1 ];
	return $shard->safe_psql('postgres', q{SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() AND datname = 'postgres'});
}

# The prepared transactions on the servers (pg_prepared_xacts, XA RECOVER).
sub prepared_left
{
	my ($self) = @_;
	my $n = 0;
	$n += $_->safe_psql('postgres', 'SELECT count(*) FROM pg_prepared_xacts') for @{ $self->{shards} };
	$n += scalar grep { length } split /\n/, $self->{mariadb}->sql('XA RECOVER');
	return $n;
}

sub stop
{
	my ($self) = @_;
	$self->{mariadb}->stop if $self->{mariadb};
	return;
}

=pod

=back

=cut

# ============================================================ generator ===

package FederateTest::WriteDifferential::Gen;

=pod

=head1 THE GENERATOR

C<< $gen->transaction($n) >> makes transaction number $n of the seed from
the seed, $n and the current contents of the tables (the local twins'
rows after the transaction before, from C<< $gen->set_model >>), so a run
is the same every time.  It writes the tables of its engine mix
(C<engines>: all, postgres, mysql, mixed; see %ENGINES).  A transaction
is a list of steps C<< { sql, kind, dml, copy, prepared } >> (federated
text; C<copy>: the data lines of a COPY; C<prepared>: the statement an
EXECUTE runs) and a mode:

=over

=item C<guarded>

BEGIN, statements, COMMIT or ROLLBACK; the runner takes a savepoint
before each statement (C<dml>) and rolls back to it when the statement
failed alike on both sides or was skipped, so one failure does not end
the transaction.

=item C<bare>

The same without the runner's savepoints: a failing statement aborts the
transaction on both sides (the rest fails with 25P02 on both, COMMIT
answers ROLLBACK); a skipped statement rolls the transaction back on both
sides.

=item C<autocommit>

One statement outside a transaction block (the local twin runs in
BEGIN .. COMMIT, or ROLLBACK when the federated side skipped it).

=back

Statements (@KINDS, with weights): INSERT of one row, of several (with
DEFAULT, column subsets), INSERT ... SELECT (same table, another table,
generate_series, sometimes more rows than a batch), INSERT ... ON
CONFLICT DO NOTHING (mostly into partitions on PostgreSQL shards), COPY
FROM STDIN; upserts on the plain tables (kind C<upsert>: C<INSERT INTO fp
AS t (...) VALUES ... ON CONFLICT (id) DO UPDATE SET ... [WHERE ...]
[RETURNING ...]>, mostly into fp and fm, sometimes fq, fn or the views vq,
vn, where DO UPDATE is refused; rows with ids that are there, keeping
their k or not, and new ids, rarely one id twice (DO UPDATE: 21000);
SET lists from EXCLUDED, from the row that is there (C<t.qty +
EXCLUDED.qty>, C<NOT t.b>), ORM style (every inserted column from
EXCLUDED), column subsets and DEFAULT (EXCLUDED holds the default), pairs
that read each other's columns (C<g = t.qty, qty = t.g>: refused on
MySQL) or read them in an order MySQL must change, values that do not
fit; kind C<upsert_nothing>: C<ON CONFLICT (id) DO NOTHING>, refused on
MySQL; both also prepared); UPDATE and DELETE targeted (id, partition
key) and scattered (text with case and trailing-space variants, LIKE with and without
ESCAPE, ILIKE, regular expressions, IN and NOT IN with NULLs, ANY/ALL of
arrays, row IN, IS NULL, numeric and timestamp ranges, timestamptz and
date literals, booleans), with volatile conditions that force row-by-row
writes, SET lists that read columns assigned in the same list (also row
assignments), correlated subqueries on the same table and on another,
UPDATE ... FROM and DELETE ... USING another table (on its id, or on a
column several of its rows share), updates of the partition key, writes
to one partition directly, through views WITH CHECK OPTION, in
data-modifying CTEs; RETURNING; SELECTs that read the transaction's
writes; TRUNCATE (rarely, with its options); prepared statements
executed 6 to 8 times (generic plans, also forced); statements that fail
(duplicate key, also late in a batch that spans the shards and deferred
to COMMIT, division by zero, overflow, too long, NOT NULL, bad cast,
unknown column); savepoints around statements; SET LOCAL of
federate.batch_size, plan_cache_mode, the time zone and planner
settings.  The tables are kept between about 15 and 250 rows.

=cut

use strict;
use warnings;
use utf8;

our %TABLES = %FederateTest::WriteDifferential::TABLES;
our @TABLE_NAMES = @FederateTest::WriteDifferential::TABLE_NAMES;
our %IDX = %FederateTest::WriteDifferential::IDX;
our %CLASS = %FederateTest::WriteDifferential::CLASS;
our @COLNAMES = @FederateTest::WriteDifferential::COLNAMES;

sub r      { int(rand($_[0])) }
sub pick   { $_[ int(rand(@_)) ] }
sub chance { rand() < $_[0] }
sub sq     { FederateTest::WriteDifferential::quote_lit($_[0]) }

sub new
{
	my ($class, %o) = @_;
	my $g = bless { seed => $o{seed}, kinds => $o{kinds}, model => {}, hi => {},
		tables => $FederateTest::WriteDifferential::ENGINES{ $o{engines} // 'all' } }, $class;
	die "unknown engine mix $o{engines}" unless $g->{tables};
	return $g;
}

# The tables this run writes, and another one of them (the same when it
# is alone).
sub tables { return @{ $_[0]->{tables} } }
sub other
{
	my ($g, $t, @from) = @_;
	@from = $g->tables unless @from;
	my @o = grep { $_ ne $t } @from;
	return @o ? pick(@o) : $t;
}
sub plain { return grep { !$TABLES{$_}{parts} } $_[0]->tables }

# The rows of table $t as the local twin holds them now (dumped rows:
# [part, id, k, g, ...]).
sub set_model
{
	my ($g, $t, $rows) = @_;
	$g->{model}{$t} = $rows;
	for my $row (@$rows)
	{
		$g->{hi}{$t} = $row->[1] if !defined $g->{hi}{$t} || $row->[1] > $g->{hi}{$t};
	}
	$g->{hi}{$t} //= 0;
	return;
}

sub rows  { return @{ $_[0]->{model}{ $_[1] } || [] } }
sub count { return scalar @{ $_[0]->{model}{ $_[1] } || [] } }

# A fresh id for table $t (above every id it ever held).
sub new_id
{
	my ($g, $t) = @_;
	$g->{hi}{$t} += 1 + r(3);
	return $g->{hi}{$t};
}

sub any_row
{
	my ($g, $t) = @_;
	my @r = $g->rows($t);
	return @r ? pick(@r) : undef;
}

# A value of column $c, as a Perl string (undef: NULL): from a row of the
# table mostly, else a fresh one.
sub raw
{
	my ($g, $t, $c, %o) = @_;
	my $v;
	for (1 .. 4)
	{
		my $row = chance(0.75) ? $g->any_row($t) : undef;
		$v = $row ? $row->[ $IDX{$c} ] : fresh($t, $c);
		last if defined $v || !$o{nonnull};
	}
	$v //= fresh($t, $c) // 1 if $o{nonnull};
	if (defined $v && $CLASS{$c} eq 'bool')
	{
		$v = $v eq '1' || $v eq 'true' ? 'true' : $v eq '0' || $v eq 'false' ? 'false' : $v;
	}
	$v = variant($v) if defined $v && $CLASS{$c} eq 'text' && $o{variant};
	return $v;
}

sub fresh
{
	my ($t, $c) = @_;
	my %f = (
		id  => sub { 1 + r(100) },
		k   => sub { FederateTest::WriteDifferential::gen_k($t) // 0 },
		g   => sub { r(6) },
		tx  => \&FederateTest::WriteDifferential::gen_text,
		vc  => \&FederateTest::WriteDifferential::gen_vc,
		nm  => \&FederateTest::WriteDifferential::gen_num,
		f8  => \&FederateTest::WriteDifferential::gen_f8,
		ts  => \&FederateTest::WriteDifferential::gen_ts,
		b   => sub { pick('true', 'false') },
		qty => \&FederateTest::WriteDifferential::gen_qty,
	);
	return $f{$c}->();
}

# A case or trailing-space variant of a text (equal to it under MariaDB's
# collation, not under PostgreSQL's).
sub variant
{
	my ($v) = @_;
	my $x = rand();
	return $v if $x < 0.4;
	return uc($v) if $x < 0.52;
	return lc($v) if $x < 0.58;
	return "$v " if $x < 0.72;
	return ucfirst($v) . '  ' if $x < 0.78;
	if ($x < 0.88) { (my $s = $v) =~ s/\s+$//; return $s }
	return pick(@FederateTest::WriteDifferential::TEXTS);
}

# An SQL literal of column $c's type.
sub lit
{
	my ($c, $v) = @_;
	return 'NULL' unless defined $v;
	my $cls = $CLASS{$c};
	return $v < 0 ? "($v)" : $v if $cls eq 'int';
	return $v =~ /^-/ ? "($v)" : $v if $cls eq 'numeric';
	return $v =~ /^-/ || $v =~ /e/ ? "'$v'::float8" : $v if $cls eq 'float';
	return $v if $cls eq 'bool';
	return pick(sq($v), 'TIMESTAMP ' . sq($v)) if $cls eq 'timestamp';
	return sq($v);
}

sub val
{
	my ($g, $t, $c, %o) = @_;
	return lit($c, $g->raw($t, $c, %o));
}

# ---- conditions ------------------------------------------------------------

sub _two_sorted { return $_[0] le $_[1] ? @_ : reverse @_ }

# A condition on one column of $t ($a: the alias prefix, "t." or "").
sub col_pred
{
	my ($g, $t, $c, $a) = @_;
	my $x = "$a$c";
	my $cls = $CLASS{$c};
	my $v = sub { $g->val($t, $c, nonnull => 1, variant => 1) };
	return "$x IS " . pick('NULL', 'NOT NULL') if chance(0.1);
	if ($cls eq 'text')
	{
		my $r = $g->raw($t, $c, nonnull => 1);
		(my $pre = substr($r, 0, 1 + r(2))) =~ s/([%_\\])/\\$1/g;
		return pick(
			"$x = " . $v->(), "$x = " . $v->(), "$x = " . $v->(),
			"$x <> " . $v->(),
			"$x IN (" . join(', ', map { $v->() } 1 .. 2 + r(3)) . ')',
			"$x NOT IN (" . join(', ', map { $v->() } 1 .. 2 + r(2)) . ')',
			"$x LIKE " . sq(variant($pre) . '%'),
			"$x LIKE " . sq('%' . variant($pre)),
			"$x NOT LIKE " . sq($pre . '%'),
			"$x ILIKE " . sq($pre . '%'),
			"$x LIKE " . sq($r),
			"$x < " . $v->(),
			"$x >= " . $v->(),
			"upper($x) = " . sq(uc $r),
			"lower($x) = " . sq(lc $r),
			"length($x) = " . length($r),
			"rtrim($x) = " . sq($r =~ s/\s+$//r),
			"$x || 'x' = " . sq($r . 'x'),
			"$x = ${a}" . ($c eq 'tx' ? 'vc' : 'tx'),
			"$x IS DISTINCT FROM " . $v->(),
			"$x IN (" . $v->() . ', NULL)',
			"$x NOT IN (" . $v->() . ', NULL)',
			"$x = ANY (ARRAY[" . join(', ', map { $v->() } 1 .. 1 + r(3)) . '])',
			"$x <> ALL (ARRAY[" . join(', ', map { $v->() } 1 .. 1 + r(3)) . '])',
			"$x ~ " . sq('^' . quotemeta(substr($r, 0, 1))),
			"$x ~* " . sq(quotemeta(substr($r, 0, 2))),
			"$x LIKE " . sq(($r =~ s/([!%_])/!$1/gr) . '%') . q{ ESCAPE '!'},
			"($x, ${a}g) IN ((" . $v->() . ', ' . r(6) . '), (' . $v->() . ', ' . r(6) . '))',
			"coalesce($x, '') = " . $v->(),
		);
	}
	if ($cls eq 'bool')
	{
		return pick($x, "NOT $x", "$x IS TRUE", "$x IS NOT TRUE", "$x IS FALSE", "$x = " . $v->(),
			"$x IS DISTINCT FROM true");
	}
	if ($cls eq 'timestamp')
	{
		my $d = $g->raw($t, $c, nonnull => 1);
		(my $day = $d) =~ s/ .*//;
		return pick("$x = " . lit($c, $d), "$x >= " . $v->(), "$x < " . $v->(),
			"$x BETWEEN " . join(' AND ', map { sq($_) } _two_sorted($g->raw($t, $c, nonnull => 1), $g->raw($t, $c, nonnull => 1))),
			"$x >= '$day' AND $x < '$day'::timestamp + interval '1 day'",
			"date_trunc('day', $x) = '$day'", "$x < '2024-06-01'", "extract(hour FROM $x) < 12",
			"$x >= " . sq("$d+02") . '::timestamptz', "$x < " . sq($d) . '::timestamptz',
			"$x >= DATE '$day'", "${x}::date = '$day'", "$x = ANY (ARRAY[" . lit($c, $d) . ', NULL]::timestamp[])');
	}
	my $one = $v->();
	my @p = ("$x = $one", "$x <> $one", "$x < $one", "$x >= $one",
		"$x BETWEEN " . $v->() . ' AND ' . $v->(),
		"$x IN (" . join(', ', map { $v->() } 1 .. 2 + r(3)) . ')');
	push @p, "$x % 3 = " . r(3), "$x / 2 = " . r(10), "$x = ANY (ARRAY[" . join(', ', map { $v->() } 1 .. 3) . '])',
	  "$x IN (" . $v->() . ', NULL)', "$x NOT IN (" . $v->() . ', NULL)' if $cls eq 'int';
	push @p, "$x > 0", "abs($x) < 100", "round($x) = $x" if $cls eq 'numeric';
	push @p, "$x > 0", "$x * 2 < 1000", "$x = 0.1" if $cls eq 'float';
	return pick(@p);
}

# A scattered condition (no key, or not only the key).
sub pred
{
	my ($g, $t, $a) = @_;
	$a //= '';
	my @c = grep { $_ ne 'id' } @COLNAMES;
	my $p = $g->col_pred($t, pick(@c, 'tx', 'tx', 'vc', 'nm', 'ts'), $a);
	if (chance(0.35))
	{
		$p = "($p " . pick('AND', 'AND', 'OR') . ' ' . $g->col_pred($t, pick(@c), $a) . ')';
	}
	$p = "NOT ($p)" if chance(0.05);
	# a volatile condition: PostgreSQL evaluates it, rows go one by one
	$p = "$p AND random() >= 0" if chance(0.1);
	return $p;
}

# A targeted condition: by id or by partition key.
sub target
{
	my ($g, $t, $a) = @_;
	$a //= '';
	my $id = sub { my $row = $g->any_row($t); $row ? $row->[1] : 1 + r(50) };
	my $k = sub { my $v = $g->raw($t, 'k'); defined $v ? $v : 0 };
	my $x = rand();
	return "${a}id = " . $id->() if $x < 0.35;
	return "${a}id IN (" . join(', ', map { $id->() } 1 .. 2 + r(3)) . ')' if $x < 0.5;
	return "${a}k = " . lit('k', $k->()) if $x < 0.7;
	return "${a}k IN (" . join(', ', map { lit('k', $k->()) } 1 .. 2 + r(2)) . ')' if $x < 0.8;
	return "${a}k = " . lit('k', $k->()) . ' AND ' . $g->col_pred($t, pick('tx', 'nm', 'g', 'b', 'ts'), $a)
	  if $x < 0.92;
	return "${a}id = " . $id->() . ' AND random() >= 0';
}

sub where
{
	my ($g, $t, $a) = @_;
	return chance(0.5) ? $g->target($t, $a) : $g->pred($t, $a);
}

# ---- expressions -------------------------------------------------------------

# A new value for column $c of $t ($a: alias prefix).
sub set_expr
{
	my ($g, $t, $c, $a) = @_;
	$a //= '';
	my $x = "$a$c";
	my $v = sub { $g->val($t, $c, variant => 1) };
	my %e = (
		k   => [ "$x + 1", "$x - 1", $v->(), "coalesce($x, 5)", $x, "$x + 25", "$x * 2", 'NULL' ],
		g   => [ "$x + 1", "($x + 1) % 6", $v->(), 'NULL', "coalesce($x, 0)", "${a}qty % 6", 'DEFAULT' ],
		tx  => [ $v->(), $v->(), "$x || 'x'", "upper($x)", "lower($x)", "${a}vc", "rtrim($x)", "$x || ' '",
			'NULL', "coalesce($x, 'none')", "substr($x, 2)", "replace($x, 'a', 'b')", "concat($x, ${a}vc)",
			"left($x, 3)", "CASE WHEN ${a}b THEN upper($x) ELSE lower($x) END", 'DEFAULT', "trim($x)",
			"${a}nm::text", "${a}ts::text", "repeat($x, 2)" ],
		vc  => [ $v->(), $v->(), "left(${a}tx, 20)", "upper($x)", "$x || '!'", 'NULL', "lower($x)",
			"trim($x)", "${a}g::text", "coalesce($x, ${a}tx)", "${a}tx::varchar(20)" ],
		nm  => [ "$x + 1.25", "$x * 2", "$x / 3", "-$x", "abs($x)", $v->(), 'NULL', "round($x * 1.1, 1)",
			"coalesce($x, 0) + ${a}qty", "$x + ${a}f8", "${a}qty / 4.0", "trunc($x)", "$x % 7" ],
		f8  => [ "$x * 2", "$x + 0.5", "$x / 4", "-$x", $v->(), 'NULL', "$x * 1.1", "$x + ${a}nm",
			"${a}qty / 3.0", "${a}qty::float8 / 3" ],
		ts  => [ "$x + interval '1 day'", "$x - interval '90 minutes'", "$x + interval '1 month'",
			"date_trunc('hour', $x)", "date_trunc('month', $x)", $v->(), 'NULL', "$x + interval '0.5 seconds'",
			'DEFAULT', "$x + ${a}g * interval '1 hour'" ],
		b   => [ "NOT $x", 'true', 'false', 'NULL', "$x IS NULL", "${a}g > 2", "coalesce($x, false)",
			"${a}tx = " . $g->val($t, 'tx', nonnull => 1, variant => 1) ],
		qty => [ "$x + 1", "$x * 2", "$x / 2", "$x % 5", "-$x", "length(${a}tx)", "${a}g", 'NULL', 'DEFAULT',
			"coalesce($x, 0) + 1", "${a}nm::int", "CASE WHEN ${a}tx = " . $g->val($t, 'tx', nonnull => 1, variant => 1)
			  . " THEN 1 ELSE 0 END" ],
	);
	return pick(@{ $e{$c} });
}

# A RETURNING clause (probability $p); $a: the target's alias prefix, in
# statements that join another table ("t.").
sub returning
{
	my ($g, $p, $a) = @_;
	$a //= '';
	return '' unless chance($p // 0.15);
	return ' RETURNING ' . pick($a ? 't.*' : '*', "${a}id, ${a}tx, ${a}nm",
		"${a}id, ${a}k, ${a}nm * 2 AS nm2, upper(${a}tx) AS utx", "${a}id",
		"${a}qty, ${a}ts + interval '1 day' AS t1, ${a}b", "${a}id, ${a}vc || '.' AS v2");
}

# ---- statements --------------------------------------------------------------

sub step { my ($sql, $kind, %o) = @_; return { sql => $sql, kind => $kind, dml => 1, %o } }

sub pick_table
{
	my ($g) = @_;
	# the partitioned tables twice as often
	return pick(map { $TABLES{$_}{parts} ? ($_, $_) : $_ } $g->tables);
}

# A row of values for INSERT (literals, or DEFAULT).
sub values_row
{
	my ($g, $t, $cols, $id, %o) = @_;
	my $row = FederateTest::WriteDifferential::gen_row($t, $id);
	my %v = map { $COLNAMES[$_] => $row->[$_] } 0 .. $#COLNAMES;
	if ($o{like})
	{
		# the values of an existing row, text in variants
		my $src = $o{like};
		for my $c (@COLNAMES)
		{
			next if $c eq 'id' || $c eq 'k';
			$v{$c} = $src->[ $IDX{$c} ] if chance(0.6);
			$v{$c} = FederateTest::WriteDifferential::Gen::variant($v{$c}) if defined $v{$c} && $CLASS{$c} eq 'text' && chance(0.5);
			$v{$c} = $v{$c} eq '1' ? 'true' : 'false' if $c eq 'b' && defined $v{$c} && $v{$c} =~ /^[01]$/;
		}
	}
	$v{k} = $o{k} if exists $o{k};
	return '(' . join(', ', map {
		$_ ne 'id' && $o{defaults} && chance(0.2) ? 'DEFAULT' : lit($_, $v{$_})
	} @$cols) . ')';
}

sub s_insert
{
	my ($g, $t) = @_;
	my $x = rand();
	my @cols = @COLNAMES;
	my $collist = '(' . join(', ', @cols) . ')';
	if ($x < 0.3)
	{
		# a subset of the columns (the others get their defaults)
		@cols = ('id', grep { chance(0.6) } @COLNAMES[ 1 .. $#COLNAMES ]);
		$collist = '(' . join(', ', @cols) . ')';
	}
	elsif ($x < 0.4)
	{
		$collist = '';    # every column in order
	}
	my $n = chance(0.55) ? 1 : 2 + r(6);
	my @rows = map { $g->values_row($t, \@cols, $g->new_id($t), defaults => chance(0.3),
		chance(0.3) ? (like => $g->any_row($t)) : ()) } 1 .. $n;
	return step("INSERT INTO $t $collist VALUES " . join(', ', @rows) . $g->returning, $n == 1 ? 'insert_one' : 'insert_rows');
}

# INSERT ... SELECT from the same table, another one, or generate_series.
sub s_insert_select
{
	my ($g, $t) = @_;
	my $x = rand();
	if ($x < 0.3)
	{
		my $off = $g->{hi}{$t} + 1;
		# sometimes more rows than a batch (federate.batch_size, 100)
		my $n = chance(0.1) ? 90 + r(150) : 1 + r(12);
		$g->{hi}{$t} += $n + 1;
		my ($lo, $hi) = @{ $TABLES{$t}{krange} };
		my $kx = pick("$lo + i % " . ($hi - $lo + 1), "(i * 7) % 40", 'NULL::int', "$lo + i");
		my @tx = map { sq(pick(@FederateTest::WriteDifferential::VCS)) } 1 .. 3 + r(3);
		return step("INSERT INTO $t (id, k, g, tx, vc, nm, f8, ts, b) SELECT $off + i, $kx, i % 6, "
			  . '(ARRAY[' . join(', ', @tx) . "])[1 + i % " . scalar(@tx) . "], 'v' || i, i * 1.25, i / 4.0, "
			  . "TIMESTAMP '2024-03-10 00:00:00' + i * interval '" . pick('37 minutes', '1 day', '1.5 seconds')
			  . "', i % 3 = 0 FROM generate_series(1, $n) i" . $g->returning(0.1), 'insert_series');
	}
	my $s = chance(0.5) ? $t : $g->other($t);
	# source rows from a window of ids (and a condition): the new ids,
	# id + off, lie above every id of $t, and grow by the window only
	my $from = ($g->any_row($s) // [ 0, 1 ])->[1];
	my $width = 10 + r(50);
	my $off = $g->{hi}{$t} + 1 - $from;
	$g->{hi}{$t} += $width + 1;
	my ($lo, $hi) = @{ $TABLES{$t}{krange} };
	my %expr = (
		id => $off < 0 ? "id - " . -$off : "id + $off",
		k  => pick('k', 'k', "coalesce(k, 3)", "g * 10", "k + 1"),
		tx => pick('tx', 'tx', 'upper(tx)', "tx || ' '"),
		nm => pick('nm', 'nm * 2'),
		ts => pick('ts', "ts + interval '1 day'"),
	);
	$expr{k} = "least(greatest(k, $lo), $hi)" if $s ne $t && chance(0.5);
	my $sel = join(', ', map { $expr{$_} // $_ } @COLNAMES);
	my $w = "id BETWEEN $from AND " . ($from + $width) . ' AND ' . $g->pred($s);
	return step("INSERT INTO $t (" . join(', ', @COLNAMES) . ") SELECT $sel FROM $s WHERE $w" . $g->returning(0.1),
		$s eq $t ? 'insert_select_same' : 'insert_select_other');
}

# ON CONFLICT DO NOTHING: rows with ids already there (in the same
# partition: same key) and new ones.
sub s_on_conflict
{
	my ($g, $t) = @_;
	my @rows;
	# mostly rows for partitions on PostgreSQL shards (a MySQL server refuses
	# ON CONFLICT): keys and ids of rows in such partitions
	my @pg = $TABLES{$t}{parts} && chance(0.75)
	  ? grep { $TABLES{$t}{parts}[ substr($_->[0], 1) ][1] ne 'm1' } $g->rows($t) : ();
	for (1 .. 1 + r(4))
	{
		my $old = chance(0.6) ? (@pg ? pick(@pg) : $g->any_row($t)) : undef;
		if ($old)
		{
			push @rows, $g->values_row($t, \@COLNAMES, $old->[1], k => $old->[2]);
		}
		else
		{
			push @rows, $g->values_row($t, \@COLNAMES, $g->new_id($t), @pg ? (k => pick(@pg)->[2]) : ());
		}
	}
	return step("INSERT INTO $t VALUES " . join(', ', @rows) . ' ON CONFLICT DO NOTHING' . $g->returning(0.1),
		'insert_on_conflict');
}

# The table an upsert writes: mostly fp or fm (ON CONFLICT (id) DO UPDATE
# goes to their servers), sometimes fq, fn (row triggers) or the views vq,
# vn WITH CHECK OPTION over them, where federate refuses DO UPDATE (0A000,
# documented).  $nothing: for DO NOTHING, which MySQL refuses whatever the
# table, the PostgreSQL ones more often.  Returns the table (or view) and
# the table whose rows it holds.
sub upsert_table
{
	my ($g, $nothing) = @_;
	my %w = $nothing ? (fp => 4, fq => 2, fm => 1, fn => 1) : (fp => 4, fm => 4, fq => 1, fn => 1);
	my %in = map { $_ => 1 } $g->tables;
	my @c = map { ($_) x $w{$_} } grep { $in{$_} } sort keys %w;
	my %views = %FederateTest::WriteDifferential::VIEWS;
	push @c, grep { $in{ $views{$_} } } qw(vq vn);
	my $t = pick(@c);
	return ($t, $views{$t} // $t);
}

# The rows of an upsert into $t (rows of $b): ids that are there (taken
# from the rows $b held when the transaction began; an earlier statement
# of it may have deleted them), keeping the row's k or not, and new ids;
# rarely one id twice (DO UPDATE: 21000, "cannot affect row a second
# time"; DO NOTHING skips the second).  Returns the column list (" (id,
# ...)", or empty: every column in order), the columns and the VALUES
# rows.
sub upsert_rows
{
	my ($g, $b) = @_;
	my @cols = @COLNAMES;
	my $x = rand();
	# a subset: EXCLUDED holds the defaults of the others
	@cols = ('id', grep { chance(0.6) } @COLNAMES[ 1 .. $#COLNAMES ]) if $x < 0.25;
	my $collist = $x < 0.25 || $x >= 0.35 ? ' (' . join(', ', @cols) . ')' : '';
	my $defaults = chance(0.2);
	my (@ids, %used);
	for (1 .. (chance(0.1) ? 5 + r(20) : 1 + r(4)))
	{
		my $old = chance(0.6) ? $g->any_row($b) : undef;
		# each id once (a repeat only below, on purpose)
		$old = undef if $old && $used{ $old->[1] }++;
		push @ids, $old ? [ $old->[1], chance(0.5) ? (k => $old->[2]) : (), chance(0.5) ? (like => $old) : () ]
		  : [ $g->new_id($b) ];
	}
	if (chance(0.06))
	{
		# one id twice, with other values
		my $d = pick(@ids);
		splice(@ids, r(@ids + 1), 0, [ $d->[0] ]);
	}
	my @rows = map { my ($id, %o) = @$_; $g->values_row($b, \@cols, $id, defaults => $defaults, %o) } @ids;
	return ($collist, \@cols, join(', ', @rows));
}

# INSERT ... ON CONFLICT (id) DO UPDATE SET ... [WHERE ...]: the alias t
# names the row that is there, EXCLUDED the proposed one.
sub s_upsert
{
	my ($g) = @_;
	my ($t, $b) = $g->upsert_table(0);
	my ($collist, $cols, $rows) = $g->upsert_rows($b);
	my @set;
	my $x = rand();
	if ($x < 0.15)
	{
		# the way ORMs write it: every column inserted, from EXCLUDED
		@set = map { "$_ = EXCLUDED.$_" } grep { $_ ne 'id' || chance(0.3) } @$cols;
		@set = ('tx = EXCLUDED.tx') unless @set;
	}
	elsif ($x < 0.25)
	{
		# values that read columns the list assigns: the old row's, in SQL.
		# A cycle (MySQL's ON DUPLICATE KEY UPDATE assigns left to right and
		# cannot do it: refused there), or reads a MySQL server can follow
		# in another order
		@set = pick('g = t.qty, qty = t.g', 'qty = t.g, g = t.qty', 'tx = t.vc, vc = left(t.tx, 20)',
			'nm = t.f8, f8 = t.nm', 'g = t.qty % 6, qty = t.nm::int, nm = t.g',
			'g = t.qty, nm = t.nm + 1', 'qty = t.qty + 1, g = t.qty % 6', 'tx = t.tx || EXCLUDED.tx, vc = left(t.tx, 20)',
			q{b = NOT t.b, tx = CASE WHEN t.b THEN 'yes' ELSE 'no' END}, 'nm = t.nm + 1, f8 = t.nm * 2',
			'qty = t.qty + EXCLUDED.qty, g = t.qty % 6');
	}
	else
	{
		my @pool = (
			sub { my $c = pick(grep { $_ ne 'id' } @COLNAMES); "$c = EXCLUDED.$c" },
			'qty = t.qty + EXCLUDED.qty', 'nm = t.nm + 1', 'tx = upper(EXCLUDED.tx)', 'tx = t.tx || EXCLUDED.tx',
			'vc = coalesce(t.vc, EXCLUDED.vc)', 'g = t.g + 1', 'b = NOT t.b', q{ts = EXCLUDED.ts + interval '1 day'},
			'k = EXCLUDED.k', 'id = EXCLUDED.id', 'f8 = EXCLUDED.f8',
		);
		# now and then a value that does not fit (22001, 22003 on both sides)
		push @pool, 'vc = EXCLUDED.tx', 'nm = t.nm * 100000' if chance(0.1);
		my %seen;
		for (1 .. 1 + r(4))
		{
			my $p = pick(@pool);
			my $a = ref $p ? $p->() : $p;
			my ($c) = $a =~ /^(\w+)/;
			push @set, $a unless $seen{$c}++;
		}
	}
	# (the row that is there is always t.col: an unqualified column is
	# ambiguous with EXCLUDED's, 42702 on both sides)
	my $set = join(', ', @set);
	$set =~ s/\bEXCLUDED\./excluded./g if chance(0.1);
	# a WHERE clause (refused on a MySQL server: only now and then on fm)
	my $where = chance($b eq 'fm' || $b eq 'fn' ? 0.1 : 0.35)
	  ? ' WHERE ' . pick('t.g IS NULL OR t.g < 3', 'EXCLUDED.qty > t.qty', 't.tx <> EXCLUDED.tx') : '';
	return step("INSERT INTO $t AS t$collist VALUES $rows ON CONFLICT (id) DO UPDATE SET $set$where"
		  . $g->returning(0.2, pick('', 't.')), 'upsert');
}

# INSERT ... ON CONFLICT (id) DO NOTHING (a conflict target; refused on a
# MySQL server).
sub s_upsert_nothing
{
	my ($g) = @_;
	my ($t, $b) = $g->upsert_table(1);
	my ($collist, $cols, $rows) = $g->upsert_rows($b);
	my $alias = chance(0.5);
	return step("INSERT INTO $t" . ($alias ? ' AS t' : '') . "$collist VALUES $rows ON CONFLICT (id) DO NOTHING"
		  . $g->returning(0.15, $alias ? pick('', 't.') : ''), 'upsert_nothing');
}

sub assignments
{
	my ($g, $t, $a, $n) = @_;
	my @c = grep { $_ ne 'id' && $_ ne 'k' } @COLNAMES;
	my %seen;
	my @set;
	for (1 .. $n)
	{
		my $c = pick(@c);
		next if $seen{$c}++;
		push @set, "$c = " . $g->set_expr($t, $c, $a);
	}
	return join(', ', @set);
}

sub s_update
{
	my ($g, $t, $targeted) = @_;
	my $alias = chance(0.3);
	my $a = $alias ? 't.' : '';
	my $w = $targeted ? $g->target($t, $a) : $g->pred($t, $a);
	return step("UPDATE $t" . ($alias ? ' t' : '') . ' SET ' . $g->assignments($t, $a, 1 + r(3))
		  . " WHERE $w" . $g->returning(0.15, $a), $targeted ? 'update_targeted' : 'update_scatter');
}

# SET lists whose values read columns assigned earlier in the list (SQL:
# every value sees the old row; MySQL would see the new one).
sub s_update_swap
{
	my ($g, $t) = @_;
	my $set = pick('tx = vc, vc = tx', 'vc = left(tx, 20), tx = vc', 'g = qty % 6, qty = g',
		'qty = g + 1, g = qty % 6', 'nm = qty, qty = nm', 'f8 = nm, nm = f8', 'tx = upper(vc), vc = lower(tx)',
		'qty = qty + 1, nm = qty * 2', 'b = NOT b, tx = CASE WHEN b THEN \'yes\' ELSE \'no\' END',
		'ts = ts + interval \'1 hour\', qty = extract(hour FROM ts)::int',
		'tx = tx || vc, vc = left(tx, 5), qty = length(tx)', 'g = NULL, qty = g', '(tx, vc) = (vc, tx)',
		'(g, qty) = (qty % 6, g)', '(nm, f8, qty) = (f8, nm, g)', '(tx, vc) = (upper(vc), left(tx || \'.\', 20))');
	return step("UPDATE $t SET $set WHERE " . $g->where($t) . $g->returning(0.1), 'update_swap');
}

# A correlated subquery on the same table (the statement must see the
# table as it was when it started).
sub s_update_corr
{
	my ($g, $t) = @_;
	# another table, for subqueries that read one (ids unique in it)
	my $s = $g->other($t, $g->plain);
	my $set = pick(
		"qty = (SELECT count(*) FROM $t t2 WHERE t2.g = t.g)",
		"nm = (SELECT max(t2.nm) FROM $t t2 WHERE t2.k = t.k)",
		"g = (SELECT count(*) FROM $t t2 WHERE t2.tx = t.tx) % 6",
		"qty = (SELECT count(*) FROM $t t2 WHERE t2.vc = t.vc OR t2.tx = t.tx)",
		"tx = (SELECT min(t2.tx) FROM $t t2 WHERE t2.g = t.g AND t2.id <> t.id)",
		"nm = t.nm + (SELECT coalesce(sum(t2.nm), 0) FROM $t t2 WHERE t2.id < t.id AND t2.k = t.k)",
		"qty = (SELECT count(*) FROM $s s WHERE s.tx = t.tx)",
		"(tx, vc) = (SELECT s.vc, left(s.tx, 20) FROM $s s WHERE s.id = t.id AND s.k IS NOT DISTINCT FROM t.k)",
		"b = EXISTS (SELECT 1 FROM $s s WHERE s.vc = t.vc)",
	);
	my $w = pick($g->where($t, 't.'), "t.id IN (SELECT id FROM $t WHERE " . $g->pred($t) . ')',
		"t.tx IN (SELECT s.tx FROM $s s WHERE " . $g->pred($s, 's.') . ')');
	return step("UPDATE $t t SET $set WHERE $w" . $g->returning(0.1, 't.'), 'update_correlated');
}

# UPDATE ... FROM another table joined on id (fp and fm: one row per id).
sub s_update_from
{
	my ($g, $t) = @_;
	my $s = $g->other($t, $g->plain);
	my $set = pick('nm = s.nm, tx = s.tx', 'qty = t.qty + s.qty', 'vc = s.vc, b = s.b', 'ts = s.ts, f8 = s.f8 * 2',
		'tx = t.tx || s.tx');
	my $on = pick('t.id = s.id', 't.id = s.id', 't.id = s.id AND t.tx = s.tx', 't.k = s.k AND t.id = s.id');
	if (chance(0.3))
	{
		# several rows of s for one row of t: the new values read t only,
		# and the row is updated once (the tag counts it once)
		$set = pick('qty = t.qty + 1', 'tx = t.tx || \'+\'', 'nm = t.nm * 2, b = NOT t.b');
		$on = pick('t.k = s.k', 't.g = s.g', 't.tx = s.tx');
	}
	return step("UPDATE $t t SET $set FROM $s s WHERE $on AND " . $g->pred($s, 's.') . $g->returning(0.1, 't.'),
		'update_from');
}

# An UPDATE of the partition key (a row that moves to another partition
# is refused by federate: skipped).
sub s_update_key
{
	my ($g, $t) = @_;
	my @p = grep { $TABLES{$_}{parts} } $g->tables;
	# (on a plain table k is a column like the others)
	$t = pick(@p) if @p && !$TABLES{$t}{parts};
	my $k = pick('k + 1', 'k - 1', 'k', 'coalesce(k, 5)', 'NULL', 'k + 25', lit('k', $g->raw($t, 'k')),
		'k * 2', 'g');
	my $more = chance(0.4) ? ', ' . $g->assignments($t, '', 1) : '';
	return step("UPDATE $t SET k = $k$more WHERE " . $g->target($t) . $g->returning(0.1), 'update_key');
}

# A write to one partition directly (its own bounds: "violates partition
# constraint" when a row would leave it).
sub s_partition
{
	my ($g, $t) = @_;
	my @p = grep { $TABLES{$_}{parts} } $g->tables;
	return $g->s_update($t, 0) unless @p;
	$t = pick(@p) unless $TABLES{$t}{parts};
	my $p = "${t}_" . r(scalar @{ $TABLES{$t}{parts} });
	my $x = rand();
	return step("UPDATE $p SET " . $g->assignments($t, '', 1 + r(2)) . ' WHERE ' . $g->pred($t), 'partition_write')
	  if $x < 0.5;
	return step("UPDATE $p SET k = " . pick('k + 1', 'k - 1', 'k') . ' WHERE ' . $g->target($t), 'partition_write')
	  if $x < 0.7;
	return step("DELETE FROM $p WHERE " . $g->pred($t), 'partition_write') if $x < 0.85;
	return step("INSERT INTO $p " . '(' . join(', ', @COLNAMES) . ') VALUES '
		  . $g->values_row($t, \@COLNAMES, $g->new_id($t)), 'partition_write');
}

sub s_delete
{
	my ($g, $t, $targeted) = @_;
	# a scattered DELETE mostly takes a third of what its condition finds,
	# so that the tables do not empty too often
	my $w = $targeted ? $g->target($t) : $g->pred($t) . (chance(0.6) ? ' AND id % 3 = ' . r(3) : '');
	return step("DELETE FROM $t WHERE $w" . $g->returning, $targeted ? 'delete_targeted' : 'delete_scatter');
}

sub s_delete_corr
{
	my ($g, $t) = @_;
	my $s = $g->other($t);
	my $w = pick(
		"t.nm < (SELECT avg(t2.nm) FROM $t t2 WHERE t2.g = t.g)",
		"t.id IN (SELECT id FROM $t WHERE " . $g->pred($t) . ')',
		"EXISTS (SELECT 1 FROM $t t2 WHERE t2.tx = t.tx AND t2.id <> t.id) AND " . $g->col_pred($t, 'g', 't.'),
		"EXISTS (SELECT 1 FROM $s s WHERE s.id = t.id AND s.tx = t.tx)",
		"t.tx IN (SELECT s.vc FROM $s s WHERE " . $g->pred($s, 's.') . ')',
		"t.qty > (SELECT count(*) FROM $t t2 WHERE t2.k = t.k) * 100",
	);
	return step("DELETE FROM $t t WHERE $w" . $g->returning(0.1, 't.'), 'delete_correlated');
}

# DELETE ... USING another table, on id or on k (then a row meets several
# rows of the other table, and is deleted once: the tag counts it once).
sub s_delete_using
{
	my ($g, $t) = @_;
	my $s = $g->other($t);
	my $on = pick('t.id = s.id', 't.id = s.id', 't.k = s.k', 't.g = s.g AND t.k = s.k');
	return step("DELETE FROM $t t USING $s s WHERE $on AND " . $g->pred($s, 's.') . $g->returning(0.1, 't.'),
		'delete_using');
}

sub s_truncate
{
	my ($g, $t) = @_;
	my $x = rand();
	my $o = $g->other($t);
	my $what = $x < 0.5 || $o eq $t ? $t : $x < 0.7 ? "$t, $o"
	  : $x < 0.85 && $TABLES{$t}{parts} ? "${t}_" . r(scalar @{ $TABLES{$t}{parts} }) : $t;
	my $opt = pick('', '', '', ' RESTART IDENTITY', ' CASCADE', ' CONTINUE IDENTITY RESTRICT');
	return step("TRUNCATE $what$opt", 'truncate');
}

# A read inside the transaction (it must see the transaction's writes).
sub s_select
{
	my ($g, $t) = @_;
	my $x = rand();
	return step("SELECT id, k, tx, nm, qty FROM $t WHERE " . $g->where($t), 'select') if $x < 0.5;
	return step("SELECT count(*), sum(qty), sum(nm), max(ts) FROM $t WHERE " . $g->pred($t), 'select') if $x < 0.8;
	return step("SELECT g, count(*), sum(nm) FROM $t GROUP BY g", 'select') if $x < 0.9;
	return step("SELECT id, tx FROM $t WHERE " . $g->target($t) . ' FOR UPDATE', 'select');
}

# A write through a view WITH CHECK OPTION (g IS NULL OR g < 4): a row it
# writes must stay visible in the view (44000 otherwise).
sub s_view
{
	my ($g, $t) = @_;
	my %over = reverse %FederateTest::WriteDifferential::VIEWS;
	my @v = map { $over{$_} } grep { $over{$_} } $g->tables;
	return $g->s_update($t, 0) unless @v;
	my $v = pick(@v);
	my $b = $FederateTest::WriteDifferential::VIEWS{$v};
	my $x = rand();
	if ($x < 0.3)
	{
		my @rows = map { $g->values_row($b, \@COLNAMES, $g->new_id($b)) } 1 .. 1 + r(3);
		return step("INSERT INTO $v VALUES " . join(', ', @rows), 'view');
	}
	return step("UPDATE $v SET g = " . pick('g + 1', 'g - 1', 'NULL', r(6), 'qty % 6') . ' WHERE ' . $g->where($b), 'view')
	  if $x < 0.6;
	return step("UPDATE $v SET " . $g->assignments($b, '', 1 + r(2)) . ' WHERE ' . $g->where($b), 'view') if $x < 0.8;
	return step("DELETE FROM $v WHERE " . $g->where($b), 'view');
}

# Two writes in one statement (data-modifying CTEs), on two tables.
sub s_cte
{
	my ($g, $t) = @_;
	my $s = $g->other($t);
	return $g->s_update($t, 0) if $s eq $t;
	my $a = pick("UPDATE $s SET " . $g->assignments($s, '', 1 + r(2)) . ' WHERE ' . $g->where($s),
		"DELETE FROM $s WHERE " . $g->target($s),
		"INSERT INTO $s (id, k, tx, nm) VALUES (" . $g->new_id($s) . ', ' . lit('k', FederateTest::WriteDifferential::gen_k($s))
		  . ', ' . $g->val($s, 'tx') . ', ' . $g->val($s, 'nm') . ')');
	my $main = pick("UPDATE $t SET " . $g->assignments($t, '', 1 + r(2)) . ' WHERE ' . $g->where($t),
		"DELETE FROM $t WHERE " . $g->target($t),
		'SELECT count(*) FROM ' . $t);
	return step("WITH w AS ($a) $main", 'cte');
}

# COPY ... FROM STDIN: new rows, all columns or some; now and then one
# with an id that is there (same key, same partition: 23505).
sub s_copy
{
	my ($g, $t) = @_;
	my @cols = chance(0.7) ? @COLNAMES : ('id', 'k', 'tx', 'nm');
	my @lines;
	for (1 .. 1 + r(chance(0.1) ? 250 : 12))
	{
		my $row = FederateTest::WriteDifferential::gen_row($t, $g->new_id($t));
		my %v = map { $COLNAMES[$_] => $row->[$_] } 0 .. $#COLNAMES;
		push @lines, join("\t", map { copy_text($v{$_}) } @cols);
	}
	my $old = $g->any_row($t);
	if ($old && chance(0.1))
	{
		splice(@lines, r(scalar(@lines) + 1), 0, join("\t", map { $_ eq 'id' ? $old->[1] : $_ eq 'k' ? copy_text($old->[2]) : '\N' } @cols));
	}
	return { %{ step("COPY $t (" . join(', ', @cols) . ') FROM STDIN', 'copy') }, copy => \@lines };
}

sub copy_text
{
	my ($v) = @_;
	return '\N' unless defined $v;
	$v =~ s/\\/\\\\/g;
	$v =~ s/\t/\\t/g;
	$v =~ s/\n/\\n/g;
	$v =~ s/\r/\\r/g;
	return $v;
}

# Statements that fail on both sides (when a row makes them fail).
sub s_fail
{
	my ($g, $t) = @_;
	my $old = $g->any_row($t);
	my @f;
	if ($old)
	{
		# an id that is there, in the same partition (same key)
		push @f, "INSERT INTO $t (id, k, tx) VALUES ($old->[1], " . lit('k', $old->[2]) . ", 'dup')";
		push @f, "INSERT INTO $t (id, k, tx) VALUES (" . $g->new_id($t) . ", 1, 'new'), ($old->[1], "
		  . lit('k', $old->[2]) . ", 'dup')";
		# a duplicate in wr_5, whose key is deferred: the COMMIT fails there
		my @d = grep { $_->[0] eq '_5' } $g->rows($t);
		push @f, ("INSERT INTO $t (id, k, tx) VALUES (" . pick(@d)->[1] . ', ' . lit('k', pick(@d)->[2]) . ", 'dup at commit')")
		  x 3 if $t eq 'wr' && @d;
		# many rows over every partition, one of them a duplicate: the
		# rows already sent to other shards must go with the statement
		my ($n, $m) = (5 + r(30), 1 + r(5));
		$m = $n if chance(0.3);
		my $off = $g->{hi}{$t} + 1;
		$g->{hi}{$t} += $n + 1;
		push @f, "INSERT INTO $t (id, k, tx) SELECT CASE WHEN i = $m THEN $old->[1] ELSE $off + i END, "
		  . "CASE WHEN i = $m THEN " . lit('k', $old->[2]) . " ELSE i % 70 - 5 END, 'batch ' || i "
		  . "FROM generate_series(1, $n) i";
		my $other = $g->any_row($t);
		push @f, "UPDATE $t SET id = $other->[1] WHERE id = $old->[1] AND k IS NOT DISTINCT FROM "
		  . lit('k', $other->[2]) if $other && $other->[1] != $old->[1];
	}
	push @f,
	  "UPDATE $t SET qty = qty / (g - g) WHERE " . $g->where($t),
	  "UPDATE $t SET nm = nm / 0 WHERE " . $g->where($t),
	  "UPDATE $t SET f8 = f8 / (qty - qty) WHERE " . $g->where($t),
	  "UPDATE $t SET nm = nm * 1000000000 WHERE " . $g->pred($t),
	  "UPDATE $t SET qty = qty * 100000000 WHERE " . $g->pred($t),
	  "UPDATE $t SET vc = vc || repeat('x', 20) WHERE " . $g->where($t),
	  "UPDATE $t SET vc = tx WHERE " . $g->pred($t),
	  "UPDATE $t SET id = NULL WHERE " . $g->target($t),
	  "INSERT INTO $t (id, tx) VALUES (NULL, 'no id')",
	  "INSERT INTO $t DEFAULT VALUES",
	  "UPDATE $t SET qty = tx::int WHERE " . $g->pred($t),
	  "DELETE FROM $t WHERE 1 / (qty - qty) = 1 AND " . $g->pred($t),
	  "INSERT INTO $t (id, k, qty) VALUES (" . $g->new_id($t) . ", 1, 2147483648)",
	  "UPDATE $t SET f8 = f8 * 1e308 WHERE " . $g->pred($t),
	  "UPDATE $t SET nosuch = 1";
	return step(pick(@f), 'fail');
}

# A prepared statement, executed 6 to 8 times with other values (a
# generic plan from the 6th on, or from the first under
# plan_cache_mode = force_generic_plan).
sub s_prepared
{
	my ($g, $t) = @_;
	my @tmpl = (
		[ 'int, numeric', "UPDATE $t SET nm = nm + \$2, qty = coalesce(qty, 0) + 1 WHERE id = \$1", 'id', 'nm' ],
		[ 'text', "UPDATE $t SET qty = coalesce(qty, 0) + 1 WHERE tx = \$1", 'tx' ],
		[ 'text, int', "DELETE FROM $t WHERE vc = \$1 AND qty > \$2", 'vc', 'qty' ],
		[ 'int, int, text, numeric, timestamp', "INSERT INTO $t (id, k, tx, nm, ts) VALUES (\$1, \$2, \$3, \$4, \$5)",
			'newid', 'k', 'tx', 'nm', 'ts' ],
		[ 'timestamp, int', "UPDATE $t SET ts = \$1 WHERE k = \$2", 'ts', 'k' ],
		[ 'int, int', "UPDATE $t SET k = \$1 WHERE id = \$2", 'k', 'id' ],
		[ 'int, numeric', "DELETE FROM $t WHERE k = \$1 AND nm < \$2", 'k', 'nm' ],
		[ 'text, text', "UPDATE $t SET tx = \$1 WHERE tx = \$2 OR vc = \$2", 'tx', 'tx' ],
		[ 'boolean, int', "UPDATE $t SET b = \$1 WHERE g = \$2", 'b', 'g' ],
		[ 'int, int', "SELECT count(*), sum(qty), sum(nm) FROM $t WHERE k BETWEEN \$1 AND \$2", 'k', 'k' ],
		[ 'text', "UPDATE $t SET tx = tx || 'p' WHERE tx LIKE \$1", 'like' ],
		[ 'int', "UPDATE $t t SET qty = (SELECT count(*) FROM $t t2 WHERE t2.g = t.g) WHERE t.k = \$1", 'k' ],
		[ 'text, int, int', "UPDATE $t SET vc = \$1, g = \$2 WHERE id = \$3", 'vc', 'g', 'id' ],
		[ 'numeric, numeric', "UPDATE $t SET qty = qty + 1 WHERE nm BETWEEN \$1 AND \$2", 'nm', 'nm' ],
	);
	# upserts (a plain table: the twins of partitioned ones have no unique
	# index for a conflict target), on ids that are there or new ones
	push @tmpl, [ 'int, int, text, numeric', "INSERT INTO $t AS t (id, k, tx, nm) VALUES (\$1, \$2, \$3, \$4) "
		  . "ON CONFLICT (id) DO UPDATE SET tx = EXCLUDED.tx, nm = t.nm + \$4", 'upid', 'k', 'tx', 'nm' ]
	  if !$TABLES{$t}{parts};
	push @tmpl, [ 'int, int', "INSERT INTO $t (id, qty) VALUES (\$1, \$2) ON CONFLICT (id) DO NOTHING", 'upid', 'qty' ]
	  if !$TABLES{$t}{parts} && $TABLES{$t}{server} ne 'm1';
	my ($types, $sql, @src) = @{ pick(@tmpl) };
	my $kind = $sql =~ /^SELECT/ ? 'prepared_select' : 'prepared';
	my $name = 'wp' . ++$g->{prepared};
	my @steps = ({ sql => "PREPARE $name($types) AS $sql", kind => 'prepare' });
	for (1 .. 6 + r(3))
	{
		my @args = map {
			$_ eq 'newid' ? $g->new_id($t)
			  : $_ eq 'upid' ? (chance(0.5) && $g->any_row($t) ? $g->any_row($t)->[1] : $g->new_id($t))
			  : $_ eq 'like' ? sq(substr($g->raw($t, 'tx', nonnull => 1, variant => 1), 0, 1) . '%')
			  : $_ eq 'id' ? ($g->any_row($t) // [ 0, 1 ])->[1]
			  : $g->val($t, $_, variant => 1)
		} @src;
		push @steps, step("EXECUTE $name(" . join(', ', @args) . ')', $kind, prepared => $sql);
	}
	return @steps;
}

# Statement kinds, their weights and builders; $targeted for UPDATE/DELETE.
our @KINDS = (
	[ insert         => 12, sub { $_[0]->s_insert($_[1]) } ],
	[ insert_select  => 6,  sub { $_[0]->s_insert_select($_[1]) } ],
	[ on_conflict    => 4,  sub { $_[0]->s_on_conflict($_[1]) } ],
	[ upsert         => 5,  sub { $_[0]->s_upsert($_[1]) } ],
	[ upsert_nothing => 2,  sub { $_[0]->s_upsert_nothing($_[1]) } ],
	[ update         => 10, sub { $_[0]->s_update($_[1], 1) } ],
	[ update_scatter => 9,  sub { $_[0]->s_update($_[1], 0) } ],
	[ update_swap    => 5,  sub { $_[0]->s_update_swap($_[1]) } ],
	[ update_corr    => 4,  sub { $_[0]->s_update_corr($_[1]) } ],
	[ update_from    => 3,  sub { $_[0]->s_update_from($_[1]) } ],
	[ update_key     => 5,  sub { $_[0]->s_update_key($_[1]) } ],
	[ partition      => 2,  sub { $_[0]->s_partition($_[1]) } ],
	[ delete         => 5,  sub { $_[0]->s_delete($_[1], 1) } ],
	[ delete_scatter => 4,  sub { $_[0]->s_delete($_[1], 0) } ],
	[ delete_corr    => 3,  sub { $_[0]->s_delete_corr($_[1]) } ],
	[ delete_using   => 2,  sub { $_[0]->s_delete_using($_[1]) } ],
	[ select         => 4,  sub { $_[0]->s_select($_[1]) } ],
	[ fail           => 5,  sub { $_[0]->s_fail($_[1]) } ],
	[ prepared       => 4,  sub { $_[0]->s_prepared($_[1]) } ],
	[ truncate       => 0.4, sub { $_[0]->s_truncate($_[1]) } ],
	[ view           => 3,  sub { $_[0]->s_view($_[1]) } ],
	[ cte            => 2,  sub { $_[0]->s_cte($_[1]) } ],
	[ copy           => 2,  sub { $_[0]->s_copy($_[1]) } ],
);

sub statement
{
	my ($g, %o) = @_;
	my $t = $g->pick_table;
	# keep the tables between about 15 and 150 rows
	my $n = $g->count($t);
	return $g->s_insert_select($t) if $n < 15 && chance(0.7);
	return $g->s_delete($t, 0) if $n > 150 && chance(0.5);
	if ($n > 250 && chance(0.5))
	{
		# the newest rows go
		my @ids = sort { $a <=> $b } map { $_->[1] } $g->rows($t);
		return step("DELETE FROM $t WHERE id > $ids[150]", 'delete_trim');
	}
	my @k = grep { !$g->{kinds} || $g->{kinds}{ $_->[0] } } @KINDS;
	@k = grep { $_->[0] ne 'prepared' } @k if $o{single};
	@k = grep { $_->[0] ne 'fail' } @k if $o{nofail};
	my $total = 0;
	$total += $_->[1] for @k;
	my $x = rand() * $total;
	for my $kd (@k)
	{
		return $kd->[2]->($g, $t) if ($x -= $kd->[1]) < 0;
	}
	return $k[-1][2]->($g, $t);
}

sub control { return { sql => $_[0], kind => 'control' } }

# Transaction number $n: { n, mode, steps }.
sub transaction
{
	my ($g, $n) = @_;
	srand($g->{seed} * 1_000_003 + $n);
	my $x = rand();
	if ($x < 0.1)
	{
		return { n => $n, mode => 'autocommit', steps => [ $g->statement(single => 1) ] };
	}
	my $mode = $x < 0.75 ? 'guarded' : 'bare';
	my @steps = (control(pick('BEGIN', 'BEGIN', 'BEGIN', 'START TRANSACTION', 'BEGIN ISOLATION LEVEL REPEATABLE READ',
		'BEGIN ISOLATION LEVEL SERIALIZABLE')));
	push @steps, control(pick('SET LOCAL federate.batch_size = ' . pick(1, 2, 3, 1000),
		'SET LOCAL plan_cache_mode = force_generic_plan', 'SET LOCAL plan_cache_mode = force_custom_plan',
		'SET LOCAL enable_hashjoin = off', 'SET LOCAL enable_nestloop = off',
		'SET LOCAL federate.enable_fanout = off', 'SET LOCAL federate.combine_partitions = off',
		'SET LOCAL enable_partition_pruning = off', q{SET LOCAL timezone = 'America/New_York'},
		q{SET LOCAL timezone = 'Asia/Kathmandu'}))
	  for 1 .. (chance(0.3) ? 1 + r(2) : 0);
	my $sp = 0;
	for (1 .. 1 + r(6))
	{
		my @s = $g->statement(nofail => $mode eq 'bare' && chance(0.6));
		if (chance(0.15))
		{
			# the generator's own savepoint around a statement (often
			# one that fails)
			$sp++;
			@s = $g->s_fail($g->pick_table) if chance(0.4);
			@s = (control("SAVEPOINT s$sp"), @s, chance(0.2) ? $g->statement(single => 1) : (),
				control(chance(0.6) ? "ROLLBACK TO SAVEPOINT s$sp" : "RELEASE SAVEPOINT s$sp"));
		}
		push @steps, @s;
	}
	push @steps, control(chance(0.7) ? pick('COMMIT', 'COMMIT', 'END') : pick('ROLLBACK', 'ABORT'));
	return { n => $n, mode => $mode, steps => \@steps };
}

# ================================================================ runner ===

package FederateTest::WriteDifferential::Runner;

=pod

=head1 THE RUNNER

C<< $fed->runner(seed => $s, n => $n, engines => 'all', keep_going =>
0|1, strict => 0|1, only => [..], kinds => [..]) >> opens two sessions on
the coordinator (statement_timeout 5 s), one for the federated statements
and one for their local twins.  C<< ->run >> runs
transactions 1..$n.  For every step, the local twin runs first, then the
federated statement, and the runner compares:

=over

=item *

errors: both fail or both succeed, with the same SQLSTATE;

=item *

the command tag (C<INSERT 0 3>, C<UPDATE 2>, C<DELETE 0>, C<TRUNCATE
TABLE>, C<COMMIT> or C<ROLLBACK> for a COMMIT of a failed transaction,
...): a row count that differs is a difference even when the rows are
the same;

=item *

the rows a statement returns (RETURNING, SELECT) as multisets, with the
column types (floats to about 10 digits, as the read tester does);

=item *

after every transaction (committed or rolled back), the full contents of
every table on both sides, as multisets of (partition, columns): a row
in the wrong partition is a difference too; the rows the AFTER ROW
triggers of fq and fn wrote to audit_f, against what those of the twins
wrote to audit_l (both emptied after each comparison); and both sessions
must be out of their transaction.

=back

Known, documented refusals are not differences: a federated statement
failing with SQLSTATE 0A000 (feature_not_supported: a row that would move
to another partition, ON CONFLICT DO NOTHING or TRUNCATE options on a
MySQL server, RETURNING, ON CONFLICT DO UPDATE on a table with row
triggers or through a view WITH CHECK OPTION, with a WHERE clause or with
a SET list whose values read each other's columns on a MySQL server) is
rolled back on both sides (to the runner's savepoint in a
guarded transaction, the whole transaction otherwise) and counted per
message in the summary; a 0A000 message not in @DOCUMENTED is marked
[undocumented] there.  The differences this tester found that are
reported and not fixed yet (@KNOWN: a name, what goes wrong, a narrow
test of the statement and both results) are handled the same way and
counted apart, unless C<strict>.  Outside a transaction block, where the
federated statement has committed already, the federated tables then get
the twins' rows again.

A lost connection or a crash in the coordinator's log (also an assert
failure or a memory-context warning of an assert-enabled build) is a
failure and ends the run.  After a difference the federated tables are
reset to the local twins' rows (in one transaction on the coordinator)
and the run goes on, up to 10 failures (all with keep_going).  Each
failure is a failing TAP test with the seed, the transaction number, its
statements (federated text) with the failing one marked, its local twin,
and both results; the same text goes to
tmp_check/log/<test>_failures.txt.

=cut

use strict;
use warnings;
use utf8;

use Encode ();
use File::Basename ();
use Time::HiRes qw(time);
use Test::More;

our @TABLE_NAMES = @FederateTest::WriteDifferential::TABLE_NAMES;

# The federated side's refusals that count as "unsupported, skipped":
# SQLSTATE 0A000 with one of these messages (docs/errors.md, "Errors you may
# meet"); any other 0A000 is skipped too but listed as undocumented.
our @DOCUMENTED = (
	qr/cannot move a row of foreign table "[^"]+" to another partition of/,
	qr/ON CONFLICT DO NOTHING is not supported on foreign table "[^"]+" of MySQL server/,
	qr/RETURNING is not supported for this (UPDATE|DELETE) of foreign table/,
	qr/cannot move a row into foreign table "[^"]+", which the same UPDATE updates/,
	qr/cannot TRUNCATE foreign table "[^"]+" on server "[^"]+" after this transaction read from the server/,
	qr/cannot TRUNCATE foreign table "[^"]+" with (RESTART IDENTITY|CASCADE) on MySQL server/,
	qr/ON CONFLICT DO UPDATE is not supported on foreign table "[^"]+" (with row triggers|through a view WITH CHECK OPTION)/,
	qr/ON CONFLICT DO UPDATE with a WHERE clause is not supported on foreign table "[^"]+" of MySQL server/,
	qr/cannot send the ON CONFLICT DO UPDATE (SET list )?of foreign table "[^"]+" to (MySQL )?server/,
	qr/ON CONFLICT DO UPDATE cannot change partition key column/,
);

# Test::More output in UTF-8 bytes: PostgreSQL::Test::Utils tees it to the
# log through a handle without an encoding, where a text whose characters
# all fit in Latin-1 (é, ß) would come out as Latin-1.
sub _diag { diag(Encode::encode('UTF-8', join('', @_))) }
sub _note { note(Encode::encode('UTF-8', join('', @_))) }

sub new
{
	my ($class, %o) = @_;
	my $self = bless {
		fed          => $o{fed},
		seed         => $o{seed} // 1,
		n            => $o{n} // 300,
		keep_going   => $o{keep_going} // 0,
		max_failures => $o{max_failures} // 10,
		only         => $o{only},
		strict       => $o{strict} // 0,
		kill         => $o{kill} // 0,
		failures     => [],
		stats        => { transactions => 0, statements => 0, diff => 0, crash => 0 },
	}, $class;
	my %kinds = map { $_ => 1 } @{ $o{kinds} || [] };
	$self->{engines} = $o{engines} // 'all';
	$self->{gen} = FederateTest::WriteDifferential::Gen->new(seed => $self->{seed}, kinds => %kinds ? \%kinds : undef,
		engines => $self->{engines});
	my $test = File::Basename::basename($0);
	$test =~ s/\.[^.]+$//;
	$self->{report} = "$PostgreSQL::Test::Utils::log_path/${test}_failures.txt";
	unlink $self->{report};
	for my $side ('l', 'f')
	{
		# every statement here takes milliseconds: a statement that waits
		# on a lock held by another connection of its own session fails
		# after 5 s (57014) rather than hanging the run
		$self->{$side} = $self->{fed}->connect(statement_timeout => 5000)
		  or BAIL_OUT("cannot connect to the coordinator: $DBI::errstr");
	}
	$self->{log_offset} = -s $self->{fed}->coord->logfile // 0;
	my $dumps = $self->dump_both;
	$self->{gen}->set_model($_, $dumps->{$_}{l}{rows}) for @TABLE_NAMES;
	return $self;
}

# Run one statement: { tag, rows, types } or { err, state, lost }.
sub exec_sql
{
	my ($dbh, $sql, $copy) = @_;
	return _copy($dbh, $sql, $copy) if $copy;
	my $sth = $dbh->prepare($sql, { pg_direct => 1 });
	my $rv = $sth ? $sth->execute : undef;
	if (!defined $rv)
	{
		my %r = (err => ($sth && $sth->errstr) || $dbh->errstr || 'unknown error',
			state => ($sth && $sth->state) || $dbh->state || '');
		$r{lost} = 1 if $dbh->pg_ping <= 0;
		return \%r;
	}
	my %r = (tag => $sth->{pg_cmd_status} // '');
	if ($sth->{NUM_OF_FIELDS})
	{
		$r{types} = [ @{ $sth->{pg_type} } ];
		$r{rows}  = $sth->fetchall_arrayref;
	}
	$sth->finish;
	return \%r;
}

# COPY ... FROM STDIN with these lines: { tag } or { err, state, lost }.
sub _copy
{
	my ($dbh, $sql, $lines) = @_;
	my $ok = $dbh->do($sql);
	if ($ok)
	{
		for my $l (@$lines)
		{
			last unless $ok = $dbh->pg_putcopydata("$l\n");
		}
		# after a failed putcopydata, end the COPY all the same
		my $end = $dbh->pg_putcopyend;
		$ok &&= $end;
	}
	if (!$ok)
	{
		my %r = (err => $dbh->errstr || 'unknown error', state => $dbh->state || '');
		$r{lost} = 1 if $dbh->pg_ping <= 0;
		return \%r;
	}
	return { tag => 'COPY' };
}

sub fmt_result
{
	my ($r) = @_;
	return "error $r->{state}: " . ($r->{err} =~ s/\n+$//r =~ s/\n/\n      /gr) if $r->{err};
	my $s = "tag \"$r->{tag}\"";
	$s .= sprintf(", %d rows:\n%s", scalar @{ $r->{rows} }, FederateTest::Differential::Fuzzer::fmt_rows($r->{rows}, 10))
	  if $r->{rows};
	return $s;
}

# The first line of an error, with names and numbers taken out: the key
# of the skip counts.
sub _msg_key
{
	my ($err) = @_;
	my ($m) = $err =~ /^(?:ERROR:\s+)?(.*)$/m;
	$m =~ s/"[^"]*"/"…"/g;
	return $m;
}

# Differences this tester found that are reported and not fixed yet
# (federate's C code is changed elsewhere): [name, what, test].  A
# statement whose results match one is undone on both sides, as a skip is,
# and counted apart in the summary; with strict (WFUZZ_STRICT=1) they are
# differences like any other.  Each test is narrow (the statement's shape
# and both results).  Remove an entry when its bug is fixed.
our @KNOWN = (
	[ truncate_waits => 'TRUNCATE after a write whose subquery read the same table waits for a lock that '
		  . 'another connection of the same session holds (until statement_timeout, 57014)',
	  sub { my ($st, $lr, $fr) = @_; $st->{kind} eq 'truncate' && !$lr->{err} && ($fr->{state} // '') eq '57014' } ],
	[ eval_order => 'a failing condition (1 / (qty - qty) = 1) that PostgreSQL evaluates on every row fails '
		  . 'locally, while federated the other conditions, filtered on the server first, leave no row to '
		  . 'evaluate it on (SQL leaves the order of evaluation open; seen with MySQL tables)',
	  sub {
		  my ($st, $lr, $fr) = @_;
		  $st->{kind} eq 'fail' && ($lr->{state} // '') eq '22012' && !$fr->{err}
			&& ($fr->{tag} // '') =~ /^(DELETE|UPDATE) 0$/ && $st->{sql} =~ m{1 / \(qty - qty\) = 1 AND}
	  } ],
	[ deferred_key_rows => 'a row-by-row UPDATE or DELETE names each row by its key columns: while a deferred '
		  . 'primary key has a duplicate (a row inserted earlier in the transaction to fail at COMMIT), it '
		  . 'changes every row with that key (seen with a correlated subquery in the SET list)',
	  sub {
		  my ($st, $lr, $fr, $steps) = @_;
		  return 0 if $lr->{err} || $fr->{err} || $st->{sql} !~ /^\s*(UPDATE|DELETE)\b/i
			|| ($lr->{tag} // '') eq ($fr->{tag} // '');
		  for my $prev (@$steps)
		  {
			  last if $prev == $st;
			  return 1 if ($prev->{sql} // '') =~ /'dup at commit'/;
		  }
		  return 0;
	  } ],
);

sub _known
{
	my ($st, $lr, $fr, $steps) = @_;
	for my $k (@KNOWN)
	{
		return $k->[0] if $k->[2]->($st, $lr, $fr, $steps);
	}
	return undef;
}

sub _skip_reason
{
	my ($lr, $fr) = @_;
	return undef unless $fr->{err} && $fr->{state} eq '0A000' && !($lr->{err} && $lr->{state} eq '0A000');
	return _msg_key($fr->{err});
}

# Compare one step's results: undef when they agree, else a description.
sub compare_step
{
	my ($self, $st, $lr, $fr) = @_;
	if ($lr->{err} || $fr->{err})
	{
		return "the local side failed, the federated side did not" unless $fr->{err};
		return "the federated side failed, the local side did not" unless $lr->{err};
		return "both failed, with different SQLSTATEs" if $lr->{state} ne $fr->{state};
		return undef;
	}
	return "the command tags differ" if $lr->{tag} ne $fr->{tag};
	if ($lr->{rows} || $fr->{rows})
	{
		my $d = FederateTest::Differential::Fuzzer::compare($lr, $fr, $st->{ordered});
		return "the rows differ: $d" if defined $d;
	}
	return undef;
}

# Both sides' full contents of every table: { t => { l => {rows, types}, f => ... } }.
sub dump_both
{
	my ($self) = @_;
	my %d;
	for my $t (@TABLE_NAMES)
	{
		my $sql = FederateTest::WriteDifferential::dump_sql($t);
		$d{$t}{l} = exec_sql($self->{l}, FederateTest::WriteDifferential::local_sql($sql));
		$d{$t}{f} = exec_sql($self->{f}, $sql);
	}
	# the rows the AFTER triggers saw since the last comparison
	$d{audit}{l} = exec_sql($self->{l}, 'SELECT tbl, op, id, qty, tx FROM audit_l');
	$d{audit}{f} = exec_sql($self->{f}, 'SELECT tbl, op, id, qty, tx FROM audit_f');
	exec_sql($self->{l}, 'DELETE FROM audit_l');
	exec_sql($self->{f}, 'DELETE FROM audit_f');
	return \%d;
}

# Differences between the contents (undef when none).
sub compare_contents
{
	my ($self, $d) = @_;
	my @diff;
	for my $t (@TABLE_NAMES, 'audit')
	{
		my ($l, $f) = ($d->{$t}{l}, $d->{$t}{f});
		if ($l->{err} || $f->{err})
		{
			push @diff, "$t: reading it failed: local " . fmt_result($l)
			  . "; federated " . fmt_result($f);
			next;
		}
		my $c = FederateTest::Differential::Fuzzer::compare($l, $f, 0);
		next unless defined $c;
		push @diff, $t eq 'audit'
		  ? "the AFTER ROW triggers saw other rows: audit_f (federated) against audit_l (twins), rows "
			. "(table, operation, id, qty, tx): $c"
		  : "table $t (local twin $FederateTest::WriteDifferential::LOCAL{$t}) differs, "
			. "rows (part, id, k, g, tx, vc, nm, f8, ts, b, qty): $c";
	}
	return @diff ? join("\n", @diff) : undef;
}

sub _both
{
	my ($self, $sql) = @_;
	my $lr = exec_sql($self->{l}, $sql);
	my $fr = exec_sql($self->{f}, $sql);
	return ($lr, $fr);
}

# New lines of the coordinator's log that tell of a crash, a failed
# assertion or a memory problem.
sub _crash_lines
{
	my ($self) = @_;
	my $file = $self->{fed}->coord->logfile;
	my $size = -s $file // 0;
	return () if $size <= $self->{log_offset};
	open(my $fh, '<:raw', $file) or return ();
	seek($fh, $self->{log_offset}, 0);
	read($fh, my $buf, $size - $self->{log_offset});
	close $fh;
	$self->{log_offset} = $size;
	my @lines = split /\n/, Encode::decode('UTF-8', $buf);
	my @bad;
	for my $i (0 .. $#lines)
	{
		next unless $lines[$i] =~ /terminated by signal|terminated by exception|PANIC:|TRAP:|exited with exit code|problem in alloc set|detected write past chunk end|\bleak/;
		push @bad, $lines[$i];
		push @bad, $lines[ $i + 1 ] if $i < $#lines && $lines[ $i + 1 ] =~ /Failed process was running/;
	}
	return @bad;
}

sub _failure
{
	my ($self, $spec, $idx, $kind, $detail) = @_;
	$self->{stats}{$kind}++;
	my $n = $spec->{n};
	my $script = '';
	for my $i (0 .. $#{ $spec->{steps} })
	{
		my $st = $spec->{steps}[$i];
		$script .= '    ' . $st->{sql} . ';' . (defined $idx && $i == $idx ? '    -- <== here' : '') . "\n";
		$script .= join('', map { "    $_\n" } @{ $st->{copy} }, '\\.') if $st->{copy};
	}
	my $twin = defined $idx ? "  local twin of the marked statement:\n    "
	  . FederateTest::WriteDifferential::local_sql($spec->{steps}[$idx]{sql}) . ";\n" : '';
	my $text = sprintf("FAILURE %d: seed %s, transaction #%d (%s): %s\n  statements (federated):\n%s%s%s\n",
		scalar(@{ $self->{failures} }) + 1, $self->{seed}, $n, $spec->{mode},
		$kind eq 'crash' ? 'the coordinator crashed' : 'a difference', $script, $twin, $detail);
	push @{ $self->{failures} }, { n => $n, kind => $kind, text => $text };
	my $k = defined $idx ? $spec->{steps}[$idx]{kind} : 'contents';
	$self->{fail_kinds}{$k}++;
	return if $self->{quiet};
	ok(0, "seed $self->{seed} transaction #$n: " . ($kind eq 'crash' ? 'the coordinator crashed' : "a difference ($k)"));
	_diag($text);
	if (open(my $fh, '>>:encoding(UTF-8)', $self->{report}))
	{
		print $fh $text, "\n";
		close $fh;
	}
	return;
}

# Run one transaction on both sides.  Returns 'ok', 'diff' or 'crash'.
sub run_transaction
{
	my ($self, $spec) = @_;
	my $s = $self->{stats};
	my @steps = @{ $spec->{steps} };
	my $mode = $spec->{mode};
	my ($outcome, $bad_idx, $detail) = ('ok', undef, '');
	my @trace;
	$s->{transactions}++;
	$s->{"mode_$mode"}++;
	my $last = $#steps;
	exec_sql($self->{l}, 'BEGIN') if $mode eq 'autocommit';
	my $aborted = 0;    # the transaction was rolled back by the runner
	my $resync = 0;
	my $commit_failed = 0;
	my $local_done = 0;    # the twin of an autocommit statement has ended
	my $faulted;    # a fault was injected at the COMMIT
	for my $i (0 .. $last)
	{
		my $st = $steps[$i];
		my $guard = $mode eq 'guarded' && $st->{dml};
		if ($i == $last && $mode ne 'autocommit' && $st->{sql} =~ /^(COMMIT|END)$/ && $self->{kill}
			&& rand() < $self->{kill})
		{
			# a fault at the COMMIT: a server's connections killed just
			# before it, or a failure injected after PREPARE or before the
			# second phase (see 105_two_phase_faults.pl).  The federated
			# COMMIT goes first, and the twin does what it did: after
			# recovery the contents must be equal, each transaction
			# applied on every server or on none.
			my $f = rand();
			$faulted = $f < 0.6 ? 'kill_' . FederateTest::WriteDifferential::Gen::pick('s1', 's2', 'm1')
			  : $f < 0.8 ? 'after_prepare' : 'before_commit_prepared';
			if ($faulted =~ /^kill_(.*)/)
			{
				$self->{fed}->kill_connections($1);
			}
			else
			{
				exec_sql($self->{f}, "SET LOCAL federate.inject_fault = '$faulted'");
			}
			my $fr = exec_sql($self->{f}, $st->{sql});
			my $fed_committed = !$fr->{err} && ($fr->{tag} // '') =~ /^COMMIT/;
			my $lr = exec_sql($self->{l}, $fed_committed ? 'COMMIT' : 'ROLLBACK');
			$s->{statements}++;
			$s->{faults}{$faulted}{ $fed_committed ? 'committed' : 'failed' }++;
			push @trace, sprintf("  #%d %s (fault %s)\n    local:     %s\n    federated: %s", $i, $st->{sql}, $faulted,
				fmt_result($lr), fmt_result($fr)) if $self->{trace}{ $spec->{n} };
			if ($fr->{lost} && $self->{f}->pg_ping <= 0)
			{
				($outcome, $bad_idx, $detail) = ('crash', $i, "  the coordinator connection was lost at the faulted COMMIT: "
					  . ($fr->{err} // '') . "\n");
			}
			elsif ($lr->{err})
			{
				($outcome, $bad_idx, $detail) = ('diff', $i, "  the twin's COMMIT failed: " . fmt_result($lr) . "\n");
			}
			$commit_failed = 1 unless $fed_committed;
			last;
		}
		if ($guard)
		{
			my ($ls, $fs) = $self->_both('SAVEPOINT wfz_guard');
			# in an aborted transaction both fail alike (25P02)
			if (!!$ls->{err} != !!$fs->{err} || ($ls->{state} // '') ne ($fs->{state} // ''))
			{
				($outcome, $bad_idx, $detail) = ('diff', $i, "  the runner's SAVEPOINT before it: local "
					  . fmt_result($ls) . "; federated " . fmt_result($fs) . "\n");
				last;
			}
		}
		my $lsql = $self->{sabotage} && $st->{dml} ? $self->{sabotage}->($st->{sql}) : $st->{sql};
		my $lr = exec_sql($self->{l}, FederateTest::WriteDifferential::local_sql($lsql), $st->{copy});
		my $fr = $lr->{lost} ? { err => 'not run', state => '', lost => 1 } : exec_sql($self->{f}, $st->{sql}, $st->{copy});
		$s->{statements}++;
		$s->{kind}{ $st->{kind} }{run}++;
		push @trace, sprintf("  #%d %s\n    local:     %s\n    federated: %s", $i, $st->{sql}, fmt_result($lr),
			fmt_result($fr)) if $self->{trace}{ $spec->{n} };
		if ($lr->{lost} || $fr->{lost})
		{
			($outcome, $bad_idx, $detail) = ('crash', $i, "  the connection was lost: " . ($fr->{err} // '') . "\n");
			last;
		}
		my $why = _skip_reason($lr, $fr);
		if ($mode eq 'autocommit' && !defined $why && !$lr->{err})
		{
			# the twin of a statement outside a transaction block commits
			# now, so that what fails at the end of the federated statement
			# (a deferred key) fails here too
			my $c = exec_sql($self->{l}, 'COMMIT');
			$lr = $c if $c->{err};
			$local_done = 1;
		}
		my $known = defined $why || $self->{strict} ? undef : _known($st, $lr, $fr, \@steps);
		if (defined $why)
		{
			# a documented refusal: undone on both sides
			$s->{kind}{ $st->{kind} }{skipped}++;
			$self->{skips}{$why}++;
			$self->{skip_example}{$why} //= "#$spec->{n}: $st->{sql}";
			$self->{skip_doc}{$why} = grep { $fr->{err} =~ $_ } @DOCUMENTED;
		}
		elsif (defined $known)
		{
			# a difference reported and not fixed yet: undone on both sides
			# the same way, counted apart
			$s->{kind}{ $st->{kind} }{known}++;
			$self->{known}{$known}++;
			$self->{known_example}{$known} //= "#$spec->{n}: $st->{sql}\n        local: " . fmt_result($lr)
			  . "\n        federated: " . fmt_result($fr);
		}
		if (defined $why || defined $known)
		{
			if ($guard)
			{
				$self->_both('ROLLBACK TO SAVEPOINT wfz_guard');
				$self->_both('RELEASE SAVEPOINT wfz_guard');
				next;
			}
			# outside a transaction block the federated statement, if it
			# succeeded, is committed already, and a COMMIT may have ended
			# differently on the two sides: after a known difference the
			# federated tables get the twins' rows again
			$resync = 1 if defined $known;
			$self->_both('ROLLBACK');
			$aborted = 1;
			$s->{skipped_transactions}++;
			last;
		}
		my $d = $self->compare_step($st, $lr, $fr);
		if (defined $d)
		{
			($outcome, $bad_idx, $detail) = ('diff', $i,
				"  $d\n  local:     " . fmt_result($lr) . "\n  federated: " . fmt_result($fr) . "\n");
			last;
		}
		if ($lr->{err})
		{
			# a COMMIT that failed on a shard (a deferred constraint there)
			$commit_failed = 1 if $i == $last && ($fr->{err} // '') =~ /remote SQL command: COMMIT/;
			$s->{kind}{ $st->{kind} }{failed_alike}++;
			$self->{both_states}{ $lr->{state} }++;
			$self->{both_example}{ $lr->{state} } //= "#$spec->{n}: $st->{sql}\n      -> " . _msg_key($lr->{err});
		}
		if ($guard)
		{
			my $undo = $lr->{err} ? 'ROLLBACK TO SAVEPOINT wfz_guard; RELEASE SAVEPOINT wfz_guard'
			  : 'RELEASE SAVEPOINT wfz_guard';
			$self->_both($_) for split /; /, $undo;
		}
	}
	if ($outcome eq 'crash')
	{
		my @log = $self->_crash_lines;
		my $until = time + 5;
		while (!grep({ /terminated by|exited with exit code|PANIC|TRAP/ } @log) && time < $until)
		{
			Time::HiRes::usleep(100_000);
			push @log, $self->_crash_lines;
		}
		$self->_failure($spec, $bad_idx, 'crash', $detail . "  coordinator log:\n" . join("\n", map { "    $_" } @log));
		return 'crash';
	}
	# end the transaction: after a difference (or in autocommit mode) roll
	# back whatever is still open; the local twin of an autocommit statement
	# commits when the federated one did
	if ($mode eq 'autocommit')
	{
		exec_sql($self->{l}, $outcome eq 'ok' && !$aborted ? 'COMMIT' : 'ROLLBACK') unless $local_done;
	}
	elsif ($outcome ne 'ok')
	{
		$self->_both('ROLLBACK');
	}
	# both sessions must be out of their transactions now (pg_ping: 1 idle)
	my ($pl, $pf) = ($self->{l}->pg_ping, $self->{f}->pg_ping);
	if ($pl <= 0 || $pf <= 0)
	{
		$self->_failure($spec, undef, 'crash', "  a session is gone after the transaction (local $pl, federated $pf)\n"
			  . "  coordinator log:\n" . join("\n", map { "    $_" } $self->_crash_lines));
		return 'crash';
	}
	if ($outcome eq 'ok' && $pl != $pf)
	{
		($outcome, $detail) = ('diff', "  after the transaction the sessions are in different states "
			  . "(DBD::Pg pg_ping: local $pl, federated $pf)\n");
		$self->_both('ROLLBACK');
	}
	$self->resync if $resync;
	if ($faulted)
	{
		# end what the fault left in doubt, then nothing may stay prepared
		my $rec = exec_sql($self->{f}, 'SELECT count(*) FROM federate.recover_prepared_transactions()');
		my $left = $self->{fed}->prepared_left;
		if ($rec->{err} || $left)
		{
			$detail .= "  after the fault $faulted: recovery " . fmt_result($rec) . ", $left prepared transactions left\n";
			$outcome = 'diff';
		}
	}
	# the full contents
	my $dumps = $self->dump_both;
	my $cd = $self->compare_contents($dumps);
	# (a COMMIT that failed on one shard once left the others committed:
	# two-phase commit made it atomic, and such a difference a failure)
	if (defined $cd)
	{
		$detail .= ($outcome eq 'ok' ? '' : "  and then, after ROLLBACK on both sides:\n") . "  $cd\n";
		$outcome = 'diff';
	}
	$self->_both('DEALLOCATE ALL');
	my @log = $self->_crash_lines;
	if (@log)
	{
		$self->_failure($spec, $bad_idx, 'crash', $detail . "  coordinator log:\n" . join("\n", map { "    $_" } @log));
		return 'crash';
	}
	_diag("transaction #$spec->{n} ($mode), statement by statement:\n" . join("\n", @trace)) if @trace;
	if ($outcome eq 'diff')
	{
		$self->_failure($spec, $bad_idx, 'diff', $detail);
		$self->resync($dumps) if defined $cd;
	}
	else
	{
		$s->{committed}++ if !$aborted && $steps[-1]{sql} =~ /^(COMMIT|END)$/;
	}
	$self->{gen}->set_model($_, $dumps->{$_}{l}{rows}) for @TABLE_NAMES;
	return $outcome;
}

# After a difference in the contents: give the federated tables the
# local twins' rows again, so that the run can go on.
sub resync
{
	my ($self) = @_;
	my $f = $self->{f};
	# (without firing the row triggers)
	my @sql = ('BEGIN', 'SET LOCAL session_replication_role = replica',
		(map { ("DELETE FROM $_", "INSERT INTO $_ SELECT * FROM $FederateTest::WriteDifferential::LOCAL{$_}") }
		@TABLE_NAMES), 'COMMIT');
	for my $sql (@sql)
	{
		my $r = exec_sql($f, $sql);
		if ($r->{err})
		{
			exec_sql($f, 'ROLLBACK');
			_diag("resetting the federated tables failed at \"$sql\": $r->{err}");
			$self->{broken} = 1;
			return;
		}
	}
	# what the triggers saw of the transaction that differed goes too
	exec_sql($self->{l}, 'DELETE FROM audit_l');
	exec_sql($f, 'DELETE FROM audit_f');
	my $cd = $self->compare_contents($self->dump_both);
	if (defined $cd)
	{
		_diag("the federated tables still differ after they were reset:\n$cd");
		$self->{broken} = 1;
	}
	return;
}

=pod

=head2 $run->self_check

Checks that the runner sees a difference: one transaction whose local
twin adds 2 where the federated statement adds 1, committed, must be
reported (it is not counted as a failure; the federated table then gets
the twin's rows, as after any difference).  A TAP test.

=cut

sub self_check
{
	my ($self) = @_;
	my $row = $self->{gen}->any_row('fm') or return;
	my $spec = { n => 0, mode => 'guarded', steps => [ { sql => 'BEGIN', kind => 'control' },
		{ sql => "UPDATE fm SET qty = coalesce(qty, 0) + 1 WHERE id = $row->[1]", kind => 'self_check', dml => 1 },
		{ sql => 'COMMIT', kind => 'control' } ] };
	local $self->{sabotage} = sub { $_[0] =~ s/\+ 1/+ 2/r };
	local $self->{quiet} = 1;
	my $failures = @{ $self->{failures} };
	my %stats = %{ $self->{stats} };
	my $ok = $self->run_transaction($spec);
	my $seen = @{ $self->{failures} } > $failures;
	splice(@{ $self->{failures} }, $failures);
	$self->{stats} = \%stats;
	delete $self->{fail_kinds};
	ok($seen && $ok eq 'diff', 'self check: a local twin that adds 2 where the federated statement adds 1 is reported');
	unlink $self->{report};
	return;
}

=pod

=head2 $run->run

Runs transactions 1..n.  With C<only>, runs up to the last of those
numbers (each transaction starts from the tables as the ones before left
them) and prints the listed ones statement by statement with both
answers.

=cut

sub run
{
	my ($self) = @_;
	my $n = $self->{n};
	if ($self->{only})
	{
		$self->{trace} = { map { $_ => 1 } @{ $self->{only} } };
		($n) = sort { $b <=> $a } @{ $self->{only} };
	}
	my $t0 = time;
	my $batch_failures = 0;
	for my $i (1 .. $n)
	{
		my $spec = $self->{gen}->transaction($i);
		my $outcome = $self->run_transaction($spec);
		if ($outcome eq 'crash')
		{
			_diag('the coordinator crashed: stopping');
			last;
		}
		if ($self->{broken})
		{
			ok(0, "after transaction #$i the federation could not be set equal to the local twins again: stopping");
			last;
		}
		if ($i % 100 == 0 || $i == $n)
		{
			my $f = @{ $self->{failures} };
			ok($f == $batch_failures, sprintf('transactions %d-%d: no differences', 100 * int(($i - 1) / 100) + 1, $i));
			$batch_failures = $f;
			_note(sprintf('%d transactions in %.1f s, %d failures', $i, time - $t0, $f));
		}
		if (!$self->{keep_going} && @{ $self->{failures} } >= $self->{max_failures})
		{
			_diag("stopping after $self->{max_failures} failures (WFUZZ_KEEP_GOING=1 runs them all)");
			last;
		}
	}
	$self->{elapsed} = time - $t0;
	return;
}

=pod

=head2 $run->summary

Prints the summary (transactions, statements, differences, crashes,
statements per kind with those skipped and those failing alike on both
sides, skips per message, SQLSTATEs of statements that failed alike) and
passes when nothing failed.

=cut

sub summary
{
	my ($self) = @_;
	my $s = $self->{stats};
	my $line = sprintf("write differential summary: seed %s, engines %s, %d transactions (%d committed; %d guarded, %d bare, "
		  . "%d autocommit; %d rolled back for a skip), %d statements in %.1f s: %d differences, %d crashes",
		$self->{seed}, $self->{engines}, $s->{transactions}, $s->{committed} // 0, $s->{mode_guarded} // 0, $s->{mode_bare} // 0,
		$s->{mode_autocommit} // 0, $s->{skipped_transactions} // 0, $s->{statements}, $self->{elapsed} // 0,
		$s->{diff}, $s->{crash});
	my $k = $s->{kind} || {};
	$line .= "\n  statements by kind (run/skipped/failed alike/known differences): "
	  . join(', ', map { sprintf('%s=%d/%d/%d/%d', $_, $k->{$_}{run} // 0, $k->{$_}{skipped} // 0,
		  $k->{$_}{failed_alike} // 0, $k->{$_}{known} // 0) } sort keys %$k);
	my $fa = $s->{faults} || {};
	$line .= "\n  faults at COMMIT (committed/failed): "
	  . join(', ', map { sprintf('%s=%d/%d', $_, $fa->{$_}{committed} // 0, $fa->{$_}{failed} // 0) } sort keys %$fa)
	  if %$fa;
	my $fk = join(', ', map { "$_=$self->{fail_kinds}{$_}" } sort keys %{ $self->{fail_kinds} || {} });
	$line .= "\n  failures by statement kind: $fk" if $fk;
	my $sk = $self->{skips} || {};
	for my $m (sort { $sk->{$b} <=> $sk->{$a} || $a cmp $b } keys %$sk)
	{
		my $doc = $self->{skip_doc}{$m} ? '' : ' [undocumented]';
		$line .= sprintf("\n  skipped (0A000) %5d x %s%s\n      e.g. %s", $sk->{$m}, $m, $doc, $self->{skip_example}{$m});
	}
	for my $k (grep { $self->{known}{ $_->[0] } } @KNOWN)
	{
		$line .= sprintf("\n  known difference (reported, not fixed; WFUZZ_STRICT=1 fails on it) %4d x %s: %s\n      e.g. %s",
			$self->{known}{ $k->[0] }, $k->[0], $k->[1], $self->{known_example}{ $k->[0] });
	}
	my $bs = join(', ', map { "$_=$self->{both_states}{$_}" } sort keys %{ $self->{both_states} || {} });
	$line .= "\n  SQLSTATEs of statements that failed alike on both sides: $bs" if $bs;
	_note("first statement of each SQLSTATE that failed alike on both sides:\n"
		  . join("\n", map { "  $_ $self->{both_example}{$_}" } sort keys %{ $self->{both_example} || {} }))
	  if $self->{both_example};
	$line .= "\n  failure report: $self->{report}" if @{ $self->{failures} };
	_diag($line);
	ok(!@{ $self->{failures} }, "write differential run (seed $self->{seed}): no differences, no crash");
	return $line;
}

1;

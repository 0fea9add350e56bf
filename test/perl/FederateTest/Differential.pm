# Copyright: part of federate.  A seeded random differential tester.

=pod

=head1 NAME

FederateTest::Differential - builds a federation with a local mirror, generates
random queries from a seed, runs each one against the federated tables and
against local heap tables holding the same rows, and compares the answers

=head1 SYNOPSIS

  use FederateTest::Differential;

  my $fed = FederateTest::Differential->build(name => 'diff');
  $fed->check_load;                         # TAP tests: the rows arrived
  my $fz = $fed->fuzzer(seed => 1, n => 1000);
  $fz->run_fixed;                           # whole-table dumps
  $fz->run;                                 # the random queries
  $fz->summary;

=head1 THE FEDERATION

A coordinator (PostgreSQL::Test::Cluster, shared_preload_libraries =
'federate'), two PostgreSQL shard clusters (servers C<s1>, C<s2>) and one
MariaDB server (C<m1>, database C<app>, its default collation:
utf8mb4_general_ci, case-insensitive and PAD SPACE).

=over

=item C<ft>

PARTITION BY HASH (k), 36 foreign partitions C<ft_p00> .. C<ft_p35>, each
its own remote table: remainder r lives on s1 when r % 3 = 0, on s2 when
r % 3 = 1, on m1 when r % 3 = 2 (12 on each).  Columns k int, id int
(unique; one NULL, in the row that is NULL everywhere), grp int (0..6),
txt text, vc varchar(20), num numeric(20,4), flt float8, flag bool, dt
date, ts timestamp, tstz timestamptz (DATETIME(6) holding UTC on
MariaDB), big bigint.

=item C<ft2>

Partitioned the same way (same remainders on the same servers, so
co-located with ft): k int, id2 int (unique), ref_id int (an ft.id, a
dangling one or NULL), t2 text, amt numeric(12,2), ts2 timestamp, flag2
bool.

=item C<dim_loc>, C<dim_pg>, C<dim_my>

The same 12-row dimension table three ways: a plain table on the
coordinator, a federate foreign table on s1, one on m1: grp int (unique),
name text, w numeric(10,2), active bool, label varchar(10).

=item C<dim_ref>, C<dim_refm>, C<dim_refb>

Reference tables (option C<copies>) holding the dimension rows: dim_ref on
s2 with copies on s1 and m1 (the tables C<dim> of dim_pg and dim_my),
dim_refm on m1 with copies on s1 and s2, dim_refb on s1 with copies on s2
and m1 (table C<dimb>, whose text columns are utf8mb4_nopad_bin on m1).
A join of a sharded table with them runs on the shards.

=item the layouts: C<wh>, C<wh2>, C<wr>, C<wr2>, C<wl>, C<wt>, C<wu>

Partitioned tables with columns k int, id int (unique), g int (0..9), tx
text, vc varchar(20), f4 real (MariaDB FLOAT), f8 float8 (DOUBLE), nm
numeric(14,4) (DECIMAL), u64 numeric(20,0) (BIGINT UNSIGNED), u32 bigint
(INT UNSIGNED), over s1, s2 and m1 (see @LAYOUTS).  Every MariaDB
partition gives tx and vc one of utf8mb4_general_ci, utf8mb4_unicode_ci,
utf8mb4_bin, utf8mb4_nopad_bin, differing between partitions and between
the two columns, tx a TEXT or a VARCHAR(200).  wh: HASH (k), 8
partitions; wh2: partitioned like wh on the same servers (co-located),
its text sharing wh's collation in some partitions and not in others;
wr/wr2: RANGE (k) with a gap and a DEFAULT partition (co-located, the
same way); wl: LIST (g) with NULL and a
DEFAULT partition; wt: HASH (k), then LIST (g) with a DEFAULT, RANGE (id)
with a DEFAULT, or a leaf; wu: LIST (g), then HASH (k).  wh, wr, wl, wt
and wu hold row set "w" (400 rows), wh2 and wr2 row set "w2" (300); both
have clusters of rows under one key whose text differs only in case and
trailing spaces.

=item C<lt>, C<lt2>, C<ldim>, C<lw>, C<lw2>

Plain heap tables on the coordinator holding the same rows.  A generated
query is written against the federated tables; its local twin is the same
text with ft -> lt, ft2 -> lt2, dim_* -> ldim, the w layouts -> lw and
wh2/wr2 -> lw2.

=back

The rows are generated in Perl from a fixed data seed (FUZZ_DATA_SEED
overrides it) and loaded with the same INSERT statements into the
federated tables (through the coordinator) and into the local ones.  Rows
whose partition lives on MariaDB never hold values MariaDB cannot store
(-0, NaN, infinities, years outside 1000-9999); rows on PostgreSQL shards
sometimes do.  The layouts' rows never do (every layout routes them
differently): their values are the ones MariaDB stores its own way
(0.1, 1.2345678, 100000.7, 1e-7 and 16777217 as FLOAT, unsigned values up
to 18446744073709551615, 'us' and 'us ', sharp s and ss, u with and
without umlaut).

=cut

package FederateTest::Differential;

use strict;
use warnings;
use utf8;

use Carp;
use DBI;
use File::Basename qw(basename dirname);
use POSIX qw(strftime floor);
use Time::HiRes qw(time usleep);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

use FederateTest::MariaDB;

binmode(Test::More->builder->output,         ':encoding(UTF-8)');
binmode(Test::More->builder->failure_output, ':encoding(UTF-8)');
binmode(Test::More->builder->todo_output,    ':encoding(UTF-8)');

# [name, type class, PostgreSQL type, MariaDB type]
our @FT_COLS = (
	[ k    => 'int',         'int',           'INT' ],
	[ id   => 'int',         'int',           'INT' ],
	[ grp  => 'int',         'int',           'INT' ],
	[ txt  => 'text',        'text',          'TEXT' ],
	[ vc   => 'varchar',     'varchar(20)',   'VARCHAR(20)' ],
	[ num  => 'numeric',     'numeric(20,4)', 'DECIMAL(20,4)' ],
	[ flt  => 'float',       'float8',        'DOUBLE' ],
	[ flag => 'bool',        'boolean',       'BOOLEAN' ],
	[ dt   => 'date',        'date',          'DATE' ],
	[ ts   => 'timestamp',   'timestamp',     'DATETIME(6)' ],
	[ tstz => 'timestamptz', 'timestamptz',   'DATETIME(6)' ],
	[ big  => 'bigint',      'bigint',        'BIGINT' ],
);
our @FT2_COLS = (
	[ k      => 'int',       'int',           'INT' ],
	[ id2    => 'int',       'int',           'INT' ],
	[ ref_id => 'int',       'int',           'INT' ],
	[ t2     => 'text',      'text',          'TEXT' ],
	[ amt    => 'numeric',   'numeric(12,2)', 'DECIMAL(12,2)' ],
	[ ts2    => 'timestamp', 'timestamp',     'DATETIME(6)' ],
	[ flag2  => 'bool',      'boolean',       'BOOLEAN' ],
);
our @DIM_COLS = (
	[ grp    => 'int',     'int',           'INT' ],
	[ name   => 'text',    'text',          'TEXT' ],
	[ w      => 'numeric', 'numeric(10,2)', 'DECIMAL(10,2)' ],
	[ active => 'bool',    'boolean',       'BOOLEAN' ],
	[ label  => 'varchar', 'varchar(10)',   'VARCHAR(10)' ],
);

# The columns of the layout tables (wh, wh2, wr, wr2, wl, wt, wu): the
# types MariaDB stores its own way (FLOAT, DOUBLE, DECIMAL, BIGINT UNSIGNED
# read as numeric(20,0), INT UNSIGNED read as bigint) and two text columns
# whose MariaDB collation differs from table to table.
our @W_COLS = (
	[ k   => 'int',     'int',           'INT' ],
	[ id  => 'int',     'int',           'INT' ],
	[ g   => 'int',     'int',           'INT' ],
	[ tx  => 'text',    'text',          'TEXT' ],
	[ vc  => 'varchar', 'varchar(20)',   'VARCHAR(20)' ],
	[ f4  => 'real',    'real',          'FLOAT' ],
	[ f8  => 'float',   'float8',        'DOUBLE' ],
	[ nm  => 'numeric', 'numeric(14,4)', 'DECIMAL(14,4)' ],
	[ u64 => 'numeric', 'numeric(20,0)', 'BIGINT UNSIGNED' ],
	[ u32 => 'bigint',  'bigint',        'INT UNSIGNED' ],
);

# MariaDB collations given to the text columns (tx, vc) of the layouts'
# MariaDB tables: case-insensitive PAD SPACE (general_ci, unicode_ci, which
# also folds accents and ß/ss differently), binary PAD SPACE (bin) and
# binary NO PAD (nopad_bin).
our %MCOLL = (gen => 'utf8mb4_general_ci', uni => 'utf8mb4_unicode_ci', bin => 'utf8mb4_bin',
	nopad => 'utf8mb4_nopad_bin');

# The layouts: partitioned tables over the same three servers, holding
# row set "w" (wh, wr, wl, wt, wu: local twin lw) or "w2" (wh2, wr2: lw2).
# A part is [bound, server, tx collation, vc collation] (collations only
# on m1; a tx collation ending in ":v" makes tx a VARCHAR(200) there,
# otherwise it is a TEXT: MariaDB's subquery cache keys on VARCHARs only)
# or [bound, { by => ..., parts => [...] }] for a partition that is
# partitioned again.  wh2 and wr2 are partitioned like wh and wr, each
# partition on the server of its partner (co-located); on MariaDB a
# partner pair's text columns share a collation (a case-insensitive one:
# where MariaDB's subquery cache merged 'us' and 'us ') or differ (where
# comparing them needs care: "Illegal mix of collations").
sub _hash_parts
{
	my ($mod, @spec) = @_;
	return [ map { [ "FOR VALUES WITH (MODULUS $mod, REMAINDER $_)", @{ $spec[$_] } ] } 0 .. $mod - 1 ];
}
our @LAYOUTS = (
	{ name => 'wh', rows => 'w', by => 'HASH (k)',
	  parts => _hash_parts(8, ['s1'], ['s2'], [ 'm1', 'gen', 'uni' ], [ 'm1', 'uni', 'bin' ], ['s1'], ['s2'],
		[ 'm1', 'bin', 'nopad' ], [ 'm1', 'nopad', 'gen' ]) },
	# tx: same in 2 (general_ci) and 6 (bin); vc: same in 6 and 7
	{ name => 'wh2', rows => 'w2', by => 'HASH (k)',
	  parts => _hash_parts(8, ['s1'], ['s2'], [ 'm1', 'gen:v', 'gen' ], [ 'm1', 'nopad', 'uni' ], ['s1'], ['s2'],
		[ 'm1', 'bin:v', 'nopad' ], [ 'm1', 'uni:v', 'gen' ]) },
	{ name => 'wr', rows => 'w', by => 'RANGE (k)',
	  parts => [
		[ 'FOR VALUES FROM (MINVALUE) TO (0)', 's1' ],
		[ 'FOR VALUES FROM (0) TO (15)', 'm1', 'gen:v', 'gen' ],
		[ 'FOR VALUES FROM (15) TO (40)', 's2' ],
		[ 'FOR VALUES FROM (40) TO (60)', 'm1', 'bin', 'uni' ],
		[ 'FOR VALUES FROM (75) TO (90)', 'm1', 'uni', 'nopad' ],
		[ 'DEFAULT', 'm1', 'nopad:v', 'bin' ] ] },
	# tx: same in 1 (general_ci) and 4 (unicode_ci); vc: same in 3 and 5
	{ name => 'wr2', rows => 'w2', by => 'RANGE (k)',
	  parts => [
		[ 'FOR VALUES FROM (MINVALUE) TO (0)', 's1' ],
		[ 'FOR VALUES FROM (0) TO (15)', 'm1', 'gen:v', 'nopad' ],
		[ 'FOR VALUES FROM (15) TO (40)', 's2' ],
		[ 'FOR VALUES FROM (40) TO (60)', 'm1', 'gen', 'uni' ],
		[ 'FOR VALUES FROM (75) TO (90)', 'm1', 'uni:v', 'bin' ],
		[ 'DEFAULT', 'm1', 'bin', 'bin' ] ] },
	{ name => 'wl', rows => 'w', by => 'LIST (g)',
	  parts => [
		[ 'FOR VALUES IN (0, 1)', 's1' ],
		[ 'FOR VALUES IN (2, 3)', 'm1', 'uni:v', 'gen' ],
		[ 'FOR VALUES IN (4)', 'm1', 'bin', 'bin' ],
		[ 'FOR VALUES IN (5, 6)', 's2' ],
		[ 'FOR VALUES IN (7, NULL)', 'm1', 'gen', 'nopad' ],
		[ 'DEFAULT', 'm1', 'nopad', 'uni' ] ] },
	# two levels: hash on k, then by list of g, by range of id, or not
	{ name => 'wt', rows => 'w', by => 'HASH (k)',
	  parts => [
		[ 'FOR VALUES WITH (MODULUS 3, REMAINDER 0)', { by => 'LIST (g)', parts => [
			[ 'FOR VALUES IN (0, 1, 2, 3, 4)', 's1' ], [ 'DEFAULT', 'm1', 'gen:v', 'bin' ] ] } ],
		[ 'FOR VALUES WITH (MODULUS 3, REMAINDER 1)', { by => 'RANGE (id)', parts => [
			[ 'FOR VALUES FROM (MINVALUE) TO (150)', 'm1', 'bin', 'gen' ],
			[ 'FOR VALUES FROM (150) TO (300)', 's2' ], [ 'DEFAULT', 's1' ] ] } ],
		[ 'FOR VALUES WITH (MODULUS 3, REMAINDER 2)', 'm1', 'uni', 'nopad' ] ] },
	# two levels: list of g, then hash on k
	{ name => 'wu', rows => 'w', by => 'LIST (g)',
	  parts => [
		[ 'FOR VALUES IN (0, 1, 2, 3, 4)', { by => 'HASH (k)', parts => _hash_parts(2, ['s2'], [ 'm1', 'nopad', 'gen' ]) } ],
		[ 'DEFAULT', { by => 'HASH (k)', parts => _hash_parts(2, [ 'm1', 'uni:v', 'uni' ], ['s1']) } ] ] },
);

# Every partition of a layout, parents first: { name, parent, bound, by }
# for a partitioned one, { name, parent, bound, server, coll => [tx, vc] }
# for a leaf (a federate foreign table and its remote table).
sub layout_parts
{
	my ($l) = @_;
	my @out;
	my $walk;
	$walk = sub {
		my ($parent, $parts) = @_;
		for my $i (0 .. $#$parts)
		{
			my ($bound, $what, @coll) = @{ $parts->[$i] };
			my $name = $parent eq $l->{name} ? "${parent}_p$i" : "${parent}s$i";
			if (ref $what)
			{
				push @out, { name => $name, parent => $parent, bound => $bound, by => $what->{by} };
				$walk->($name, $what->{parts});
			}
			else
			{
				my $vartx = @coll && $coll[0] =~ s/:v$//;
				push @out, { name => $name, parent => $parent, bound => $bound, server => $what,
					coll => [ map { $MCOLL{$_} } @coll ], vartx => $vartx };
			}
		}
	};
	$walk->($l->{name}, $l->{parts});
	return @out;
}

# The tables a generated query may name, and their local twins.  base:
# the family of columns (the generator's expressions per family), rows:
# the row set (its constants), key: the partition key the generator
# targets.  The dim_ref* tables are reference tables (option "copies"):
# dim_ref on s2 with copies on s1 and m1, dim_refm on m1 with copies on
# both PostgreSQL shards, dim_refb on s1 with copies on s2 and on m1,
# where its text columns are utf8mb4_nopad_bin.
our %TABLE = (
	ft       => { local => 'lt',   cols => \@FT_COLS,  uniq => 'id',  key => 'k', base => 'ft' },
	ft2      => { local => 'lt2',  cols => \@FT2_COLS, uniq => 'id2', key => 'k', base => 'ft2' },
	dim_loc  => { local => 'ldim', cols => \@DIM_COLS, uniq => 'grp', base => 'dim', engine => 'local' },
	dim_pg   => { local => 'ldim', cols => \@DIM_COLS, uniq => 'grp', base => 'dim', engine => 'postgres' },
	dim_my   => { local => 'ldim', cols => \@DIM_COLS, uniq => 'grp', base => 'dim', engine => 'mysql' },
	dim_ref  => { local => 'ldim', cols => \@DIM_COLS, uniq => 'grp', base => 'dim', engine => 'reference' },
	dim_refm => { local => 'ldim', cols => \@DIM_COLS, uniq => 'grp', base => 'dim', engine => 'reference' },
	dim_refb => { local => 'ldim', cols => \@DIM_COLS, uniq => 'grp', base => 'dim', engine => 'reference' },
);
# The keys of a layout's RANGE levels that have a DEFAULT partition.
sub range_default_keys
{
	my ($l) = @_;
	my %k;
	my $walk;
	$walk = sub {
		my ($by, $parts) = @_;
		$k{$1} = 1 if $by =~ /^RANGE \((\w+)\)/ && grep { $_->[0] eq 'DEFAULT' } @$parts;
		ref $_->[1] and $walk->($_->[1]{by}, $_->[1]{parts}) for @$parts;
	};
	$walk->($l->{by}, $l->{parts});
	return \%k;
}

for my $l (@LAYOUTS)
{
	$TABLE{ $l->{name} } = { local => $l->{rows} eq 'w' ? 'lw' : 'lw2', cols => \@W_COLS, uniq => 'id',
		range_default_keys => range_default_keys($l),
		key => ($l->{by} =~ /\((\w+)\)/)[0], base => 'w', rows => $l->{rows}, layout => $l };
}
our @W_TABLES = map { $_->{name} } @LAYOUTS;

# The row set of a table (its constants come from it).
sub rows_of { return $TABLE{ $_[0] }{rows} // $TABLE{ $_[0] }{base} }

our $MODULUS = 36;
our @SERVERS = qw(s1 s2 m1);
our %DRIVER  = (s1 => 'postgres', s2 => 'postgres', m1 => 'mysql');
sub server_of_remainder { return $SERVERS[ $_[0] % 3 ] }

# The local twin of a federated query text.
my $TABLE_RE = join('|', sort { length($b) <=> length($a) || $a cmp $b } keys %TABLE);
sub local_sql
{
	my ($sql) = @_;
	$sql =~ s/\b($TABLE_RE)\b/$TABLE{$1}{local}/g;
	return $sql;
}

sub quote_lit
{
	my ($v) = @_;
	return 'NULL' unless defined $v;
	(my $q = $v) =~ s/'/''/g;
	return "'$q'";
}

sub col_defs
{
	my ($cols, $which) = @_;
	return join(', ', map { "$_->[0] $_->[$which]" } @$cols);
}

# --------------------------------------------------------------- the data ---

# Text values that federation gets wrong: case and space variants (MariaDB's
# collation calls them equal), empty strings, quotes, backslashes, LIKE
# wildcards, unicode.  None contains a table name (see local_sql).
our @TEXTS = (
	'a', 'A', 'a ', ' a', 'a  ', '', ' ', 'b', 'B', 'b ', 'ab', 'aB', 'Ab', 'abc', 'ABC',
	"o'brien", "O'Brien", 'back\\slash', '\\', '50%', 'a_b', 'a%b', '_', '%', '100%_',
	'é', 'É', 'e', 'è', 'e ', 'Ünïcödé', 'ß', 'ss', 'SS', '日本', '日本語', '🙂', '🙂 smile',
	"tab\there", "new\nline", 'NULL', 'null', '-0', '0', '10', '9', 'z', 'Z', 'zz', 'ÿ',
	'east', 'East', 'EAST', 'west', 'Wést', "quote''s", 'x' x 120,
);
our @VCS = grep { length($_) <= 20 } @TEXTS;

sub _r     { int(rand($_[0])) }
sub _pick  { $_[ int(rand(@_)) ] }
sub _maybe { my ($p, $v) = @_; return rand() < $p ? undef : $v }

sub _day
{
	my ($days) = @_;    # days since 1970-01-01
	return strftime('%Y-%m-%d', gmtime($days * 86400));
}

sub _stamp
{
	my ($epoch, $us) = @_;
	my $s = strftime('%Y-%m-%d %H:%M:%S', gmtime($epoch));
	$s .= sprintf('.%06d', $us) if $us;
	return $s;
}

sub _gen_num
{
	my ($pg) = @_;
	return 'NaN' if $pg && rand() < 0.01;
	if (rand() < 0.15)
	{
		return _pick('0', '-0.0001', '0.0001', '1.5', '-1.5', '1.50', '9999999999999999.9999',
			'-9999999999999999.9999', '1000000000000000', '0.5', '-0.5', '2.5', '-2.5', '12345.6789');
	}
	my $v = (rand() < 0.3 ? -1 : 1) * _r(100000) + _r(10000) / 10000;
	return sprintf('%.*f', _r(5), $v);
}

sub _gen_flt
{
	my ($pg) = @_;
	if ($pg && rand() < 0.03)
	{
		return _pick('-0', 'NaN', 'Infinity', '-Infinity', '-0');
	}
	if (rand() < 0.15)
	{
		return _pick('0', '0.1', '1e-10', '3.14159', '1e15', '1.7e18', '123456.789', '-2.5',
			'0.25', '-1000000', '2.5e-05', '7');
	}
	# quarters: sums of them are exact whatever the order
	return (_r(8_000_000) - 4_000_000) / 4;
}

sub _gen_date
{
	my ($pg) = @_;
	if ($pg && rand() < 0.02)
	{
		return _pick('infinity', '-infinity', '0099-01-01', '0044-03-15 BC', '12000-01-01');
	}
	if (rand() < 0.2)
	{
		return _pick('2024-03-10', '2024-03-11', '2024-02-29', '2023-12-31', '2024-01-01',
			'2000-02-29', '1999-12-31', '1970-01-01', '1000-01-01', '9999-12-31', '2024-11-03');
	}
	return _day(19358 + _r(900));    # from 2023-01-01
}

sub _gen_ts
{
	my ($pg) = @_;
	if ($pg && rand() < 0.02)
	{
		return _pick('infinity', '-infinity', '0500-06-01 12:00:00', '0001-01-01 00:00:00 BC');
	}
	if (rand() < 0.25)
	{
		return _pick('2024-03-10 23:59:59.999999', '2024-03-11 00:00:00', '2024-03-10 00:00:00.000001',
			'2023-12-31 23:59:59.5', '2024-01-01 00:00:00', '2024-03-10 02:30:00',
			'2024-11-03 01:30:00', '1000-01-01 00:00:00', '9999-12-31 23:59:59.999999',
			'2024-02-29 12:00:00', '2024-03-31 02:30:00', '2024-06-30 23:59:59');
	}
	my $e = 1672531200 + _r(912 * 86400);    # 2023-01-01 .. mid 2025
	my $r = rand();
	return _stamp($e, $r < 0.5 ? 0 : $r < 0.75 ? 500000 : 1 + _r(999999));
}

# UTC instants of daylight-saving changes: US (America/New_York), EU,
# America/St_Johns (half-hour zone), Australia/Lord_Howe (half-hour DST).
our @DST = (
	1710054000,    # 2024-03-10 07:00:00 UTC, New York
	1730613600,    # 2024-11-03 06:00:00 UTC, New York
	1711846800,    # 2024-03-31 01:00:00 UTC, Berlin
	1729990800,    # 2024-10-27 01:00:00 UTC, Berlin
	1710048600,    # 2024-03-10 05:30:00 UTC, St Johns
	1730608200,    # 2024-11-03 04:30:00 UTC, St Johns
	1712415600,    # 2024-04-06 15:00:00 UTC, Lord Howe
	1719791999,    # 2024-06-30 23:59:59 UTC
);

sub _gen_tstz
{
	my ($pg) = @_;
	if ($pg && rand() < 0.02)
	{
		return _pick('infinity', '-infinity', '0900-01-01 00:00:00+00');
	}
	my $r = rand();
	if ($r < 0.35)
	{
		my $e = _pick(@DST) + _pick(-3600, -1800, -1, 0, 0, 1, 1800, 3540, 3600);
		my $us = rand() < 0.2 ? 999999 : 0;
		$e -= 1 if $us;
		return _stamp($e, $us) . '+00';
	}
	if ($r < 0.45)
	{
		return _pick('1000-01-02 00:00:00+00', '9999-12-30 12:00:00+00', '2024-01-01 00:00:00+00',
			'2023-12-31 23:59:59.999999+00', '2024-03-09 23:00:00+00');
	}
	my $e = 1672531200 + _r(912 * 86400);
	return _stamp($e, rand() < 0.5 ? 0 : 1 + _r(999999)) . '+00';
}

sub _gen_big
{
	if (rand() < 0.15)
	{
		return _pick('0', '1', '-1', '9000000000000000000', '-9000000000000000000',
			'9007199254740993', '-9007199254740993', '4294967296', '2147483648', '-2147483649');
	}
	return _r(2_000_000_000_000) - 1_000_000_000_000;
}

sub _gen_text
{
	my ($list) = @_;
	return _pick(@$list) if rand() < 0.85;
	# a made-up word with some mixed case
	my $w = join('', map { _pick('a' .. 'f', 'A', 'E', ' ', 'é') } 1 .. 1 + _r(6));
	return $w;
}

# Text for the layouts' tables: also 'us'/'us ' (the pair MariaDB's
# subquery cache merged), and letters MariaDB's collations fold (ü/u/ue,
# ß/ss/s, dotless i).
our @WTEXTS = (@TEXTS, 'us', 'us ', 'US', 'Us', 'us  ', 'ü', 'u', 'ue', 'Ü', 's', 'ı', 'I', 'i', 'æ', 'ae');
our @WVCS = grep { length($_) <= 20 } @WTEXTS;

# A real: mostly non-negative quarters (their float4 sums are exact, so
# sum(real) depends little on the order of the rows), and values a trip
# through MySQL's FLOAT gets wrong when read with 6 digits or compared as
# a double: 0.1, 1.2345678, 100000.7, 1e-7, 16777217 (not a float4),
# 0.33333334, huge ones.
sub _gen_f4
{
	# huge ones rare: a sum with one is that one
	return '1e+30' if rand() < 0.004;
	if (rand() < 0.3)
	{
		return _pick('0.1', '1.2345678', '100000.7', '1e-07', '16777217', '16777215', '0.33333334',
			'3.1415927', '123456.79', '-2.5', '-0.1', '-1.5', '7', '0.5', '2.71828', '1e-20',
			'99999.99', '-1e-07', '0');
	}
	return _r(32000) / 4;
}

# A double: quarters (exact sums) and the values above, large ones
# positive only (a huge value with its negative would make a sum depend on
# the order of the rows entirely).
sub _gen_f8
{
	return _pick('1e+15', '1e+150') if rand() < 0.006;
	if (rand() < 0.25)
	{
		return _pick('0.1', '1.2345678', '100000.7', '1e-07', '1.2345678901234567', '-2.5', '-0.1',
			'0.30000000000000004', '-123456.789', '4503599627370497', '0', '2.5e-05');
	}
	return (_r(8_000_000) - 4_000_000) / 4;
}

sub _gen_nm
{
	return _pick('0', '-0.0001', '0.0001', '1.5', '-1.5', '1.50', '9999999999.9999', '-9999999999.9999',
		'0.1', '2.5', '-2.5', '12345.6789', '100000.7', '1.2345') if rand() < 0.2;
	my $v = (rand() < 0.3 ? -1 : 1) * _r(100000) + _r(10000) / 10000;
	return sprintf('%.*f', _r(5), $v);
}

sub _gen_u64
{
	return _pick('0', '1', '9223372036854775807', '9223372036854775808', '18446744073709551615',
		'18446744073709551614', '4294967296', '9007199254740993', '10000000000000000000')
	  if rand() < 0.3;
	return join('', 1 + _r(9), map { _r(10) } 1 .. _r(19));
}

sub _gen_u32
{
	return _pick('0', '1', '2', '2147483647', '2147483648', '4294967295', '4294967294') if rand() < 0.3;
	return _r(4_294_967_296);
}

# Keys whose rows carry variants of one word (case, trailing spaces):
# equal under MariaDB's collations, not under PostgreSQL's, in one
# partition and joined on (k, text): a subquery cache or a comparison
# under the collation answers one variant with what another found.
# (Keys in every range of wr, at least two in each of wh's 8 hash
# partitions: 13 and 48 hash to remainder 6, 4, 24 and 29 to 3.)
our @CLUSTERS = map { [ $_, (qw(us a eu b ss e ü ab))[ ($_ + 8) % 8 ] ] }
  (-2, 1, 3, 4, 7, 9, 12, 13, 16, 20, 24, 26, 29, 33, 38, 41, 45, 48, 50, 54, 57, 60, 64, 68, 70, 77, 81, 84, 88,
	92, 95, 99);

sub _variant
{
	my ($base, $all) = @_;
	return _pick($base, uc($base)) unless $all;
	return _pick($base, uc($base), "$base ", ucfirst($base) . ' ', "$base  ", uc($base) . ' ', ucfirst($base));
}

# Rows of a layout table (columns of @W_COLS); $ks: keys to draw from
# (the partner's row set: its clusters hold two variants only).
sub _gen_w
{
	my ($n, $ks) = @_;
	my @rows;
	for my $i (1 .. $n)
	{
		my $k = rand() < 0.02 ? undef : $ks && rand() < 0.8 ? _pick(@$ks)
		  : rand() < 0.06 ? -1 - _r(4) : _r(100);
		my ($tx, $vc) = (_gen_text(\@WTEXTS), _gen_text(\@WVCS));
		if (rand() < 0.35)
		{
			my ($ck, $base) = @{ _pick(@CLUSTERS) };
			($k, $tx) = ($ck, _variant($base, !$ks));
			$vc = _variant($base, !$ks) if rand() < 0.6;
		}
		push @rows, [
			$k, $i,
			_maybe(0.05, _r(10)),
			_maybe(0.06, $tx),
			_maybe(0.06, $vc),
			_maybe(0.06, _gen_f4()),
			_maybe(0.06, _gen_f8()),
			_maybe(0.06, _gen_nm()),
			_maybe(0.06, _gen_u64()),
			_maybe(0.06, _gen_u32()),
		];
	}
	push @rows, [ (undef) x scalar(@W_COLS) ];
	return \@rows;
}

# Generate every table's rows (array refs in column order).
sub _gen_data
{
	my ($self) = @_;
	srand($self->{data_seed});
	my ($nft, $nft2) = ($self->{n_ft}, $self->{n_ft2});
	my $on_pg = sub {
		my ($k) = @_;
		return server_of_remainder($self->remainder_of_k($k)) ne 'm1';
	};

	my @ft;
	for my $i (1 .. $nft)
	{
		my $k = rand() < 0.01 ? undef : rand() < 0.03 ? -1 - _r(50) : 1 + _r(1000);
		my $pg = $on_pg->($k);
		my $n = 0.04;
		push @ft, [
			$k, $i,
			_maybe(0.05, _r(7)),
			_maybe(0.06, _gen_text(\@TEXTS)),
			_maybe(0.06, _gen_text(\@VCS)),
			_maybe($n, _gen_num($pg)),
			_maybe($n, _gen_flt($pg)),
			_maybe(0.08, rand() < 0.5 ? 'true' : 'false'),
			_maybe($n, _gen_date($pg)),
			_maybe($n, _gen_ts($pg)),
			_maybe($n, _gen_tstz($pg)),
			_maybe($n, _gen_big()),
		];
	}
	push @ft, [ (undef) x scalar(@FT_COLS) ];

	my @ks = grep { defined } map { $_->[0] } @ft;
	my @ft2;
	for my $i (1 .. $nft2)
	{
		my $k = rand() < 0.01 ? undef : rand() < 0.85 ? _pick(@ks) : 1 + _r(1200);
		my $amt = rand() < 0.1
		  ? _pick('9999999999.99', '-9999999999.99', '0', '-0.01', '0.01', '1.5')
		  : sprintf('%.2f', (rand() < 0.3 ? -1 : 1) * rand() * 10**(1 + _r(6)));
		my $r = rand();
		push @ft2, [
			$k, $i,
			$r < 0.8 ? 1 + _r($nft) : $r < 0.9 ? 100000 + _r(100) : undef,
			_maybe(0.06, _gen_text(\@TEXTS)),
			_maybe(0.05, $amt),
			_maybe(0.05, _gen_ts($on_pg->($k))),
			_maybe(0.08, rand() < 0.5 ? 'true' : 'false'),
		];
	}
	push @ft2, [ (undef) x scalar(@FT2_COLS) ];

	my @dim = (
		[ -1,    'a',       '1.50',           'true',  'x' ],
		[ 0,     'A',       '-2.25',          'false', 'X' ],
		[ 1,     'a ',      '0.00',           'true',  'x ' ],
		[ 2,     ' a',      '99999999.99',    undef,   ' x' ],
		[ 3,     'b',       '-99999999.99',   'true',  'é' ],
		[ 4,     'é',       '10.10',          'false', 'É' ],
		[ 5,     '日本',    undef,            'true',  '日本' ],
		[ 6,     '',        '0.01',           'true',  '' ],
		[ 7,     "o'brien", '3.00',           'false', "o'b" ],
		[ 8,     '50%',     '-0.01',          'true',  '%' ],
		[ 100,   undef,     '7.77',           'false', undef ],
		[ undef, 'B',       '1.00',           undef,   'B' ],
	);
	# the layouts' rows (drawn after the others: those stay as they were)
	my $w = _gen_w($self->{n_w});
	my @wks = grep { defined } map { $_->[0] } @$w;
	my $w2 = _gen_w($self->{n_w2}, \@wks);
	$self->{rows} = { ft => \@ft, ft2 => \@ft2, dim => \@dim, w => $w, w2 => $w2 };

	# value pools for constants: distinct non-NULL values of each column
	my %pool;
	for my $t ([ ft => \@FT_COLS ], [ ft2 => \@FT2_COLS ], [ dim => \@DIM_COLS ], [ w => \@W_COLS ],
		[ w2 => \@W_COLS ])
	{
		my ($name, $cols) = @$t;
		for my $c (0 .. $#$cols)
		{
			my %seen;
			$seen{$_->[$c]} = 1 for grep { defined $_->[$c] } @{ $self->{rows}{$name} };
			$pool{$name}{ $cols->[$c][0] } = [ sort keys %seen ];
		}
	}
	# partition keys by the server holding them
	my %kserver;
	for my $k (@{ $pool{ft}{k} })
	{
		push @{ $kserver{ server_of_remainder($self->remainder_of_k($k)) } }, $k;
	}
	$self->{pool}    = \%pool;
	$self->{kserver} = \%kserver;
	return;
}

# ------------------------------------------------------------ the builder ---

=pod

=head1 METHODS

=over

=item FederateTest::Differential->build(%opts)

Starts the coordinator, the shards and MariaDB, creates every table and
loads the rows.  Options: C<name> (prefix of the node names), C<n_ft> and
C<n_ft2> (rows, default 3000 and 1500), C<data_seed> (default
$ENV{FUZZ_DATA_SEED} or 20240310), C<coord_conf> (more postgresql.conf
lines for the coordinator).

=cut

sub build
{
	my ($class, %opts) = @_;
	my $name = $opts{name} // 'diff';
	my $self = bless {
		name      => $name,
		n_ft      => $opts{n_ft} // 3000,
		n_ft2     => $opts{n_ft2} // 1500,
		n_w       => $opts{n_w} // 400,
		n_w2      => $opts{n_w2} // 300,
		data_seed => $opts{data_seed} // $ENV{FUZZ_DATA_SEED} // 20240310,
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
		"max_connections = 50",
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
			"log_statement = 'none'", "max_connections = 100",
			"shared_buffers = 32MB", "max_parallel_workers_per_gather = 0"));
		$s->start;
		push @shards, $s;
	}
	$self->{shards} = \@shards;

	my $m = FederateTest::MariaDB->new(name => "${name}_m1");
	$m->start;
	$self->{mariadb} = $m;

	# remote tables: one per partition, on the server of its remainder
	my %pgsql = (s1 => '', s2 => '');
	my $mysql = "CREATE DATABASE app;\n";
	for my $r (0 .. $MODULUS - 1)
	{
		my $srv = server_of_remainder($r);
		my $p = sprintf('p%02d', $r);
		if ($srv eq 'm1')
		{
			$mysql .= sprintf("CREATE TABLE app.ft_%s (%s);\n", $p, col_defs(\@FT_COLS, 3));
			$mysql .= sprintf("CREATE TABLE app.ft2_%s (%s);\n", $p, col_defs(\@FT2_COLS, 3));
		}
		else
		{
			$pgsql{$srv} .= sprintf("CREATE TABLE ft_%s (%s);\n", $p, col_defs(\@FT_COLS, 2));
			$pgsql{$srv} .= sprintf("CREATE TABLE ft2_%s (%s);\n", $p, col_defs(\@FT2_COLS, 2));
		}
	}
	$pgsql{s1} .= sprintf("CREATE TABLE dim (%s);\n", col_defs(\@DIM_COLS, 2));
	$mysql .= sprintf("CREATE TABLE app.dim (%s);\n", col_defs(\@DIM_COLS, 3));
	# the reference tables' copies: dim on s2 too, dimb everywhere (on
	# MariaDB with binary NO PAD text)
	$pgsql{s2} .= sprintf("CREATE TABLE dim (%s);\n", col_defs(\@DIM_COLS, 2));
	$pgsql{$_} .= sprintf("CREATE TABLE dimb (%s);\n", col_defs(\@DIM_COLS, 2)) for ('s1', 's2');
	$mysql .= sprintf("CREATE TABLE app.dimb (%s);\n", join(', ',
		map { "$_->[0] $_->[3]" . ($_->[1] =~ /text|varchar/ ? " COLLATE $MCOLL{nopad}" : '') } @DIM_COLS));
	# the layouts' leaves, on MariaDB with their collations
	for my $l (@LAYOUTS)
	{
		for my $p (grep { $_->{server} } layout_parts($l))
		{
			if ($p->{server} eq 'm1')
			{
				my @c = @{ $p->{coll} };
				$mysql .= sprintf("CREATE TABLE app.%s (%s);\n", $p->{name}, join(', ',
					map { "$_->[0] " . ($_->[0] eq 'tx' && $p->{vartx} ? 'VARCHAR(200)' : $_->[3])
						  . ($_->[1] =~ /text|varchar/ ? ' COLLATE ' . shift(@c) : '') } @W_COLS));
			}
			else
			{
				$pgsql{ $p->{server} } .= sprintf("CREATE TABLE %s (%s);\n", $p->{name}, col_defs(\@W_COLS, 2));
			}
		}
	}
	$shards[0]->safe_psql('postgres', $pgsql{s1});
	$shards[1]->safe_psql('postgres', $pgsql{s2});
	$m->sql($mysql);

	# the coordinator
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
	for my $t ([ ft => \@FT_COLS ], [ ft2 => \@FT2_COLS ])
	{
		my ($tn, $cols) = @$t;
		$setup .= sprintf("CREATE TABLE %s (%s) PARTITION BY HASH (k);\n", $tn, col_defs($cols, 2));
		for my $r (0 .. $MODULUS - 1)
		{
			my $srv = server_of_remainder($r);
			my $p = sprintf('%s_p%02d', $tn, $r);
			$setup .= sprintf(
				"CREATE FOREIGN TABLE %s PARTITION OF %s FOR VALUES WITH (MODULUS %d, REMAINDER %d)"
				  . " SERVER %s OPTIONS (table_name '%s'%s);\n",
				$p, $tn, $MODULUS, $r, $srv, $p, $srv eq 'm1' ? '' : ", schema_name 'public'");
		}
	}
	my $dimcols = col_defs(\@DIM_COLS, 2);
	$setup .= qq{
		CREATE FOREIGN TABLE dim_pg ($dimcols) SERVER s1 OPTIONS (table_name 'dim', schema_name 'public');
		CREATE FOREIGN TABLE dim_my ($dimcols) SERVER m1 OPTIONS (table_name 'dim');
		CREATE TABLE dim_loc ($dimcols);
		CREATE FOREIGN TABLE dim_ref ($dimcols) SERVER s2
		  OPTIONS (table_name 'dim', schema_name 'public', copies 's1, m1');
		CREATE FOREIGN TABLE dim_refm ($dimcols) SERVER m1 OPTIONS (table_name 'dim', copies 's1, s2');
		CREATE FOREIGN TABLE dim_refb ($dimcols) SERVER s1
		  OPTIONS (table_name 'dimb', schema_name 'public', copies 's2, m1');
		CREATE FOREIGN TABLE load_dimb_s2 ($dimcols) SERVER s2 OPTIONS (table_name 'dimb', schema_name 'public');
		CREATE FOREIGN TABLE load_dimb_m1 ($dimcols) SERVER m1 OPTIONS (table_name 'dimb');
	};
	for my $l (@LAYOUTS)
	{
		$setup .= sprintf("CREATE TABLE %s (%s) PARTITION BY %s;\n", $l->{name}, col_defs(\@W_COLS, 2), $l->{by});
		for my $p (layout_parts($l))
		{
			if ($p->{by})
			{
				$setup .= "CREATE TABLE $p->{name} PARTITION OF $p->{parent} $p->{bound} PARTITION BY $p->{by};\n";
			}
			else
			{
				$setup .= sprintf("CREATE FOREIGN TABLE %s PARTITION OF %s %s SERVER %s OPTIONS (table_name '%s'%s);\n",
					$p->{name}, $p->{parent}, $p->{bound}, $p->{server}, $p->{name},
					$p->{server} eq 'm1' ? '' : ", schema_name 'public'");
			}
		}
	}
	$setup .= sprintf("CREATE TABLE lt (%s);\nCREATE TABLE lt2 (%s);\nCREATE TABLE ldim (%s);\n",
		col_defs(\@FT_COLS, 2), col_defs(\@FT2_COLS, 2), $dimcols);
	$setup .= sprintf("CREATE TABLE lw (%s);\nCREATE TABLE lw2 (%1\$s);\n", col_defs(\@W_COLS, 2));
	$coord->safe_psql('postgres', $setup);

	# which partition each key goes to, so that rows bound for MariaDB hold
	# only what MariaDB can store
	my $map = $coord->safe_psql('postgres', qq{
		SELECT coalesce(k::text, 'NULL') || ' ' || r
		FROM (SELECT k FROM generate_series(-60, 1300) k UNION ALL SELECT NULL) ks,
		     generate_series(0, $MODULUS - 1) r
		WHERE satisfies_hash_partition('ft'::regclass, $MODULUS, r, k)});
	for my $line (split /\n/, $map)
	{
		my ($k, $r) = split / /, $line;
		$self->{remainder}{$k} = $r;
	}
	$self->_gen_data;
	$self->_load;
	$self->_probe_pruning;
	note(sprintf('federation %s built and loaded in %.1f s', $name, time - $t0));
	return $self;
}

# PostgreSQL before 15.19 (the assert-enabled 15.18 builds) prunes a
# RANGE table's DEFAULT partition away under "k IN (a, b) AND k IS NOT
# NULL" when b lies in it: a wrong answer of PostgreSQL's own pruning,
# which the unpartitioned local twins do not share.  When the coordinator
# has that bug, the generator leaves IS [NOT] NULL off the keys of RANGE
# levels with a DEFAULT partition (wr.k, wr2.k, wt's id).
sub _probe_pruning
{
	my ($self) = @_;
	my $n = $self->{coord}->safe_psql('postgres', q{
		CREATE TEMP TABLE prune_probe (k int) PARTITION BY RANGE (k);
		CREATE TEMP TABLE prune_probe_0 PARTITION OF prune_probe FOR VALUES FROM (0) TO (10);
		CREATE TEMP TABLE prune_probe_d PARTITION OF prune_probe DEFAULT;
		INSERT INTO prune_probe VALUES (5), (50);
		SELECT count(*) FROM prune_probe WHERE k IN (5, 50) AND k IS NOT NULL;});
	$self->{pg_prune_bug} = $n eq '2' ? 0 : 1;
	diag('this PostgreSQL prunes a RANGE DEFAULT partition under IS NOT NULL (fixed in 15.19): '
		  . 'no IS [NOT] NULL on such keys in the generated queries')
	  if $self->{pg_prune_bug};
	return;
}

sub remainder_of_k
{
	my ($self, $k) = @_;
	my $r = $self->{remainder}{ $k // 'NULL' };
	croak "no partition known for key " . ($k // 'NULL') unless defined $r;
	return $r;
}

sub coord   { $_[0]->{coord} }
sub shards  { @{ $_[0]->{shards} } }
sub mariadb { $_[0]->{mariadb} }

# A DBI connection to the coordinator (as the superuser unless $user).
sub connect
{
	my ($self, %opts) = @_;
	my $c = $self->{coord};
	my $opt = "-c client_min_messages=warning -c statement_timeout="
	  . ($opts{statement_timeout} // 60000) . " -c TimeZone=UTC";
	my $dsn = sprintf("dbi:Pg:dbname=postgres;host=%s;port=%s;options='%s'",
		$c->host, $c->port, $opt);
	my $dbh = DBI->connect($dsn, $opts{user} // '', '',
		{ RaiseError => 0, PrintError => 0, PrintWarn => 0, AutoCommit => 1,
		  pg_enable_utf8 => 1, pg_expand_array => 0, pg_server_prepare => 0 });
	return $dbh;
}

sub _load
{
	my ($self) = @_;
	my $dbh = $self->connect or croak "cannot connect to the coordinator: $DBI::errstr";
	my @plan = (
		[ ft      => 'ft',   \@FT_COLS ],
		[ lt      => 'ft',   \@FT_COLS ],
		[ ft2     => 'ft2',  \@FT2_COLS ],
		[ lt2     => 'ft2',  \@FT2_COLS ],
		[ dim_loc => 'dim',  \@DIM_COLS ],
		[ dim_pg  => 'dim',  \@DIM_COLS ],
		[ dim_my  => 'dim',  \@DIM_COLS ],
		[ ldim    => 'dim',  \@DIM_COLS ],
		# the reference tables' copies: s1's dim is dim_pg's, m1's is
		# dim_my's, s2's is dim_ref's; dimb on s1 is dim_refb's
		[ dim_ref      => 'dim', \@DIM_COLS ],
		[ dim_refb     => 'dim', \@DIM_COLS ],
		[ load_dimb_s2 => 'dim', \@DIM_COLS ],
		[ load_dimb_m1 => 'dim', \@DIM_COLS ],
		(map { [ $_->{name} => $_->{rows}, \@W_COLS ] } @LAYOUTS),
		[ lw  => 'w',  \@W_COLS ],
		[ lw2 => 'w2', \@W_COLS ],
	);
	for my $p (@plan)
	{
		my ($table, $src, $cols) = @$p;
		my $rows = $self->{rows}{$src};
		my $collist = join(', ', map { $_->[0] } @$cols);
		for (my $i = 0; $i < @$rows; $i += 250)
		{
			my $last = $i + 249 < $#$rows ? $i + 249 : $#$rows;
			my $sql = "INSERT INTO $table ($collist) VALUES\n"
			  . join(",\n", map { '(' . join(', ', map { quote_lit($_) } @$_) . ')' } @$rows[ $i .. $last ]);
			$dbh->do($sql)
			  or BAIL_OUT("loading $table failed: " . $dbh->errstr . "\n" . substr($sql, 0, 2000));
		}
	}
	$dbh->do('DROP FOREIGN TABLE load_dimb_s2, load_dimb_m1')
	  or BAIL_OUT('dropping the loading tables failed: ' . $dbh->errstr);
	$dbh->do('ANALYZE ' . join(', ', 'lt', 'lt2', 'ldim', 'dim_loc', 'lw', 'lw2'));
	$dbh->disconnect;
	return;
}

=pod

=item $fed->check_load

TAP tests: the federated tables and their local twins have the same
number of rows, every server holds the rows of its partitions, and
MariaDB's collation does fold case and trailing spaces.

=cut

sub check_load
{
	my ($self) = @_;
	my $c = $self->{coord};
	for my $p ([ ft => 'lt' ], [ ft2 => 'lt2' ], map { [ $_ => $TABLE{$_}{local} ] }
		qw(dim_loc dim_pg dim_my dim_ref dim_refm dim_refb), @W_TABLES)
	{
		my ($f, $l) = @$p;
		my $n = $c->safe_psql('postgres', "SELECT count(*) FROM $l");
		is($c->safe_psql('postgres', "SELECT count(*) FROM $f"), $n, "$f holds as many rows as $l ($n)");
	}
	# rows per server, counted on the servers themselves
	for my $t ('ft', 'ft2')
	{
		my %want;
		for my $row (@{ $self->{rows}{$t} })
		{
			$want{ server_of_remainder($self->remainder_of_k($row->[0])) }++;
		}
		my %have;
		for my $i (1, 2)
		{
			my $s = $self->{shards}[ $i - 1 ];
			my @parts = grep { server_of_remainder($_) eq "s$i" } 0 .. $MODULUS - 1;
			my $sql = 'SELECT ' . join(' + ', map { sprintf('(SELECT count(*) FROM %s_p%02d)', $t, $_) } @parts);
			$have{"s$i"} = $s->safe_psql('postgres', $sql);
		}
		my @mparts = grep { server_of_remainder($_) eq 'm1' } 0 .. $MODULUS - 1;
		$have{m1} = $self->{mariadb}->sql('SELECT ' . join(' + ',
			map { sprintf('(SELECT count(*) FROM app.%s_p%02d)', $t, $_) } @mparts));
		is_deeply(\%have, \%want, "$t: each server holds the rows of its 12 partitions")
		  or diag(explain(\%have));
	}
	is($self->{mariadb}->sql(q{SELECT count(*) FROM app.dim WHERE name = 'a'}), '3',
		"MariaDB's collation calls 'a', 'A' and 'a ' equal (the trap is set)");

	# the layouts: every leaf holds rows, and the copies of the reference
	# tables are equal
	for my $l (@LAYOUTS)
	{
		my @leaves = map { $_->{name} } grep { $_->{server} } layout_parts($l);
		my $empty = $c->safe_psql('postgres', 'SELECT string_agg(p, \', \') FROM unnest(ARRAY['
			  . join(', ', map { "'$_'" } @leaves) . "]) p WHERE NOT EXISTS (SELECT 1 FROM $l->{name} t "
			  . "WHERE t.tableoid = p::regclass)");
		is($empty, '', "$l->{name}: each of its " . scalar(@leaves) . ' partitions holds rows');
	}
	my $m = $self->{mariadb};
	my $dump = q{SELECT concat_ws('|', grp, hex(name), w, active, hex(label)) FROM %s ORDER BY grp IS NULL, grp};
	my $want = $m->sql(sprintf($dump, 'app.dim'));
	is($m->sql(sprintf($dump, 'app.dimb')), $want, 'the MariaDB copies of dim and dimb hold the same rows');
	for my $i (1, 2)
	{
		my $s = $self->{shards}[ $i - 1 ];
		my $q = q{SELECT count(*) FROM (SELECT * FROM dim EXCEPT ALL SELECT * FROM %1$s UNION ALL
			SELECT * FROM %1$s EXCEPT ALL SELECT * FROM dim) d};
		is($c->safe_psql('postgres', "SELECT count(*) FROM ldim"), $s->safe_psql('postgres',
			'SELECT count(*) FROM dim'), "s$i: dim holds the rows");
		is($s->safe_psql('postgres', sprintf($q, 'dimb')), '0', "s$i: dimb holds the rows of dim");
	}
	# the collations MariaDB gave the layouts' text columns
	my %want;
	for my $l (@LAYOUTS)
	{
		for my $p (grep { ($_->{server} // '') eq 'm1' } layout_parts($l))
		{
			$want{"$p->{name}.tx"} = $p->{coll}[0];
			$want{"$p->{name}.vc"} = $p->{coll}[1];
		}
	}
	my %have = map { my ($t, $col, $coll) = split /\t/; ("$t.$col" => $coll) } split /\n/, $m->sql(
		q{SELECT table_name, column_name, collation_name FROM information_schema.columns
		  WHERE table_schema = 'app' AND table_name RLIKE '^w[a-z0-9]*_p' AND column_name IN ('tx', 'vc')});
	is_deeply(\%have, \%want, 'the MariaDB tables of the layouts have their collations')
	  or diag(explain(\%have));
	return;
}

sub fuzzer
{
	my ($self, %opts) = @_;
	return FederateTest::Differential::Fuzzer->new(fed => $self, %opts);
}

# Is the coordinator's postmaster running?
sub coord_alive
{
	my ($self) = @_;
	my $pidfile = $self->{coord}->data_dir . '/postmaster.pid';
	open(my $fh, '<', $pidfile) or return 0;
	my $pid = <$fh>;
	close $fh;
	chomp $pid;
	return $pid && kill(0, $pid) ? 1 : 0;
}

# Wait until the coordinator accepts connections again (it restarts by
# itself after a backend crash: restart_after_crash = on); start it if the
# postmaster is gone.  True when it is up.
sub ensure_coord_up
{
	my ($self) = @_;
	my $deadline = time + 90;
	my $started = 0;
	while (time < $deadline)
	{
		my $dbh = $self->connect;
		if ($dbh)
		{
			$dbh->disconnect;
			return 1;
		}
		if (!$self->coord_alive && !$started)
		{
			note('the coordinator is down: starting it');
			$self->{coord}->start(fail_ok => 1);
			$started = 1;
		}
		usleep(250_000);
	}
	return 0;
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

package FederateTest::Differential::Gen;

=pod

=head1 THE GENERATOR

C<< FederateTest::Differential::Gen->new(fed => $fed, seed => $s) >>;
C<< $gen->query($n) >> returns query number $n of seed $s: a hash with
C<shape> (its kind), C<steps> (statements run in order, each
C<< { sql => ..., ordered => 0|1 } >>: C<ordered> when its ORDER BY fully
determines the order of the rows, otherwise the rows are compared as a
multiset).  Query $n depends only on the seed and $n (srand is called
with both), so FUZZ_ONLY=n reproduces it alone.

Rules that keep every answer deterministic, so that a difference is a
bug: LIMIT/OFFSET only under a total ORDER BY (the unique id, id2 or grp of
every table involved, or every output column); WITH TIES compared as a
multiset (and OFFSET with it only when the output columns are the sort
keys); string_agg/array_agg ordered by their own argument; row_number,
lag, lead and the like ordered by a unique column; no expression that can
fail on some rows only (casts of text to numbers, overflow, infinite
dates) in a WHERE clause; no numeric values of different scales merged by
UNION or DISTINCT.

=cut

use strict;
use warnings;
use utf8;

our %TABLE;
*TABLE = \%FederateTest::Differential::TABLE;

sub r      { int(rand($_[0])) }
sub pick   { $_[ int(rand(@_)) ] }
sub chance { rand() < $_[0] }
sub lit_q  { FederateTest::Differential::quote_lit($_[0]) }

sub shuffle
{
	my @a = @_;
	for (my $i = $#a; $i > 0; $i--)
	{
		my $j = int(rand($i + 1));
		@a[ $i, $j ] = @a[ $j, $i ];
	}
	return @a;
}

sub new
{
	my ($class, %o) = @_;
	return bless { fed => $o{fed}, seed => $o{seed}, pool => $o{fed}{pool},
		kserver => $o{fed}{kserver} }, $class;
}

sub cols { return map { [ $_->[0], $_->[1] ] } @{ $TABLE{ $_[1] }{cols} } }

sub cls
{
	my ($g, $tbl, $col) = @_;
	for my $c (@{ $TABLE{$tbl}{cols} })
	{
		return $c->[1] if $c->[0] eq $col;
	}
	die "no column $col in $tbl";
}

# A dimension table: local, on one server, or a reference table with
# copies on every server (joined on the shards).
sub dim { return pick('dim_loc', 'dim_pg', 'dim_my', 'dim_ref', 'dim_refm', 'dim_refb') }

# A layout table (the wh family: MariaDB types and collations, range, list
# and two-level partitioning).
sub pick_w { return pick(qw(wh wh wh2 wr wr2 wl wl wt wt wu wu)) }

# A sharded table.
sub pick_sharded { return chance(0.5) ? 'ft' : pick_w() }

sub key_of { return $TABLE{ $_[0] }{key} }

# ---- constants -------------------------------------------------------------

my %EDGE = (
	int     => [ 0, -1, 1, 3, 7, 500, 1000, 2147483647, -2147483648 ],
	bigint  => [ '9000000000000000000', '-9000000000000000000', '9007199254740993', '9007199254740992',
		'0', '2147483648', '-1' ],
	numeric => [ '0', '1.5', '-1.5', '0.0001', '-0.0001', '9999999999999999.9999', '1.50000', '100000',
		'-99999.5' ],
	float   => [ '0', '-0', '0.1', '1e15', '1.7e18', '0.25', '-2.5', 'Infinity', 'NaN', '1e-10' ],
	date    => [ '2024-03-10', '1000-01-01', '9999-12-31', 'infinity', '2024-02-29', '-infinity', '2024-03-11' ],
	timestamp => [ '2024-03-10 23:59:59.999999', '2024-03-11 00:00:00', 'infinity', '-infinity',
		'2024-03-10 02:30:00', '1000-01-01 00:00:00', '2024-01-01 00:00:00' ],
	timestamptz => [ '2024-03-10 07:00:00+00', '2024-03-10 02:30:00', '2024-11-03 01:30:00 America/New_York',
		'infinity', '2024-03-31 01:00:00+00', '2024-03-10 05:30:00+00', '2024-06-30 23:59:59.999999+00',
		'2024-11-03 01:30:00' ],
	bool    => [ 'true', 'false' ],
	real    => [ '0', '0.1', '1.2345678', '100000.7', '1e-07', '16777217', '-2.5', 'NaN', 'Infinity', '3.4e+38',
		'0.33333334', '1e+30' ],
);
$EDGE{text} = $EDGE{varchar} = \@FederateTest::Differential::TEXTS;

sub text_variant
{
	my ($v) = @_;
	my $x = rand();
	return $v if $x < 0.45;
	return uc($v) if $x < 0.55;
	return lc($v) if $x < 0.60;
	return "$v " if $x < 0.72;
	return " $v" if $x < 0.80;
	if ($x < 0.88) { (my $t = $v) =~ s/\s+$//; return $t }
	return pick(@FederateTest::Differential::TEXTS);
}

# A value of column $col of $tbl (from its rows mostly), as a Perl string.
sub raw_value
{
	my ($g, $tbl, $col) = @_;
	my $cls  = $g->cls($tbl, $col);
	my $base = FederateTest::Differential::rows_of($tbl);
	my $v;
	if ($col eq 'k' && $base eq 'ft' && chance(0.85))
	{
		# a key on a chosen server, so that targeted queries reach each engine
		my $ks = $g->{kserver}{ pick('s1', 's2', 'm1') };
		$v = pick(@$ks);
	}
	elsif (chance(0.8) && @{ $g->{pool}{$base}{$col} || [] })
	{
		$v = pick(@{ $g->{pool}{$base}{$col} });
	}
	else
	{
		$v = pick(@{ $EDGE{$cls} });
	}
	$v = text_variant($v) if $cls eq 'text' || $cls eq 'varchar';
	return $v;
}

sub lit
{
	my ($cls, $v) = @_;
	if ($cls eq 'int' || $cls eq 'bigint')
	{
		return "$v";
	}
	if ($cls eq 'numeric')
	{
		return $v =~ /^-?[0-9.]+$/ ? $v : "'$v'::numeric";
	}
	if ($cls eq 'float')
	{
		return chance(0.5) && $v =~ /^[0-9.e+-]+$/ && $v !~ /^-/ ? $v : "'$v'::float8";
	}
	if ($cls eq 'real')
	{
		# a bare number is numeric: real = numeric compares as double
		my $plain = $v =~ /^[0-9.e+-]+$/ && $v !~ /^-/;
		return pick("'$v'::real", "REAL '$v'", $plain ? ("${v}::real", "${v}::real", $v) : ("'$v'::real"));
	}
	return lit_q($v) if $cls eq 'text' || $cls eq 'varchar';
	return $v eq 'true' ? 'true' : 'false' if $cls eq 'bool';
	if ($cls eq 'date')
	{
		return pick(lit_q($v), "DATE " . lit_q($v), lit_q($v) . '::date');
	}
	if ($cls eq 'timestamp')
	{
		return pick(lit_q($v), "TIMESTAMP " . lit_q($v), lit_q($v) . '::timestamp');
	}
	if ($cls eq 'timestamptz')
	{
		# without its offset the literal is read in the session's time zone
		$v =~ s/\+00$// if chance(0.4);
		return pick(lit_q($v), lit_q($v) . '::timestamptz', "TIMESTAMPTZ " . lit_q($v));
	}
	die "lit: unknown class $cls";
}

my %PARAM_TYPE = (
	int => 'int', bigint => 'bigint', numeric => 'numeric', float => 'float8', real => 'real', text => 'text',
	varchar => 'text', bool => 'boolean', date => 'date', timestamp => 'timestamp',
	timestamptz => 'timestamptz',
);

# A constant for a comparison with $tbl.$col: a literal, or in a prepared
# statement sometimes a parameter $n.
sub const
{
	my ($g, $tbl, $col, %o) = @_;
	my $cls = $g->cls($tbl, $col);
	if ($g->{param_mode} && !$o{noparam} && chance($o{pp} // 0.5))
	{
		push @{ $g->{params} }, { cls => $cls, tbl => $tbl, col => $col, type => $PARAM_TYPE{$cls} };
		return '$' . scalar(@{ $g->{params} });
	}
	return lit($cls, $g->raw_value($tbl, $col));
}

sub param_value
{
	my ($g, $p) = @_;
	return 'NULL' if chance(0.06);
	return 1 + r(30) if $p->{cls} eq 'limit';
	if ($p->{cls} eq 'keyarray')
	{
		return "'{}'::int[]" if chance(0.1);
		return 'ARRAY[' . join(', ', map { chance(0.05) ? 'NULL' : $g->raw_value($p->{tbl}, $p->{col}) } 1 .. 1 + r(5))
		  . ']::int[]';
	}
	if ($p->{cls} eq 'array')
	{
		return $g->array_literal($p->{tbl}, $p->{col}, r(5)) . "::$p->{type}";
	}
	return lit($p->{cls}, $g->raw_value($p->{tbl}, $p->{col})) . "::$p->{type}";
}

# An array constant '{...}' of $n values of $tbl.$col (some NULL), as an
# SQL string literal.
sub array_literal
{
	my ($g, $tbl, $col, $n) = @_;
	my @e = map {
		chance(0.08) ? 'NULL' : do { (my $v = $g->raw_value($tbl, $col)) =~ s/([\\"])/\\$1/g; qq{"$v"} }
	} 1 .. $n;
	return lit_q('{' . join(',', @e) . '}');
}

my %ARRAY_TYPE = (%PARAM_TYPE, varchar => 'varchar');

# x op ANY/ALL (array) with every comparison operator, over ARRAY[...] of
# constants (parameters in a prepared statement), an array literal (maybe
# empty), or a parameter that is a whole array.
sub anyall
{
	my ($g, $a, $tbl, $col) = @_;
	my $cls  = $g->cls($tbl, $col);
	my $type = $ARRAY_TYPE{$cls} . '[]';
	my $e    = "$a.$col";
	my $op   = pick('=', '<>', '<', '<=', '>', '>=');
	my $q    = pick('ANY', 'ALL', 'SOME', 'ANY', 'ALL');
	my $x    = rand();
	my $arr;
	if ($g->{param_mode} && $x < 0.3)
	{
		push @{ $g->{params} }, { cls => 'array', tbl => $tbl, col => $col, type => $type };
		$arr = '$' . scalar(@{ $g->{params} });
	}
	elsif ($x < 0.65)
	{
		my @el = map { chance(0.08) ? 'NULL' : $g->const($tbl, $col) } 1 .. 1 + r(4);
		$arr = 'ARRAY[' . join(', ', @el) . ']';
		# untyped literals (dates) or only NULLs would make it a text[]
		$arr .= "::$type" if chance(0.4) || !grep({ $_ ne 'NULL' } @el) || $cls =~ /^(date|timestamp)/;
	}
	else
	{
		$arr = $g->array_literal($tbl, $col, r(5)) . "::$type";
	}
	return "$e $op $q ($arr)";
}

# ---- predicates ------------------------------------------------------------

sub atom
{
	my ($g, $a, $tbl, $col) = @_;
	my $cls = $g->cls($tbl, $col);
	my $e   = "$a.$col";
	my $C   = sub { $g->const($tbl, $col, @_) };
	my $R   = sub { $g->raw_value($tbl, $col) };    # raw, for literals inside strings
	my @o;
	if ($cls eq 'int' || $cls eq 'bigint')
	{
		@o = (
			sub { "$e = " . $C->() }, sub { "$e = " . $C->() }, sub { "$e <> " . $C->() },
			sub { "$e < " . $C->() }, sub { "$e <= " . $C->() }, sub { "$e > " . $C->() },
			sub { "$e >= " . $C->() },
			sub { "$e BETWEEN " . $C->() . " AND " . $C->() },
			sub { "$e NOT BETWEEN " . $C->() . " AND " . $C->() },
			sub { "$e BETWEEN SYMMETRIC " . $C->() . " AND " . $C->() },
			sub { "$e IN (" . join(', ', map { $C->() } 1 .. 1 + r(4)) . ")" },
			sub { "$e NOT IN (" . $C->() . ", " . $C->() . ")" },
			sub { "$e NOT IN (" . $C->() . ", NULL)" },
			sub { "$e IN (" . $C->() . ", NULL)" },
			sub { "$e IS NULL" }, sub { "$e IS NOT NULL" },
			sub { "$e % 3 = 1" }, sub { "$e % 2 = 0" },
			sub { "$e + 1 > " . $C->() }, sub { "- $e > " . $C->() },
			sub { "${e}::text = " . lit_q($R->()) }, sub { "${e}::text LIKE '1%'" },
			sub { "$e = ANY (ARRAY[" . $C->() . ", " . $C->() . "])" },
			sub { "$e = ANY ('{" . $R->() . "," . $R->() . "}'::$cls\[])" },
			sub { "$e <> ALL (ARRAY[" . $C->() . ", " . $C->() . ", NULL])" },
			sub { "$e IS DISTINCT FROM " . $C->() }, sub { "$e IS NOT DISTINCT FROM " . $C->() },
			sub { "coalesce($e, -1) = -1" }, sub { "${e}::numeric / 3 > " . $C->() },
			sub { "$e = " . $R->() . ".0" }, sub { "${e}::float8 > " . $C->() },
			sub { "$e < 2.5" }, sub { "greatest($e, " . $C->() . ") = $e" },
		);
		if ($cls eq 'int')
		{
			push @o, sub { "$e * 2 <= " . $C->() }, sub { "abs($e) > " . $C->() },
			  sub { "$e = " . $R->() . "::bigint" };
		}
		else
		{
			push @o, sub { "$e / 1000 > " . $C->() }, sub { "$e = 9007199254740993::numeric" },
			  sub { "${e}::float8 = 9007199254740992" }, sub { "$e > 2147483647" },
			  sub { "$e < -2147483648" }, sub { "abs($e) >= 9000000000000000000" },
			  sub { "$e - 1 < " . $C->() }, sub { "${e}::numeric > " . $C->() };
		}
	}
	elsif ($cls eq 'numeric')
	{
		@o = (
			sub { "$e = " . $C->() }, sub { "$e <> " . $C->() }, sub { "$e < " . $C->() },
			sub { "$e >= " . $C->() }, sub { "$e > " . $C->() },
			sub { "$e BETWEEN " . $C->() . " AND " . $C->() },
			sub { "$e IN (" . $C->() . ", " . $C->() . ")" },
			sub { "$e IS NULL" }, sub { "$e IS NOT NULL" }, sub { "$e = 1.5" }, sub { "$e = 1.50000" },
			sub { "$e * 2 > " . $C->() }, sub { "round($e, 1) = " . $C->() },
			sub { "abs($e) < " . $C->() }, sub { "${e}::float8 > " . $C->() },
			sub { "trunc($e) = " . $C->() }, sub { "$e > -0.0001" },
			sub { "$e + 0.00005 > " . $C->() }, sub { "$e = 0" }, sub { "sign($e) = -1" },
			sub { "${e}::text LIKE '-%'" }, sub { "$e / 3 > " . $C->() }, sub { "$e % 1 = 0" },
			sub { "$e = 'NaN'" }, sub { "$e <> 'NaN'::numeric" },
			sub { "$e IS DISTINCT FROM " . $C->() }, sub { "floor($e) = ceil($e)" },
			sub { "$e > 9999999999999999" },
		);
	}
	elsif ($cls eq 'float')
	{
		@o = (
			sub { "$e = " . $C->() }, sub { "$e < " . $C->() }, sub { "$e > " . $C->() },
			sub { "$e BETWEEN " . $C->() . " AND " . $C->() }, sub { "$e = 0" }, sub { "$e < 0" },
			sub { "$e = -0.0" }, sub { "$e IS NULL" }, sub { "$e IS NOT NULL" }, sub { "$e > 1e15" },
			sub { "${e}::numeric > " . $C->() }, sub { "$e * 2 > " . $C->() },
			sub { "abs($e) < 1" }, sub { "$e IN (0.25, 0.1, -2.5)" }, sub { "$e = 0.1" },
			sub { "${e}::text = '0.1'" }, sub { "floor($e) = " . $C->() }, sub { "$e = 'NaN'" },
			sub { "$e > 'Infinity'::float8" }, sub { "$e >= 'Infinity'" }, sub { "$e <> $e" },
			sub { "$e = 9007199254740993" },
		);
		push @o, sub { "$e = 1.2345678" }, sub { "$e = 100000.7" }, sub { "$e = 1e-7" },
		  sub { "$e = 0.1::real" }, sub { "$e > 1e149" } if $tbl =~ /^w/;
	}
	elsif ($cls eq 'real')
	{
		# float4: MySQL's FLOAT read with 6 digits, real constants
		# compared with a FLOAT column as doubles
		@o = (
			sub { "$e = " . $C->() }, sub { "$e = " . $C->() }, sub { "$e <> " . $C->() },
			sub { "$e < " . $C->() }, sub { "$e >= " . $C->() }, sub { "$e > " . $C->() },
			sub { "$e = 0.1::real" }, sub { "$e = '0.1'::real" }, sub { "$e = 0.1" }, sub { "$e = 0.1::float8" },
			sub { "$e = 1.2345678::real" }, sub { "$e = REAL '100000.7'" }, sub { "$e = 1e-7::real" },
			sub { "$e = 16777217::real" }, sub { "$e = 16777217" }, sub { "$e > 1e29::real" },
			sub { "$e = 0.33333334::real" }, sub { "$e <> 0.1::real" }, sub { "$e < 0.1::real" },
			sub { "$e IN (0.1::real, 1.2345678::real, " . $C->() . ")" }, sub { "$e IN (0.25, 0.1)" },
			sub { "$e IN (" . $C->() . ", " . $C->() . ")" }, sub { "$e NOT IN (" . $C->() . ", 0.1::real)" },
			sub { "$e BETWEEN " . $C->() . " AND " . $C->() }, sub { "$e IS NULL" }, sub { "$e IS NOT NULL" },
			sub { "${e}::float8 = " . $C->() }, sub { "${e}::float8 = 0.1" }, sub { "${e}::numeric = 0.1" },
			sub { "$e * 2 > " . $C->() }, sub { "abs($e) < 1" }, sub { "$e < 0" }, sub { "$e = -2.5" },
			sub { "$e = 0" }, sub { "$e IS DISTINCT FROM " . $C->() }, sub { "${e}::text = '0.1'" },
			sub { "$e = 'NaN'" }, sub { "$e <> 'Infinity'::real" }, sub { "$e + 1 > " . $C->() },
			sub { "$e = ANY ('{0.1,1.2345678,100000.7}'::real[])" },
		);
	}
	elsif ($cls eq 'text' || $cls eq 'varchar')
	{
		my $pat = sub {
			my $v = $R->();
			my $x = rand();
			return lit_q(substr($v, 0, 1 + r(2)) . '%') if $x < 0.3;
			return lit_q('%' . substr($v, -1)) if $x < 0.45;
			return lit_q('_' . substr($v, 1)) if $x < 0.55 && length($v) > 1;
			return pick(q{'%\%%'}, q{'%\_%'}, q{'a\_%'}, q{'%é%'}, q{''}, q{'%'}, q{'_'}, q{'A%'},
				q{'% '}, q{' %'}, q{'%''%'}, q{'%\\\\%'}, q{'日%'}, q{'a%'}, q{'_ '});
		};
		@o = (
			sub { "$e = " . $C->() }, sub { "$e = " . $C->() }, sub { "$e = " . $C->() },
			sub { "$e <> " . $C->() },
			sub { "$e IN (" . join(', ', map { $C->() } 1 .. 1 + r(4)) . ")" },
			sub { "$e NOT IN (" . $C->() . ", " . $C->() . ")" },
			sub { "$e LIKE " . $pat->() }, sub { "$e NOT LIKE " . $pat->() },
			sub { "$e ILIKE " . $pat->() }, sub { "$e NOT ILIKE " . $pat->() },
			sub { "$e LIKE 'a!_%' ESCAPE '!'" },
			sub { "$e IS NULL" }, sub { "$e IS NOT NULL" }, sub { "$e = ''" }, sub { "$e <> ''" },
			sub { "$e > " . $C->() }, sub { "$e <= " . $C->() },
			sub { "$e COLLATE \"C\" < " . $C->() }, sub { "$e >= 'a' COLLATE \"C\"" },
			sub { "lower($e) = " . $C->() }, sub { "upper($e) = " . $C->() },
			sub { "length($e) = " . r(4) }, sub { "char_length($e) > 3" }, sub { "octet_length($e) > 3" },
			sub { "$e || 'x' = " . lit_q($R->() . 'x') }, sub { "trim($e) = " . $C->() },
			sub { "rtrim($e) = " . $C->() }, sub { "$e ~ '^a'" }, sub { "$e ~* '^É'" },
			sub { "$e !~ ' \$'" }, sub { "$e SIMILAR TO '(a|b)%'" },
			sub { "$e IS DISTINCT FROM " . $C->() }, sub { "$e IS NOT DISTINCT FROM " . $C->() },
			sub { "$e = ANY (ARRAY[" . $C->() . ", " . $C->() . "])" },
			sub { "$e <> ALL (ARRAY[" . $C->() . ", " . $C->() . "])" },
			sub { "starts_with($e, " . $C->() . ")" }, sub { "position('a' in $e) > 0" },
			sub { "${e}::varchar(1) = " . $C->() }, sub { "$e = " . lit_q($R->()) . "::char(3)" },
			sub { "${e}::char(3) = " . lit_q($R->()) }, sub { "$e = " . lit_q($R->()) . "::varchar" },
			sub { "$e = " . lit_q($R->()) . "::text" }, sub { "$e = " . lit_q($R->()) . " COLLATE \"C\"" },
			sub { "$e BETWEEN 'a' AND 'b'" }, sub { "upper($e) = lower($e)" },
		);
	}
	elsif ($cls eq 'bool')
	{
		@o = (
			sub { $e }, sub { "NOT $e" }, sub { "$e IS TRUE" }, sub { "$e IS NOT TRUE" },
			sub { "$e IS FALSE" }, sub { "$e IS NOT FALSE" }, sub { "$e IS UNKNOWN" },
			sub { "$e = " . $C->() }, sub { "$e <> " . $C->() }, sub { "$e IS NULL" },
			sub { "${e}::int = 1" }, sub { "${e}::text = 'true'" }, sub { "coalesce($e, true)" },
			sub { "$e IS DISTINCT FROM " . $C->() },
		);
	}
	elsif ($cls eq 'date')
	{
		@o = (
			sub { "$e = " . $C->() }, sub { "$e < " . $C->() }, sub { "$e >= " . $C->() },
			sub { "$e BETWEEN " . $C->() . " AND " . $C->() }, sub { "$e IS NULL" },
			sub { "$e IS NOT NULL" }, sub { "$e + 1 = " . $C->() }, sub { "$e - 1 > " . $C->() },
			sub { "extract(dow from $e) = 0" }, sub { "extract(year from $e) = 2024" },
			sub { "date_trunc('month', $e) = '2024-03-01'" }, sub { "$e < current_date" },
			sub { "$e = '2024-03-10'::timestamp" }, sub { "$e > '2024-03-10 12:00'::timestamp" },
			sub { "${e}::text LIKE '2024-03%'" }, sub { "to_char($e, 'YYYY') = '2024'" },
			sub { "$e = '2024-03-10'::timestamptz" }, sub { "$e < '2024-03-10 02:00:00+00'::timestamptz" },
			sub { "$e IN (" . $C->() . ", " . $C->() . ")" }, sub { "$e <> 'infinity'" },
			sub { "$e > '-infinity'::date" },
		);
	}
	elsif ($cls eq 'timestamp')
	{
		@o = (
			sub { "$e = " . $C->() }, sub { "$e < " . $C->() }, sub { "$e > " . $C->() },
			sub { "$e BETWEEN " . $C->() . " AND " . $C->() }, sub { "$e IS NULL" },
			sub { "${e}::date = '2024-03-10'" }, sub { "date_trunc('day', $e) = '2024-03-11'" },
			sub { "extract(hour from $e) = 23" }, sub { "extract(microseconds from $e) > 0" },
			sub { "$e + interval '1 microsecond' >= " . $C->() }, sub { "$e >= '2024-03-11'" },
			sub { "$e < '2024-03-11'::date" }, sub { "$e = '2024-03-10 07:00:00+00'::timestamptz" },
			sub { "$e > '2024-03-10 02:30:00'::timestamptz" }, sub { "${e}::time > '23:00'" },
			sub { "$e > now() - interval '100 years'" }, sub { "$e < localtimestamp" },
			sub { "$e IN (" . $C->() . ", " . $C->() . ")" }, sub { "$e < 'infinity'" },
		);
	}
	elsif ($cls eq 'timestamptz')
	{
		@o = (
			sub { "$e = " . $C->() }, sub { "$e < " . $C->() }, sub { "$e > " . $C->() },
			sub { "$e >= " . $C->() }, sub { "$e BETWEEN " . $C->() . " AND " . $C->() },
			sub { "$e IS NULL" }, sub { "${e}::date = '2024-03-10'" }, sub { "${e}::date = '2024-11-03'" },
			sub { "date_trunc('day', $e) = '2024-03-10'" }, sub { "extract(hour from $e) = 2" },
			sub { "extract(hour from $e) = 0" },
			sub { "$e AT TIME ZONE 'UTC' < '2024-03-10 07:00:00'" },
			sub { "$e AT TIME ZONE 'America/St_Johns' > '2024-03-10 02:00'" },
			sub { "${e}::timestamp < '2024-03-10 03:00'" }, sub { "$e + interval '1 day' > " . $C->() },
			sub { "${e}::time < '00:30'" }, sub { "$e > '2024-03-10 02:30:00'" }, sub { "$e < now()" },
			sub { "${e}::text LIKE '2024-03-10%'" }, sub { "to_char($e, 'HH24') = '01'" },
			sub { "$e = '2024-03-10'::date" }, sub { "$e IN (" . $C->() . ", " . $C->() . ")" },
			sub { "$e > 'epoch'" },
		);
	}
	else
	{
		die "atom: class $cls";
	}
	push @o, (sub { $g->anyall($a, $tbl, $col) }) x (2 + int(@o / 10));
	if ($g->{fed}{pg_prune_bug} && $TABLE{$tbl}{range_default_keys} && $TABLE{$tbl}{range_default_keys}{$col})
	{
		# see _probe_pruning
		for (1 .. 50)
		{
			my $c = pick(@o)->();
			return $c unless $c =~ /\bIS (NOT )?NULL\b/;
		}
		return "$e IS NOT DISTINCT FROM " . $C->();
	}
	return pick(@o)->();
}

# Conditions between columns of one row.
my %CROSS = (
	ft => [
		'A.k = A.grp', 'A.id < A.k * 3', 'A.ts::date = A.dt', 'A.num > A.flt', 'A.big > A.num',
		'A.txt = A.vc', 'A.txt < A.vc', 'A.tstz > A.ts', 'A.dt < A.tstz', 'A.flt::numeric = A.num',
		'A.k + A.grp > 500', 'lower(A.txt) = lower(A.vc)', 'A.tstz::date = A.dt',
		'A.txt IS NOT DISTINCT FROM A.vc', 'A.id % 7 = A.grp', 'A.num = A.big',
		q{A.tstz > now() - interval '1000 days'}, q{A.ts > localtimestamp - interval '3 years'},
		'A.dt < current_date - 500', q{date_trunc('day', A.tstz) = A.dt},
		q{extract(hour from A.tstz) = extract(hour from A.ts)}, 'A.big % 100000 * 2 > A.k::bigint + 7',
		'coalesce(A.grp, A.k) = 3', q{CASE WHEN A.flag THEN A.k ELSE A.grp END > 2},
		'nullif(A.k, 4) IS NULL',
	],
	ft2 => [ 'A.k = A.ref_id % 1000', 'A.amt > A.k', 'A.t2 = upper(A.t2)', 'A.ts2::date > \'2024-01-01\'',
		'A.id2 > A.ref_id' ],
	dim => [ 'A.name = A.label', 'A.w > A.grp', 'A.name = upper(A.name)' ],
	# tx and vc differ in collation on MariaDB; INT UNSIGNED minus a
	# signed value is an error there when negative
	w => [ 'A.tx = A.vc', 'A.tx <> A.vc', 'A.tx < A.vc', 'A.tx IS NOT DISTINCT FROM A.vc', 'lower(A.tx) = A.vc',
		'A.f4 = A.f8', 'A.f4 < A.f8', 'A.f4::float8 = A.f8', 'A.nm > A.f4', 'A.nm = A.f8', 'A.f4 = A.nm',
		'A.u64 > A.u32', 'A.u32 = A.k', 'A.u32 - A.k > 100', 'A.k - A.u32 < 0', 'A.u32 + A.k > 4294967295',
		'A.u32 * 2 > 4294967295', 'A.g = A.k % 10', 'A.u64 % 7 = A.g', 'A.u64 > A.nm', 'A.k + A.g > 50',
		'coalesce(A.g, A.k) = 3', 'A.id < A.k * 4', 'A.u32 - 1 < A.g', '- A.u32 < A.k', 'A.u32 - A.u32 = 0',
		'A.f4 * 2 > A.f8', 'A.tx = A.vc AND A.k = A.g', 'A.vc || A.tx = A.tx || A.vc' ],
);

# Conditions that do not depend on the row (pseudoconstants), and
# contradictions federation must not get wrong.
sub pseudo
{
	my ($g, $a, $tbl) = @_;
	my $d = dim();
	my @o = (
		q{now() < '2000-01-01'}, q{now() > '2000-01-01'}, q{current_setting('TimeZone') = 'UTC'},
		q{current_setting('TimeZone') <> 'UTC'}, '1 = 0', '1 = 1', 'false', 'NULL::boolean',
		q{current_date > '2000-01-01'}, 'random() < 2', 'random() > 2',
		"(SELECT count(*) FROM $d) > 100", "(SELECT count(*) FROM $d) > 5",
		"EXISTS (SELECT 1 FROM $d WHERE grp = 100)", "NOT EXISTS (SELECT 1 FROM $d)",
		'current_user IS NULL', 'pg_backend_pid() IS NOT NULL', "(SELECT max(w) FROM $d) > 0",
		q{current_setting('TimeZone') = 'Asia/Kathmandu'},
	);
	if (defined $a && $tbl eq 'ft')
	{
		push @o, "$a.txt = 'a' AND $a.txt = 'a '", "$a.vc = 'A' AND $a.vc = 'a'",
		  "$a.k = 5 AND $a.k = 6", "$a.k IS NULL AND $a.k = 3", "$a.grp = 1 AND $a.grp = 1.0",
		  "$a.txt = 'é' AND $a.txt = 'É'", "$a.vc = 'b' AND $a.vc = 'b '";
	}
	if (defined $a && $TABLE{$tbl}{base} eq 'w')
	{
		push @o, "$a.tx = 'us' AND $a.tx = 'us '", "$a.vc = 'ü' AND $a.vc = 'u'", "$a.f4 = 0.1 AND $a.f4 = 0.1::real",
		  "$a.u32 = 4294967295 AND $a.u32 = -1", "$a.tx = 'ss' AND $a.tx = 'ß'";
	}
	return pick(@o);
}

sub pred
{
	my ($g, $scope, $depth) = @_;
	$depth //= 0;
	my $x = rand();
	if ($depth < 2 && $x < 0.18)
	{
		return '(' . $g->pred($scope, $depth + 1) . (chance(0.6) ? ' AND ' : ' OR ')
		  . $g->pred($scope, $depth + 1) . ')';
	}
	return 'NOT (' . $g->pred($scope, $depth + 1) . ')' if $depth < 2 && $x < 0.22;
	my $s = pick(@$scope);
	if ($x < 0.27)
	{
		(my $c = pick(@{ $CROSS{ $TABLE{ $s->{tbl} }{base} } })) =~ s/\bA\./$s->{alias}./g;
		return $c;
	}
	return $g->pseudo($s->{alias}, $s->{tbl}) if $x < 0.29;
	my @cols = $g->cols($s->{tbl});
	my $col = ($TABLE{ $s->{tbl} }{key} && chance(0.25)) ? key_of($s->{tbl}) : pick(@cols)->[0];
	return $g->atom($s->{alias}, $s->{tbl}, $col);
}

# WHERE clause for $scope.  In a prepared statement the first table's
# partition key is compared with parameters most of the time.
sub where
{
	my ($g, $scope, %o) = @_;
	my @c;
	my $s0 = $scope->[0];
	if ($g->{param_mode} && $g->{key_param} && $TABLE{ $s0->{tbl} }{key} && chance(0.8))
	{
		$g->{key_param} = 0;
		my $kc = key_of($s0->{tbl});
		my $e = "$s0->{alias}.$kc";
		my $P = sub { $g->const($s0->{tbl}, $kc, pp => 1) };
		push @c, pick(sub { "$e = " . $P->() }, sub { "$e = " . $P->() },
			sub { "$e IN (" . $P->() . ', ' . $P->() . ')' },
			sub { "$e BETWEEN " . $P->() . ' AND ' . $P->() },
			sub { "($e = " . $P->() . " OR $e = " . $P->() . ')' },
			sub { "$e = ANY (ARRAY[" . $P->() . ', ' . $P->() . '])' },
			sub {
				push @{ $g->{params} }, { cls => 'keyarray', tbl => $s0->{tbl}, col => $kc, type => 'int[]' };
				"$e = ANY (\$" . scalar(@{ $g->{params} }) . ')';
			})->();
	}
	elsif ($TABLE{ $s0->{tbl} }{key} && chance(0.2))
	{
		# one or a few shards, so that each engine also answers alone
		my $kc = key_of($s0->{tbl});
		my $C = sub { $g->const($s0->{tbl}, $kc) };
		push @c, pick(sub { "$s0->{alias}.$kc = " . $C->() },
			sub { "$s0->{alias}.$kc IN (" . $C->() . ', ' . $C->() . ')' },
			($g->{fed}{pg_prune_bug} && ($TABLE{ $s0->{tbl} }{range_default_keys} || {})->{$kc}) ? ()
			  : sub { "$s0->{alias}.$kc IS NULL" })->();
	}
	push @c, $g->pred($scope) if chance($o{p} // 0.8);
	push @c, $g->pseudo($s0->{alias}, $s0->{tbl}) if $g->{force_pseudo} || chance(0.04);
	$g->{force_pseudo} = 0;
	push @c, @{ $o{extra} || [] };
	return @c ? ' WHERE ' . join(' AND ', @c) : '';
}

# ---- expressions -----------------------------------------------------------

sub expr
{
	my ($g, $a, $tbl, $col) = @_;
	my $cls = $g->cls($tbl, $col);
	my $e = "$a.$col";
	return $e if chance(0.6);
	my %o = (
		int => [ "$e + 1", "$e * 2", "$e % 3", "abs($e)", "- $e", "coalesce($e, 0)", "${e}::text",
			"${e}::numeric / 3", "greatest($e, 5)", "CASE WHEN $e > 3 THEN 'hi' ELSE 'lo' END", "$e / 2",
			"${e}::float8 / 4", "${e}::bigint * 3 - 1", "nullif($e, 2)", "md5(${e}::text)",
			"CASE $e WHEN 1 THEN 10 WHEN 2 THEN 20 ELSE $e END", "coalesce($e, -1) + 1::bigint",
			"CASE WHEN $e IS NULL THEN 0 WHEN $e > 2 THEN 1 ELSE -1 END" ],
		bigint => [ "$e / 7", "$e % 100", "${e}::numeric * 2", "${e}::float8", "$e - 1", "${e}::text", "abs($e)",
			"($e % 1000) * 2 + 1", "nullif($e, 0)", "coalesce($e, 0) % 7 - 5" ],
		numeric => [ "round($e, 2)", "$e * 2", "$e / 3", "trunc($e)", "abs($e)", "${e}::float8", "- $e",
			"$e + 0.00001", "ceil($e)", "floor($e)", "sign($e)", "${e}::text", "round($e)", "scale($e)",
			"${e}::numeric(30,10)" ],
		float => [ "$e * 2", "abs($e)", "$e / 2", "floor($e)", "${e}::text", "sign($e)", "$e + 1",
			"${e}::real", "cbrt($e)", "round(${e}::numeric, 3)" ],
		real => [ "$e * 2", "abs($e)", "$e / 2", "- $e", "$e + 1", "${e}::float8", "${e}::numeric",
			"round(${e}::numeric, 2)", "${e}::text", "floor($e)", "sign($e)", "coalesce($e, 0)",
			"${e}::float8 * 3", "greatest($e, 1)", "CASE WHEN $e > 1 THEN 'big' ELSE 'small' END",
			"nullif($e, 0.1::real)", "${e}::float8 = 0.1" ],
		text => [ "lower($e)", "upper($e)", "length($e)", "$e || '!'", "trim($e)", "substr($e, 1, 2)",
			"left($e, 1)", "md5($e)", "$e COLLATE \"C\"", "replace($e, 'a', 'x')", "reverse($e)",
			"octet_length($e)", "coalesce($e, '<null>')", "quote_literal($e)", "position('a' in $e)",
			"initcap($e)", "split_part($e, ' ', 1)", "rtrim($e)", "concat($e, '|', $e)",
			"format('%s|', $e)", "${e}::varchar(2)", "${e}::char(3)", "ascii($e)", "convert_to($e, 'UTF8')" ],
		bool => [ "NOT $e", "$e IS TRUE", "coalesce($e, false)", "${e}::int", "${e}::text",
			"CASE WHEN $e THEN 'y' WHEN NOT $e THEN 'n' END" ],
		date => [ "$e + 1", "extract(dow from $e)", "date_trunc('month', $e)", "to_char($e, 'YYYY-MM')",
			"extract(year from $e)", "${e}::timestamp", "${e}::text", "date_part('doy', $e)",
			"${e}::timestamptz", "extract(isodow from $e)", "extract(week from $e)",
			"extract(isoyear from $e)", "date_trunc('quarter', $e)", "date_trunc('week', $e)",
			"extract(quarter from $e)" ],
		timestamp => [ "date_trunc('hour', $e)", "${e}::date", "extract(hour from $e)",
			"$e + interval '1 minute'", "to_char($e, 'YYYY-MM-DD HH24:MI:SS.US')",
			"$e - interval '1 day'", "extract(epoch from $e)", "${e}::time", "${e}::text",
			"${e}::timestamptz", "date_trunc('month', $e)", "date_trunc('minute', $e)",
			"extract(doy from $e)", "date_part('minute', $e)", "date_trunc('year', $e)",
			"date_trunc('week', $e)" ],
		timestamptz => [ "${e}::date", "date_trunc('day', $e)", "extract(hour from $e)",
			"$e AT TIME ZONE 'UTC'", "$e AT TIME ZONE 'America/New_York'",
			"to_char($e, 'YYYY-MM-DD HH24:MI TZ')", "${e}::text", "extract(epoch from $e)",
			"$e + interval '1 day'", "${e}::time", "${e}::timestamp",
			"date_trunc('hour', $e, 'Asia/Kathmandu')", "date_trunc('month', $e)", "date_trunc('week', $e)",
			"date_trunc('year', $e)", "date_trunc('quarter', $e)", "date_trunc('minute', $e)",
			"date_trunc('second', $e)", "extract(dow from $e)", "extract(isodow from $e)",
			"extract(doy from $e)", "extract(week from $e)", "extract(isoyear from $e)",
			"extract(year from $e)", "extract(month from $e)", "date_part('day', $e)",
			"extract(minute from $e)", "$e - interval '1 month'", "$e > now() - interval '3 years'",
			"$e < current_date - 400" ],
	);
	$o{varchar} = [ map { my $x = $_; $x } @{ $o{text} } ];
	return pick(@{ $o{$cls} });
}

# $n select-list items over $scope, columns in random order.
sub sel_items
{
	my ($g, $scope, $n) = @_;
	my @items;
	for (1 .. $n)
	{
		my $s = pick(@$scope);
		my $col = pick($g->cols($s->{tbl}))->[0];
		push @items, $g->expr($s->{alias}, $s->{tbl}, $col);
	}
	return @items;
}

sub dir
{
	return '' if chance(0.4);
	return pick(' ASC', ' DESC', ' NULLS FIRST', ' NULLS LAST', ' DESC NULLS LAST', ' ASC NULLS FIRST',
		' DESC NULLS FIRST');
}

# A total order over the rows of $scope: some random keys, then every
# table's unique column; over a join also every output column ($ncols of
# them), for an outer join may give two rows NULL for every unique column.
sub total_order
{
	my ($g, $scope, $nkeys, $ncols) = @_;
	$nkeys //= r(3);
	my @k;
	for (1 .. $nkeys)
	{
		my $s = pick(@$scope);
		my $col = pick($g->cols($s->{tbl}))->[0];
		my $e = chance(0.8) ? "$s->{alias}.$col" : $g->expr($s->{alias}, $s->{tbl}, $col);
		push @k, $e . dir();
	}
	push @k, "$_->{alias}.$TABLE{ $_->{tbl} }{uniq}" . dir() for @$scope;
	push @k, positions($ncols, 1) if @$scope > 1 && $ncols;
	return join(', ', @k);
}

sub positions
{
	my ($n, $withdir) = @_;
	return join(', ', map { $_ . ($withdir ? dir() : '') } 1 .. $n);
}

sub limit_clause
{
	my ($g) = @_;
	my $n = pick(1, 2, 3, 5, 7, 10, 20, 50, 100, 0);
	my $off = chance(0.35) ? pick(1, 2, 5, 13, 100, 2000) : undef;
	if ($g->{param_mode} && chance(0.4))
	{
		push @{ $g->{params} }, { cls => 'limit', type => 'bigint' };
		$n = '$' . scalar(@{ $g->{params} });
	}
	return pick(" LIMIT $n" . (defined $off ? " OFFSET $off" : ''),
		(defined $off ? " OFFSET $off ROWS" : '') . " FETCH FIRST $n ROWS ONLY",
		(defined $off ? " OFFSET $off" : '') . " FETCH NEXT $n ROW ONLY");
}

# ---- aggregates ------------------------------------------------------------

sub agg
{
	my ($g, $scope, %o) = @_;
	return 'count(*)' if chance(0.12);
	my $s = pick(@$scope);
	my ($a, $tbl) = ($s->{alias}, $s->{tbl});
	my $col = pick($g->cols($tbl))->[0];
	my $cls = $g->cls($tbl, $col);
	my $E = "$a.$col";
	my @o;
	if ($cls =~ /^(int|bigint|numeric|float|real)$/)
	{
		@o = ("sum($E)", "avg($E)", "min($E)", "max($E)", "count($E)", "count(DISTINCT $E)",
			"sum(DISTINCT $E)", "avg(DISTINCT $E)", "stddev($E)", "stddev_pop($E)", "var_samp($E)",
			"variance($E)", "var_pop($E)", "percentile_cont(0.5) WITHIN GROUP (ORDER BY ${E}::float8)",
			"percentile_cont(ARRAY[0.25, 0.75]) WITHIN GROUP (ORDER BY ${E}::float8)",
			"percentile_disc(0.3) WITHIN GROUP (ORDER BY $E)", "mode() WITHIN GROUP (ORDER BY $E)",
			"sum($E * 2)", "sum($E) / nullif(count($E), 0)", "sum($E) + 1", "sum($E) FILTER (WHERE $E > 0)");
		push @o, "bit_and($E)", "bit_or($E)", "bit_xor($E)", "sum(${E}::bigint)", "max($E) - min($E)",
		  "array_agg(DISTINCT $E ORDER BY $E)", "avg(${E}::float8)"
		  if $cls eq 'int';
		if ($tbl eq 'ft' && $col =~ /^(k|id|grp)$/)
		{
			# only over small ranges: the result of a near-zero correlation
			# of huge values depends on the summation order in many digits
			# with another column: regr_intercept(x.id, x.id) is 0 give or take
			# the rounding of the summation order
			my $o1 = pick(grep { $_ ne $col } qw(k id grp));
			my $o2 = pick(grep { $_ ne $col } qw(k id grp));
			push @o, "corr($E, $a.$o1)", "regr_slope($E, $a.$o2)", "covar_pop($E, $a.$o1)",
			  "regr_intercept($a.$o2, $E)", "regr_r2($E, $a.$o1)", "covar_samp($a.$o2, $E)",
			  "regr_count($E, $a.$o1)", "regr_avgx($a.$o2, $E)", "regr_sxy($E, $a.$o1)";
		}
	}
	elsif ($cls eq 'text' || $cls eq 'varchar')
	{
		@o = ("min($E)", "max($E)", "count($E)", "count(DISTINCT $E)", "string_agg($E, ',' ORDER BY $E)",
			"string_agg(DISTINCT $E, '|' ORDER BY $E)", "array_agg($E ORDER BY $E NULLS FIRST)",
			"max($E COLLATE \"C\")", "min(lower($E))", "mode() WITHIN GROUP (ORDER BY $E)",
			"percentile_disc(0.5) WITHIN GROUP (ORDER BY $E)", "count(DISTINCT lower($E))",
			"string_agg($E, ',' ORDER BY $E DESC)", "jsonb_agg($E ORDER BY $E)", "max(length($E))",
			"sum(octet_length($E))", "min($E COLLATE \"C\")", "count(*) FILTER (WHERE $E = 'a')",
			"array_agg(DISTINCT $E ORDER BY $E)");
	}
	elsif ($cls eq 'bool')
	{
		@o = ("bool_and($E)", "bool_or($E)", "every($E)", "count(*) FILTER (WHERE $E)", "count($E)",
			"count(DISTINCT $E)", "sum(${E}::int)", "array_agg($E ORDER BY $E)", "min(${E}::int)");
	}
	else
	{
		@o = ("min($E)", "max($E)", "count(DISTINCT $E)", "array_agg($E ORDER BY $E)",
			"percentile_disc(0.5) WITHIN GROUP (ORDER BY $E)", "mode() WITHIN GROUP (ORDER BY $E)",
			"count($E)", "string_agg(${E}::text, ',' ORDER BY $E)", "max(${E}::date)", "min($E)::text");
	}
	my $agg = pick(@o);
	# sum(real) adds in float4: its last digits depend on the order of
	# the rows (and a shard may add in double)
	$g->{loose_float} = 1 if $cls eq 'real' && $agg =~ /\bsum\(/;
	$agg .= ' FILTER (WHERE ' . $g->pred($scope, 1) . ')' if chance(0.12) && one_call($agg);
	return $agg;
}

# Is $s one aggregate call (FILTER may follow it)?
sub one_call
{
	my ($s) = @_;
	return 0 if $s =~ /FILTER/ || $s !~ /^\w+\(/;
	my $depth = 0;
	for my $i (0 .. length($s) - 1)
	{
		my $ch = substr($s, $i, 1);
		$depth++ if $ch eq '(';
		$depth-- if $ch eq ')';
		if ($depth == 0 && $ch eq ')')
		{
			my $rest = substr($s, $i + 1);
			return $rest eq '' || $rest =~ /^ WITHIN GROUP \(.*\)$/;
		}
	}
	return 0;
}

my %GEXPR = (
	ft => [ 'A.grp', 'A.grp', 'A.flag', 'A.txt', 'A.vc', 'A.dt', 'A.k', 'A.grp % 3', 'A.k % 5',
		'lower(A.txt)', 'upper(A.vc)', q{date_trunc('month', A.ts)}, q{date_trunc('day', A.tstz)},
		'extract(year from A.dt)', 'extract(hour from A.tstz)', 'A.tstz::date', 'A.ts::date',
		q{CASE WHEN A.num > 0 THEN 'pos' WHEN A.num < 0 THEN 'neg' ELSE 'zero' END}, 'length(A.txt)',
		'coalesce(A.grp, -1)', 'A.txt COLLATE "C"', '(A.num > 0)', 'A.flt', 'A.big % 3', 'A.num',
		'A.ts', 'A.tstz', q{A.vc || '|'}, 'A.id % 10', 'trunc(A.num, -3)', 'A.grp::text || A.flag::text',
		'rtrim(A.txt)', 'A.flt > 0', q{date_trunc('week', A.tstz)}, 'extract(isodow from A.tstz)',
		'extract(week from A.ts)', q{date_trunc('quarter', A.dt)}, 'A.big % 1000 * 2', 'nullif(A.grp, 1)',
		q{CASE A.grp WHEN 1 THEN 'one' WHEN 2 THEN 'two' ELSE 'other' END}, 'md5(A.k::text)',
		q{date_trunc('hour', A.tstz)}, 'extract(dow from A.ts)' ],
	ft2 => [ 'A.flag2', 'A.t2', 'A.k % 7', q{date_trunc('day', A.ts2)}, 'A.ref_id % 4', 'lower(A.t2)',
		'(A.amt > 0)', 'A.k' ],
	dim => [ 'A.active', 'A.name', 'A.label', 'A.grp' ],
	w => [ 'A.g', 'A.g', 'A.k', 'A.tx', 'A.vc', 'A.tx', 'A.f4', 'A.f8', 'A.nm', 'A.u64', 'A.u32', 'A.u32 % 3',
		'lower(A.tx)', 'A.tx COLLATE "C"', 'A.g % 3', 'A.k % 5', '(A.f4 > 1)', 'A.u64 > 9223372036854775807',
		'A.u32 > 2147483647', 'rtrim(A.vc)', 'A.f4::float8', 'round(A.nm)', 'A.u64 % 1000', 'A.vc || A.tx',
		'(A.tx = A.vc)', 'A.u32 - 1', 'A.f4 * 2', 'length(A.tx)', 'upper(A.vc)' ],
);

sub gexpr
{
	my ($g, $s) = @_;
	(my $e = pick(@{ $GEXPR{ $TABLE{ $s->{tbl} }{base} } })) =~ s/\bA\./$s->{alias}./g;
	return $e;
}

sub having
{
	my ($g, $scope) = @_;
	my $x = rand();
	return 'count(*) > ' . r(60) if $x < 0.3;
	return $g->agg($scope) . ' IS NOT NULL' if $x < 0.5;
	return 'count(*) = ' . r(5) if $x < 0.6;
	return $g->pseudo() if $x < 0.7;
	my $s = pick(@$scope);
	my @num = grep { $_->[1] =~ /^(int|bigint|numeric|float|real)$/ } $g->cols($s->{tbl});
	my $c = pick(@num)->[0];
	$g->{loose_float} = 1 if $g->cls($s->{tbl}, $c) eq 'real';
	return pick("sum($s->{alias}.$c) > 0", "avg($s->{alias}.$c) < 1000", "min($s->{alias}.$c) < 0",
		"max($s->{alias}.$c) >= " . $g->const($s->{tbl}, $c));
}

sub pick_table
{
	my $x = rand();
	return 'ft' if $x < 0.42;
	return 'ft2' if $x < 0.54;
	return pick_w() if $x < 0.9;
	return dim();
}

# ---- query shapes ----------------------------------------------------------
# Each returns { sql, ncols, ordered (total ORDER BY), has_order (top-level
# ORDER BY or LIMIT present) }.

sub q_select_rows
{
	my ($g) = @_;
	my $tbl = pick_table();
	my $scope = [ { alias => 'x', tbl => $tbl } ];
	my @items = $g->sel_items($scope, 1 + r(5));
	my $sql = 'SELECT ' . join(', ', @items) . " FROM $tbl x" . $g->where($scope);
	my %q = (ncols => scalar(@items));
	if ($g->{need_order} || chance(0.3))
	{
		$sql .= ' ORDER BY ' . $g->total_order($scope);
		$sql .= $g->limit_clause if chance(0.5);
		@q{qw(ordered has_order)} = (1, 1);
	}
	return { %q, sql => $sql };
}

sub q_aggregate
{
	my ($g) = @_;
	my $tbl = pick_table();
	my $scope = [ { alias => 'x', tbl => $tbl } ];
	my @aggs = map { $g->agg($scope) } 1 .. 1 + r(5);
	return { sql => 'SELECT ' . join(', ', @aggs) . " FROM $tbl x" . $g->where($scope),
		ncols => scalar(@aggs), ordered => 1 };
}

sub q_group_by
{
	my ($g) = @_;
	my $tbl = chance(0.85) ? pick_sharded() : pick_table();
	my $scope = [ { alias => 'x', tbl => $tbl } ];
	my %seen;
	my @keys = grep { !$seen{$_}++ } map { $g->gexpr($scope->[0]) } 1 .. 1 + r(2);
	my @aggs = map { $g->agg($scope) } 1 .. 1 + r(4);
	my @items = chance(0.8) ? (@keys, @aggs) : (@aggs, @keys);
	my $sql = 'SELECT ' . join(', ', @items) . " FROM $tbl x" . $g->where($scope)
	  . ' GROUP BY ' . (chance(0.3) && $items[0] eq $keys[0] ? positions(scalar @keys) : join(', ', @keys));
	$sql .= ' HAVING ' . $g->having($scope) if chance(0.3);
	my %q = (ncols => scalar(@items));
	if ($g->{need_order} || chance(0.35))
	{
		$sql .= ' ORDER BY ' . positions(scalar(@items), 1);
		$sql .= $g->limit_clause if chance(0.5);
		@q{qw(ordered has_order)} = (1, 1);
	}
	return { %q, sql => $sql };
}

sub q_grouping_sets
{
	my ($g) = @_;
	my $tbl = pick_sharded();
	my $scope = [ { alias => 'x', tbl => $tbl } ];
	my ($k1, $k2);
	do { ($k1, $k2) = ($g->gexpr($scope->[0]), $g->gexpr($scope->[0])) } while $k1 eq $k2;
	my $gs = pick("ROLLUP ($k1, $k2)", "CUBE ($k1, $k2)", "GROUPING SETS (($k1), ($k2), ())",
		"GROUPING SETS (($k1, $k2), ($k1))", "$k1, ROLLUP ($k2)", "GROUPING SETS ($k1, $k2)");
	my @aggs = map { $g->agg($scope) } 1 .. 1 + r(3);
	my @items = ($k1, $k2, "GROUPING($k1, $k2)", @aggs);
	my $sql = 'SELECT ' . join(', ', @items) . " FROM $tbl x" . $g->where($scope) . " GROUP BY $gs";
	$sql .= ' HAVING ' . $g->having($scope) if chance(0.2);
	my %q = (ncols => scalar(@items));
	if ($g->{need_order} || chance(0.3))
	{
		$sql .= ' ORDER BY ' . positions(scalar(@items), 1);
		$sql .= $g->limit_clause if chance(0.4);
		@q{qw(ordered has_order)} = (1, 1);
	}
	return { %q, sql => $sql };
}

sub q_distinct
{
	my ($g) = @_;
	my $tbl = pick_table();
	my $scope = [ { alias => 'x', tbl => $tbl } ];
	if (chance(0.4))
	{
		my $k = $g->gexpr($scope->[0]);
		my @items = ($k, $g->sel_items($scope, 1 + r(3)));
		return { sql => "SELECT DISTINCT ON ($k) " . join(', ', @items) . " FROM $tbl x"
			  . $g->where($scope) . " ORDER BY $k" . dir() . ', ' . $g->total_order($scope, 0),
			ncols => scalar(@items), ordered => 1, has_order => 1 };
	}
	my $n = 1 + r(3);
	my @items = map { pick($g->gexpr($scope->[0]), $g->sel_items($scope, 1)) } 1 .. $n;
	my $sql = 'SELECT DISTINCT ' . join(', ', @items) . " FROM $tbl x" . $g->where($scope);
	my %q = (ncols => $n);
	if ($g->{need_order} || chance(0.4))
	{
		$sql .= ' ORDER BY ' . positions($n, 1);
		$sql .= $g->limit_clause if chance(0.5);
		@q{qw(ordered has_order)} = (1, 1);
	}
	return { %q, sql => $sql };
}

sub q_order_limit
{
	my ($g) = @_;
	my $tbl = chance(0.85) ? pick_sharded() : pick_table();
	my $scope = [ { alias => 'x', tbl => $tbl } ];
	my @items = $g->sel_items($scope, 1 + r(4));
	return { sql => 'SELECT ' . join(', ', @items) . " FROM $tbl x" . $g->where($scope, p => 0.6)
		  . ' ORDER BY ' . $g->total_order($scope, r(3)) . $g->limit_clause,
		ncols => scalar(@items), ordered => 1, has_order => 1 };
}

my %TIE_KEYS = (
	ft => [ 'x.grp', 'x.flag', 'x.dt', 'x.txt', 'x.k', 'lower(x.txt)', 'x.vc', 'x.grp % 2', 'x.tstz::date' ],
	w  => [ 'x.g', 'x.k', 'x.tx', 'x.vc', 'x.f4', 'x.u32 % 3', 'lower(x.tx)', 'x.g % 2', 'x.u64 > 9223372036854775807' ],
);

sub q_with_ties
{
	my ($g) = @_;
	my $tbl = pick_sharded();
	my $scope = [ { alias => 'x', tbl => $tbl } ];
	my @keys = map { pick(@{ $TIE_KEYS{ $TABLE{$tbl}{base} } }) . dir() } 1 .. 1 + r(2);
	my $n = pick(1, 2, 3, 5, 10, 40);
	if (chance(0.25))
	{
		# the output is the sort keys: OFFSET is deterministic too
		my @exprs = map { (my $k = $_) =~ s/ (ASC|DESC|NULLS)\b.*$//; $k } @keys;
		return { sql => 'SELECT ' . join(', ', @exprs) . " FROM $tbl x" . $g->where($scope, p => 0.5)
			  . ' ORDER BY ' . join(', ', @keys) . ' OFFSET ' . pick(1, 3, 10)
			  . " ROWS FETCH FIRST $n ROWS WITH TIES",
			ncols => scalar(@exprs), ordered => 0, has_order => 1 };
	}
	my @items = $g->sel_items($scope, 1 + r(4));
	my $total = chance(0.2);
	return { sql => 'SELECT ' . join(', ', @items) . " FROM $tbl x" . $g->where($scope, p => 0.5)
		  . ' ORDER BY ' . ($total ? $g->total_order($scope) : join(', ', @keys))
		  . " FETCH FIRST $n ROWS WITH TIES",
		ncols => scalar(@items), ordered => $total ? 1 : 0, has_order => 1 };
}

sub q_window
{
	my ($g) = @_;
	my $tbl = chance(0.8) ? pick_sharded() : 'ft2';
	my $s = { alias => 'x', tbl => $tbl };
	my $kc = key_of($tbl);
	my $scope = [$s];
	my $u = "x.$TABLE{$tbl}{uniq}";
	my @cols = map { $_->[0] } $g->cols($tbl);
	my @ord = map { $_->[0] } grep { $_->[1] ne 'bool' } $g->cols($tbl);
	my @num = map { $_->[0] } grep { $_->[1] =~ /^(int|bigint|numeric|float|real)$/ } $g->cols($tbl);
	if (chance(0.2))
	{
		# a window over an aggregate
		my $k = $g->gexpr($s);
		my $a = $g->agg($scope);
		my $sql = "SELECT $k, $a, " . pick('rank()', 'dense_rank()', 'percent_rank()', 'cume_dist()')
		  . " OVER (ORDER BY $a" . dir() . "), sum(count(*)) OVER () FROM $tbl x" . $g->where($scope)
		  . " GROUP BY $k";
		return { sql => $sql, ncols => 4, ordered => 0 };
	}
	my @w;
	for (1 .. 1 + r(2))
	{
		my $c = pick(@cols);
		my $oc = pick(@ord);
		my $nc = pick(@num);
		my ($fn, $total) = @{ pick(
			[ 'row_number()', 1 ], [ 'ntile(3)', 1 ], [ "lag(x.$c)", 1 ], [ "lead(x.$c, 2)", 1 ],
			[ "first_value(x.$c)", 1 ], [ "last_value(x.$c)", 1 ], [ "nth_value(x.$c, 2)", 1 ],
			[ "string_agg(x.$c\::text, ',')", 1 ], [ 'rank()', 0 ], [ 'dense_rank()', 0 ],
			[ 'percent_rank()', 0 ], [ 'cume_dist()', 0 ], [ 'count(*)', 0 ], [ "sum(x.$nc)", 0 ],
			[ "avg(x.$nc)", 0 ], [ "min(x.$oc)", 0 ], [ "max(x.$oc)", 0 ], [ "count(x.$c)", 0 ]) };
		$g->{loose_float} = 1 if $fn =~ /^sum/ && $g->cls($tbl, $nc) eq 'real';
		# by the partition key (the windows run on the shards), or not
		my $part = '';
		if (chance(0.45))
		{
			$part = 'PARTITION BY ' . join(', ', shuffle("x.$kc", chance(0.4) ? ($g->gexpr($s)) : ())) . ' ';
		}
		elsif (chance(0.5))
		{
			$part = 'PARTITION BY ' . $g->gexpr($s) . ' ';
		}
		my $ord = '';
		if ($total)
		{
			# a total order: any frame gives one answer
			$ord = 'ORDER BY ' . $g->total_order($scope, r(2));
			$ord .= ' ' . pick('ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING', 'ROWS 2 PRECEDING',
				'ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW',
				'ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING',
				'RANGE BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING') if chance(0.35);
		}
		elsif (chance(0.7))
		{
			# peers share a frame: RANGE and GROUPS frames stay deterministic
			$ord = 'ORDER BY ' . join(', ', map { "x." . pick(@cols) . dir() } 1 .. 1 + r(2));
			$ord .= ' ' . pick('RANGE BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING',
				'RANGE BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING',
				'GROUPS BETWEEN 1 PRECEDING AND CURRENT ROW',
				'RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW EXCLUDE GROUP') if chance(0.25);
		}
		push @w, "$fn OVER ($part$ord)";
	}
	if (chance(0.15))
	{
		# the first rows of each window partition (PostgreSQL's run condition)
		my $fn = pick('row_number()', 'rank()', 'dense_rank()', 'count(*)');
		my $ord = $fn eq 'count(*)' ? 'ORDER BY x.' . pick(@ord) . dir() : 'ORDER BY ' . $g->total_order($scope, r(2));
		my $inner = "SELECT $u AS u, $fn OVER (PARTITION BY x.$kc $ord) AS rn, " . join(', ', @w)
		  . " FROM $tbl x" . $g->where($scope);
		my $sql = "SELECT * FROM ($inner) s WHERE rn " . pick('<= ' . (1 + r(3)), '< 3', '= 1');
		return { sql => $sql, ncols => 2 + @w, ordered => 0 };
	}
	my @items = ($u, $g->sel_items($scope, r(3)), @w);
	my $sql = 'SELECT ' . join(', ', @items) . " FROM $tbl x" . $g->where($scope);
	my %q = (ncols => scalar(@items));
	if ($g->{need_order} || chance(0.3))
	{
		$sql .= " ORDER BY $u" . dir();
		$sql .= $g->limit_clause if chance(0.5);
		@q{qw(ordered has_order)} = (1, 1);
	}
	return { %q, sql => $sql };
}

my %SETCOLS = (
	int       => { ft => [ 'k', 'grp', 'id' ], ft2 => [ 'k', 'ref_id', 'id2' ], dim => ['grp'], w => [ 'k', 'g', 'id' ] },
	text      => { ft => [ 'txt', 'vc::text' ], ft2 => ['t2'], dim => [ 'name', 'label::text' ], w => [ 'tx', 'vc::text' ] },
	timestamp => { ft => ['ts'], ft2 => ['ts2'] },
	bool      => { ft => ['flag'], ft2 => ['flag2'], dim => ['active'] },
	numeric   => { ft => ['round(A.num, 2)'], ft2 => ['amt'], dim => ['w'], w => [ 'round(A.nm, 2)', 'round(A.u64, 2)' ] },
	real      => { w => ['f4'], ft => ['A.flt::real'] },
	bigint    => { w => [ 'u32', 'A.k::bigint' ], ft => ['big'] },
);

sub q_setop
{
	my ($g) = @_;
	my @sig = map { pick(sort keys %SETCOLS) } 1 .. 1 + r(2);
	@sig = sort @sig;
	my @branches;
	my $nb = chance(0.2) ? 3 : 2;
	my @aliases = ('x', 'y', 'z');
	for my $b (0 .. $nb - 1)
	{
		my $tbl;
		do { $tbl = pick('ft', 'ft', 'ft2', dim(), pick_w(), pick_w()) }
		  while grep { !$SETCOLS{$_}{ $TABLE{$tbl}{base} } } @sig;
		my $a = $aliases[$b];
		my @e = map {
			(my $c = pick(@{ $SETCOLS{$_}{ $TABLE{$tbl}{base} } })) =~ s/\bA\./$a./g;
			$c =~ /\./ ? $c : "$a.$c"
		} @sig;
		push @branches, 'SELECT ' . join(', ', @e) . " FROM $tbl $a"
		  . $g->where([ { alias => $a, tbl => $tbl } ], p => 0.7);
	}
	my $sql = "($branches[0])";
	for my $b (1 .. $#branches)
	{
		$sql .= ' ' . pick('UNION', 'UNION ALL', 'INTERSECT', 'INTERSECT ALL', 'EXCEPT', 'EXCEPT ALL')
		  . " ($branches[$b])";
	}
	my %q = (ncols => scalar(@sig));
	if ($g->{need_order} || chance(0.35))
	{
		$sql .= ' ORDER BY ' . positions(scalar(@sig), 1);
		$sql .= $g->limit_clause if chance(0.5);
		@q{qw(ordered has_order)} = (1, 1);
	}
	return { %q, sql => $sql };
}

sub q_cte
{
	my ($g) = @_;
	my $x = rand();
	my $scx = [ { alias => 'x', tbl => 'ft' } ];
	my $scy = [ { alias => 'y', tbl => 'ft2' } ];
	my $mat = pick('', '', 'MATERIALIZED ', 'NOT MATERIALIZED ');
	if ($x < 0.2)
	{
		return { sql => "WITH c AS $mat(SELECT x.grp, x.k, x.num, x.txt, x.tstz FROM ft x" . $g->where($scx)
			  . ') SELECT c.grp, count(*), sum(c.num), max(c.txt), min(c.tstz) FROM c GROUP BY c.grp',
			ncols => 5 };
	}
	if ($x < 0.4)
	{
		my $d = dim();
		return { sql => "WITH s AS $mat(SELECT x.grp, sum(x.num) AS sn, count(*) AS cn, max(x.vc) AS mv FROM ft x"
			  . $g->where($scx) . ' GROUP BY x.grp) SELECT d.name, d.grp, s.mv, s.sn, s.cn FROM s '
			  . pick('JOIN', 'LEFT JOIN', 'FULL JOIN', 'RIGHT JOIN') . " $d d ON d.grp = s.grp",
			ncols => 5 };
	}
	if ($x < 0.6)
	{
		my $sql = "WITH a AS $mat(SELECT x.k, count(*) AS c, sum(x.num) AS s FROM ft x" . $g->where($scx)
		  . ' GROUP BY x.k), b AS (SELECT y.k, sum(y.amt) AS s2, count(*) AS c2 FROM ft2 y'
		  . $g->where($scy) . ' GROUP BY y.k) SELECT a.k, b.k, a.c, a.s, b.s2, b.c2 FROM a '
		  . pick('JOIN', 'LEFT JOIN', 'FULL JOIN') . ' b ON a.k = b.k';
		my %q = (ncols => 6);
		if ($g->{need_order} || chance(0.4))
		{
			# a.k, b.k alone is not total: the NULL keys of both sides
			$sql .= ' ORDER BY a.k' . dir() . ', b.k' . dir() . ', ' . positions(6, 1);
			$sql .= $g->limit_clause if chance(0.6);
			@q{qw(ordered has_order)} = (1, 1);
		}
		return { %q, sql => $sql };
	}
	if ($x < 0.75)
	{
		return { sql => 'WITH RECURSIVE r(n) AS (SELECT -1 UNION ALL SELECT n + 1 FROM r WHERE n < 7) '
			  . 'SELECT r.n, count(x.id), sum(x.num), max(x.txt) FROM r LEFT JOIN ft x ON x.grp = r.n'
			  . (chance(0.5) ? ' AND ' . $g->pred($scx) : '') . ' GROUP BY r.n',
			ncols => 4 };
	}
	if ($x < 0.9)
	{
		return { sql => "WITH top AS $mat(SELECT x.id, x.k, x.num FROM ft x" . $g->where($scx)
			  . ' ORDER BY ' . $g->total_order($scx) . ' LIMIT ' . pick(5, 20, 50)
			  . ') SELECT t.k, t.id, y.id2, y.amt FROM top t ' . pick('JOIN', 'LEFT JOIN')
			  . ' ft2 y ON y.k = t.k',
			ncols => 4 };
	}
	return { sql => "WITH c AS $mat(SELECT x.k, x.id, x.txt FROM ft x" . $g->where($scx)
		  . ') SELECT c.txt, c.id FROM c WHERE c.k IN (SELECT y.k FROM ft2 y' . $g->where($scy) . ')',
		ncols => 2 };
}

sub rows_or_grouped
{
	my ($g, $scope, $from, %o) = @_;
	if (chance(0.4))
	{
		my $s = pick(@$scope);
		my $k = $g->gexpr($s);
		my @aggs = map { $g->agg($scope) } 1 .. 1 + r(3);
		my $sql = "SELECT $k, " . join(', ', @aggs) . " FROM $from" . $g->where($scope, %o) . " GROUP BY $k";
		my %q = (ncols => 1 + @aggs);
		if ($g->{need_order} || chance(0.3))
		{
			$sql .= ' ORDER BY ' . positions(1 + @aggs, 1);
			@q{qw(ordered has_order)} = (1, 1);
		}
		return { %q, sql => $sql };
	}
	my @items = $g->sel_items($scope, 1 + r(5));
	my $sql = 'SELECT ' . join(', ', @items) . " FROM $from" . $g->where($scope, %o);
	my %q = (ncols => scalar(@items));
	if ($g->{need_order} || chance(0.3))
	{
		$sql .= ' ORDER BY ' . $g->total_order($scope, r(2), scalar(@items));
		$sql .= $g->limit_clause if chance(0.6);
		@q{qw(ordered has_order)} = (1, 1);
	}
	return { %q, sql => $sql };
}

sub q_join_dim
{
	my ($g) = @_;
	my $d = dim();
	my $jt = pick('JOIN', 'JOIN', 'LEFT JOIN', 'LEFT JOIN', 'RIGHT JOIN', 'FULL JOIN');
	if (chance(0.2))
	{
		my $on = pick('y.t2 = d.name', 'y.k % 8 = d.grp', 'y.flag2 = d.active');
		$jt = 'LEFT JOIN' if $jt eq 'FULL JOIN' && $on ne 'y.t2 = d.name' && $on ne 'y.k % 8 = d.grp';
		return $g->rows_or_grouped([ { alias => 'y', tbl => 'ft2' }, { alias => 'd', tbl => $d } ],
			"ft2 y $jt $d d ON $on");
	}
	my $xt = chance(0.45) ? pick_w() : 'ft';
	my (@eq, @other);
	if ($xt eq 'ft')
	{
		@eq = ('x.grp = d.grp', 'x.txt = d.name', 'x.vc = d.label', 'x.vc = d.name', 'x.k = d.grp');
		@other = ('x.grp = d.grp AND d.active', 'x.txt = d.name AND x.grp = d.grp',
			'lower(x.txt) = lower(d.name)', 'x.grp = d.grp AND x.num > d.w', 'x.txt COLLATE "C" = d.name',
			'x.txt = d.name OR x.grp = d.grp');
	}
	else
	{
		# text joins between columns of different collations on MariaDB
		# (the reference tables' copies there are general_ci or nopad_bin)
		@eq = ('x.g = d.grp', 'x.k = d.grp', 'x.tx = d.name', 'x.vc = d.label', 'x.vc = d.name', 'x.tx = d.label',
			'x.k = d.grp AND x.tx = d.name');
		@other = ('x.g = d.grp AND d.active', 'x.tx = d.name AND x.g = d.grp', 'lower(x.tx) = lower(d.name)',
			'x.g = d.grp AND x.nm > d.w', 'x.f4 > d.w', 'x.tx COLLATE "C" = d.name', 'x.tx = d.name OR x.k = d.grp',
			'x.k = d.grp AND x.f4 < d.w', 'x.tx < d.name AND x.g = d.grp', 'x.u32 - d.grp > 5 AND x.k = d.grp',
			'x.vc <> d.label AND x.g = d.grp', 'x.tx = ANY (ARRAY[d.name, d.label])');
	}
	my $on = $jt eq 'FULL JOIN' ? pick(@eq) : pick(@eq, @eq, @other);
	my $scope = [ { alias => 'x', tbl => $xt }, { alias => 'd', tbl => $d } ];
	@$scope = reverse @$scope if chance(0.2);
	return $g->rows_or_grouped($scope, "$xt x $jt $d d ON $on");
}

sub q_join_ft2
{
	my ($g) = @_;
	my $jt = pick('JOIN', 'JOIN', 'LEFT JOIN', 'LEFT JOIN', 'RIGHT JOIN', 'FULL JOIN');
	if (chance(0.15))
	{
		# self-join on the key
		my $scope = [ { alias => 'x', tbl => 'ft' }, { alias => 'z', tbl => 'ft' } ];
		return $g->rows_or_grouped($scope, "ft x $jt ft z ON x.k = z.k AND x.id < z.id");
	}
	my @eq = ('x.k = y.k', 'x.k = y.k', 'x.k = y.k AND x.id = y.ref_id', 'y.ref_id = x.id',
		'x.k = y.k AND x.txt = y.t2');
	my @other = ('x.k = y.k AND y.amt > x.num', 'x.k = y.k AND y.ts2 < x.ts', 'x.k = y.k AND y.flag2');
	my $on = $jt eq 'FULL JOIN' ? pick(@eq) : pick(@eq, @other);
	if (chance(0.1))
	{
		# a list of keys joined to the sharded table (nested loop: one
		# targeted read per key, or a hash join over every shard)
		my $vals = join(', ', map { '(' . $g->const('ft', 'k', noparam => 1) . ", $_)" } 1 .. 1 + r(6));
		return $g->rows_or_grouped([ { alias => 'x', tbl => 'ft' } ],
			"(VALUES $vals) v(vk, vn) " . pick('JOIN', 'LEFT JOIN') . ' ft x ON x.k = v.vk');
	}
	my $from = "ft x $jt ft2 y ON $on";
	$from = "ft x $jt ft2 y USING (k)" if chance(0.1) && $jt ne 'FULL JOIN';
	my $scope = [ { alias => 'x', tbl => 'ft' }, { alias => 'y', tbl => 'ft2' } ];
	if (chance(0.2))
	{
		my $d = dim();
		$from .= ' ' . pick('JOIN', 'LEFT JOIN') . " $d d ON d.grp = x.grp";
		push @$scope, { alias => 'd', tbl => $d };
	}
	@$scope[ 0, 1 ] = @$scope[ 1, 0 ] if chance(0.2);
	return $g->rows_or_grouped($scope, $from);
}

sub q_semi_anti
{
	my ($g) = @_;
	my $d = dim();
	my $scx = [ { alias => 'x', tbl => 'ft' } ];
	my $scy = [ { alias => 'y', tbl => 'ft2' } ];
	my $q = sub { chance(0.5) ? ' AND ' . $g->pred($scy, 1) : '' };
	my $sub = pick(
		sub { 'EXISTS (SELECT 1 FROM ft2 y WHERE y.k = x.k' . $q->() . ')' },
		sub { 'NOT EXISTS (SELECT 1 FROM ft2 y WHERE y.k = x.k' . $q->() . ')' },
		sub { 'x.k IN (SELECT y.k FROM ft2 y' . $g->where($scy, p => 0.6) . ')' },
		sub { 'x.k NOT IN (SELECT y.k FROM ft2 y WHERE y.k IS NOT NULL' . $q->() . ')' },
		sub { 'x.k NOT IN (SELECT y.k FROM ft2 y' . $g->where($scy, p => 0.6) . ')' },
		sub { "x.grp IN (SELECT d.grp FROM $d d WHERE d.active)" },
		sub { "x.grp NOT IN (SELECT d.grp FROM $d d WHERE d.grp IS NOT NULL)" },
		sub { "EXISTS (SELECT 1 FROM $d d WHERE d.name = x.txt)" },
		sub { "NOT EXISTS (SELECT 1 FROM $d d WHERE d.name = x.txt)" },
		sub { "NOT EXISTS (SELECT 1 FROM $d d WHERE d.grp = x.grp AND d.label = x.vc)" },
		sub { 'x.id IN (SELECT y.ref_id FROM ft2 y' . $g->where($scy, p => 0.6) . ')' },
		sub { 'x.k = ANY (SELECT y.k FROM ft2 y WHERE ' . $g->pred($scy) . ')' },
		sub { 'x.num > ALL (SELECT y.amt FROM ft2 y WHERE y.k = x.k)' },
		sub { "x.txt IN (SELECT d.name FROM $d d)" },
		sub { 'x.k IN (SELECT z.k FROM ft z WHERE z.grp = 3' . (chance(0.5) ? ' AND ' . $g->pred([ { alias => 'z', tbl => 'ft' } ], 1) : '') . ')' },
		sub { 'EXISTS (SELECT 1 FROM ft2 y WHERE y.ref_id = x.id AND y.k = x.k)' },
		sub { 'x.k IN (VALUES ' . join(', ', map { '(' . $g->const('ft', 'k', noparam => 1) . ')' } 1 .. 1 + r(4)) . ')' },
		sub { 'x.k = ANY (ARRAY(SELECT y.k FROM ft2 y WHERE ' . $g->pred($scy, 1) . '))' },
		sub { "x.txt IN (VALUES ('a'), ('a '), ('A'), (''))" },
		sub { 'x.k NOT IN (VALUES (' . $g->const('ft', 'k', noparam => 1) . '), (NULL))' },
	)->();
	return $g->rows_or_grouped($scx, 'ft x', extra => [$sub], p => 0.4);
}

# The partner of a layout table: the table partitioned like it (its
# partitions on the same servers), or itself.
my %PARTNER = (wh => 'wh2', wh2 => 'wh', wr => 'wr2', wr2 => 'wr');
sub partner { return $PARTNER{ $_[0] } // $_[0] }

# Joins between layout tables: co-located pairs (wh/wh2, wr/wr2 and
# self-joins, joined by the servers: partitions of MariaDB tables whose
# text columns differ in collation), and pairs partitioned differently
# (joined on the coordinator, with key shipping when a side is small).
my @W_PAIRS = ([qw(wh wh2)], [qw(wh wh2)], [qw(wr wr2)], [qw(wr wr2)], [qw(wh wh)], [qw(wl wl)], [qw(wt wt)],
	[qw(wu wu)], [qw(wr wr)], [qw(wh wr)], [qw(wt wh2)], [qw(wl wu)], [qw(wh wt)], [qw(wr2 wt)], [qw(wu wh)],
	[qw(wt wr)]);

sub q_join_w
{
	my ($g) = @_;
	my ($xt, $yt) = @{ pick(@W_PAIRS) };
	($xt, $yt) = ($yt, $xt) if chance(0.3);
	my $jt = pick('JOIN', 'JOIN', 'LEFT JOIN', 'LEFT JOIN', 'RIGHT JOIN', 'FULL JOIN');
	my $kx = key_of($xt);
	# on the partition keys (list tables: with k, or the join is large)
	my $keq = $kx eq key_of($yt) && $kx eq 'k' ? 'x.k = y.k'
	  : $kx eq key_of($yt) ? "x.$kx = y.$kx AND x.k = y.k" : 'x.k = y.k';
	my @eq = ($keq, $keq, "$keq AND x.tx = y.tx", "$keq AND x.vc = y.vc", "$keq AND x.tx = y.vc", 'x.tx = y.tx',
		'x.vc = y.vc', "$keq AND x.id = y.id", "$keq AND x.f4 = y.f4", "$keq AND x.u64 = y.u64",
		"$keq AND x.g = y.g", "$keq AND x.nm = y.nm", "$keq AND x.u32 = y.u32");
	my @other = ("$keq AND y.f8 > x.f8", "$keq AND y.tx < x.tx", "$keq AND (y.tx = x.tx OR y.g = 3)",
		"$keq AND y.u32 - x.u32 > 0", 'x.tx = y.tx AND x.g = y.g', "$keq AND x.tx <> y.tx", "$keq AND x.nm = y.f4",
		"$keq AND y.tx = ANY (ARRAY[x.tx, x.vc])", "$keq AND lower(x.tx) = lower(y.tx)", "$keq AND y.f4 = 0.1::real",
		"$keq AND x.tx = y.tx AND x.vc = y.vc", "$keq AND x.id < y.id");
	my $on = $jt eq 'FULL JOIN' ? pick(@eq) : pick(@eq, @other);
	my $from = "$xt x $jt $yt y ON $on";
	$from = "$xt x $jt $yt y USING ($kx)" if chance(0.08) && $kx eq key_of($yt) && $kx eq 'k' && $jt ne 'FULL JOIN';
	my $scope = [ { alias => 'x', tbl => $xt }, { alias => 'y', tbl => $yt } ];
	if (chance(0.15))
	{
		my $d = dim();
		$from .= ' ' . pick('JOIN', 'LEFT JOIN') . " $d d ON d.grp = x.g";
		push @$scope, { alias => 'd', tbl => $d };
	}
	@$scope[ 0, 1 ] = @$scope[ 1, 0 ] if chance(0.2);
	return $g->rows_or_grouped($scope, $from);
}

# Semi and anti joins on text columns (EXISTS, NOT EXISTS, IN, NOT IN,
# = ANY (ARRAY(...))) of layout tables: with the partner or the same
# table on the key and text (co-located: a correlated [NOT] EXISTS on
# MariaDB, where 'us' and 'us ' must not share a cached answer), on text
# alone, with reference and dimension tables, with ft.
sub q_semi_text
{
	my ($g) = @_;
	my $xt = pick_w();
	my $yt = pick(partner($xt), partner($xt), pick_w(), 'ft');
	my $d = dim();
	my $scy = [ { alias => 'y', tbl => $yt } ];
	my $q = sub { chance(0.4) ? ' AND ' . $g->pred($scy, 1) : '' };
	my ($ytx, $yvc) = $yt eq 'ft' ? ('txt', 'vc') : ('tx', 'vc');
	my $sub = pick(
		sub { "EXISTS (SELECT 1 FROM $yt y WHERE y.$ytx = x.tx" . $q->() . ')' },
		sub { "NOT EXISTS (SELECT 1 FROM $yt y WHERE y.$ytx = x.tx" . $q->() . ')' },
		sub { "EXISTS (SELECT 1 FROM $yt y WHERE y.k = x.k AND y.$ytx = x.tx" . $q->() . ')' },
		sub { "EXISTS (SELECT 1 FROM $yt y WHERE y.k = x.k AND y.$ytx = x.tx" . $q->() . ')' },
		sub { "NOT EXISTS (SELECT 1 FROM $yt y WHERE y.k = x.k AND y.$ytx = x.tx" . $q->() . ')' },
		sub { "NOT EXISTS (SELECT 1 FROM $yt y WHERE y.k = x.k AND y.$ytx = x.tx" . $q->() . ')' },
		sub { "NOT EXISTS (SELECT 1 FROM $yt y WHERE y.k = x.k AND y.$yvc = x.vc)" },
		sub { "EXISTS (SELECT 1 FROM $yt y WHERE y.k = x.k AND y.$ytx = x.vc)" },
		sub { "NOT EXISTS (SELECT 1 FROM $yt y WHERE y.k = x.k AND y.$ytx <> x.tx)" },
		sub { "x.tx IN (SELECT y.$ytx FROM $yt y" . $g->where($scy, p => 0.5) . ')' },
		sub { "x.tx NOT IN (SELECT y.$ytx FROM $yt y WHERE y.$ytx IS NOT NULL" . $q->() . ')' },
		sub { "x.vc NOT IN (SELECT y.$yvc FROM $yt y" . $g->where($scy, p => 0.5) . ')' },
		sub { "(x.k, x.tx) IN (SELECT y.k, y.$ytx FROM $yt y" . $g->where($scy, p => 0.5) . ')' },
		sub { "x.tx IN (SELECT d.name FROM $d d)" },
		sub { "x.vc NOT IN (SELECT d.label FROM $d d WHERE d.label IS NOT NULL)" },
		sub { "EXISTS (SELECT 1 FROM $d d WHERE d.name = x.tx)" },
		sub { "NOT EXISTS (SELECT 1 FROM $d d WHERE d.name = x.tx)" },
		sub { "NOT EXISTS (SELECT 1 FROM $d d WHERE d.label = x.vc AND d.grp = x.g)" },
		sub { "EXISTS (SELECT 1 FROM $d d WHERE d.name = x.tx AND d.grp = x.k)" },
		sub { "x.tx IN (VALUES ('us'), ('us '), ('US'), (''), ('a'))" },
		sub { "x.tx = ANY (ARRAY(SELECT y.$ytx FROM $yt y WHERE " . $g->pred($scy, 1) . '))' },
		sub { "x.tx <> ALL (ARRAY(SELECT d.name FROM $d d WHERE d.name IS NOT NULL))" },
		sub { "x.vc = ANY (ARRAY(SELECT d.label FROM $d d))" },
		sub { $yt eq 'ft' ? "EXISTS (SELECT 1 FROM ft y WHERE y.k = x.k AND y.flt = x.f8)"
			  : "EXISTS (SELECT 1 FROM $yt y WHERE y.k = x.k AND y.f4 = x.f4)" },
	)->();
	return $g->rows_or_grouped([ { alias => 'x', tbl => $xt } ], "$xt x", extra => [$sub], p => 0.4);
}

# A small input joined with a sharded table on its partition key (or the
# second level's key), so that a hash join ships its keys to the shards:
# VALUES lists, a coordinator table, a reference or dimension table, a
# small federated subquery; text keys too.
sub q_keyship
{
	my ($g) = @_;
	my $xt = pick('wt', 'wt', 'wu', 'wu', 'wh', 'wr', 'wl', 'wh2', 'ft');
	my $jc = $xt =~ /^w[lu]$/ ? pick('g', 'k') : 'k';
	my $scope = [ { alias => 'x', tbl => $xt } ];
	my $jt = pick('JOIN', 'JOIN', 'JOIN', 'LEFT JOIN');
	my $x = rand();
	my $from;
	if ($x < 0.35)
	{
		my $vals = join(', ', map { '(' . $g->const($xt, $jc, noparam => 1) . ", $_)" } 1 .. 1 + r(6));
		$from = "(VALUES $vals) v(vk, vn) $jt $xt x ON x.$jc = v.vk";
	}
	elsif ($x < 0.6)
	{
		my $d = pick('dim_loc', 'dim_loc', dim());
		push @$scope, { alias => 'd', tbl => $d };
		$from = "$d d $jt $xt x ON x.$jc = d.grp" . (chance(0.3) ? ' AND ' . $g->pred([ $scope->[0] ], 1) : '');
	}
	elsif ($x < 0.75)
	{
		my $yt = pick(pick_w(), 'ft2');
		my $yk = 'k';
		$from = "(SELECT DISTINCT y.$yk AS vk FROM $yt y WHERE y." . ($yt eq 'ft2' ? 'id2' : 'id') . ' < '
		  . (5 + r(40)) . ") s $jt $xt x ON x.$jc = s.vk";
	}
	elsif ($x < 0.9 && $xt ne 'ft')
	{
		my $vals = join(', ', map { '(' . $g->const($xt, pick('tx', 'vc'), noparam => 1) . ')' } 1 .. 1 + r(5));
		$from = "(VALUES $vals) v(vt) $jt $xt x ON x." . pick('tx', 'vc') . ' = v.vt';
	}
	else
	{
		my $d = dim();
		return $g->rows_or_grouped($scope, "$xt x", extra => [ "x.$jc IN (SELECT d.grp FROM $d d"
			  . (chance(0.5) ? ' WHERE d.active' : '') . ')' ], p => 0.4);
	}
	return $g->rows_or_grouped($scope, $from, p => 0.4);
}

sub limiter
{
	my ($a, $col, $max) = @_;
	my $lo = 1 + r($max);
	return "$a.$col BETWEEN $lo AND " . ($lo + 10 + r(60));
}

sub q_lateral
{
	my ($g) = @_;
	my $d = dim();
	my $scx = [ { alias => 'x', tbl => 'ft' } ];
	my $p = sub { chance(0.5) ? ' AND ' . $g->pred($scx, 1) : '' };
	my @xi = shuffle('x.txt', 'x.id', 'x.num', 'x.k', 'x.tstz', 'x.flag', 'x.vc', 'x.big');
	my @li = @xi[ 0 .. r(4) ];
	my $li = join(', ', @li);
	my $nft = $g->{fed}{n_ft};
	my $nft2 = $g->{fed}{n_ft2};
	my $x = rand();
	my $lim = pick(1, 2, 3);
	if ($x < 0.2)
	{
		return { sql => "SELECT d.grp, d.name, l.* FROM $d d CROSS JOIN LATERAL (SELECT "
			  . join(', ', shuffle('count(*) AS c', 'sum(x.num) AS s', 'max(x.txt) AS m', 'min(x.tstz) AS t'))
			  . " FROM ft x WHERE x.grp = d.grp" . $p->() . ') l',
			ncols => 6 };
	}
	if ($x < 0.4)
	{
		return { sql => "SELECT d.grp, l.* FROM $d d LEFT JOIN LATERAL (SELECT x.id, $li FROM ft x"
			  . " WHERE x.grp = d.grp" . $p->() . ' ORDER BY x.num DESC NULLS LAST, x.id LIMIT '
			  . pick(1, 3, 5) . ') l ON true',
			ncols => 2 + @li };
	}
	if ($x < 0.65)
	{
		return { sql => "SELECT y.id2, y.k, l.* FROM ft2 y, LATERAL (SELECT $li, x.id FROM ft x"
			  . ' WHERE x.k = y.k' . $p->() . " ORDER BY x.id LIMIT $lim) l WHERE "
			  . limiter('y', 'id2', $nft2),
			ncols => 3 + @li };
	}
	if ($x < 0.85)
	{
		return { sql => 'SELECT y.id2, l.* FROM ft2 y CROSS JOIN LATERAL (SELECT '
			  . join(', ', shuffle('count(*) AS c', 'sum(x.big) AS s', 'max(x.vc) AS v', 'avg(x.num) AS a'))
			  . ' FROM ft x WHERE x.k = y.k' . $p->() . ') l WHERE ' . limiter('y', 'id2', $nft2),
			ncols => 5 };
	}
	return { sql => 'SELECT x.id, l.* FROM ft x LEFT JOIN LATERAL (SELECT y.t2, y.amt, y.id2 FROM ft2 y'
		  . ' WHERE y.k = x.k AND y.ref_id = x.id) l ON true WHERE ' . limiter('x', 'id', $nft),
		ncols => 4 };
}

sub q_correlated
{
	my ($g) = @_;
	my $d = dim();
	my $nft = $g->{fed}{n_ft};
	my $nft2 = $g->{fed}{n_ft2};
	my @xi = shuffle('x.txt', 'x.k', 'x.num', 'x.tstz', 'x.vc', 'x.flag');
	my $xi = join(', ', @xi[ 0 .. r(3) ]);
	my $n = 2 + r(3);
	$n = 1 + ($xi =~ tr/,//) + 2;
	if (chance(0.3))
	{
		# correlated subqueries over layout tables, on text (a parameter
		# compared on MariaDB with each outer row's value)
		my $xt = pick_w();
		my $yt = pick(partner($xt), pick_w());
		my $lim = limiter('x', 'id', $g->{fed}{n_w});
		return pick(
			{ sql => "SELECT x.id, x.tx, (SELECT count(*) FROM $yt y WHERE y.tx = x.tx) FROM $xt x WHERE $lim",
			  ncols => 3 },
			{ sql => "SELECT x.id, x.vc, (SELECT max(y.f4) FROM $yt y WHERE y.k = x.k AND y.vc = x.vc) FROM $xt x WHERE $lim",
			  ncols => 3 },
			{ sql => "SELECT x.id, x.tx FROM $xt x WHERE $lim AND EXISTS (SELECT 1 FROM $yt y WHERE y.k = x.k AND "
				  . "y.tx = x.tx AND y.id <> x.id)", ncols => 2 },
			{ sql => "SELECT x.id, x.tx FROM $xt x WHERE $lim AND NOT EXISTS (SELECT 1 FROM $yt y WHERE "
				  . "y.tx = x.tx AND y.id <> x.id)", ncols => 2 },
			{ sql => "SELECT d.grp, d.name, (SELECT count(*) FROM $xt x WHERE x.tx = d.name) FROM $d d", ncols => 3 },
			{ sql => "SELECT d.grp, (SELECT sum(x.u64) FROM $xt x WHERE x.k = d.grp), (SELECT max(x.f4) FROM $xt x "
				  . "WHERE x.g = d.grp), (SELECT min(x.vc) FROM $xt x WHERE x.vc = d.label) FROM $d d", ncols => 4 },
		);
	}
	my $x = rand();
	if ($x < 0.3)
	{
		my $sub = pick('(SELECT count(*) FROM ft2 y WHERE y.k = x.k)',
			'(SELECT max(y.t2) FROM ft2 y WHERE y.k = x.k AND y.amt > 0)',
			'(SELECT sum(y.amt) FROM ft2 y WHERE y.k = x.k)',
			'(SELECT max(z.txt) FROM ft z WHERE z.k = x.k AND z.id <> x.id)',
			'(SELECT y.t2 FROM ft2 y WHERE y.k = x.k ORDER BY y.id2 LIMIT 1)',
			'(SELECT count(*) FROM ft2 y WHERE y.ref_id = x.id)');
		return { sql => "SELECT x.id, $xi, $sub FROM ft x WHERE " . limiter('x', 'id', $nft)
			  . (chance(0.3) ? ' AND ' . $g->pred([ { alias => 'x', tbl => 'ft' } ], 1) : ''),
			ncols => $n };
	}
	if ($x < 0.5)
	{
		return { sql => "SELECT x.id, $xi FROM ft x WHERE " . limiter('x', 'id', $nft) . ' AND '
			  . pick('x.num > (SELECT avg(y.amt) FROM ft2 y WHERE y.k = x.k)',
				'x.txt = (SELECT max(y.t2) FROM ft2 y WHERE y.k = x.k)',
				'x.id = (SELECT min(z.id) FROM ft z WHERE z.k = x.k)',
				'(SELECT count(*) FROM ft2 y WHERE y.k = x.k) > 1'),
			ncols => $n - 1 };
	}
	if ($x < 0.75)
	{
		return { sql => 'SELECT d.grp, d.name, '
			  . pick('(SELECT sum(x.num) FROM ft x WHERE x.grp = d.grp)',
				'(SELECT count(*) FROM ft x WHERE x.txt = d.name)',
				'(SELECT max(x.tstz) FROM ft x WHERE x.grp = d.grp AND x.flag)',
				'(SELECT x.id FROM ft x WHERE x.grp = d.grp ORDER BY x.num DESC NULLS LAST, x.id LIMIT 1)')
			  . " FROM $d d",
			ncols => 3 };
	}
	return { sql => 'SELECT y.id2, '
		  . pick('(SELECT x.txt FROM ft x WHERE x.k = y.k ORDER BY x.id LIMIT 1)',
			'(SELECT count(*) FROM ft x WHERE x.k = y.k AND x.grp = 1)',
			'(SELECT max(x.num) FROM ft x WHERE x.k = y.k)')
		  . ', y.t2 FROM ft2 y WHERE ' . limiter('y', 'id2', $nft2),
		ncols => 3 };
}

sub q_pseudo
{
	my ($g) = @_;
	$g->{force_pseudo} = 1;
	my $q = pick(\&q_aggregate, \&q_select_rows, \&q_order_limit, \&q_group_by, \&q_join_ft2)->($g);
	return $q;
}

sub q_subquery_limit
{
	my ($g) = @_;
	my $scx = [ { alias => 'x', tbl => 'ft' } ];
	my $n = pick(1, 10, 50, 500, 5000);
	return pick(
		sub { { sql => 'SELECT count(*) FROM (SELECT x.id FROM ft x' . $g->where($scx) . " LIMIT $n) s",
				ncols => 1 } },
		sub { { sql => "SELECT count(*) FROM (SELECT x.k FROM ft x LIMIT $n OFFSET " . pick(1, 100, 2990)
				  . ') s', ncols => 1 } },
		sub { { sql => 'SELECT * FROM (SELECT ' . join(', ', $g->sel_items($scx, 2))
				  . ' FROM ft x' . $g->where($scx) . ' ORDER BY ' . $g->total_order($scx) . " LIMIT $n) s",
				ncols => 2 } },
		sub { { sql => 'SELECT count(*), sum(x.num) FROM ft x WHERE x.id IN (SELECT z.id FROM ft z ORDER BY z.num, z.id LIMIT '
				  . $n . ')', ncols => 2 } },
	)->();
}

# The prepared-statement-capable shapes.
my @PARAM_SHAPES = (\&q_select_rows, \&q_aggregate, \&q_group_by, \&q_order_limit, \&q_with_ties,
	\&q_join_dim, \&q_join_ft2, \&q_semi_anti, \&q_window, \&q_distinct, \&q_lateral, \&q_correlated,
	\&q_pseudo, \&q_join_w, \&q_semi_text, \&q_keyship);
my @ORDERED_SHAPES = (\&q_select_rows, \&q_order_limit, \&q_group_by, \&q_join_dim, \&q_join_ft2,
	\&q_window, \&q_distinct, \&q_setop, \&q_lateral, \&q_correlated, \&q_grouping_sets, \&q_semi_anti,
	\&q_join_w, \&q_semi_text, \&q_keyship);

# A query whose rows come in a fully determined order.
sub ordered_query
{
	my ($g, @shapes) = @_;
	local $g->{need_order} = 1;
	my $q = pick(@shapes)->($g);
	return $q->{sql} if $q->{ordered};
	return $q->{sql} . ' ORDER BY ' . positions($q->{ncols}, 1) unless $q->{has_order};
	return "SELECT * FROM ($q->{sql}) q ORDER BY " . positions($q->{ncols}, 1);
}

sub s_prepared
{
	my ($g) = @_;
	local $g->{param_mode} = 1;
	local $g->{key_param} = 1;
	$g->{params} = [];
	my $q = pick(@PARAM_SHAPES)->($g);
	my @params = @{ $g->{params} };
	my @steps;
	my $mode = pick('force_generic_plan', 'force_custom_plan', 'auto', 'auto');
	push @steps, { sql => "SET plan_cache_mode = $mode" } if $mode ne 'auto';
	my $types = @params ? '(' . join(', ', map { $_->{type} } @params) . ')' : '';
	push @steps, { sql => "PREPARE p1$types AS $q->{sql}" };
	my $reset = chance(0.3) ? 2 + r(5) : -1;
	for my $i (1 .. 7 + r(3))
	{
		# the plan made under one setting, run under another
		push @steps, map { { sql => $_ } } $g->settings(2) if $i == $reset;
		my $args = @params ? '(' . join(', ', map { $g->param_value($_) } @params) . ')' : '';
		push @steps, { sql => "EXECUTE p1$args", ordered => $q->{ordered}, rows => 1 };
	}
	push @steps, { sql => 'DEALLOCATE p1' };
	return \@steps;
}

sub fetch_ops
{
	my ($n, $scroll, $name) = @_;
	my @ops;
	for (1 .. $n)
	{
		my @f = ('FETCH ' . (1 + r(10)) . " FROM $name", "FETCH NEXT FROM $name",
			'FETCH FORWARD ' . (1 + r(20)) . " FROM $name", 'MOVE ' . r(8) . " IN $name");
		push @f, "FETCH PRIOR FROM $name", "FETCH FIRST FROM $name", "FETCH LAST FROM $name",
		  'FETCH ABSOLUTE ' . (r(45) - 5) . " FROM $name", 'FETCH RELATIVE ' . (r(11) - 5) . " FROM $name",
		  'FETCH BACKWARD ' . (1 + r(6)) . " FROM $name", "FETCH BACKWARD ALL FROM $name",
		  'MOVE BACKWARD ' . r(5) . " IN $name", "MOVE LAST IN $name"
		  if $scroll;
		push @f, "FETCH ALL FROM $name" if chance(0.1);
		push @ops, pick(@f);
	}
	return map { { sql => $_, ordered => 1, rows => 1 } } @ops;
}

sub s_cursor
{
	my ($g) = @_;
	my $q = $g->ordered_query(@ORDERED_SHAPES);
	my $x = rand();
	my @s;
	if ($x < 0.35)
	{
		@s = ({ sql => 'BEGIN' }, { sql => "DECLARE c1 SCROLL CURSOR FOR $q" }, fetch_ops(4 + r(6), 1, 'c1'),
			{ sql => 'CLOSE c1' }, { sql => 'COMMIT' });
	}
	elsif ($x < 0.6)
	{
		@s = ({ sql => 'BEGIN' }, { sql => "DECLARE c1 SCROLL CURSOR WITH HOLD FOR $q" },
			fetch_ops(1 + r(3), 1, 'c1'), { sql => 'COMMIT' }, fetch_ops(2 + r(5), 1, 'c1'),
			{ sql => 'CLOSE c1' });
	}
	elsif ($x < 0.7)
	{
		@s = ({ sql => "DECLARE c1 NO SCROLL CURSOR WITH HOLD FOR $q" }, fetch_ops(2 + r(4), 0, 'c1'),
			{ sql => 'CLOSE c1' });
	}
	elsif ($x < 0.85)
	{
		@s = ({ sql => 'BEGIN' }, { sql => "DECLARE c1 CURSOR FOR $q" }, fetch_ops(3 + r(4), 0, 'c1'),
			{ sql => 'COMMIT' });
	}
	else
	{
		# two cursors open at once over the same servers, fetched in turns
		my $q2 = $g->ordered_query(@ORDERED_SHAPES);
		my @a = fetch_ops(3 + r(3), 1, 'c1');
		my @b = fetch_ops(3 + r(3), 1, 'c2');
		my @m;
		push @m, grep { defined } shift(@a), shift(@b) while @a || @b;
		@s = ({ sql => 'BEGIN' }, { sql => "DECLARE c1 SCROLL CURSOR FOR $q" },
			{ sql => "DECLARE c2 SCROLL CURSOR FOR $q2" }, @m, { sql => 'COMMIT' });
	}
	return \@s;
}

# Statements that fail on the shards (and on the local twin) with one
# SQLSTATE whatever the order of the rows.
my @REMOTE_ERRORS = (
	q{SELECT x.id FROM ft x WHERE x.vc NOT LIKE '%\'},
	'SELECT count(*) FROM ft x WHERE 1 / (x.grp - x.grp) > 0',
	'SELECT x.id, y.id2 FROM ft x JOIN ft2 y ON x.k = y.k WHERE 1 / (y.k - y.k) = 1',
	'SELECT sum(x.big * 2) FROM ft x',
	q{SELECT x.txt FROM ft x WHERE x.txt LIKE 'a\'},
);
my @TX_SHAPES = (\&q_select_rows, \&q_aggregate, \&q_group_by, \&q_order_limit, \&q_join_ft2, \&q_join_dim,
	\&q_semi_anti, \&q_window, \&q_distinct, \&q_lateral, \&q_correlated, \&q_with_ties, \&q_setop,
	\&q_join_w, \&q_semi_text, \&q_keyship);

# Several queries in one transaction or session: savepoints around a
# statement that fails on the shards, errors one after the other, a
# repeatable-read snapshot read twice, a query while a cursor is open.
sub s_transaction
{
	my ($g) = @_;
	my $q = sub {
		my $r = pick(@TX_SHAPES)->($g);
		return { sql => $r->{sql}, ordered => $r->{ordered}, rows => 1 };
	};
	my $err = sub { { sql => pick(@REMOTE_ERRORS), may_fail => 1, rows => 1 } };
	my $x = rand();
	if ($x < 0.3)
	{
		return [ { sql => 'BEGIN' }, $q->(), { sql => 'SAVEPOINT a' }, $err->(),
			{ sql => 'ROLLBACK TO SAVEPOINT a' }, $q->(), { sql => 'RELEASE SAVEPOINT a' }, $q->(),
			{ sql => pick('COMMIT', 'ROLLBACK') } ];
	}
	if ($x < 0.5)
	{
		return [ $err->(), $err->(), $q->(), $err->(), $q->() ];
	}
	if ($x < 0.7)
	{
		my $a = $q->();
		return [ { sql => 'BEGIN ISOLATION LEVEL ' . pick('REPEATABLE READ', 'READ COMMITTED', 'SERIALIZABLE') },
			$a, $q->(), {%$a}, { sql => 'COMMIT' } ];
	}
	if ($x < 0.85)
	{
		my $c = $g->ordered_query(@ORDERED_SHAPES);
		return [ { sql => 'BEGIN' }, { sql => "DECLARE c1 CURSOR FOR $c" }, fetch_ops(2, 0, 'c1'), $q->(),
			fetch_ops(2, 0, 'c1'), $q->(), { sql => 'COMMIT' } ];
	}
	return [ { sql => 'BEGIN' }, $q->(), $err->(), { sql => 'SELECT 1', may_fail => 1, rows => 1 },
		{ sql => 'ROLLBACK' }, $q->() ];
}

sub q_error
{
	my ($g) = @_;
	my $k = $g->const('ft', 'k', noparam => 1);
	return pick(
		{ sql => 'SELECT x.nosuch FROM ft x' }, { sql => q{SELECT 'abc'::int + x.k FROM ft x} },
		{ sql => "SELECT 1/0, x.id FROM ft x WHERE x.k = $k" },
		{ sql => "SELECT x.k / (x.grp - x.grp) FROM ft x WHERE x.k = $k" },
		{ sql => "SELECT x.big * 4 FROM ft x WHERE x.k = $k" },
		{ sql => 'SELECT sum(x.big * 2) FROM ft x' },
		{ sql => "SELECT x.txt::int FROM ft x WHERE x.k = $k" },
		{ sql => 'SELECT x.txt FROM ft x GROUP BY x.k' },
		{ sql => "SELECT sum(x.k / (x.grp - 3)) FROM ft x WHERE x.k = $k" },
		{ sql => "SELECT x.num::int FROM ft x WHERE x.k = $k" },
		{ sql => "SELECT x.flt::int FROM ft x WHERE x.k = $k" },
		{ sql => "SELECT sqrt(x.flt) FROM ft x WHERE x.k = $k" },
		{ sql => "SELECT x.dt - DATE '2024-01-01' FROM ft x WHERE x.k = $k" },
	);
}

my @SHAPES = (
	[ select_rows => 7, \&q_select_rows ],  [ aggregate => 10, \&q_aggregate ],
	[ group_by => 13, \&q_group_by ],       [ grouping_sets => 4, \&q_grouping_sets ],
	[ distinct => 5, \&q_distinct ],        [ order_limit => 8, \&q_order_limit ],
	[ with_ties => 4, \&q_with_ties ],      [ window => 6, \&q_window ],
	[ setop => 5, \&q_setop ],              [ cte => 4, \&q_cte ],
	[ join_dim => 8, \&q_join_dim ],        [ join_ft2 => 8, \&q_join_ft2 ],
	[ semi_anti => 6, \&q_semi_anti ],      [ lateral => 4, \&q_lateral ],
	[ correlated => 4, \&q_correlated ],    [ pseudo => 5, \&q_pseudo ],
	[ subquery_limit => 2, \&q_subquery_limit ],
	[ join_w => 8, \&q_join_w ],           [ semi_text => 6, \&q_semi_text ],
	[ keyship => 5, \&q_keyship ],
	[ prepared => 7, \&s_prepared ],        [ cursor => 5, \&s_cursor ],
	[ transaction => 4, \&s_transaction ], [ error => 1, \&q_error ],
);

# Zones with DST (PostgreSQL shards get the zone with each transaction,
# MySQL shards leave time functions of timestamptz to the coordinator) and
# zones with a fixed UTC offset (MySQL shards compute them with CONVERT_TZ).
my @ZONES = ('America/St_Johns', 'Asia/Kathmandu', 'America/New_York', 'Europe/Berlin',
	'Australia/Lord_Howe', 'Pacific/Chatham', 'America/Los_Angeles', 'UTC', 'Etc/GMT-3',
	'Etc/GMT+9', '<+0530>-05:30', 'America/Sao_Paulo');
my @GUCS = ('enable_hashagg = off', 'enable_sort = off', 'enable_hashjoin = off', 'enable_mergejoin = off',
	'enable_nestloop = off', 'enable_partitionwise_aggregate = on', 'enable_partitionwise_join = on',
	q{work_mem = '64kB'}, 'enable_material = off', 'enable_memoize = off', 'federate.enable_fanout = off',
	'max_parallel_workers_per_gather = 0', 'enable_seqscan = off', q{DateStyle = 'SQL, DMY'},
	q{DateStyle = 'German'}, 'extra_float_digits = 0', q{IntervalStyle = 'sql_standard'},
	'enable_indexscan = off', 'from_collapse_limit = 1', 'join_collapse_limit = 1',
	'federate.fetch_size = 13', 'federate.fetch_size = 1000000', q{federate.on_shard_failure = 'partial'},
	'federate.combine_partitions = off', 'federate.key_shipping_batch_size = 3');

# Settings that change how federate reads and joins, drawn for a query
# (one to three of them, for about half of the queries): partitions of a
# server in one statement or not, shipped keys in batches of a few,
# more keys than allowed (shards read without them) or none at all, no
# Federate Scan, and PostgreSQL's join methods off (a nested loop that
# rescans a federated table with each outer row's values, a merge join
# over sorted reads, a hash join that ships keys).
my @SETTINGS = (
	sub { 'federate.combine_partitions = ' . pick('off', 'off', 'on') },
	sub { 'federate.key_shipping_batch_size = ' . pick(1, 2, 3, 5, 1000) },
	sub { 'federate.key_shipping_max_keys = ' . pick(0, 1, 2, 4, 16, 10000) },
	sub { 'federate.enable_fanout = off' },
	sub { 'enable_hashjoin = off' }, sub { 'enable_mergejoin = off' }, sub { 'enable_nestloop = off' },
	sub { 'enable_hashjoin = off' }, sub { 'enable_nestloop = off' },
	sub { 'enable_memoize = off' }, sub { 'enable_material = off' }, sub { 'enable_hashagg = off' },
	sub { 'enable_partitionwise_join = on' }, sub { 'enable_partitionwise_aggregate = on' },
	sub { 'federate.fetch_size = ' . pick(1, 3, 50) },
);

sub settings
{
	my ($g, $max) = @_;
	my %seen;
	return grep { my ($n) = /^SET (\S+)/; !$seen{$n}++ } map { 'SET ' . pick(@SETTINGS)->() } 1 .. 1 + r($max);
}

sub query
{
	my ($g, $n) = @_;
	srand(($g->{seed} * 1000003 + $n * 7919) % 4294967296);
	$g->{params} = [];
	$g->{force_pseudo} = 0;
	my @shapes = @SHAPES;
	if ($ENV{FUZZ_SHAPES})
	{
		my %want = map { $_ => 1 } split(/[,\s]+/, $ENV{FUZZ_SHAPES});
		@shapes = grep { $want{ $_->[0] } } @SHAPES;
		die "FUZZ_SHAPES names no shape\n" unless @shapes;
	}
	my $total = 0;
	$total += $_->[1] for @shapes;
	my $x = rand($total);
	my $shape;
	for my $s (@shapes)
	{
		$shape = $s;
		last if ($x -= $s->[1]) < 0;
	}
	$g->{loose_float} = 0;
	my $res = $shape->[2]->($g);
	my @steps = ref($res) eq 'ARRAY' ? @$res : ({ sql => $res->{sql}, ordered => $res->{ordered}, rows => 1 });
	my @pre;
	push @pre, { sql => 'SET TimeZone = ' . lit_q(pick(@ZONES)) } if chance(0.3);
	push @pre, { sql => 'SET ' . pick(@GUCS) } for 1 .. (chance(0.2) ? 1 + r(2) : 0);
	push @pre, map { { sql => $_ } } $g->settings(3) if chance(0.5);
	if ($g->{loose_float})
	{
		$_->{loose_float} = 1 for @steps;
	}
	return { n => $n, shape => $shape->[0], steps => [ @pre, @steps ] };
}

# =============================================================== runner ===

package FederateTest::Differential::Fuzzer;

=pod

=head1 THE RUNNER

C<< $fed->fuzzer(seed => $s, n => $n, keep_going => 0|1, only => [..]) >>
opens two connections to the coordinator, one for the federated statements
and one for their local twins, and C<< ->run >> runs queries 1..$n: every
statement of a query runs on the local connection, then on the federated
one, and their answers are compared:

=over

=item *

rows as a multiset (sorted) unless the statement's ORDER BY fully
determines the order; float4/float8 columns equal within a relative 1e-10
(about 10 significant digits; within 1e-11 near zero, where an exact 0
comes out as 1e-13 in another summation order), so a real read back is
compared as the exact real it is; in a statement the generator marked
as adding reals (sum(real) adds in float4: its last bits depend on the
order of the rows, and a MySQL shard adds FLOATs in double) within a
relative 1e-5; every other column exactly as text (numeric scale
included); the result column types must be the same;

=item *

an error on the local side must be the same SQLSTATE on the federated
side; an error on the federated side only is a failure;

=item *

a lost connection, or "terminated by signal", "PANIC" or "server
process ... exited" in the coordinator's log, is a crash: the coordinator
restarts (restart_after_crash), the connections are opened again, and the
run goes on.

=back

After each query both sessions are reset (ROLLBACK, CLOSE ALL, DEALLOCATE
ALL, RESET ALL).  Each failure is reported as a failing TAP test with the
seed, the query number, every statement of the query (federated text), the
local and the federated answer, and the engines in the failing
statement's plan; the same text goes to
tmp_check/log/<test>_failures.txt.  The run stops after 20 failures unless
keep_going, and after 100 failing queries in a row in any case (the
federation itself is broken then).

=cut

use strict;
use warnings;
use utf8;

use Encode ();
use Scalar::Util qw(looks_like_number);
use Time::HiRes qw(time);
use Test::More;

sub new
{
	my ($class, %o) = @_;
	my $self = bless {
		fed          => $o{fed},
		seed         => $o{seed} // 1,
		n            => $o{n} // 1000,
		keep_going   => $o{keep_going} // 0,
		max_failures => $o{max_failures} // 20,
		only         => $o{only},
		failures     => [],
		stats        => { queries => 0, statements => 0, diff => 0, fed_error => 0, local_error => 0,
			sqlstate => 0, crash => 0, both_error => 0 },
	}, $class;
	$self->{gen} = FederateTest::Differential::Gen->new(fed => $o{fed}, seed => $self->{seed});
	my $test = File::Basename::basename($0);
	$test =~ s/\.[^.]+$//;
	$self->{report} = "$PostgreSQL::Test::Utils::log_path/${test}_failures.txt";
	unlink $self->{report};
	$self->_connect;
	$self->{log_offset} = -s $self->{fed}->coord->logfile // 0;
	return $self;
}

sub _connect
{
	my ($self) = @_;
	for my $side ('l', 'f')
	{
		$self->{$side} = $self->{fed}->connect
		  or BAIL_OUT("cannot connect to the coordinator: $DBI::errstr");
	}
	return;
}

# Run one statement; { rows, types } or { err, state, lost }.
sub exec_sql
{
	my ($dbh, $sql) = @_;
	my $sth = $dbh->prepare($sql, { pg_direct => 1 });
	my $rv = $sth ? $sth->execute : undef;
	if (!defined $rv)
	{
		my %r = (err => ($sth && $sth->errstr) || $dbh->errstr || 'unknown error',
			state => ($sth && $sth->state) || $dbh->state || '');
		$r{lost} = 1 unless $dbh->ping;
		return \%r;
	}
	my %r;
	if ($sth->{NUM_OF_FIELDS})
	{
		$r{types} = [ @{ $sth->{pg_type} } ];
		$r{rows}  = $sth->fetchall_arrayref;
	}
	$sth->finish;
	return \%r;
}

sub _is_float { return $_[0] =~ /^float[48]$/ ? 1 : 0 }

# Tolerances: [relative, absolute, digits of the sort key].  Floats to
# about 10 significant digits; in a statement that adds reals (sum(real)
# adds in float4, whose last digits depend on the order of the rows),
# floats to about 5.
our @TIGHT = (1e-10, 1e-11, 9);
our @LOOSE = (1e-5, 1e-6, 4);

sub _round
{
	my ($v, $tol) = @_;
	my $digits = ($tol // \@TIGHT)->[2];
	return $v unless looks_like_number($v) && $v !~ /^[-+]?(inf|nan)/i;
	return sprintf('%.*e', $digits, 0) if abs($v) < ($tol // \@TIGHT)->[1];
	return sprintf('%.*e', $digits, $v);
}

sub _float_eq
{
	my ($a, $b, $tol) = @_;
	my ($rel, $abs) = @{ $tol // \@TIGHT };
	return 1 if $a eq $b;
	return 0 unless looks_like_number($a) && looks_like_number($b);
	return 0 if $a =~ /nan|inf/i || $b =~ /nan|inf/i;
	return 1 if $a == $b;
	my $m = abs($a) > abs($b) ? abs($a) : abs($b);
	# relative: about 10 significant digits; absolute near zero, where a
	# result that is 0 comes out as 1e-13 in another summation order
	return abs($a - $b) <= $rel * $m || abs($a - $b) <= $abs;
}

# A row's sort key: its exact non-float columns first (they identify the
# row in most answers), then its float columns rounded.
sub _key
{
	my ($row, $fl, $tol) = @_;
	my $v = sub { defined $row->[ $_[0] ] ? $row->[ $_[0] ] : "\x{2400}" };
	return join("\x1f", map { $v->($_) } grep { !$fl->[$_] } 0 .. $#$row) . "\x1e"
	  . join("\x1f", map { defined $row->[$_] ? _round($row->[$_], $tol) : "\x{2400}" } grep { $fl->[$_] } 0 .. $#$row);
}

sub fmt_row
{
	my ($row) = @_;
	return '(' . join(' | ', map { defined $_ ? $_ : 'NULL' } @$row) . ')';
}

sub fmt_rows
{
	my ($rows, $max) = @_;
	$max //= 12;
	my @l = map { '    ' . fmt_row($_) } @$rows[ 0 .. ($#$rows < $max - 1 ? $#$rows : $max - 1) ];
	push @l, sprintf('    ... %d rows in all', scalar(@$rows)) if @$rows > $max;
	my $s = join("\n", @l);
	$s = substr($s, 0, 3000) . ' ...[truncated]' if length($s) > 3000;
	return $s;
}

# undef when equal, else a description of the difference.
sub compare
{
	my ($l, $f, $ordered, $loose) = @_;
	my $tol = $loose ? \@LOOSE : \@TIGHT;
	my $lt = join(', ', @{ $l->{types} || [] });
	my $ft = join(', ', @{ $f->{types} || [] });
	return "the result column types differ: local ($lt), federated ($ft)" if $lt ne $ft;
	my @fl = map { _is_float($_) } @{ $l->{types} || [] };
	my @nofl = (0) x @fl;
	# -0 and 0 are equal: which one an aggregate meets first (say
	# percentile_cont's array) depends on the order of the rows
	for my $c (grep { $l->{types}[$_] =~ /^_float[48]$/ } 0 .. $#fl)
	{
		for my $row (@{ $l->{rows} || [] }, @{ $f->{rows} || [] })
		{
			$row->[$c] =~ s/(?<=[{,])-0(?=[,}])/0/g if defined $row->[$c];
		}
	}
	my @L = map { [ _key($_, \@fl, $tol), $_, _key($_, \@nofl) ] } @{ $l->{rows} || [] };
	my @F = map { [ _key($_, \@fl, $tol), $_, _key($_, \@nofl) ] } @{ $f->{rows} || [] };
	if (!$ordered)
	{
		# by the values with floats rounded, then by the exact values, so
		# that rows whose floats round alike pair up the same way
		@L = sort { $a->[0] cmp $b->[0] || $a->[2] cmp $b->[2] } @L;
		@F = sort { $a->[0] cmp $b->[0] || $a->[2] cmp $b->[2] } @F;
	}
	my $rows_eq = sub {
		my ($L, $F) = @_;
		return 0 unless @$L == @$F;
		for my $i (0 .. $#$L)
		{
			my ($x, $y) = ($L->[$i][1], $F->[$i][1]);
			for my $c (0 .. $#$x)
			{
				my ($a, $b) = ($x->[$c], $y->[$c]);
				next if !defined $a && !defined $b;
				return 0
				  if !defined $a || !defined $b || ($fl[$c] ? !_float_eq($a, $b, $tol) : $a ne $b);
			}
		}
		return 1;
	};
	return undef if $rows_eq->(\@L, \@F);
	if ($ordered && grep { $_ } @fl)
	{
		# an order decided by the last bits of floats: a float aggregate's
		# last bits depend on the order of its input rows, so rows whose
		# float sort keys print alike may come in either order; such an
		# answer is compared as a multiset
		my @L2 = sort { $a->[0] cmp $b->[0] || $a->[2] cmp $b->[2] } @L;
		my @F2 = sort { $a->[0] cmp $b->[0] || $a->[2] cmp $b->[2] } @F;
		return undef if $rows_eq->(\@L2, \@F2);
	}
	my $msg = sprintf("local: %d rows, federated: %d rows (%s)\n", scalar(@L), scalar(@F),
		$ordered ? 'compared in order' : 'compared as multisets');
	if (!$ordered)
	{
		my %cnt;
		$cnt{ $_->[0] }++ for @L;
		$cnt{ $_->[0] }-- for @F;
		my %seen;
		my @missing = grep { $cnt{ $_->[0] } > 0 && !$seen{ 'm' . $_->[0] }++ } @L;
		my @extra   = grep { $cnt{ $_->[0] } < 0 && !$seen{ 'e' . $_->[0] }++ } @F;
		$msg .= "  rows only in the local answer:\n" . fmt_rows([ map { $_->[1] } @missing ], 8) . "\n"
		  if @missing;
		$msg .= "  rows only in the federated answer:\n" . fmt_rows([ map { $_->[1] } @extra ], 8) . "\n"
		  if @extra;
		$msg .= "  (the same rows with float values apart by more than $tol->[0])\n" if !@missing && !@extra;
	}
	else
	{
		my $i = 0;
		$i++ while $i < @L && $i < @F && _key($L[$i][1], \@fl, $tol) eq _key($F[$i][1], \@fl, $tol);
		$msg .= "  first difference at row " . ($i + 1) . "\n";
		if ($i >= 10)
		{
			my $from = $i - 2;
			my $win = sub {
				my ($rows) = @_;
				my $to = $from + 5 < $#$rows ? $from + 5 : $#$rows;
				return join("\n", map { sprintf('    %5d %s', $_ + 1, fmt_row($rows->[$_][1])) } $from .. $to);
			};
			$msg .= "  local rows from " . ($from + 1) . ":\n" . $win->(\@L) . "\n";
			$msg .= "  federated rows from " . ($from + 1) . ":\n" . $win->(\@F) . "\n";
		}
	}
	$msg .= "  expected (local):\n" . fmt_rows([ map { $_->[1] } @L ]) . "\n";
	$msg .= "  got (federated):\n" . fmt_rows([ map { $_->[1] } @F ]);
	return $msg;
}

sub _reset_session
{
	my ($dbh) = @_;
	my $p = $dbh->pg_ping;
	return 0 if $p <= 0;
	$dbh->do('ROLLBACK') if $p >= 3;
	$dbh->do('CLOSE ALL; DEALLOCATE ALL; RESET ALL');
	return 1;
}

# New lines of the coordinator's log; the ones that tell of a crash.
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
	$buf = Encode::decode('UTF-8', $buf);
	my @lines = split /\n/, $buf;
	my @crash;
	for my $i (0 .. $#lines)
	{
		next unless $lines[$i] =~ /terminated by signal|terminated by exception|PANIC:|TRAP:|server process \(PID \d+\) exited with exit code/;
		push @crash, $lines[$i];
		push @crash, $lines[ $i + 1 ] if $i < $#lines && $lines[ $i + 1 ] =~ /Failed process was running/;
	}
	return @crash;
}

# Engines in the plan of the failing statement (EXPLAIN on the federated
# connection, after replaying the SET and PREPARE statements before it).
sub _engines
{
	my ($self, $spec, $idx) = @_;
	my %e;
	my @steps = @{ $spec->{steps} };
	my $target;
	my $sql = $steps[$idx]{sql};
	if ($sql =~ /^\s*(SELECT|WITH|\(|EXECUTE)/i)
	{
		$target = $sql;
	}
	else
	{
		for my $s (reverse @steps[ 0 .. $idx ])
		{
			if ($s->{sql} =~ /^DECLARE \w+ .*?CURSOR (?:WITH(?:OUT)? HOLD )?FOR (.*)$/s)
			{
				$target = $1;
				last;
			}
		}
	}
	$e{postgres} = 1 if $sql =~ /\bdim_pg\b/;
	$e{mysql}    = 1 if $sql =~ /\bdim_my\b/;
	my $f = $self->{f};
	if (defined $target && _reset_session($f))
	{
		for my $s (@steps[ 0 .. $idx - 1 ])
		{
			exec_sql($f, $s->{sql}) if $s->{sql} =~ /^(SET|PREPARE)\b/;
		}
		my $pe = _plan_engines($f, $target);
		%e = (%e, map { $_ => 1 } split /\+/, $pe) if $pe ne 'none';
		_reset_session($f);
	}
	return join('+', sort keys %e) || 'none';
}

our $LAST_PLAN = '';

# What the shards were given in a plan, for the summary.
sub _plan_features
{
	my ($plan) = @_;
	my @f;
	push @f, 'aggregates' if $plan =~ /Pushed Down: (partial )?aggregates/;
	push @f, 'join_keys' if $plan =~ /Federate Keys/;
	push @f, 'aggregates_below_join' if $plan =~ /Pushed Down: partial aggregates, join keys/;
	push @f, 'windows' if $plan =~ /Pushed Down: rows, window functions/;
	push @f, 'colocated_join' if $plan =~ /Pushed Down: [^\n]*(inner|left|semi|anti) join/;
	push @f, 'distinct_on' if $plan =~ /Pushed Down: rows, distinct on/;
	push @f, 'order_limit' if $plan =~ /Pushed Down: rows, sorted/;
	push @f, 'reference_join' if $plan =~ /Partitions: [^\n]*\bdim_ref[mb]?\b/;
	push @f, 'key_batches' if $plan =~ /Federate Keys/ && $plan =~ /\bw[tu]s?\d*_p\d/;
	return @f;
}

# The engines that EXPLAIN (which never contacts a shard) shows in the plan
# of $sql on connection $dbh: "mysql", "postgres", "mysql+postgres" or
# "none" (only local tables, or every shard pruned).
sub _plan_engines
{
	my ($dbh, $sql) = @_;
	my $r = exec_sql($dbh, "EXPLAIN (VERBOSE, COSTS OFF) $sql");
	return 'unknown' unless $r->{rows};
	my $plan = join("\n", map { $_->[0] } @{ $r->{rows} });
	$LAST_PLAN = $plan;
	my %e;
	$e{$1} = 1 while $plan =~ /Shard: \S+ \((\w+)\)/g;
	while ($plan =~ /\bft2?_p(\d\d)\b/g)
	{
		$e{ $FederateTest::Differential::DRIVER{ FederateTest::Differential::server_of_remainder($1) } } = 1;
	}
	$e{postgres} = 1 if $plan =~ /\bdim_pg\b/;
	$e{mysql}    = 1 if $plan =~ /\bdim_my\b/;
	return join('+', sort keys %e) || 'none';
}

sub _failure
{
	my ($self, $spec, $idx, $kind, $detail) = @_;
	my $engines = $kind eq 'crash' ? 'n/a' : $self->_engines($spec, $idx);
	$self->{stats}{$kind}++;
	my %what = (
		diff        => 'the federated answer differs from the local one',
		fed_error   => 'error on the federated side only',
		local_error => 'the local side failed, the federated side did not',
		sqlstate    => 'both failed, with different SQLSTATEs',
		crash       => 'the coordinator crashed',
	);
	my $n = $spec->{n};
	my $script = '';
	for my $i (0 .. $#{ $spec->{steps} })
	{
		$script .= '    ' . $spec->{steps}[$i]{sql} . ';' . ($i == $idx ? '    -- <== here' : '') . "\n";
		last if $i == $idx && $kind eq 'crash';
	}
	my $text = sprintf("FAILURE %d: seed %s, query #%d (shape %s, engines %s): %s\n"
		  . "  reproduce: FUZZ_SEED=%s FUZZ_ONLY=%d, or on the coordinator:\n%s"
		  . "  local twin of the failing statement:\n    %s;\n%s\n",
		scalar(@{ $self->{failures} }) + 1, $self->{seed}, $n, $spec->{shape}, $engines, $what{$kind},
		$self->{seed}, $n, $script, FederateTest::Differential::local_sql($spec->{steps}[$idx]{sql}),
		$detail);
	push @{ $self->{failures} }, { n => $n, shape => $spec->{shape}, kind => $kind, engines => $engines,
		sql => $spec->{steps}[$idx]{sql}, text => $text };
	$self->{by_engine}{$engines}++;
	$self->{by_shape}{"$spec->{shape}/$kind"}++;
	ok(0, "seed $self->{seed} query #$n ($spec->{shape}): $what{$kind}");
	diag($text);
	if (open(my $fh, '>>:encoding(UTF-8)', $self->{report}))
	{
		print $fh $text, "\n";
		close $fh;
	}
	return;
}

sub _recover
{
	my ($self) = @_;
	eval { $self->{$_}->disconnect } for ('l', 'f');
	$self->{fed}->ensure_coord_up or BAIL_OUT('the coordinator did not come back after a crash');
	$self->_connect;
	$self->_crash_lines;    # skip the recovery messages
	return;
}

# Run one query (all its statements) on both sides.  Returns its outcome.
sub run_spec
{
	my ($self, $spec) = @_;
	my @steps = @{ $spec->{steps} };
	my $outcome = 'ok';
	my ($crash_idx, $crash_detail);
	$self->{stats}{queries}++;
	for my $i (0 .. $#steps)
	{
		my $st = $steps[$i];
		my $lr = exec_sql($self->{l}, FederateTest::Differential::local_sql($st->{sql}));
		my $fr = $lr->{lost} ? { err => 'not run', lost => 1 } : exec_sql($self->{f}, $st->{sql});
		$self->{stats}{statements}++;
		if ($lr->{lost} || $fr->{lost})
		{
			($crash_idx, $crash_detail) = ($i, "  the connection was lost: " . ($fr->{err} // '') . "\n");
			$outcome = 'crash';
			last;
		}
		if ($lr->{err} && $fr->{err} && $st->{may_fail} && $lr->{state} eq $fr->{state})
		{
			next;    # an error this query expects, the same on both sides
		}
		if ($lr->{err} && $fr->{err})
		{
			if ($lr->{state} ne $fr->{state})
			{
				$self->_failure($spec, $i, 'sqlstate', "  local: $lr->{state} $lr->{err}\n  federated: $fr->{state} $fr->{err}");
				$outcome = 'fail';
			}
			else
			{
				$self->{stats}{both_error}++;
				$self->{both_states}{ $lr->{state} }++;
				$self->{both_example}{ $lr->{state} } //= "#$spec->{n}: $st->{sql}\n      -> $lr->{err}";
				$outcome = 'both_error';
			}
			last;
		}
		if ($lr->{err} && $lr->{state} =~ /^22/ && $st->{sql} =~ /\b(?:LIMIT|FETCH|OFFSET|EXISTS)\b/i)
		{
			# a data error (overflow, division by zero) in a row the
			# federated plan never computed: a plan that stops early
			# (LIMIT over an incremental sort, a semi-join) may skip rows
			# the local plan evaluates first; PostgreSQL allows both
			$self->{stats}{early_stop}++;
			$outcome = 'both_error';
			last;
		}
		if ($fr->{err} && !$lr->{err} && $fr->{state} eq 'HV004'
			&& $fr->{err} =~ /^ERROR:  cannot send value "-?infinity" of type [\w ]+ to a mysql server/)
		{
			# the documented refusal (docs/errors.md, "Errors you may meet"): a
			# generic plan's parameter whose value MySQL cannot hold, in a
			# condition the plan ships there; counted apart, never hidden
			$self->{stats}{refused}++;
			$outcome = 'both_error';
			last;
		}
		if ($lr->{err})
		{
			$self->_failure($spec, $i, 'local_error',
				"  local: $lr->{state} $lr->{err}\n  federated answer:\n" . fmt_rows($fr->{rows} || []));
			$outcome = 'fail';
			last;
		}
		if ($fr->{err})
		{
			$self->_failure($spec, $i, 'fed_error',
				"  federated: $fr->{state} $fr->{err}\n  expected (local):\n" . fmt_rows($lr->{rows} || []));
			$outcome = 'fail';
			last;
		}
		if ($lr->{rows} || $fr->{rows})
		{
			my $d = compare($lr, $fr, $st->{ordered}, $st->{loose_float});
			if (defined $d)
			{
				$self->_failure($spec, $i, 'diff', $d);
				$outcome = 'fail';
				last;
			}
		}
	}
	# which engines the query reached, from its plan (single statements)
	my @rs = grep { $_->{rows} } @steps;
	if ($outcome eq 'ok' && @rs == 1 && $rs[0]{sql} =~ /^\s*(SELECT|WITH|\()/ && $spec->{n} > 0)
	{
		$self->{engine_queries}{ _plan_engines($self->{f}, $rs[0]{sql}) }++;
		$self->{features}{$_}++ for _plan_features($LAST_PLAN);
		my %t = map { $_ => 1 } $rs[0]{sql} =~ /\b(w[a-z]2?|dim_ref[mb]?)\b/g;
		$self->{tables}{$_}++ for grep { $FederateTest::Differential::TABLE{$_} } keys %t;
	}
	my @crash = $self->_crash_lines;
	if ($outcome eq 'crash')
	{
		# the postmaster logs the crash a moment after the connection is lost
		my $until = time + 5;
		while (!grep({ /terminated by|exited with exit code|PANIC/ } @crash) && time < $until)
		{
			Time::HiRes::usleep(100_000);
			push @crash, $self->_crash_lines;
		}
	}
	if (@crash || $outcome eq 'crash')
	{
		$crash_idx //= $#steps;
		$self->_failure($spec, $crash_idx, 'crash',
			($crash_detail // '') . "  coordinator log:\n" . join("\n", map { "    $_" } @crash));
		$self->_recover;
		return 'crash';
	}
	for my $side ('l', 'f')
	{
		next if _reset_session($self->{$side});
		# a connection that died without a crash in the log
		$self->_failure($spec, $#steps, 'crash', "  the $side connection is gone after the query\n");
		$self->_recover;
		return 'crash';
	}
	return $outcome;
}

sub _stop_now
{
	my ($self) = @_;
	return !$self->{keep_going} && @{ $self->{failures} } >= $self->{max_failures};
}

=pod

=head2 $fz->run_fixed

Whole-table dumps compared in order (every value survived the trip to its
engine and back), as TAP tests.

=cut

sub run_fixed
{
	my ($self) = @_;
	my @q = (
		'SELECT * FROM ft ORDER BY id', 'SELECT * FROM ft2 ORDER BY id2',
		'SELECT * FROM dim_loc ORDER BY grp', 'SELECT * FROM dim_pg ORDER BY grp',
		'SELECT * FROM dim_my ORDER BY grp', 'SELECT * FROM dim_ref ORDER BY grp',
		'SELECT * FROM dim_refm ORDER BY grp', 'SELECT * FROM dim_refb ORDER BY grp',
		map({ "SELECT * FROM $_ ORDER BY id" } @FederateTest::Differential::W_TABLES),
	);
	for my $i (0 .. $#q)
	{
		my $before = @{ $self->{failures} };
		$self->run_spec({ n => -1 - $i, shape => 'dump', steps => [ { sql => $q[$i], ordered => 1, rows => 1 } ] });
		pass("same rows: $q[$i]") if @{ $self->{failures} } == $before;
	}
	return;
}

=pod

=head2 $fz->run

Generates and runs queries 1..n (or the numbers in C<only>).

=cut

sub run
{
	my ($self) = @_;
	my @nums = $self->{only} ? @{ $self->{only} } : (1 .. $self->{n});
	my $t0 = time;
	my $in_a_row = 0;
	for my $n (@nums)
	{
		my $spec = $self->{gen}->query($n);
		my $outcome = $self->run_spec($spec);
		$in_a_row = ($outcome eq 'fail' || $outcome eq 'crash') ? $in_a_row + 1 : 0;
		if ($in_a_row >= 100)
		{
			diag('100 queries in a row failed: the federation itself looks broken; stopping');
			last;
		}
		if ($n % 100 == 0)
		{
			note(sprintf('%d queries in %.1f s, %d failures', $n, time - $t0, scalar @{ $self->{failures} }));
		}
		if ($self->_stop_now)
		{
			diag("stopping after $self->{max_failures} failures (FUZZ_KEEP_GOING=1 runs them all)");
			last;
		}
	}
	$self->{elapsed} = time - $t0;
	return;
}

=pod

=head2 $fz->summary

Prints the summary line, and passes when nothing failed.

=cut

sub summary
{
	my ($self) = @_;
	my $s = $self->{stats};
	my $line = sprintf('differential summary: seed %s, %d queries (%d statements) in %.1f s: '
		  . '%d differences, %d federated-only errors, %d local-only errors, %d SQLSTATE mismatches, '
		  . '%d crashes; %d queries failed alike on both sides',
		$self->{seed}, $s->{queries}, $s->{statements}, $self->{elapsed} // 0, $s->{diff}, $s->{fed_error},
		$s->{local_error}, $s->{sqlstate}, $s->{crash}, $s->{both_error});
	my $eq = join(', ', map { "$_=$self->{engine_queries}{$_}" } sort keys %{ $self->{engine_queries} || {} });
	$line .= "\n  single-statement queries that passed, by engines in their plans: $eq" if $eq;
	my $ft = join(', ', map { "$_=$self->{features}{$_}" } sort keys %{ $self->{features} || {} });
	$line .= "\n  and by what their plans push to the shards: $ft" if $ft;
	my $tb = join(', ', map { "$_=$self->{tables}{$_}" } sort keys %{ $self->{tables} || {} });
	$line .= "\n  and by the layout and reference tables they read: $tb" if $tb;
	my $eng = join(', ', map { "$_=$self->{by_engine}{$_}" } sort keys %{ $self->{by_engine} || {} });
	$line .= "\n  failures by engines in the plan: " . ($eng || 'none');
	my $shp = join(', ', map { "$_=$self->{by_shape}{$_}" } sort keys %{ $self->{by_shape} || {} });
	$line .= "\n  failures by shape/kind: $shp" if $shp;
	$line .= "\n  local-only data errors under LIMIT/EXISTS (rows the federated plan never computed): $s->{early_stop}"
	  if $s->{early_stop};
	$line .= "\n  documented refusals (a generic plan's infinite parameter for a MySQL shard, HV004): $s->{refused}"
	  if $s->{refused};
	my $bs = join(', ', map { "$_=$self->{both_states}{$_}" } sort keys %{ $self->{both_states} || {} });
	$line .= "\n  SQLSTATEs of queries that failed on both sides: $bs" if $bs;
	note("first query of each SQLSTATE that failed on both sides:\n"
		  . join("\n", map { "  $_ $self->{both_example}{$_}" } sort keys %{ $self->{both_example} || {} }))
	  if $self->{both_example};
	$line .= "\n  failure report: $self->{report}" if @{ $self->{failures} };
	diag($line);
	ok(!@{ $self->{failures} }, "differential run (seed $self->{seed}): no failures");
	return $line;
}

1;

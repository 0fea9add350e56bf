# A seeded random differential tester.  It builds a federation (a
# coordinator, two PostgreSQL shard clusters and a MariaDB server with its
# default case-insensitive, PAD SPACE collation) holding:
#   ft, ft2   hash-partitioned on k into 36 federate foreign partitions
#             each, 12 per server, co-located (same remainder, same server);
#   dim_loc, dim_pg, dim_my   one dimension table as a local table, on a
#             PostgreSQL shard and on MariaDB;
#   dim_ref, dim_refm, dim_refb   reference tables (option "copies") with
#             copies on both engines;
#   wh, wh2, wr, wr2, wl, wt, wu   layouts: MariaDB FLOAT, DOUBLE, DECIMAL
#             and unsigned columns, text in general_ci, unicode_ci, bin or
#             nopad_bin per partition; hash (wh, and wh2 co-located with
#             it), RANGE with a DEFAULT partition (wr, wr2 co-located),
#             LIST with a DEFAULT (wl), two levels (wt, wu);
#   lt, lt2, ldim, lw, lw2   local heap tables with the same rows,
# with values that trip federation up (case and trailing-space variants,
# empty strings, quotes, backslashes, LIKE wildcards, unicode, NULLs in every
# column, huge and negative numerics, -0/NaN/infinities on PostgreSQL
# shards, timestamps at midnight and around DST changes).  Then it generates
# queries from a seed (filters, every aggregate, GROUP BY, grouping sets,
# DISTINCT [ON], ORDER BY/LIMIT/OFFSET/WITH TIES, windows, set operations,
# CTEs, joins of every kind with every dimension table and between ft and
# ft2, LATERAL, correlated subqueries, VALUES lists, pseudoconstant
# conditions, prepared statements with generic and custom plans, scrollable
# and holdable cursors, transactions with savepoints around statements that
# fail on the shards, other time zones and planner settings, x op
# ANY/ALL (array) with every operator, joins of the layouts on text across
# collations, semi and anti joins on text, small inputs that ship their
# keys, random federate settings per query, with
# circuit breakers off) and runs each one on the federated
# tables and, with the table names swapped, on the local ones: the answers
# must be equal, the errors the same, and the coordinator must not crash.
# See FederateTest/Differential.pm for the rules.
#
# Knobs (environment): FUZZ_SEED (default 1), FUZZ_N (queries, default
# 1000), FUZZ_KEEP_GOING=1 (report every failure instead of stopping after
# 20), FUZZ_ONLY=n[,m...] (only these query numbers of the seed),
# FUZZ_DATA_SEED (the rows; default fixed), FUZZ_PAUSE=seconds (keep the
# federation up that long at the end, to reproduce a failure by hand),
# FUZZ_SHAPES=name[,name...] (only these query shapes, e.g. window).
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

BEGIN
{
	eval { require DBI; require DBD::Pg; 1 }
	  or plan skip_all => 'DBD::Pg is not installed (test/install_deps.sh installs libdbd-pg-perl)';
}

use FederateTest::Differential;

my $seed = $ENV{FUZZ_SEED} // 1;
my $n    = $ENV{FUZZ_N} // 1000;
my @only = $ENV{FUZZ_ONLY} ? split(/[,\s]+/, $ENV{FUZZ_ONLY}) : ();

# No circuit breakers: a bug that loses connections must not make later,
# unrelated queries fail fast (030_failures tests the breakers).
my $fed = FederateTest::Differential->build(name => 'diff',
	coord_conf => "federate.circuit_failure_threshold = 0\n");
$fed->check_load;

my $fz = $fed->fuzzer(
	seed       => $seed,
	n          => $n,
	keep_going => $ENV{FUZZ_KEEP_GOING} ? 1 : 0,
	only       => @only ? \@only : undef);
$fz->run_fixed;
$fz->run;
$fz->summary;

# Keep the federation up to reproduce a failure by hand.
if ($ENV{FUZZ_PAUSE})
{
	my $c = $fed->coord;
	diag(sprintf("FUZZ_PAUSE: the federation stays up for %d s (kill -TERM %d ends it sooner); "
		  . "as %s: psql -h %s -p %d postgres",
		$ENV{FUZZ_PAUSE}, $$, scalar(getpwuid($<)), $c->host, $c->port));
	eval {
		local $SIG{TERM} = local $SIG{INT} = sub { die "interrupted\n" };
		sleep($ENV{FUZZ_PAUSE});
	};
}

$fed->stop;
done_testing();

# A seeded random differential tester for writes.  It builds a small
# federation (a coordinator, two PostgreSQL shard clusters and a MariaDB
# with its default case-insensitive, PAD SPACE collation) holding:
#   wh   hash-partitioned on k into 6 federate partitions, 2 per server;
#   wr   range-partitioned on k: partitions on s1, s2 and MariaDB (one of
#        them with binary NO PAD text), one heap partition on the
#        coordinator, a DEFAULT partition whose key is deferred;
#   fp, fq, fm, fn   plain federate tables on s1, s2 and MariaDB (twice,
#        fn with other collations); fq and fn with row triggers;
#   vh, vq, vn   views WITH CHECK OPTION over wh, fq and fn;
# each with a remote PRIMARY KEY (id), and local twins (lh, lr, lp, lq, lm,
# ln, lvh, lvq, lvn) with the same columns, defaults, partitions,
# per-partition keys, triggers and views, holding the same rows.  Then it
# generates transactions from a seed: INSERT (one row, several, DEFAULT,
# column subsets, INSERT ... SELECT from the same table, another one or
# generate_series, ON CONFLICT DO NOTHING; upserts: ON CONFLICT (id) DO
# UPDATE SET ... [WHERE ...] and ON CONFLICT (id) DO NOTHING on the plain
# tables and the views over them), COPY, UPDATE and DELETE (by id
# or partition key, or scattered with conditions on text in case and
# trailing-space variants, LIKE, IN, ANY, NULLs, numerics, timestamps; SET
# lists that read columns they assign; correlated subqueries on the same
# table; UPDATE ... FROM, DELETE ... USING; partition-key changes; writes to
# one partition, through views, in data-modifying CTEs), RETURNING,
# TRUNCATE, reads of the transaction's writes, prepared statements under
# generic plans, savepoints, statements that fail (duplicate key, division
# by zero, overflow, NOT NULL, too long, check option, at COMMIT), COMMIT or
# ROLLBACK, and statements outside a transaction block.  Each statement runs
# on the federated tables and, with the names swapped, on the twins: errors
# (SQLSTATE), command tags and returned rows must be equal, and after every
# transaction so must the full contents of every table and the rows the
# triggers saw.  Refusals federate documents (SQLSTATE 0A000: a row that
# would move to another partition, ON CONFLICT on MySQL, RETURNING,
# TRUNCATE options on MySQL; ON CONFLICT DO UPDATE with row triggers,
# through a view WITH CHECK OPTION, or on MySQL with a WHERE clause or a
# SET list that reads its own assignments in a cycle) are rolled back on
# both sides and counted per message; so are the differences this tester
# found that are reported and not fixed yet (@KNOWN in the module), unless
# WFUZZ_STRICT=1.  See FederateTest/WriteDifferential.pm for the rules.
#
# Knobs (environment): WFUZZ_SEED (default 1), WFUZZ_N (transactions,
# default 800, about a minute), WFUZZ_ENGINES (all, postgres, mysql or
# mixed: the tables written), WFUZZ_KEEP_GOING=1 (report every difference
# instead of stopping after 10), WFUZZ_STRICT=1 (the known differences fail
# too), WFUZZ_KILL (default 0.05: the share of COMMITs with a fault, the
# coordinator's connections to one server killed just before, or a failure
# injected after PREPARE or before the second phase; the twin then commits
# only when the federated COMMIT did, and after recovery the contents must
# be equal: all or nothing, and no prepared transaction left), WFUZZ_ONLY=n[,m...] (run up to the last of them and print these
# transactions statement by statement with both answers),
# WFUZZ_KINDS=update_swap,delete_corr,... (only these statement kinds of
# @KINDS: insert, insert_select, on_conflict, upsert, upsert_nothing,
# update, update_scatter, update_swap, update_corr, update_from,
# update_key, partition, delete, delete_scatter, delete_corr, delete_using,
# select, fail, prepared, truncate, view, cte, copy), WFUZZ_DATA_SEED (the
# first rows), WFUZZ_PAUSE=seconds (keep the federation up that long at the
# end).
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

use FederateTest::WriteDifferential;

my $seed  = $ENV{WFUZZ_SEED} // 1;
my $n     = $ENV{WFUZZ_N} // 800;
my @only  = $ENV{WFUZZ_ONLY} ? split(/[,\s]+/, $ENV{WFUZZ_ONLY}) : ();
my @kinds = $ENV{WFUZZ_KINDS} ? split(/[,\s]+/, $ENV{WFUZZ_KINDS}) : ();

# No circuit breakers: a bug that loses connections must not make later
# statements fail fast.
my $fed = FederateTest::WriteDifferential->build(name => 'wdiff',
	coord_conf => "federate.circuit_failure_threshold = 0\n");
$fed->check_load;

my $run = $fed->runner(
	seed       => $seed,
	n          => $n,
	keep_going => $ENV{WFUZZ_KEEP_GOING} ? 1 : 0,
	strict     => $ENV{WFUZZ_STRICT} ? 1 : 0,
	kill       => $ENV{WFUZZ_KILL} // 0.05,
	engines    => $ENV{WFUZZ_ENGINES} // 'all',
	only       => @only ? \@only : undef,
	kinds      => @kinds ? \@kinds : undef);
$run->self_check;
$run->run;
$run->summary;

if ($ENV{WFUZZ_PAUSE})
{
	my $c = $fed->coord;
	diag(sprintf("WFUZZ_PAUSE: the federation stays up for %d s (kill -TERM %d ends it sooner); "
		  . "as %s: psql -h %s -p %d postgres",
		$ENV{WFUZZ_PAUSE}, $$, scalar(getpwuid($<)), $c->host, $c->port));
	eval {
		local $SIG{TERM} = local $SIG{INT} = sub { die "interrupted\n" };
		sleep($ENV{WFUZZ_PAUSE});
	};
}

$fed->stop;
done_testing();

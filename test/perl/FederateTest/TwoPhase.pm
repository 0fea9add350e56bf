# Copyright: part of federate.  Helpers of the two-phase commit TAP tests.

=pod

=head1 NAME

FederateTest::TwoPhase - what the two-phase commit tests (100, 105) share

=head1 SYNOPSIS

  FederateTest::TwoPhase::restart_after_crash($coord);
  my $n = FederateTest::TwoPhase::prepared_count(@pg_shards);
  my $x = FederateTest::TwoPhase::xa_count($mariadb);

=cut

package FederateTest::TwoPhase;

use strict;
use warnings;

# The tests' clusters have restart_after_crash off: once the killed
# backend's postmaster has shut down, start the node again.  A node still
# up after 10 s did not crash (the fault was not reached): left as it is.
sub restart_after_crash
{
	my ($node) = @_;
	my $pidfile = $node->data_dir . '/postmaster.pid';
	for (1 .. 100)
	{
		last unless -e $pidfile;
		select(undef, undef, undef, 0.1);
	}
	return if -e $pidfile;
	$node->_update_pid(0);
	$node->start;
	return;
}

# The prepared transactions on these PostgreSQL nodes, all together.
sub prepared_count
{
	my (@nodes) = @_;
	my $n = 0;
	$n += $_->safe_psql('postgres', 'SELECT count(*) FROM pg_prepared_xacts') for @nodes;
	return $n;
}

# The prepared XA transactions on a FederateTest::MariaDB server (XA
# RECOVER lists them, whichever session or database prepared them).
sub xa_count
{
	my ($m) = @_;
	my @rows = grep { length } split /\n/, $m->sql('XA RECOVER');
	return scalar @rows;
}

1;

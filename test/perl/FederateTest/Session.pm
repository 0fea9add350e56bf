# Copyright: part of federate.  Long-lived psql sessions for TAP tests.

=pod

=head1 NAME

FederateTest::Session - a coordinator session (psql reading from a pipe)
that runs SQL without waiting for it, so that several sessions can work at
once

=head1 SYNOPSIS

  my $s = FederateTest::Session->new($node->connstr('postgres'));
  $s->send('SELECT pg_sleep(1);');     # returns at once
  my ($out, $err) = $s->wait;          # stdout and stderr of just that SQL
  my ($out, $err) = $s->run('SELECT 1;');
  $s->{pid};                           # its backend
  $s->{elapsed};                       # seconds from send to answer
  $s->busy;                            # still running what was sent?

=cut

package FederateTest::Session;

use strict;
use warnings;

use IPC::Run;
use PostgreSQL::Test::Utils;
use Time::HiRes qw(time);

sub new
{
	my ($class, $connstr) = @_;
	my $self = bless { in => '', out => '', err => '' }, $class;
	$self->{timer} = IPC::Run::timeout($PostgreSQL::Test::Utils::timeout_default);
	$self->{h} = IPC::Run::start(
		[ 'psql', '-XAtq', '-v', 'ON_ERROR_STOP=0', '-d', $connstr, '-f', '-' ],
		'<', \$self->{in}, '>', \$self->{out}, '2>', \$self->{err}, $self->{timer});
	($self->{pid}) = $self->run('SELECT pg_backend_pid();');
	return $self;
}

sub send
{
	my ($self, $sql) = @_;
	$self->{marker} = '__done_' . int(rand(1e9)) . '__';
	$self->{out} = '';
	$self->{err} = '';
	$self->{timer}->start($PostgreSQL::Test::Utils::timeout_default);
	$self->{in} .= "$sql\n\\echo $self->{marker}\n\\warn $self->{marker}\n";
	$self->{t0} = time;
	$self->{h}->pump_nb while length $self->{in};
	return;
}

# psql writes a \warn line's text and its newline separately (stderr is
# unbuffered): both are waited for, or the newline lands in the next answer.
sub _done
{
	my ($self) = @_;
	my $mk = $self->{marker};
	return $self->{out} =~ /\Q$mk\E\n/ && $self->{err} =~ /\Q$mk\E\n/;
}

sub busy
{
	my ($self) = @_;
	$self->{h}->pump_nb;
	return !$self->_done;
}

sub wait
{
	my ($self) = @_;
	my $mk = $self->{marker};
	$self->{h}->pump until $self->_done;
	$self->{elapsed} = time - $self->{t0};
	(my $o = $self->{out}) =~ s/\Q$mk\E\n//;
	(my $e = $self->{err}) =~ s/\Q$mk\E\n//;
	chomp $o;
	return ($o, $e);
}

sub run
{
	my ($self, $sql) = @_;
	$self->send($sql);
	return $self->wait;
}

sub quit
{
	my ($self) = @_;
	$self->{in} .= "\\q\n";
	$self->{h}->finish;
	return;
}

1;

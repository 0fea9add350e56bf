#!/usr/bin/perl
# Helper of test/bench/run.sh; not meant to be run by hand.
#
#   bench.pl spec   CONF QUERIES WORKDIR   writes WORKDIR/spec (for floor -f),
#                                          WORKDIR/explain/QID.txt, WORKDIR/floor-source.tsv
#   bench.pl parse-explain < FILE          prints the shard tasks found in an
#                                          EXPLAIN (VERBOSE) output: SERVER DRIVER SQL
#   bench.pl report CONF QUERIES WORKDIR RESULTS_FILE
#                                          reads WORKDIR/times.tsv and WORKDIR/out/*,
#                                          prints the table, writes RESULTS_FILE;
#                                          exit status 1 if an answer differs or a system failed
#
# CONF is tab-separated lines written by run.sh:
#   scenario  A
#   title     4 PostgreSQL shards
#   coord     CONNINFO               (libpq, the coordinator database)
#   psql      PATH
#   session   SYSTEM  SQL            (setup of the coordinator session of SYSTEM; repeatable)
#   server    NAME DRIVER CONNINFO   (a shard: federate server name, postgres|mysql)
#   xserver   NAME DRIVER CONNINFO   (a server outside the sharded table)
#   tenant    ID                     (@TENANT@)
#   tenant_server NAME               (server holding @TENANT@)
#   runs      N
#   info      TEXT                   (printed in the results header; repeatable)
use strict;
use warnings;

my $cmd = shift @ARGV // '';
if ($cmd eq 'spec') { spec(@ARGV); exit 0; }
if ($cmd eq 'report') { exit report(@ARGV); }
if ($cmd eq 'parse-explain') {
	# check the EXPLAIN contract by hand: bench.pl parse-explain < explain.txt
	my @l = <STDIN>;
	chomp @l;
	print "$_->{server}\t$_->{driver}\t$_->{sql}\n" for parse_explain(@l);
	exit 0;
}
die "usage: bench.pl spec|report ...\n";

# The systems, in the order they run within a round.
sub sql_systems { return qw(federate pgfdw_on pgfdw_off local); }

sub read_conf {
	my ($file) = @_;
	my %c = (session => {}, servers => [], info => []);
	open my $fh, '<', $file or die "cannot read $file: $!\n";
	while (my $l = <$fh>) {
		chomp $l;
		next if $l eq '' || $l =~ /^#/;
		my @f = split /\t/, $l, -1;
		my $k = shift @f;
		if ($k eq 'session') { push @{ $c{session}{ $f[0] } }, $f[1]; }
		elsif ($k eq 'server') {
			push @{ $c{servers} }, { name => $f[0], driver => $f[1], conninfo => $f[2] };
		}
		elsif ($k eq 'xserver') {
			# a server only the joins' small sides use (Q9's MariaDB in A)
			push @{ $c{servers} }, { name => $f[0], driver => $f[1], conninfo => $f[2], extra => 1 };
		}
		elsif ($k eq 'info') { push @{ $c{info} }, $f[0]; }
		else { $c{$k} = $f[0]; }
	}
	close $fh;
	return \%c;
}

sub read_queries {
	my ($file, $conf) = @_;
	my @q;
	my $cur = {};
	open my $fh, '<', $file or die "cannot read $file: $!\n";
	while (my $l = <$fh>) {
		chomp $l;
		if ($l =~ /^-- @(\S+)\s*(.*?)\s*$/) {
			my ($k, $v) = ($1, $2);
			if ($k eq 'query') { $cur->{id} = $v; }
			elsif ($k eq 'target') { push @{ $cur->{targets} }, [split ' ', $v]; }
			elsif ($k eq 'known') {
				my ($sys, $scen, $why) = split ' ', $v, 3;
				$cur->{known}{"$sys $scen"} = $why;
			}
			else { $cur->{$k} = $v; }
			next;
		}
		next if $l =~ /^\s*(--.*)?$/;
		$cur->{sql} = ($cur->{sql} // '') . ($cur->{sql} ? ' ' : '') . $l;
		if ($cur->{sql} =~ s/;\s*$//) {
			die "$file: a statement without -- \@query\n" unless $cur->{id};
			push @q, $cur;
			$cur = {};
		}
	}
	close $fh;
	# BENCH_QUERIES="Q12 Q16": only these
	if ($ENV{BENCH_QUERIES}) {
		my %want = map { $_ => 1 } split ' ', $ENV{BENCH_QUERIES};
		@q = grep { $want{ $_->{id} } } @q;
	}
	my $t = $conf->{tenant} // '';
	for my $q (@q) {
		for my $k (keys %$q) {
			next if ref $q->{$k};
			$q->{$k} =~ s/\@TENANT\@/$t/g;
			die "query $q->{id}: tab or newline in $k\n" if $q->{$k} =~ /[\t\n]/;
		}
	}
	return @q;
}

sub server_by_name {
	my ($conf, $name) = @_;
	for my $s (@{ $conf->{servers} }) { return $s if $s->{name} eq $name; }
	return undef;
}

sub conn_driver { return $_[0] eq 'mysql' ? 'mysql+fed' : 'pg+fed'; }

# The federate EXPLAIN contract: a line "Shard: NAME (DRIVER)", then (maybe
# after other lines) "Remote SQL: SQL", then maybe "Remote Parameters:
# $1 = expr, ..." (what the coordinator computes and sends with it).
# Anything else is ignored.
sub parse_explain {
	my (@lines) = @_;
	my (@tasks, $pending);
	for my $l (@lines) {
		if ($l =~ /^\s*(?:->\s*)?Shard:\s*(.+?)\s*\(\s*([A-Za-z]+)\s*\)\s*$/) {
			my ($name, $drv) = ($1, lc $2);
			$name =~ s/^"(.*)"$/$1/ and $name =~ s/""/"/g;
			$pending = { server => $name, driver => $drv };
		}
		elsif ($l =~ /^\s*Remote SQL:\s*(.*?)\s*$/ && $pending) {
			$pending->{sql} = $1;
			push @tasks, $pending;
			undef $pending;
		}
		elsif ($l =~ /^\s*Remote Parameters:\s*(.*?)\s*$/ && @tasks && !$pending) {
			$tasks[-1]{params} = $1;
		}
	}
	return @tasks;
}

# "$1 = expr, $2 = expr" (what EXPLAIN shows) as a list of expressions.
sub split_params {
	my ($s) = @_;
	my @out;
	while ($s =~ /\G\s*\$\d+ = /gc) {
		my $start = pos($s);
		my ($depth, $quote) = (0, 0);
		my $i = $start;
		for (; $i < length $s; $i++) {
			my $ch = substr($s, $i, 1);
			if ($quote) { $quote = 0 if $ch eq "'"; next; }
			if ($ch eq "'") { $quote = 1; next; }
			$depth++ if $ch eq '(';
			$depth-- if $ch eq ')';
			last if $depth == 0 && substr($s, $i, 2) eq ', ' && substr($s, $i) =~ /^, \$\d+ = /;
		}
		push @out, substr($s, $start, $i - $start);
		pos($s) = $i < length $s ? $i + 2 : $i;
	}
	return @out;
}

# The statement with each $n replaced by the value the coordinator computes
# for it (timestamptz in UTC without offset for MySQL, as federate sends).
sub bind_params {
	my ($conf, $t, $keys) = @_;
	return $t->{sql} unless $t->{params} || $keys;
	my @vals;
	my $coord = sub {
		my ($sql) = @_;
		my @cmd = ($conf->{psql}, '-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1', '-d', $conf->{coord});
		push @cmd, '-c', $_ for @{ $conf->{session}{federate} // [] };
		push @cmd, '-c', $sql;
		open my $ph, '-|', @cmd or die "cannot run psql: $!\n";
		my $v = join '', <$ph>;
		close $ph or die "could not run on the coordinator: $sql (psql status $?)\n";
		chomp $v;
		return $v;
	};
	for my $e (split_params($t->{params} // '')) {
		my $type = $coord->("SELECT pg_typeof($e)");
		my $v = ($t->{driver} eq 'mysql' && $type eq 'timestamp with time zone')
		  ? $coord->("SELECT to_char(($e) AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')")
		  : $coord->("SELECT ($e)::text");
		$v =~ s/'/''/g;
		push @vals, $type =~ /^(smallint|integer|bigint|numeric)$/ ? $v : "'$v'";
	}
	# the shipped join keys come after the statement's own parameters
	if ($keys) {
		my $list = $coord->("SELECT string_agg(k::text, ',' ORDER BY k) FROM ($keys) s(k)");
		push @vals, $t->{driver} eq 'mysql' ? ($list eq '' ? 'NULL' : $list) : "'{$list}'";
	}
	(my $sql = $t->{sql}) =~ s/\$(\d+)(?!\d)/$vals[$1 - 1]/g;
	return $sql;
}

sub spec {
	my ($conffile, $qfile, $work) = @_;
	my $conf = read_conf($conffile);
	my @queries = read_queries($qfile, $conf);
	mkdir "$work/explain";
	open my $spec, '>', "$work/spec" or die "cannot write $work/spec: $!\n";
	open my $src, '>', "$work/floor-source.tsv" or die;

	# coordinator sessions, one per SQL system, kept for the whole scenario
	for my $sys (sql_systems()) {
		print $spec "conn\tcoord_$sys\tpg\t$conf->{coord}\n";
		print $spec "setup\tcoord_$sys\t$_\n" for @{ $conf->{session}{$sys} // [] };
	}
	for my $s (@{ $conf->{servers} }) {
		print $spec "conn\t$s->{name}\t" . conn_driver($s->{driver}) . "\t$s->{conninfo}\n";
	}

	my $warned = 0;
	for my $q (@queries) {
		my $id = $q->{id};
		# EXPLAIN through federate, in the federate session's setup
		my @cmd = ($conf->{psql}, '-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1', '-d', $conf->{coord});
		push @cmd, '-c', $_ for @{ $conf->{session}{federate} // [] };
		push @cmd, '-c', "EXPLAIN (VERBOSE, COSTS OFF) $q->{sql}";
		open my $ph, '-|', @cmd or die "cannot run psql: $!\n";
		my @lines = <$ph>;
		close $ph or die "EXPLAIN of $id failed (psql status $?)\n";
		chomp @lines;
		open my $ef, '>', "$work/explain/$id.txt" or die;
		print $ef "$_\n" for @lines;
		close $ef;

		my @tasks = parse_explain(@lines);
		my $source = 'explain';
		for my $t (@tasks) {
			my $s = server_by_name($conf, $t->{server})
			  or die "EXPLAIN of $id names shard \"$t->{server}\", which this benchmark did not create\n";
			warn "bench: warning: EXPLAIN of $id says shard $t->{server} is $t->{driver}, "
			  . "the benchmark created it as $s->{driver}\n"
			  if $t->{driver} ne $s->{driver};
			# a task taking the shipped keys has one parameter more than
			# its Remote Parameters: it waits for the tasks that read the
			# small side (Q9's products on MariaDB), as federate does
			my $nkey = 1 + scalar(split_params($t->{params} // ''));
			$t->{stage} = ($q->{keys} && $t->{sql} =~ /\$$nkey(?!\d)/) ? 1 : 0;
			$t->{sql} = bind_params($conf, $t, $q->{keys});
		}
		if (!@tasks) {
			$source = 'fallback';
			my @servers = grep { !$_->{extra} } @{ $conf->{servers} };
			if (($q->{'fallback.scope'} // '') eq 'tenant') {
				@servers = (server_by_name($conf, $conf->{tenant_server}));
			}
			for my $s (@servers) {
				my $sql = $q->{"fallback.$s->{driver}"}
				  or die "query $id has no \@fallback.$s->{driver}\n";
				push @tasks, { server => $s->{name}, driver => $s->{driver}, sql => $sql };
			}
			warn "bench: WARNING: federate's EXPLAIN of $id shows no \"Shard: ... / Remote SQL:\" lines; "
			  . "the floor uses hand-written per-shard SQL (test/bench/queries.sql \@fallback)\n";
			$warned++;
		}
		print $src join("\t", $id, $source, scalar(@tasks)), "\n";

		print $spec "query\t$id\n";
		print $spec "task\t$_\tcoord_$_\t$q->{sql}\n" for sql_systems();
		my @first = grep { !$_->{stage} } @tasks;
		my @then = grep { $_->{stage} } @tasks;
		if (!@first) { @first = @then; @then = (); }
		print $spec "task\tfloor\t$_->{server}\t$_->{sql}\n" for @first;
		print $spec "then\tfloor\n" if @then;
		print $spec "task\tfloor\t$_->{server}\t$_->{sql}\n" for @then;
		if ($q->{'direct.postgres'}) {
			my $s = server_by_name($conf, $conf->{tenant_server})
			  or die "no tenant_server in $conffile\n";
			print $spec "task\tdirect\t$s->{name}\t" . $q->{"direct.$s->{driver}"} . "\n";
		}
	}
	close $spec;
	close $src;
}

sub median {
	my @v = sort { $a <=> $b } @_;
	return undef unless @v;
	return @v % 2 ? $v[$#v / 2] : ($v[@v / 2 - 1] + $v[@v / 2]) / 2;
}

sub slurp_sorted {
	my ($f) = @_;
	open my $fh, '<', $f or return undef;
	my @l = <$fh>;
	close $fh;
	return join '', sort @l;
}

sub fmt_ms { my ($v) = @_; return defined $v ? sprintf('%.1f', $v) : '-'; }
sub fmt_x { my ($a, $b) = @_; return (defined $a && defined $b && $b > 0) ? sprintf('%.2fx', $a / $b) : '-'; }

sub report {
	my ($conffile, $qfile, $work, $resfile) = @_;
	my $conf = read_conf($conffile);
	my @queries = read_queries($qfile, $conf);
	my $scen = $conf->{scenario};

	my (%ms, %rows, %sum, %err);
	open my $tf, '<', "$work/times.tsv" or die "cannot read $work/times.tsv: $!\n";
	while (my $l = <$tf>) {
		chomp $l;
		my @f = split /\t/, $l;
		if ($f[0] eq 'run') {
			my (undef, $q, $sys, $n, $t, $r, $c) = @f;
			push @{ $ms{$q}{$sys} }, $t if $n > 0;
			$rows{$q}{$sys}{$n} = $r;
			$sum{$q}{$sys}{$n} = $c;
		}
		elsif ($f[0] eq 'error') { $err{ $f[1] }{ $f[2] } = $f[4]; }
	}
	close $tf;
	my %source;
	if (open my $sf, '<', "$work/floor-source.tsv") {
		while (<$sf>) { chomp; my @f = split /\t/; $source{ $f[0] } = $f[1]; }
		close $sf;
	}

	my $bad = 0;
	my (@problems, @known, %wrong);
	my %med;
	my @rowsout;
	for my $q (@queries) {
		my $id = $q->{id};
		for my $sys (sql_systems(), 'floor', 'direct') {
			$med{$id}{$sys} = median(@{ $ms{$id}{$sys} // [] });
		}
		# answers: every SQL system's warm-up rows equal local's, and every
		# timed run's checksum equals the warm-up's
		my @check;
		my $ref = slurp_sorted("$work/out/$id.local.out");
		for my $sys (sql_systems(), 'floor', 'direct') {
			if ($err{$id}{$sys}) {
				push @check, "$sys ERROR";
				push @problems, "$id $sys failed: $err{$id}{$sys}";
				$bad = 1;
				next;
			}
			next unless $sum{$id}{$sys};
			my @runs = sort { $a <=> $b } keys %{ $sum{$id}{$sys} };
			my @diff = grep { $sum{$id}{$sys}{$_} ne $sum{$id}{$sys}{0} } @runs;
			if (@diff) {
				push @check, "$sys UNSTABLE";
				push @problems, "$id $sys: the answer of run(s) @diff differs from the warm-up's";
				$bad = 1;
			}
			next if $sys eq 'local' || $sys eq 'floor' || $sys eq 'direct';
			my $got = slurp_sorted("$work/out/$id.$sys.out");
			if (!defined $ref || !defined $got || $got ne $ref) {
				my $diff = "(diff $work/out/$id.local.out $work/out/$id.$sys.out)";
				$wrong{$id}{$sys} = 1;
				my $why = $sys eq 'federate' ? undef : $q->{known}{"$sys $scen"};
				if ($why) {
					push @check, "$sys WRONG (known)";
					push @known, "$id $sys: answer differs from local's: $why $diff";
				}
				else {
					push @check, "$sys MISMATCH";
					push @problems, "$id $sys: answer differs from local's $diff";
					$bad = 1;
				}
			}
		}
		# the best postgres_fdw time among the runs that gave the right answer
		my ($best) = sort { $a <=> $b } grep { defined }
		  map { $wrong{$id}{$_} ? undef : $med{$id}{$_} } qw(pgfdw_on pgfdw_off);
		$med{$id}{pgfdw_best} = $best;
		my $hasdirect = defined $med{$id}{direct} || exists $err{$id}{direct};
		push @rowsout, [
			$id . (($source{$id} // '') eq 'fallback' ? '*' : ''),
			fmt_ms($med{$id}{federate}),
			fmt_ms($med{$id}{floor}),
			fmt_x($med{$id}{federate}, $med{$id}{floor}),
			fmt_ms($med{$id}{pgfdw_on}),
			fmt_ms($med{$id}{pgfdw_off}),
			fmt_x($best, $med{$id}{federate}),
			fmt_ms($med{$id}{local}),
			$hasdirect ? fmt_ms($med{$id}{direct}) : '-',
			$hasdirect ? fmt_x($med{$id}{federate}, $med{$id}{direct}) : '-',
			@check ? join(', ', @check) : 'ok',
		];
	}

	my @head = ('query', 'federate ms', 'floor ms', 'fed/floor', 'pg_fdw pw on ms',
		'pg_fdw pw off ms', 'pg_fdw best/fed', 'local ms', 'direct ms', 'fed/direct', 'answers');
	my @w = map { length } @head;
	for my $r (@rowsout) {
		for my $i (0 .. $#$r) { $w[$i] = length $r->[$i] if length $r->[$i] > $w[$i]; }
	}
	my $line = sub {
		my @c = @_;
		return join(' | ', map { $_ == 0 || $_ == $#c ? sprintf("%-*s", $w[$_], $c[$_]) : sprintf("%*s", $w[$_], $c[$_]) } 0 .. $#c) . "\n";
	};
	my $out = '';
	$out .= "federate benchmark, scenario $scen: $conf->{title}\n";
	$out .= "  $_\n" for @{ $conf->{info} };
	$out .= "  median of $conf->{runs} timed runs after a warm-up, client-side ms (send to last row)\n\n";
	$out .= $line->(@head);
	$out .= join('-+-', map { '-' x $_ } @w) . "\n";
	$out .= $line->(@$_) for @rowsout;
	if (grep { ($source{$_} // '') eq 'fallback' } keys %source) {
		$out .= "\n* WARNING: federate's EXPLAIN showed no per-shard \"Shard:/Remote SQL:\" lines for this query;\n"
		  . "  its floor ran the hand-written per-shard SQL of queries.sql (\@fallback), not what federate sends.\n";
	}

	$out .= "\ntargets:\n";
	for my $q (@queries) {
		my $id = $q->{id};
		for my $t (@{ $q->{targets} // [] }) {
			my ($kind, $x, $only) = @$t;
			next if defined $only && $only ne $scen;
			my ($desc, $val, $ok);
			if ($kind eq 'floor' || $kind eq 'direct' || $kind eq 'local') {
				my $f = $med{$id}{federate};
				my $b = $med{$id}{$kind};
				$val = (defined $f && defined $b && $b > 0) ? $f / $b : undef;
				$desc = sprintf "%s federate/%s <= %.2f", $id, $kind, $x;
				$ok = defined $val && $val <= $x;
				$val = defined $val ? sprintf('%.2fx', $val) : 'n/a';
				$desc .= ' (floor from hand-written SQL)' if $kind eq 'floor' && ($source{$id} // '') eq 'fallback';
			}
			elsif ($kind eq 'pgfdw') {
				my $f = $med{$id}{federate};
				my $b = $med{$id}{pgfdw_best};
				$val = (defined $f && defined $b && $f > 0) ? $b / $f : undef;
				$desc = sprintf "%s pg_fdw best/federate >= %g", $id, $x;
				$ok = defined $val && $val >= $x;
				$val = defined $val ? sprintf('%.2fx', $val) : 'n/a';
			}
			else { next; }
			# a wrong answer never meets a target
			$ok = 0 if grep { /^\Q$id\E / } @problems;
			$out .= sprintf "  %-60s %8s  %s\n", $desc, $val, $ok ? 'met' : 'NOT MET';
		}
	}
	if (@known) {
		$out .= "\nknown wrong answers of the baselines (reported, not failing the run; not counted in pg_fdw best):\n";
		$out .= "  !  $_\n" for @known;
	}
	if (@problems) {
		$out .= "\nPROBLEMS (the run fails):\n";
		$out .= "  !! $_\n" for @problems;
	}
	else {
		$out .= "\nall other answers equal the local table's.\n";
	}
	print $out;
	if ($resfile) {
		open my $rf, '>', $resfile or die "cannot write $resfile: $!\n";
		print $rf $out;
		close $rf;
	}
	return $bad;
}

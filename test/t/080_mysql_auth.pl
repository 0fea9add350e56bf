# MySQL connections that need a setup of their own:
#   1. a database whose encoding is not UTF8 cannot use MySQL servers (the
#      text would be garbled): a clear error when a connection would be
#      opened or a table imported, whatever the query;
#   2. a non-superuser's mapping must authenticate by its password, as
#      postgres_fdw requires: MariaDB's unix_socket plugin lets the
#      coordinator's operating-system user in over the Unix socket whatever
#      password is given, so such connections are refused (TCP is fine,
#      and a superuser may set password_required 'false').
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

use FederateTest::MariaDB;

plan skip_all => 'MariaDB is not installed' unless FederateTest::MariaDB->available;

my $coord = PostgreSQL::Test::Cluster->new('coord');
$coord->init;
$coord->append_conf('postgresql.conf', "shared_preload_libraries = 'federate'");
$coord->start;

my $m = FederateTest::MariaDB->new(name => 'm1');
$m->start;

# The operating-system user the coordinator's backends run as: MariaDB's
# unix_socket plugin lets a client in as the account of that name.
my $os_user = getpwuid($<);
$m->sql(qq{
	CREATE DATABASE app CHARACTER SET utf8mb4;
	CREATE TABLE app.t (id int PRIMARY KEY, s varchar(20));
	INSERT INTO app.t VALUES (1, 'abc'), (2, 'h\xc3\xa9llo');
	CREATE USER '$os_user'\@'localhost' IDENTIFIED VIA unix_socket;
	GRANT SELECT ON app.* TO '$os_user'\@'localhost';
});

$coord->safe_psql('postgres', 'CREATE EXTENSION federate');
my ($rc, $out, $err);

# --- 1. a database that is not UTF8 ----------------------------------------
$coord->safe_psql('postgres',
	q{CREATE DATABASE latin ENCODING 'LATIN1' TEMPLATE template0 LC_COLLATE 'C' LC_CTYPE 'C'});
$coord->safe_psql('latin', sprintf(q{
	CREATE EXTENSION federate;
	CREATE SERVER m1 FOREIGN DATA WRAPPER federate OPTIONS (%s, dbname 'app');
	CREATE USER MAPPING FOR CURRENT_USER SERVER m1 OPTIONS (%s);
	CREATE FOREIGN TABLE t (id int, s text) SERVER m1;
	CREATE SCHEMA imp;
}, $m->server_options, $m->user_mapping_options));

like($coord->safe_psql('latin', 'EXPLAIN (COSTS OFF) SELECT * FROM t'),
	qr/Federate Scan/, 'EXPLAIN still works (it never connects)');
for my $q ('SELECT s FROM t WHERE id = 2', 'SELECT count(*) FROM t',
	"INSERT INTO t VALUES (3, 'x')", 'IMPORT FOREIGN SCHEMA app FROM SERVER m1 INTO imp')
{
	($rc, $out, $err) = $coord->psql('latin', $q);
	isnt($rc, 0, "LATIN1 database: refused: $q");
	is($out, '', "LATIN1 database: nothing returned: $q");
	like($err,
		qr/ERROR:  cannot use MySQL server "m1" in a database with encoding "LATIN1"\n.*DETAIL:  Text is exchanged with MySQL servers in UTF8 .*\n.*HINT:  Use MySQL servers from a database created with ENCODING 'UTF8'\./s,
		"LATIN1 database: a clear error: $q");
}
is($m->sql('SELECT count(*) FROM app.t'), '2', 'nothing was written');
is($coord->safe_psql('latin', q{SELECT count(*) FROM pg_class WHERE relnamespace = 'imp'::regnamespace}),
	'0', 'nothing was imported');
# the same server from a UTF8 database reads the text right
$coord->safe_psql('postgres', sprintf(q{
	CREATE SERVER m1 FOREIGN DATA WRAPPER federate OPTIONS (%s, dbname 'app');
	CREATE USER MAPPING FOR CURRENT_USER SERVER m1 OPTIONS (%s);
	CREATE FOREIGN TABLE t (id int, s text) SERVER m1;
}, $m->server_options, $m->user_mapping_options));
is($coord->safe_psql('postgres', q{SELECT s = 'h' || chr(233) || 'llo' FROM t WHERE id = 2}),
	't', 'a UTF8 database reads the text as it is');

# --- 2. the password must be used ------------------------------------------
my $sock = $m->socket;
$coord->safe_psql('postgres', sprintf(q{
	CREATE ROLE plain LOGIN;
	CREATE SERVER msock FOREIGN DATA WRAPPER federate
	  OPTIONS (driver 'mysql', host '%s', dbname 'app');
	CREATE SERVER mtcp FOREIGN DATA WRAPPER federate
	  OPTIONS (%s, dbname 'app');
	GRANT USAGE ON FOREIGN SERVER msock, mtcp TO plain;
	CREATE USER MAPPING FOR plain SERVER msock
	  OPTIONS (user '%s', password 'not-the-password');
	CREATE USER MAPPING FOR plain SERVER mtcp
	  OPTIONS (user '%s', password 'not-the-password');
	CREATE FOREIGN TABLE t_sock (id int, s text) SERVER msock OPTIONS (table_name 't');
	CREATE FOREIGN TABLE t_tcp (id int, s text) SERVER mtcp OPTIONS (table_name 't');
	GRANT SELECT ON t_sock, t_tcp TO plain;
}, $sock, $m->server_options, $os_user, $os_user));

($rc, $out, $err) = $coord->psql('postgres',
	'SET ROLE plain; SELECT count(*) FROM t_sock;');
isnt($rc, 0, 'a non-superuser with a dummy password is not let in over the Unix socket');
is($out, '', 'no row was read over the Unix socket');
like($err, qr/ERROR:  password is required/, 'the error says a password is required');
like($err, qr/DETAIL:  Non-superuser cannot connect to MySQL server "msock" through a Unix socket/,
	'the detail says why');
like($err, qr/HINT:  .*password_required 'false'/, 'the hint names password_required');
unlike($err, qr/not-the-password/, 'the password is not in the message');

# over TCP the unix_socket plugin does not apply: MariaDB checks the password
($rc, $out, $err) = $coord->psql('postgres',
	'SET ROLE plain; SELECT count(*) FROM t_tcp;');
isnt($rc, 0, 'over TCP the dummy password is refused by MariaDB');
like($err, qr/could not connect to server "mtcp"/, 'a connection error');

# a superuser is not checked (as in postgres_fdw), and may turn the check
# off for a mapping; a non-superuser may not
$coord->safe_psql('postgres', sprintf(q{
	CREATE USER MAPPING FOR CURRENT_USER SERVER msock OPTIONS (user '%s', password 'x');
}, $os_user));
is($coord->safe_psql('postgres', 'SELECT count(*) FROM t_sock'), '2',
	'a superuser connects over the socket');
($rc, $out, $err) = $coord->psql('postgres',
	q{SET ROLE plain; ALTER USER MAPPING FOR plain SERVER msock OPTIONS (ADD password_required 'false');});
like($err, qr/password_required=false is superuser-only/,
	'a non-superuser cannot set password_required false');
$coord->safe_psql('postgres',
	q{ALTER USER MAPPING FOR plain SERVER msock OPTIONS (ADD password_required 'false');});
is($coord->safe_psql('postgres', 'SET ROLE plain; SELECT count(*) FROM t_sock;'), '2',
	'password_required false set by a superuser lets the mapping connect over the socket');

$coord->stop;
$m->stop;
done_testing();

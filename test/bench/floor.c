/*
 * floor.c -- the benchmark's client: a minimal concurrent query timer.
 *
 * It sends N statements on N connections that were opened beforehand, all
 * at once (libpq: PQsendQuery on non-blocking connections; MariaDB
 * Connector/C: its non-blocking API, mysql_real_query_start /
 * mysql_store_result_start), waits on every socket in one poll() loop,
 * reads every row, and reports the milliseconds from the first send to the
 * last row.  With one statement on one coordinator connection it is the
 * client-side timer of the SQL systems (federate, postgres_fdw, local);
 * with the per-shard statements it is the "floor": what scatter-gather of
 * exactly those statements costs without any coordinator in between.
 *
 * Two ways to run it:
 *
 *   floor [-r RUNS] [-w WARMUP] DRIVER CONNINFO SQL [DRIVER CONNINFO SQL ...]
 *       DRIVER is pg or mysql.  Prints one line per timed run (ms) and a
 *       last line "median <ms>".
 *
 *   floor -f SPEC -r RUNS [-o OUTDIR]
 *       The harness mode (test/bench/run.sh).  SPEC is a tab-separated file:
 *         conn  NAME  DRIVER  CONNINFO     open a connection (before any timing);
 *                                          DRIVER pg or mysql, "+fed" appended
 *                                          (pg+fed) sets the session up as federate does
 *         setup NAME  SQL                  run once on it after connecting
 *         query QID                        start a query
 *         task  SYSTEM  CONN  SQL          one statement of SYSTEM; a system
 *                                          with several tasks sends them concurrently
 *         then  SYSTEM                     SYSTEM's later tasks of this query are
 *                                          sent once its earlier ones are done
 *                                          (a small side read before the keys
 *                                          it yields are shipped: Q9)
 *       For each query: one warm-up run of every system (its rows are written
 *       to OUTDIR/QID.SYSTEM.out, tab-separated), then RUNS rounds that run
 *       the systems one after another in spec order (interleaved, so that
 *       noise spreads evenly).  Prints to stdout, tab-separated:
 *         run    QID SYSTEM N MS ROWS CHECKSUM     (N = 0 is the warm-up)
 *         error  QID SYSTEM N MESSAGE
 *       CHECKSUM is an order-independent hash of the rows, so that every
 *       timed run's answer can be compared with the warm-up's.
 *
 * CONNINFO for mysql is "host=H port=P user=U password=W dbname=D" (libpq
 * style, no quoting).  Shard connections (every connection in the first
 * form, "+fed" ones in a spec) get the session federate's drivers set up:
 * MySQL sql_mode with ANSI_QUOTES etc., time_zone +00:00, utf8mb4;
 * PostgreSQL search_path = pg_catalog, timezone UTC, datestyle ISO, ...; so
 * that the Remote SQL that EXPLAIN prints means the same thing here.  A
 * PostgreSQL connection that breaks (a crashed coordinator backend) is
 * re-opened, with its setup lines, before the next system runs.
 *
 * Build: gcc -O2 -o floor floor.c -I$(pg_config --includedir) -lpq \
 *            $(mariadb_config --cflags --libs)       (or -DNO_MYSQL without it)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>
#ifndef NO_MYSQL
#include <mysql.h>
#endif

#define MAXTASKS 64

enum { DRV_PG, DRV_MYSQL };

typedef struct Conn
{
	char	   *name;
	int			driver;
	int			fedsession;		/* set up the session as federate's driver does */
	char	   *conninfo;
	char	  **setups;			/* spec "setup" lines, replayed on reconnect */
	int			nsetups;
	PGconn	   *pg;
#ifndef NO_MYSQL
	MYSQL	   *my;
#endif
} Conn;

typedef struct Task
{
	Conn	   *conn;
	char	   *sql;
	int			stage;			/* sent once every task of earlier stages is done */
	/* per run */
	int			state;			/* 0 sending, 1 receiving, 2 storing (mysql), 3 done */
	int			wait;			/* mysql: MYSQL_WAIT_* bits */
	int			pg_flush;		/* pg: output still to flush */
	PGresult   *pgres;
#ifndef NO_MYSQL
	MYSQL_RES  *myres;
#endif
	char	   *error;
} Task;

typedef struct System
{
	char	   *name;
	Task		tasks[MAXTASKS];
	int			ntasks;
	int			nstages;		/* "then" lines seen + 1 */
} System;

typedef struct Query
{
	char	   *qid;
	System	   *systems;
	int			nsystems;
} Query;

static Conn *conns;
static int	nconns;
static Query *queries;
static int	nqueries;

static void
die(const char *fmt,...)
{
	va_list		ap;

	va_start(ap, fmt);
	fprintf(stderr, "floor: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(2);
}

static void *
xrealloc(void *p, size_t n)
{
	p = realloc(p, n);
	if (!p)
		die("out of memory");
	return p;
}

static char *
xstrdup(const char *s)
{
	char	   *r = strdup(s);

	if (!r)
		die("out of memory");
	return r;
}

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

/* one line, no tabs or newlines: for the "error" output */
static char *
oneline(const char *s)
{
	char	   *r = xstrdup(s ? s : "(no message)");
	char	   *p;
	size_t		n;

	for (p = r; *p; p++)
		if (*p == '\n' || *p == '\t' || *p == '\r')
			*p = ' ';
	n = strlen(r);
	while (n > 0 && r[n - 1] == ' ')
		r[--n] = '\0';
	return r;
}

/* ------------------------------------------------------------ connect -- */

#ifndef NO_MYSQL
static const char *const my_setup =
"SET SESSION sql_mode = 'ANSI_QUOTES,NO_BACKSLASH_ESCAPES,"
"PIPES_AS_CONCAT,STRICT_ALL_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,"
"ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION,ONLY_FULL_GROUP_BY', "
"time_zone = '+00:00'";

static void
my_connect(Conn *c)
{
	char	   *host = NULL,
			   *user = NULL,
			   *password = NULL,
			   *dbname = NULL,
			   *socket = NULL;
	unsigned int port = 3306;
	char	   *copy = xstrdup(c->conninfo);
	char	   *save = NULL;
	char	   *tok;

	for (tok = strtok_r(copy, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
	{
		char	   *eq = strchr(tok, '=');

		if (!eq)
			die("bad mysql conninfo item \"%s\"", tok);
		*eq++ = '\0';
		if (strcmp(tok, "host") == 0)
			host = eq;
		else if (strcmp(tok, "port") == 0)
			port = (unsigned int) atoi(eq);
		else if (strcmp(tok, "user") == 0)
			user = eq;
		else if (strcmp(tok, "password") == 0)
			password = eq;
		else if (strcmp(tok, "dbname") == 0)
			dbname = eq;
		else if (strcmp(tok, "socket") == 0)
			socket = eq;
		else
			die("unknown mysql conninfo key \"%s\"", tok);
	}
	c->my = mysql_init(NULL);
	if (!c->my)
		die("mysql_init failed");
	if (mysql_options(c->my, MYSQL_OPT_NONBLOCK, 0) != 0 ||
		mysql_options(c->my, MYSQL_SET_CHARSET_NAME, "utf8mb4") != 0)
		die("mysql_options failed");
	if (!mysql_real_connect(c->my, host, user, password, dbname, port, socket, 0))
		die("could not connect to %s (%s): %s", c->name, c->conninfo, mysql_error(c->my));
	if (c->fedsession && mysql_query(c->my, my_setup) != 0)
		die("session setup on %s failed: %s", c->name, mysql_error(c->my));
}
#endif

static const char *const pg_setup[] = {
	"SET search_path = pg_catalog",
	"SET timezone = 'UTC'",
	"SET datestyle = ISO",
	"SET intervalstyle = postgres",
	"SET extra_float_digits = 3",
	NULL
};

static void
pg_exec_or_die(Conn *c, const char *sql)
{
	PGresult   *r = PQexec(c->pg, sql);

	if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
		die("on %s: %s: %s", c->name, sql, PQerrorMessage(c->pg));
	PQclear(r);
}

static void
conn_open(Conn *c, int tries)
{
	if (c->driver == DRV_PG)
	{
		int			i;

		for (;;)
		{
			c->pg = PQconnectdb(c->conninfo);
			if (PQstatus(c->pg) == CONNECTION_OK)
				break;
			if (--tries <= 0)
				die("could not connect to %s: %s", c->name, PQerrorMessage(c->pg));
			PQfinish(c->pg);
			usleep(500 * 1000);
		}
		for (i = 0; c->fedsession && pg_setup[i]; i++)
			pg_exec_or_die(c, pg_setup[i]);
		if (PQsetnonblocking(c->pg, 1) != 0)
			die("PQsetnonblocking failed on %s", c->name);
	}
	else
	{
#ifndef NO_MYSQL
		my_connect(c);
#else
		die("built without MySQL support (NO_MYSQL)");
#endif
	}
}

static void
conn_setup(Conn *c, const char *sql)
{
	if (c->driver == DRV_PG)
	{
		/* PQexec works on a non-blocking connection (it flushes itself) */
		pg_exec_or_die(c, sql);
	}
#ifndef NO_MYSQL
	else
	{
		MYSQL_RES  *r;

		if (mysql_query(c->my, sql) != 0)
			die("on %s: %s: %s", c->name, sql, mysql_error(c->my));
		r = mysql_store_result(c->my);
		if (r)
			mysql_free_result(r);
	}
#endif
}

/* ---------------------------------------------------------------- run -- */

#ifndef NO_MYSQL
static void
my_step(Task *t, int ready)
{
	MYSQL	   *m = t->conn->my;

	for (;;)
	{
		if (t->state == 0)
		{
			int			err = 0;

			t->wait = ready ? mysql_real_query_cont(&err, m, ready)
				: mysql_real_query_start(&err, m, t->sql, strlen(t->sql));
			ready = 0;
			if (t->wait)
				return;
			if (err)
			{
				t->error = oneline(mysql_error(m));
				t->state = 3;
				return;
			}
			t->state = 2;
			t->wait = mysql_store_result_start(&t->myres, m);
			if (t->wait)
				return;
		}
		else if (t->state == 2)
		{
			t->wait = mysql_store_result_cont(&t->myres, m, ready);
			ready = 0;
			if (t->wait)
				return;
		}
		else
			return;
		/* store_result finished */
		if (!t->myres && mysql_field_count(m) != 0)
			t->error = oneline(mysql_error(m));
		t->state = 3;
		return;
	}
}
#endif

static void
pg_receive(Task *t)
{
	PGconn	   *c = t->conn->pg;

	if (!PQconsumeInput(c))
	{
		t->error = oneline(PQerrorMessage(c));
		t->state = 3;
		return;
	}
	while (!PQisBusy(c))
	{
		PGresult   *r = PQgetResult(c);

		if (!r)
		{
			t->state = 3;
			return;
		}
		switch (PQresultStatus(r))
		{
			case PGRES_TUPLES_OK:
				if (t->pgres)
					PQclear(t->pgres);
				t->pgres = r;
				break;
			case PGRES_COMMAND_OK:
			case PGRES_EMPTY_QUERY:
				PQclear(r);
				break;
			default:
				if (!t->error)
					t->error = oneline(PQresultErrorMessage(r));
				PQclear(r);
				break;
		}
	}
}

/* touch every value, as a client reading the rows would */
static long
task_rows(Task *t, long *bytes)
{
	long		rows = 0;

	if (t->conn->driver == DRV_PG)
	{
		if (t->pgres)
		{
			int			nr = PQntuples(t->pgres),
						nf = PQnfields(t->pgres),
						i,
						j;

			for (i = 0; i < nr; i++)
				for (j = 0; j < nf; j++)
					*bytes += PQgetlength(t->pgres, i, j);
			rows = nr;
		}
	}
#ifndef NO_MYSQL
	else if (t->myres)
	{
		MYSQL_ROW	row;
		unsigned int nf = mysql_num_fields(t->myres),
					j;

		mysql_data_seek(t->myres, 0);
		while ((row = mysql_fetch_row(t->myres)) != NULL)
		{
			unsigned long *len = mysql_fetch_lengths(t->myres);

			for (j = 0; j < nf; j++)
				*bytes += len[j];
			rows++;
		}
	}
#endif
	return rows;
}

/* FNV-1a of one row's text, NULL as \N; summed over rows (order-independent) */
static uint64_t
hash_bytes(uint64_t h, const char *s, size_t n)
{
	size_t		i;

	for (i = 0; i < n; i++)
	{
		h ^= (unsigned char) s[i];
		h *= 1099511628211ULL;
	}
	return h;
}

static void
emit_value(FILE *dump, uint64_t *h, int first, const char *v, size_t len)
{
	if (!first)
	{
		*h = hash_bytes(*h, "\t", 1);
		if (dump)
			fputc('\t', dump);
	}
	if (!v)
	{
		v = "\\N";
		len = 2;
	}
	*h = hash_bytes(*h, v, len);
	if (dump)
		fwrite(v, 1, len, dump);
}

static uint64_t
task_checksum(Task *t, FILE *dump)
{
	uint64_t	sum = 0;

	if (t->conn->driver == DRV_PG)
	{
		int			nr,
					nf,
					i,
					j;

		if (!t->pgres)
			return 0;
		nr = PQntuples(t->pgres);
		nf = PQnfields(t->pgres);
		for (i = 0; i < nr; i++)
		{
			uint64_t	h = 14695981039346656037ULL;

			for (j = 0; j < nf; j++)
				emit_value(dump, &h, j == 0,
						   PQgetisnull(t->pgres, i, j) ? NULL : PQgetvalue(t->pgres, i, j),
						   PQgetlength(t->pgres, i, j));
			if (dump)
				fputc('\n', dump);
			sum += h;
		}
	}
#ifndef NO_MYSQL
	else if (t->myres)
	{
		MYSQL_ROW	row;
		unsigned int nf = mysql_num_fields(t->myres),
					j;

		mysql_data_seek(t->myres, 0);
		while ((row = mysql_fetch_row(t->myres)) != NULL)
		{
			unsigned long *len = mysql_fetch_lengths(t->myres);
			uint64_t	h = 14695981039346656037ULL;

			for (j = 0; j < nf; j++)
				emit_value(dump, &h, j == 0, row[j], row[j] ? len[j] : 0);
			if (dump)
				fputc('\n', dump);
			sum += h;
		}
	}
#endif
	return sum;
}

static void
task_free(Task *t)
{
	if (t->pgres)
		PQclear(t->pgres);
	t->pgres = NULL;
#ifndef NO_MYSQL
	if (t->myres)
		mysql_free_result(t->myres);
	t->myres = NULL;
#endif
	free(t->error);
	t->error = NULL;
}

/*
 * A coordinator backend that crashed (a bug in the extension under test)
 * takes every coordinator session with it: reconnect PostgreSQL
 * connections that went bad, so that the next system or query can run.
 */
static void
conn_ensure(Conn *c)
{
	int			i;

	if (c->driver != DRV_PG || PQstatus(c->pg) == CONNECTION_OK)
		return;
	fprintf(stderr, "floor: connection %s was lost; reconnecting\n", c->name);
	PQfinish(c->pg);
	c->pg = NULL;
	conn_open(c, 120);
	for (i = 0; i < c->nsetups; i++)
		conn_setup(c, c->setups[i]);
}

/*
 * Run one system: send every task, then multiplex until all are done.
 * Returns 0 and sets *ms, *rows, *checksum; or -1 and sets *err.
 */
static int
run_system(System *s, FILE *dump, double *ms, long *rows, uint64_t *checksum, char **err)
{
	struct pollfd pfd[MAXTASKS];
	Task	   *pt[MAXTASKS];
	double		t0,
				t1;
	int			i,
				stage,
				pending;
	long		bytes = 0;

	for (i = 0; i < s->ntasks; i++)
		conn_ensure(s->tasks[i].conn);
	for (i = 0; i < s->ntasks; i++)
	{
		Task	   *t = &s->tasks[i];

		t->state = 0;
		t->wait = 0;
		t->pg_flush = 0;
		t->pgres = NULL;
#ifndef NO_MYSQL
		t->myres = NULL;
#endif
		t->error = NULL;
	}

	t0 = now_ms();
	for (stage = 0; stage < s->nstages; stage++)
	{
		for (i = 0; i < s->ntasks; i++)
		{
			Task	   *t = &s->tasks[i];

			if (t->stage != stage)
				continue;
			if (t->conn->driver == DRV_PG)
			{
				if (!PQsendQuery(t->conn->pg, t->sql))
				{
					t->error = oneline(PQerrorMessage(t->conn->pg));
					t->state = 3;
					continue;
				}
				t->state = 1;
				t->pg_flush = PQflush(t->conn->pg);
				if (t->pg_flush < 0)
				{
					t->error = oneline(PQerrorMessage(t->conn->pg));
					t->state = 3;
				}
			}
#ifndef NO_MYSQL
			else
				my_step(t, 0);
#endif
		}

		for (;;)
		{
			int			n = 0,
						timeout = -1,
						rc;

			pending = 0;
			for (i = 0; i < s->ntasks; i++)
			{
				Task	   *t = &s->tasks[i];

				if (t->state == 3 || t->stage != stage)
					continue;
				pending++;
				pt[n] = t;
				pfd[n].revents = 0;
				if (t->conn->driver == DRV_PG)
				{
					pfd[n].fd = PQsocket(t->conn->pg);
					pfd[n].events = POLLIN | (t->pg_flush ? POLLOUT : 0);
				}
#ifndef NO_MYSQL
				else
				{
					pfd[n].fd = mysql_get_socket(t->conn->my);
					pfd[n].events = ((t->wait & MYSQL_WAIT_READ) ? POLLIN : 0) |
						((t->wait & MYSQL_WAIT_WRITE) ? POLLOUT : 0) |
						((t->wait & MYSQL_WAIT_EXCEPT) ? POLLPRI : 0);
					if (t->wait & MYSQL_WAIT_TIMEOUT)
					{
						int			tm = (int) mysql_get_timeout_value_ms(t->conn->my);

						if (timeout < 0 || tm < timeout)
							timeout = tm;
					}
				}
#endif
				n++;
			}
			if (pending == 0)
				break;
			rc = poll(pfd, n, timeout);
			if (rc < 0)
			{
				if (errno == EINTR)
					continue;
				die("poll: %s", strerror(errno));
			}
			for (i = 0; i < n; i++)
			{
				Task	   *t = pt[i];

				if (t->conn->driver == DRV_PG)
				{
					if (pfd[i].revents & POLLOUT)
					{
						t->pg_flush = PQflush(t->conn->pg);
						if (t->pg_flush < 0)
						{
							t->error = oneline(PQerrorMessage(t->conn->pg));
							t->state = 3;
							continue;
						}
					}
					if (pfd[i].revents & (POLLIN | POLLERR | POLLHUP))
						pg_receive(t);
				}
#ifndef NO_MYSQL
				else
				{
					int			ready = 0;

					if (pfd[i].revents & (POLLIN | POLLERR | POLLHUP))
						ready |= MYSQL_WAIT_READ;
					if (pfd[i].revents & POLLOUT)
						ready |= MYSQL_WAIT_WRITE;
					if (pfd[i].revents & POLLPRI)
						ready |= MYSQL_WAIT_EXCEPT;
					if (rc == 0 && (t->wait & MYSQL_WAIT_TIMEOUT))
						ready |= MYSQL_WAIT_TIMEOUT;
					if (ready)
						my_step(t, ready);
				}
#endif
			}
		}
	}
	*rows = 0;
	for (i = 0; i < s->ntasks; i++)
		*rows += task_rows(&s->tasks[i], &bytes);
	t1 = now_ms();
	*ms = t1 - t0;

	*err = NULL;
	*checksum = 0;
	for (i = 0; i < s->ntasks; i++)
	{
		Task	   *t = &s->tasks[i];

		if (t->error && !*err)
		{
			size_t		len = strlen(t->error) + strlen(t->conn->name) + 8;

			*err = xrealloc(NULL, len);
			snprintf(*err, len, "%s: %s", t->conn->name, t->error);
		}
		*checksum += task_checksum(t, dump);
		task_free(t);
	}
	return *err ? -1 : 0;
}

/* --------------------------------------------------------------- spec -- */

static Conn *
find_conn(const char *name)
{
	int			i;

	for (i = 0; i < nconns; i++)
		if (strcmp(conns[i].name, name) == 0)
			return &conns[i];
	die("unknown connection \"%s\"", name);
	return NULL;
}

static int
parse_driver(const char *s, int *fedsession)
{
	size_t		n = strlen(s);

	*fedsession = n > 4 && strcmp(s + n - 4, "+fed") == 0;
	if (*fedsession)
		n -= 4;
	if ((n == 2 && strncmp(s, "pg", 2) == 0) || (n == 8 && strncmp(s, "postgres", 8) == 0))
		return DRV_PG;
	if ((n == 5 && strncmp(s, "mysql", 5) == 0) || (n == 7 && strncmp(s, "mariadb", 7) == 0))
		return DRV_MYSQL;
	die("unknown driver \"%s\" (pg or mysql, optionally with +fed)", s);
	return -1;
}

static void
add_task(Query *q, const char *system, Conn *c, const char *sql)
{
	System	   *s = NULL;
	int			i;

	for (i = 0; i < q->nsystems; i++)
		if (strcmp(q->systems[i].name, system) == 0)
			s = &q->systems[i];
	if (!s)
	{
		q->systems = xrealloc(q->systems, sizeof(System) * (q->nsystems + 1));
		s = &q->systems[q->nsystems++];
		memset(s, 0, sizeof(*s));
		s->name = xstrdup(system);
		s->nstages = 1;
	}
	if (s->ntasks >= MAXTASKS)
		die("too many tasks for %s", system);
	s->tasks[s->ntasks].conn = c;
	s->tasks[s->ntasks].sql = xstrdup(sql);
	s->tasks[s->ntasks].stage = s->nstages - 1;
	s->ntasks++;
}

static void
read_spec(const char *path)
{
	FILE	   *f = fopen(path, "r");
	char	   *line = NULL;
	size_t		cap = 0;
	ssize_t		len;
	int			lineno = 0;

	if (!f)
		die("cannot open %s: %s", path, strerror(errno));
	while ((len = getline(&line, &cap, f)) >= 0)
	{
		char	   *fld[5];
		int			nf = 0;
		char	   *p = line;

		lineno++;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (len == 0 || line[0] == '#')
			continue;
		/* split on tabs; the last field keeps any further tabs */
		while (nf < 5)
		{
			char	   *tab;

			fld[nf++] = p;
			if (nf == 4)
				break;
			tab = strchr(p, '\t');
			if (!tab)
				break;
			*tab = '\0';
			p = tab + 1;
		}
		if (strcmp(fld[0], "conn") == 0 && nf == 4)
		{
			Conn	   *c;

			conns = xrealloc(conns, sizeof(Conn) * (nconns + 1));
			c = &conns[nconns++];
			memset(c, 0, sizeof(*c));
			c->name = xstrdup(fld[1]);
			c->driver = parse_driver(fld[2], &c->fedsession);
			c->conninfo = xstrdup(fld[3]);
		}
		else if (strcmp(fld[0], "setup") == 0 && nf == 3)
		{
			/* run right away if connected, else after connecting: keep order */
			Conn	   *c = find_conn(fld[1]);
			int			connected = c->driver == DRV_PG ? c->pg != NULL :
#ifndef NO_MYSQL
			c->my != NULL;
#else
			0;
#endif

			if (!connected)
				conn_open(c, 1);
			conn_setup(c, fld[2]);
			c->setups = xrealloc(c->setups, sizeof(char *) * (c->nsetups + 1));
			c->setups[c->nsetups++] = xstrdup(fld[2]);
		}
		else if (strcmp(fld[0], "query") == 0 && nf == 2)
		{
			queries = xrealloc(queries, sizeof(Query) * (nqueries + 1));
			memset(&queries[nqueries], 0, sizeof(Query));
			queries[nqueries++].qid = xstrdup(fld[1]);
		}
		else if (strcmp(fld[0], "task") == 0 && nf == 4)
		{
			if (nqueries == 0)
				die("%s:%d: task before any query", path, lineno);
			add_task(&queries[nqueries - 1], fld[1], find_conn(fld[2]), fld[3]);
		}
		else if (strcmp(fld[0], "then") == 0 && nf == 2)
		{
			Query	   *q;
			int			i;

			if (nqueries == 0)
				die("%s:%d: then before any query", path, lineno);
			q = &queries[nqueries - 1];
			for (i = 0; i < q->nsystems; i++)
				if (strcmp(q->systems[i].name, fld[1]) == 0)
					break;
			if (i == q->nsystems || q->systems[i].tasks[q->systems[i].ntasks - 1].stage !=
				q->systems[i].nstages - 1)
				die("%s:%d: then without a task of %s before it", path, lineno, fld[1]);
			q->systems[i].nstages++;
		}
		else
			die("%s:%d: cannot parse line", path, lineno);
	}
	free(line);
	fclose(f);
}

static void
open_all(void)
{
	int			i;

	for (i = 0; i < nconns; i++)
	{
		Conn	   *c = &conns[i];
		int			connected = c->driver == DRV_PG ? c->pg != NULL :
#ifndef NO_MYSQL
		c->my != NULL;
#else
		0;
#endif

		if (!connected)
			conn_open(c, 1);
	}
}

static int
cmp_double(const void *a, const void *b)
{
	double		x = *(const double *) a,
				y = *(const double *) b;

	return x < y ? -1 : x > y;
}

static int
spec_mode(const char *spec, int runs, int warmup, const char *outdir)
{
	int			qi,
				si,
				r,
				errors = 0;

	read_spec(spec);
	open_all();
	for (qi = 0; qi < nqueries; qi++)
	{
		Query	   *q = &queries[qi];
		int		   *failed = calloc(q->nsystems, sizeof(int));
		double		started = now_ms();

		for (r = 1 - (warmup > 0 ? warmup : 1); r <= runs; r++)
		{
			for (si = 0; si < q->nsystems; si++)
			{
				System	   *s = &q->systems[si];
				FILE	   *dump = NULL;
				double		ms;
				long		rows;
				uint64_t	sum;
				char	   *err;

				if (failed[si])
					continue;
				if (r == 0 && outdir)
				{
					char		path[4096];

					snprintf(path, sizeof(path), "%s/%s.%s.out", outdir, q->qid, s->name);
					dump = fopen(path, "w");
					if (!dump)
						die("cannot write %s: %s", path, strerror(errno));
				}
				if (run_system(s, dump, &ms, &rows, &sum, &err) != 0)
				{
					printf("error\t%s\t%s\t%d\t%s\n", q->qid, s->name, r < 0 ? 0 : r, err);
					free(err);
					failed[si] = 1;
					errors++;
				}
				else if (r >= 0)
					printf("run\t%s\t%s\t%d\t%.3f\t%ld\t%016llx\n", q->qid, s->name, r, ms,
						   rows, (unsigned long long) sum);
				if (dump)
					fclose(dump);
				fflush(stdout);
			}
		}
		free(failed);
		fprintf(stderr, "floor: %s: %d system(s), warm-up + %d run(s), %.1f s\n",
				q->qid, q->nsystems, runs, (now_ms() - started) / 1000.0);
	}
	return errors ? 1 : 0;
}

static int
cli_mode(int argc, char **argv, int runs, int warmup)
{
	Query		q;
	double	   *ms;
	int			i,
				r;

	if (argc == 0 || argc % 3 != 0)
		die("expected DRIVER CONNINFO SQL triples");
	memset(&q, 0, sizeof(q));
	q.qid = "cli";
	conns = xrealloc(NULL, sizeof(Conn) * (argc / 3));
	for (i = 0; i < argc; i += 3)
	{
		Conn	   *c = &conns[nconns++];
		char		name[32];

		memset(c, 0, sizeof(*c));
		snprintf(name, sizeof(name), "conn%d", i / 3);
		c->name = xstrdup(name);
		c->driver = parse_driver(argv[i], &c->fedsession);
		c->fedsession = 1;
		c->conninfo = xstrdup(argv[i + 1]);
		add_task(&q, "floor", c, argv[i + 2]);
	}
	open_all();
	ms = calloc(runs > 0 ? runs : 1, sizeof(double));
	for (r = 1 - warmup; r <= runs; r++)
	{
		long		rows;
		uint64_t	sum;
		char	   *err;
		double		t;

		if (run_system(&q.systems[0], NULL, &t, &rows, &sum, &err) != 0)
			die("%s", err);
		if (r >= 1)
		{
			ms[r - 1] = t;
			printf("%.3f\t%ld rows\n", t, rows);
		}
	}
	if (runs > 0)
	{
		qsort(ms, runs, sizeof(double), cmp_double);
		printf("median %.3f\n", runs % 2 ? ms[runs / 2] : (ms[runs / 2 - 1] + ms[runs / 2]) / 2);
	}
	return 0;
}

int
main(int argc, char **argv)
{
	int			runs = 7,
				warmup = 1,
				opt;
	const char *spec = NULL,
			   *outdir = NULL;

	while ((opt = getopt(argc, argv, "+r:w:f:o:h")) != -1)
	{
		switch (opt)
		{
			case 'r':
				runs = atoi(optarg);
				break;
			case 'w':
				warmup = atoi(optarg);
				break;
			case 'f':
				spec = optarg;
				break;
			case 'o':
				outdir = optarg;
				break;
			default:
				fprintf(stderr,
						"usage: floor [-r RUNS] [-w WARMUP] DRIVER CONNINFO SQL [...]\n"
						"       floor -f SPEC [-r RUNS] [-o OUTDIR]\n");
				return 2;
		}
	}
	if (runs < 0 || warmup < 0)
		die("bad -r or -w");
	if (spec)
		return spec_mode(spec, runs, warmup, outdir);
	return cli_mode(argc - optind, argv + optind, runs, warmup);
}

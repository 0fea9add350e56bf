# federate — federated queries over PostgreSQL and MySQL/MariaDB shards.
#
#   make            build the extension
#   make install    install it into the PostgreSQL found by PG_CONFIG
#   make test       install what is missing, build, install, run every test
#   make demo       start a throwaway local federation and run showcase queries

MODULE_big = federate
OBJS = \
	src/federate.o \
	src/catalog/options.o \
	src/catalog/functions.o \
	src/catalog/move.o \
	src/deparse/shipcheck.o \
	src/deparse/deparse.o \
	src/deparse/dialect_pg.o \
	src/deparse/dialect_mysql.o \
	src/fdw/fdw.o \
	src/fdw/scan.o \
	src/fdw/modify.o \
	src/fdw/upsert.o \
	src/fdw/import.o \
	src/fdw/convert.o \
	src/fdw/analyze.o \
	src/plan/hook.o \
	src/plan/path.o \
	src/plan/aggsplit.o \
	src/plan/window.o \
	src/plan/keyjoin.o \
	src/plan/colocated.o \
	src/plan/plan.o \
	src/exec/scan.o \
	src/exec/fanout.o \
	src/exec/result.o \
	src/exec/keys.o \
	src/exec/aggfinal.o \
	src/exec/coverage.o \
	src/health/shmem.o \
	src/health/servers.o \
	src/health/dispatch.o \
	src/health/budget.o \
	src/health/latency.o \
	src/remote/connection.o \
	src/remote/pool.o \
	src/remote/twophase.o \
	src/remote/recovery.o \
	src/remote/step.o \
	src/remote/xact.o \
	src/remote/errors.o \
	src/remote/driver_libpq.o \
	src/remote/driver_mysql.o

EXTENSION = federate
DATA = federate--0.2.sql federate--0.1--0.2.sql federate--0.2--0.3.sql
PGFILEDESC = "federate - federated queries over PostgreSQL and MySQL servers"

PG_CONFIG ?= /usr/lib/postgresql/15/bin/pg_config
MYSQL_CONFIG ?= $(shell command -v mariadb_config || command -v mysql_config)

# Both configs may be missing on a fresh machine (make test installs them
# first): ask them only when they are there.
PG_CPPFLAGS = -I$(srcdir)/src -I$(shell $(PG_CONFIG) --includedir 2>/dev/null) \
	$(if $(MYSQL_CONFIG),$(shell $(MYSQL_CONFIG) --include 2>/dev/null))
SHLIB_LINK_INTERNAL = -L$(shell $(PG_CONFIG) --libdir 2>/dev/null) -lpq
SHLIB_LINK = $(if $(MYSQL_CONFIG),$(shell $(MYSQL_CONFIG) --libs 2>/dev/null))

REGRESS = setup options scan_pg scan_mysql types write_pg write_mysql import errors shard pushdown joins failure shapes mysql_semantics layouts analyze
REGRESS_OPTS = --temp-instance=./tmp_check --temp-config=$(srcdir)/test/regress.conf \
	--port=$(or $(FED_REGRESS_PORT),54329)
TAP_TESTS = 1
PROVE_TESTS = test/t/*.pl

# No JIT bitcode: it needs clang and gains nothing here.
override with_llvm = no

PGXS := $(shell $(PG_CONFIG) --pgxs 2>/dev/null)
ifeq ($(PGXS),)
# Before the packages are installed (make test / make demo install them).
all install installcheck:
	@echo "PostgreSQL 15 development files are missing: run 'make test' or 'make demo' (as root) to install them" >&2; exit 1
else
include $(PGXS)

# Every object depends on the project's headers (PGXS tracks none).
$(OBJS): $(wildcard $(srcdir)/src/*.h $(srcdir)/src/*/*.h)
override PROVE_FLAGS += -I $(srcdir)/test/perl
override CFLAGS += -Werror=implicit-function-declaration
endif

.PHONY: test demo deps regresscheck tapcheck

deps:
	bash test/install_deps.sh

# Everything else in these two is done by scripts that can be read alone.
test: deps
	bash test/run_tests.sh

demo: deps
	bash test/demo.sh

regresscheck:
	$(pg_regress_installcheck) $(REGRESS_OPTS) $(REGRESS)

tapcheck: export TEMP_CONFIG := $(abspath $(srcdir)/test/tap.conf)
tapcheck:
	$(prove_installcheck)

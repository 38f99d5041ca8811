# juli: build, run, test, install. One flat Makefile; pkg-config finds the
# libraries, and the first build installs the Debian packages it lacks.

PKGS     := libzmq libuv msgpack sqlite3 inih libsystemd libmicrohttpd \
            libsodium
TESTPKGS := cmocka
DEBS     := pkg-config libzmq3-dev libuv1-dev libmsgpack-dev libsqlite3-dev \
            libinih-dev libsystemd-dev libmicrohttpd-dev libcmocka-dev \
            libsodium-dev \
            tzdata \
            systemd procps prometheus

PREFIX   ?= /usr/local
DESTDIR  ?=
CC       ?= cc
OPT      ?= -O2 -g
WARN     := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes
SANFLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
            -fno-sanitize-recover=undefined

REL := build/rel
SAN := build/san

DAEMONS  := intake dispatch scoring
PROGRAMS := $(addprefix juli-,$(DAEMONS)) julictl

# Goals that must not install anything.
QUIET_GOALS := clean help uninstall
ifeq ($(filter-out $(QUIET_GOALS),$(or $(MAKECMDGOALS),all)),)
else
-include build/deps.mk
endif

CFLAGS_ALL = -std=c11 -D_GNU_SOURCE $(WARN) -Icommon -Itests/lib $(PKG_CFLAGS) $(CFLAGS)
LIBS_ALL   = $(PKG_LIBS) -lm -lpthread

COMMON_SRC  := $(wildcard common/*.c)
JULICTL_SRC := $(wildcard tools/julictl/*.c)
TEST_LIB    := $(wildcard tests/lib/*.c)
TEST_SRC    := $(wildcard tests/test_*.c)
TESTS       := $(patsubst tests/%.c,$(SAN)/tests/%,$(TEST_SRC))

.PHONY: all run test clean help install uninstall
.SECONDARY:
all: $(addprefix bin/,$(PROGRAMS))

help:
	@echo "make            build bin/ (installs missing Debian packages first)"
	@echo "make run        build, then start the stack on loopback under ./var"
	@echo "make test       unit and end-to-end tests under ASan and UBSan"
	@echo "make clean      remove bin/ and build/"

# -- packages ---------------------------------------------------------------
# Written once every package of DEBS is installed (libraries, and the tools
# the tests run: systemd-analyze, promtool); make re-reads it and goes on
# with the flags it holds.
build/deps.mk: Makefile
	@mkdir -p build
	@missing=$$(for d in $(DEBS); do dpkg-query -W -f='$${Status}\n' $$d \
	  2>/dev/null | grep -q '^install ok installed' || echo $$d; done); \
	if [ -n "$$missing" ]; then \
	  echo "juli: installing Debian packages:" $$missing; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; \
	  elif command -v sudo >/dev/null; then SUDO=sudo; \
	  else echo "juli: run as root: apt-get install -y" $$missing >&2; \
	    exit 1; fi; \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq \
	    --no-install-recommends $$missing >/dev/null || exit 1; \
	fi
	@{ echo "PKG_CFLAGS := $$(pkg-config --cflags $(PKGS))"; \
	   echo "PKG_LIBS := $$(pkg-config --libs $(PKGS))"; \
	   echo "TEST_LIBS := $$(pkg-config --libs $(TESTPKGS))"; } > $@

# -- objects: release in build/rel, sanitized in build/san -------------------
$(REL)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) $(OPT) -MMD -MP -c $< -o $@

$(SAN)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) $(SANFLAGS) -MMD -MP -c $< -o $@

objs = $(patsubst %.c,$(1)/%.o,$(2))

# $(call program,variant-dir,bin-dir,name,sources,extra-flags)
define program
$(2)/$(3): $(call objs,$(1),$(4) $(COMMON_SRC))
	@mkdir -p $$(@D)
	$$(CC) $(5) -o $$@ $$^ $$(LIBS_ALL)
endef

$(foreach d,$(DAEMONS),$(eval $(call program,$(REL),bin,juli-$(d),\
  $(wildcard services/$(d)/*.c),)))
$(eval $(call program,$(REL),bin,julictl,$(JULICTL_SRC),))
$(foreach d,$(DAEMONS),$(eval $(call program,$(SAN),$(SAN)/bin,juli-$(d),\
  $(wildcard services/$(d)/*.c),$(SANFLAGS))))
$(eval $(call program,$(SAN),$(SAN)/bin,julictl,$(JULICTL_SRC),$(SANFLAGS)))

# A unit test of a service's own module links that service's objects.
svc_objs = $(patsubst %.c,$(SAN)/%.o,$(filter-out %/main.c,\
  $(wildcard services/$(1)/*.c)))
$(SAN)/tests/test_points: $(call svc_objs,scoring)
$(SAN)/tests/test_points.o: CFLAGS += -Iservices/scoring

$(SAN)/tests/%: $(SAN)/tests/%.o $(call objs,$(SAN),$(TEST_LIB) $(COMMON_SRC))
	@mkdir -p $(@D)
	$(CC) $(SANFLAGS) -o $@ $^ $(LIBS_ALL) $(TEST_LIBS)

# -- run and test -----------------------------------------------------------
run: all
	@./deploy/run.sh

test: $(TESTS) $(addprefix $(SAN)/bin/,$(PROGRAMS))
	@JULI_BIN=$(SAN)/bin tests/run.sh $(TESTS)

# -- install ----------------------------------------------------------------
# Binaries in $(PREFIX)/bin; units in $(PREFIX)/lib/systemd/system, which
# systemd reads for PREFIX /usr/local and /usr (UNITDIR=... for another
# prefix), with @BINDIR@ made $(PREFIX)/bin; /etc/juli/juli.ini only when
# there is none (ConfigurationDirectory= is always under /etc); a man page
# per program from its --help; the docs, Prometheus rules and Grafana
# dashboard in $(PREFIX)/share/doc/juli. INSTALL_BIN=DIR installs the
# programs from DIR instead of bin/ (tests/test_deploy.c stages the
# sanitized build with make -o all). docs/operations.md has the rest.
install: all
	@set -e; \
	bindir='$(DESTDIR)$(PREFIX)/bin'; \
	unitdir='$(DESTDIR)$(or $(UNITDIR),$(PREFIX)/lib/systemd/system)'; \
	mandir='$(DESTDIR)$(PREFIX)/share/man'; \
	docdir='$(DESTDIR)$(PREFIX)/share/doc/juli'; \
	confdir='$(DESTDIR)/etc/juli'; \
	from='$(or $(INSTALL_BIN),bin)'; \
	install -d "$$bindir" "$$unitdir" "$$mandir/man1" "$$mandir/man8" \
	  "$$docdir/prometheus" "$$docdir/grafana" "$$confdir"; \
	for p in $(PROGRAMS); do install -m 755 "$$from/$$p" "$$bindir/"; done; \
	for u in deploy/systemd/*.service deploy/systemd/*.target; do \
	  sed 's|@BINDIR@|$(PREFIX)/bin|g' "$$u" > "$$unitdir/$${u##*/}"; \
	  chmod 644 "$$unitdir/$${u##*/}"; \
	done; \
	for p in $(PROGRAMS); do \
	  case $$p in julictl) s=1;; *) s=8;; esac; \
	  "$$from/$$p" --help > "$$mandir/man$$s/$$p.$$s.txt"; \
	  { echo ".TH $$(echo $$p | tr a-z A-Z) $$s \"\" \"juli $(PREFIX)\" \"juli\""; \
	    echo ".SH NAME"; \
	    echo "$$p \\- $$(sed -n 2p "$$mandir/man$$s/$$p.$$s.txt")"; \
	    echo ".SH DESCRIPTION"; echo ".nf"; \
	    sed -e 's/\\/\\e/g' -e 's/^[.'\'']/\\\&&/' \
	      "$$mandir/man$$s/$$p.$$s.txt"; \
	    echo ".fi"; echo ".SH SEE ALSO"; \
	    echo "$(PREFIX)/share/doc/juli/operations.md," \
	         "$(PREFIX)/share/doc/juli/protocol.md"; \
	  } > "$$mandir/man$$s/$$p.$$s"; \
	  rm -f "$$mandir/man$$s/$$p.$$s.txt"; \
	  chmod 644 "$$mandir/man$$s/$$p.$$s"; \
	done; \
	install -m 644 docs/operations.md docs/protocol.md "$$docdir/"; \
	install -m 644 deploy/juli.ini "$$docdir/juli.ini.default"; \
	install -m 644 deploy/prometheus/* "$$docdir/prometheus/"; \
	install -m 644 deploy/grafana/* "$$docdir/grafana/"; \
	if [ -e "$$confdir/juli.ini" ]; then \
	  echo "juli: kept $$confdir/juli.ini (the new default is" \
	       "$$docdir/juli.ini.default)"; \
	else \
	  install -m 644 deploy/juli.ini "$$confdir/juli.ini"; \
	fi; \
	echo "juli: installed into $(DESTDIR)$(PREFIX), units in $$unitdir"; \
	if [ -z '$(DESTDIR)' ]; then \
	  echo "juli: now: systemctl daemon-reload &&" \
	       "systemctl enable --now juli.target"; \
	fi

# Removes what install put, but /etc/juli/juli.ini only while it is the
# default install wrote (else it says so and keeps it), and never the
# stores under /var/lib/juli. Stop and disable the units first.
uninstall:
	@set -e; \
	bindir='$(DESTDIR)$(PREFIX)/bin'; \
	unitdir='$(DESTDIR)$(or $(UNITDIR),$(PREFIX)/lib/systemd/system)'; \
	mandir='$(DESTDIR)$(PREFIX)/share/man'; \
	docdir='$(DESTDIR)$(PREFIX)/share/doc/juli'; \
	confdir='$(DESTDIR)/etc/juli'; \
	for p in $(PROGRAMS); do \
	  rm -f "$$bindir/$$p" "$$mandir/man1/$$p.1" "$$mandir/man8/$$p.8"; \
	done; \
	for u in deploy/systemd/*.service deploy/systemd/*.target; do \
	  rm -f "$$unitdir/$${u##*/}"; \
	done; \
	if [ -e "$$confdir/juli.ini" ]; then \
	  if cmp -s "$$confdir/juli.ini" "$$docdir/juli.ini.default"; then \
	    rm -f "$$confdir/juli.ini"; \
	    rmdir "$$confdir" 2>/dev/null || true; \
	  else \
	    echo "juli: kept $$confdir/juli.ini: it differs from the default"; \
	  fi; \
	fi; \
	rm -rf "$$docdir"; \
	echo "juli: uninstalled from $(DESTDIR)$(PREFIX); stores under" \
	     "/var/lib/juli are kept"

clean:
	rm -rf bin build

-include $(shell find build -name '*.d' 2>/dev/null)

# -- benchmark ----------------------------------------------------------------
# bench/juli-bench drives the real daemons as the other services would;
# bench/juli-baseline is the minimal durable server it holds them against.
# Both build like the daemons: release flags, the common objects in
# build/rel. `make bench` runs every scenario and prints a Markdown report
# (also kept in build/bench.md); BENCH_ARGS adds flags (see
# bench/juli-bench --help). `make bench-smoke` is the few-second run against
# the sanitized daemons that `make test` can include.
BENCH_SRC := $(filter-out bench/baseline.c,$(wildcard bench/*.c))
BENCH_BIN := bench/juli-bench bench/juli-baseline

bench/juli-bench: $(call objs,$(REL),$(BENCH_SRC) $(COMMON_SRC))
	$(CC) -o $@ $^ $(LIBS_ALL)

bench/juli-baseline: $(call objs,$(REL),bench/baseline.c $(COMMON_SRC))
	$(CC) -o $@ $^ $(LIBS_ALL)

.PHONY: bench bench-smoke
bench: all $(BENCH_BIN)
	@JULI_BENCH_VIA="make bench" bench/juli-bench --bin bin $(BENCH_ARGS) \
	  > build/bench.md; rc=$$?; cat build/bench.md; exit $$rc

bench-smoke: $(BENCH_BIN) $(addprefix $(SAN)/bin/juli-,$(DAEMONS))
	@JULI_BIN=$(SAN)/bin bench/juli-bench --smoke > build/bench-smoke.md \
	  && echo "ok   bench smoke (report in build/bench-smoke.md)"

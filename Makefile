# juli: build, run, test, install. One flat Makefile; pkg-config finds the
# libraries, and the first build installs the Debian packages it lacks.

PKGS     := libzmq libuv msgpack sqlite3 inih libsystemd libmicrohttpd \
            libsodium
TESTPKGS := cmocka
DEBS     := pkg-config libzmq3-dev libuv1-dev libmsgpack-dev libsqlite3-dev \
            libinih-dev libsystemd-dev libmicrohttpd-dev libcmocka-dev \
            libsodium-dev \
            tzdata \
            systemd procps prometheus libxml2-utils

PREFIX   ?= /usr/local
DESTDIR  ?=
CC       ?= cc
OPT      ?= -O2 -g -DNDEBUG
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
# The load generator and its baseline (bench/), built into build/rel/bench;
# `make test` runs a smoke.
BENCH_SRC := $(filter-out bench/baseline.c,$(wildcard bench/*.c))
BENCH     := $(REL)/bench/juli-bench
BENCH_BIN := $(BENCH) $(REL)/bench/juli-baseline

# Fuzz targets (fuzz/<name>.c); `make test` replays their inputs.
FUZZ        := frame intake dispatch scoring
FUZZ_REPLAY := $(addprefix $(SAN)/fuzz/,$(FUZZ))

.PHONY: all run test clean help install uninstall
.SECONDARY:
all: $(addprefix bin/,$(PROGRAMS))

help:
	@echo "make              build bin/ (installs missing Debian packages first)"
	@echo "make run          the stack on loopback with the demo community, under ./var"
	@echo "make demo         a simulated month of the demo community, and its report"
	@echo "make test         unit and end-to-end tests, fuzz replays, a bench smoke"
	@echo "make bench        the benchmark against the durable group-commit baseline"
	@echo "                  (report in build/bench.md; $(BENCH) --help)"
	@echo "make fuzz         libFuzzer on every target for FUZZ_SECONDS (default 60)"
	@echo "make install      binaries, units, /etc/juli/juli.ini (PREFIX, DESTDIR)"
	@echo "make uninstall    what install put"
	@echo "make clean        remove bin/ and build/"

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
# Objects depend on the Makefile too: a change of flags rebuilds them.
$(REL)/%.o: %.c Makefile
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) $(OPT) -MMD -MP -c $< -o $@

$(SAN)/%.o: %.c Makefile
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
$(SAN)/tests/test_keywords: $(SAN)/services/intake/keywords.o
$(SAN)/tests/test_keywords.o: CFLAGS += -Iservices/intake

$(SAN)/tests/%: $(SAN)/tests/%.o $(call objs,$(SAN),$(TEST_LIB) $(COMMON_SRC))
	@mkdir -p $(@D)
	$(CC) $(SANFLAGS) -o $@ $^ $(LIBS_ALL) $(TEST_LIBS)

# -- run and test -----------------------------------------------------------
run: all
	@./deploy/run.sh

# A month of the demo community in simulated time, in about three real
# minutes, then its report (var/demo/report.html): deploy/demo.sh.
.PHONY: demo
demo: all
	@./deploy/demo.sh

test: $(TESTS) $(FUZZ_REPLAY) $(addprefix $(SAN)/bin/,$(PROGRAMS)) \
      $(BENCH_BIN)
	@JULI_BIN=$(SAN)/bin tests/run.sh $(TESTS) $(FUZZ_REPLAY) \
	  "$(BENCH) --smoke"

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
# build/rel/bench/juli-bench drives the real daemons as the other services
# would; build/rel/bench/juli-baseline, beside it, is the minimal durable
# server it holds them against. Both build like the daemons: release flags,
# the common objects in build/rel. `make bench` runs every scenario and
# prints a Markdown report (also kept in build/bench.md); BENCH_ARGS adds
# flags (see build/rel/bench/juli-bench --help). `make bench-smoke` is the
# few-second run against the sanitized daemons that `make test` can
# include.

# juli-bench's floor scenario opens stores in intake's schema: intake's
# objects, its main.c with main renamed (as the fuzz targets do).
INTAKE_OBJS = $(call objs,$(REL),$(filter-out %/main.c,\
  $(wildcard services/intake/*.c)))
$(REL)/bench/floor.o: CFLAGS += -Iservices/intake
$(REL)/bench/intake-main.o: services/intake/main.c Makefile
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) $(OPT) -Dmain=juli_intake_main -MMD -MP \
	  -c $< -o $@

$(BENCH): $(call objs,$(REL),$(BENCH_SRC) tests/lib/port.c \
  $(COMMON_SRC)) $(INTAKE_OBJS) $(REL)/bench/intake-main.o
	$(CC) -o $@ $^ $(LIBS_ALL)

$(REL)/bench/juli-baseline: $(call objs,$(REL),bench/baseline.c \
  $(COMMON_SRC))
	$(CC) -o $@ $^ $(LIBS_ALL)

.PHONY: bench bench-smoke
bench: all $(BENCH_BIN)
	@JULI_BENCH_VIA="make bench" $(BENCH) --bin bin $(BENCH_ARGS) \
	  > build/bench.md; rc=$$?; cat build/bench.md; exit $$rc

bench-smoke: $(BENCH_BIN) $(addprefix $(SAN)/bin/juli-,$(DAEMONS))
	@JULI_BIN=$(SAN)/bin $(BENCH) --smoke > build/bench-smoke.md \
	  && echo "ok   bench smoke (report in build/bench-smoke.md)"

# -- fuzzing ------------------------------------------------------------------
# fuzz/<target>.c are libFuzzer targets: frame (the walker, the decoder and
# the field getters) and one per daemon (its requests through api_call on an
# in-memory store; fuzz/fuzz.h says what an input is). `make test` replays
# each target's inputs, fuzz/seeds/<target> (written by fuzz/seeds.py) and
# fuzz/corpus/<target>, with gcc under ASan and UBSan: build/san/fuzz/
# <target>, whose main is fuzz/replay.c. `make fuzz` builds the targets
# with clang's libFuzzer into build/fuzz (installing clang and
# libclang-rt-14-dev first when it cannot link one), runs each for
# FUZZ_SECONDS (default 60) with its dictionary fuzz/dict/<target>.dict,
# writes what crashes into fuzz/crashes/<target>, then merges what it
# found into a minimal fuzz/corpus/<target> (inputs the seeds do not
# already cover; files not named by libFuzzer's SHA-1, the regression
# inputs of fixed crashes, are always kept). FUZZ_TARGETS picks some targets; FUZZ_ARGS adds libFuzzer
# flags; the log of each run is build/fuzz/log/<target>.log.
FZ           := build/fuzz
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= $(FUZZ)
FUZZ_CFLAGS   = $(filter-out -Werror,$(CFLAGS_ALL)) -O1 -g \
                -fno-omit-frame-pointer -fno-sanitize-recover=undefined \
                -fsanitize=fuzzer-no-link,address,undefined
FUZZ_RUN     := -timeout=10 -max_len=16384

# A target's sources: its file, and for a daemon the shared harness and the
# service's modules. The daemons' main.c hold their routes and schemas:
# they are linked in with main renamed.
fuzz_src  = fuzz/$(1).c $(if $(filter frame,$(1)),,fuzz/fuzz.c \
            tests/lib/json.c \
            $(filter-out %/main.c,$(wildcard services/$(1)/*.c)))
fuzz_main = $(if $(filter frame,$(2)),,$(1)/$(2)-main.o)

$(SAN)/fuzz/%-main.o: services/%/main.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) $(SANFLAGS) -Dmain=juli_$*_main -MMD -MP -c $< -o $@

$(FZ)/obj/%.o: %.c | $(FZ)/toolchain.ok
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -MMD -MP -c $< -o $@

$(FZ)/obj/fuzz/%-main.o: services/%/main.c | $(FZ)/toolchain.ok
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -Dmain=juli_$*_main -MMD -MP -c $< -o $@

define fuzz_target
$(SAN)/fuzz/$(1).o $(FZ)/obj/fuzz/$(1).o: CFLAGS += -Iservices/$(1)
$(SAN)/fuzz/$(1): $(call objs,$(SAN),$(call fuzz_src,$(1)) fuzz/replay.c \
  $(COMMON_SRC)) $(call fuzz_main,$(SAN)/fuzz,$(1))
	@mkdir -p $$(@D)
	$$(CC) $(SANFLAGS) -o $$@ $$^ $$(LIBS_ALL)
$(FZ)/$(1): $(call objs,$(FZ)/obj,$(call fuzz_src,$(1)) $(COMMON_SRC)) \
  $(call fuzz_main,$(FZ)/obj/fuzz,$(1))
	$$(FUZZ_CC) -fsanitize=fuzzer,address,undefined -o $$@ $$^ $$(LIBS_ALL)
endef
$(foreach t,$(FUZZ),$(eval $(call fuzz_target,$(t))))

# Links a one-line libFuzzer target to see that FUZZ_CC can; installs clang
# and libclang-rt-14-dev (libFuzzer's runtime) when it cannot.
$(FZ)/toolchain.ok:
	@mkdir -p $(@D)
	@probe() { printf '%s\n' '#include <stddef.h>' \
	    'int LLVMFuzzerTestOneInput(const char *d, size_t n)' \
	    '{ return (int)(n & 0) + (d == NULL); }' | \
	  $(FUZZ_CC) -fsanitize=fuzzer,address,undefined -x c - \
	    -o $(FZ)/probe >/dev/null 2>&1; }; \
	if ! probe; then \
	  echo "juli: installing Debian packages: clang libclang-rt-14-dev"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; \
	  elif command -v sudo >/dev/null; then SUDO=sudo; \
	  else echo "juli: make fuzz needs clang with libFuzzer: run as root:" \
	    "apt-get install -y clang libclang-rt-14-dev" >&2; exit 1; fi; \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq \
	    --no-install-recommends clang libclang-rt-14-dev >/dev/null; \
	  probe || { echo "juli: $(FUZZ_CC) cannot link a libFuzzer target" \
	    "(needs clang and libclang-rt-14-dev)" >&2; exit 1; }; \
	fi; \
	rm -f $(FZ)/probe; touch $@

.PHONY: fuzz
fuzz: $(addprefix $(FZ)/,$(FUZZ_TARGETS))
	@failed=; \
	for t in $(FUZZ_TARGETS); do \
	  corpus=fuzz/corpus/$$t seeds=fuzz/seeds/$$t log=$(FZ)/log/$$t.log; \
	  fresh=$(FZ)/merge/$$t; \
	  mkdir -p $$corpus $$seeds fuzz/crashes/$$t $(FZ)/log; \
	  echo "juli: fuzzing $$t for $(FUZZ_SECONDS)s (log in $$log)"; \
	  if ! $(FZ)/$$t $(FUZZ_RUN) -max_total_time=$(FUZZ_SECONDS) \
	      -print_final_stats=1 -dict=fuzz/dict/$$t.dict \
	      -artifact_prefix=fuzz/crashes/$$t/ $(FUZZ_ARGS) \
	      $$corpus $$seeds > $$log 2>&1; then \
	    failed="$$failed $$t"; \
	    grep -E -A40 '^==[0-9]+==ERROR|runtime error|^fuzz: ' $$log \
	      | head -60; \
	  fi; \
	  sed -n 's/^stat::number_of_executed_units: */  runs: /p; s/^stat::average_exec_per_sec: */  exec\/s: /p' $$log; \
	  rm -rf $$fresh; mkdir -p $$fresh; \
	  cp $$seeds/* $$fresh/ 2>/dev/null; \
	  for f in $$corpus/*; do [ -e "$$f" ] && ! echo "$${f##*/}" | \
	    grep -qxE '[0-9a-f]{40}' && cp "$$f" $$fresh/; done; \
	  if $(FZ)/$$t $(FUZZ_RUN) -merge=1 $$fresh $$corpus >> $$log 2>&1; \
	  then \
	    for f in $$seeds/*; do rm -f "$$fresh/$${f##*/}"; done; \
	    rm -f $$corpus/*; \
	    for f in $$fresh/*; do [ -e "$$f" ] && mv "$$f" $$corpus/; done; \
	    echo "  corpus: $$(ls $$corpus | wc -l) inputs in $$corpus" \
	      "(+ $$(ls $$seeds | wc -l) seeds)"; \
	  else echo "  merge failed: $$corpus left as it was"; fi; \
	done; \
	if [ -n "$$failed" ]; then \
	  echo "juli: fuzzing found crashes in:$$failed (inputs in" \
	    "fuzz/crashes/<target>)" >&2; exit 1; fi

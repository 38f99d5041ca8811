# juli: build, run, test, install. One flat Makefile; pkg-config finds the
# libraries, and the first build installs the Debian packages it lacks.

PKGS     := libzmq libuv msgpack sqlite3 inih libsystemd libmicrohttpd \
            libsodium
TESTPKGS := cmocka
DEBS     := pkg-config libzmq3-dev libuv1-dev libmsgpack-dev libsqlite3-dev \
            libinih-dev libsystemd-dev libmicrohttpd-dev libcmocka-dev \
            libsodium-dev \
            tzdata

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
# Written once the packages are there; make re-reads it and goes on with the
# flags it holds.
build/deps.mk: Makefile
	@mkdir -p build
	@if ! pkg-config --exists $(PKGS) $(TESTPKGS) 2>/dev/null || \
	    [ ! -e /usr/share/zoneinfo/Asia/Shanghai ]; then \
	  missing=$$(for d in $(DEBS); do dpkg-query -W -f='$${Status}\n' $$d \
	    2>/dev/null | grep -q '^install ok installed' || echo $$d; done); \
	  echo "juli: installing Debian packages: $$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; \
	  elif command -v sudo >/dev/null; then SUDO=sudo; \
	  else echo "juli: run as root: apt-get install -y $$missing" >&2; \
	    exit 1; fi; \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq \
	    $$missing >/dev/null || exit 1; \
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
install: all
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 755 $(addprefix bin/,$(PROGRAMS)) $(DESTDIR)$(PREFIX)/bin/

uninstall:
	rm -f $(addprefix $(DESTDIR)$(PREFIX)/bin/,$(PROGRAMS))

clean:
	rm -rf bin build

-include $(shell find build -name '*.d' 2>/dev/null)

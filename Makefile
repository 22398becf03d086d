# vethmap - map container networks: namespaces, veth pairs, bridges.
#
#   make            build ./vethmap
#   sudo make run   install dependencies, build, scan this host into the default database
#   sudo make check install dependencies, build, run every test
#   make unit       the tests that need no root (pure logic on recorded inputs), in seconds
#   make bench      speed and memory figures (root)
#   make stress     60 s of namespace churn under repeated scans (root)
#   make fuzz       every libFuzzer target for FUZZ_SECONDS (clang)
#   make SANITIZE=address,undefined check   the same under sanitizers

PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/sbin
MANDIR  ?= $(PREFIX)/share/man
DATADIR ?= $(PREFIX)/share/vethmap
UNITDIR ?= $(PREFIX)/lib/systemd/system
COMPLETIONDIR ?= $(PREFIX)/share/bash-completion/completions
CC      ?= cc
PKG_CONFIG ?= pkg-config
PKGS    := libnl-3.0 libnl-route-3.0 sqlite3 libpcap libxml-2.0 libxslt libgvc

WARN    := -Wall -Wextra -Wformat=2 -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wpointer-arith -Wcast-qual -Wwrite-strings -Wvla
CFLAGS  ?= -O2 -g
CFLAGS  += -std=gnu11 $(WARN) -D_FORTIFY_SOURCE=2 -fstack-protector-strong
ifdef SANITIZE
CFLAGS  += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS += -fsanitize=$(SANITIZE)
endif
ifdef WERROR
CFLAGS  += -Werror
endif
CPPFLAGS += $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null) -Isrc -DDATADIR='"$(DATADIR)"'
LDLIBS  += $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null) -pthread

# Debian packages: those to build and run vethmap (make build-deps, for make run), and
# with them those the tests use (make deps: engines, capture readers, an sshd for the
# collect tests, a browser for the HTML report), so a 'make run' starts no daemon.
BUILD_DEPS := gcc make pkg-config libnl-3-dev libnl-route-3-dev libsqlite3-dev libpcap-dev \
           libxml2-dev libxslt1-dev libgraphviz-dev graphviz
DEPS    := $(BUILD_DEPS) libxml2-utils iputils-ping \
           sqlite3 iproute2 jq python3 util-linux libcap2-bin procps time \
           docker.io podman slirp4netns uidmap lxc busybox-static tcpdump tshark clang \
           libclang-rt-14-dev containerd containernetworking-plugins runc systemd chromium \
           openssh-server openssh-client python3-yaml

SRCS    := $(wildcard src/*.c)
OBJS    := $(SRCS:.c=.o)
LIBOBJS := $(filter-out src/vethmap.o src/cmd_%.o,$(OBJS))
UNIT    := tests/unit/topo_test tests/unit/db_test tests/unit/target_test tests/unit/parse_test tests/unit/cap_test tests/unit/capfile_writer tests/unit/diff_test tests/unit/audit_test tests/unit/graph_test tests/unit/mountinfo_test tests/unit/outfile_test tests/unit/retain_test tests/unit/trace_test tests/unit/xpair_test tests/unit/wg_test tests/unit/collect_test tests/unit/history_test
BENCH   := tests/bench/floor tests/bench/snapgen

all: vethmap

vethmap: $(OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(OBJS): $(wildcard src/*.h)
src/db.o: src/schema.inc

# The schema is compiled in from schema/vethmap.sql as a list of byte values.
src/schema.inc: schema/vethmap.sql
	od -An -v -tu1 $< | sed 's/[0-9][0-9]*/&,/g; $$s/,[[:space:]]*$$//' > $@.tmp && mv $@.tmp $@

# The model (topo.c) links with the base alone; the unit tests of pure logic link only
# what they test, so a layer that reaches further fails to link here.
CORE    := src/topo.o src/util.o src/mountinfo.o
tests/unit/topo_test: tests/unit/topo_test.c tests/unit/unit.h $(CORE) src/json.o
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $(filter %.c %.o,$^)
tests/unit/retain_test: tests/unit/retain_test.c tests/unit/unit.h $(CORE) src/retain.o
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $(filter %.c %.o,$^)
tests/unit/trace_test: tests/unit/trace_test.c tests/unit/unit.h $(CORE) src/trace_path.o src/pktmatch.o
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $(filter %.c %.o,$^)
tests/unit/xpair_test: tests/unit/xpair_test.c tests/unit/unit.h $(CORE) src/xpair.o
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $(filter %.c %.o,$^)
tests/unit/wg_test: tests/unit/wg_test.c tests/unit/unit.h $(CORE) src/xpair.o src/wg.o
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $(filter %.c %.o,$^)
tests/unit/target_test: tests/unit/target_test.c tests/unit/unit.h $(CORE) src/target.o src/xpair.o
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $(filter %.c %.o,$^)

tests/unit/%: tests/unit/%.c tests/unit/unit.h $(LIBOBJS)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $(filter %.c %.o,$^) $(LDLIBS)

tests/bench/%: tests/bench/%.c $(LIBOBJS)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# libFuzzer targets (tests/fuzz/fuzz_*.c), built with clang into build/fuzz/ with every
# library source instrumented; `make fuzz` runs each for FUZZ_SECONDS.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 30
FUZZ_CFLAGS  := -std=gnu11 -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined
FUZZ_SRCS    := $(filter-out src/vethmap.c src/cmd_%.c,$(SRCS))
FUZZ_OBJS    := $(FUZZ_SRCS:src/%.c=build/fuzz/src/%.o)
FUZZERS      := $(patsubst tests/fuzz/%.c,build/fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))

build/fuzz/src/%.o: src/%.c $(wildcard src/*.h) src/schema.inc
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

build/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_OBJS)
	$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $^ $(LDLIBS)

.SECONDARY: $(FUZZ_OBJS)

fuzz: deps
	$(MAKE) $(FUZZERS)
	tests/fuzz/run $(FUZZ_SECONDS)

# install_missing PACKAGES: apt-get install those not installed yet
install_missing = missing=""; for p in $(1); do \
	  dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" != 0 ]; then echo "make: root needed to install:$$missing" >&2; exit 1; fi; \
	  echo "make: installing$$missing"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get update -qq && apt-get install -y -qq --no-install-recommends $$missing >/dev/null || exit 1; \
	fi

deps:
	@$(call install_missing,$(DEPS))

build-deps:
	@$(call install_missing,$(BUILD_DEPS))

run: build-deps
	$(MAKE) vethmap
	./vethmap scan

check: deps
	$(MAKE) vethmap $(UNIT)
	tests/run

unit: $(UNIT)
	tests/run $(filter %_test,$(UNIT))

bench: deps
	$(MAKE) vethmap $(BENCH)
	tests/bench/run

stress: deps
	$(MAKE) vethmap
	tests/stress/run

# The service and timer (enable with: systemctl enable --now vethmap-scan.timer), the
# service's ExecStart naming BINDIR; bash completion where bash-completion looks.
install: vethmap
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man8
	install -m 0755 vethmap $(DESTDIR)$(BINDIR)/vethmap
	install -m 0644 vethmap.8 $(DESTDIR)$(MANDIR)/man8/vethmap.8
	install -d $(DESTDIR)$(DATADIR)
	install -m 0644 schema/vethmap-report.xsd reports/report.xsl $(DESTDIR)$(DATADIR)/
	install -d $(DESTDIR)$(UNITDIR) $(DESTDIR)$(COMPLETIONDIR)
	sed 's|@BINDIR@|$(BINDIR)|g' systemd/vethmap-scan.service.in > $(DESTDIR)$(UNITDIR)/vethmap-scan.service.tmp
	chmod 0644 $(DESTDIR)$(UNITDIR)/vethmap-scan.service.tmp
	mv $(DESTDIR)$(UNITDIR)/vethmap-scan.service.tmp $(DESTDIR)$(UNITDIR)/vethmap-scan.service
	install -m 0644 systemd/vethmap-scan.timer $(DESTDIR)$(UNITDIR)/vethmap-scan.timer
	sed 's|@BINDIR@|$(BINDIR)|g' systemd/vethmap-watch.service.in > $(DESTDIR)$(UNITDIR)/vethmap-watch.service.tmp
	chmod 0644 $(DESTDIR)$(UNITDIR)/vethmap-watch.service.tmp
	mv $(DESTDIR)$(UNITDIR)/vethmap-watch.service.tmp $(DESTDIR)$(UNITDIR)/vethmap-watch.service
	install -m 0644 completion/vethmap $(DESTDIR)$(COMPLETIONDIR)/vethmap

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/vethmap $(DESTDIR)$(MANDIR)/man8/vethmap.8
	rm -f $(DESTDIR)$(UNITDIR)/vethmap-scan.service $(DESTDIR)$(UNITDIR)/vethmap-scan.timer
	rm -f $(DESTDIR)$(UNITDIR)/vethmap-watch.service
	rm -f $(DESTDIR)$(COMPLETIONDIR)/vethmap
	rm -rf $(DESTDIR)$(DATADIR)

clean:
	rm -f vethmap src/*.o src/schema.inc src/schema.inc.tmp $(UNIT) $(BENCH)
	rm -rf build

.PHONY: all deps build-deps run check unit bench stress fuzz install uninstall clean

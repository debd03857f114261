# Thin wrapper around meson/ninja. Every target first installs the Debian
# packages it needs (scripts/install-deps.sh says what and why).
BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
PREFIX     ?= /usr/local
MESON_OPTS ?=
# -Werror in CI only (STYLE.md); developers get warnings.
ifneq ($(CI),)
MESON_OPTS += -Dwerror=true
endif

.PHONY: all deps build check check-unit demo bench fuzz install format clean

all: build

build:
	@scripts/install-deps.sh build
	@[ -f $(BUILD)/build.ninja ] || meson setup $(BUILD) --prefix=$(PREFIX) $(MESON_OPTS) >/dev/null
	@ninja -C $(BUILD)

# All suites in the plain build, then all of them again under ASan+UBSan
# (the integration tests then drive the sanitized daemon and CLI); the last
# line is the sum over both runs. A log left by an earlier run is removed
# first: the summary fails on a build whose suites did not all run.
check:
	@scripts/install-deps.sh check
	@[ -f $(BUILD)/build.ninja ] || meson setup $(BUILD) --prefix=$(PREFIX) $(MESON_OPTS) >/dev/null
	@[ -f $(ASAN_BUILD)/build.ninja ] || meson setup $(ASAN_BUILD) $(MESON_OPTS) \
		-Db_sanitize=address,undefined -Db_lundef=false >/dev/null
	@ninja -C $(BUILD) >/dev/null
	@ninja -C $(ASAN_BUILD) >/dev/null
	@rm -f $(BUILD)/meson-logs/testlog.json $(ASAN_BUILD)/meson-logs/testlog.json
	@rc=0; \
	meson test -C $(BUILD) --no-rebuild --print-errorlogs -t 4 || rc=1; \
	ASAN_OPTIONS=halt_on_error=1:detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		meson test -C $(ASAN_BUILD) --no-rebuild --print-errorlogs -t 4 || rc=1; \
	scripts/test-summary.py $(BUILD)/meson-logs/testlog.json $(ASAN_BUILD)/meson-logs/testlog.json

demo: build
	@scripts/install-deps.sh demo
	@scripts/demo.sh $(BUILD)

bench: build
	@scripts/install-deps.sh bench
	@scripts/bench.sh $(BUILD)

# libFuzzer targets (clang): make fuzz FUZZ_SECONDS=600
FUZZ_SECONDS ?= 60
fuzz:
	@scripts/install-deps.sh fuzz
	@[ -f $(FUZZ_BUILD)/build.ninja ] || CC=clang meson setup $(FUZZ_BUILD) -Dfuzzing=true \
		-Db_sanitize=address,undefined -Db_lundef=false >/dev/null
	@ninja -C $(FUZZ_BUILD)
	@scripts/fuzz.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

deps:
	@scripts/install-deps.sh build

# make install PREFIX=/usr DESTDIR=/tmp/pkg. Installs no Debian package
# (it names the missing ones; 'make deps' installs them), and puts the
# configuration file in place only where there is none.
install:
	@scripts/install-deps.sh --no-install build
	@[ -f $(BUILD)/build.ninja ] || meson setup $(BUILD) --prefix=$(PREFIX) $(MESON_OPTS) >/dev/null
	@meson configure $(BUILD) --prefix=$(PREFIX) >/dev/null
	@ninja -C $(BUILD) >/dev/null
	@DESTDIR=$(DESTDIR) meson install -C $(BUILD) --no-rebuild --quiet
	@if [ -e $(DESTDIR)/etc/vifguard/vifguardd.conf ]; then \
		echo "kept $(DESTDIR)/etc/vifguard/vifguardd.conf (the new one: $(PREFIX)/share/doc/vifguard/vifguardd.conf)"; \
	else \
		install -D -m 0644 data/vifguardd.conf $(DESTDIR)/etc/vifguard/vifguardd.conf && \
		echo "installed $(DESTDIR)/etc/vifguard/vifguardd.conf"; \
	fi
	@echo "installed the libvirt hook: $(DESTDIR)/etc/libvirt/hooks/qemu.d/50-vifguard, $(DESTDIR)/etc/libvirt/hooks/lxc.d/50-vifguard"
	@echo "  libvirtd looks for hooks when it starts: restart it once (systemctl restart libvirtd)"

format:
	@git ls-files '*.c' '*.h' | xargs clang-format -i

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)

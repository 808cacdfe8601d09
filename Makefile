# guichet — build, run, test, bench. See README.md.
CC      ?= gcc
PKGS    := libmicrohttpd jansson libxml-2.0 sqlite3 libsodium gmime-3.0 libcurl libmagic vips \
           libcrypto libqrencode libarchive cairo pangocairo libqpdf p11-kit-1 \
           tesseract lept poppler-glib xlsxwriter zlib
BUILD   ?= build
OPT     ?= -O2 -g
SAN     ?=
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CFLAGS  := -std=c17 -Wall -Wextra -Werror -Wshadow -Wformat=2 -D_GNU_SOURCE -Isrc \
           $(PKG_CFLAGS) -pthread $(OPT) $(SAN) -MMD -MP
LDLIBS  := $(PKG_LIBS) -pthread -lm
LDFLAGS := $(SAN)

LIB_SRC := $(shell find src -name '*.c' ! -path 'src/main.c' | sort)
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_REPLAY := $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/fuzz-replay/%)

# Embedded assets: every file under templates/ and static/, plus Leaflet (npm, vendor/) as
# static/vendor/leaflet/… and the icons named in vendor/icons.txt (lucide-static, npm) as one
# sprite, static/vendor/icons.svg (tools/sprite), written into one C table by tools/embed and
# linked into the library.
HOSTCC  ?= gcc
ASSET_FILES := $(shell find templates static -type f ! -name '.*' ! -name '*~' 2>/dev/null | sort)
LEAFLET_DIST := vendor/node_modules/leaflet/dist
ICON_DIR := vendor/node_modules/lucide-static
LIB_OBJ += $(BUILD)/obj/gen/assets.o

.PHONY: all deps run test unit fault fuzz-replay bench bench-compare soak fuzz clean format check-banned \
        print-pkgs FORCE
all: $(BUILD)/guichet

deps:
	@scripts/install-deps build

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/libguichet.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/tools/embed: tools/embed.c
	@mkdir -p $(dir $@)
	$(HOSTCC) -std=c17 -Wall -Wextra -Werror -D_GNU_SOURCE -O2 -o $@ $<

# Rewritten only when the set of asset files changes, so that a removed file regenerates too.
$(BUILD)/gen/assets.list: FORCE
	@mkdir -p $(dir $@)
	@echo '$(ASSET_FILES)' | cmp -s - $@ || echo '$(ASSET_FILES)' > $@

$(LEAFLET_DIST)/leaflet.js $(ICON_DIR)/LICENSE:
	@scripts/install-deps build

$(BUILD)/tools/sprite: tools/sprite.c
	@mkdir -p $(dir $@)
	$(HOSTCC) -std=c17 -Wall -Wextra -Werror -D_GNU_SOURCE -O2 -o $@ $<

$(BUILD)/gen/icons.svg: $(BUILD)/tools/sprite vendor/icons.txt $(ICON_DIR)/LICENSE \
                        vendor/package-lock.json
	@mkdir -p $(dir $@)
	$(BUILD)/tools/sprite $@ $(ICON_DIR)/LICENSE $(ICON_DIR)/icons vendor/icons.txt

$(BUILD)/gen/assets.c: $(BUILD)/tools/embed $(BUILD)/gen/assets.list $(ASSET_FILES) \
                       $(LEAFLET_DIST)/leaflet.js vendor/package-lock.json $(BUILD)/gen/icons.svg
	$(BUILD)/tools/embed $@ $(ASSET_FILES) static/vendor/icons.svg=$(BUILD)/gen/icons.svg \
	  $$(cd $(LEAFLET_DIST) && \
	  for f in leaflet.js leaflet.css images/*.png; do \
	    printf 'static/vendor/leaflet/%s=$(LEAFLET_DIST)/%s ' "$$f" "$$f"; done)

$(BUILD)/obj/gen/assets.o: $(BUILD)/gen/assets.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/guichet: $(BUILD)/obj/src/main.o $(BUILD)/libguichet.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# The unit tests' shared fixture (a migrated store and core in a temporary directory), their
# request helpers (test_req: cmocka assertions, so the unit tests' alone), the test signer and
# the helpers running a real tool on a file (test_cmd).
UNIT_SUPPORT := tests/support/test_db.c tests/support/test_db.h tests/support/test_req.c \
                tests/support/test_req.h tests/support/test_signer.c tests/support/test_signer.h \
                tests/support/test_cmd.c tests/support/test_cmd.h
$(BUILD)/tests/%: tests/unit/%.c $(UNIT_SUPPORT) $(BUILD)/libguichet.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests/unit -Itests/support -o $@ $< tests/support/test_db.c \
	  tests/support/test_req.c tests/support/test_signer.c tests/support/test_cmd.c \
	  $(BUILD)/libguichet.a $(LDLIBS) -lcmocka

# Fuzz targets replayed over their committed corpora by a plain main() (gcc, no libFuzzer).
# tests/support/ holds what several test programs share (an embedded server).
SUPPORT_SRC := $(filter-out tests/support/test_req.c,$(sort $(wildcard tests/support/*.c)))
$(BUILD)/fuzz-replay/%: tests/fuzz/%.c tests/fuzz/replay_main.c $(SUPPORT_SRC) $(BUILD)/libguichet.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests/support -o $@ $< tests/fuzz/replay_main.c $(SUPPORT_SRC) \
	  $(BUILD)/libguichet.a $(LDLIBS)

# The fault loops: guichet's own allocations reach tests/fault/fault_hooks.c through --wrap.
FAULT_WRAP := -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=strdup,--wrap=strndup
$(BUILD)/fault/fault_loop: $(wildcard tests/fault/*.c tests/fault/*.h) $(SUPPORT_SRC) \
                           $(BUILD)/libguichet.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests/support -Itests/fault -o $@ $(wildcard tests/fault/*.c) \
	  $(SUPPORT_SRC) $(BUILD)/libguichet.a $(FAULT_WRAP) $(LDLIBS)

# The areas' benchmark program (bench/run scenario "areas") and the set-up of scenario 3's
# routed creates, on the library as the server links it; both draw the same 1,000 areas. The
# signatures' benchmark makes its key as the unit tests do (tests/support/test_signer.c).
$(BUILD)/bench/%: bench/%.c bench/area_grid.c bench/area_grid.h tests/support/test_signer.c \
                  tests/support/test_signer.h $(BUILD)/libguichet.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests/support -o $@ $< bench/area_grid.c tests/support/test_signer.c \
	  $(BUILD)/libguichet.a $(LDLIBS)

unit: $(UNIT_BIN)
fuzz-replay: $(FUZZ_REPLAY)
fault: $(BUILD)/fault/fault_loop

# make run: install what is missing, build, create the demo database when absent, serve.
run:
	@scripts/install-deps build
	@$(MAKE) --no-print-directory all
	@scripts/run-demo

# make test: install, build, run every test; ends with "N passed, N failed".
test:
	@scripts/install-deps test
	@$(MAKE) --no-print-directory -j$$(nproc) all unit fuzz-replay fault
	@tests/run-all

bench:
	@scripts/install-deps bench
	@$(MAKE) --no-print-directory all
	@bench/run

# make bench-compare BASELINE=old/guichet: the same benchmark, previous binary against this one.
bench-compare:
	@scripts/install-deps bench
	@$(MAKE) --no-print-directory all
	@bench/compare "$(BASELINE)"

# make soak: 10 minutes of mixed traffic; fails on any error or memory growth (bench/README.md).
soak:
	@scripts/install-deps bench
	@$(MAKE) --no-print-directory all
	@bench/soak

# libFuzzer builds of every fuzz target (clang, ASan + UBSan), each run FUZZ_SECONDS (60)
# from its committed corpus; FUZZ_MERGE=1 keeps the new inputs that add coverage.
fuzz:
	@scripts/install-deps test
	@tests/fuzz/build-libfuzzer
	@tests/fuzz/run-libfuzzer

print-pkgs:
	@echo $(PKGS)

check-banned:
	@scripts/check-banned

# Includes against the layering of docs/architecture.md (the table is in the script).
.PHONY: check-layers
check-layers:
	@scripts/check-layers

format:
	clang-format -i $$(find src tests/unit tests/fuzz -name '*.[ch]')

clean:
	rm -rf build

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)

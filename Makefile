# Model Manager: one GNU Makefile, dependencies through pkg-config.
#
#   make            build fcgi/mm-api and jobs/mm-jobd
#   make run        install the packages running needs, build, start the
#                   local stack
#   make stop       stop what `make run` started
#   make test       install the packages testing needs too; unit +
#                   integration tests, sanitizer build included (and each
#                   libFuzzer harness for 5 s)
#   make bench      speed and memory against baselines (tests/bench/)
#   make fuzz       each libFuzzer harness for FUZZ_SECONDS (60)
#   make fakehub    the fake Hub with small demo repos, for offline tries
#   make deps       the Debian packages to build and run (conf/stack.sh)
#   make test-deps  ... and those to test and measure
#   make clean      build output only;  make distclean  also var/

CC	?= cc
WERROR	?= 1
PKGS	 = libcjson hiredis libpq libcurl yaml-0.1 libcrypto

WARN	 = -Wall -Wextra -Wstrict-prototypes -Wmissing-prototypes \
	   -Wmissing-declarations -Wshadow -Wpointer-arith -Wwrite-strings \
	   -Wformat=2 -Wno-unused-parameter
ifeq ($(WERROR),1)
WARN	+= -Werror
endif

# pkg_config ARGS: the output of `pkg-config ARGS`; a failure (a missing
# .pc file) stops make, naming the package.  The flags below are asked for
# once, when a rule that compiles or links first needs them, never while
# parsing: `make run` and `make test` install the packages (deps) before
# anything compiles.
pkg_config = $(strip $(eval pkg_out := $(shell pkg-config $(1) 2>&1))$(if \
	$(filter 0,$(.SHELLSTATUS)),$(pkg_out),$(error pkg-config $(1): \
	$(pkg_out) (make deps installs the packages; make test-deps CUnit))))
PKG_CFLAGS = $(eval PKG_CFLAGS := $(call pkg_config,--cflags $(PKGS)))$(PKG_CFLAGS)
PKG_LIBS   = $(eval PKG_LIBS := $(call pkg_config,--libs $(PKGS)) \
	     -lfcgi -lm)$(PKG_LIBS)
CUNIT_CFLAGS = $(eval CUNIT_CFLAGS := $(call pkg_config,--cflags cunit))$(CUNIT_CFLAGS)
CUNIT_LIBS = $(eval CUNIT_LIBS := $(call pkg_config,--libs cunit))$(CUNIT_LIBS)

CFLAGS	?= -O2
ALL_CFLAGS = -std=c11 -g -D_GNU_SOURCE -Ilib $(WARN) $(CFLAGS) $(PKG_CFLAGS)
SAN_FLAGS  = -O1 -fsanitize=address,undefined -fno-sanitize-recover=all \
	     -fno-omit-frame-pointer
# Each object records the headers it includes in a .d file beside it
# (included at the end); a program compiled straight from its .c file
# records them in PROGRAM.d.  Objects also depend on this Makefile: it
# holds their flags, and an object built before it wrote .d files (or
# with other flags) is rebuilt rather than trusted.
DEP_FLAGS  = -MMD -MP
PROG_DEP_FLAGS = -MMD -MP -MF $@.d -MT $@
# The sources and libraries of a program ($^ also holds its headers, and
# the .c files a fuzz harness includes, which are not compiled apart).
prog_inputs = $(firstword $(filter %.c,$^)) $(filter %.o %.a,$^)

LIB_SRC	 = $(sort $(wildcard lib/*.c))
API_SRC	 = $(sort $(wildcard fcgi/*.c))
JOBD_SRC = $(sort $(wildcard jobs/*.c))
UNIT_SRC = $(sort $(wildcard tests/unit/*.c))
TOOL_SRC = $(sort $(wildcard tests/tools/*.c))

# Normal build under build/rel, sanitizer build under build/san.
rel_obj	= $(patsubst %.c,build/rel/%.o,$(1))
san_obj	= $(patsubst %.c,build/san/%.o,$(1))

BINS	 = fcgi/mm-api jobs/mm-jobd
SAN_BINS = build/san/fcgi/mm-api build/san/jobs/mm-jobd \
	   build/san/tests/unit/run-unit
TOOLS	 = $(patsubst tests/tools/%.c,build/rel/tests/tools/%,$(TOOL_SRC))

.PHONY: all run stop fakehub test test-unit test-integration deps test-deps \
	bench clean distclean san tools check-clang fuzz fuzz-smoke
all: $(BINS)

build/rel/%.o: %.c Makefile
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	@$(CC) $(ALL_CFLAGS) $(DEP_FLAGS) -c $< -o $@

build/san/%.o: %.c Makefile
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	@$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) $(DEP_FLAGS) -c $< -o $@

build/rel/libmm.a: $(call rel_obj,$(LIB_SRC))
	@echo "  AR      $@"
	@$(AR) rcs $@ $^
build/san/libmm.a: $(call san_obj,$(LIB_SRC))
	@echo "  AR      $@"
	@$(AR) rcs $@ $^

fcgi/mm-api: $(call rel_obj,$(API_SRC)) build/rel/libmm.a
	@echo "  LD      $@"
	@$(CC) $(ALL_CFLAGS) -o $@ $^ $(PKG_LIBS)
jobs/mm-jobd: $(call rel_obj,$(JOBD_SRC)) build/rel/libmm.a
	@echo "  LD      $@"
	@$(CC) $(ALL_CFLAGS) -o $@ $^ $(PKG_LIBS)

build/san/fcgi/mm-api: $(call san_obj,$(API_SRC)) build/san/libmm.a
	@echo "  LD      $@"
	@$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) -o $@ $^ $(PKG_LIBS)
build/san/jobs/mm-jobd: $(call san_obj,$(JOBD_SRC)) build/san/libmm.a
	@echo "  LD      $@"
	@$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) -o $@ $^ $(PKG_LIBS)
$(call san_obj,$(UNIT_SRC)): ALL_CFLAGS += $(CUNIT_CFLAGS)
build/san/tests/unit/run-unit: $(call san_obj,$(UNIT_SRC)) build/san/libmm.a
	@echo "  LD      $@"
	@$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) -o $@ $^ $(PKG_LIBS) $(CUNIT_LIBS)

build/rel/tests/tools/%: tests/tools/%.c build/rel/libmm.a
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(ALL_CFLAGS) $(PROG_DEP_FLAGS) -o $@ $(prog_inputs) $(PKG_LIBS)

# The benchmark programs; the bare responder links libfcgi alone, so that
# its memory is that of a bare libfcgi process.
BENCH_SRC = $(sort $(wildcard tests/bench/*.c))
BENCH_BINS = $(patsubst tests/bench/%.c,build/rel/tests/bench/%,$(BENCH_SRC))

build/rel/tests/bench/barefcgi: tests/bench/barefcgi.c
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(ALL_CFLAGS) $(PROG_DEP_FLAGS) -o $@ $< -lfcgi
build/rel/tests/bench/%: tests/bench/%.c build/rel/libmm.a
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(ALL_CFLAGS) $(PROG_DEP_FLAGS) -o $@ $(prog_inputs) $(PKG_LIBS)

# Every source must also compile cleanly with clang (-Werror included).
check-clang:
	@echo "  CLANG   all sources"
	@for f in $(LIB_SRC) $(API_SRC) $(JOBD_SRC) $(UNIT_SRC) $(TOOL_SRC) \
	    $(BENCH_SRC); do \
		clang $(ALL_CFLAGS) -fsyntax-only $$f || exit 1; done

san: $(SAN_BINS)
tools: $(TOOLS)

# The Debian packages: deps those to build and run, test-deps also those
# to test and measure (CUnit, clang, Chromium, wrk, jq).
deps:
	@bash conf/stack.sh deps run
test-deps:
	@bash conf/stack.sh deps test

run: deps
	@$(MAKE) --no-print-directory all
	@bash conf/stack.sh start

stop:
	@bash conf/stack.sh stop

# A fake HuggingFace Hub with small demo repos named like curated models,
# to try downloads without internet: HF_ENDPOINT=http://127.0.0.1:9000 make run
FAKEHUB_PORT ?= 9000
fakehub:
	node tests/fakehub/fakehub.js --root tests/fakehub/repos \
	    --port $(FAKEHUB_PORT) --token hf_demo

test: test-deps
	@$(MAKE) --no-print-directory all san tools check-clang
	@$(MAKE) --no-print-directory test-unit fuzz-smoke test-integration

test-unit: build/san/tests/unit/run-unit
	ASAN_OPTIONS=abort_on_error=1:halt_on_error=1:detect_leaks=1 \
	UBSAN_OPTIONS=print_stacktrace=1 build/san/tests/unit/run-unit

# Node packages of the tests (fake hub interop, browser): the lock file pins
# them; npm ci only when it changed.
tests/node_modules/.installed: tests/package.json tests/package-lock.json
	@command -v npm >/dev/null || { echo "npm is missing (Node.js 18+ is needed for the tests)"; exit 1; }
	cd tests && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

test-integration: san tools tests/node_modules/.installed
	@bash tests/integration/run.sh

# Never part of make test: timings are not assertions.
bench: test-deps
	@$(MAKE) --no-print-directory all tools $(BENCH_BINS) \
	    tests/node_modules/.installed
	@bash tests/bench/bench.sh

# libFuzzer harnesses (tests/fuzz/fuzz_*.c), built with clang, ASan and
# UBSan into build/fuzz/; everything they reach is built the same way.
# `make fuzz` runs each for FUZZ_SECONDS, `make fuzz-smoke` for 5 s, from
# the seeds in tests/fuzz/corpus/NAME/ (see tests/fuzz/run.sh).
FUZZ_CC	     ?= clang
FUZZ_SECONDS ?= 60
FUZZ_FLAGS    = -O1 -fsanitize=address,undefined -fno-sanitize-recover=all \
		-fno-omit-frame-pointer
FUZZ_SRC      = $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS     = $(patsubst tests/fuzz/%.c,build/fuzz/%,$(FUZZ_SRC))
FUZZ_LIBS     = $(filter-out -lfcgi,$(PKG_LIBS))
fuzz_obj      = $(patsubst %.c,build/fuzz/%.o,$(1))

build/fuzz/%.o: %.c Makefile
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	@$(FUZZ_CC) $(ALL_CFLAGS) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link \
	    $(DEP_FLAGS) -c $< -o $@
build/fuzz/libmm.a: $(call fuzz_obj,$(LIB_SRC))
	@echo "  AR      $@"
	@$(AR) rcs $@ $^
# The front line (route.c) with the request and response code; the
# harness stands in for libfcgi, authentication and the handlers.
FUZZ_BODY_OBJ = $(call fuzz_obj,fcgi/route.c fcgi/request.c fcgi/response.c \
		fcgi/prunebody.c)
build/fuzz/fuzz_body: tests/fuzz/fuzz_body.c $(FUZZ_BODY_OBJ) \
    build/fuzz/libmm.a
	@echo "  LD      $@"
	@$(FUZZ_CC) $(ALL_CFLAGS) -Ifcgi $(FUZZ_FLAGS) -fsanitize=fuzzer \
	    $(PROG_DEP_FLAGS) -o $@ $(prog_inputs) $(FUZZ_LIBS)
build/fuzz/fuzz_%: tests/fuzz/fuzz_%.c build/fuzz/libmm.a
	@echo "  LD      $@"
	@$(FUZZ_CC) $(ALL_CFLAGS) $(FUZZ_FLAGS) -fsanitize=fuzzer \
	    $(PROG_DEP_FLAGS) -o $@ $(prog_inputs) $(FUZZ_LIBS)

fuzz: $(FUZZ_BINS)
	@bash tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_BINS)
fuzz-smoke: $(FUZZ_BINS)
	@bash tests/fuzz/run.sh 5 $(FUZZ_BINS)

clean:
	rm -rf build $(BINS)

distclean: clean
	@bash conf/stack.sh stop >/dev/null 2>&1 || true
	rm -rf var

# The headers each object and program was last built with (-MMD -MP).
DEP_FILES = $(patsubst %.c,build/rel/%.d,$(LIB_SRC) $(API_SRC) $(JOBD_SRC)) \
	    $(patsubst %.c,build/san/%.d,$(LIB_SRC) $(API_SRC) $(JOBD_SRC) \
		$(UNIT_SRC)) \
	    $(patsubst %.c,build/fuzz/%.d,$(LIB_SRC)) $(FUZZ_BODY_OBJ:.o=.d) \
	    $(addsuffix .d,$(TOOLS) $(BENCH_BINS) $(FUZZ_BINS))
-include $(DEP_FILES)

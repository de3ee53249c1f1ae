# tests/rules.mk: building and running the tests.
#   tests/unit/test_*.c   C unit tests, linked (static, musl) with every object but main.o
#   tests/fuzz/NAME/fuzz.c   libFuzzer harnesses (clang, ASan+UBSan), corpus in corpus/
#   tests/*.bats tests/recipes/*.bats tests/integration/*.bats   bats files
# `make check` runs them all through tests/run, which prints "N passed, N failed".
UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(W)/unit/%)
FUZZ_DIRS := $(sort $(dir $(wildcard tests/fuzz/*/fuzz.c)))
FUZZ_BINS := $(FUZZ_DIRS:tests/fuzz/%/=$(W)/fuzz/%)
FUZZ_CC ?= clang
FUZZ_CFLAGS := -std=c11 -g -O1 -D_GNU_SOURCE -DRESCUE_VERSION='"$(VERSION)"' \
	-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined \
	-Irescue -isystem $(INC) -Wall -Wextra -Werror -MMD -MP
FUZZ_OBJS := $(LIB_SRCS:%.c=$(W)/fuzzobj/%.o)

$(W)/unit/%: tests/unit/%.c tests/unit/unit.h $(LIB_OBJS) $(ZLIB)
	@mkdir -p $(@D)
	$(if $(Q),@echo "  UNIT    $@")
	$(Q)$(CC) $(ALL_CFLAGS) -Itests/unit -static -o $@ $< $(LIB_OBJS) $(ZLIB)

unit: $(UNIT_BINS)

# Fuzz objects use the host's zlib (zlib1g-dev) and libc; the harness links
# libFuzzer.  Messages from the code under test are silenced by err_set_quiet.
$(W)/fuzzobj/%.o: %.c $(HEADERS_STAMP)
	@mkdir -p $(@D)
	$(if $(Q),@echo "  FUZZCC  $<")
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<

$(W)/fuzz/%: tests/fuzz/%/fuzz.c $(FUZZ_OBJS)
	@mkdir -p $(@D)
	$(if $(Q),@echo "  FUZZ    $@")
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_OBJS) -lz

-include $(FUZZ_OBJS:.o=.d)

# keep the objects between runs (make would delete them as intermediates)
.SECONDARY: $(FUZZ_OBJS)

fuzz-build: $(FUZZ_BINS)

# Long fuzzing campaigns: FUZZ_TIME seconds per harness (default 300).
fuzz: fuzz-build
	$(Q)for f in $(FUZZ_BINS); do n=$${f##*/}; mkdir -p $(W)/fuzz/$$n.new; \
		echo "== fuzz $$n"; $$f -max_total_time=$${FUZZ_TIME:-300} $(W)/fuzz/$$n.new tests/fuzz/$$n/corpus || exit 1; done

# Crash consistency: kill every writer at each of its write-path syscalls
# (tests/crash/sweep --full, docs/testing.md); `make check` runs a bounded
# sweep (tests/crash.bats).  Part of `make fuzz`.
.PHONY: crash-sweep
crash-sweep: $(O)/rescue
	$(Q)RESCUE=$(abspath $(O)/rescue) tests/crash/sweep --full

# metasnap restore against random hostile archives (tests/hostile/), FUZZ_TIME s
.PHONY: fuzz-hostile
fuzz-hostile: $(O)/rescue
	$(Q)echo "== fuzz metasnap restore (hostile archives)"
	$(Q)tests/hostile/metasnap-check $(O)/rescue $(W)/fuzz/metasnap-hostile --for $${FUZZ_TIME:-300}

fuzz: crash-sweep fuzz-hostile

check: check-deps all unit fuzz-build
	$(Q)W=$(W) O=$(O) tests/run

# ecpipe build: PGXS module from C++17, plus the pure core as a static library for server-free unit tests.
EXTENSION   = ecpipe
EXTVERSION  = 0.3.0
MODULE_big  = ecpipe

CORE_SRCS   = $(sort $(wildcard src/core/*.cpp src/core/*/*.cpp))
GLUE_SRCS   = $(sort $(wildcard src/pg/*.cpp))
CORE_OBJS   = $(patsubst src/core/%.cpp,build/core/%.o,$(CORE_SRCS))
OBJS        = $(CORE_OBJS) $(GLUE_SRCS:.cpp=.o)
CORE_LIB    = build/libecpipe_core.a
CORE_HDRS   = $(wildcard include/ecpipe/*.hpp include/ecpipe/*/*.hpp src/core/*.hpp src/core/*/*.hpp)

DATA        = sql/$(EXTENSION)--$(EXTVERSION).sql sql/$(EXTENSION)--0.1.0.sql sql/$(EXTENSION)--0.1.0--0.2.0.sql \
              sql/$(EXTENSION)--0.2.0--0.3.0.sql schemas/ecpipe_event_schema.json
PG_CONFIG  ?= pg_config

# C++ only; PGXS's JIT bitcode step does not understand C++17 flags, so turn it off.
override with_llvm = no
OPTFLAGS   ?= -O2
CORE_CXXFLAGS = -std=c++17 $(OPTFLAGS) -fPIC -Wall -Wextra -Wno-unused-parameter -Iinclude
PG_CXXFLAGS = $(CORE_CXXFLAGS)
SHLIB_LINK  = -lsimdjson -lre2 -lcurl -lstdc++

# make installcheck is ecpipe's own (pgTAP, test/installcheck.sh), not pg_regress.
NO_INSTALLCHECK = 1
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# The server headers are system headers to us: warnings stay about ecpipe's own code.
override CPPFLAGS := $(patsubst -I%,-isystem %,$(filter -I%,$(CPPFLAGS))) $(filter-out -I%,$(CPPFLAGS))

all: schemas/ecpipe_event_schema.json

# The header firewall, by construction: the core is compiled by its own rule whose include path has no server
# directory, so a PostgreSQL header in src/core or include/ecpipe fails the build. `make firewall` proves it.
build/core/%.o: src/core/%.cpp $(CORE_HDRS)
	@mkdir -p $(dir $@)
	$(CXX) $(CORE_CXXFLAGS) -c $< -o $@
firewall:
	@if echo '#include "postgres.h"' | $(CXX) $(CORE_CXXFLAGS) -x c++ -fsyntax-only - 2>/dev/null; then \
	  echo "not ok - the core's compile rule reaches the PostgreSQL server headers"; exit 1; \
	else echo "ok - the core compiles without the PostgreSQL server headers on its include path"; fi

# The installed copy of the schema keeps a name that cannot collide with other extensions' files.
schemas/ecpipe_event_schema.json: schemas/event_schema.json
	cp $< $@

$(CORE_LIB): $(CORE_OBJS)
	@mkdir -p build
	rm -f $@
	$(AR) rcs $@ $^

UNIT_SRCS  = $(sort $(wildcard test/unit/*.cpp))
UNIT_OBJS  = $(patsubst test/unit/%.cpp,build/unit/%.o,$(UNIT_SRCS))
GTEST_LIBS = -lgtest -lgtest_main -lpthread -lsimdjson -lre2 -lcurl
build/unit/%.o: test/unit/%.cpp $(CORE_HDRS) $(wildcard test/unit/*.hpp)
	@mkdir -p build/unit
	$(CXX) -std=c++17 $(OPTFLAGS) -Wall -Wextra -Iinclude -DECPIPE_SOURCE_DIR='"$(CURDIR)"' -c $< -o $@
build/unit_tests: $(UNIT_OBJS) $(CORE_LIB)
	$(CXX) $(UNIT_OBJS) $(CORE_LIB) $(GTEST_LIBS) -o $@

build/core_bench: bench/core_bench.cpp $(CORE_LIB) $(CORE_HDRS)
	$(CXX) -std=c++17 -O2 -DNDEBUG -Iinclude -DECPIPE_SOURCE_DIR='"$(CURDIR)"' $< $(CORE_LIB) \
	  -lbenchmark -lpthread -lsimdjson -lre2 -o $@

# Sanitizer builds: the core compiled once more by clang++ with AddressSanitizer, UBSan and libFuzzer's coverage
# hooks into build/san/; the same objects serve the unit tests (make test-asan) and the fuzz targets (make fuzz).
SAN_CXX   ?= clang++
SAN_FLAGS  = -std=c++17 -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -g -O1 \
             -Iinclude -DECPIPE_SOURCE_DIR='"$(CURDIR)"'
SAN_OBJS   = $(patsubst src/core/%.cpp,build/san/core/%.o,$(CORE_SRCS))
FUZZ_TARGETS = build/san/fuzz_batch build/san/fuzz_schema
build/san/core/%.o: src/core/%.cpp $(CORE_HDRS)
	@mkdir -p $(dir $@)
	$(SAN_CXX) $(SAN_FLAGS) -fsanitize=fuzzer-no-link -c $< -o $@
build/san/unit/%.o: test/unit/%.cpp $(CORE_HDRS) $(wildcard test/unit/*.hpp)
	@mkdir -p $(dir $@)
	$(SAN_CXX) $(SAN_FLAGS) -c $< -o $@
build/san/unit_tests: $(patsubst test/unit/%.cpp,build/san/unit/%.o,$(UNIT_SRCS)) $(SAN_OBJS)
	$(SAN_CXX) $(SAN_FLAGS) $^ $(GTEST_LIBS) -o $@
build/san/fuzz_%: test/fuzz/fuzz_%.cpp $(SAN_OBJS)
	$(SAN_CXX) $(SAN_FLAGS) -fsanitize=fuzzer $^ -lsimdjson -lre2 -lcurl -o $@

.PHONY: firewall format format-check installcheck unit test demo deps bench-core bench test-asan fuzz faults report test-browser docker-config test-citus bench-citus
test-asan:
	scripts/install_deps.sh clang libclang-rt-14-dev
	$(MAKE) build/san/unit_tests
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ./build/san/unit_tests --gtest_brief=1
# Validates docker/docker-compose.yml with Debian's docker-compose (no engine needed, none runs here).
docker-config:
	scripts/install_deps.sh docker-compose
	docker-compose -f docker/docker-compose.yml config -q && echo "ok - docker/docker-compose.yml is valid"
report: all
	scripts/report.sh
test-browser: all
	test/report_browser.sh
faults: all
	scripts/install_extension.sh
	test/faults.sh
fuzz:
	scripts/install_deps.sh clang libclang-rt-14-dev
	$(MAKE) $(FUZZ_TARGETS)
	test/fuzz/run_fuzz.sh $(FUZZ_TARGETS)

# Scale-out on Citus: a coordinator and two workers (Citus built from CITUS_SRC when it is not installed).
test-citus: all
	scripts/install_citus.sh
	scripts/install_extension.sh
	test/citus.sh
	test/citus_faults.sh

bench: all
	bench/run_bench.sh

bench-citus: all
	bench/run_bench_citus.sh

bench-core: build/core_bench
	bench/run_core_bench.sh
unit: build/unit_tests
	./build/unit_tests --gtest_brief=1

test:
	scripts/install_deps.sh
	$(MAKE) all build/unit_tests
	$(MAKE) -s firewall format-check
	./build/unit_tests --gtest_brief=1
	scripts/install_extension.sh
	CLUSTER_PRELOAD=pg_cron PGTAP_FILES="test/pgtap/01_install.sql test/pgtap/05_validate.sql test/pgtap/07_run.sql" \
	  test/run_pgtap.sh
	test/dump_roundtrip.sh
	EVENTS=20000 BACKFILL_DAYS=30 BACKFILL_EVENTS=3000 test/faults.sh
	test/hostile_sources.sh
	test/docs_examples.sh
	test/citus.sh
	test/citus_faults.sh
	test/run_pgtap.sh

# pgTAP against a running server where ecpipe is installed (make install): no apt, no root, no cluster of its own.
# Connects with the libpq environment (PGHOST, PGPORT, PGUSER: a local superuser); see test/installcheck.sh.
installcheck:
	test/installcheck.sh

# The C++ style is .clang-format's; format-check (run by make test) fails on any file that differs from it.
FORMAT_FILES = $(shell git ls-files '*.cpp' '*.hpp' 2>/dev/null)
format:
	clang-format -i $(FORMAT_FILES)
format-check:
	@clang-format --dry-run --Werror $(FORMAT_FILES) && echo "ok - every C++ file is formatted as .clang-format says"

deps:
	scripts/install_deps.sh

demo:
	scripts/install_deps.sh
	$(MAKE) all
	scripts/demo.sh

EXTRA_CLEAN = build schemas/ecpipe_event_schema.json

# PGXS tracks no header dependencies; rebuild the glue when any project header changes.
$(GLUE_SRCS:.cpp=.o): $(CORE_HDRS) $(wildcard src/pg/*.hpp)

#!/usr/bin/env bash
# Builds the libFuzzer targets in their own clang build directory (ASan + UBSan + coverage) and runs
# every ctest test labelled `fuzz`, each for a bounded time.
#   scripts/fuzz.sh                       # 20 s per target
#   FUZZ_SECONDS=600 scripts/fuzz.sh      # longer runs
#   LATCHKEY_FUZZ_BUILD_DIR=/tmp/fz scripts/fuzz.sh
# Inputs the fuzzers find go to <build>/tests/fuzz/**/corpus/<target>/; a crash is written as
# crash-<sha1> next to them (the test's working directory) and fails the run.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

build_dir=${LATCHKEY_FUZZ_BUILD_DIR:-$LATCHKEY_ROOT/build-fuzz}
seconds=${FUZZ_SECONDS:-20}
[[ $seconds =~ ^[0-9]+$ ]] || die "FUZZ_SECONDS must be a whole number of seconds, got '$seconds'"

log "building fuzz targets ($build_dir, clang)"
CC=clang CXX=clang++ build "$build_dir" -DLATCHKEY_FUZZ=ON -DLATCHKEY_FUZZ_SECONDS="$seconds" \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo

log "fuzzing, ${seconds} s per target"
ctest --test-dir "$build_dir" -L fuzz -j2 --output-on-failure

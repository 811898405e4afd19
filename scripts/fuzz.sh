#!/bin/sh
# Builds the libFuzzer targets of Tests/fuzz (a package of its own, with -sanitize=fuzzer,address) and runs
# each for FUZZ_SECONDS (default 60), printing executions per target and the total; exits 1 on any crash,
# property violation or sanitizer report (the input is kept in .build/fuzz/artifacts/).
# usage: scripts/fuzz.sh [target...]      (targets: head request path ranges conditionals config mime accesslog tls auth)
#   FUZZ_SECONDS=3 scripts/fuzz.sh        the smoke run `make test` does (grown corpus in a temporary folder)
#   FUZZ_CORPUS=dir                       where grown corpora go (default .build/fuzz/corpus; seeds stay untouched)
set -eu
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-60}
targets=${*:-head request path ranges conditionals config mime accesslog tls auth}
scratch=.build/fuzz
corpus=${FUZZ_CORPUS:-$scratch/corpus}
mkdir -p "$scratch/logs" "$scratch/artifacts"

# Release (-O) builds run 3-10 times more inputs per second than debug ones; every layer the targets
# reach is instrumented. The gold linker warns once per ASan symbol it cannot export: those lines are dropped.
swift build --package-path Tests/fuzz --scratch-path "$scratch" -c release \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library 2>&1 |
    grep -v -e 'Cannot export local symbol' -e '^\[' || true
bin=$(swift build --package-path Tests/fuzz --scratch-path "$scratch" -c release --show-bin-path \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library)

# Swift's own crash backtracer trips ASan (it reads the stack of the crashed thread); libFuzzer reports instead.
export SWIFT_BACKTRACE=enable=no
total=0
failed=""
for t in $targets; do
    [ -x "$bin/fuzz-$t" ] || { echo "fuzz: no target $t" >&2; exit 2; }
    mkdir -p "$corpus/$t"
    log=$scratch/logs/$t.log
    # The first folder receives new inputs; the committed seeds are read only.
    if "$bin/fuzz-$t" -max_total_time="$seconds" -timeout=10 -print_final_stats=1 \
        -artifact_prefix="$scratch/artifacts/$t-" "$corpus/$t" "Tests/fuzz/corpus/$t" >"$log" 2>&1; then
        status=ok
    else
        status=FAILED
        failed="$failed $t"
    fi
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 || true)
    runs=${runs:-0}
    total=$((total + runs))
    printf 'fuzz-%-13s %12s executions %8s/s  %-10s %s\n' "$t" "$runs" "${rate:-0}" "$cov" "$status"
    if [ "$status" = FAILED ]; then
        grep -E 'property violated|ERROR: |SUMMARY|Test unit written|deadly signal|Fatal error' "$log" | head -8 >&2
    fi
done
printf 'fuzz: %s executions in all (%s s per target)\n' "$total" "$seconds"
if [ -n "$failed" ]; then
    echo "fuzz: crashes in:$failed (logs in $scratch/logs, inputs in $scratch/artifacts)" >&2
    exit 1
fi

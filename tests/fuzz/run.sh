#!/usr/bin/env bash
# Runs libFuzzer targets: tests/fuzz/run.sh BUILD_DIR SECONDS [NAME...] (names without fuzz_).
# Each target starts from its seed corpus (tests/fuzz/corpus/NAME, replayed first, so every
# saved crash input is a regression test) and fuzzes for SECONDS; any crash, leak, timeout or
# out-of-memory fails the run. New inputs go to a scratch dir, never into the repo; a
# failing input is kept in BUILD_DIR/fuzz-artifacts/ (add it to the corpus once fixed).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$1
seconds=$2
shift 2
names=("$@")
if [ ${#names[@]} -eq 0 ]; then
    for d in "$here"/corpus/*/; do names+=("$(basename "$d")"); done
fi
artifacts="$build/fuzz-artifacts"
symbolizer=$(command -v llvm-symbolizer || true)
[ -n "$symbolizer" ] && export ASAN_SYMBOLIZER_PATH="$symbolizer"
mkdir -p "$artifacts"
failed=()
for name in "${names[@]}"; do
    bin="$build/fuzz/fuzz_$name"
    [ -x "$bin" ] || { echo "fuzz: $bin is missing" >&2; exit 2; }
    scratch=$(mktemp -d)
    log="$artifacts/fuzz_$name.log"
    echo "fuzz: fuzz_$name for ${seconds}s (log: $log)" >&2
    if ASAN_OPTIONS="halt_on_error=1:detect_leaks=1:abort_on_error=1" \
        UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1" \
        "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
        -print_final_stats=1 -artifact_prefix="$artifacts/${name}-" \
        "$scratch" "$here/corpus/$name" >"$log" 2>&1; then
        execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
        rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
        echo "fuzz: fuzz_$name ok: ${execs:-?} runs, ${rate:-?} exec/s, ${seconds}s" >&2
    else
        echo "fuzz: fuzz_$name FAILED; the last lines of $log:" >&2
        tail -40 "$log" >&2
        failed+=("$name")
    fi
    rm -rf "$scratch"
done
if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzz: failed: ${failed[*]}" >&2
    exit 1
fi

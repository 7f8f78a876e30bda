#!/usr/bin/env bash
# fuzz/run.sh — build every libFuzzer target (clang, ASan+UBSan) and run each for a while.
#
#   fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]     default: 60 s, all seven targets
#
# The corpus each run finds is kept in build-fuzz/corpus/<target> and is where the next
# run starts; seeds come from closenotify-seeds, dictionaries from fuzz/dict, and the
# committed crash reproducers in fuzz/regressions/<target> are always replayed first.
# A crash leaves its input in build-fuzz/artifacts/ and makes the script exit non-zero.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-60}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then targets=(alert record_framing record_open endpoint keylog dtls_record dtls_endpoint); fi
case "$seconds" in ''|*[!0-9]*) echo "fuzz/run.sh: SECONDS must be a whole number, got '$seconds'" >&2; exit 2;; esac

build=${FUZZ_BUILD_DIR:-build-fuzz}
if [ ! -f "$build/build.ninja" ]; then
  CC=clang CXX=clang++ meson setup "$build" -Dfuzzing=true -Ddefault_library=static \
    -Db_sanitize=address,undefined -Db_lundef=false --buildtype=debugoptimized >/dev/null
fi
meson compile -C "$build" >/dev/null
rm -rf "$build/seeds"
"$build/fuzz/closenotify-seeds" "$build/seeds" >/dev/null
mkdir -p "$build/artifacts"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

status=0
printf '%-15s %9s %9s %7s %7s %7s %s\n' target runs "exec/s" cov ft corpus result
for t in "${targets[@]}"; do
  exe="$build/fuzz/fuzz_$t"
  if [ ! -x "$exe" ]; then echo "fuzz/run.sh: no target '$t' (have: alert record_framing record_open endpoint keylog dtls_record dtls_endpoint)" >&2; exit 2; fi
  corpus="$build/corpus/$t"
  mkdir -p "$corpus" "fuzz/regressions/$t"
  log="$build/fuzz-$t.log"
  result=ok
  if ! "$exe" -max_total_time="$seconds" -print_final_stats=1 -dict="fuzz/dict/$t.dict" \
        -artifact_prefix="$build/artifacts/$t-" -max_len=20000 \
        "$corpus" "$build/seeds/$t" "fuzz/regressions/$t" >"$log" 2>&1; then
    result="CRASH (see $log and $build/artifacts/)"
    status=1
  fi
  runs=$(awk '/stat::number_of_executed_units/ {print $2}' "$log")
  eps=$(awk '/stat::average_exec_per_sec/ {print $2}' "$log")
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n1 | awk '{print $2}')
  ft=$(grep -o 'ft: [0-9]*' "$log" | tail -n1 | awk '{print $2}')
  files=$(find "$corpus" -type f | wc -l)
  printf '%-15s %9s %9s %7s %7s %7s %s\n' "$t" "${runs:--}" "${eps:--}" "${cov:--}" "${ft:--}" "$files" "$result"
done
exit $status

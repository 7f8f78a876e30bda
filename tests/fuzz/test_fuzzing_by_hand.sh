#!/usr/bin/env bash
# The obvious way to build the fuzzers, as docs/fuzzing.md first shows it: `meson setup B
# -Dfuzzing=true` with clang and nothing else (no -Ddefault_library=static), then one
# target built and run briefly. Before the library was made static under -Dfuzzing, this
# failed at link time (the shared library lacked the fuzzer runtime).
# usage: test_fuzzing_by_hand.sh SRC_ROOT
set -euo pipefail
root=$1
if ! command -v clang++ >/dev/null; then
  echo "SKIP: clang++ is not installed (tools/install-deps.sh installs it)"; exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if ! CC=clang CXX=clang++ meson setup "$tmp/b" "$root" -Dfuzzing=true > "$tmp/setup.log" 2>&1; then
  tail -n 20 "$tmp/setup.log"; echo "FAIL: meson setup -Dfuzzing=true"; exit 1
fi
echo "ok: meson setup -Dfuzzing=true (CXX=clang++)"
if ! meson compile -C "$tmp/b" fuzz/fuzz_alert > "$tmp/build.log" 2>&1; then
  tail -n 20 "$tmp/build.log"; echo "FAIL: fuzz_alert does not build"; exit 1
fi
echo "ok: fuzz_alert built"
mkdir -p "$tmp/corpus"
if ! "$tmp/b/fuzz/fuzz_alert" -seed=1 -runs=2000 "$tmp/corpus" > "$tmp/run.log" 2>&1; then
  tail -n 20 "$tmp/run.log"; echo "FAIL: fuzz_alert -runs=2000"; exit 1
fi
echo "ok: fuzz_alert ran 2000 inputs under libFuzzer"

#!/usr/bin/env bash
# Runs fuzz/oss-fuzz/build.sh as OSS-Fuzz would (its environment variables, a fresh $OUT),
# checks that $OUT holds what the infrastructure expects, then runs every built target
# briefly on its seed corpus: the fuzz smoke of CI.  usage: test_oss_fuzz_build.sh SRC_ROOT [SECONDS]
set -euo pipefail
root=$1
seconds=${2:-10}
if ! command -v clang++ >/dev/null; then
  echo "SKIP: clang++ is not installed (tools/install-deps.sh installs it)"; exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export OUT=$tmp/out WORK=$tmp/work SRC=$root
mkdir -p "$OUT" "$WORK"
# OSS-Fuzz's flags for an ASan build with libFuzzer (infra/base-images/base-clang).
export CC=clang CXX=clang++
export SANITIZER_FLAGS="-fsanitize=address -fsanitize-address-use-after-scope"
export CFLAGS="-O1 -fno-omit-frame-pointer -gline-tables-only $SANITIZER_FLAGS -fsanitize=fuzzer-no-link"
export CXXFLAGS="$CFLAGS"
export LIB_FUZZING_ENGINE=-fsanitize=fuzzer
echo "== build.sh (CC=$CC, CXXFLAGS=$CXXFLAGS, LIB_FUZZING_ENGINE=$LIB_FUZZING_ENGINE)"
bash "$root/fuzz/oss-fuzz/build.sh" > "$tmp/build.log" 2>&1 || { tail -n 40 "$tmp/build.log"; echo "FAIL: build.sh"; exit 1; }
tail -n 1 "$tmp/build.log"

fail=0
check() { if ! eval "$1"; then echo "FAIL: $2"; fail=1; else echo "ok: $2"; fi; }
check '[ -f "$OUT/lib/libcrypto.so.0" ]' "BoringSSL's libcrypto.so.0 is in \$OUT/lib"
for t in alert record_framing record_open endpoint keylog dtls_record dtls_endpoint; do
  exe=$OUT/fuzz_$t
  check '[ -x "$exe" ]' "fuzz_$t built"
  check 'readelf -d "$exe" | grep -q "\$ORIGIN/lib"' "fuzz_$t finds libcrypto through \$ORIGIN/lib"
  check '[ -s "$OUT/fuzz_${t}_seed_corpus.zip" ]' "fuzz_${t}_seed_corpus.zip is not empty"
  check '[ -s "$OUT/fuzz_$t.dict" ] && [ -s "$OUT/fuzz_$t.options" ]' "fuzz_$t.dict and .options"
  corpus=$tmp/corpus-$t
  mkdir -p "$corpus"
  python3 -m zipfile -e "$OUT/fuzz_${t}_seed_corpus.zip" "$corpus"
  n=$(find "$corpus" -type f | wc -l)
  # A fixed -seed keeps the smoke from wandering somewhere new on each CI run: finding
  # bugs is the long run's job (fuzz/run.sh); this checks that the build fuzzes at all.
  if "$exe" -seed=1 -max_total_time="$seconds" -dict="$OUT/fuzz_$t.dict" -max_len=20000 \
       -artifact_prefix="$tmp/crash-$t-" -print_final_stats=1 "$corpus" > "$tmp/$t.log" 2>&1; then
    runs=$(awk '/stat::number_of_executed_units/ {print $2}' "$tmp/$t.log")
    cov=$(grep -o 'cov: [0-9]*' "$tmp/$t.log" | tail -n1 | awk '{print $2}')
    echo "ok: fuzz_$t ran ${seconds}s from $n seeds: $runs runs, cov $cov"
  else
    grep -E "invariant|ERROR|SUMMARY" "$tmp/$t.log" | head -n 5
    for a in "$tmp"/crash-"$t"-*; do
      # The input itself, so that a CI log is enough to reproduce: base64 -d > file, then
      # closenotify-seeds --describe file, and fuzz_$t file.
      [ -f "$a" ] && echo "crash input (base64): $(base64 -w0 "$a")"
    done
    echo "FAIL: fuzz_$t crashed within ${seconds}s"
    fail=1
  fi
done
exit $fail

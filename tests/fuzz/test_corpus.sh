#!/usr/bin/env bash
# Every fuzz target's entry point, built without libFuzzer (fuzz/standalone_main.cpp),
# over its seed corpus (written now by closenotify-seeds) and the committed regression
# inputs in fuzz/regressions/<target>: each past crash stays fixed, in the plain build and
# under ASan+UBSan.   usage: test_corpus.sh SRC_ROOT BUILD_FUZZ_DIR
set -euo pipefail
root=$1
bin=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$bin/closenotify-seeds" "$tmp" >/dev/null
fail=0
for t in alert record_framing record_open endpoint keylog dtls_record dtls_endpoint; do
  dirs=("$tmp/$t")
  regressions=0
  if [ -d "$root/fuzz/regressions/$t" ] && [ -n "$(ls -A "$root/fuzz/regressions/$t")" ]; then
    dirs+=("$root/fuzz/regressions/$t")
    regressions=$(find "$root/fuzz/regressions/$t" -type f | wc -l)
  fi
  if out=$("$bin/fuzz_$t" "${dirs[@]}" 2>&1); then
    echo "ok: $out ($regressions regression inputs among them)"
  else
    echo "$out" | tail -n 5
    echo "FAIL: fuzz_$t"
    fail=1
  fi
done
exit $fail

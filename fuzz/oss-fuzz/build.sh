#!/bin/bash -eu
# fuzz/oss-fuzz/build.sh — builds every closenotify fuzz target the way OSS-Fuzz and
# ClusterFuzzLite expect: compilers and flags from $CC $CXX $CFLAGS $CXXFLAGS, the engine
# from $LIB_FUZZING_ENGINE, and into $OUT: the targets, <target>_seed_corpus.zip,
# <target>.dict and <target>.options. BoringSSL comes from Debian/Ubuntu's
# android-libboringssl-dev as a shared library; it is copied to $OUT/lib and the targets
# find it through an $ORIGIN rpath, because the runner images have only $OUT.
# Run locally by tests/fuzz/test_oss_fuzz_build.sh with those variables set.
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
: "${OUT:?set OUT}" "${WORK:=$(mktemp -d)}" "${CC:=clang}" "${CXX:=clang++}"
: "${CFLAGS:=}" "${CXXFLAGS:=}" "${LIB_FUZZING_ENGINE:=-fsanitize=fuzzer}"
export CC CXX CFLAGS CXXFLAGS
# Meson links with LDFLAGS, not CXXFLAGS: the sanitizers must be on the link line too.
export LDFLAGS="${LDFLAGS:-} $CXXFLAGS -Wl,-rpath,\$ORIGIN/lib"

build="$WORK/closenotify-build"
rm -rf "$build"
meson setup "$build" "$root" -Dfuzzing=true -Dfuzzing_engine="$LIB_FUZZING_ENGINE" \
  -Ddefault_library=static -Db_lundef=false --buildtype=plain
meson compile -C "$build"

mkdir -p "$OUT/lib"
libdir=$(meson introspect "$build" --buildoptions |
  python3 -c 'import json,sys; print(next(o["value"] for o in json.load(sys.stdin) if o["name"]=="boringssl_libdir"))')
if [ -z "$libdir" ]; then libdir="/usr/lib/$($CXX -print-multiarch)/android"; fi
cp -L "$libdir/libcrypto.so.0" "$OUT/lib/"

"$build/fuzz/closenotify-seeds" "$WORK/seeds" >/dev/null
for t in alert record_framing record_open endpoint keylog dtls_record dtls_endpoint; do
  cp "$build/fuzz/fuzz_$t" "$OUT/"
  cp "$root/fuzz/dict/$t.dict" "$OUT/fuzz_$t.dict"
  printf '[libfuzzer]\nmax_len = 20000\ndict = fuzz_%s.dict\n' "$t" > "$OUT/fuzz_$t.options"
  mkdir -p "$WORK/seeds/$t"
  if [ -d "$root/fuzz/regressions/$t" ]; then cp "$root/fuzz/regressions/$t"/* "$WORK/seeds/$t/" 2>/dev/null || true; fi
  rm -f "$OUT/fuzz_${t}_seed_corpus.zip"
  (cd "$WORK/seeds/$t" && python3 -m zipfile -c "$OUT/fuzz_${t}_seed_corpus.zip" .)
done
echo "build.sh: 7 targets, seed corpora, dictionaries and options in $OUT"

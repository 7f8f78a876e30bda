#!/usr/bin/env bash
# Installs the OpenSSL releases the differential matrix runs against besides the system's
# 3.0, each into a private prefix in a cache outside the build tree, from Debian's own
# archive only:
#   1.1.1  bullseye's binary packages libssl1.1 + libssl-dev, unpacked with dpkg-deb -x
#          (they run on Debian 12);
#   3.5    trixie's source package, built here (its binaries need glibc 2.38, Debian 12 has
#          2.36): the upstream tarball is checked against the signing key the Debian source
#          ships, then shared libraries only are built.
# The system's apt state is never touched: a private APT_CONFIG holds its own sources, lists
# and cache. The mirror is the one this machine's apt already uses (no host is written here).
#
# Usage: tools/install-openssl.sh [1.1.1] [3.5]       (default: both)
# Cache: $CLOSENOTIFY_OPENSSL_CACHE, else $XDG_CACHE_HOME/closenotify/openssl, else
# ~/.cache/closenotify/openssl (tools/peer/meson.build looks in the same place); one folder per
# series holding include/, lib/ and VERSION (the Debian version it came from). A series
# whose VERSION exists is not fetched again.
set -euo pipefail

cache=${CLOSENOTIFY_OPENSSL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/closenotify/openssl}
cache=$(realpath -m "$cache")
series=("$@")
[ ${#series[@]} -gt 0 ] || series=(1.1.1 3.5)
say() { printf 'install-openssl: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

# The machine's own mirrors, as apt knows them: the URI serving <suite>/main.
mirror_for() {  # mirror_for bookworm | bookworm-security
  apt-cache policy 2>/dev/null |
    awk -v s="$1/main" '$3 == s && $2 ~ /^[a-z]+:\/\// {print $2; exit}'
}

apt_setup() {  # a private apt: its own config, sources, lists and cache under $1
  local dir=$1 main security keyring=/usr/share/keyrings/debian-archive-keyring.gpg
  main=$(mirror_for bookworm)
  security=$(mirror_for bookworm-security)
  [ -n "$main" ] || die "no Debian mirror serving bookworm/main in this machine's apt sources (run apt-get update first)"
  mkdir -p "$dir"/{lists/partial,archives/partial,parts,prefs}
  : >"$dir/status"
  {
    echo "deb [signed-by=$keyring] $main bullseye main"
    [ -z "$security" ] || echo "deb [signed-by=$keyring] $security bullseye-security main"
    echo "deb-src [signed-by=$keyring] $main trixie main"
    [ -z "$security" ] || echo "deb-src [signed-by=$keyring] $security trixie-security main"
  } >"$dir/sources.list"
  cat >"$dir/apt.conf" <<EOF
Dir::State "$dir";
Dir::State::lists "$dir/lists";
Dir::State::status "$dir/status";
Dir::Cache "$dir";
Dir::Cache::archives "$dir/archives";
Dir::Etc::SourceList "$dir/sources.list";
Dir::Etc::SourceParts "$dir/parts";
Dir::Etc::Preferences "$dir/prefs/none";
Dir::Etc::PreferencesParts "$dir/prefs";
APT::Get::List-Cleanup "false";
$( [ "$(id -u)" -eq 0 ] && echo 'APT::Sandbox::User "root";')
EOF
  export APT_CONFIG="$dir/apt.conf"
  say "updating a private package index (bullseye binaries, trixie sources)"
  apt-get update -qq >/dev/null
}

# Versions of a (source) package, newest first.
newest_first() { sort -u | sort -r -V; }

install_111() {  # $1 = destination prefix
  local dest=$1 work
  work=$(mktemp -d)
  local version
  version=$(apt-cache madison libssl1.1 | awk -F'|' '{gsub(/ /, "", $2); print $2}' | newest_first | head -n1)
  [ -n "$version" ] || die "bullseye's libssl1.1 is not in the index"
  say "1.1.1: downloading libssl1.1 and libssl-dev $version"
  (cd "$work" && apt-get download -qq "libssl1.1=$version" "libssl-dev=$version" >/dev/null)
  mkdir -p "$work/root"
  for deb in "$work"/*.deb; do dpkg-deb -x "$deb" "$work/root"; done
  local triplet
  triplet=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)
  mkdir -p "$dest/include" "$dest/lib"
  cp -a "$work/root/usr/include/openssl" "$dest/include/"
  cp -a "$work/root/usr/include/$triplet/openssl/." "$dest/include/openssl/"
  cp -a "$work/root/usr/lib/$triplet/"lib{ssl,crypto}.so* "$dest/lib/"
  echo "$version" >"$dest/VERSION"
  rm -rf "$work"
}

install_35() {  # $1 = where to put the files, $2 = the prefix they will live in
  local dest=$1 final=$2 work version ok=""
  work=$(mktemp -d)
  cd "$work"
  # Index entries can outlive their files: take the newest 3.5 whose files download.
  for version in $(apt-cache showsrc openssl | awk '/^Version:/ {print $2}' | grep '^3\.5\.' | newest_first); do
    say "3.5: downloading the source package openssl $version"
    if apt-get source -qq --download-only "openssl=$version" >/dev/null 2>&1; then ok=$version; break; fi
    say "3.5: openssl $version does not download, trying an older one"
    rm -f "$work"/openssl_*
  done
  [ -n "$ok" ] || die "no openssl 3.5.x source package of trixie downloads"
  local upstream=${ok%-*} orig
  orig=$(ls openssl_"$upstream".orig.tar.gz)
  # apt checked the .dsc's files against the signed index; the upstream tarball is also
  # checked against OpenSSL's release key, as Debian's uscan would.
  tar -xJf openssl_"$ok".debian.tar.xz debian/upstream/signing-key.asc
  gpg --batch --quiet --homedir "$work" --dearmor -o "$work/upstream.gpg" debian/upstream/signing-key.asc
  gpgv --keyring "$work/upstream.gpg" "$orig.asc" "$orig" 2>/dev/null ||
    die "3.5: $orig does not verify against debian/upstream/signing-key.asc"
  say "3.5: $orig verified against the release key Debian ships"
  dpkg-source --no-check -x openssl_"$ok".dsc src >/dev/null
  cd src
  say "3.5: building libssl and libcrypto (shared only, about 10 minutes on 2 cores)"
  ./Configure --prefix="$final" --libdir=lib shared no-tests no-docs no-apps >/dev/null
  local jobs
  jobs=$(nproc)
  # One dot per 50 compiled files, so a long build shows it is alive.
  # (Tested by `if`: under set -e with pipefail a failing make would end the script here,
  # before any message.)
  if ! make -j"$jobs" build_libs 2>&1 | awk '/^(gcc|cc|clang) / {n++; if (n % 50 == 0) printf "." > "/dev/stderr"} END {print "" > "/dev/stderr"}'; then
    die "3.5: the build failed (rerun in $work/src to see why)"
  fi
  make install_dev DESTDIR="$work/destdir" >/dev/null
  mkdir -p "$dest/lib"
  cp -a "$work/destdir$final/include" "$dest/"
  cp -a "$work/destdir$final/lib/"lib{ssl,crypto}.so* "$dest/lib/"
  echo "$ok" >"$dest/VERSION"
  cd /
  rm -rf "$work"
}

need=()
for s in "${series[@]}"; do
  case $s in
    1.1.1|3.5) ;;
    *) die "unknown series $s (choose 1.1.1 or 3.5)" ;;
  esac
  if [ -f "$cache/$s/VERSION" ]; then
    say "$s: cached ($(cat "$cache/$s/VERSION") in $cache/$s)"
  else
    need+=("$s")
  fi
done
[ ${#need[@]} -gt 0 ] || exit 0

aptdir=$(mktemp -d)
trap 'rm -rf "$aptdir"' EXIT
apt_setup "$aptdir"
for s in "${need[@]}"; do
  start=$SECONDS
  tmp="$cache/$s.partial"
  rm -rf "$tmp"
  mkdir -p "$tmp"
  case $s in
    1.1.1) install_111 "$tmp" ;;
    3.5) install_35 "$tmp" "$cache/$s" ;;
  esac
  rm -rf "${cache:?}/$s"
  mv "$tmp" "$cache/$s"
  say "$s: $(cat "$cache/$s/VERSION") installed in $cache/$s ($((SECONDS - start)) s)"
done

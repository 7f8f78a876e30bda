#!/usr/bin/env bash
# Installs everything closenotify builds and tests with, from Debian 12's own packages
# (Meson wraps cannot download here). Uses sudo when not run as root.
set -euo pipefail
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# tshark (the trace test decrypts captures with it) asks whether non-root users may
# capture; answer no in advance so the install never waits for a prompt.
echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections
$SUDO apt-get install -y -qq --no-install-recommends \
  meson ninja-build g++ clang libclang-rt-14-dev cmake pkg-config python3 strace \
  android-libboringssl-dev doctest-dev nlohmann-json3-dev libssl-dev openssl tshark curl gnutls-bin \
  dpkg-dev gpg gpgv make perl xz-utils debian-archive-keyring >/dev/null
echo "install-deps: meson, ninja, g++, clang with libFuzzer and sanitizer runtimes, BoringSSL (android-libboringssl-dev), doctest, nlohmann-json, OpenSSL 3.0 dev files, tshark, curl, gnutls-bin, and what tools/install-openssl.sh uses installed"

# The other OpenSSL series closenotify-peer is built against (closenotify-peer-1.1.1 and
# -3.5, tools/peer/meson.build): into the user's cache, not the system, so as the user who
# will run meson (under `sudo tools/install-deps.sh`, $SUDO_USER, whose environment sudo
# has already reset: the cache is then that user's ~/.cache/closenotify/openssl).
# A failure stops here: the matrix is meant to run against every release, and a CI run
# that silently lost one would look green.
here=$(dirname "$(readlink -f "$0")")
if [ "$(id -u)" -eq 0 ] && [ -n "${SUDO_USER:-}" ] && [ "$SUDO_USER" != root ]; then
  as_user=(runuser -u "$SUDO_USER" -- env HOME="$(getent passwd "$SUDO_USER" | cut -d: -f6)")
else
  as_user=()
fi
if ! "${as_user[@]}" "$here/install-openssl.sh" 1.1.1 3.5; then
  echo "install-deps: tools/install-openssl.sh failed (above): OpenSSL 1.1.1 / 3.5 are missing" >&2
  exit 1
fi
echo "install-deps: OpenSSL 1.1.1 and 3.5 for closenotify-peer-1.1.1 and closenotify-peer-3.5 installed"

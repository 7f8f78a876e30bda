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
  android-libboringssl-dev doctest-dev libssl-dev openssl tshark curl gnutls-bin >/dev/null
echo "install-deps: meson, ninja, g++, clang with libFuzzer and sanitizer runtimes, BoringSSL (android-libboringssl-dev), doctest, OpenSSL 3.0 dev files, tshark, curl, gnutls-bin installed"

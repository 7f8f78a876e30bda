#!/usr/bin/env python3
"""OpenSSL and BoringSSL export the same symbols: no process may load both.

The runner (`closenotify`) and the unit tests link closenotify + BoringSSL; the peer
(`closenotify-peer`) links OpenSSL only. Checked with ldd on the built executables.
usage: test_linkage.py <closenotify> <closenotify-peer> [more BoringSSL-side executables]
"""
import subprocess
import sys

passed = failed = 0


def check(ok, what):
    global passed, failed
    print(("ok   " if ok else "FAIL ") + what)
    if ok:
        passed += 1
    else:
        failed += 1


def libraries(exe):
    out = subprocess.run(["ldd", exe], capture_output=True, text=True, check=True).stdout
    return [line.strip() for line in out.splitlines() if "=>" in line]


def is_boringssl(line):
    return "/android/" in line


def is_openssl(line):
    name = line.split("=>")[0].strip()
    return (name.startswith("libssl.so") or name.startswith("libcrypto.so")) and "/android/" not in line


def main():
    runner, peer, *others = sys.argv[1:]
    for exe in [runner] + others:
        libs = libraries(exe)
        check(any(is_boringssl(l) for l in libs), f"{exe} loads BoringSSL")
        check(not any(is_openssl(l) for l in libs), f"{exe} loads no OpenSSL library: "
              + ", ".join(l for l in libs if is_openssl(l)))
    libs = libraries(peer)
    check(any(is_openssl(l) for l in libs) and any("libssl.so" in l for l in libs), f"{peer} loads OpenSSL's libssl")
    check(not any(is_boringssl(l) for l in libs), f"{peer} loads no BoringSSL library")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

"""test_peer_version.py — one closenotify-peer-<series> (tools/peer/meson.build), built
against an OpenSSL series of the cache tools/install-openssl.sh fills: it loads that
series' libssl and libcrypto from the cache (ldd, and the maps of the running process),
greets with that series' version, and its version-dependent code (tools/peer/compat.hpp)
works: certificates made in memory (P-256 and RSA keys), TLS 1.3 and 1.2 handshakes and a
clean two-sided shutdown, and `set ignore_unexpected_eof` refused by an `error` line where
the release has no SSL_OP_IGNORE_UNEXPECTED_EOF.

Run: python3 tests/peer/test_peer_version.py SERIES PREFIX PEER|- BUILD_DIR
A peer of `-` was not built (the series was not in the cache at configure time): exit 77,
skipped, saying why and what to run.
"""

import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_peer  # noqa: E402  (the Peer process wrapper, socketpairs, line parsing)

SKIP = 77
passed = failed = 0


def check(name, ok, detail=""):
    global passed, failed
    print(("ok   " if ok else "FAIL ") + name + ("" if ok or not detail else f": {detail}"))
    if ok:
        passed += 1
    else:
        failed += 1
    return ok


def skip(series, prefix, build_dir):
    if os.path.isfile(os.path.join(prefix, "VERSION")):
        why = (f"OpenSSL {series} is in {prefix} now, but {build_dir} was configured before it was; "
               f"run: meson setup --reconfigure {build_dir}")
    else:
        why = (f"no OpenSSL {series} in {prefix}; run: tools/install-openssl.sh {series} && "
               f"meson setup --reconfigure {build_dir}")
    print(f"SKIP closenotify-peer-{series} not built: {why}")
    return SKIP


def in_prefix(path, libdir):
    return os.path.dirname(os.path.realpath(path)) == os.path.realpath(libdir)


def check_ldd(peer, libdir):
    out = subprocess.run(["ldd", peer], capture_output=True, text=True, check=True).stdout
    print("ldd:\n" + "\n".join("  " + l.strip() for l in out.splitlines() if "ssl" in l or "crypto" in l))
    resolved = {}
    for line in out.splitlines():
        name, arrow, rest = line.strip().partition(" => ")
        if arrow and (name.startswith("libssl.so") or name.startswith("libcrypto.so")):
            resolved[name] = rest.split(" (")[0]
    for lib in ("libssl.so", "libcrypto.so"):
        hits = {n: p for n, p in resolved.items() if n.startswith(lib)}
        check(f"ldd: one {lib}.*, from {libdir}",
              len(hits) == 1 and all(in_prefix(p, libdir) for p in hits.values()), repr(hits))
    check("ldd: no BoringSSL (android/) library", "/android/" not in out)
    check("ldd: nothing not found", "not found" not in out)


def check_maps(pid, libdir):
    """The libssl and libcrypto the running peer has mapped are the cache's, and only those."""
    with open(f"/proc/{pid}/maps") as f:
        paths = {line.split()[-1] for line in f if "/" in line}
    for lib in ("libssl.so", "libcrypto.so"):
        mapped = sorted(p for p in paths if os.path.basename(p).startswith(lib))
        check(f"running peer maps {lib}.* from {libdir} only",
              len(mapped) == 1 and in_prefix(mapped[0], libdir), repr(mapped))


def upstream_of(debian_version):
    """1.1.1w-0+deb11u8 -> 1.1.1w; 3.5.4-1~deb13u1 -> 3.5.4 (an epoch, if any, dropped)."""
    return debian_version.split(":", 1)[-1].rsplit("-", 1)[0]


def check_greeting(series, prefix):
    client, server = test_peer.pair()
    word, fields = client.do("hello")
    check_maps(client.proc.pid, os.path.join(prefix, "lib"))  # loaded by now: it has answered
    version = fields.get("openssl", "")
    print(f"greeting: {client.raw}")
    with open(os.path.join(prefix, "VERSION")) as f:
        debian = f.read().strip()
    check(f"hello: ok peer openssl=OpenSSL_{series}...",
          word == "ok" and re.match(rf"OpenSSL_{re.escape(series)}(?![0-9])", version), client.raw)
    check(f"hello: the release the cache holds ({debian})",
          version.startswith(f"OpenSSL_{upstream_of(debian)}_"), client.raw)
    client.finish(), server.finish()


def check_shutdown(suite):
    """A handshake and a clean two-sided shutdown between two peers of this series."""
    t = f"[{suite}]"
    client, server = test_peer.pair()
    (cw, c), (sw, s) = test_peer.handshake(client, server, suite)
    if check(f"{t} handshake", cw == "ok" and sw == "ok" and c.get("suite") == suite,
             f"{client.raw} / {server.raw}"):
        w, d = client.do("shutdown")
        check(f"{t} client shutdown: ret=0 flags=1", w == "done" and (d["ret"], d["flags"]) == ("0", "1"),
              client.raw)
        w, d = server.do("read 100")
        check(f"{t} server read: ret=0 ZERO_RETURN recv=0100",
              (d["ret"], d["err"], d["recv"]) == ("0", "ZERO_RETURN", "0100"), server.raw)
        w, d = server.do("shutdown")
        check(f"{t} server shutdown: ret=1 flags=3", (d["ret"], d["flags"]) == ("1", "3"), server.raw)
        w, d = client.do("read 100")
        check(f"{t} client read: ret=0 ZERO_RETURN flags=3",
              (d["ret"], d["err"], d["flags"]) == ("0", "ZERO_RETURN", "3"), client.raw)
    statuses = (client.finish(), server.finish())
    check(f"{t} both peers exit 0 at the end of their input", statuses == (0, 0), repr(statuses))


def check_ignore_unexpected_eof(series):
    client, server = test_peer.pair()
    test_peer.handshake(client, server, "TLS_AES_128_GCM_SHA256")
    word, fields = client.do("set ignore_unexpected_eof")
    if series == "1.1.1":
        check("set ignore_unexpected_eof: refused, naming the missing option",
              word == "error" and "OpenSSL 1.1.1 has no SSL_OP_IGNORE_UNEXPECTED_EOF" in client.raw,
              client.raw)
    else:
        check("set ignore_unexpected_eof: done ret=1",
              word == "done" and fields.get("call") == "set" and fields.get("ret") == "1", client.raw)
    client.finish(), server.finish()


def check_system_error():
    """A system error's reason is its strerror text (compat::is_system_error)."""
    client, server = test_peer.pair()
    word, _ = server.do("handshake role=server version=tls1.3 suite=TLS_AES_128_GCM_SHA256 "
                        "cert=/nonexistent/cert.pem key=/nonexistent/key.pem")
    check("a missing certificate file: error ... No such file or directory",
          word == "error" and server.raw.endswith("No such file or directory"), server.raw)
    client.finish(), server.finish()


def main():
    series, prefix, peer, build_dir = sys.argv[1:5]
    if peer == "-":
        return skip(series, prefix, build_dir)
    test_peer.PEER = peer
    libdir = os.path.join(prefix, "lib")
    tests = [("ldd", lambda: check_ldd(peer, libdir)), ("greeting", lambda: check_greeting(series, prefix))]
    tests += [(s, lambda s=s: check_shutdown(s)) for s in
              ("TLS_AES_128_GCM_SHA256", "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES256-GCM-SHA384")]
    tests += [("ignore_unexpected_eof", lambda: check_ignore_unexpected_eof(series)),
              ("system error", check_system_error)]
    for name, test in tests:
        try:
            test()
        except Exception as e:  # a hang or a malformed answer fails this check, not the run
            check(f"[{name}] ran to the end", False, repr(e))
    for proc in test_peer.spawned:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    print(f"closenotify-peer-{series}: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

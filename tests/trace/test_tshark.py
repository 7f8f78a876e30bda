"""test_tshark.py — `closenotify trace --pcap --keylog` and `closenotify diff --scenario
--pcap --keylog` give a capture that Wireshark's dissector (tshark) reads as TLS over TCP
and decrypts with the key log: the close_notify alerts of a clean bidirectional shutdown
show up decrypted, in TLS 1.3 (encrypted alerts, through a KeyUpdate) and TLS 1.2.

Run: python3 tests/trace/test_tshark.py path/to/closenotify
Exit 77 (skipped) when tshark is not installed; tools/install-deps.sh installs it.
"""

import os
import shutil
import subprocess
import sys
import tempfile

SKIP = 77


def alerts(tshark, pcap, keylog):
    """(level, description) of every TLS alert tshark dissects, frame by frame."""
    args = [tshark, "-r", pcap, "-T", "fields", "-e", "frame.number", "-e", "tls.alert_message.level",
            "-e", "tls.alert_message.desc", "-Y", "tls.alert_message"]
    if keylog:
        args[3:3] = ["-o", "tls.keylog_file:" + keylog]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=120)
    if proc.returncode != 0:
        raise RuntimeError("tshark failed: " + proc.stderr)
    return [tuple(l.split("\t")[1:]) for l in proc.stdout.splitlines() if l.strip()]


def main():
    binary = sys.argv[1]
    tshark = shutil.which("tshark")
    if tshark is None:
        print("SKIP: tshark is not installed (Debian package tshark; tools/install-deps.sh installs it)")
        return SKIP
    failures = []

    def check(what, ok, detail=""):
        print(("ok   " if ok else "FAIL ") + what + ("" if ok else ": " + str(detail)))
        if not ok:
            failures.append(what)
        return ok

    with tempfile.TemporaryDirectory(prefix="closenotify-tshark-") as tmp:
        cases = [("a-first-then-b", "TLS_AES_128_GCM_SHA256", "client", 2),
                 ("a-first-then-b", "ECDHE-ECDSA-CHACHA20-POLY1305", "server", 2),
                 ("post-key-update-a-then-shutdown", "TLS_AES_256_GCM_SHA384", "client", 2)]
        for scenario, suite, role, expected in cases:
            pcap = os.path.join(tmp, "t.pcap")
            keys = os.path.join(tmp, "t.keys")
            proc = subprocess.run([binary, "trace", scenario, "--suite", suite, "--role", role,
                                   "--pcap", pcap, "--keylog", keys], capture_output=True, text=True, timeout=120)
            name = f"{scenario} {suite} A={role}"
            if not check(f"{name}: trace ran", proc.returncode == 0, proc.stderr):
                continue
            got = alerts(tshark, pcap, keys)
            print("     tshark:", got)
            check(f"{name}: tshark decrypts {expected} close_notify alerts (level 1, description 0)",
                  got.count(("1", "0")) == expected and len(got) == expected, got)
            if suite.startswith("TLS_"):
                # Without the key log the TLS 1.3 alerts stay opaque application_data: what
                # tshark shows above is decrypted, not read in the clear.
                check(f"{name}: without the key log no alert is visible", alerts(tshark, pcap, None) == [])
            # The handshake dissects and decrypts as well: ClientHello, ServerHello, and the
            # Finished messages, which are encrypted in both versions.
            hs = subprocess.run([tshark, "-r", pcap, "-o", "tls.keylog_file:" + keys, "-T", "fields",
                                 "-e", "tls.handshake.type", "-Y", "tls.handshake"],
                                capture_output=True, text=True, timeout=120).stdout.replace(",", " ").split()
            check(f"{name}: ClientHello, ServerHello and two Finished dissected",
                  hs.count("1") == 1 and hs.count("2") == 1 and hs.count("20") == 2, hs)

        # diff --scenario: every run one TCP connection, all decrypted with one key log.
        pcap = os.path.join(tmp, "d.pcap")
        keys = os.path.join(tmp, "d.keys")
        proc = subprocess.run([binary, "diff", "--scenario", "a-first-then-b", "--filter", "*/*/client/*",
                               "--openssl", "3.0", "--quiet", "--jobs", "2", "--pcap", pcap, "--keylog", keys],
                              capture_output=True, text=True, timeout=300)
        check("diff --scenario --pcap ran", proc.returncode == 0, proc.stdout[-2000:] + proc.stderr)
        got = alerts(tshark, pcap, keys)
        # 6 suites x 2 io modes x 2 runs, two close_notify alerts each.
        check("diff capture: 48 close_notify alerts decrypted", got.count(("1", "0")) == 48, len(got))
        streams = subprocess.run([tshark, "-r", pcap, "-T", "fields", "-e", "tcp.stream", "-Y", "tcp.flags.syn == 1 && tcp.flags.ack == 0"],
                                 capture_output=True, text=True, timeout=120).stdout.split()
        check("diff capture: 24 TCP connections", len(streams) == 24, streams)

    print("PASS" if not failures else "FAILED: " + ", ".join(failures))
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())

"""test_tshark.py — `closenotify trace --pcap --keylog` and `closenotify diff --scenario
--pcap --keylog` give a capture that Wireshark's dissector (tshark) reads as TLS over TCP
and decrypts with the key log: the close_notify alerts of a clean bidirectional shutdown
show up decrypted, in TLS 1.3 (encrypted alerts, through a KeyUpdate) and TLS 1.2. A DTLS
1.2 trace is UDP to port 4433, which tshark dissects as DTLS by its heuristic (no `-d`),
and decrypts with the same key log option (tls.keylog_file, the CLIENT_RANDOM line).

Run: python3 tests/trace/test_tshark.py path/to/closenotify
Exit 77 (skipped) when tshark is not installed; tools/install-deps.sh installs it.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile

SKIP = 77


def alerts(tshark, pcap, keylog, proto="tls"):
    """(level, description) of every TLS (or DTLS) alert tshark dissects, frame by frame."""
    args = [tshark, "-r", pcap, "-T", "fields", "-e", "frame.number", "-e", proto + ".alert_message.level",
            "-e", proto + ".alert_message.desc", "-Y", proto + ".alert_message.desc"]
    if keylog:
        args[3:3] = ["-o", "tls.keylog_file:" + keylog]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=120)
    if proc.returncode != 0:
        raise RuntimeError("tshark failed: " + proc.stderr)
    return [tuple(l.split("\t")[1:]) for l in proc.stdout.splitlines() if l.strip()]


def fields(tshark, pcap, keylog, names, display_filter=None):
    """The fields `names` of every frame (or those `display_filter` keeps), one list per frame."""
    args = [tshark, "-r", pcap, "-T", "fields"]
    if keylog:
        args += ["-o", "tls.keylog_file:" + keylog]
    for n in names:
        args += ["-e", n]
    if display_filter:
        args += ["-Y", display_filter]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=120)
    if proc.returncode != 0:
        raise RuntimeError("tshark failed: " + proc.stderr)
    return [l.split("\t") for l in proc.stdout.splitlines() if l.strip()]


def tshark_version(tshark):
    out = subprocess.run([tshark, "--version"], capture_output=True, text=True, timeout=60).stdout
    return out.splitlines()[0] if out else "tshark"


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

        # DTLS 1.2: UDP (the handshake datagram by datagram, then one datagram per record),
        # dissected as DTLS by tshark's heuristic.
        # Wireshark 4.0 builds DTLS's ChaCha20-Poly1305 nonce from the sequence number
        # without the epoch (RFC 7905 §2 and RFC 6347 §4.1.2.1 put the epoch in it; OpenSSL
        # does, as test_dtls_record's byte-for-byte reseal shows), so it cannot decrypt that
        # suite: the ChaCha20 case is checked for dissection, and for decryption only where
        # tshark manages it (docs/trace.md).
        dtls_cases = [("a-first-then-b", "ECDHE-ECDSA-AES128-GCM-SHA256", "client"),
                      ("a-first-then-b", "ECDHE-ECDSA-AES256-GCM-SHA384", "server"),
                      ("b-first-then-a", "ECDHE-ECDSA-AES128-GCM-SHA256", "server"),
                      ("b-first-then-a", "ECDHE-ECDSA-CHACHA20-POLY1305", "client")]
        for scenario, suite, role in dtls_cases:
            pcap = os.path.join(tmp, "u.pcap")
            keys = os.path.join(tmp, "u.keys")
            trace_json = os.path.join(tmp, "u.json")
            proc = subprocess.run([binary, "trace", scenario, "--suite", "dtls1.2:" + suite, "--role", role,
                                   "--pcap", pcap, "--keylog", keys, "--json", trace_json],
                                  capture_output=True, text=True, timeout=120)
            name = f"{scenario} dtls1.2:{suite} A={role}"
            if not check(f"{name}: trace ran", proc.returncode == 0, proc.stderr):
                continue
            with open(trace_json) as f:
                handshake_datagrams = len(json.load(f)["handshake"])
            frames = fields(tshark, pcap, keys, ["ip.proto", "udp.dstport", "dtls.record.content_type"])
            check(f"{name}: every frame is UDP carrying DTLS",
                  frames and all(f[0] == "17" and f[2] for f in frames), frames)
            # The handshake's datagrams as the peer wrote them (OpenSSL packs a flight's records
            # into one up to the MTU), then one datagram per record: the two close_notify alerts.
            check(f"{name}: {handshake_datagrams} handshake datagrams, then one per record",
                  len(frames) == handshake_datagrams + 2 and all("," not in f[2] for f in frames[-2:]),
                  (handshake_datagrams, frames))
            check(f"{name}: the server's port is 4433",
                  {f[1] for f in frames} - {"4433"} == {"40000"}, frames)
            got = alerts(tshark, pcap, keys, "dtls")
            print("     tshark:", got)
            records = fields(tshark, pcap, keys, ["dtls.record.epoch", "dtls.record.sequence_number"],
                             "dtls.record.content_type == 21")
            check(f"{name}: two alert records of epoch 1 dissected", [r[0] for r in records] == ["1", "1"], records)
            if "CHACHA20" in suite and not got:
                print(f"     note: {tshark_version(tshark)} does not decrypt DTLS ChaCha20-Poly1305 "
                      "(its nonce leaves out the epoch)")
                continue
            check(f"{name}: tshark decrypts 2 close_notify alerts (level 1, description 0)",
                  got == [("1", "0"), ("1", "0")], got)
            # After the ChangeCipherSpec every DTLS 1.2 record is encrypted: without the key
            # log tshark sees "Encrypted Alert" and no description.
            check(f"{name}: without the key log no alert is visible", alerts(tshark, pcap, None, "dtls") == [])
            hs = [f[0] for f in fields(tshark, pcap, keys, ["dtls.handshake.type"], "dtls.handshake")]
            hs = " ".join(hs).replace(",", " ").split()
            check(f"{name}: ClientHello, ServerHello and two decrypted Finished dissected",
                  hs.count("1") == 1 and hs.count("2") == 1 and hs.count("20") == 2, hs)

        # diff --scenario: every run one TCP connection, all decrypted with one key log.
        pcap = os.path.join(tmp, "d.pcap")
        keys = os.path.join(tmp, "d.keys")
        proc = subprocess.run([binary, "diff", "--scenario", "a-first-then-b", "--filter", "*/*/client/*",
                               "--protocol", "tls1.3,tls1.2", "--openssl", "3.0", "--quiet", "--jobs", "2",
                               "--pcap", pcap, "--keylog", keys],
                              capture_output=True, text=True, timeout=300)
        check("diff --scenario --pcap ran", proc.returncode == 0, proc.stdout[-2000:] + proc.stderr)
        got = alerts(tshark, pcap, keys)
        # 6 suites x 2 io modes x 2 runs, two close_notify alerts each.
        check("diff capture: 48 close_notify alerts decrypted", got.count(("1", "0")) == 48, len(got))
        streams = subprocess.run([tshark, "-r", pcap, "-T", "fields", "-e", "tcp.stream", "-Y", "tcp.flags.syn == 1 && tcp.flags.ack == 0"],
                                 capture_output=True, text=True, timeout=120).stdout.split()
        check("diff capture: 24 TCP connections", len(streams) == 24, streams)

        # diff --scenario over DTLS cells (the two AES-GCM suites, which tshark decrypts):
        # each run its own client port, one key log for all.
        pcap = os.path.join(tmp, "du.pcap")
        keys = os.path.join(tmp, "du.keys")
        proc = subprocess.run([binary, "diff", "--scenario", "a-first-then-b", "--filter",
                               "*/dtls1.2:ECDHE-ECDSA-AES*/client/blocking", "--protocol", "dtls1.2", "--openssl",
                               "3.0", "--quiet", "--pcap", pcap, "--keylog", keys],
                              capture_output=True, text=True, timeout=300)
        check("diff --protocol dtls1.2 --pcap ran", proc.returncode == 0, proc.stdout[-2000:] + proc.stderr)
        frames = fields(tshark, pcap, keys, ["ip.proto", "udp.srcport", "udp.dstport"])
        ports = {f[1] for f in frames} | {f[2] for f in frames}
        # 2 suites x 2 runs: client ports 40000..40003, the server's 4433.
        check("diff DTLS capture: 4 runs as UDP between ports 40000..40003 and 4433",
              frames and all(f[0] == "17" for f in frames) and ports == {str(p) for p in range(40000, 40004)} | {"4433"},
              sorted(ports))
        got = alerts(tshark, pcap, keys, "dtls")
        check("diff DTLS capture: 8 close_notify alerts decrypted", got.count(("1", "0")) == 8, got)

    print("PASS" if not failures else "FAILED: " + ", ".join(failures))
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())

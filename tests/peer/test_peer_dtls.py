"""test_peer_dtls.py — DTLS 1.2 between closenotify-peer processes over an AF_UNIX
SOCK_DGRAM socketpair (docs/peer-protocol.md, "DTLS 1.2"), for every peer given (the
system's OpenSSL 3.0 and each closenotify-peer-<series> built):

- `handshake ... version=dtls1.2` for the three DTLS suites, by the --fd and the --pool
  (attach) ways, and between releases;
- the hand-off fields of both sides against each other: epoch, A's wseq and B's rseq and
  rwindow (and the other way round), byte counts, the same randoms and master secret;
- the first record each side writes afterwards is numbered epoch/wseq, an application
  record and both close_notify alerts come through (`write 5`, `read`, `shutdown`);
- a datagram's worth of garbage (`raw`, one datagram) is silently discarded and costs
  the connection nothing, and a reader blocked on the socket reports rx = the other's tx;
- version and socket type must agree.

Run: python3 tests/peer/test_peer_dtls.py PEER [PEER...]   (`-`: a peer not built, skipped)
"""

import os
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_peer  # noqa: E402  (Peer / PooledPeer, line parsing)

SUITES = ["ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384",
          "ECDHE-ECDSA-CHACHA20-POLY1305"]
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


def dgram_pair():
    return socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)


def fd_peers(client_exe, server_exe):
    """Two --fd peers on a SOCK_DGRAM socketpair (the runner keeps no copy)."""
    a, b = dgram_pair()
    test_peer.PEER = client_exe
    client = test_peer.Peer(a, "client")
    test_peer.PEER = server_exe
    server = test_peer.Peer(b, "server")
    a.close()
    b.close()
    return client, server


def records(hexstr):
    """The DTLS records of a byte string (a datagram or several): (type, epoch, seq, len)."""
    data = bytes.fromhex(hexstr) if hexstr not in ("", "-") else b""
    out = []
    while len(data) >= 13:
        length = int.from_bytes(data[11:13], "big")
        out.append((data[0], int.from_bytes(data[3:5], "big"), int.from_bytes(data[5:11], "big"), length))
        data = data[13 + length:]
    return out


def handshake(client, server, suite):
    client.send(f"handshake role=client version=dtls1.2 suite={suite}")
    server.send(f"handshake role=server version=dtls1.2 suite={suite}")
    return client.answer(), server.answer()


def check_handoff_pair(t, c, s):
    """Each side's hand-off fields against the other's."""
    check(f"{t} both say version=dtls1.2 and the suite", c.get("version") == s.get("version") == "dtls1.2"
          and c.get("suite") == s.get("suite"), f"{c.get('version')} {s.get('version')}")
    check(f"{t} the same randoms and master secret (CLIENT_RANDOM), no TLS 1.3 secrets",
          c["client_random"] == s["client_random"] and c["server_random"] == s["server_random"]
          and c["master"] == s["master"] and len(c["master"]) == 96
          and c["client_secret"] == c["server_secret"] == "-")
    check(f"{t} epoch=1 on both sides after a full handshake", c.get("epoch") == s.get("epoch") == "1",
          f"{c.get('epoch')} / {s.get('epoch')}")
    for me, other, name in ((c, s, "client"), (s, c, "server")):
        wseq = int(other["wseq"])
        top, _, bitmap = me["rwindow"].partition(":")
        # What one side wrote in the epoch (0 .. wseq-1, nothing lost) is what the other read.
        check(f"{t} the {name}'s rwindow holds the other's records 0..wseq-1 ({me['rwindow']}, wseq={wseq})",
              len(bitmap) == 16 and int(top) == wseq - 1 and int(bitmap, 16) == (1 << wseq) - 1
              and int(me["rseq"]) == wseq, f"rwindow={me['rwindow']} rseq={me['rseq']} other wseq={wseq}")
    check(f"{t} byte counts match: every datagram written was read",
          c["rx"] == s["tx"] and c["tx"] == s["rx"], f"{c['rx']}/{c['tx']} vs {s['rx']}/{s['tx']}")
    # The handshake's own datagrams, concatenated: the last record of each side is its
    # Finished, the only one of epoch 1 (sequence number 0).
    for side, name in ((c, "client"), (s, "server")):
        segments = [seg.split(":", 1)[1] for seg in side["hs_wire"].split("/")]
        # One segment per datagram: each holds whole records (a record never spans datagrams).
        check(f"{t} the {name}'s hs_wire: each segment is whole records",
              all(sum(13 + r[3] for r in records(seg)) * 2 == len(seg) for seg in segments), side["hs_wire"][:200])
        recs = records("".join(segments))
        in_epoch = [r for r in recs if r[1] == 1]
        check(f"{t} the {name}'s handshake records: epoch 1 holds its Finished alone, at sequence 0",
              [(r[0], r[2]) for r in in_epoch] == [(22, 0)] and recs[-1][1] == 1, repr(recs))


def exchange(t, client, server, hs):
    """Records after the handshake: numbered by the hand-off, and they come through."""
    c, s = hs
    w, d = client.do("write 5")
    recs = records(d.get("wire", "-"))
    check(f"{t} client write 5: one record, epoch {c['epoch']}, sequence number wseq={c['wseq']}",
          w == "done" and d["ret"] == "5" and [(r[0], r[1], r[2]) for r in recs] == [(23, int(c["epoch"]), int(c["wseq"]))],
          client.raw)
    w, d = server.do("read 100")
    check(f"{t} server read: the 5 bytes", w == "done" and d["data"] == test_peer.pattern(5).hex(), server.raw)
    # The window moves on: the server's hand-off would now state the client's record too.
    w, d = server.do("write 3")
    recs = records(d.get("wire", "-"))
    check(f"{t} server write 3: epoch {s['epoch']}, sequence number wseq={s['wseq']}",
          [(r[1], r[2]) for r in recs] == [(int(s["epoch"]), int(s["wseq"]))], server.raw)
    w, d = client.do("read 100")
    check(f"{t} client read: the 3 bytes", d.get("data") == test_peer.pattern(3).hex(), client.raw)
    w, d = client.do("shutdown")
    recs = records(d.get("wire", "-"))
    check(f"{t} client shutdown: ret=0 flags=1, one alert record at wseq+1",
          (d.get("ret"), d.get("flags")) == ("0", "1") and [(r[0], r[2]) for r in recs] == [(21, int(c["wseq"]) + 1)],
          client.raw)
    w, d = server.do("read 100")
    check(f"{t} server read: ret=0 ZERO_RETURN recv=0100",
          (d.get("ret"), d.get("err"), d.get("recv")) == ("0", "ZERO_RETURN", "0100"), server.raw)
    w, d = server.do("shutdown")
    check(f"{t} server shutdown: ret=1 flags=3", (d.get("ret"), d.get("flags")) == ("1", "3"), server.raw)
    w, d = client.do("read 100")
    check(f"{t} client read: ret=0 ZERO_RETURN flags=3",
          (d.get("ret"), d.get("err"), d.get("flags")) == ("0", "ZERO_RETURN", "3"), client.raw)


def test_fd(client_exe, server_exe, suite):
    t = f"[--fd {name_of(client_exe)}/{name_of(server_exe)} {suite}]"
    client, server = fd_peers(client_exe, server_exe)
    (cw, c), (sw, s) = handshake(client, server, suite)
    if check(f"{t} handshake ok", cw == sw == "ok", f"{client.raw} / {server.raw}"):
        check_handoff_pair(t, c, s)
        exchange(t, client, server, (c, s))
    statuses = (client.finish(), server.finish())
    check(f"{t} both peers exit 0", statuses == (0, 0), repr(statuses))


def test_pool(exe):
    """Pooled peers: a DTLS connection after a TLS one and before another DTLS one."""
    t = f"[--pool {name_of(exe)}]"
    test_peer.PEER = exe
    client, server = test_peer.PooledPeer("client"), test_peer.PooledPeer("server")
    a, b = socket.socketpair()
    client.attach(a), server.attach(b)
    a.close(), b.close()
    (cw, _), (sw, _) = test_peer.handshake(client, server, "TLS_AES_128_GCM_SHA256")
    check(f"{t} a TLS 1.3 connection first", cw == sw == "ok", f"{client.raw} / {server.raw}")
    client.do("release"), server.do("release")
    for suite in SUITES:
        a, b = dgram_pair()
        ok = client.attach(a)[0] == "ok" and server.attach(b)[0] == "ok"
        a.close(), b.close()
        check(f"{t} attach takes a SOCK_DGRAM socket", ok, f"{client.raw} / {server.raw}")
        (cw, c), (sw, s) = handshake(client, server, suite)
        if check(f"{t} {suite} handshake ok", cw == sw == "ok", f"{client.raw} / {server.raw}"):
            check_handoff_pair(f"{t} {suite}", c, s)
            w, ho = client.do("handoff")
            check(f"{t} {suite} handoff states what the handshake stated",
                  w == "ok" and all(ho.get(k) == c.get(k) for k in
                                    ("version", "suite", "epoch", "wseq", "rseq", "rwindow", "rx", "tx", "master")),
                  client.raw)
            server.do("release")
        else:
            client.do("release"), server.do("release")
    check(f"{t} quit", client.do("quit")[0] == "ok" and client.finish() == 0 and server.finish() == 0)


def test_datagrams(exe):
    """A datagram of garbage, a blocked reader, nonblocking reads."""
    t = f"[datagrams {name_of(exe)}]"
    client, server = fd_peers(exe, exe)
    (cw, c), (sw, s) = handshake(client, server, SUITES[0])
    if not check(f"{t} handshake ok", cw == sw == "ok", f"{client.raw} / {server.raw}"):
        return
    # A reader with nothing to read says so, having read every byte the other side wrote.
    server.send("read 100")
    kind, blocked = test_peer.parse(server.line())
    check(f"{t} a blocked read reports rx = the other side's tx", kind == "blocked" and blocked.get("rx") == c["tx"],
          f"{kind} {blocked} client tx={c['tx']}")
    # A record of epoch 1 at a sequence number never used, 32 bytes of zeros (room for
    # GCM's explicit nonce and tag: a shorter body is not discarded alike by every release):
    # one datagram. RFC 6347 4.1.2.7: "invalid records SHOULD be silently discarded"; it
    # does not authenticate, OpenSSL drops it ("For DTLS we simply ignore bad packets.")
    # and reads the next datagram.
    garbage = "17fefd0001" + "0000000000ff" + "0020" + "00" * 32
    w, d = client.do("raw " + garbage)
    check(f"{t} raw sends the bytes as one datagram", w == "done" and d.get("wire") == garbage, client.raw)
    w, dw = client.do("write 4")
    w, d = server.answer()
    check(f"{t} the blocked read skips the garbage datagram and returns the next record's bytes",
          w == "done" and d.get("data") == test_peer.pattern(4).hex() and d.get("recv") == "-"
          and d.get("rx") == dw.get("tx"), f"{server.raw} / client tx={dw.get('tx')}")
    server.do("mode nonblocking")
    w, d = server.do("read 100")
    check(f"{t} nonblocking read with no datagram: WANT_READ", d.get("err") == "WANT_READ", server.raw)
    # An empty datagram is no end of file. The BIO returns 0 for it, as OpenSSL's dgram BIO
    # does, and BIO_eof stays 0. SSL_read fails with SYSCALL (ret 0 in 1.1.1 and 3.0, -1 in
    # 3.5), and the connection goes on: the next record is read.
    w, d = client.do("raw -")
    check(f"{t} raw - sends an empty datagram", w == "done" and d.get("ret") == "0" and d.get("wire") == "-",
          client.raw)
    w, d = server.do("read 100")
    check(f"{t} an empty datagram: SSL_read fails with SYSCALL, errno 0, nothing sent",
          d.get("err") == "SYSCALL" and d.get("ret") in ("0", "-1") and d.get("errno") == "0"
          and d.get("wire") == "-", server.raw)
    client.do("write 2")
    w, d = server.do("read 100")
    check(f"{t} after the empty datagram the next record is read", d.get("data") == test_peer.pattern(2).hex(),
          server.raw)
    client.finish(), server.finish()


def test_mismatch(exe):
    t = f"[mismatch {name_of(exe)}]"
    test_peer.PEER = exe
    a, b = socket.socketpair()
    stream = test_peer.Peer(a, "stream")
    w, _ = stream.do(f"handshake role=client version=dtls1.2 suite={SUITES[0]}")
    check(f"{t} version=dtls1.2 on a stream socket is refused",
          w == "error" and "needs a SOCK_DGRAM socket" in stream.raw, stream.raw)
    stream.finish()
    a.close(), b.close()
    a, b = dgram_pair()
    dgram = test_peer.Peer(a, "dgram")
    w, _ = dgram.do(f"handshake role=client version=tls1.2 suite={SUITES[0]}")
    check(f"{t} version=tls1.2 on a datagram socket is refused",
          w == "error" and "carries DTLS only" in dgram.raw, dgram.raw)
    w, _ = dgram.do("handshake role=client version=dtls1.2 suite=TLS_AES_128_GCM_SHA256")
    check(f"{t} a TLS 1.3 suite is no DTLS 1.2 suite", w == "error" and "unknown dtls1.2 suite" in dgram.raw,
          dgram.raw)
    dgram.finish()
    a.close(), b.close()


def name_of(exe):
    return os.path.basename(exe)


def main():
    peers = [p for p in sys.argv[1:] if p != "-"]
    for p in sys.argv[1:]:
        if p == "-":
            print("skip a peer that is not built (see tools/peer/meson.build)")
    if not peers:
        print("SKIP no peer given")
        return SKIP
    tests = []
    for exe in peers:
        tests += [(f"fd {name_of(exe)} {s}", lambda e=exe, s=s: test_fd(e, e, s)) for s in SUITES]
        tests += [(f"pool {name_of(exe)}", lambda e=exe: test_pool(e)),
                  (f"datagrams {name_of(exe)}", lambda e=exe: test_datagrams(e)),
                  (f"mismatch {name_of(exe)}", lambda e=exe: test_mismatch(e))]
    # Between releases: each peer as client against the next as server.
    for i, exe in enumerate(peers):
        other = peers[(i + 1) % len(peers)]
        if other != exe:
            tests.append((f"fd {name_of(exe)}/{name_of(other)}", lambda e=exe, o=other: test_fd(e, o, SUITES[2])))
    for name, test in tests:
        try:
            test()
        except Exception as e:  # a hang or a malformed answer fails this test, not the run
            check(f"[{name}] ran to the end", False, repr(e))
    for proc in test_peer.spawned:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

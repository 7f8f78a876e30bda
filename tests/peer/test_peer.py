"""test_peer.py — closenotify-peer, the live OpenSSL 3.0 endpoint, against itself: two
peers on a socketpair, driven through the line protocol of docs/peer-protocol.md, and
the outcomes OpenSSL 3.0 gives for the calls the runner will make.

Run: python3 tests/peer/test_peer.py path/to/closenotify-peer [path/to/closenotify]

With the optional second argument, the close_notify records the peer wrote are also
opened with the closenotify CLI under the hand-off secrets at the hand-off wseq, which
checks secrets and record counts against an independent implementation.
"""

import os
import select
import socket
import subprocess
import sys
import threading
import time

PEER = None  # argv[1]
CLI = None  # argv[2], optional
TIMEOUT = 20  # seconds for any single answer; a hang is a failure, not a stuck test

TLS13 = {"TLS_AES_128_GCM_SHA256": 32, "TLS_AES_256_GCM_SHA384": 48,
         "TLS_CHACHA20_POLY1305_SHA256": 32}
TLS12 = ["ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384",
         "ECDHE-ECDSA-CHACHA20-POLY1305"]

passed = 0
failed = 0
spawned = []  # every peer process, so that none outlives the test (see main)


def check(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print(f"ok   {name}")
    else:
        failed += 1
        print(f"FAIL {name}" + (f": {detail}" if detail else ""))
    return ok


def parse(line):
    """'done k=v ... reason=rest' -> ('done', {...}); 'ok handshake k=v' -> ('ok', {...})."""
    word, _, rest = line.partition(" ")
    fields = {}
    if "reason=" in rest:
        rest, _, reason = rest.partition("reason=")
        fields["reason"] = reason
    for token in rest.split():
        key, eq, value = token.partition("=")
        fields[key] = value if eq else True
    return word, fields


def pattern(n):
    return bytes(i % 251 for i in range(n))


class Peer:
    """One closenotify-peer process on one end of a socketpair."""

    def __init__(self, sock, name):
        self.name = name
        self.proc = subprocess.Popen([PEER, "--fd", str(sock.fileno())],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     pass_fds=[sock.fileno()])
        self.buf = b""
        self.raw = ""  # the last answer, as printed
        self.blocked = []  # `blocked` lines seen before the last answer
        spawned.append(self.proc)

    def send(self, command):
        self.proc.stdin.write(command.encode() + b"\n")
        self.proc.stdin.flush()

    def line(self, timeout=TIMEOUT):
        deadline = time.monotonic() + timeout
        fd = self.proc.stdout.fileno()
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise TimeoutError(f"{self.name}: no answer within {timeout}s")
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                raise EOFError(f"{self.name}: stdout closed")
            self.buf += chunk
        line, _, self.buf = self.buf.partition(b"\n")
        return line.decode()

    def answer(self):
        """The next non-`blocked` line, parsed; the `blocked` lines before it are kept."""
        self.blocked = []
        while True:
            line = self.line()
            if line.startswith("blocked "):
                self.blocked.append(parse(line))
                continue
            self.raw = line
            return parse(line)

    def do(self, command):
        self.send(command)
        return self.answer()

    def finish(self):
        """Close stdin (the peer exits 0 at EOF) and return the exit status."""
        try:
            self.proc.stdin.close()
        except BrokenPipeError:
            pass
        try:
            return self.proc.wait(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()


class PooledPeer(Peer):
    """One `closenotify-peer --pool N` process: sockets arrive on a channel at `attach`."""

    def __init__(self, name):
        self.channel, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.name = name
        self.proc = subprocess.Popen([PEER, "--pool", str(theirs.fileno())],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     pass_fds=[theirs.fileno()])
        theirs.close()
        self.buf = b""
        self.raw = ""
        self.blocked = []
        spawned.append(self.proc)

    def attach(self, sock):
        socket.send_fds(self.channel, [b"s"], [sock.fileno()])
        return self.do("attach")


def reattach(client, server):
    a, b = socket.socketpair()
    answers_ = client.attach(a), server.attach(b)
    a.close()
    b.close()
    return answers_


def pair():
    a, b = socket.socketpair()
    client, server = Peer(a, "client"), Peer(b, "server")
    a.close()
    b.close()
    return client, server


def version_of(suite):
    return "tls1.3" if suite in TLS13 else "tls1.2"


def handshake(client, server, suite, extra=""):
    """Both handshakes at once: send both commands, then read both answers."""
    v = version_of(suite)
    client.send(f"handshake role=client version={v} suite={suite}{extra}")
    server.send(f"handshake role=server version={v} suite={suite}{extra}")
    return client.answer(), server.answer()


def cli_opens_close_notify(suite, hs, role, seq, record_hex):
    """The closenotify CLI opens `record_hex` as close_notify under the hand-off keys."""
    if suite in TLS13:
        keys = ["--secret", hs[f"{role}_secret"]]
    else:
        keys = ["--master-secret", hs["master"], "--client-random", hs["client_random"],
                "--server-random", hs["server_random"], "--role", role]
    proc = subprocess.run([CLI, "open", "--suite", suite, *keys, "--seq", str(seq), record_hex],
                          capture_output=True, text=True, timeout=60)
    return proc.returncode == 0 and "close_notify" in proc.stdout, proc.stdout + proc.stderr


def test_clean_shutdown(suite):
    """The whole two-sided shutdown, and the hand-off fields, for one suite."""
    t = f"[{suite}]"
    client, server = pair()
    (cw, c), (sw, s) = handshake(client, server, suite)
    if not check(f"{t} handshake answered ok on both sides", cw == "ok" and sw == "ok"
                 and c.get("handshake") and s.get("handshake"), f"{client.raw} / {server.raw}"):
        client.finish(), server.finish()
        return
    v = version_of(suite)
    check(f"{t} version and suite", all(x["version"] == v and x["suite"] == suite for x in (c, s)))
    check(f"{t} both sides agree on randoms and secrets",
          all(c[k] == s[k] for k in ("client_random", "server_random", "client_secret",
                                     "server_secret", "master")))
    check(f"{t} randoms are 32 bytes", len(c["client_random"]) == 64 and len(c["server_random"]) == 64)
    if v == "tls1.3":
        n = TLS13[suite]
        check(f"{t} traffic secrets are {n} bytes, master is -",
              len(c["client_secret"]) == 2 * n and len(c["server_secret"]) == 2 * n
              and c["client_secret"] != c["server_secret"] and c["master"] == "-")
        # The client has not read the two NewSessionTickets yet; the server wrote them.
        check(f"{t} client rseq=0 wseq=0", (c["rseq"], c["wseq"]) == ("0", "0"), client.raw)
        check(f"{t} server rseq=0 wseq=2", (s["rseq"], s["wseq"]) == ("0", "2"), server.raw)
        check(f"{t} server read all the client wrote", s["rx"] == c["tx"])
    else:
        check(f"{t} master secret is 48 bytes, traffic secrets are -",
              len(c["master"]) == 96 and c["client_secret"] == "-" and c["server_secret"] == "-")
        check(f"{t} client rseq=1 wseq=1 (Finished)", (c["rseq"], c["wseq"]) == ("1", "1"), client.raw)
        check(f"{t} server rseq=1 wseq=1 (Finished)", (s["rseq"], s["wseq"]) == ("1", "1"), server.raw)
        check(f"{t} each side read all the other wrote", s["rx"] == c["tx"] and c["rx"] == s["tx"])

    # close_notify record sizes: TLS 1.3 5+2+1+16; TLS 1.2 GCM 5+8+2+16; ChaCha 5+2+16.
    header = {"tls1.3": "1703030013"}.get(v, "1503030012" if "CHACHA" in suite else "150303001a")
    w, d = client.do("shutdown")
    check(f"{t} client shutdown: ret=0 flags=1 close_notify on the wire",
          w == "done" and d["call"] == "shutdown" and d["ret"] == "0" and d["flags"] == "1"
          and d["wire"].startswith(header) and int(d["tx"]) == int(c["tx"]) + len(d["wire"]) // 2,
          client.raw)
    if CLI and d["wire"] != "-":
        ok, out = cli_opens_close_notify(suite, c, "client", int(c["wseq"]), d["wire"])
        check(f"{t} closenotify CLI opens the client's close_notify at seq wseq={c['wseq']}", ok, out)
    w, d = server.do("read 100")
    check(f"{t} server read: ret=0 ZERO_RETURN flags=2 recv=0100",
          d["ret"] == "0" and d["err"] == "ZERO_RETURN" and d["flags"] == "2"
          and d["recv"] == "0100" and d["data"] == "-", server.raw)
    w, d = server.do("shutdown")
    check(f"{t} server shutdown: ret=1 flags=3", d["ret"] == "1" and d["err"] == "NONE"
          and d["flags"] == "3" and d["wire"].startswith(header), server.raw)
    if CLI and d["wire"] != "-":
        ok, out = cli_opens_close_notify(suite, s, "server", int(s["wseq"]), d["wire"])
        check(f"{t} closenotify CLI opens the server's close_notify at seq wseq={s['wseq']}", ok, out)
    w, d = client.do("shutdown")
    check(f"{t} client second shutdown: ret=1 flags=3 recv=0100, nothing written",
          d["ret"] == "1" and d["flags"] == "3" and d["recv"] == "0100" and d["wire"] == "-",
          client.raw)
    check(f"{t} both peers exit 0 at EOF on stdin", client.finish() == 0 and server.finish() == 0)


def test_nonblocking_shutdown(suite):
    t = f"[nonblocking {suite}]"
    client, server = pair()
    handshake(client, server, suite)
    w, d = client.do("mode nonblocking")
    check(f"{t} mode answered ok", w == "ok", client.raw)
    w, d = client.do("shutdown")
    check(f"{t} first shutdown ret=0 flags=1", d["ret"] == "0" and d["flags"] == "1", client.raw)
    w, d = client.do("shutdown")
    check(f"{t} second shutdown before the peer's close_notify: ret=-1 WANT_READ, no blocked line",
          d["ret"] == "-1" and d["err"] == "WANT_READ" and d["flags"] == "1" and not client.blocked,
          client.raw)
    server.do("read 100")
    server.do("shutdown")
    w, d = client.do("shutdown")
    check(f"{t} third shutdown after it: ret=1 flags=3", d["ret"] == "1" and d["flags"] == "3", client.raw)
    client.finish(), server.finish()


def test_blocked_read():
    t = "[blocked read]"
    client, server = pair()
    (_, c), (_, s) = handshake(client, server, "TLS_AES_128_GCM_SHA256")
    # The client first consumes the server's two NewSessionTickets, then has to wait.
    client.send("read 100")
    kind, b = parse(client.line())
    check(f"{t} client announces the wait: blocked read rx == server's tx",
          kind == "blocked" and b.get("read") and b["rx"] == s["tx"] and b["tx"] == c["tx"],
          f"{kind} {b} server tx={s['tx']}")
    w, sw = server.do("write 5")
    check(f"{t} server write 5: ret=5", sw["ret"] == "5" and sw["err"] == "NONE", server.raw)
    w, cr = client.answer()
    check(f"{t} the blocked read completes with the pattern bytes",
          cr["ret"] == "5" and cr["data"] == "0001020304" and cr["rx"] == sw["tx"], client.raw)
    server.send("peek 10")
    kind, b = parse(server.line())
    check(f"{t} server peek with nothing to read: blocked read rx == client's tx",
          kind == "blocked" and b["rx"] == cr["tx"], f"{kind} {b}")
    client.do("write_hex 68656c6c6f")
    w, d = server.answer()
    check(f"{t} peek returns the bytes", d["call"] == "peek" and d["data"] == "68656c6c6f", server.raw)
    w, d = server.do("read 5")
    check(f"{t} and read returns them again", d["data"] == "68656c6c6f", server.raw)
    client.finish(), server.finish()


def test_close_gives_unexpected_eof(suite, ignore=False, unread=False):
    """`close` on one side: the other side's read meets EOF without close_notify. With
    `unread`, the closing side still had unread bytes (TLS 1.3: the NewSessionTickets) and
    the kernel turns the close into a reset for an AF_UNIX stream socket."""
    t = f"[close {suite}{' ignore_unexpected_eof' if ignore else ''}{' unread' if unread else ''}]"
    client, server = pair()
    handshake(client, server, suite)
    if suite in TLS13 and not unread:
        client.do("mode nonblocking")
        w, d = client.do("read 100")  # takes in the NewSessionTickets
        check(f"{t} client reads the tickets: WANT_READ", d["err"] == "WANT_READ", client.raw)
    if ignore:
        w, d = server.do("set ignore_unexpected_eof")
        check(f"{t} set answers done call=set ret=1 err=-", w == "done" and d["call"] == "set"
              and d["ret"] == "1" and d["err"] == "-", server.raw)
    w, d = client.do("close")
    check(f"{t} close: done ret=0 err=-", w == "done" and d["call"] == "close" and d["ret"] == "0"
          and d["err"] == "-", client.raw)
    for command in ("shutdown", "raw 00", "close", "read 1", "shutdown_write"):
        w, _ = client.do(command)
        check(f"{t} '{command}' after close: error fd closed", client.raw == "error fd closed", client.raw)
    w, d = client.do("set quiet_shutdown")
    check(f"{t} 'set' after close still runs (it touches no socket)", w == "done" and d["ret"] == "1",
          client.raw)
    w, d = client.do("mode nonblocking")
    check(f"{t} 'mode' after close: ok", client.raw == "ok mode nonblocking", client.raw)
    w, d = server.do("read 100")
    if unread:
        check(f"{t} read: ret=-1 err=SYSCALL errno=104 (ECONNRESET), empty reason",
              d["ret"] == "-1" and d["err"] == "SYSCALL" and d["errno"] == "104"
              and d["reason"] == "", server.raw)
    elif ignore:
        check(f"{t} read: ret=0 ZERO_RETURN flags=2 (EOF taken as close_notify)",
              d["ret"] == "0" and d["err"] == "ZERO_RETURN" and d["flags"] == "2"
              and d["reason"] == "", server.raw)
    else:
        check(f"{t} read: ret=0 err=SSL reason=unexpected eof while reading",
              d["ret"] == "0" and d["err"] == "SSL" and d["flags"] == "0"
              and d["reason"] == "unexpected eof while reading", server.raw)
        w, d = server.do("shutdown")
        check(f"{t} shutdown afterwards: ret=-1 err=SSL reason=shutdown while in init",
              d["ret"] == "-1" and d["err"] == "SSL" and d["reason"] == "shutdown while in init",
              server.raw)
    client.finish(), server.finish()


def test_handoff():
    """As the runner does it: it keeps its own copy of the peer's socket end, so after the
    hand-off the connection lives on, and whatever the peer left unread is still there."""
    t = "[handoff]"
    a, b = socket.socketpair()
    client, server = Peer(a, "client"), Peer(b, "server")
    b.close()  # `a` stays open here: the runner's copy of the client's end
    v, suite = "tls1.3", "TLS_AES_256_GCM_SHA384"
    client.send(f"handshake role=client version={v} suite={suite}")
    server.send(f"handshake role=server version={v} suite={suite}")
    _, c = client.answer()
    _, s = server.answer()
    w, d = client.do("write 7")
    w, h = client.do("handoff")
    check(f"{t} ok handoff with the hand-off fields",
          w == "ok" and h.get("handoff") and h["version"] == "tls1.3" and h["suite"] == suite
          and h["client_secret"] == c["client_secret"] and h["wseq"] == "1" and h["rseq"] == "0"
          and h["tx"] == d["tx"] and h["rx"] == c["rx"], client.raw)
    check(f"{t} the peer exits 0 right away", client.finish() == 0)
    a.setblocking(False)
    left = a.recv(1 << 16)
    check(f"{t} what the peer left unread (the tickets) is still in the socket",
          len(left) == int(s["tx"]) - int(h["rx"]) and left[:1] == b"\x17",
          f"{len(left)} bytes, server tx={s['tx']} handoff rx={h['rx']}")
    w, d = server.do("read 100")
    check(f"{t} the other side reads the 7 bytes", d["ret"] == "7" and d["data"] == pattern(7).hex(),
          server.raw)
    server.send("read 100")
    kind, b = parse(server.line())
    check(f"{t} then waits with rx == hand-off tx: not one byte more was written",
          kind == "blocked" and b["rx"] == h["tx"], f"{kind} {b} handoff tx={h['tx']}")
    a.close()
    w, d = server.answer()
    check(f"{t} closing the last copy: unexpected eof while reading",
          d["err"] == "SSL" and d["reason"] == "unexpected eof while reading", server.raw)
    server.finish()


def test_key_update():
    t = "[key_update]"
    client, server = pair()
    handshake(client, server, "TLS_CHACHA20_POLY1305_SHA256")
    w, d = client.do("key_update not_requested")
    check(f"{t} key_update: ret=1 NONE, nothing written yet", d["ret"] == "1" and d["err"] == "NONE"
          and d["wire"] == "-", client.raw)
    w, d = client.do("write 3")
    check(f"{t} the next write sends KeyUpdate and data: two records",
          d["ret"] == "3" and d["wire"].startswith("1703030016") and len(d["wire"]) == 2 * ((5 + 22) + (5 + 20)),
          client.raw)
    w, d = server.do("read 3")
    check(f"{t} server reads the data", d["data"] == "000102", server.raw)
    w, c = client.do("handoff")
    w, s = server.do("handoff")
    check(f"{t} client wseq=1 (restarted after KeyUpdate)", c["wseq"] == "1", client.raw)
    check(f"{t} server rseq=1 (restarted after KeyUpdate), wseq=2", s["rseq"] == "1" and s["wseq"] == "2",
          server.raw)
    check(f"{t} both exit 0", client.finish() == 0 and server.finish() == 0)


def test_renegotiate():
    t = "[renegotiate]"
    # Server-initiated: HelloRequest, then the client renegotiates inside its read.
    client, server = pair()
    handshake(client, server, "ECDHE-ECDSA-AES128-GCM-SHA256")
    w, d = server.do("renegotiate")
    check(f"{t} server renegotiate: ret=1, a HelloRequest record written",
          d["call"] == "renegotiate" and d["ret"] == "1" and d["wire"].startswith("16030300"), server.raw)
    client.do("mode nonblocking")
    w, d = client.do("read 100")  # reads HelloRequest, sends ClientHello, waits
    check(f"{t} client read starts the new handshake: WANT_READ", d["err"] == "WANT_READ"
          and d["wire"].startswith("160303"), client.raw)
    client.do("mode blocking")
    server.send("read 100")  # answers the ClientHello, finishes, then waits for data
    w, d = client.do("do_handshake")
    check(f"{t} client do_handshake completes it: ret=1", d["ret"] == "1", client.raw)
    w, d = client.do("write 2")
    w, r = server.answer()
    check(f"{t} server read after the renegotiation", r["ret"] == "2" and r["data"] == "0001", server.raw)
    w, c = client.do("handoff")
    w, s = server.do("handoff")
    check(f"{t} client rseq=1 wseq=2 (counts restarted at the second CCS)",
          (c["rseq"], c["wseq"]) == ("1", "2"), client.raw)
    check(f"{t} server rseq=2 wseq=1", (s["rseq"], s["wseq"]) == ("2", "1"), server.raw)
    client.finish(), server.finish()

    # Client-initiated: OpenSSL 3.0 servers refuse it unless SSL_OP_ALLOW_CLIENT_RENEGOTIATION.
    client, server = pair()
    handshake(client, server, "ECDHE-ECDSA-AES128-GCM-SHA256")
    client.send("renegotiate")
    server.send("read 100")
    w, d = client.answer()
    check(f"{t} client-initiated: refused with a no_renegotiation warning (recv=0164)",
          d["ret"] == "-1" and d["err"] == "SSL" and d["recv"] == "0164"
          and d["reason"] == "no renegotiation", client.raw)
    w, d = server.answer()
    check(f"{t} and the server's read gets the client's handshake_failure alert",
          d["ret"] == "0" and d["err"] == "SSL" and d["recv"] == "0228", server.raw)
    client.finish(), server.finish()

    client, server = pair()
    handshake(client, server, "TLS_AES_128_GCM_SHA256")
    w, d = client.do("renegotiate")
    check(f"{t} TLS 1.3: ret=0 err=SSL reason=wrong ssl version",
          d["ret"] == "0" and d["err"] == "SSL" and d["reason"] == "wrong ssl version", client.raw)
    client.finish(), server.finish()


def test_write_retry_same_buffer():
    t = "[write retry]"
    n = 1_000_000  # far more than the socket buffers hold
    client, server = pair()
    handshake(client, server, "TLS_AES_128_GCM_SHA256")
    client.do("mode nonblocking")
    w, d = client.do(f"write {n}")
    check(f"{t} nonblocking write of {n}: ret=-1 WANT_WRITE", d["ret"] == "-1" and d["err"] == "WANT_WRITE",
          client.raw)
    w, d = client.do(f"write {n}")
    check(f"{t} the retry is accepted (same buffer): WANT_WRITE, not bad write retry",
          d["err"] == "WANT_WRITE", client.raw)
    server.send(f"read_all {n}")
    for _ in range(20000):
        w, d = client.do(f"write {n}")
        if d["err"] != "WANT_WRITE":
            break
        time.sleep(0.002)
    check(f"{t} retries complete the write: ret={n}", d["ret"] == str(n) and d["err"] == "NONE", client.raw)
    w, d = server.answer()
    check(f"{t} read_all gets every pattern byte", d["ret"] == str(n) and d["data"] == pattern(n).hex(),
          server.raw[:200])
    client.finish(), server.finish()


def test_all_nonblocking():
    t = "[read_all/write_all nonblocking]"
    n = 600_000
    client, server = pair()
    handshake(client, server, "ECDHE-ECDSA-AES256-GCM-SHA384")
    client.do("mode nonblocking")
    server.do("mode nonblocking")
    client.send(f"write_all {n}")
    server.send(f"read_all {n}")
    w, c = client.answer()
    cblocked = client.blocked
    w, s = server.answer()
    check(f"{t} write_all: ret={n}", c["ret"] == str(n) and c["err"] == "NONE", client.raw)
    check(f"{t} read_all: ret={n}, the pattern", s["ret"] == str(n) and s["data"] == pattern(n).hex(),
          server.raw[:200])
    check(f"{t} waits were announced with blocked lines",
          all(b.get("write") for _, b in cblocked) and all(b.get("read") for _, b in server.blocked)
          and (cblocked or server.blocked))
    client.finish(), server.finish()


def answers(*peers):
    """The next answer of each peer, read concurrently: a `done` line can be megabytes
    (`wire`, `data`), and a peer blocked on a full stdout pipe stops serving its socket."""
    out = [None] * len(peers)

    def read(i):
        try:
            out[i] = peers[i].answer()
        except Exception as e:  # reported by the caller as a missing answer
            out[i] = ("missing", {"error": repr(e)})

    threads = [threading.Thread(target=read, args=(i,)) for i in range(len(peers))]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return out


def test_blocked_write():
    """A blocking write larger than the socket buffers announces its wait, and completes
    once the other side reads."""
    t = "[blocked write]"
    n = 1_000_000
    client, server = pair()
    (_, c), (_, s) = handshake(client, server, "TLS_AES_128_GCM_SHA256")
    client.send(f"write_all {n}")
    kind, b = parse(client.line())
    check(f"{t} blocked write rx= tx= with rx unchanged since the handshake",
          kind == "blocked" and b.get("write") and b["rx"] == c["rx"] and int(b["tx"]) > int(c["tx"]),
          f"{kind} {b}")
    server.send(f"read_all {n}")
    (_, cw), (_, sr) = answers(client, server)
    check(f"{t} write_all completes once the other side reads",
          cw.get("ret") == str(n) and cw.get("err") == "NONE", client.raw[:200])
    check(f"{t} read_all gets every byte, and wire is everything written",
          sr.get("ret") == str(n) and sr["data"] == pattern(n).hex()
          and len(cw["wire"]) // 2 == int(cw["tx"]) - int(c["tx"]) == int(sr["rx"]) - int(s["rx"]))
    client.finish(), server.finish()


def test_tickets():
    t = "[tickets]"
    for n in (0, 1, 5):
        client, server = pair()
        (_, c), (_, s) = handshake(client, server, "TLS_AES_128_GCM_SHA256", f" tickets={n}")
        check(f"{t} tickets={n}: server wseq={n}", s.get("wseq") == str(n), server.raw)
        client.do("mode nonblocking")
        w, d = client.do("read 10")
        check(f"{t} tickets={n}: the client reads them: WANT_READ, rx == server tx",
              d["err"] == "WANT_READ" and d["rx"] == s["tx"], client.raw)
        w, h = client.do("handoff")
        check(f"{t} tickets={n}: client rseq={n} at hand-off", h.get("rseq") == str(n), client.raw)
        client.finish(), server.finish()


def test_handshake_failure():
    t = "[handshake failure]"
    a, b = socket.socketpair()
    client, server = Peer(a, "client"), Peer(b, "server")
    a.close(), b.close()
    client.send("handshake role=client version=tls1.3 suite=TLS_AES_128_GCM_SHA256")
    server.send("handshake role=server version=tls1.2 suite=ECDHE-ECDSA-AES128-GCM-SHA256")
    (cw, _), (sw, _) = answers(client, server)
    check(f"{t} both answer error handshake failed: <reason>",
          client.raw.startswith("error handshake failed: ") and len(client.raw) > 24
          and server.raw.startswith("error handshake failed: ") and len(server.raw) > 24,
          f"{client.raw} / {server.raw}")
    print(f"     client: {client.raw}\n     server: {server.raw}")
    # A fatal alert OpenSSL has no name for (254): reason 1000 + 254, which has no string,
    # is spelt as OpenSSL's ERR_error_string_n prints it.
    mine, theirs = socket.socketpair()
    lone = Peer(theirs, "client")
    theirs.close()
    lone.send("handshake role=client version=tls1.3 suite=TLS_AES_128_GCM_SHA256")
    mine.settimeout(TIMEOUT)
    mine.recv(1 << 16)  # the ClientHello; the answer is the alert
    mine.sendall(bytes.fromhex("150303" "0002" "02fe"))
    w, d = lone.answer()
    check(f"{t} unnamed alert: error handshake failed: reason(1254)",
          lone.raw == "error handshake failed: reason(1254)", lone.raw)
    lone.finish()
    mine.close()
    w, d = client.do("shutdown")
    check(f"{t} steps afterwards: error no handshake", client.raw == "error no handshake", client.raw)
    w, d = client.do("handshake role=client version=tls1.3 suite=TLS_AES_128_GCM_SHA256")
    check(f"{t} no second handshake", client.raw == "error handshake already done", client.raw)
    client.finish(), server.finish()


def test_commands():
    t = "[commands]"
    mine, theirs = socket.socketpair()
    peer = Peer(theirs, "peer")
    theirs.close()
    w, d = peer.do("hello")
    check(f"{t} hello: ok peer openssl=OpenSSL_3...",
          peer.raw.startswith("ok peer openssl=OpenSSL_3.") and " " not in peer.raw[8:], peer.raw)
    bad = ["frobnicate", "", "read", "read abc", "read -1", "read 70000", "write_hex 0",
           "write_hex zz", "mode sideways", "set nothing", "key_update maybe", "hello there",
           "handshake role=bogus version=tls1.3 suite=TLS_AES_128_GCM_SHA256",
           "handshake role=client version=tls1.3",
           "handshake role=client version=tls1.3 suite=NO_SUCH_SUITE",
           "handshake role=client version=tls1.3 suite=ECDHE-ECDSA-AES128-GCM-SHA256",
           "handshake role=client version=tls1.2 suite=TLS_AES_128_GCM_SHA256",
           "shutdown", "read 10", "handoff", "renegotiate"]
    for command in bad:
        w, d = peer.do(command)
        check(f"{t} '{command}' answers one error line", w == "error" and len(peer.raw) > 6, peer.raw)
    w, d = peer.do("raw 00ff")
    check(f"{t} raw 00ff: done ret=0 err=- wire=00ff tx=2",
          w == "done" and d["call"] == "raw" and d["ret"] == "0" and d["err"] == "-"
          and d["wire"] == "00ff" and d["tx"] == "2", peer.raw)
    w, d = peer.do("raw 00")
    check(f"{t} raw 00: wire=00 tx=3", d["wire"] == "00" and d["tx"] == "3", peer.raw)
    mine.setblocking(False)
    check(f"{t} the socket got exactly those bytes", mine.recv(100) == b"\x00\xff\x00")
    mine.send(b"abc")
    w, d = peer.do("mode nonblocking")
    check(f"{t} mode nonblocking: ok", peer.raw == "ok mode nonblocking", peer.raw)
    w, d = peer.do("shutdown_write")
    check(f"{t} shutdown_write: done ret=0", w == "done" and d["call"] == "shutdown_write"
          and d["ret"] == "0", peer.raw)
    mine.setblocking(True)
    mine.settimeout(TIMEOUT)
    check(f"{t} our end sees EOF after shutdown_write", mine.recv(100) == b"")
    w, d = peer.do("quit")
    check(f"{t} quit: ok quit, exit 0", peer.raw == "ok quit" and peer.finish() == 0, peer.raw)
    mine.close()

    # EOF on stdin before anything: exit 0, and the socket stays untouched.
    mine, theirs = socket.socketpair()
    peer = Peer(theirs, "peer")
    theirs.close()
    check(f"{t} EOF on stdin: exit 0", peer.finish() == 0)
    mine.settimeout(TIMEOUT)
    check(f"{t} and nothing was written to the socket", mine.recv(100) == b"")
    mine.close()

    proc = subprocess.run([PEER], capture_output=True, text=True, timeout=TIMEOUT)
    check(f"{t} no --fd: usage on stderr, exit 2", proc.returncode == 2 and "usage" in proc.stderr)


def test_pooled():
    """`--pool N`: one process, case after case (docs/peer-protocol.md, "Pooled peers")."""
    t = "[pooled]"
    client, server = PooledPeer("pooled client"), PooledPeer("pooled server")
    w, h = client.do("hello")
    check(f"{t} hello needs no connection", w == "ok" and h.get("openssl", "").startswith("OpenSSL"), client.raw)
    w, _ = client.do("shutdown")
    check(f"{t} a step without a connection: error", w == "error" and "no connection attached" in client.raw,
          client.raw)
    w, _ = client.do("attach")
    check(f"{t} attach with no socket on the channel: error", w == "error" and client.raw.startswith("error attach"),
          client.raw)
    a, b = socket.socketpair()
    check(f"{t} attach takes the socket", client.attach(a)[0] == "ok" and server.attach(b)[0] == "ok",
          f"{client.raw} / {server.raw}")
    a.close()
    b.close()
    suite = "TLS_AES_128_GCM_SHA256"
    first = handshake(client, server, suite)
    check(f"{t} first connection: handshake ok", first[0][0] == "ok" and first[1][0] == "ok",
          f"{client.raw} / {server.raw}")
    # A read that can never complete: release stops it, the socket closed under it.
    client.send("read 100")
    kind, _ = parse(client.line())
    check(f"{t} the client blocks reading", kind == "blocked", kind)
    client.send("release")
    w, d = client.answer()
    check(f"{t} release during a wait: the call fails on the closed socket (EBADF), answered first",
          w == "done" and d.get("call") == "read" and d.get("ret") == "-1" and d.get("err") == "SYSCALL"
          and d.get("errno") == "9", client.raw)
    w, _ = client.answer()
    check(f"{t} then ok release", w == "ok" and client.raw == "ok release", client.raw)
    # The server's peer of that connection sees EOF: nobody else held the client's end.
    server.send("read 10")
    w, d = server.answer()
    check(f"{t} the other side meets EOF: the released socket is closed, not a byte sent",
          w == "done" and d.get("err") == "SSL" and d.get("rx") == first[1][1].get("rx"), server.raw)
    w, _ = server.do("release")
    check(f"{t} release after an answered step", w == "ok", server.raw)
    # The next connection starts from nothing: fresh counters, its own handshake.
    reattach(client, server)
    second = handshake(client, server, "ECDHE-ECDSA-AES128-GCM-SHA256")
    check(f"{t} second connection: a TLS 1.2 handshake in the same processes",
          second[0][0] == "ok" and second[0][1].get("version") == "tls1.2" and second[1][0] == "ok",
          f"{client.raw} / {server.raw}")
    check(f"{t} second connection: byte counts start again at the handshake's",
          second[0][1].get("rx") == second[1][1].get("tx") and second[0][1].get("tx") == second[1][1].get("rx"),
          f"{second[0][1]} / {second[1][1]}")
    w, ho = client.do("handoff")
    check(f"{t} handoff answers the hand-off fields and keeps the process", w == "ok" and ho.get("handoff")
          and client.proc.poll() is None, client.raw)
    w, _ = client.do("shutdown")
    check(f"{t} after handoff the connection is gone", w == "error" and "no connection attached" in client.raw,
          client.raw)
    server.send("read 10")
    w, d = server.answer()
    check(f"{t} after handoff the other side meets EOF, not a close_notify", w == "done" and d.get("recv") == "-",
          server.raw)
    check(f"{t} quit and EOF end the processes with 0", client.do("quit")[0] == "ok" and client.finish() == 0
          and server.finish() == 0)


def main():
    global PEER, CLI
    PEER = sys.argv[1]
    CLI = sys.argv[2] if len(sys.argv) > 2 else None
    tests = [("commands", test_commands), ("handshake failure", test_handshake_failure),
             ("tickets", test_tickets)]
    tests += [(f"clean shutdown {s}", lambda s=s: test_clean_shutdown(s)) for s in list(TLS13) + TLS12]
    tests += [
        ("nonblocking TLS 1.3", lambda: test_nonblocking_shutdown("TLS_AES_128_GCM_SHA256")),
        ("nonblocking TLS 1.2", lambda: test_nonblocking_shutdown("ECDHE-ECDSA-CHACHA20-POLY1305")),
        ("blocked read", test_blocked_read),
        ("close TLS 1.3", lambda: test_close_gives_unexpected_eof("TLS_AES_128_GCM_SHA256")),
        ("close TLS 1.2", lambda: test_close_gives_unexpected_eof("ECDHE-ECDSA-AES128-GCM-SHA256")),
        ("close ignore_unexpected_eof",
         lambda: test_close_gives_unexpected_eof("TLS_AES_128_GCM_SHA256", ignore=True)),
        ("close unread", lambda: test_close_gives_unexpected_eof("TLS_AES_128_GCM_SHA256", unread=True)),
        ("handoff", test_handoff), ("key_update", test_key_update), ("renegotiate", test_renegotiate),
        ("write retry", test_write_retry_same_buffer), ("read_all/write_all", test_all_nonblocking),
        ("blocked write", test_blocked_write), ("pooled", test_pooled),
    ]
    for name, test in tests:
        try:
            test()
        except Exception as e:  # a hang or a malformed answer fails this test, not the run
            check(f"[{name}] ran to the end", False, repr(e))
    # A peer left blocked on its socket by a failed test would wait forever.
    for proc in spawned:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

"""test_serve.py — `closenotify serve` and `connect` as a careful server and client must be
(issue 17): the last alert reaches the client, no Nagle delay, who closed first is what the
wire says, session tickets resume, a bad set-up stops the program at once, and signals end
it cleanly without leaving a peer process behind.

Run: python3 tests/interop/test_serve.py path/to/closenotify [ITEM...]
     items: alert nodelay first-close resumption setup signals (default: all)
Exit 77 (skipped) when openssl is missing (the only outside program used here).
"""

import json
import os
import re
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rawtls  # noqa: E402
from test_interop import Proc, check, conn_lines, failures, start_serve, summary, SKIP  # noqa: E402

VERSIONS = ["tls1.3", "tls1.2"]
REQUEST = b"GET / HTTP/1.0\r\n\r\n"
BODY = b"hello from closenotify\n"


def json_conns(lines):
    out = []
    for l in lines:
        if l.startswith("{") and '"conn"' in l:
            out.append(json.loads(l))
    return out


def wait_conns(proc, n, timeout=10.0, parse=conn_lines):
    end = time.time() + timeout
    while time.time() < end:
        got = parse(proc.output())
        if len(got) >= n:
            return got
        time.sleep(0.02)
    return parse(proc.output())


# ---- 1. the last alert reaches the client ------------------------------------------------

def item_alert(binary, tmp):
    """A record header longer than any record may be (2^14 + 2048 is TLS 1.2's ciphertext
    limit, RFC 5246 6.2.3; TLS 1.3's is 2^14 + 256, RFC 8446 5.2), right after the
    handshake and followed at once by 30 000 more bytes: closenotify answers with a fatal
    record_overflow and closes while those bytes sit unread in its socket. A plain
    close(2) then sends a RST that can destroy the alert on its way; the client must read
    the alert every time."""
    tries = int(os.environ.get("CLOSENOTIFY_ALERT_TRIES", "200"))
    serve, port = start_serve(binary)
    got = {}
    try:
        for i in range(tries):
            version = VERSIONS[i % 2]
            c = rawtls.Client(port, version, timeout=5)
            try:
                c.handshake()
                c.raw(bytes([0x17, 0x03, 0x03, 0x48, 0x01]) + b"\0" * 30000)
                kind, what = c.read()
            finally:
                c.close()
            ok = kind == "alert" and "RECORD_OVERFLOW" in what
            key = "%s %s" % (version, "alert record_overflow" if ok else "%s %s" % (kind, what))
            got[key] = got.get(key, 0) + 1
        lines = wait_conns(serve, tries)
    finally:
        serve.stop()
    delivered = sum(n for k, n in got.items() if k.endswith("alert record_overflow"))
    print("alert: %d of %d clients read the fatal record_overflow: %s" % (delivered, tries, got))
    check("alert: %d of %d clients read the fatal record_overflow" % (delivered, tries), delivered == tries, got)
    # Who closed first: our FIN after the alert, or the client's FIN when it read the
    # alert and left before our close (the alert itself is no close: docs/interop.md).
    firsts = ("we closed first (FIN, after fatal record_overflow sent)", "peer closed first (FIN)")
    odd = [l for l in lines if "alerts sent: fatal record_overflow," not in l or not any(f in l for f in firsts)]
    check("alert: serve logged each with the alert sent and the first FIN", len(lines) == tries and not odd, odd[:3])


# ---- 2. no Nagle delay -------------------------------------------------------------------

def item_nodelay(binary, tmp):
    """Time from the request, written right after the handshake, to the first byte of the
    response. On loopback that is well under a millisecond of work; Nagle's algorithm
    holding the response behind the NewSessionTickets until the client's delayed ACK made
    it about 40 ms in TLS 1.3. A bound, not a benchmark: the median of 5 under 20 ms."""
    serve, port = start_serve(binary)
    try:
        for version in VERSIONS:
            rawtls.time_to_first_byte(port, version)  # a warm pooled peer for the timed ones
            times = [rawtls.time_to_first_byte(port, version) * 1000 for _ in range(5)]
            median = statistics.median(times)
            print("nodelay: %s time to first byte %s ms, median %.1f ms" %
                  (version, ", ".join("%.1f" % t for t in times), median))
            check("nodelay: %s median time to first byte under 20 ms" % version, median < 20, times)
    finally:
        serve.stop()


# ---- 3. who closed first -----------------------------------------------------------------

def item_first_close(binary, tmp):
    """first_close is the first close_notify, FIN or RST on the wire, and whose
    (docs/interop.md)."""
    cases = [
        # (name, serve's --shutdown, what the client does after the response, expected)
        ("client FIN without close_notify", "wait-peer", "fin", ("peer", "FIN")),
        ("client close_notify first", "wait-peer", "close_notify", ("peer", "close_notify")),
        ("serve's close_notify first", "bidirectional", "wait", ("we", "close_notify")),
        ("serve's FIN first (--shutdown none)", "none", "wait", ("we", "FIN")),
    ]
    for version in VERSIONS:
        for name, policy, client_does, (who, how) in cases:
            serve, port = start_serve_session(binary, "--json", "--shutdown", policy, "--" + version,
                                              new_session=False)
            try:
                c = rawtls.Client(port, version, timeout=5)
                try:
                    c.handshake()
                    c.send(REQUEST)
                    data = b""
                    while not data.endswith(BODY):
                        kind, chunk = c.read()
                        if kind != "data":
                            break
                        data += chunk
                    if client_does == "fin":
                        c.sock.shutdown(socket.SHUT_WR)
                    elif client_does == "close_notify":
                        c.close_notify()
                    # Then read to the end: serve's close_notify, FIN or timeout.
                    end = c.read()
                    if client_does == "wait" and end[0] == "close_notify":
                        c.close_notify()  # answer, as a polite client does
                        c.read()
                finally:
                    c.close()
                conns = wait_conns(serve, 1, parse=json_conns)
            finally:
                serve.stop()
            got = (conns[0]["first_close"], conns[0]["first_close_how"]) if conns else None
            check("first-close: %s %s: body, then serve logged first_close %s %s" % (version, name, who, how),
                  data.endswith(BODY) and got == (who, how), (data, got, conns))


# ---- 4. resumption -----------------------------------------------------------------------

def s_client(port, version, *args):
    p = subprocess.run(["openssl", "s_client", "-connect", "127.0.0.1:%d" % port,
                        "-tls1_3" if version == "tls1.3" else "-tls1_2", "-ign_eof", *args],
                       input=REQUEST.decode(), capture_output=True, text=True, timeout=20)
    return p.returncode, p.stdout + p.stderr


def item_resumption(binary, tmp):
    """A ticket from one connection resumes the next, even on another pooled peer process:
    the second connection is made while an idle client holds the first one's peer."""
    serve, port = start_serve_session(binary, "--trace", "--json", new_session=False)
    try:
        for version in VERSIONS:
            sess = os.path.join(tmp, "sess-" + version)
            rc1, out1 = s_client(port, version, "-sess_out", sess)
            holder = socket.create_connection(("127.0.0.1", port), 5)  # keeps a peer busy
            try:
                time.sleep(0.2)
                rc2, out2 = s_client(port, version, "-sess_in", sess)
            finally:
                holder.close()
            check("resumption: %s first connection is new, with the body" % version,
                  rc1 == 0 and "\nNew, " in out1 and BODY.decode() in out1, out1)
            check("resumption: %s second connection, on another peer process, says Reused" % version,
                  rc2 == 0 and "\nReused, " in out2 and BODY.decode() in out2, out2)
    finally:
        serve.stop()
    text = "\n".join(serve.output())
    # The keys are 80 bytes: 160 hex digits. No run of 64 or more hex digits may appear
    # anywhere in serve's output (the longest legitimate hex in a trace is far shorter).
    long_hex = re.findall(r"[0-9a-fA-F]{64,}", text)
    check("resumption: serve's --trace --json output carries no key material", not long_hex, long_hex[:2])


# ---- 5. a bad set-up stops at start ------------------------------------------------------

def run_quick(cmd, timeout=20):
    """(exit status, stdout, stderr, seconds); a command still running after `timeout`
    is killed and reported with status None (a hang is a failure, not a crash of the test)."""
    started = time.time()
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
        err = e.stderr.decode(errors="replace") if isinstance(e.stderr, bytes) else (e.stderr or "")
        return None, out, err, time.time() - started
    return p.returncode, p.stdout, p.stderr, time.time() - started


def item_setup(binary, tmp):
    def cert(name, kind="ec"):
        c, k = os.path.join(tmp, name + ".pem"), os.path.join(tmp, name + ".key")
        newkey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"] if kind == "ec" else ["-newkey", "rsa:2048"]
        subprocess.run(["openssl", "req", "-x509", *newkey, "-nodes", "-subj", "/CN=" + name,
                        "-keyout", k, "-out", c, "-days", "2"], capture_output=True, check=True)
        return c, k
    a_cert, a_key = cert("a")
    b_cert, b_key = cert("b")
    garbage = os.path.join(tmp, "garbage.pem")
    with open(garbage, "w") as f:
        f.write("not a certificate\n")
    # A peer that answers attach, hello and release as a peer does and refuses everything
    # else: it passes the version probe at start and can do no handshake.
    fake = os.path.join(tmp, "fake-peer")
    with open(fake, "w") as f:
        f.write("#!/bin/sh\nwhile read line; do case \"$line\" in\n"
                "  hello) echo 'ok peer openssl=OpenSSL_3.0.19_27_Jan_2026' ;;\n"
                "  attach|release) echo \"ok $line\" ;;\n"
                "  *) echo 'error unknown command' ;;\nesac; done\n")
    os.chmod(fake, 0o755)
    cases = [
        ("serve: a certificate that is a directory", ["serve", "--cert", tmp, "--key", a_key]),
        ("serve: a certificate file that is not PEM", ["serve", "--cert", garbage, "--key", a_key]),
        ("serve: a key that does not match the certificate", ["serve", "--cert", a_cert, "--key", b_key]),
        ("serve: a missing certificate", ["serve", "--cert", os.path.join(tmp, "none.pem"), "--key", a_key]),
        ("serve: only RSA suites for an ECDSA certificate",
         ["serve", "--cert", a_cert, "--key", a_key, "--tls1.2", "--suites", "ECDHE-RSA-AES128-GCM-SHA256"]),
        ("serve: a --peer that is no working peer", ["serve", "--peer", fake]),
        ("connect: a --peer that is no working peer", ["connect", "127.0.0.1:9", "--peer", fake]),
    ]
    for name, args in cases:
        if args[0] == "serve":
            args = args + ["--listen", "127.0.0.1:0"]
        rc, out, err, took = run_quick([binary, *args], timeout=15)
        lines = [l for l in err.splitlines() if l.strip()]
        check("setup: %s: exit 2, one line on stderr, nothing listening (%.1f s)" % (name, took),
              rc == 2 and len(lines) == 1 and "listening" not in out and took < 15, (rc, out, err))
        print("setup: %s -> %s" % (name, lines[0] if lines else "(nothing)"))
    # And a good set-up still serves (the test handshake leaves its peers to the pool).
    serve, port = start_serve(binary, "--cert", a_cert, "--key", a_key)
    try:
        c = rawtls.Client(port, "tls1.3", timeout=5)
        c.handshake()
        c.send(REQUEST)
        kind, data = c.read()
        c.close()
    finally:
        serve.stop()
    check("setup: a matching certificate and key serve", kind == "data" and b"200 OK" in data, (kind, data))


# ---- 6. signals and the handshake timeout ------------------------------------------------

def children(pid):
    """pid's child processes (each thread's, as Linux lists them); a thread that ends
    while they are read is skipped."""
    out = set()
    try:
        tasks = os.listdir("/proc/%d/task" % pid)
    except OSError:
        return out
    for t in tasks:
        try:
            with open("/proc/%d/task/%s/children" % (pid, t)) as f:
                out |= {int(c) for c in f.read().split()}
        except OSError:
            pass
    return out


def alive(pid):
    """A process that exists and is not a zombie."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def start_serve_session(binary, *args, new_session=True):
    """serve as a terminal would run it: leader of its own process group, so that
    killpg(its pid) is what Ctrl-C does. Its port from the first line, text or JSON."""
    proc = Proc([binary, "serve", "--listen", "127.0.0.1:0", "--timeout", "2", *args], new_session=new_session)
    line = proc.wait_for("listening", 15)
    if line is None:
        proc.kill()
        raise RuntimeError("serve did not start: %r" % proc.output())
    return proc, int(re.search(r"127\.0\.0\.1:(\d+)", line).group(1))


def item_signals(binary, tmp):
    # Ctrl-C: SIGINT to serve's whole process group while a client is inside its
    # handshake. The peer doing that handshake must not die of it; serve stops accepting,
    # finishes the connection and exits 0 with its summary, leaving no peer behind.
    serve, port = start_serve_session(binary)
    try:
        c = rawtls.Client(port, "tls1.3", timeout=5)
        time.sleep(0.3)  # the peer is attached and waiting for the ClientHello
        peers = children(serve.p.pid)
        os.killpg(serve.p.pid, signal.SIGINT)
        time.sleep(0.3)
        data = b""
        try:
            c.handshake()
            c.send(REQUEST)
            while not data.endswith(BODY):
                kind, chunk = c.read()
                if kind != "data":
                    break
                data += chunk
        except (ssl.SSLError, OSError) as e:  # the peer died under the client's handshake
            data = repr(e).encode()
        c.close()
        rc = serve.finish(15)
    finally:
        serve.kill()
    lines = conn_lines(serve.output())
    check("signals: Ctrl-C (SIGINT to the process group) mid-handshake: the client still gets its answer",
          data.endswith(BODY), (data, serve.output()))
    check("signals: Ctrl-C: serve logged the connection served, exited 0 with its summary",
          rc == 0 and len(lines) == 1 and "handshake-failed" not in lines[0] and summary(serve.output()),
          (rc, serve.output()))
    time.sleep(0.5)
    left = [p for p in peers if alive(p)]
    check("signals: Ctrl-C: no peer process left (%d were running)" % len(peers), peers and not left, (peers, left))

    # SIGKILL: serve cannot clean up; its peers (one idle in the pool, one inside a
    # handshake with a silent client) must end by themselves, within two seconds.
    serve, port = start_serve_session(binary)
    try:
        rawtls.time_to_first_byte(port, "tls1.3")  # leaves an idle pooled peer
        silent = socket.create_connection(("127.0.0.1", port), 5)
        time.sleep(0.3)
        rawtls.time_to_first_byte(port, "tls1.3")  # another peer, while the first is busy
        peers = children(serve.p.pid)
        os.kill(serve.p.pid, signal.SIGKILL)
        serve.finish(5)
        deadline = time.time() + 2
        while time.time() < deadline and any(alive(p) for p in peers):
            time.sleep(0.05)
        left = [p for p in peers if alive(p)]
        silent.close()
    finally:
        serve.kill()
    check("signals: SIGKILL: no peer process left within 2 s (%d were running)" % len(peers),
          len(peers) >= 2 and not left, (peers, left))

    # --handshake-timeout: an idle client is cut after it, not after the default 10 s.
    serve, port = start_serve(binary, "--handshake-timeout", "1")
    try:
        idle = socket.create_connection(("127.0.0.1", port), 5)
        idle.settimeout(8)
        started = time.time()
        try:
            got = idle.recv(100)
        except OSError as e:
            got = e
        took = time.time() - started
        idle.close()
        lines = wait_conns(serve, 1)
    finally:
        serve.stop()
    check("signals: --handshake-timeout 1 cuts an idle client within 1-3 s (%.1f s)" % took,
          0.8 <= took < 3 and got == b"" and lines and "handshake timed out after 1 s" in lines[0], (took, got, lines))
    for bad in ["0", "-1", "abc", "3601", "nan", "inf", "1e400", ""]:
        rc, out, err, _ = run_quick([binary, "serve", "--listen", "127.0.0.1:0", "--handshake-timeout", bad])
        check("signals: --handshake-timeout %r refused: exit 2, one line" % bad,
              rc == 2 and len(err.strip().splitlines()) == 1 and "listening" not in out, (rc, out, err))
    rc, out, _, _ = run_quick([binary, "serve", "--help"])
    check("signals: serve --help says what a slot costs", "slot costs" in out and "--handshake-timeout" in out, out)


ITEMS = {"alert": item_alert, "nodelay": item_nodelay, "first-close": item_first_close,
         "resumption": item_resumption, "setup": item_setup, "signals": item_signals}


def main():
    binary = sys.argv[1]
    wanted = sys.argv[2:] or list(ITEMS)
    if not any(os.access(os.path.join(d, "openssl"), os.X_OK) for d in os.environ.get("PATH", "/usr/bin").split(":")):
        print("SKIP: openssl not installed (Debian package openssl; tools/install-deps.sh installs it)")
        return SKIP
    started = time.time()
    with tempfile.TemporaryDirectory(prefix="closenotify-serve-") as tmp:
        for name in wanted:
            t = time.time()
            ITEMS[name](binary, tmp)
            print("%s: %.1f s" % (name, time.time() - t))
    print("%.1f s" % (time.time() - started))
    print("PASS" if not failures else "FAILED (%d): %s" % (len(failures), ", ".join(failures[:20])))
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())

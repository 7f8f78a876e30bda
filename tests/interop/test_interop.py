"""test_interop.py — closenotify against real TLS implementations, on loopback only.

  interop: curl, `openssl s_client` and `gnutls-cli` against `closenotify serve`, and
           `closenotify connect` against `openssl s_server` and `gnutls-serv`, for TLS 1.3
           and TLS 1.2 and every --shutdown policy; each case asserts what the other side
           observed (its exit status and its own words about the alert or the EOF) and
           what closenotify logged. Plus: an RSA certificate from files, and a client that
           sends garbage instead of a ClientHello.
  soak:    a few hundred concurrent short connections against one `closenotify serve`:
           well-behaved clients, clients that vanish mid-record, send garbage, stay silent,
           and `closenotify connect` clients with every policy. No crash, every connection
           logged, no descriptor leaked.

Every process is started here, by PID, and killed in `finally`. Ports are free ports
picked by binding port 0 (`serve --listen 127.0.0.1:0` says which it got).

Run: python3 tests/interop/test_interop.py path/to/closenotify interop|soak [--matrix]
Exit 77 (skipped) when curl, openssl, gnutls-cli or gnutls-serv is missing;
tools/install-deps.sh installs them (Debian packages curl, openssl, gnutls-bin).
"""

import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

SKIP = 77
VERSIONS = ["tls1.3", "tls1.2"]
POLICIES = ["bidirectional", "fast", "quiet", "wait-peer", "none"]
BODY = "hello from closenotify\n"
TIMEOUT = "2"  # serve/connect --timeout: every wait for the other side after the handshake

failures = []
matrix = []  # (direction, peer, version, policy, what the peer saw, what closenotify logged)


def check(what, ok, detail=""):
    print(("ok   " if ok else "FAIL ") + what + ("" if ok else ": " + str(detail)[-1500:]))
    if not ok:
        failures.append(what)
    return ok


class Proc:
    """A child process with its output collected by a thread, stopped by PID."""

    def __init__(self, cmd, stdin=subprocess.DEVNULL, new_session=False):
        self.cmd = cmd
        # new_session: leader of its own process group, as a shell's foreground job is.
        self.p = subprocess.Popen(cmd, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  text=True, errors="replace", start_new_session=new_session)
        self.lines = []
        self.lock = threading.Lock()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.p.stdout:
            with self.lock:
                self.lines.append(line.rstrip("\n"))

    def output(self, start=0):
        with self.lock:
            return list(self.lines[start:])

    def wait_for(self, pattern, timeout=10.0, start=0):
        """The first line (from `start`) containing `pattern`, or None."""
        end = time.time() + timeout
        while time.time() < end:
            for line in self.output(start):
                if pattern in line:
                    return line
            if self.p.poll() is not None:
                self.reader.join(1)
                return next((l for l in self.output(start) if pattern in l), None)
            time.sleep(0.02)
        return None

    def finish(self, timeout=10.0):
        """Wait for a normal exit; kill (by PID) if it does not come."""
        try:
            self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait(5)
        self.reader.join(5)
        return self.p.returncode

    def stop(self, sig=signal.SIGTERM, timeout=15.0):
        if self.p.poll() is None:
            self.p.send_signal(sig)
        return self.finish(timeout)

    def kill(self):
        if self.p.poll() is None:
            self.p.kill()
            self.p.wait(5)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def start_serve(binary, *args):
    proc = Proc([binary, "serve", "--listen", "127.0.0.1:0", "--timeout", TIMEOUT, *args])
    line = proc.wait_for("listening on", 10)
    if line is None:
        proc.kill()
        raise RuntimeError("serve did not start: %r" % proc.output())
    return proc, int(re.search(r":(\d+) \(", line).group(1))


def conn_lines(lines):
    return [l for l in lines if l.startswith("conn ")]


def summary(lines):
    return next((l for l in lines if l.startswith("closenotify serve: ") and "connections in" in l), None)


# ---- clients against closenotify serve --------------------------------------------------

def curl(port, version):
    flags = ["--tlsv1.3"] if version == "tls1.3" else ["--tlsv1.2", "--tls-max", "1.2"]
    p = subprocess.run(["curl", "-sk", "-v", "--max-time", "10", *flags, "https://127.0.0.1:%d/" % port],
                       capture_output=True, text=True, timeout=20)
    saw = "(IN), TLS alert, close notify" in p.stderr
    return p.returncode, p.stdout, saw, p.stderr


def s_client(port, version):
    # -ign_eof: keep reading after stdin's EOF until the server closes; -msg: every
    # alert sent (>>>) and received (<<<).
    p = subprocess.run(["openssl", "s_client", "-connect", "127.0.0.1:%d" % port,
                        "-tls1_3" if version == "tls1.3" else "-tls1_2", "-ign_eof", "-msg"],
                       input="GET / HTTP/1.0\r\n\r\n", capture_output=True, text=True, timeout=20)
    return p.returncode, p.stdout + p.stderr


def gnutls_cli(port, version, close_stdin_after_body):
    """gnutls-cli with its stdin held open (at stdin's EOF it sends its own close_notify and
    leaves): the request, then whatever the server does decides how it ends. With
    close_stdin_after_body, stdin is closed once the body is in (wait-peer's case)."""
    prio = "NORMAL:-VERS-ALL:+VERS-TLS1.3" if version == "tls1.3" else "NORMAL:-VERS-ALL:+VERS-TLS1.2"
    proc = Proc(["gnutls-cli", "--insecure", "--priority", prio, "--port", str(port), "127.0.0.1"],
                stdin=subprocess.PIPE)
    try:
        if proc.wait_for("- Simple Client Mode", 10) is None:
            return None, "\n".join(proc.output())
        proc.p.stdin.write("GET / HTTP/1.0\r\n\r\n")
        proc.p.stdin.flush()
        if close_stdin_after_body:
            proc.wait_for(BODY.strip(), 10)
            proc.p.stdin.close()
        rc = proc.finish(10)
        return rc, "\n".join(proc.output())
    finally:
        proc.kill()


def serve_matrix(binary):
    for version in VERSIONS:
        for policy in POLICIES:
            serve, port = start_serve(binary, "--" + version, "--shutdown", policy)
            try:
                c_rc, c_out, c_saw, c_err = curl(port, version)
                o_rc, o_out = s_client(port, version)
                g_rc, g_out = gnutls_cli(port, version, policy == "wait-peer")
            finally:
                s_rc = serve.stop()
            lines = conn_lines(serve.output())
            cell = "serve %s %s" % (version, policy)
            if not check(cell + ": serve logged 3 connections and exited 0 on SIGTERM",
                         len(lines) == 3 and s_rc == 0 and summary(serve.output()), serve.output()):
                continue
            l_curl, l_sc, l_gn = lines
            for l in lines:
                check(cell + ": negotiated " + version, (" %s " % version) in l, l)

            # curl: the body arrives whatever the policy (it is delimited by Content-Length),
            # and curl's verbose log shows our close_notify exactly when one was sent.
            check(cell + " curl: exit 0 and the body", c_rc == 0 and c_out == BODY, (c_rc, c_out, c_err))
            # Whether curl reads our close_notify before it closes (bidirectional, fast) is a
            # race with its own close once the Content-Length is in: recorded, not asserted.
            # With wait-peer curl closes first; with quiet and none there is none to see.
            if policy in ("quiet", "none", "wait-peer"):
                check(cell + " curl: reports no close_notify from us", not c_saw, c_err)
            curl_expect = {"bidirectional": "outcome clean", "fast": "outcome sent-only",
                           "quiet": "outcome no-close-notify", "wait-peer": "outcome clean",
                           "none": "outcome no-close-notify"}[policy]
            check(cell + " curl: serve logged " + curl_expect, curl_expect in l_curl, l_curl)
            if policy == "wait-peer":
                check(cell + " curl: curl closed first with close_notify", "peer closed first (close_notify)" in l_curl, l_curl)
            matrix.append(("client -> serve", "curl", version, policy,
                           "exit %d, body %s, close_notify %s" % (c_rc, "ok" if c_out == BODY else "missing",
                                                                 "seen" if c_saw else "not seen"), l_curl))

            # openssl s_client -ign_eof: a close_notify ends it cleanly ("closed", it answers
            # with its own); a close without one is "unexpected eof while reading", exit 1,
            # and it sends a fatal decode_error.
            got_cn = "<<< TLS 1.%s, Alert [length 0002], warning close_notify" % version[-1] in o_out
            sent_cn = ">>> TLS 1.%s, Alert [length 0002], warning close_notify" % version[-1] in o_out
            eof = "unexpected eof while reading" in o_out
            check(cell + " s_client: got the body", BODY.strip() in o_out, o_out)
            if policy in ("bidirectional", "fast"):
                check(cell + " s_client: exit 0, our close_notify received, answered with its own",
                      o_rc == 0 and got_cn and sent_cn and not eof, o_out)
                check(cell + " s_client: serve logged " + ("clean" if policy == "bidirectional" else "sent-only"),
                      ("outcome clean" if policy == "bidirectional" else "outcome sent-only") in l_sc, l_sc)
            else:
                check(cell + " s_client: exit 1, unexpected eof, fatal decode_error sent",
                      o_rc == 1 and eof and not got_cn and "fatal decode_error" in o_out, o_out)
                check(cell + " s_client: serve logged no-close-notify", "outcome no-close-notify" in l_sc, l_sc)
                if policy == "wait-peer":
                    check(cell + " s_client: serve waited --timeout for a close_notify that never came",
                          "timed out waiting for the peer's close_notify" in l_sc, l_sc)
            matrix.append(("client -> serve", "openssl s_client", version, policy,
                           "exit %d; %s" % (o_rc, "close_notify received, answered" if got_cn else
                                            "unexpected eof while reading, sent fatal decode_error" if eof else "?"),
                           l_sc))

            # gnutls-cli: our close_notify is "- Peer has closed the GnuTLS connection",
            # exit 0; a close without one is "*** Server has terminated the connection
            # abnormally.", exit 1.
            peer_closed = "- Peer has closed the GnuTLS connection" in g_out
            abnormal = "*** Server has terminated the connection abnormally." in g_out
            check(cell + " gnutls-cli: got the body", BODY.strip() in g_out, g_out)
            if policy in ("bidirectional", "fast", "wait-peer"):
                check(cell + " gnutls-cli: exit 0, '- Peer has closed the GnuTLS connection'",
                      g_rc == 0 and peer_closed and not abnormal, g_out)
            else:
                check(cell + " gnutls-cli: exit 1, 'Server has terminated the connection abnormally'",
                      g_rc == 1 and abnormal and not peer_closed, g_out)
            gn_expect = {"bidirectional": None, "fast": "outcome sent-only", "quiet": "outcome no-close-notify",
                         "wait-peer": "outcome clean", "none": "outcome no-close-notify"}[policy]
            if gn_expect:
                check(cell + " gnutls-cli: serve logged " + gn_expect, gn_expect in l_gn, l_gn)
            else:
                # gnutls-cli leaves at our close_notify without answering it: the waiting
                # shutdown() sees EOF (OpenSSL 3.0: "unexpected eof while reading").
                check(cell + " gnutls-cli: serve's waiting shutdown saw gnutls-cli leave",
                      "alerts sent: close_notify" in l_gn and
                      ("outcome clean" in l_gn or "unexpected eof while reading" in l_gn), l_gn)
            matrix.append(("client -> serve", "gnutls-cli", version, policy,
                           "exit %d; %s" % (g_rc, "Peer has closed the GnuTLS connection" if peer_closed else
                                            "Server has terminated the connection abnormally" if abnormal else "?"),
                           l_gn))


# ---- closenotify connect against servers -------------------------------------------------

def connect(binary, port, version, policy):
    p = subprocess.run([binary, "connect", "127.0.0.1:%d" % port, "--" + version, "--shutdown", policy,
                        "--timeout", TIMEOUT, "--respond", "echo"], capture_output=True, text=True, timeout=30)
    return p.returncode, p.stdout.strip() + p.stderr.strip()


def connect_matrix(binary, cert, key):
    for version in VERSIONS:
        v = version[-1]
        prio = "NORMAL:-VERS-ALL:+VERS-TLS1.3" if version == "tls1.3" else "NORMAL:-VERS-ALL:+VERS-TLS1.2"
        gport = free_port()
        gserv = Proc(["gnutls-serv", "--port", str(gport), "--x509certfile", cert, "--x509keyfile", key,
                      "--echo", "--priority", prio])
        try:
            if not check("gnutls-serv %s started" % version, gserv.wait_for("listening", 10) is not None,
                         gserv.output()):
                continue
            for policy in POLICIES:
                cell = "connect %s %s" % (version, policy)
                # openssl s_server -rev (an echo server) for exactly one connection.
                sport = free_port()
                sserv = Proc(["openssl", "s_server", "-accept", str(sport), "-4", "-cert", cert, "-key", key,
                              "-rev", "-naccept", "1", "-msg"])
                try:
                    check(cell + " s_server started", sserv.wait_for("ACCEPT", 10) is not None, sserv.output())
                    rc, line = connect(binary, sport, version, policy)
                    sserv.wait_for("CONNECTION CLOSED", 5)
                    time.sleep(0.2)
                    s_out = "\n".join(sserv.output())
                finally:
                    sserv.stop()
                got_cn = "<<< TLS 1.%s, Alert [length 0002], warning close_notify" % v in s_out
                answered = ">>> TLS 1.%s, Alert [length 0002], warning close_notify" % v in s_out
                decode_error = ">>> TLS 1.%s, Alert [length 0002], fatal decode_error" % v in s_out
                check(cell + " s_server: negotiated " + version + ", the echo came back",
                      (" %s " % version) in line and "request 19 B, response 19 B" in line, line)
                if policy in ("bidirectional", "fast"):
                    check(cell + " s_server: our close_notify received and answered", got_cn and answered and
                          not decode_error, s_out)
                    want = "outcome clean" if policy == "bidirectional" else "outcome sent-only"
                    check(cell + " s_server: connect exit 0, " + want, rc == 0 and want in line, line)
                else:
                    check(cell + " s_server: unexpected EOF, fatal decode_error sent", decode_error and not got_cn, s_out)
                    want_rc = 1 if policy == "wait-peer" else 0
                    check(cell + " s_server: connect exit %d, no-close-notify" % want_rc,
                          rc == want_rc and "outcome no-close-notify" in line, line)
                matrix.append(("connect -> server", "openssl s_server", version, policy,
                               "close_notify received, answered" if got_cn else
                               "unexpected eof while reading, sent fatal decode_error" if decode_error else "?", line))

                start = len(gserv.output())
                rc, line = connect(binary, gport, version, policy)
                if policy in ("bidirectional", "fast"):
                    time.sleep(0.3)  # time for a complaint that must not come
                else:
                    # The complaint must come; wait for it rather than guess how long the
                    # server takes to print it on a loaded machine.
                    gserv.wait_for("non-properly terminated", 10, start)
                g_out = "\n".join(gserv.output(start))
                nonproper = "The TLS connection was non-properly terminated." in g_out
                check(cell + " gnutls-serv: negotiated " + version + ", the echo came back",
                      (" %s " % version) in line and "request 19 B, response 19 B" in line, line)
                if policy in ("bidirectional", "fast"):
                    check(cell + " gnutls-serv: a proper close, no complaint", not nonproper, g_out)
                    want = "outcome clean" if policy == "bidirectional" else "outcome sent-only"
                    check(cell + " gnutls-serv: connect exit 0, " + want, rc == 0 and want in line, line)
                    if policy == "bidirectional":
                        check(cell + " gnutls-serv: answered our close_notify", "received: close_notify" in line, line)
                else:
                    check(cell + " gnutls-serv: 'The TLS connection was non-properly terminated.'", nonproper, g_out)
                    want_rc = 1 if policy == "wait-peer" else 0
                    check(cell + " gnutls-serv: connect exit %d, no-close-notify" % want_rc,
                          rc == want_rc and "outcome no-close-notify" in line, line)
                matrix.append(("connect -> server", "gnutls-serv", version, policy,
                               "'The TLS connection was non-properly terminated.'" if nonproper else
                               "close_notify received" + (", answered" if "received: close_notify" in line else ""),
                               line))
        finally:
            gserv.stop()


def extra_cases(binary, tmp):
    # An RSA certificate and key from files, TLS 1.2 with an ECDHE-RSA suite, and TLS 1.3.
    rsa_cert, rsa_key = os.path.join(tmp, "rsa.pem"), os.path.join(tmp, "rsa.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost",
                    "-keyout", rsa_key, "-out", rsa_cert, "-days", "2"], capture_output=True, check=True)
    serve, port = start_serve(binary, "--cert", rsa_cert, "--key", rsa_key)
    try:
        r12 = subprocess.run(["curl", "-sk", "--tlsv1.2", "--tls-max", "1.2", "--ciphers",
                              "ECDHE-RSA-CHACHA20-POLY1305", "https://127.0.0.1:%d/" % port],
                             capture_output=True, text=True, timeout=20)
        r13 = subprocess.run(["curl", "-sk", "--tlsv1.3", "https://127.0.0.1:%d/" % port],
                             capture_output=True, text=True, timeout=20)
        # Garbage instead of a ClientHello: the handshake fails, the server goes on. Text is
        # not a TLS record at all (OpenSSL: "wrong version number", no alert); a handshake
        # record that holds no ClientHello is answered with a fatal unexpected_message.
        replies = []
        for payload in (b"this is not a ClientHello\r\n\r\n" * 4, bytes([0x16, 0x03, 0x01, 0x00, 0x05]) + b"hello"):
            with socket.create_connection(("127.0.0.1", port), 5) as s:
                s.sendall(payload)
                s.settimeout(5)
                try:
                    replies.append(s.recv(100))
                except OSError:
                    replies.append(b"")
        after = subprocess.run(["curl", "-sk", "https://127.0.0.1:%d/" % port], capture_output=True, text=True,
                               timeout=20)
    finally:
        rc = serve.stop()
    lines = conn_lines(serve.output())
    check("RSA cert: TLS 1.2 ECDHE-RSA-CHACHA20-POLY1305 body", r12.returncode == 0 and r12.stdout == BODY, r12)
    check("RSA cert: TLS 1.3 body", r13.returncode == 0 and r13.stdout == BODY, r13)
    check("RSA cert: serve logged the RSA suite", any("ECDHE-RSA-CHACHA20-POLY1305" in l for l in lines), lines)
    check("garbage: text gets no alert; a bogus handshake record gets fatal unexpected_message (15 0303 0002 020a)",
          len(replies) == 2 and replies[0] == b"" and replies[1] == bytes.fromhex("1503030002020a"), replies)
    check("garbage: both logged as handshake-failed with OpenSSL's reason, the next client still served",
          len(lines) == 5 and "handshake failed: wrong version number; outcome handshake-failed" in lines[2]
          and "handshake failed: unexpected message; outcome handshake-failed" in lines[3]
          and after.returncode == 0 and after.stdout == BODY, lines)
    check("serve exited 0 on SIGTERM with a summary", rc == 0 and summary(serve.output()) is not None, serve.output())


# ---- soak --------------------------------------------------------------------------------

def fd_count(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def child_count(pid):
    """serve's child processes: once every connection is over, its idle pooled peers."""
    return sum(len(open(os.path.join("/proc/%d/task" % pid, t, "children")).read().split())
               for t in os.listdir("/proc/%d/task" % pid))


# An idle pooled peer (tools/peer_link/peer_process.cpp) holds three of serve's descriptors:
# its stdin, its stdout and the channel its sockets arrive on.
FDS_PER_IDLE_PEER = 3


def soak(binary):
    total = int(os.environ.get("CLOSENOTIFY_SOAK_CONNECTIONS", "300"))
    # 40 clients at once on 2 cores, a quarter of them `closenotify connect` processes with
    # their own peers: under the sanitizers a handshake can then take over 2 s. 6 s still
    # ends a silent client's slot well within the test's time.
    serve, port = start_serve(binary, "--max-concurrent", "48", "--handshake-timeout", "6")
    pid = serve.p.pid
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    results = {}
    policies = POLICIES

    def client(i):
        kind = ["good", "good", "good", "noclose", "vanish", "vanish", "garbage", "connect"][i % 8]
        if i % 97 == 5:
            kind = "silent"
        try:
            if kind == "connect":
                p = subprocess.run([binary, "connect", "127.0.0.1:%d" % port, "--shutdown", policies[i % 5],
                                    "--timeout", TIMEOUT], capture_output=True, text=True, timeout=60)
                ok = "outcome" in p.stdout and ("request" in p.stdout)
                return kind, ok
            raw = socket.create_connection(("127.0.0.1", port), 10)
            raw.settimeout(10)
            if kind == "garbage":
                raw.sendall(os.urandom(64))
                try:
                    raw.recv(100)
                except OSError:
                    pass
                raw.close()
                return kind, True
            if kind == "silent":
                try:
                    raw.recv(1)  # the server gives up after --handshake-timeout
                except OSError:
                    pass
                raw.close()
                return kind, True
            s = ctx.wrap_socket(raw)
            if kind == "vanish":
                # Half a record: a header promising 64 bytes, then 10, then gone.
                os.write(s.fileno(), bytes([0x17, 0x03, 0x03, 0x00, 0x40]) + b"\0" * 10)
                raw.close()
                return kind, True
            s.sendall(b"GET / HTTP/1.0\r\n\r\n")
            data = b""
            while not data.endswith(BODY.encode()):
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
            ok = data.endswith(BODY.encode())
            if kind == "good":
                try:
                    s.unwrap()  # close_notify both ways
                except (ssl.SSLError, OSError):
                    pass
            raw.close()
            return kind, ok
        except Exception as e:  # a failure to count, never a crash of the test
            return kind, False

    before = fd_count(pid)
    idle_before = child_count(pid)  # the peer serve asked for its version, back in the pool
    started = time.time()
    try:
        with ThreadPoolExecutor(max_workers=40) as pool:
            got = list(pool.map(client, range(total)))
        wall = time.time() - started
        # Every connection is logged once it is over; wait for the stragglers (silent ones).
        deadline = time.time() + 20
        while len(conn_lines(serve.output())) < total and time.time() < deadline:
            time.sleep(0.1)
        time.sleep(0.5)
        after = fd_count(pid)
        idle_peers = child_count(pid)
        alive = serve.p.poll() is None
    finally:
        rc = serve.stop()
    lines = conn_lines(serve.output())
    bad = [k for k, ok in got if not ok]
    kinds = {}
    for k, _ in got:
        kinds[k] = kinds.get(k, 0) + 1
    outcomes = {}
    for l in lines:
        o = re.search(r"outcome (\S+);", l)
        o = o.group(1) if o else "?"
        outcomes[o] = outcomes.get(o, 0) + 1
    print("soak: %d connections (%s) in %.1f s wall; client-side failures: %d %s" %
          (total, ", ".join("%d %s" % (n, k) for k, n in sorted(kinds.items())), wall, len(bad), bad[:10]))
    print("soak: serve logged %d connections: %s" % (len(lines), outcomes))
    print("soak: serve descriptors %d before, %d after; %s" % (before, after, summary(serve.output())))
    check("soak: serve stayed up", alive)
    check("soak: every connection logged exactly once", len(lines) == total, len(lines))
    ids = sorted(int(l.split()[1]) for l in lines)
    check("soak: connection ids 1..N, none twice", ids == list(range(1, total + 1)), ids[:20])
    print("soak: %d idle pooled peers at the start, %d at the end" % (idle_before, idle_peers))
    check("soak: no descriptor leaked (beyond the idle pooled peers' own)",
          after - before == FDS_PER_IDLE_PEER * (idle_peers - idle_before),
          (before, after, idle_before, idle_peers))
    check("soak: every well-behaved client got its answer", not bad, bad)
    s = summary(serve.output()) or ""
    check("soak: SIGTERM: exit 0 and the summary counts every connection",
          rc == 0 and s.startswith("closenotify serve: %d connections" % total), (rc, s))
    check("soak: no handshake failure for a well-behaved client",
          outcomes.get("handshake-failed", 0) <= kinds.get("garbage", 0) + kinds.get("silent", 0) + kinds.get("vanish", 0),
          outcomes)


def main():
    binary, mode = sys.argv[1], sys.argv[2]
    missing = [t for t in ("curl", "openssl", "gnutls-cli", "gnutls-serv") if not any(
        os.access(os.path.join(d, t), os.X_OK) for d in os.environ.get("PATH", "/usr/bin").split(":"))]
    if missing:
        print("SKIP: %s not installed (Debian packages curl, openssl, gnutls-bin; tools/install-deps.sh "
              "installs them)" % ", ".join(missing))
        return SKIP
    started = time.time()
    with tempfile.TemporaryDirectory(prefix="closenotify-interop-") as tmp:
        if mode == "interop":
            cert, key = os.path.join(tmp, "ec.pem"), os.path.join(tmp, "ec.key")
            subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                            "-nodes", "-subj", "/CN=localhost", "-keyout", key, "-out", cert, "-days", "2"],
                           capture_output=True, check=True)
            serve_matrix(binary)
            connect_matrix(binary, cert, key)
            extra_cases(binary, tmp)
            if "--matrix" in sys.argv:
                print()
                for row in matrix:
                    print(" | ".join(row))
        else:
            soak(binary)
    print("%.1f s" % (time.time() - started))
    print("PASS" if not failures else "FAILED (%d): %s" % (len(failures), ", ".join(failures[:20])))
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())

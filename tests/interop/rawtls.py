"""rawtls.py — a TLS client for tests that must also put raw bytes on the wire.

Python's own TLS (ssl.SSLObject over memory BIOs) does the handshake and reads what the
server sends, while the test writes to the TCP socket itself whenever it wants: a record
header no TLS library would send, a FIN without close_notify, data right behind an alert.
"""

import socket
import ssl
import time

VERSIONS = {"tls1.3": ssl.TLSVersion.TLSv1_3, "tls1.2": ssl.TLSVersion.TLSv1_2}


class Client:
    def __init__(self, port, version, timeout=10.0, nodelay=True):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout)
        self.sock.settimeout(timeout)
        if nodelay:
            # The client's own Nagle must not be what a time-to-first-byte measures.
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        ctx.minimum_version = ctx.maximum_version = VERSIONS[version]
        self.incoming, self.outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        self.tls = ctx.wrap_bio(self.incoming, self.outgoing)
        self.eof = False

    def flush(self):
        data = self.outgoing.read()
        if data:
            self.sock.sendall(data)

    def _fill(self):
        data = self.sock.recv(65536)
        if not data:
            self.eof = True
            self.incoming.write_eof()
        else:
            self.incoming.write(data)

    def handshake(self):
        while True:
            try:
                self.tls.do_handshake()
                self.flush()
                return
            except ssl.SSLWantReadError:
                self.flush()
                self._fill()

    def send(self, data):
        self.tls.write(data)
        self.flush()

    def raw(self, data):
        self.sock.sendall(data)

    def read(self):
        """('data', bytes), ('close_notify', b''), ('eof', b'') for a FIN without
        close_notify, ('alert', reason) for a TLS error (a fatal alert received), or
        ('reset', str) / ('timeout', str) for the socket's own failures."""
        while True:
            try:
                return "data", self.tls.read(65536)
            except ssl.SSLZeroReturnError:
                return "close_notify", b""
            except ssl.SSLWantReadError:
                self.flush()
                if self.eof:
                    return "eof", b""
                try:
                    self._fill()
                except ConnectionResetError as e:
                    return "reset", str(e)
                except socket.timeout as e:
                    return "timeout", str(e)
            except ssl.SSLEOFError:
                return "eof", b""
            except ssl.SSLError as e:
                return "alert", "%s %s" % (e.reason, e)

    def close_notify(self):
        """Our close_notify out (the first half of unwrap)."""
        try:
            self.tls.unwrap()
        except (ssl.SSLWantReadError, ssl.SSLError):
            pass
        self.flush()

    def close(self):
        self.sock.close()


def time_to_first_byte(port, version, request=b"GET / HTTP/1.0\r\n\r\n"):
    """Seconds from the request's write, right after the handshake, to the first byte of
    the response."""
    c = Client(port, version)
    try:
        c.handshake()
        started = time.perf_counter()
        c.send(request)
        kind, data = c.read()
        took = time.perf_counter() - started
        if kind != "data":
            raise RuntimeError("no response: %s %r" % (kind, data))
        return took
    finally:
        c.close()

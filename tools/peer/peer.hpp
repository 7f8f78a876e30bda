// peer.hpp — the parts of closenotify-peer, the live OpenSSL 3.0 endpoint that speaks the
// line protocol of docs/peer-protocol.md, and how they meet:
//   bio.cpp   the inherited socket and the BIO OpenSSL reads and writes it through
//             (byte counts, the per-step wire capture, `blocked` notices);
//   tls.cpp   SSL_CTX / SSL, the in-memory certificate, the handshake and the key-log and
//             message callbacks (secrets, record counts, received alerts);
//   peer.cpp  the command loop: parsing, one OpenSSL call per step, the `done` lines;
//   bench.cpp `--bench` and `--bench-syscalls`: OpenSSL's own cost for `closenotify bench`
//             (memory BIOs and socketpairs inside this process; docs/performance.md);
//   compat.hpp the only code that depends on the OpenSSL release: the same sources build
//             closenotify-peer (the system's 3.0) and closenotify-peer-1.1.1 / -3.5.
//
// This program links OpenSSL only. OpenSSL and BoringSSL export the same symbols, so
// nothing from the closenotify library (which links BoringSSL) may ever be linked in.
#pragma once

#include <openssl/bio.h>
#include <openssl/ssl.h>
#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace peer {

using bytes = std::vector<unsigned char>;

// One protocol line on stdout, flushed at once: the runner reads line by line and may be
// waiting for exactly this line before it lets the other endpoint move.
void emit(const std::string& line);

// The reason of the earliest queued OpenSSL error, as OpenSSL itself prints it: the
// ERR_reason_error_string text, or, for reasons without one, what ERR_error_string_n
// prints in its place ("reason(1254)" for an unnamed alert, the strerror text for a
// system error). "" when the queue is empty.
std::string queued_reason();
/// step_reason: the reason a step reports: the first SSL-library entry of the queue.
std::string step_reason();

// Lower-case hex, "-" for an empty string (the protocol's spelling of "no bytes").
std::string hex(const unsigned char* p, std::size_t n);
// The same, appended to `out`.
void append_hex(std::string& out, const unsigned char* p, std::size_t n);
inline std::string hex(const bytes& b) { return hex(b.data(), b.size()); }

// The MTU a DTLS connection is given (SSL_set_mtu, with SSL_OP_NO_QUERY_MTU): a socketpair
// has no path MTU to discover, so the largest datagram a handshake flight is cut into is
// said once, here. 1400 as in tests/unit/data/dtls12_openssl_records.c; it must stay below
// the 4096 bytes of the BIO_f_buffer OpenSSL puts in front of the BIO during a handshake
// (ssl_init_wbio_buffer), or buffer_write would split one datagram over two writes.
inline constexpr long kDtlsMtu = 1400;

// The inherited socket: AF_UNIX SOCK_STREAM (TLS), AF_UNIX SOCK_DGRAM (DTLS; one datagram
// per read and per write) or a TCP connection. Every syscall on it is a single
// MSG_DONTWAIT attempt; waiting is always explicit (wait_readable / wait_writable), so
// that the peer can say `blocked ...` before it waits, whatever O_NONBLOCK says.
class Socket {
 public:
  explicit Socket(int fd);
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;

  bool closed() const { return fd_ < 0; }
  // A SOCK_DGRAM socket (getsockopt SO_TYPE when the socket was taken): each receive
  // takes one datagram, each send is one datagram, and nothing is ever an end of file.
  bool datagram() const { return datagram_; }
  int close();           // close(2): 0 or -1 (errno set); the fd is gone either way
  int shutdown_write();  // shutdown(fd, SHUT_WR): 0 or -1

  // `mode`: O_NONBLOCK on/off, and whether the BIO waits (blocking) or asks OpenSSL to
  // retry (nonblocking). false with errno set when fcntl fails.
  bool set_blocking(bool blocking);
  bool blocking() const { return blocking_; }

  // One attempt each, never waiting. receive: >0 bytes, 0 at EOF, -1 with errno (EAGAIN:
  // nothing there). send: >=0 bytes taken (maybe fewer than len), -1 with errno.
  // A datagram socket: receive takes one whole datagram (truncated to `len`, as recv(2)
  // does; 0 is an empty datagram, never EOF), send sends one (all of it, or -1).
  ssize_t receive(unsigned char* buf, std::size_t len);
  ssize_t send(const unsigned char* buf, std::size_t len);
  // `raw`: everything, waiting (with `blocked write` lines) as long as it takes; on a
  // datagram socket, as one datagram. 0, or -1 with errno.
  int send_all(const unsigned char* buf, std::size_t len);

  // Print `blocked read|write rx= tx=`, then wait until the socket is readable/writable
  // (or has hung up: the next attempt then reports EOF or the error). Nothing is read
  // while waiting to write.
  void wait_readable();
  void wait_writable();
  // A pooled peer: input on `fd` (its stdin) during a wait closes the socket and ends the
  // wait, so the runner can take the process back from a call that would never return.
  void stop_waiting_on_input(int fd) { stop_fd_ = fd; }
  bool stopped() const { return stopped_; }

  // recv() has returned 0: the other side will send nothing more.
  bool eof() const { return eof_; }

  std::uint64_t rx() const { return rx_; }
  std::uint64_t tx() const { return tx_; }
  const bytes& wire() const { return wire_; }
  void clear_wire() {
    wire_.clear();
    wire_marks_.clear();
  }
  // The capture as `RX:HEX/RX:HEX...`: each run of writes made while `rx` bytes had been
  // read (on a datagram socket: each datagram, with the rx it was written at). The
  // handshake reports it so a capture (closenotify trace --pcap) can interleave both
  // sides' flights in an order the bytes themselves prove: a flight written after reading
  // N bytes came after the other side's first N bytes.
  std::string wire_segments() const;

  // A new BIO on this socket (the caller owns it). The BIO never closes the fd, and this
  // Socket must outlive it: the BIO's data is a pointer to it.
  BIO* new_bio();

 private:
  void wait(short events);
  int fd_;
  bool datagram_ = false;
  bool blocking_ = true;
  bool eof_ = false;
  int stop_fd_ = -1;
  bool stopped_ = false;
  std::uint64_t rx_ = 0;
  std::uint64_t tx_ = 0;
  bytes wire_;  // written during the current step
  // (rx when written, offset in wire_) for each run of writes between two reads.
  std::vector<std::pair<std::uint64_t, std::size_t>> wire_marks_;
};

struct HandshakeParams {
  bool client = true;
  bool tls13 = true;
  // `version=dtls1.2` (tls13 false): DTLS 1.2 over a SOCK_DGRAM socket.
  bool dtls = false;
  // any_version: `version=any` — TLS 1.2 or 1.3, whichever the other side negotiates
  // (closenotify serve/connect against real peers); `tls13` is then meaningless.
  bool any_version = false;
  // One OpenSSL suite name, or several separated by ':' (every one must be known).
  std::string suite;
  int tickets = -1;  // -1: OpenSSL's default number of TLS 1.3 session tickets
  // Server: PEM certificate (chain) and private key files (RSA or ECDSA) instead of the
  // in-memory certificate. Client: the server name to send (SNI). Empty: not given.
  std::string cert;
  std::string key;
  std::string sni;
  // Server: the ticket keys to seal and open session tickets with, exactly as
  // SSL_CTX_set_tlsext_ticket_keys takes them (80 bytes), so that every pooled peer of one
  // `closenotify serve` accepts the tickets any other issued. Empty: fresh random keys for
  // this connection alone (the matrix: no case can resume an earlier one). A secret: never
  // echoed in an answer.
  bytes ticket_keys;
};

// new_context: an SSL_CTX restricted to one version and one suite, verification off, and
// for a server the in-memory certificate(s). nullptr with `why` set (one line) on failure.
SSL_CTX* new_context(const HandshakeParams& params, std::string& why);

// context_for_connection: the context for one more connection with `params`, a reference
// the caller frees: the process's context for that configuration, made on first use
// (not for cert=/key= files: those get a fresh one), with what connections change in a
// context (session cache, ticket keys) put back as a fresh context has it. The number of
// tickets is left at OpenSSL's default: the caller sets it on the SSL. nullptr with `why`
// set on failure.
SSL_CTX* context_for_connection(const HandshakeParams& params, std::string& why);

// The one TLS connection: its SSL (which holds its context) and what the callbacks observed.
class Tls {
 public:
  explicit Tls(Socket& socket) : socket_(socket) {}
  ~Tls();
  Tls(const Tls&) = delete;
  Tls& operator=(const Tls&) = delete;

  // A full handshake in blocking mode. "" on success, else why it failed (one line).
  std::string handshake(const HandshakeParams& params);
  bool attempted() const { return ssl_ != nullptr; }
  bool ready() const { return ready_; }
  SSL* ssl() const { return ssl_; }

  // The hand-off fields: version=... suite=... ... rseq=N wseq=N rx=N tx=N (DTLS: and
  // epoch=E rwindow=MAX:MAP).
  std::string handoff_fields() const;

  // Received alerts since the last call, "0100,0232" or "-"; the list starts again empty.
  std::string take_alerts();

  // Every key-log line of the handshake as `LABEL:SECRET,...` ("-" when none): a key log
  // for Wireshark needs the handshake secrets too, not only the traffic secrets above.
  std::string keylog_field() const;

 private:
  static void on_keylog(const SSL* ssl, const char* line);
  static void on_message(int write_p, int version, int content_type, const void* buf,
                         std::size_t len, SSL* ssl, void* arg);

  Socket& socket_;
  SSL* ssl_ = nullptr;
  bool ready_ = false;
  bool tls13_ = true;
  bool any_version_ = false;  // decide TLS 1.3 or 1.2 per callback, from the SSL itself
  std::string client_secret_;  // TLS 1.3 key log CLIENT_TRAFFIC_SECRET_0, hex
  std::string server_secret_;  // TLS 1.3 key log SERVER_TRAFFIC_SECRET_0, hex
  std::string master_;         // TLS 1.2 key log CLIENT_RANDOM, hex
  std::vector<std::string> keylog_;  // every line's LABEL:SECRET, in the order logged
  std::uint64_t rseq_ = 0;     // records read under the current read keys
  std::uint64_t wseq_ = 0;     // records written under the current write keys
  std::vector<std::string> alerts_;

  // DTLS 1.2: what the record headers the message callback reports say (each carries its
  // epoch and 48-bit sequence number). The write side: the epoch of the last record
  // written (wseq_: the number after its sequence number). The read side: the highest
  // epoch read, the records read in it (rseq_) and its anti-replay window, updated as
  // OpenSSL's dtls1_record_bitmap_update does (a 64-bit map, bit i: max - i received).
  bool dtls_ = false;
  bool dtls_written_ = false;
  std::uint16_t dtls_write_epoch_ = 0;
  bool dtls_read_ = false;
  std::uint16_t dtls_read_epoch_ = 0;
  std::uint64_t dtls_window_max_ = 0;
  std::uint64_t dtls_window_map_ = 0;
  void dtls_header(bool write_p, const unsigned char* header);
};

// run_connection: the line protocol on stdin/stdout for the connection on socket `fd`,
// until `quit`, `handoff` or EOF on stdin; the process's exit status.
int run_connection(int fd);

// run_pooled: the same for one connection after another, each socket received on
// `channel` (SCM_RIGHTS) at `attach` and closed at `release` or `handoff`. What the
// process keeps from one connection to the next is made the same way for every one: the
// certificates, one SSL_CTX per configuration (reset before each use, see
// context_for_connection) and the BIO_METHOD (docs/peer-protocol.md, "Pooled peers").
int run_pooled(int channel);

namespace bench {
// install_counting_allocator: CRYPTO_set_mem_functions with counting wrappers; must run
// before OpenSSL allocates anything. False if OpenSSL refused (then memory figures are
// reported as unavailable).
bool install_counting_allocator();
// closenotify-peer --bench SUITE: commands on stdin, one JSON object per line on stdout.
int run(const std::vector<std::string>& args);
// closenotify-peer --bench-syscalls SUITE K shutdown|none [read-ahead]: for strace.
int run_syscalls(const std::vector<std::string>& args);
}  // namespace bench

}  // namespace peer

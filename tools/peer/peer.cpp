// peer.cpp — closenotify-peer's command loop: reads one command per line on stdin, runs
// it against OpenSSL (3.0; or the release of a closenotify-peer-<series>, compat.hpp),
// answers on stdout (docs/peer-protocol.md is the contract).
//
//   closenotify-peer --fd N      N: one end of a connected AF_UNIX socketpair (SOCK_STREAM;
//                                SOCK_DGRAM for DTLS) or a connected TCP socket
//   closenotify-peer --pool N    case after case: each `attach` takes a socket sent on fd N
//   closenotify-peer --bench ... benchmark modes (bench.cpp), no line protocol
#include <openssl/crypto.h>
#include <fcntl.h>
#include <malloc.h>
#include <openssl/err.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <exception>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "compat.hpp"
#include "error.hpp"
#include "peer.hpp"

namespace peer {

void emit(const std::string& line) {
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

void append_hex(std::string& out, const unsigned char* p, std::size_t n) {
  if (n == 0) {
    out += '-';
    return;
  }
  static constexpr char digits[] = "0123456789abcdef";
  const std::size_t at = out.size();
  out.resize(at + 2 * n);
  char* d = out.data() + at;
  for (std::size_t i = 0; i < n; ++i) {
    *d++ = digits[p[i] >> 4];
    *d++ = digits[p[i] & 0xf];
  }
}

std::string hex(const unsigned char* p, std::size_t n) {
  std::string out;
  append_hex(out, p, n);
  return out;
}

namespace {

// read/peek hand OpenSSL one buffer of this size at most (more than a record's 16 KiB
// of plaintext, so never the limiting factor for a single call).
constexpr std::size_t kMaxReadBuffer = 65536;
// read_all/write_all/write/raw: a bound so that a typo cannot ask for gigabytes.
constexpr std::size_t kMaxTotal = std::size_t{1} << 24;

// A command the peer cannot run is answered with `error <why>`: the tools' one error
// type, the exit status unused (the peer goes on with the next command).
using closenotify::tools::error;
using closenotify::tools::fail;
template <class T>
using result = closenotify::tools::result<T>;
using failure = std::optional<error>;  // nothing when the command may go on

std::optional<std::size_t> parse_count(std::string_view s) {
  std::size_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

result<std::size_t> count_arg(const std::vector<std::string>& w, std::size_t max) {
  if (w.size() != 2) return fail(w[0] + " takes one byte count");
  auto n = parse_count(w[1]);
  if (!n) return fail("not a byte count: " + w[1]);
  if (*n > max) return fail(w[1] + " is more than " + std::to_string(max) + " bytes");
  return *n;
}

result<bytes> hex_arg(const std::vector<std::string>& w) {
  if (w.size() != 2) return fail(w[0] + " takes one hex string");
  const std::string& s = w[1];
  if (s == "-") return bytes{};  // the protocol's spelling of an empty byte string
  if (s.size() % 2 != 0) return fail("odd number of hex digits: " + s);
  if (s.size() / 2 > kMaxTotal) return fail("hex string too long");
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  bytes out(s.size() / 2);
  for (std::size_t i = 0; i < out.size(); ++i) {
    const int hi = nibble(s[2 * i]), lo = nibble(s[2 * i + 1]);
    if (hi < 0 || lo < 0) return fail("not hex: " + s);
    out[i] = static_cast<unsigned char>(hi << 4 | lo);
  }
  return out;
}

bytes pattern(std::size_t n) {
  bytes out(n);
  for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<unsigned char>(i % 251);
  return out;
}

std::string error_name(int err) {
  switch (err) {
    case SSL_ERROR_NONE: return "NONE";
    case SSL_ERROR_SSL: return "SSL";
    case SSL_ERROR_WANT_READ: return "WANT_READ";
    case SSL_ERROR_WANT_WRITE: return "WANT_WRITE";
    case SSL_ERROR_SYSCALL: return "SYSCALL";
    case SSL_ERROR_ZERO_RETURN: return "ZERO_RETURN";
    default: return std::to_string(err);
  }
}

// What a step observed, before the fields every `done` line shares are added.
struct Outcome {
  long long ret = 0;
  std::string err = "-";  // "-" for steps that are not SSL calls
  int err_no = 0;
  bytes data;
};

class Peer {
 public:
  explicit Peer(int fd) : socket_(fd) {}

  // The socket starts in blocking mode, whatever O_NONBLOCK the runner left on it.
  bool start() { return socket_.set_blocking(true); }

  // Runs one command line: what the process does next.
  enum class next { command, quit, handed_off };
  next run(const std::string& line);
  // After next::handed_off: the `ok handoff` line, not yet printed.
  const std::string& handoff_line() const { return handoff_line_; }
  // Close the socket without a byte more on it; the Peer is then only to be destroyed.
  void drop() { socket_.close(); }
  // See Socket::stop_waiting_on_input.
  void stop_waiting_on_input(int fd) { socket_.stop_waiting_on_input(fd); }

 private:
  failure dispatch(const std::vector<std::string>& w, next& then);
  failure handshake(const std::vector<std::string>& w);
  failure set_mode(const std::vector<std::string>& w);
  failure require_ssl() const;
  failure require_socket() const;
  template <class Body> void step(const std::string& call, Body body);
  Outcome ssl_result(int ret, int saved_errno) const;
  Outcome ssl_write(const bytes& content);
  Outcome read_all(std::size_t n);
  Outcome write_all(std::size_t n);
  void wait_for(int err);

  // Order matters: tls_ (whose SSL owns the BIO) is destroyed before socket_ (which the
  // BIO points to).
  Socket socket_;
  Tls tls_{socket_};
  // The buffer of the last SSL_write. OpenSSL 3.0 requires a retry after WANT_WRITE /
  // WANT_READ to pass the same pointer ("bad write retry"), so a write of the same bytes
  // reuses this buffer as it is.
  bytes write_buffer_;
  std::string handoff_line_;
};

Peer::next Peer::run(const std::string& line) {
  std::vector<std::string> w;
  for (std::size_t i = 0; i < line.size();) {
    std::size_t j = line.find(' ', i);
    if (j == std::string::npos) j = line.size();
    if (j > i) w.push_back(line.substr(i, j - i));
    i = j + 1;
  }
  next then = next::command;
  if (w.empty()) {
    emit("error empty command");
  } else if (auto e = dispatch(w, then)) {
    emit("error " + e->message);
  }
  return then;
}

// One command: its answer emitted, or the error that stopped it before any step ran.
failure Peer::dispatch(const std::vector<std::string>& w, next& then) {
  const std::string& c = w[0];
  auto no_args = [&]() -> failure {
    if (w.size() != 1) return fail(c + " takes no arguments");
    return std::nullopt;
  };
  SSL* ssl = tls_.ssl();

  // Configuration.
  if (c == "hello") {
    if (auto e = no_args()) return e;
    std::string version = OpenSSL_version(OPENSSL_VERSION);
    for (char& ch : version) {
      if (ch == ' ') ch = '_';  // values carry no spaces
    }
    emit("ok peer openssl=" + version);
  } else if (c == "handshake") {
    return handshake(w);
  } else if (c == "mode") {
    return set_mode(w);
  } else if (c == "handoff") {
    if (auto e = no_args()) return e;
    if (!tls_.ready()) return fail("no handshake");
    handoff_line_ = "ok handoff " + tls_.handoff_fields();
    then = next::handed_off;
  } else if (c == "quit") {
    if (auto e = no_args()) return e;
    emit("ok quit");
    then = next::quit;  // SSL_free in ~Tls writes nothing to the socket
  }

  // Steps on the SSL connection.
  else if (c == "shutdown") {
    if (auto e = no_args()) return e;
    if (auto e = require_ssl()) return e;
    step(c, [&] { int r = SSL_shutdown(ssl); return ssl_result(r, errno); });
  } else if (c == "read" || c == "peek") {
    const auto counted = count_arg(w, kMaxReadBuffer);
    if (const auto* e = std::get_if<error>(&counted)) return *e;
    const std::size_t n = std::get<std::size_t>(counted);
    if (auto e = require_ssl()) return e;
    step(c, [&] {
      bytes buf(n);
      int r = c == "read" ? SSL_read(ssl, buf.data(), static_cast<int>(n))
                          : SSL_peek(ssl, buf.data(), static_cast<int>(n));
      Outcome o = ssl_result(r, errno);
      if (r > 0) o.data.assign(buf.begin(), buf.begin() + r);
      return o;
    });
  } else if (c == "write") {
    const auto counted = count_arg(w, kMaxTotal);
    if (const auto* e = std::get_if<error>(&counted)) return *e;
    const std::size_t n = std::get<std::size_t>(counted);
    if (auto e = require_ssl()) return e;
    step(c, [&] { return ssl_write(pattern(n)); });
  } else if (c == "write_hex") {
    auto parsed = hex_arg(w);
    if (const auto* e = std::get_if<error>(&parsed)) return *e;
    const bytes content = std::move(std::get<bytes>(parsed));
    if (auto e = require_ssl()) return e;
    step("write", [&] { return ssl_write(content); });
  } else if (c == "read_all" || c == "write_all") {
    const auto counted = count_arg(w, kMaxTotal);
    if (const auto* e = std::get_if<error>(&counted)) return *e;
    const std::size_t n = std::get<std::size_t>(counted);
    if (auto e = require_ssl()) return e;
    step(c, [&] { return c == "read_all" ? read_all(n) : write_all(n); });
  } else if (c == "key_update") {
    if (w.size() != 2 || (w[1] != "requested" && w[1] != "not_requested")) {
      return fail("usage: key_update requested|not_requested");
    }
    if (auto e = require_ssl()) return e;
    int type = w[1] == "requested" ? SSL_KEY_UPDATE_REQUESTED : SSL_KEY_UPDATE_NOT_REQUESTED;
    step(c, [&] { int r = SSL_key_update(ssl, type); return ssl_result(r, errno); });
  } else if (c == "do_handshake") {
    if (auto e = no_args()) return e;
    if (auto e = require_ssl()) return e;
    step(c, [&] { int r = SSL_do_handshake(ssl); return ssl_result(r, errno); });
  } else if (c == "renegotiate") {
    if (auto e = no_args()) return e;
    if (auto e = require_ssl()) return e;
    step(c, [&] {
      // SSL_renegotiate only schedules; SSL_do_handshake sends. If scheduling fails (TLS
      // 1.3, SSL_OP_NO_RENEGOTIATION, ...), that failure is the step's result: the
      // handshake call would only report the finished first handshake.
      int r = SSL_renegotiate(ssl);
      if (r != 1) return ssl_result(r, errno);
      r = SSL_do_handshake(ssl);
      return ssl_result(r, errno);
    });
  } else if (c == "set") {
    if (w.size() != 2) return fail("usage: set quiet_shutdown|ignore_unexpected_eof|no_renegotiation");
    const std::string& what = w[1];
    if (what != "quiet_shutdown" && what != "ignore_unexpected_eof" && what != "no_renegotiation") {
      return fail("unknown setting: " + what);
    }
    // An option this OpenSSL release does not have is refused, never skipped: a
    // scenario that relies on it would otherwise observe something else.
    if (what == "ignore_unexpected_eof" && compat::kIgnoreUnexpectedEof.missing != nullptr) {
      return fail(std::string("set ignore_unexpected_eof: ") + compat::kIgnoreUnexpectedEof.missing);
    }
    // Settings touch no socket, so they are allowed after `close` too (as on the
    // runner's closenotify side). ret=1: the call cannot fail.
    if (!tls_.ready()) return fail("no handshake");
    step(c, [&] {
      if (what == "quiet_shutdown") SSL_set_quiet_shutdown(ssl, 1);
      if (what == "ignore_unexpected_eof") SSL_set_options(ssl, compat::kIgnoreUnexpectedEof.bits);
      if (what == "no_renegotiation") SSL_set_options(ssl, SSL_OP_NO_RENEGOTIATION);
      return Outcome{1, "-", 0, {}};
    });
  }

  // Steps on the socket itself, beneath OpenSSL.
  else if (c == "shutdown_write" || c == "close") {
    if (auto e = no_args()) return e;
    if (auto e = require_socket()) return e;
    step(c, [&] {
      Outcome o;
      o.ret = c == "close" ? socket_.close() : socket_.shutdown_write();
      if (o.ret != 0) std::fprintf(stderr, "closenotify-peer: %s: %s\n", c.c_str(), std::strerror(errno));
      return o;
    });
  } else if (c == "raw") {
    auto parsed = hex_arg(w);
    if (const auto* e = std::get_if<error>(&parsed)) return *e;
    const bytes content = std::move(std::get<bytes>(parsed));
    if (auto e = require_socket()) return e;
    step(c, [&] {
      Outcome o;
      o.ret = socket_.send_all(content.data(), content.size());
      if (o.ret != 0) std::fprintf(stderr, "closenotify-peer: raw: %s\n", std::strerror(errno));
      return o;
    });
  } else {
    return fail("unknown command: " + c);
  }
  return std::nullopt;
}

failure Peer::handshake(const std::vector<std::string>& w) {
  if (tls_.attempted()) return fail("handshake already done");
  if (auto e = require_socket()) return e;
  HandshakeParams p;
  bool role = false, version = false;
  for (std::size_t i = 1; i < w.size(); ++i) {
    std::size_t eq = w[i].find('=');
    std::string key = w[i].substr(0, eq);
    std::string value = eq == std::string::npos ? "" : w[i].substr(eq + 1);
    if (key == "role" && (value == "client" || value == "server")) {
      p.client = value == "client";
      role = true;
    } else if (key == "version" && (value == "tls1.3" || value == "tls1.2" || value == "dtls1.2" || value == "any")) {
      p.tls13 = value == "tls1.3";
      p.dtls = value == "dtls1.2";
      p.any_version = value == "any";
      version = true;
    } else if (key == "suite" && !value.empty()) {
      p.suite = value;
    } else if (key == "tickets" && parse_count(value) && *parse_count(value) <= 1000) {
      p.tickets = static_cast<int>(*parse_count(value));
    } else if (key == "cert" && !value.empty()) {
      p.cert = value;
    } else if (key == "key" && !value.empty()) {
      p.key = value;
    } else if (key == "sni" && !value.empty()) {
      p.sni = value;
    } else if (key == "ticket_keys") {
      // A secret: the error names the field, never its value.
      auto keys = hex_arg({key, value});
      if (std::holds_alternative<error>(keys)) return fail("bad handshake argument: ticket_keys= takes hex");
      p.ticket_keys = std::move(std::get<bytes>(keys));
      if (p.ticket_keys.empty()) return fail("bad handshake argument: ticket_keys= is empty");
    } else {
      return fail("bad handshake argument: " + w[i]);
    }
  }
  if (!role || !version || p.suite.empty()) {
    return fail("usage: handshake role=client|server version=tls1.3|tls1.2|dtls1.2|any suite=NAME[:NAME...] "
                       "[tickets=N] [cert=PATH key=PATH] [sni=NAME] [ticket_keys=HEX]");
  }
  if (p.cert.empty() != p.key.empty()) return fail("cert= and key= go together");
  if (!p.cert.empty() && p.client) return fail("cert= and key= are for role=server");
  if (!p.sni.empty() && !p.client) return fail("sni= is for role=client");
  if (!p.ticket_keys.empty() && p.client) return fail("ticket_keys= is for role=server");
  // DTLS needs datagrams and TLS a stream: records of the one over the other's socket
  // would be cut or run together where the protocol does not expect it.
  if (p.dtls && !socket_.datagram()) return fail("version=dtls1.2 needs a SOCK_DGRAM socket");
  if (!p.dtls && socket_.datagram()) return fail("a SOCK_DGRAM socket carries DTLS only: version=dtls1.2");
  const std::string why = tls_.handshake(p);
  if (!why.empty()) return fail(why);
  // The handshake's own bytes and secrets, for captures only (the runner's hand-off needs
  // neither); the step capture starts empty.
  emit("ok handshake " + tls_.handoff_fields() + " keylog=" + tls_.keylog_field() +
       " hs_wire=" + socket_.wire_segments());
  socket_.clear_wire();
  return std::nullopt;
}

failure Peer::set_mode(const std::vector<std::string>& w) {
  if (w.size() != 2 || (w[1] != "blocking" && w[1] != "nonblocking")) {
    return fail("usage: mode blocking|nonblocking");
  }
  // After `close` there is no O_NONBLOCK to change; the mode is still recorded, and
  // every later socket step answers `error fd closed` anyway.
  if (!socket_.set_blocking(w[1] == "blocking")) {
    return fail(std::string("fcntl: ") + std::strerror(errno));
  }
  emit("ok mode " + w[1]);
  return std::nullopt;
}

failure Peer::require_socket() const {
  if (socket_.closed()) return fail("fd closed");
  return std::nullopt;
}

failure Peer::require_ssl() const {
  if (auto e = require_socket()) return e;
  if (!tls_.ready()) return fail("no handshake");
  return std::nullopt;
}

// One step: a clean slate (error queue, errno, wire capture, alert list), the call, then
// the `done` line. `reason` is read before anything else can touch the error queue.
template <class Body>
void Peer::step(const std::string& call, Body body) {
  ERR_clear_error();
  tls_.take_alerts();
  socket_.clear_wire();
  errno = 0;
  Outcome o = body();
  const std::string reason = step_reason();
  int flags = tls_.ssl() != nullptr ? SSL_get_shutdown(tls_.ssl()) : 0;
  // data= and wire= are the bulk of a step that moves much (200 KB each way in
  // nonblocking-io, 400 KB of hex each): one buffer of the final size, the hex written
  // straight into it, rather than a chain of `+` that copies them again and again.
  const bytes& wire = socket_.wire();
  std::string line;
  line.reserve(200 + call.size() + o.err.size() + reason.size() + 2 * (o.data.size() + wire.size()));
  line += "done call=";
  line += call;
  line += " ret=" + std::to_string(o.ret) + " err=" + o.err + " flags=" + std::to_string(flags) + " data=";
  append_hex(line, o.data.data(), o.data.size());
  line += " recv=" + tls_.take_alerts() + " errno=" + std::to_string(o.err_no) +
          " rx=" + std::to_string(socket_.rx()) + " tx=" + std::to_string(socket_.tx()) + " wire=";
  append_hex(line, wire.data(), wire.size());
  line += " reason=";
  line += reason;
  emit(line);
}

// `saved_errno` is errno straight after the call, before SSL_get_error or anything else
// can change it.
Outcome Peer::ssl_result(int ret, int saved_errno) const {
  Outcome o;
  o.ret = ret;
  int err = SSL_get_error(tls_.ssl(), ret);
  o.err = error_name(err);
  if (err == SSL_ERROR_SYSCALL) o.err_no = saved_errno;
  return o;
}

Outcome Peer::ssl_write(const bytes& content) {
  if (content != write_buffer_) write_buffer_ = content;  // same bytes: same pointer
  errno = 0;
  int r = SSL_write(tls_.ssl(), write_buffer_.data(), static_cast<int>(write_buffer_.size()));
  return ssl_result(r, errno);
}

// read_all / write_all in nonblocking mode: the socket has nothing to read / no room, so
// say so and wait as a blocking call would. (In blocking mode the BIO waits itself and
// these errors do not occur.)
void Peer::wait_for(int err) {
  if (err == SSL_ERROR_WANT_READ) socket_.wait_readable();
  if (err == SSL_ERROR_WANT_WRITE) socket_.wait_writable();
}

Outcome Peer::read_all(std::size_t n) {
  Outcome o;
  bytes buf(std::min(n, kMaxReadBuffer));
  while (o.data.size() < n) {
    errno = 0;
    int r = SSL_read(tls_.ssl(), buf.data(), static_cast<int>(std::min(n - o.data.size(), buf.size())));
    int saved = errno;
    if (r > 0) {
      o.data.insert(o.data.end(), buf.begin(), buf.begin() + r);
      continue;
    }
    int err = SSL_get_error(tls_.ssl(), r);
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
      wait_for(err);
      continue;
    }
    // A failure that no retry will fix: report this call, with the bytes read so far.
    Outcome failed = ssl_result(r, saved);
    failed.data = std::move(o.data);
    return failed;
  }
  // Complete: ret is the total, and err what SSL_get_error makes of it (NONE unless n
  // is 0), as for every SSL step.
  Outcome done = ssl_result(static_cast<int>(n), 0);
  done.data = std::move(o.data);
  return done;
}

Outcome Peer::write_all(std::size_t n) {
  bytes content = pattern(n);
  for (;;) {
    Outcome o = ssl_write(content);
    // Without SSL_MODE_ENABLE_PARTIAL_WRITE, success is the whole buffer at once.
    if (o.ret > 0 || (o.err != "WANT_READ" && o.err != "WANT_WRITE")) return o;
    wait_for(o.err == "WANT_READ" ? SSL_ERROR_WANT_READ : SSL_ERROR_WANT_WRITE);
  }
}

}  // namespace

int run_connection(int fd) {
  Peer p(fd);
  if (!p.start()) {
    std::fprintf(stderr, "closenotify-peer: fd %d: %s\n", fd, std::strerror(errno));
    return 2;
  }
  std::string line;
  while (std::getline(std::cin, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    switch (p.run(line)) {
      case Peer::next::command: continue;
      case Peer::next::quit: return 0;
      case Peer::next::handed_off:
        emit(p.handoff_line());
        // No SSL_free, no destructors, no atexit handlers: the connection now belongs to
        // the runner's closenotify endpoint, and not one more byte may reach the socket.
        _exit(0);
    }
  }
  return 0;  // EOF on stdin: the socket is left as it is
}

namespace {

// One descriptor sent with SCM_RIGHTS on `channel`; -1 with errno set when none came.
int receive_socket(int channel) {
  char byte = 0;
  iovec iov{&byte, 1};
  alignas(cmsghdr) char space[CMSG_SPACE(sizeof(int))];
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = space;
  msg.msg_controllen = sizeof space;
  ssize_t n;
  do {
    n = ::recvmsg(channel, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  if (n <= 0) {
    if (n == 0) errno = ECONNRESET;
    return -1;
  }
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  if (c == nullptr || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS ||
      c->cmsg_len != CMSG_LEN(sizeof(int)) || (msg.msg_flags & MSG_CTRUNC) != 0) {
    errno = EBADMSG;
    return -1;
  }
  int fd = -1;
  std::memcpy(&fd, CMSG_DATA(c), sizeof fd);
  return fd;
}

}  // namespace

int run_pooled(int channel) {
  std::optional<Peer> p;
  std::string line;
  while (std::getline(std::cin, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line == "attach") {
      if (p) {
        emit("error attach: a connection is attached (release it first)");
        continue;
      }
      const int fd = receive_socket(channel);
      if (fd < 0) {
        emit(std::string("error attach: no socket on the channel: ") + std::strerror(errno));
        continue;
      }
      p.emplace(fd);
      p->stop_waiting_on_input(0);
      if (!p->start()) {
        emit(std::string("error attach: ") + std::strerror(errno));
        p.reset();
        continue;
      }
      emit("ok attach");
    } else if (line == "release") {
      // SSL_free in ~Tls writes nothing; the socket is closed first all the same.
      if (p) p->drop();
      p.reset();
      emit("ok release");
    } else if (!p && line != "hello" && line != "quit") {
      emit("error no connection attached (attach first)");
    } else {
      if (!p) {
        // hello and quit need no connection: run them on a closed one.
        Peer none(-1);
        if (none.run(line) == Peer::next::quit) return 0;
        continue;
      }
      switch (p->run(line)) {
        case Peer::next::command: break;
        case Peer::next::quit: return 0;
        case Peer::next::handed_off:
          // The runner's endpoint owns the connection now: close this copy of the socket
          // (not a byte on it; the runner holds its own) before saying so.
          p->drop();
          emit(p->handoff_line());
          p.reset();
          break;
      }
    }
  }
  return 0;
}

}  // namespace peer

int main(int argc, char** argv) {
  try {
    // A write to a socket the other side has closed must be EPIPE, never a fatal signal
    // (the BIO uses MSG_NOSIGNAL too; this covers anything else).
    std::signal(SIGPIPE, SIG_IGN);
    std::vector<std::string> args(argv + 1, argv + argc);
    // Benchmark modes (tools/peer/bench.cpp): the counting allocator goes in before
    // OpenSSL allocates anything. The line protocol below is not involved.
    if (!args.empty() && (args[0] == "--bench" || args[0] == "--bench-syscalls")) {
      peer::bench::install_counting_allocator();
      const std::vector<std::string> rest(args.begin() + 1, args.end());
      return args[0] == "--bench" ? peer::bench::run(rest) : peer::bench::run_syscalls(rest);
    }
    // The protocol modes: keep freed memory instead of returning it to the kernel. A step
    // that moves 200 KB builds lines of 400 KB and more (data=, wire= in hex), and under
    // glibc's defaults (mmap from 128 KiB, the heap top trimmed past twice that, both
    // moving with what is freed) every such case got its large buffers as fresh pages:
    // in a pooled peer the page faults, brk calls and TLB flushes cost more than the hex
    // itself. Fixed thresholds stop the moving ("Dynamic adjustment of the mmap threshold
    // is disabled if any of the M_TRIM_THRESHOLD, M_TOP_PAD, M_MMAP_THRESHOLD, or
    // M_MMAP_MAX parameters is set", mallopt(3)): the heap grows to the largest case once
    // and is reused. 32 MiB is the threshold's upper limit on 64-bit (mallopt(3),
    // DEFAULT_MMAP_THRESHOLD_MAX); a buffer past it is mmapped, as it should be.
    mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);
    mallopt(M_TRIM_THRESHOLD, 128 * 1024 * 1024);
    if (args.size() == 2 && args[0] == "--pool") {
      const auto channel = peer::parse_count(args[1]);
      if (channel && *channel <= 1'000'000 && fcntl(static_cast<int>(*channel), F_GETFD) >= 0) {
        return peer::run_pooled(static_cast<int>(*channel));
      }
    }
    std::optional<std::size_t> fd;
    if (args.size() == 2 && args[0] == "--fd") fd = peer::parse_count(args[1]);
    if (!fd || *fd > 1'000'000 || fcntl(static_cast<int>(*fd), F_GETFD) < 0) {
      std::fprintf(stderr,
                   "usage: closenotify-peer --fd N   (N: an inherited, connected AF_UNIX stream socket, or datagram for DTLS;\n"
                   "       commands on stdin, answers on stdout, see docs/peer-protocol.md)\n"
                   "       closenotify-peer --pool N   (N: an AF_UNIX socket that carries one connected socket\n"
                   "       per `attach` command; `release` ends it, and the next case can attach)\n"
                   "       closenotify-peer --bench SUITE | --bench-syscalls SUITE K shutdown|none [read-ahead]\n"
                   "       (OpenSSL's side of `closenotify bench`, see tools/peer/bench.cpp)\n");
      return 2;
    }
    return peer::run_connection(static_cast<int>(*fd));
  } catch (const std::exception& e) {
    peer::emit(std::string("error internal: ") + e.what());
    return 1;
  } catch (...) {
    peer::emit("error internal: unknown exception");
    return 1;
  }
}

// live.cpp — one connection with a real TLS peer: handshake by the OpenSSL peer process
// on the socket, hand-off, then closenotify's endpoint for the exchange and the teardown
// (live.hpp). Every wait is a poll(2) with a deadline, so a silent or hostile peer only
// ever costs its own connection a bounded time.
#include "live.hpp"

#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <optional>
#include <variant>

#include "json.hpp"
#include "session_keys.hpp"
#include "side.hpp"
#include "tcp.hpp"
#include "closenotify/alert.hpp"
#include "closenotify/cipher_suite.hpp"
#include "closenotify/endpoint.hpp"
#include "closenotify/transport.hpp"

namespace closenotify::cli::live {

std::string_view to_string(respond_mode m) noexcept {
  switch (m) {
    case respond_mode::http: return "http";
    case respond_mode::echo: return "echo";
    case respond_mode::none: return "none";
  }
  return "?";
}

std::string_view to_string(shutdown_policy p) noexcept {
  switch (p) {
    case shutdown_policy::bidirectional: return "bidirectional";
    case shutdown_policy::fast: return "fast";
    case shutdown_policy::quiet: return "quiet";
    case shutdown_policy::wait_peer: return "wait-peer";
    case shutdown_policy::none: return "none";
  }
  return "?";
}

namespace {

using clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

enum class waited : std::uint8_t { ready, timeout, stopped };

bool stop_requested(int stop_fd) {
  if (stop_fd < 0) return false;
  pollfd p{stop_fd, POLLIN, 0};
  return ::poll(&p, 1, 0) > 0 && (p.revents & POLLIN) != 0;
}

// wait_fd: until `fd` reports `events` (or an error or hang-up, which the next call then
// reports), the deadline passes, or the program is stopping.
waited wait_fd(int fd, short events, clock::time_point deadline, int stop_fd) {
  for (;;) {
    const auto left = std::chrono::duration_cast<milliseconds>(deadline - clock::now()).count();
    if (left <= 0) return waited::timeout;
    pollfd p[2] = {{fd, events, 0}, {stop_fd, POLLIN, 0}};
    const int r = ::poll(p, stop_fd >= 0 ? 2 : 1, static_cast<int>(std::min<long long>(left, 1 << 30)));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return waited::ready;
    if (r == 0) continue;
    if (stop_fd >= 0 && (p[1].revents & POLLIN) != 0) return waited::stopped;
    return waited::ready;
  }
}

std::string seconds(milliseconds d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g s", static_cast<double>(d.count()) / 1000.0);
  return buf;
}

}  // namespace

std::string handshake_command(role r, const settings& s) {
  std::string command = std::string("handshake role=") + (r == role::server ? "server" : "client") +
                        " version=" + s.version + " suite=" + s.suites;
  if (r == role::server && !s.cert.empty()) command += " cert=" + s.cert + " key=" + s.key;
  if (r == role::server && !s.ticket_keys.empty()) command += " ticket_keys=" + s.ticket_keys;
  if (r == role::client && !s.sni.empty()) command += " sni=" + s.sni;
  return command;
}

namespace {

// handshake: the OpenSSL peer on `fd` does the handshake and hands the keys over; it
// closes its copy of the socket without another byte on it. A silent client costs
// handshake_timeout.
tools::result<diff::session_keys> handshake(int fd, role r, const settings& s, clock::time_point deadline) {
  auto spawned = diff::spawn_peer(s.peer_path, fd);
  if (auto* e = std::get_if<tools::error>(&spawned)) return *e;
  auto& peer = std::get<std::unique_ptr<diff::side>>(spawned);
  auto answer = [&](const std::string& command) -> tools::result<diff::message> {
    if (!peer->send(command)) return tools::fail("the OpenSSL peer is gone");
    for (;;) {
      if (stop_requested(s.stop_fd)) return tools::fail("stopped (the program is exiting)");
      const auto left = std::chrono::duration_cast<milliseconds>(deadline - clock::now());
      if (left.count() <= 0) return tools::fail("handshake timed out after " + seconds(s.handshake_timeout));
      auto m = peer->next(std::min(left, milliseconds(100)));
      if (!m || m->kind == diff::message_kind::blocked) continue;
      if (m->kind == diff::message_kind::ok) return *m;
      return tools::fail(m->text);
    }
  };
  auto hs = answer(handshake_command(r, s));
  if (auto* e = std::get_if<tools::error>(&hs)) {
    peer->terminate();
    return *e;
  }
  auto handed = answer("handoff");
  peer->terminate();  // released to the pool, or killed: either way it never writes again
  if (auto* e = std::get_if<tools::error>(&handed)) return tools::fail("hand-off: " + e->message);
  auto keys = diff::keys_from_message(std::get<diff::message>(handed), r);
  if (auto* e = std::get_if<config_error>(&keys)) return tools::fail("hand-off: " + e->message);
  return std::get<diff::session_keys>(keys);
}

std::string alert_name(alert a) {
  if (a.level == alert_level::warning) return std::string(to_string(a.description));
  return std::string(to_string(a.level)) + " " + std::string(to_string(a.description));
}

std::string error_name(ssl_error e) {
  std::string n(to_string(e));
  if (n.starts_with("SSL_ERROR_")) n.erase(0, 10);
  return n;
}

std::string describe(const record_event& ev) {
  switch (ev.type) {
    case content_type::alert:
      if (ev.plaintext.size() == 2) {
        return "alert " + std::string(to_string(static_cast<alert_level>(ev.plaintext[0]))) + " " +
               std::string(to_string(static_cast<alert_description>(ev.plaintext[1])));
      }
      return "alert (" + std::to_string(ev.plaintext.size()) + " bytes, malformed)";
    case content_type::application_data:
      return "application_data " + std::to_string(ev.plaintext.size()) + " B";
    case content_type::handshake: {
      std::string what = "handshake";
      if (!ev.plaintext.empty()) {
        switch (ev.plaintext[0]) {
          case 4: what += " NewSessionTicket"; break;
          case 24: what += " KeyUpdate"; break;
          case 0: what += " HelloRequest"; break;
          default: what += " type " + std::to_string(ev.plaintext[0]); break;
        }
      }
      return what + " (" + std::to_string(ev.plaintext.size()) + " B)";
    }
    default:
      return std::string(to_string(ev.type)) + " " + std::to_string(ev.plaintext.size()) + " B";
  }
}

constexpr std::string_view kBody = "hello from closenotify\n";

std::string http_response() {
  return "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " + std::to_string(kBody.size()) +
         "\r\nConnection: close\r\n\r\n" + std::string(kBody);
}

// response_complete: the response has its headers and, if it says how long its body is,
// the whole body. Without Content-Length the end is the peer's close.
bool response_complete(const std::string& r) {
  const auto end = r.find("\r\n\r\n");
  if (end == std::string::npos) return false;
  std::string head = r.substr(0, end);
  for (char& c : head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const auto cl = head.find("\r\ncontent-length:");
  if (cl == std::string::npos) return false;
  const std::size_t length = std::strtoul(head.c_str() + cl + 17, nullptr, 10);
  return r.size() - (end + 4) >= length;
}

class connection {
 public:
  connection(int fd, role r, const settings& s, report& rep) : fd_(fd), s_(s), rep_(rep), start_(clock::now()) {
    rep_.local_role = r;
  }

  void run() {
    // Before the handshake: the peer's flights and the NewSessionTickets go out on the
    // same socket, and the option is the socket's.
    if (auto why = tcp::set_nodelay(fd_); !why.empty()) note(why);
    auto hs = handshake(fd_, rep_.local_role, s_, start_ + s_.handshake_timeout);
    if (auto* e = std::get_if<tools::error>(&hs)) {
      rep_.outcome = "handshake-failed";
      rep_.error = e->message;
      note(e->message);
      // The peer may have sent a fatal alert the client has yet to read.
      linger_ = true;
      return;
    }
    const auto& keys = std::get<diff::session_keys>(hs);
    rep_.handshake_ok = true;
    rep_.version = keys.suite->version == protocol_version::tls13 ? "tls1.3" : "tls1.2";
    rep_.suite = std::string(keys.suite->name);
    note("handshake done by the OpenSSL peer process, keys handed over: " + rep_.version + " " + rep_.suite +
         ", " + std::to_string(keys.read_sequence) + " records read and " + std::to_string(keys.write_sequence) +
         " written under the traffic keys");
    auto read = keys.read_protection();
    auto write = keys.write_protection();
    for (auto* p : {&read, &write}) {
      if (auto* e = std::get_if<config_error>(p)) {
        rep_.outcome = "error";
        rep_.error = "keys: " + e->message;
        close_now();
        return;
      }
    }
    fd_transport t(fd_);
    t.set_nonblocking(true);
    endpoint_options options;
    options.profile = s_.profile;
    endpoint e(t, rep_.local_role, std::move(std::get<record_protection>(read)),
               std::move(std::get<record_protection>(write)), options);
    e_ = &e;
    e.set_record_observer([this](const record_event& ev) { on_record(ev); });
    e.set_alert_observer([this](const alert& a) { on_alert(a); });
    const bool exchanged = rep_.local_role == role::server ? serve_exchange() : client_exchange();
    teardown(exchanged);
    e_ = nullptr;
    close_now();  // before settle: our FIN or RST may be the first close
    settle(exchanged);
  }

  // close_now: the last act on the socket, which is itself a close on the wire when
  // nothing closed before it: a FIN, or a RST when data we never read is still queued
  // (RFC 1122, 4.2.2.13: "If such a host issues a CLOSE call while received data is still
  // pending in TCP, or if new data is received after CLOSE is called, its TCP SHOULD send
  // a RST"). After a fatal alert of ours (or a failed handshake, whose alert the peer
  // process may have sent) the close lingers, so that the alert is read before any RST.
  void close_now() {
    if (fd_ >= 0) {
      peer_close_arrived();
      int unread = 0;
      if (!linger_ && ::ioctl(fd_, FIONREAD, &unread) != 0) unread = 0;
      first_close("we", linger_ || unread == 0 ? "FIN" : "RST", closing_note());
      if (linger_) tcp::lingering_close(fd_, s_.stop_fd);
      else diff::close_socket(fd_);
    }
    fd_ = -1;
    rep_.ms = std::chrono::duration<double, std::milli>(clock::now() - start_).count();
  }

 private:
  struct result {
    int ret = 0;
    ssl_error err = ssl_error::none;
    waited w = waited::ready;
  };

  void note(const std::string& line) {
    if (!s_.trace) return;
    char stamp[32];
    std::snprintf(stamp, sizeof stamp, "%8.1f ms  ", std::chrono::duration<double, std::milli>(clock::now() - start_).count());
    rep_.trace.push_back(stamp + line);
  }

  // first_close: the first close_notify, FIN or RST on the wire, and whose
  // (docs/interop.md). Each side's acts are seen in the order they happen here; the
  // other side's FIN or RST is seen as soon as it has reached the socket
  // (peer_close_arrived, asked before each closing act of ours), its close_notify once
  // read.
  void first_close(const char* who, const char* what, std::string note = "") {
    if (!rep_.first_close.empty()) return;
    rep_.first_close = who;
    rep_.first_close_how = what;
    rep_.first_close_note = std::move(note);
  }

  void peer_close_arrived() {
    if (!rep_.first_close.empty() || fd_ < 0) return;
    switch (tcp::peer_closed(fd_)) {
      case tcp::arrived::fin:
        first_close("peer", "FIN");
        fin_seen_unread_ = true;
        break;
      case tcp::arrived::rst: first_close("peer", "RST"); break;
      case tcp::arrived::nothing: break;
    }
  }

  // What led to our FIN or RST, for the log.
  std::string closing_note() const {
    if (!last_fatal_sent_.empty()) return "after " + last_fatal_sent_ + " sent";
    if (!rep_.handshake_ok) return "handshake failed";
    if (s_.policy == shutdown_policy::quiet) return "quiet shutdown: no close_notify";
    if (s_.policy == shutdown_policy::wait_peer) return "no alert, after the wait";
    if (s_.policy == shutdown_policy::none) return "no alert";
    return "";
  }

  void on_record(const record_event& ev) {
    if (ev.sent && ev.type == content_type::alert && ev.plaintext.size() == 2) {
      const alert a{static_cast<alert_level>(ev.plaintext[0]), static_cast<alert_description>(ev.plaintext[1])};
      rep_.alerts_sent.push_back(alert_name(a));
      peer_close_arrived();  // a fatal alert answering the peer's FIN comes after it
      if (a.description == alert_description::close_notify) {
        rep_.close_notify_sent = true;
        first_close("we", "close_notify");
      } else if (a.level == alert_level::fatal) {
        // Not a close by the definition, but the reason for ours; and the socket must
        // linger so that the client reads it (close_now).
        last_fatal_sent_ = "fatal " + std::string(to_string(a.description));
        linger_ = true;
      }
    }
    note((ev.sent ? "--> " : "<-- ") + describe(ev));
  }

  void on_alert(const alert& a) {
    rep_.alerts_received.push_back(alert_name(a));
    if (a.description == alert_description::close_notify) {
      rep_.close_notify_received = true;
      // A FIN seen before this close_notify was read came after it on the wire.
      if (fin_seen_unread_ && rep_.first_close == "peer") rep_.first_close_how = "close_notify";
      first_close("peer", "close_notify");
    }
  }

  clock::time_point io_deadline() const { return clock::now() + s_.io_timeout; }

  // call: one endpoint call, repeated while it wants the socket and the socket comes
  // ready before the deadline (the nonblocking idiom of SSL_get_error).
  template <class F>
  result call(const std::string& what, F f, clock::time_point deadline) {
    for (;;) {
      result r;
      r.ret = f();
      r.err = e_->get_error(r.ret);
      note("endpoint." + what + " = " + std::to_string(r.ret) + " " + error_name(r.err) + ", flags " +
           std::to_string(e_->get_shutdown()) +
           (e_->error_reason().empty() ? "" : ", \"" + std::string(e_->error_reason()) + "\""));
      if (r.err != ssl_error::want_read && r.err != ssl_error::want_write) return r;
      r.w = wait_fd(fd_, r.err == ssl_error::want_read ? POLLIN : POLLOUT, deadline, s_.stop_fd);
      if (r.w != waited::ready) return r;
    }
  }

  // failed_call: record why a call ended without success. False for a plain timeout
  // (the connection itself is still sound).
  bool failed_call(const result& r, const std::string& during) {
    if (r.w == waited::timeout) {
      if (rep_.error.empty()) rep_.error = "timed out " + during + " (" + seconds(s_.io_timeout) + ")";
      note("timed out " + during);
      return false;
    }
    if (r.w == waited::stopped) {
      if (rep_.error.empty()) rep_.error = "stopped " + during + " (the program is exiting)";
      return true;
    }
    std::string reason(e_->error_reason());
    if (r.err == ssl_error::syscall) {
      const int os = e_->os_error();
      if (os == ECONNRESET || os == EPIPE) first_close("peer", "RST");
      else if (os == 0) first_close("peer", "FIN");
      if (reason.empty()) reason = os != 0 ? std::string(std::strerror(os)) : "EOF";
    }
    if (reason.find("unexpected eof") != std::string::npos) first_close("peer", "FIN");
    peer_close_arrived();
    if (reason.empty()) reason = error_name(r.err);
    if (rep_.error.empty()) rep_.error = reason;
    return true;
  }

  // write_all: one write of `data`, retried as OpenSSL requires. False if it failed.
  bool write_all(std::string_view data) {
    std::vector<std::uint8_t> buf(data.begin(), data.end());
    auto r = call("write(" + std::to_string(buf.size()) + ")", [&] { return e_->write(buf); }, io_deadline());
    if (r.ret > 0) {
      rep_.bytes_out += static_cast<std::size_t>(r.ret);
      return true;
    }
    failed_call(r, "writing");
    return false;
  }

  // read_once: one successful read into `got`, or why not. `zero` is set on ZERO_RETURN.
  enum class read_end : std::uint8_t { data, zero_return, timeout, failed };
  read_end read_once(std::string& got, clock::time_point deadline, const std::string& during) {
    std::uint8_t buf[16384];
    auto r = call("read(16384)", [&] { return e_->read(buf); }, deadline);
    if (r.ret > 0) {
      got.append(reinterpret_cast<const char*>(buf), static_cast<std::size_t>(r.ret));
      rep_.bytes_in += static_cast<std::size_t>(r.ret);
      return read_end::data;
    }
    if (r.err == ssl_error::zero_return) return read_end::zero_return;
    return failed_call(r, during) ? read_end::failed : read_end::timeout;
  }

  // The exchange; false if the connection broke (a fatal error or I/O error).
  bool serve_exchange() {
    switch (s_.respond) {
      case respond_mode::none:
        return true;
      case respond_mode::http: {
        std::string request;
        const auto deadline = io_deadline();
        while (request.find("\r\n\r\n") == std::string::npos && request.size() < 65536) {
          auto end = read_once(request, deadline, "waiting for the request");
          if (end == read_end::failed) return false;
          if (end != read_end::data) break;
        }
        if (request.find("\r\n\r\n") == std::string::npos) return true;
        return write_all(http_response());
      }
      case respond_mode::echo: {
        for (;;) {
          std::string got;
          auto end = read_once(got, io_deadline(), "waiting for data to echo");
          if (end == read_end::failed) return false;
          if (end == read_end::timeout) {
            rep_.error.clear();  // an idle echo client is the normal end of an echo
            return true;
          }
          if (end == read_end::zero_return) return true;
          if (!write_all(got)) return false;
        }
      }
    }
    return true;
  }

  bool client_exchange() {
    switch (s_.respond) {
      case respond_mode::none:
        return true;
      case respond_mode::http: {
        if (!write_all("GET / HTTP/1.0\r\nHost: " + s_.host_header + "\r\nUser-Agent: closenotify\r\n\r\n")) return false;
        std::string response;
        const auto deadline = io_deadline();
        while (!response_complete(response)) {
          auto end = read_once(response, deadline, "waiting for the response");
          if (end == read_end::failed) return false;
          if (end != read_end::data) break;
        }
        return true;
      }
      case respond_mode::echo: {
        const std::string line = "closenotify echo " + std::to_string(rep_.id) + "\n";
        if (!write_all(line)) return false;
        std::string back;
        const auto deadline = io_deadline();
        while (back.size() < line.size()) {
          auto end = read_once(back, deadline, "waiting for the echo");
          if (end == read_end::failed) return false;
          if (end != read_end::data) break;
        }
        return true;
      }
    }
    return true;
  }

  void shutdown_once(clock::time_point deadline, const std::string& during) {
    rep_.shutdown_called = true;
    auto r = call("shutdown()", [&] { return e_->shutdown(); }, deadline);
    rep_.shutdown_ret = r.ret;
    if (r.ret < 0) failed_call(r, during);
  }

  void teardown(bool exchanged) {
    // After a fatal error there is nothing left to shut down: OpenSSL's SSL_shutdown
    // would refuse too ("shutdown while in init"); the socket is just closed.
    if (!exchanged || e_->failed()) {
      note("connection broken: no shutdown");
      return;
    }
    switch (s_.policy) {
      case shutdown_policy::bidirectional: {
        const auto deadline = io_deadline();
        shutdown_once(deadline, "in shutdown");
        if (rep_.shutdown_ret == 0) shutdown_once(deadline, "waiting for the peer's close_notify");
        break;
      }
      case shutdown_policy::fast:
        shutdown_once(io_deadline(), "in shutdown");
        break;
      case shutdown_policy::quiet:
        e_->set_quiet_shutdown(true);
        shutdown_once(io_deadline(), "in shutdown");
        break;
      case shutdown_policy::wait_peer: {
        const auto deadline = io_deadline();
        while (!rep_.close_notify_received) {
          std::string discard;
          auto end = read_once(discard, deadline, "waiting for the peer's close_notify");
          if (end == read_end::failed || end == read_end::timeout) break;
          if (end == read_end::zero_return) break;
        }
        if (rep_.close_notify_received && !e_->failed()) shutdown_once(io_deadline(), "in shutdown");
        break;
      }
      case shutdown_policy::none:
        break;
    }
  }

  void settle(bool exchanged) {
    const bool timed_out = rep_.error.starts_with("timed out");
    if (rep_.close_notify_sent && rep_.close_notify_received) rep_.outcome = "clean";
    else if (!rep_.error.empty() && !timed_out) rep_.outcome = "error";
    else if (rep_.close_notify_sent) rep_.outcome = "sent-only";
    else if (rep_.close_notify_received) rep_.outcome = "received-only";
    else rep_.outcome = "no-close-notify";

    if (rep_.close_notify_received) {
      rep_.peer_close = "peer close_notify received";
    } else if (rep_.first_close == "peer") {
      rep_.peer_close = "peer: " + rep_.first_close_how + " without close_notify";
    } else if (timed_out) {
      rep_.peer_close = "no close_notify from peer (" + rep_.error + ")";
    } else if (!rep_.error.empty()) {
      rep_.peer_close = "no close_notify from peer (" + rep_.error + ")";
    } else {
      rep_.peer_close = "peer close_notify not awaited";
    }

    const bool clean_exchange = exchanged && (rep_.error.empty() || rep_.close_notify_received);
    switch (s_.policy) {
      case shutdown_policy::bidirectional: rep_.goal_met = rep_.shutdown_called && rep_.shutdown_ret == 1; break;
      case shutdown_policy::fast: rep_.goal_met = clean_exchange && rep_.close_notify_sent && rep_.shutdown_ret >= 0; break;
      case shutdown_policy::quiet:
      case shutdown_policy::none: rep_.goal_met = clean_exchange && rep_.alerts_sent.empty(); break;
      case shutdown_policy::wait_peer: rep_.goal_met = rep_.close_notify_received && rep_.shutdown_ret == 1; break;
    }
  }

  int fd_;
  const settings& s_;
  report& rep_;
  clock::time_point start_;
  endpoint* e_ = nullptr;
  bool linger_ = false;            // close with tcp::lingering_close
  bool fin_seen_unread_ = false;   // the peer's FIN seen by poll, before what it followed was read
  std::string last_fatal_sent_;    // "fatal record_overflow"
};

}  // namespace

report run(int fd, role local_role, const settings& s, unsigned long id, std::string address) {
  report rep;
  rep.id = id;
  rep.address = std::move(address);
  connection c(fd, local_role, s, rep);
  c.run();
  c.close_now();
  return rep;
}

namespace {

std::string list(const std::vector<std::string>& v) {
  if (v.empty()) return "none";
  std::string out;
  for (const auto& x : v) out += (out.empty() ? "" : ", ") + x;
  return out;
}

}  // namespace

std::string format_line(const report& r) {
  char ms[32];
  std::snprintf(ms, sizeof ms, "%.1f ms", r.ms);
  std::string line = "conn " + std::to_string(r.id) + " " + r.address;
  if (!r.handshake_ok) return line + ": " + r.error + "; outcome handshake-failed; " + ms;
  const bool server = r.local_role == role::server;
  line += " " + r.version + " " + r.suite + ": request " + std::to_string(server ? r.bytes_in : r.bytes_out) +
          " B, response " + std::to_string(server ? r.bytes_out : r.bytes_in) + " B; ";
  if (r.first_close.empty()) line += "nobody closed";
  else line += (r.first_close == "we" ? "we closed first (" : "peer closed first (") + r.first_close_how +
                (r.first_close_note.empty() ? "" : ", " + r.first_close_note) + ")";
  line += ", " + r.peer_close + "; alerts sent: " + list(r.alerts_sent) + ", received: " + list(r.alerts_received) +
          "; shutdown " + (r.shutdown_called ? std::to_string(r.shutdown_ret) : std::string("-"));
  if (!r.error.empty()) line += "; error: " + r.error;
  return line + "; outcome " + r.outcome + "; " + ms;
}

std::string format_json(const report& r) {
  tools::json j = {{"conn", r.id},
                   {"address", r.address},
                   {"role", r.local_role == role::server ? "server" : "client"},
                   {"handshake", r.handshake_ok},
                   {"version", r.version},
                   {"suite", r.suite},
                   {"bytes_in", r.bytes_in},
                   {"bytes_out", r.bytes_out},
                   {"first_close", r.first_close},
                   {"first_close_how", r.first_close_how},
                   {"first_close_note", r.first_close_note},
                   {"peer_close", r.peer_close},
                   {"alerts_sent", r.alerts_sent},
                   {"alerts_received", r.alerts_received},
                   {"close_notify_sent", r.close_notify_sent},
                   {"close_notify_received", r.close_notify_received},
                   {"shutdown", r.shutdown_called ? tools::json(r.shutdown_ret) : tools::json(nullptr)},
                   {"error", r.error},
                   {"outcome", r.outcome},
                   {"goal_met", r.goal_met},
                   // milliseconds to the microsecond, as the text line's "%.1f ms" is to the tenth
                   {"ms", std::round(r.ms * 1000) / 1000}};
  if (!r.trace.empty()) j["trace"] = r.trace;
  return tools::json_text(j);  // one line: serve and connect log one object per line
}

}  // namespace closenotify::cli::live

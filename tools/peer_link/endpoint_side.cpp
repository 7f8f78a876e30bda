// endpoint_side.cpp — closenotify's endpoint as a side of a differential run: a thread
// that takes protocol commands and answers with the messages the OpenSSL peer would
// print, over a transport that announces, as the peer's socket BIO does, when a
// blocking call is about to wait. What a command calls is endpoint_verbs' (the fault
// harness runs the same); the socket, its waits and the messages are this file's.
#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <utility>

#include "closenotify/endpoint.hpp"
#include "closenotify/hex.hpp"
#include "endpoint_verbs.hpp"
#include "side.hpp"

namespace closenotify::diff {

std::optional<mutation> parse_mutation(std::string_view name) {
  if (name == "none") return mutation::none;
  if (name == "first-shutdown-returns-1") return mutation::first_shutdown_returns_one;
  if (name == "no-close-notify") return mutation::no_close_notify;
  if (name == "read-ignores-close-notify") return mutation::read_ignores_close_notify;
  return std::nullopt;
}

std::string_view mutation_names() {
  return "first-shutdown-returns-1, no-close-notify, read-ignores-close-notify";
}

namespace {

/// mailbox: messages from the endpoint thread to the runner.
class mailbox {
 public:
  void post(message m) {
    {
      std::lock_guard lock(mu_);
      q_.push_back(std::move(m));
    }
    cv_.notify_all();
  }
  std::optional<message> take(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    if (!cv_.wait_for(lock, timeout, [&] { return !q_.empty(); })) return std::nullopt;
    message m = std::move(q_.front());
    q_.pop_front();
    return m;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<message> q_;
};

/// probing_transport: the socket, with the OpenSSL peer's BIO semantics: in blocking
/// mode a read or write first tries without waiting and announces `blocked` before it
/// waits. Counts and captures bytes like the peer. On a SOCK_DGRAM socket (DTLS) it is a
/// datagram transport (transport.hpp) as fd_transport is: one datagram per read, cut to
/// the buffer, and one per write; rx counts whole datagrams, as the peer's BIO does.
class probing_transport final : public transport {
 public:
  probing_transport(int fd, int cancel_fd, mailbox& out, std::uint64_t rx, std::uint64_t tx, bool datagram)
      : fd_(fd), cancel_(cancel_fd), out_(out), rx_(rx), tx_(tx), datagram_(datagram) {}

  io_result read(mutable_bytes buf) noexcept override {
    for (;;) {
      if (fd_ < 0) return {io_status::error, 0, EBADF};
      // MSG_TRUNC on a datagram: the datagram's real length, whatever fitted (recv(2)).
      ssize_t n = ::recv(fd_, buf.data(), buf.size(), MSG_DONTWAIT | (datagram_ ? MSG_TRUNC : 0));
      if (n > 0) {
        rx_ += static_cast<std::uint64_t>(n);
        return {io_status::ok, std::min(static_cast<std::size_t>(n), buf.size())};
      }
      // An empty datagram reads as EOF, as memory_datagram_pipe and fd_transport have it.
      if (n == 0) return {io_status::eof};
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) return {io_status::error, 0, errno};
      if (nonblocking_) return {io_status::would_block};
      if (!wait(POLLIN, "read")) return {io_status::error, 0, ECANCELED};
    }
  }

  io_result write(bytes_view in) noexcept override {
    for (;;) {
      if (fd_ < 0) return {io_status::error, 0, EBADF};
      ssize_t n = ::send(fd_, in.data(), in.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
      if (n > 0 || (n == 0 && datagram_)) {  // an empty datagram is sent too
        tx_ += static_cast<std::uint64_t>(n);
        wire_.insert(wire_.end(), in.begin(), in.begin() + n);
        return {io_status::ok, static_cast<std::size_t>(n)};
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) return {io_status::error, 0, errno};
      if (nonblocking_) return {io_status::would_block};
      if (!wait(POLLOUT, "write")) return {io_status::error, 0, ECANCELED};
    }
  }

  void shutdown_write() noexcept override {
    if (fd_ >= 0) ::shutdown(fd_, SHUT_WR);
  }

  void close() {
    if (fd_ >= 0) close_socket(fd_);
    fd_ = -1;
  }
  bool closed() const { return fd_ < 0; }
  void set_nonblocking(bool on) {
    nonblocking_ = on;
    if (fd_ < 0) return;
    int flags = ::fcntl(fd_, F_GETFL);
    ::fcntl(fd_, F_SETFL, on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK);
  }
  bool nonblocking() const { return nonblocking_; }

  /// wait: announce, then wait for the socket (or for the runner to cancel the run).
  bool wait(short events, const char* what) {
    message m;
    m.kind = message_kind::blocked;
    m.text = std::string(what) + " rx=" + std::to_string(rx_) + " tx=" + std::to_string(tx_);
    m.fields["rx"] = std::to_string(rx_);
    m.fields["tx"] = std::to_string(tx_);
    out_.post(std::move(m));
    pollfd p[2] = {{fd_, events, 0}, {cancel_, POLLIN, 0}};
    for (;;) {
      int r = ::poll(p, 2, -1);
      if (r < 0 && errno == EINTR) continue;
      if (r < 0 || (p[1].revents & POLLIN)) return false;
      return true;
    }
  }

  std::vector<std::uint8_t> take_wire() { return std::exchange(wire_, {}); }
  std::uint64_t rx() const { return rx_; }
  std::uint64_t tx() const { return tx_; }

 private:
  int fd_;
  int cancel_;
  mailbox& out_;
  std::uint64_t rx_;
  std::uint64_t tx_;
  bool datagram_;
  bool nonblocking_ = false;
  std::vector<std::uint8_t> wire_;
};

std::vector<std::uint8_t> pattern(std::size_t n) {
  std::vector<std::uint8_t> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<std::uint8_t>(i % 251);
  return v;
}

endpoint_options options_for(profile_id profile) {
  endpoint_options o;
  o.profile = profile;
  return o;
}

class endpoint_side final : public side {
 public:
  endpoint_side(int fd, const session_keys& keys, record_protection read, record_protection write, mutation m,
                profile_id profile)
      : cancel_(::eventfd(0, EFD_CLOEXEC)),
        transport_(fd, cancel_, out_, keys.rx, keys.tx, keys.dtls),
        endpoint_(transport_, keys.local_role, std::move(read), std::move(write), options_for(profile)),
        mutation_(m) {
    // DTLS: the read epoch's window as OpenSSL left it, so that a record the peer had
    // already read is a replay here too (RFC 6347 §4.1.2.6). The write protection
    // carries the epoch and the next write sequence number (make_endpoint_side).
    if (keys.dtls) endpoint_.set_replay_window(keys.read_window);
    // "recv" is what OpenSSL's message callback reports: alerts as they are processed,
    // not as they are decrypted (seen live: records-handshake-fragment-then-close-notify).
    endpoint_.set_alert_observer([this](const alert& a) {
      const auto bytes = encode_alert(a);
      recv_ += (recv_.empty() ? "" : ",") + to_hex(bytes);
    });
    thread_ = std::thread([this] { loop(); });
  }

  ~endpoint_side() override {
    terminate();
    ::close(cancel_);
  }

  bool send(const std::string& command) override {
    {
      std::lock_guard lock(mu_);
      if (stopping_) return false;
      commands_.push_back(command);
    }
    cv_.notify_all();
    return true;
  }

  std::optional<message> next(std::chrono::milliseconds timeout) override { return out_.take(timeout); }

  void terminate() override {
    {
      std::lock_guard lock(mu_);
      if (stopping_ && !thread_.joinable()) return;
      stopping_ = true;
    }
    cv_.notify_all();
    std::uint64_t one = 1;
    (void)!::write(cancel_, &one, sizeof one);
    if (thread_.joinable()) thread_.join();
    transport_.close();
  }

 private:
  void loop() {
    for (;;) {
      std::string command;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return stopping_ || !commands_.empty(); });
        if (stopping_) return;
        command = std::move(commands_.front());
        commands_.pop_front();
      }
      out_.post(run(command));
    }
  }

  message error(std::string text) {
    message m;
    m.kind = message_kind::error;
    m.text = std::move(text);
    return m;
  }

  // done: the `done` message of a command that is not an endpoint call.
  message done(std::string_view call, int ret) {
    message m;
    m.kind = message_kind::done;
    m.fields["call"] = std::string(call);
    m.fields["ret"] = std::to_string(ret);
    m.fields["err"] = "-";
    m.fields["errno"] = "0";
    m.fields["data"] = "-";
    return observed(std::move(m));
  }

  // done: the `done` message of an endpoint call, as the peer prints an SSL_* call's.
  message done(std::string_view call, const call_outcome& o, bytes_view data) {
    message m;
    m.kind = message_kind::done;
    m.fields["call"] = std::string(call);
    m.fields["ret"] = std::to_string(o.ret);
    auto e = o.err;
    if (mutation_ == mutation::read_ignores_close_notify && e == ssl_error::zero_return) e = ssl_error::want_read;
    m.fields["err"] = std::string(error_name(e));
    m.fields["errno"] = std::to_string(e == ssl_error::syscall ? endpoint_.os_error() : 0);
    m.reason = std::string(o.reason);
    m.fields["data"] = data.empty() ? "-" : to_hex(data);
    return observed(std::move(m));
  }

  // observed: the fields every `done` has, whatever the command.
  message observed(message m) {
    m.fields["flags"] = std::to_string(endpoint_.get_shutdown());
    m.fields["recv"] = recv_.empty() ? "-" : recv_;
    m.fields["rx"] = std::to_string(transport_.rx());
    m.fields["tx"] = std::to_string(transport_.tx());
    auto wire = transport_.take_wire();
    m.fields["wire"] = wire.empty() ? "-" : to_hex(wire);
    return m;
  }

  // socket_waits: read_all / write_all in nonblocking mode wait as the peer does.
  struct socket_waits final : call_hooks {
    explicit socket_waits(probing_transport& t) : io(t) {}
    bool wait(ssl_error e) override {
      return io.wait(e == ssl_error::want_write ? POLLOUT : POLLIN, e == ssl_error::want_write ? "write" : "read");
    }
    probing_transport& io;
  };

  // call_endpoint: an endpoint call (endpoint_verbs), with the mutations applied around it.
  message call_endpoint(const command& c) {
    // `write N` and `write_all N` write the peer's pattern. As the OpenSSL peer does, the
    // same bytes are written from the same buffer (a retry); other bytes are copied in,
    // reusing the buffer when they fit.
    if (c.verb == command_verb::write || c.verb == command_verb::write_all) {
      if (auto content = pattern(c.size); content != write_buffer_) write_buffer_ = content;
    } else if (c.verb == command_verb::write_hex) {
      auto bytes = from_hex(c.argument);
      if (auto* e = std::get_if<config_error>(&bytes)) return error(e->message);
      if (auto& content = std::get<std::vector<std::uint8_t>>(bytes); content != write_buffer_) write_buffer_ = content;
    }
    if (c.verb == command_verb::shutdown && mutation_ == mutation::no_close_notify) endpoint_.set_quiet_shutdown(true);
    const int before = endpoint_.get_shutdown();
    auto call = call_for(c, write_buffer_);
    socket_waits waits(transport_);
    const auto o = perform(endpoint_, call, waits);
    message m = done(c.verb == command_verb::write_hex ? "write" : c.word, o, call.got);
    if (c.verb == command_verb::shutdown && mutation_ == mutation::first_shutdown_returns_one && o.ret == 0 &&
        before == 0) {
      m.fields["ret"] = "1";
      m.fields["err"] = "NONE";
    }
    return m;
  }

  message run(const std::string& line) {
    const command c = parse_command(line);
    recv_.clear();
    if (c.verb == command_verb::mode || c.verb == command_verb::quit) {
      if (c.verb == command_verb::mode) transport_.set_nonblocking(c.argument == "nonblocking");
      message m;
      m.kind = message_kind::ok;
      return m;
    }
    if (transport_.closed() && c.verb != command_verb::set) return error("fd closed");
    if (calls_endpoint(c.verb)) return call_endpoint(c);
    switch (c.verb) {
      case command_verb::renegotiate: return error("closenotify does not renegotiate (docs/divergences.md B)");
      case command_verb::set:
        if (!apply_option(endpoint_, c.argument)) return error("unknown option " + c.argument);
        return done("set", 1);
      case command_verb::shutdown_write:
        transport_.shutdown_write();
        return done(c.word, 0);
      case command_verb::close: {
        auto m = done(c.word, 0);
        transport_.close();
        return m;
      }
      case command_verb::raw: {
        auto bytes = from_hex(c.argument);
        if (auto* e = std::get_if<config_error>(&bytes)) return error(e->message);
        if (endpoint_.is_dtls() && std::get<std::vector<std::uint8_t>>(bytes).empty()) {
          // `raw -` on a datagram socket: one empty datagram, as the peer sends it
          // (send_raw sends nothing for no bytes, right for a stream).
          io_result r;
          while ((r = transport_.write({})).status == io_status::would_block && transport_.wait(POLLOUT, "write")) {
          }
          return done(c.word, r.status == io_status::ok ? 0 : -1);
        }
        const auto sent = send_raw(transport_, std::get<std::vector<std::uint8_t>>(bytes),
                                   [this](int) { return transport_.wait(POLLOUT, "write"); });
        return done(c.word, sent == io_status::ok ? 0 : -1);
      }
      default: return error("unknown command '" + c.word + "'");
    }
  }

  int cancel_;
  mailbox out_;
  probing_transport transport_;
  endpoint endpoint_;
  mutation mutation_;
  std::string recv_;
  std::vector<std::uint8_t> write_buffer_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> commands_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace

tools::result<std::unique_ptr<side>> make_endpoint_side(int socket_fd, const session_keys& keys,
                                                                    mutation m, profile_id profile) {
  // DTLS records need datagrams, TLS records a stream (the peer refuses the same mix).
  int type = 0;
  socklen_t type_len = sizeof type;
  if (::getsockopt(socket_fd, SOL_SOCKET, SO_TYPE, &type, &type_len) == 0 && (type == SOCK_DGRAM) != keys.dtls) {
    return tools::fail(keys.dtls ? "a DTLS hand-off needs a SOCK_DGRAM socket"
                                 : "a SOCK_DGRAM socket carries DTLS only, not this TLS hand-off");
  }
  auto read = keys.read_protection();
  if (auto* e = std::get_if<config_error>(&read)) return tools::fail("read keys: " + e->message);
  auto write = keys.write_protection();
  if (auto* e = std::get_if<config_error>(&write)) return tools::fail("write keys: " + e->message);
  return std::unique_ptr<side>(new endpoint_side(socket_fd, keys, std::move(std::get<record_protection>(read)),
                                                 std::move(std::get<record_protection>(write)), m, profile));
}

}  // namespace closenotify::diff

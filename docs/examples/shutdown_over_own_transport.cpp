// shutdown_over_own_transport.cpp — using the installed closenotify library from another
// project: two endpoints over a transport of your own (here an in-memory byte queue per
// direction, nonblocking), carrying out a clean bidirectional TLS 1.3 shutdown.
//
// Build against the installed package:
//   c++ -o example shutdown_over_own_transport.cpp $(pkg-config --cflags --libs closenotify)
//
// closenotify does no handshakes: it takes over a connection whose keys are known. Here
// both traffic secrets are made up; in a real program they come from your TLS stack's
// key-log callback (closenotify/keylog.hpp reads SSLKEYLOGFILE lines).
#include <closenotify/cipher_suite.hpp>
#include <closenotify/endpoint.hpp>
#include <closenotify/hex.hpp>
#include <closenotify/record_protection.hpp>
#include <closenotify/transport.hpp>

#include <cstdio>
#include <cstdlib>
#include <deque>
#include <string>
#include <vector>

namespace cn = closenotify;

// queue_transport: one end of a pair of byte queues. Anything with read / write /
// shutdown_write can be a transport: a socket, a TLS library's BIO, a test harness.
class queue_transport final : public cn::transport {
 public:
  queue_transport(std::deque<std::uint8_t>& in, std::deque<std::uint8_t>& out) : in_(in), out_(out) {}

  cn::io_result read(cn::mutable_bytes buf) noexcept override {
    if (in_.empty()) return {peer_closed_ ? cn::io_status::eof : cn::io_status::would_block};
    std::size_t n = 0;
    while (n < buf.size() && !in_.empty()) {
      buf[n++] = in_.front();
      in_.pop_front();
    }
    return {cn::io_status::ok, n};
  }

  cn::io_result write(cn::bytes_view data) noexcept override {
    out_.insert(out_.end(), data.begin(), data.end());
    written.insert(written.end(), data.begin(), data.end());
    return {cn::io_status::ok, data.size()};
  }

  void shutdown_write() noexcept override {}

  std::vector<std::uint8_t> written;  // what this end put on the "wire", to show it

 private:
  std::deque<std::uint8_t>& in_;
  std::deque<std::uint8_t>& out_;
  bool peer_closed_ = false;
};

template <class T>
T take(cn::configured<T> c, const char* what) {
  if (auto* e = std::get_if<cn::config_error>(&c)) {
    std::fprintf(stderr, "%s: %s\n", what, e->message.c_str());
    std::exit(1);
  }
  return std::move(std::get<T>(c));
}

int main() {
  const cn::cipher_suite* suite = cn::find_cipher_suite("TLS_AES_128_GCM_SHA256");
  std::vector<std::uint8_t> client_secret(32, 0x11), server_secret(32, 0x22);
  auto protection = [&](const std::vector<std::uint8_t>& secret) {
    return take(cn::record_protection::tls13(*suite, secret, 0), "keys");
  };

  std::deque<std::uint8_t> to_server, to_client;
  queue_transport client_end(to_client, to_server), server_end(to_server, to_client);
  // An endpoint reads with the other side's keys and writes with its own.
  cn::endpoint client(client_end, cn::role::client, protection(server_secret), protection(client_secret));
  cn::endpoint server(server_end, cn::role::server, protection(client_secret), protection(server_secret));

  int failures = 0;
  auto step = [&](const char* what, int ret, cn::ssl_error err, int flags, int want_ret, int want_flags) {
    std::printf("%-28s ret %2d  %-22s flags %d\n", what, ret, std::string(cn::to_string(err)).c_str(), flags);
    if (ret != want_ret || flags != want_flags) ++failures;
  };

  int r = client.shutdown();  // sends close_notify: 0, SENT
  step("client shutdown()", r, client.get_error(r), client.get_shutdown(), 0, cn::shutdown_sent);
  std::printf("  client wrote %s\n", cn::to_hex(client_end.written).c_str());

  std::uint8_t buf[64];
  r = server.read(buf);  // the close_notify: 0, ZERO_RETURN, RECEIVED
  step("server read()", r, server.get_error(r), server.get_shutdown(), 0, cn::shutdown_received);

  r = server.shutdown();  // answers: 1, both flags
  step("server shutdown()", r, server.get_error(r), server.get_shutdown(), 1,
       cn::shutdown_sent | cn::shutdown_received);

  r = client.shutdown();  // reads the answer: 1, both flags
  step("client shutdown() again", r, client.get_error(r), client.get_shutdown(), 1,
       cn::shutdown_sent | cn::shutdown_received);

  std::printf(failures == 0 ? "clean bidirectional shutdown\n" : "unexpected results\n");
  return failures == 0 ? 0 : 1;
}

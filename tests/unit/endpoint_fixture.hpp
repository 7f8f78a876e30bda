// endpoint_fixture.hpp — two closenotify endpoints on a memory pipe, for each of the six
// matrix suites, plus a "raw peer" that seals arbitrary records with the server's keys
// so hostile input reaches the client after decryption.
#pragma once

#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

#include "closenotify/cipher_suite.hpp"
#include "closenotify/connection_secrets.hpp"
#include "closenotify/endpoint.hpp"
#include "closenotify/key_schedule.hpp"
#include "closenotify/record_protection.hpp"
#include "closenotify/transport.hpp"

namespace closenotify::testing {

inline std::vector<std::uint8_t> pattern(std::size_t n, std::uint8_t seed) {
  std::vector<std::uint8_t> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<std::uint8_t>(seed + i * 7);
  return v;
}

template <class T>
T unwrap(configured<T> c) {
  if (auto* e = std::get_if<config_error>(&c)) FAIL(e->message);
  return std::move(std::get<T>(c));
}

/// The two directions' protection for a suite: [0] client->server, [1] server->client.
/// Each call gives fresh objects holding the same keys.
struct keys {
  const cipher_suite* suite;
  std::vector<std::uint8_t> client_secret = pattern(48, 0x11);
  std::vector<std::uint8_t> server_secret = pattern(48, 0x22);
  std::vector<std::uint8_t> master = pattern(48, 0x33);
  std::vector<std::uint8_t> client_random = pattern(32, 0x44);
  std::vector<std::uint8_t> server_random = pattern(32, 0x55);

  record_protection make(role sender) const {
    const auto h = suite->hash_length();
    return unwrap(protection_from_secrets(
        *suite, {bytes_view{client_secret}.first(h), bytes_view{server_secret}.first(h), master, client_random, server_random},
        sender));
  }
};

/// connection: client endpoint on pipe end a, server endpoint on end b.
struct connection {
  keys k;
  memory_pipe pipe;
  std::unique_ptr<endpoint> client;
  std::unique_ptr<endpoint> server;
  std::vector<record_event> client_saw;  // records the client opened or sealed
  std::vector<std::vector<std::uint8_t>> client_saw_bytes;

  explicit connection(const cipher_suite& s, endpoint_options client_options = {},
                      endpoint_options server_options = {}, std::size_t capacity = 256 * 1024)
      : k{&s}, pipe(capacity) {
    pipe.a().set_nonblocking(true);
    pipe.b().set_nonblocking(true);
    client = std::make_unique<endpoint>(pipe.a(), role::client, k.make(role::server),
                                        k.make(role::client), client_options);
    server = std::make_unique<endpoint>(pipe.b(), role::server, k.make(role::client),
                                        k.make(role::server), server_options);
  }

  /// read everything the endpoint has until it stops returning data.
  static std::string read_all(endpoint& e, int& last_ret) {
    std::string got;
    std::array<std::uint8_t, 4096> buf{};
    for (;;) {
      last_ret = e.read(buf);
      if (last_ret <= 0) return got;
      got.append(reinterpret_cast<const char*>(buf.data()), static_cast<std::size_t>(last_ret));
    }
  }
};

/// raw_peer: seals records as the server would (its own sequence numbers) and writes
/// them to the server's end, bypassing the server endpoint entirely.
struct raw_peer {
  record_protection seal;
  memory_pipe::end& end;
  std::array<std::uint8_t, max_record_size> buf{};

  raw_peer(const keys& k, memory_pipe::end& e) : seal(k.make(role::server)), end(e) {}

  void send(content_type type, bytes_view plaintext, std::size_t padding = 0) {
    auto r = seal.seal(type, plaintext, buf, padding);
    REQUIRE(std::holds_alternative<std::size_t>(r));
    send_raw(bytes_view{buf.data(), std::get<std::size_t>(r)});
  }
  void send_alert(alert_level level, alert_description d) {
    const std::array<std::uint8_t, 2> a{static_cast<std::uint8_t>(level),
                                        static_cast<std::uint8_t>(d)};
    send(content_type::alert, a);
  }
  void send_raw(bytes_view bytes) {
    auto io = end.write(bytes);
    REQUIRE(io.status == io_status::ok);
    REQUIRE(io.bytes == bytes.size());
  }
};

}  // namespace closenotify::testing

// keys.cpp — fixed secrets per suite for closenotify-bench, and what they give each side.
#include <variant>

#include "bench.hpp"

namespace closenotify::bench {
namespace {

std::vector<std::uint8_t> pattern(std::size_t n, std::uint8_t seed) {
  std::vector<std::uint8_t> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<std::uint8_t>(seed + i * 7);
  return v;
}

template <class T>
T unwrap(configured<T> c) {
  if (auto* e = std::get_if<config_error>(&c)) throw failed(e->message);
  return std::move(std::get<T>(c));
}

std::vector<std::uint8_t> secret_of(const cipher_suite& s, role sender) {
  return pattern(s.hash_length(), sender == role::client ? 0x11 : 0x22);
}

tls12_key_block tls12_block(const cipher_suite& s) {
  return unwrap(tls12_derive_key_block(s, pattern(48, 0x33), pattern(32, 0x44), pattern(32, 0x55)));
}

}  // namespace

record_protection suite_keys::protection(role sender) const {
  if (suite->version == protocol_version::tls13) {
    return unwrap(record_protection::tls13(*suite, secret_of(*suite, sender)));
  }
  const auto block = tls12_block(*suite);
  return unwrap(record_protection::tls12(*suite, sender == role::client ? block.client_write : block.server_write));
}

traffic_keys suite_keys::raw_keys(role sender) const {
  if (suite->version == protocol_version::tls13) return unwrap(tls13_traffic_keys(*suite, secret_of(*suite, sender)));
  const auto block = tls12_block(*suite);
  return sender == role::client ? block.client_write : block.server_write;
}

}  // namespace closenotify::bench

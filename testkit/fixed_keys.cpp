// fixed_keys.cpp — deterministic secrets: patterns, not randomness, so every run and every
// seed file agrees on them.
#include "fixed_keys.hpp"

#include <cstdlib>
#include <cstdio>
#include <vector>

#include "closenotify/connection_secrets.hpp"
#include "closenotify/key_schedule.hpp"

namespace closenotify::fuzz {
namespace {

std::array<std::uint8_t, 48> pattern(std::uint8_t seed) {
  std::array<std::uint8_t, 48> v{};
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<std::uint8_t>(seed + i * 7);
  return v;
}

template <class T>
T must(configured<T> c) {
  // Fixed keys for known suites cannot be refused; if they are, the harness is broken,
  // and a fuzzer must not report that as a finding in the code under test.
  if (auto* e = std::get_if<config_error>(&c)) {
    std::fprintf(stderr, "fuzz harness: fixed keys refused: %s\n", e->message.c_str());
    std::abort();
  }
  return std::move(std::get<T>(c));
}

}  // namespace

const cipher_suite& suite_from_byte(std::uint8_t b) noexcept {
  auto suites = matrix_cipher_suites();
  return *suites[b % suites.size()];
}

std::uint8_t suite_index(const cipher_suite& s) noexcept {
  auto suites = matrix_cipher_suites();
  for (std::size_t i = 0; i < suites.size(); ++i)
    if (suites[i]->id == s.id) return static_cast<std::uint8_t>(i);
  return 0;
}

namespace {

// The secrets every fixed key comes from, for `suite` (a TLS 1.3 secret is as long as the
// suite's hash).
connection_secrets fixed_secrets(const cipher_suite& suite) {
  static const auto client_secret = pattern(0x11), server_secret = pattern(0x22);
  static const auto master = pattern(0x33), client_random = pattern(0x44), server_random = pattern(0x55);
  return {bytes_view{client_secret}.first(suite.hash_length()), bytes_view{server_secret}.first(suite.hash_length()),
          master, bytes_view{client_random}.first(32), bytes_view{server_random}.first(32)};
}

tls12_key_block key_block(const cipher_suite& suite) {
  const auto s = fixed_secrets(suite);
  return must(tls12_derive_key_block(suite, s.master_secret, s.client_random, s.server_random));
}

}  // namespace

record_protection protection_for(const cipher_suite& suite, role sender, std::uint64_t sequence_number) {
  return must(protection_from_secrets(suite, fixed_secrets(suite), sender, sequence_number));
}

traffic_keys fixed_traffic_keys(const cipher_suite& suite, role sender) {
  if (suite.version == protocol_version::tls13) {
    const auto s = fixed_secrets(suite);
    return must(tls13_traffic_keys(suite, sender == role::client ? s.client_traffic_secret : s.server_traffic_secret));
  }
  auto block = key_block(suite);
  return sender == role::client ? block.client_write : block.server_write;
}

}  // namespace closenotify::fuzz

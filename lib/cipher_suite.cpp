// cipher_suite: the table of AEAD suites and lookups by name or code point.
#include "closenotify/cipher_suite.hpp"

#include <array>
#include <cstdint>

namespace closenotify {

std::size_t cipher_suite::key_length() const noexcept {
  return aead == aead_algorithm::aes_128_gcm ? 16 : 32;
}

std::size_t cipher_suite::hash_length() const noexcept {
  return hash == hash_algorithm::sha256 ? 32 : 48;
}

std::size_t cipher_suite::fixed_iv_length() const noexcept {
  // RFC 5288 §3: "The salt is the "implicit" part of the nonce and is not sent in the
  // packet. [...] the salt is the first 4 octets of the client_write_IV or server_write_IV".
  // TLS 1.3 (RFC 8446 §5.3) and RFC 7905 §2 use a 12-byte IV that masks the whole nonce.
  // DTLS 1.2 takes TLS 1.2's nonces (RFC 6347 §4.1.2.4, AEAD Ciphers: TLS 1.2's AEAD
  // suites serve DTLS 1.2).
  if (version != protocol_version::tls13 && aead != aead_algorithm::chacha20_poly1305) return 4;
  return 12;
}

std::size_t cipher_suite::explicit_nonce_length() const noexcept {
  // RFC 5288 §3: "The nonce_explicit is the "explicit" part of the nonce. It is chosen by
  // the sender and is carried in each TLS record in the GenericAEADCipher.nonce_explicit
  // field. The nonce_explicit length (SecurityParameters.record_iv_length) is 8 octets."
  // RFC 7905 §2 ChaCha20-Poly1305 and TLS 1.3 carry no nonce in the record.
  if (version != protocol_version::tls13 && aead != aead_algorithm::chacha20_poly1305) return 8;
  return 0;
}

namespace {

using enum aead_algorithm;
using enum hash_algorithm;

constexpr protocol_version v13 = protocol_version::tls13;
constexpr protocol_version v12 = protocol_version::tls12;

// The order is the matrix order first (TLS 1.3, then ECDHE-ECDSA), then the RSA rows.
constexpr std::array<cipher_suite, 9> suites{{
    {"TLS_AES_128_GCM_SHA256", "TLS_AES_128_GCM_SHA256", 0x1301, v13, aes_128_gcm, sha256},
    {"TLS_AES_256_GCM_SHA384", "TLS_AES_256_GCM_SHA384", 0x1302, v13, aes_256_gcm, sha384},
    {"TLS_CHACHA20_POLY1305_SHA256", "TLS_CHACHA20_POLY1305_SHA256", 0x1303, v13,
     chacha20_poly1305, sha256},
    {"ECDHE-ECDSA-AES128-GCM-SHA256", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", 0xC02B, v12,
     aes_128_gcm, sha256},
    {"ECDHE-ECDSA-AES256-GCM-SHA384", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", 0xC02C, v12,
     aes_256_gcm, sha384},
    {"ECDHE-ECDSA-CHACHA20-POLY1305", "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", 0xCCA9,
     v12, chacha20_poly1305, sha256},
    {"ECDHE-RSA-AES128-GCM-SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", 0xC02F, v12,
     aes_128_gcm, sha256},
    {"ECDHE-RSA-AES256-GCM-SHA384", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", 0xC030, v12,
     aes_256_gcm, sha384},
    {"ECDHE-RSA-CHACHA20-POLY1305", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", 0xCCA8, v12,
     chacha20_poly1305, sha256},
}};

// DTLS 1.2 (RFC 6347): the three ECDHE-ECDSA suites of the matrix, same code points and
// names, in a table of their own so that TLS lookups (all_cipher_suites, find_cipher_suite)
// are unchanged.
constexpr protocol_version d12 = protocol_version::dtls12;
constexpr std::array<cipher_suite, 3> dtls12_suites{{
    {"ECDHE-ECDSA-AES128-GCM-SHA256", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", 0xC02B, d12,
     aes_128_gcm, sha256},
    {"ECDHE-ECDSA-AES256-GCM-SHA384", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", 0xC02C, d12,
     aes_256_gcm, sha384},
    {"ECDHE-ECDSA-CHACHA20-POLY1305", "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", 0xCCA9,
     d12, chacha20_poly1305, sha256},
}};

constexpr std::array<const cipher_suite*, 6> matrix{
    &suites[0], &suites[1], &suites[2], &suites[3], &suites[4], &suites[5]};

constexpr char lower(char c) noexcept { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

int hex_digit(char c) noexcept {
  c = lower(c);
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// parse_code_point: "0x1301" (1 to 4 hex digits after the prefix).
std::optional<std::uint16_t> parse_code_point(std::string_view s) noexcept {
  if (s.size() < 3 || s.size() > 6 || s[0] != '0' || lower(s[1]) != 'x') return std::nullopt;
  unsigned value = 0;
  for (char c : s.substr(2)) {
    int d = hex_digit(c);
    if (d < 0) return std::nullopt;
    value = value * 16 + unsigned(d);
  }
  return static_cast<std::uint16_t>(value);
}

}  // namespace

std::span<const cipher_suite> all_cipher_suites() noexcept { return suites; }

std::span<const cipher_suite* const> matrix_cipher_suites() noexcept { return matrix; }

std::span<const cipher_suite> dtls12_cipher_suites() noexcept { return dtls12_suites; }

const cipher_suite* find_dtls12_cipher_suite(std::string_view name) noexcept {
  const auto code_point = parse_code_point(name);
  for (const cipher_suite& s : dtls12_suites)
    if (code_point ? s.id == *code_point : iequals(name, s.name) || iequals(name, s.iana_name))
      return &s;
  return nullptr;
}

const cipher_suite* find_cipher_suite(std::uint16_t id) noexcept {
  for (const cipher_suite& s : suites)
    if (s.id == id) return &s;
  return nullptr;
}

const cipher_suite* find_cipher_suite(std::string_view name) noexcept {
  if (auto id = parse_code_point(name)) return find_cipher_suite(*id);
  for (const cipher_suite& s : suites)
    if (iequals(name, s.name) || iequals(name, s.iana_name)) return &s;
  return nullptr;
}

}  // namespace closenotify

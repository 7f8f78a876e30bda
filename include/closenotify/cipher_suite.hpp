// closenotify/cipher_suite.hpp — the AEAD cipher suites closenotify protects records with.
#pragma once

#include <optional>
#include <span>
#include <string_view>

#include "closenotify/tls.hpp"

namespace closenotify {

enum class aead_algorithm : std::uint8_t { aes_128_gcm, aes_256_gcm, chacha20_poly1305 };
enum class hash_algorithm : std::uint8_t { sha256, sha384 };

/// cipher_suite: what record protection needs to know of a suite. TLS 1.2's
/// ECDHE-ECDSA-* and ECDHE-RSA-* suites protect records identically and appear as
/// separate rows only so both names and code points are accepted.
struct cipher_suite {
  std::string_view name;       // OpenSSL's name: "TLS_AES_128_GCM_SHA256", "ECDHE-ECDSA-AES128-GCM-SHA256"
  std::string_view iana_name;  // "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"
  std::uint16_t id;            // the CipherSuite code point
  protocol_version version;
  aead_algorithm aead;
  hash_algorithm hash;

  std::size_t key_length() const noexcept;       // 16 or 32
  std::size_t hash_length() const noexcept;      // 32 or 48
  /// fixed_iv_length: TLS 1.3 and RFC 7905 ChaCha20: 12 (the whole nonce mask);
  /// TLS 1.2 and DTLS 1.2 GCM (RFC 5288 §3): the 4-byte implicit salt.
  std::size_t fixed_iv_length() const noexcept;
  /// explicit_nonce_length: RFC 5288 GCM carries 8 bytes of nonce in each record.
  std::size_t explicit_nonce_length() const noexcept;
  static constexpr std::size_t tag_length = 16;
};

/// all_cipher_suites: every supported suite (3 TLS 1.3, 6 TLS 1.2 rows).
std::span<const cipher_suite> all_cipher_suites() noexcept;

/// matrix_cipher_suites: the six suites of the differential matrix (the three TLS 1.3
/// suites and the three ECDHE-ECDSA TLS 1.2 suites).
std::span<const cipher_suite* const> matrix_cipher_suites() noexcept;

/// dtls12_cipher_suites: the DTLS 1.2 suites (version dtls12): ECDHE-ECDSA with AES-128-GCM,
/// AES-256-GCM and ChaCha20-Poly1305. Not among all_cipher_suites(), which are TLS's.
std::span<const cipher_suite> dtls12_cipher_suites() noexcept;
/// find_dtls12_cipher_suite: one of those, named as find_cipher_suite accepts.
const cipher_suite* find_dtls12_cipher_suite(std::string_view name) noexcept;

/// find_cipher_suite: by OpenSSL name or IANA name (case-insensitive), or by code point
/// written as hex ("0x1301").
const cipher_suite* find_cipher_suite(std::string_view name) noexcept;
const cipher_suite* find_cipher_suite(std::uint16_t id) noexcept;

}  // namespace closenotify

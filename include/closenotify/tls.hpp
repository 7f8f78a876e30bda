// closenotify/tls.hpp — the RFC vocabulary every layer shares.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>

namespace closenotify {

/// bytes_view: read-only input bytes. Every layer takes input as a span and reports
/// how much of it was consumed; there are no pointer + length pairs.
using bytes_view = std::span<const std::uint8_t>;
/// mutable_bytes: caller-owned output (or in-place) bytes.
using mutable_bytes = std::span<std::uint8_t>;

/// ContentType, RFC 8446 §5.1 / RFC 5246 §6.2.1.
enum class content_type : std::uint8_t {
  invalid = 0,  // RFC 8446: never on the wire; the type of an all-padding TLSInnerPlaintext
  change_cipher_spec = 20,
  alert = 21,
  handshake = 22,
  application_data = 23,
};

/// ProtocolVersion values of the versions closenotify speaks. DTLS 1.2 (RFC 6347 §4.1:
/// "DTLS version 1.2 ... uses the version { 254, 253 }") protects records as TLS 1.2 does,
/// so code that asks `== tls13` treats it as TLS 1.2; only the DTLS record layer
/// (dtls_record_framing.hpp, record_protection's dtls12) knows its 13-byte header.
enum class protocol_version : std::uint16_t {
  tls12 = 0x0303,
  tls13 = 0x0304,
  dtls12 = 0xfefd,
};

/// legacy_record_version: RFC 8446 §5.1 "MUST be set to 0x0303 for all records generated
/// by a TLS 1.3 implementation other than an initial ClientHello".
inline constexpr std::uint16_t tls12_wire_version = 0x0303;

/// dtls12_wire_version: RFC 6347 §4.1 "The version value of 254.253 is the 1's complement
/// of DTLS version 1.2".
inline constexpr std::uint16_t dtls12_wire_version = 0xfefd;

/// HandshakeType values closenotify meets after the handshake (RFC 8446 §4, RFC 5246 §7.4).
enum class handshake_type : std::uint8_t {
  hello_request = 0,
  client_hello = 1,
  server_hello = 2,
  new_session_ticket = 4,
  finished = 20,
  key_update = 24,
};

/// Which end of the connection an object plays. TLS 1.2 key blocks and the key log
/// name their halves after it.
enum class role : std::uint8_t { client, server };

std::string_view to_string(content_type t) noexcept;
std::string_view to_string(protocol_version v) noexcept;
std::string_view to_string(role r) noexcept;

/// config_error: a problem with how the caller set something up (wrong key length,
/// unknown suite, malformed key log line). Never produced on the wire path.
struct config_error {
  std::string message;
};

/// Result of a set-up step: the value, or what was wrong with the input.
template <class T>
using configured = std::variant<T, config_error>;

}  // namespace closenotify

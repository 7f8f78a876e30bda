// closenotify/post_handshake.hpp — the handshake messages a connection meets after its
// handshake: TLS 1.3 NewSessionTicket and KeyUpdate (RFC 8446 §4.6), TLS 1.2 HelloRequest
// and ClientHello (renegotiation requests, refused), reassembled from any split across
// records.
#pragma once

#include <array>
#include <optional>
#include <variant>
#include <vector>

#include "closenotify/alert.hpp"
#include "closenotify/tls.hpp"

namespace closenotify {

/// handshake_header_size: msg_type(1) + uint24 length.
inline constexpr std::size_t handshake_header_size = 4;
/// dtls_handshake_header_size: DTLS's (RFC 6347 §4.2.2; OpenSSL's DTLS1_HM_HEADER_LENGTH):
/// msg_type(1), uint24 length, uint16 message_seq, uint24 fragment_offset, uint24 fragment_length.
inline constexpr std::size_t dtls_handshake_header_size = 12;

/// max_post_handshake_message: the largest post-handshake message accepted of any type.
/// OpenSSL 3.0 allows a TLS 1.2 ClientHello of up to 131396 bytes (CLIENT_HELLO_MAX_LENGTH);
/// each type's own limit is check_post_handshake_header's.
inline constexpr std::size_t max_post_handshake_message = 131396;

struct handshake_message {
  handshake_type type;  // may hold any byte
  bytes_view body;
};

/// handshake_reassembler: handshake fragments in, whole messages out. Its buffer is
/// reserved once; a message longer than max_post_handshake_message is refused from its
/// header alone.
class handshake_reassembler {
 public:
  handshake_reassembler();

  /// append: the plaintext of one handshake record.
  void append(bytes_view fragment);

  /// next: a whole message, nullopt (need more), or fatal (oversized). The message is
  /// valid until the next append() or next().
  [[nodiscard]] std::variant<std::nullopt_t, handshake_message, fatal> next();
  /// next: the same, for an endpoint of `version` playing `receiver`: each header is
  /// judged by check_post_handshake_header as soon as its 4 bytes are in, before the body
  /// arrives.
  [[nodiscard]] std::variant<std::nullopt_t, handshake_message, fatal> next(protocol_version version,
                                                                            role receiver);

  /// wanted: how many more bytes the next step needs: the rest of the 4-byte header, then
  /// the rest of that message. A reader that appends no more than this takes from a record
  /// exactly what OpenSSL takes (its fragment store, then tls_get_message_body), leaving
  /// the rest of the record where the next message's processing finds it.
  std::size_t wanted() const noexcept;

  /// partial: handshake bytes not yet returned by next() are buffered: an incomplete
  /// message (RFC 8446 §5.1: "Handshake messages MUST NOT be interleaved with other record
  /// types"), or, for a reader that appends whole records rather than wanted() bytes, the
  /// rest of the record after the message just returned.
  bool partial() const noexcept { return buf_.size() > start_; }
  /// buffered: handshake bytes not yet returned by next(), the end of which is the end of
  /// the last record appended.
  std::size_t buffered() const noexcept { return buf_.size() - start_; }

 private:
  std::vector<std::uint8_t> buf_;
  std::size_t start_ = 0;
};

/// check_post_handshake_header: OpenSSL 3.0 judges a message after the handshake from its
/// 4-byte header alone: first whether its type may come now (the state machine's read
/// transition out of TLS_ST_OK: "unexpected message", unexpected_message), then its
/// length against that type's maximum (max_message_size: "excessive message size",
/// illegal_parameter). TLS 1.3: a client accepts NewSessionTicket (up to 131338 bytes)
/// and KeyUpdate (1), a server KeyUpdate. TLS 1.2: a client accepts HelloRequest (0), a
/// server ClientHello (131396). nullopt: the header is acceptable.
[[nodiscard]] std::optional<fatal> check_post_handshake_header(protocol_version v, role receiver,
                                                               handshake_type type,
                                                               std::size_t length) noexcept;

/// new_session_ticket: the parts of RFC 8446 §4.6.1 a teardown study looks at.
struct new_session_ticket {
  std::uint32_t ticket_lifetime;
  std::uint32_t ticket_age_add;
  std::size_t ticket_length;
};

/// parse_new_session_ticket: structure only (ticket_lifetime, ticket_age_add,
/// ticket_nonce<0..255>, ticket<1..2^16-1>, extensions<0..2^16-2>, nothing after);
/// anything else is decode_error, "length mismatch" as OpenSSL says.
[[nodiscard]] std::variant<new_session_ticket, fatal> parse_new_session_ticket(bytes_view body) noexcept;

/// KeyUpdateRequest, RFC 8446 §4.6.3.
enum class key_update_request : std::uint8_t { update_not_requested = 0, update_requested = 1 };

/// parse_key_update: RFC 8446 §4.6.3 "If an implementation receives any other value
/// [than 0 or 1], it MUST terminate the connection with an "illegal_parameter" alert."
/// A body that is not exactly one byte is decode_error. OpenSSL's reason: "bad key update".
[[nodiscard]] std::variant<key_update_request, fatal> parse_key_update(bytes_view body) noexcept;

/// encode_key_update: the whole KeyUpdate message (header included).
std::array<std::uint8_t, 5> encode_key_update(key_update_request r) noexcept;

std::string_view to_string(handshake_type t) noexcept;

}  // namespace closenotify

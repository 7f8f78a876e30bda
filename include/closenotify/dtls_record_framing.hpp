// closenotify/dtls_record_framing.hpp — DTLS 1.2 record framing (RFC 6347 §4.1): the
// 13-byte header and a parser over ONE datagram that yields its records in turn. A record
// never spans datagrams, several may share one, and an invalid one is discarded, never fatal
// (§4.1.2.7), so the result says "record", "discard (why, and how many bytes)" or "end of
// datagram". No I/O; OpenSSL's dtls1_get_record (1.1.1, 3.0) / dtls_get_more_records (3.5)
// is the model, line by line (docs/dtls.md).
#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <variant>

#include "closenotify/tls.hpp"

namespace closenotify {

/// dtls_record_header_size: RFC 6347 §4.1 DTLSPlaintext: type(1) + version(2) + epoch(2) +
/// sequence_number(6) + length(2); OpenSSL's DTLS1_RT_HEADER_LENGTH.
inline constexpr std::size_t dtls_record_header_size = 13;

/// dtls_max_sequence_number: the largest value of the "uint48 sequence_number" field.
inline constexpr std::uint64_t dtls_max_sequence_number = (std::uint64_t{1} << 48) - 1;

/// dtls_openssl30_max_record_length: the longest record OpenSSL 1.1.1 and 3.0 read rather
/// than discard from its header, `rr->length > SSL3_RT_MAX_ENCRYPTED_LENGTH`. Debian builds
/// both with compression compiled in (no OPENSSL_NO_COMP), so that is
/// SSL3_RT_MAX_ENCRYPTED_OVERHEAD (256 + 64) + SSL3_RT_MAX_COMPRESSED_LENGTH (2^14 + 1024).
/// Unlike ssl3_get_record for TLS, the DTLS path never subtracts the unused compression
/// overhead.
inline constexpr std::size_t dtls_openssl30_max_record_length = 320 + 16384 + 1024;

/// dtls_openssl35_max_record_length: OpenSSL 3.5 (dtls_get_more_records) also discards
/// `rr->length > rl->max_frag_len + SSL3_RT_MAX_ENCRYPTED_OVERHEAD`, 2^14 + 320 without a
/// max_fragment_length extension.
inline constexpr std::size_t dtls_openssl35_max_record_length = 16384 + 320;

/// dtls_record_header: RFC 6347 §4.1, field by field.
struct dtls_record_header {
  content_type type;
  std::uint16_t version;
  std::uint16_t epoch;
  std::uint64_t sequence_number;  // 48 bits
  std::uint16_t length;
  friend bool operator==(const dtls_record_header&, const dtls_record_header&) = default;
};

/// dtls_ciphertext: one whole record of the datagram, pointing into it.
struct dtls_ciphertext {
  dtls_record_header header;
  bytes_view header_bytes;  // the 13 bytes as received
  bytes_view fragment;
  std::size_t size() const noexcept { return dtls_record_header_size + fragment.size(); }
};

/// dtls_discard_reason: why a record was dropped. Each is one of OpenSSL's "silently
/// discard" branches, named after its comment. Framing gives the first five; the receive
/// step (dtls_record_open.hpp) the others.
enum class dtls_discard_reason : std::uint8_t {
  partial_header,  // fewer than 13 bytes left: "this packet contained a partial record, dump it"
  unexpected_version,  // not an alert and not {254,253}: "unexpected version, silently discard"
  wrong_version,       // major byte not 254: "wrong version, silently discard record"
  record_too_long,     // over the release's limit: "record too long, silently discard it"
  partial_record,  // the body runs past the datagram: "this packet contained a partial record, dump
                   // it"
  wrong_epoch,   // neither the current epoch nor the next: "NULL means the packet is dropped on the
                 // floor"
  next_epoch,    // the next epoch: buffered only during a handshake, which closenotify never is in
  replayed,      // in the window and seen: "record previously received"
  stale,         // left of the window: "stale, outside the window"
  empty_record,  // length 0: "just read a 0 length packet"
  bad_record_mac,  // does not authenticate: "For DTLS we simply ignore bad packets."
  too_short,       // shorter than explicit nonce + tag: discarded by 3.0 as not authenticating;
                   // fatal in 1.1.1 and 3.5 (profile row dtls_short_record)
};

std::string_view to_string(dtls_discard_reason r) noexcept;

/// dtls_discard: a record dropped, and how many bytes of the datagram that consumed.
struct dtls_discard {
  dtls_discard_reason reason;
  std::size_t consumed;
  friend bool operator==(const dtls_discard&, const dtls_discard&) = default;
};

/// end_of_datagram: nothing is left of the datagram; the next record comes in the next one.
struct end_of_datagram {
  friend bool operator==(const end_of_datagram&, const end_of_datagram&) = default;
};

using dtls_frame_result = std::variant<end_of_datagram, dtls_ciphertext, dtls_discard>;

/// parse_dtls_record: the record at the front of `rest` (what is left of one datagram), for
/// a connection whose version is negotiated (OpenSSL's `!s->first_packet`). Judged from the
/// header in OpenSSL's order: version (exact unless an alert), major version, length against
/// `max_length`, then whether the body is in the datagram. A discard from the header alone
/// consumes the 13 header bytes only: OpenSSL reads its next header from the discarded
/// record's body. A partial header or body consumes the rest of the datagram.
[[nodiscard]] dtls_frame_result parse_dtls_record(
    bytes_view rest, std::size_t max_length = dtls_openssl30_max_record_length) noexcept;

/// encode_dtls_record_header: the 13 header bytes of a DTLS 1.2 record.
std::array<std::uint8_t, dtls_record_header_size> encode_dtls_record_header(
    content_type type, std::uint16_t epoch, std::uint64_t sequence_number,
    std::uint16_t length) noexcept;

/// dtls_datagram_reader: one received datagram, record by record. It does not own the
/// bytes; `last_fragment()` is the mutable fragment of the record `next()` last returned,
/// for in-place decryption.
class dtls_datagram_reader {
 public:
  explicit dtls_datagram_reader(mutable_bytes datagram,
                                std::size_t max_length = dtls_openssl30_max_record_length) noexcept
      : datagram_(datagram), max_length_(max_length) {}

  [[nodiscard]] dtls_frame_result next() noexcept;
  mutable_bytes last_fragment() noexcept { return last_fragment_; }
  /// consumed: bytes of the datagram already returned or discarded.
  std::size_t consumed() const noexcept { return offset_; }

 private:
  mutable_bytes datagram_;
  std::size_t max_length_;
  std::size_t offset_ = 0;
  mutable_bytes last_fragment_;
};

}  // namespace closenotify

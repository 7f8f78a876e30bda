// closenotify/record_framing.hpp — TLSPlaintext/TLSCiphertext framing: the 5-byte
// header, per-version length limits, and an incremental parser that never does I/O.
#pragma once

#include <array>
#include <optional>
#include <variant>

#include "closenotify/alert.hpp"
#include "closenotify/tls.hpp"

namespace closenotify {

/// record_header_size: type(1) + legacy_record_version(2) + length(2).
inline constexpr std::size_t record_header_size = 5;

/// max_plaintext_length: RFC 8446 §5.1 / RFC 5246 §6.2.1 "The length MUST NOT exceed 2^14".
inline constexpr std::size_t max_plaintext_length = 16384;

/// tls13_max_ciphertext_length: RFC 8446 §5.2 "The length MUST NOT exceed 2^14 + 256
/// bytes. An endpoint that receives a record that exceeds this length MUST terminate
/// the connection with a "record_overflow" alert."
inline constexpr std::size_t tls13_max_ciphertext_length = 16384 + 256;

/// tls12_max_ciphertext_length: RFC 5246 §6.2.3 allows 2^14 + 2048, but OpenSSL 3.0
/// (SSL3_RT_MAX_ENCRYPTED_LENGTH) rejects anything over 2^14 + 320 with record_overflow;
/// no AEAD suite ever needs more than 2^14 + 24.
inline constexpr std::size_t tls12_max_ciphertext_length = 16384 + 320;

/// max_record_size: the largest whole record (header included) a version accepts;
/// the size an endpoint's receive buffer is given once.
inline constexpr std::size_t max_record_size = record_header_size + tls12_max_ciphertext_length;

std::size_t max_ciphertext_length(protocol_version v) noexcept;

/// record_header: the parsed 5-byte header.
struct record_header {
  content_type type;
  std::uint16_t legacy_record_version;
  std::uint16_t length;
  friend bool operator==(const record_header&, const record_header&) = default;
};

/// need_more: the buffer holds part of a record; `total` is how many bytes the buffer
/// must hold (from its start) before the record can be parsed.
struct need_more {
  std::size_t total;
  friend bool operator==(const need_more&, const need_more&) = default;
};

/// tls_ciphertext: one whole protected record, pointing into the parsed buffer.
struct tls_ciphertext {
  record_header header;
  bytes_view header_bytes;  // the 5 bytes as received: TLS 1.3's additional_data
  bytes_view fragment;      // encrypted_record (TLS 1.3) / GenericAEADCipher (TLS 1.2)
  std::size_t size() const noexcept { return record_header_size + fragment.size(); }
};

using frame_result = std::variant<need_more, tls_ciphertext, fatal>;

/// parse_record: the first record of `buffer` (any prefix of a byte stream), for a
/// connection whose keys are already in use. Checks, in OpenSSL 3.0's order
/// (ssl3_get_record): record version, then for TLS 1.3 the outer content type and
/// legacy_record_version, then the length limit; all from the header alone, so an
/// oversized or misversioned record is refused before its body arrives. TLS 1.2 content
/// types are not judged here (OpenSSL judges them after decryption): see
/// check_record_type. `compatibility_ccs`: a TLS 1.3 unprotected change_cipher_spec record
/// is framed for the caller to judge (RFC 8446 §5's middlebox-compatibility record)
/// instead of refused as "bad record type".
[[nodiscard]] frame_result parse_record(bytes_view buffer, protocol_version v,
                                        bool compatibility_ccs = false) noexcept;

/// check_record_type: the content type of an opened record, judged as OpenSSL 3.0 does
/// after decryption. TLS 1.2: anything but 20..23 is unexpected_message, "unexpected
/// record" (ssl3_read_bytes); TLS 1.3: anything but application_data, alert, handshake
/// is unexpected_message, "bad record type". nullopt: the type is acceptable.
[[nodiscard]] std::optional<fatal> check_record_type(content_type type,
                                                     protocol_version v) noexcept;

/// encode_record_header: the 5 header bytes for a record of `length` bytes.
std::array<std::uint8_t, record_header_size> encode_record_header(content_type type,
                                                                  std::uint16_t length) noexcept;

/// record_reader: bytes in, records out. Owns one receive buffer of max_record_size,
/// sized once; `writable()` is where the next transport read goes, `commit(n)` says how
/// many bytes arrived, `next()` yields the next record (valid until the next `next()`,
/// `writable()` or `commit()`), compacting consumed bytes (in `writable()`) only when
/// the free tail cannot hold the rest of the current record.
class record_reader {
 public:
  explicit record_reader(protocol_version v);

  /// writable: free space after the buffered bytes (never empty while a record is
  /// incomplete, because the buffer holds the largest legal record).
  mutable_bytes writable() noexcept;
  void commit(std::size_t n) noexcept;

  /// next: one record, need_more, or fatal (framing violation).
  [[nodiscard]] frame_result next() noexcept;
  /// set_compatibility_ccs: frame TLS 1.3 unprotected change_cipher_spec records from now
  /// on (parse_record's `compatibility_ccs`).
  void set_compatibility_ccs(bool on) noexcept { compatibility_ccs_ = on; }

  /// mutable view of the fragment `next()` last returned, for in-place decryption.
  mutable_bytes last_fragment() noexcept;

  /// buffered: bytes received and not yet returned as records.
  std::size_t buffered() const noexcept;
  /// buffered_bytes: those bytes themselves (what a handoff or a discard would hand on).
  bytes_view buffered_bytes() const noexcept;

 private:
  protocol_version version_;
  bool compatibility_ccs_ = false;
  std::array<std::uint8_t, max_record_size> buf_;
  std::size_t start_ = 0;  // first unconsumed byte
  std::size_t end_ = 0;    // one past the last received byte
  std::size_t last_fragment_offset_ = 0;
  std::size_t last_fragment_size_ = 0;
};

}  // namespace closenotify

// closenotify/record_protection.hpp — AEAD protection of one direction's records:
// TLS 1.3 TLSInnerPlaintext (RFC 8446 §5.2–5.4), TLS 1.2 AEAD records (RFC 5246
// §6.2.3.3, RFC 5288 GCM with explicit nonce, RFC 7905 ChaCha20-Poly1305) and DTLS 1.2's
// (RFC 6347 §4.1: the same with a 13-byte header and epoch || sequence number). The
// versions differ by a small policy (nonce, additional data, inner plaintext, header), not
// by copies of the code. BoringSSL's EVP_AEAD does the cryptography; no BoringSSL type
// appears here.
#pragma once

#include <cstdint>
#include <memory>
#include <variant>

#include "closenotify/alert.hpp"
#include "closenotify/cipher_suite.hpp"
#include "closenotify/dtls_record_framing.hpp"
#include "closenotify/key_schedule.hpp"
#include "closenotify/record_framing.hpp"
#include "closenotify/tls.hpp"

namespace closenotify {

/// tls_plaintext: an opened record: the real content type (TLS 1.3: recovered from
/// TLSInnerPlaintext, padding removed) and the content, inside the opened fragment.
struct tls_plaintext {
  content_type type;
  bytes_view fragment;
};

/// record_protection: the keys, nonce and sequence number of ONE direction.
/// Seal and open allocate nothing; a KeyUpdate re-keys in place.
class record_protection {
 public:
  /// tls13: keys from [sender]_application_traffic_secret_N (RFC 8446 §7.3); keeps the
  /// secret so key_update() can derive N+1. `sequence_number` is the next record's.
  static configured<record_protection> tls13(const cipher_suite& suite, bytes_view traffic_secret,
                                             std::uint64_t sequence_number = 0);
  /// tls12: one direction's half of the key block (RFC 5246 §6.3).
  static configured<record_protection> tls12(const cipher_suite& suite, const traffic_keys& keys,
                                             std::uint64_t sequence_number = 0);
  /// dtls12: a DTLS 1.2 suite (dtls12_cipher_suites()) and one direction's half of the
  /// key block, TLS 1.2's; seals records of `epoch`, the next numbered `sequence_number`
  /// (48 bits), and opens records of that epoch by their own sequence numbers.
  static configured<record_protection> dtls12(const cipher_suite& suite, const traffic_keys& keys,
                                              std::uint16_t epoch, std::uint64_t sequence_number = 0);

  record_protection(record_protection&&) noexcept;
  record_protection& operator=(record_protection&&) noexcept;
  ~record_protection();

  const cipher_suite& suite() const noexcept;
  protocol_version version() const noexcept;
  /// sequence_number: the sequence number the next sealed or opened record uses (DTLS:
  /// the next sealed one; an opened record brings its own).
  std::uint64_t sequence_number() const noexcept;
  /// epoch: DTLS 1.2's epoch (0 for TLS).
  std::uint16_t epoch() const noexcept;

  /// sealed_size: the whole record (header included: 5 bytes, DTLS 13) seal() writes for a plaintext of
  /// `plaintext_length` bytes and `padding` zero bytes (TLS 1.3 only).
  std::size_t sealed_size(std::size_t plaintext_length, std::size_t padding = 0) const noexcept;

  /// seal: writes one whole protected record (header, [explicit nonce,] ciphertext, tag)
  /// to the front of `out` and returns its size. Fails without touching the sequence
  /// number when the plaintext exceeds 2^14 bytes (TLS 1.3: with padding and type),
  /// `out` is too small, `padding` is asked of TLS 1.2, or the sequence number is
  /// exhausted (RFC 8446 §5.3: "a sequence number ... MUST NOT wrap").
  [[nodiscard]] std::variant<std::size_t, fatal> seal(content_type type, bytes_view plaintext,
                                                      mutable_bytes out,
                                                      std::size_t padding = 0) noexcept;

  /// seal_hostile: seal() without the sender's rules: any content type byte, any
  /// plaintext and padding a receiver would still frame (the fragment within the
  /// version's ciphertext limit). For building hostile input — fuzzers, tests, the CLI;
  /// the endpoint never calls it. Still refuses an exhausted sequence number, TLS 1.2
  /// padding and a too-small `out`.
  [[nodiscard]] std::variant<std::size_t, fatal> seal_hostile(std::uint8_t type,
                                                              bytes_view plaintext,
                                                              mutable_bytes out,
                                                              std::size_t padding = 0) noexcept;

  /// open: authenticates and decrypts one record in place. `fragment` is the record's
  /// body as framed (it is overwritten); the result points inside it. Failures carry the
  /// alert OpenSSL 3.0 sends: bad_record_mac for anything that does not authenticate
  /// (including fragments too short to hold a tag), record_overflow for plaintext over
  /// 2^14, unexpected_message for a TLSInnerPlaintext with no or an unknown content type.
  [[nodiscard]] std::variant<tls_plaintext, fatal> open(const record_header& header,
                                                        mutable_bytes fragment) noexcept;
  /// open (DTLS 1.2): the same for a record framed by parse_dtls_record, its nonce and
  /// additional data from this epoch and the header's sequence number. Failures are
  /// reported as for TLS; whether they are fatal is the DTLS receive step's call
  /// (open_dtls_record, dtls_record_open.hpp). A TLS protection refuses it (and a DTLS one
  /// the TLS overload) as bad_record_mac.
  [[nodiscard]] std::variant<tls_plaintext, fatal> open(const dtls_record_header& header,
                                                        mutable_bytes fragment) noexcept;

  /// key_update: RFC 8446 §7.2, move to application_traffic_secret_N+1 and sequence
  /// number 0. False for TLS 1.2 (which has no KeyUpdate).
  [[nodiscard]] bool key_update() noexcept;

  /// traffic_secret: TLS 1.3's current application traffic secret (empty for TLS 1.2).
  bytes_view traffic_secret() const noexcept;

 private:
  struct impl;
  explicit record_protection(std::unique_ptr<impl> p) noexcept;
  std::unique_ptr<impl> impl_;
};

}  // namespace closenotify

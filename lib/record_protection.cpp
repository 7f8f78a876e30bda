// record_protection: AEAD protection of one direction's records. TLS 1.2, TLS 1.3 and DTLS 1.2
// share one seal and one open; they differ only in the policy below (where the nonce comes
// from, what the additional data is, whether there is a TLSInnerPlaintext, and for DTLS the
// 13-byte header and the epoch in front of the sequence number).
#include "closenotify/record_protection.hpp"

#include <openssl/aead.h>
#include <openssl/mem.h>

#include <array>
#include <bit>
#include <cstring>
#include <functional>
#include <optional>
#include <string>

namespace closenotify {
namespace {

constexpr std::size_t tag_length = cipher_suite::tag_length;
constexpr std::size_t nonce_length = 12;
constexpr std::size_t sequence_number_length = 8;
// TLS 1.2 additional_data is seq_num(8) + type(1) + version(2) + length(2); TLS 1.3's is the
// 5-byte record header.
constexpr std::size_t max_additional_data_length = 13;
// TLS 1.3 seals the content type and up to this many padding zeros from a stack buffer
// (scatter: the plaintext is not copied); more padding is laid out in `out` and sealed in
// place, as is a small ChaCha20-Poly1305 plaintext (extra_in_copy_limit).
constexpr std::size_t scatter_padding_limit = 63;
// TLS 1.3 ChaCha20-Poly1305 copies a plaintext of up to this many bytes into `out` and
// seals it in place rather than pass the content type as extra_in (impl::extra_in_costs_a_block).
// Measured here: the copy saves 45% of a 3-byte seal, 15% at 2 KiB, 7% at 4 KiB; at 16 KiB
// the two ways are within 1% of each other, and the scatter path never copies.
constexpr std::size_t extra_in_copy_limit = 4096;
// RFC 8446 §5.4: "the full encoded TLSInnerPlaintext MUST NOT exceed 2^14 + 1 octets."
constexpr std::size_t max_inner_plaintext_length = max_plaintext_length + 1;

const EVP_AEAD* aead_of(aead_algorithm a) noexcept {
  switch (a) {
    case aead_algorithm::aes_128_gcm: return EVP_aead_aes_128_gcm();
    case aead_algorithm::aes_256_gcm: return EVP_aead_aes_256_gcm();
    case aead_algorithm::chacha20_poly1305: return EVP_aead_chacha20_poly1305();
  }
  return nullptr;
}

void put_u16(std::uint8_t* p, std::size_t v) noexcept {
  p[0] = static_cast<std::uint8_t>(v >> 8);
  p[1] = static_cast<std::uint8_t>(v);
}

// put_u64: one 8-byte store, so that the nonce and additional data, which read these bytes
// back as a word, are not held up waiting for eight 1-byte stores (a store-forwarding stall
// that showed in every record's fixed cost).
void put_u64(std::uint8_t* p, std::uint64_t v) noexcept {
  if constexpr (std::endian::native == std::endian::little) {
#if defined(__GNUC__) || defined(__clang__)
    v = __builtin_bswap64(v);
    std::memcpy(p, &v, 8);
    return;
#endif
  }
  for (int i = 7; i >= 0; --i, v >>= 8) p[i] = static_cast<std::uint8_t>(v);
}

bool overlaps(bytes_view a, mutable_bytes b) noexcept {
  if (a.empty() || b.empty()) return false;
  std::less<const std::uint8_t*> lt;
  return lt(a.data(), b.data() + b.size()) && lt(b.data(), a.data() + a.size());
}

bool is_tls13_content_type(std::uint8_t t) noexcept {
  return t == std::uint8_t(content_type::alert) || t == std::uint8_t(content_type::handshake) ||
         t == std::uint8_t(content_type::application_data);
}

bool is_tls12_content_type(std::uint8_t t) noexcept {
  return t == std::uint8_t(content_type::change_cipher_spec) || is_tls13_content_type(t);
}

// inner_plaintext_end: the index of the content type in a TLSInnerPlaintext, i.e. of its
// last nonzero byte, or nullopt if every byte is zero. RFC 8446 §5.4: "the receiving
// implementation scans the field from the end toward the beginning until it finds a non-zero
// octet." This does, 8 bytes at a time, and stops at the word holding that octet. Its time
// depends on the padding length (one step per 8 zeros, then at most 7 single bytes when the
// type sits in the first partial word) and on no byte of the content; an unpadded record costs
// one step. It is not constant time: whoever can time the receiver precisely may learn the
// padding length, which the sender chose, and with the record length the content length that
// padding hides. RFC 8446 Appendix E.3 names that channel; BoringSSL and OpenSSL scan from the
// end a byte at a time and have it too; docs/performance.md, "TLS 1.3 padding removal from
// the end", says why it is kept.
std::optional<std::size_t> inner_plaintext_end(bytes_view inner) noexcept {
  std::size_t end = inner.size();
  // Whole words from the end, the last one ending at inner.size().
  for (; end >= 8; end -= 8) {
    std::uint64_t v;
    std::memcpy(&v, inner.data() + end - 8, 8);
    if (v == 0) continue;
    // The last nonzero byte in memory order is the word's most significant nonzero byte
    // on a little-endian host and its least significant one on a big-endian host.
    if constexpr (std::endian::native == std::endian::little)
      return end - 8 + static_cast<std::size_t>(63 - std::countl_zero(v)) / 8;
    else
      return end - 1 - static_cast<std::size_t>(std::countr_zero(v)) / 8;
  }
  // The 0..7 bytes before the first whole word.
  while (end > 0) {
    --end;
    if (inner[end] != 0) return end;
  }
  return std::nullopt;
}

constexpr fatal bad_record_mac{alert_description::bad_record_mac,
                               "decryption failed or bad record mac"};
constexpr fatal bad_record_type{alert_description::unexpected_message, "bad record type"};
constexpr fatal data_too_long{alert_description::record_overflow, "data length too long"};
constexpr fatal sequence_exhausted{alert_description::internal_error, "sequence number exhausted"};

// The write key and fixed IV a TLS 1.2 or DTLS 1.2 key block gives must be the lengths
// the suite's AEAD takes (RFC 5246 §6.3; RFC 6347 §4.1.2.1 keeps TLS 1.2's key block).
std::optional<config_error> wrong_key_lengths(const cipher_suite& suite, const traffic_keys& keys) {
  if (keys.key.size() == suite.key_length() && keys.iv.size() == suite.fixed_iv_length()) return std::nullopt;
  return config_error{std::string(suite.name) + ": write key is " + std::to_string(keys.key.size()) +
                      " bytes and IV " + std::to_string(keys.iv.size()) + " bytes, " +
                      std::to_string(suite.key_length()) + " and " + std::to_string(suite.fixed_iv_length()) +
                      " required"};
}

}  // namespace

// The version policy: everything seal and open need that is not the cipher itself.
struct record_protection::impl {
  const cipher_suite* suite = nullptr;
  bssl::ScopedEVP_AEAD_CTX ctx;
  // nonce_mask: TLS 1.3 and RFC 7905 ChaCha20: the 12-byte write IV. RFC 5288 GCM: the
  // 4-byte salt followed by 8 zero bytes, so that "mask XOR explicit nonce" is
  // salt || nonce_explicit and one nonce function serves every suite.
  std::array<std::uint8_t, nonce_length> nonce_mask{};
  std::uint64_t sequence_number = 0;
  std::uint16_t epoch = 0;      // DTLS 1.2 only
  secret_bytes traffic_secret;  // TLS 1.3 only

  bool tls13() const noexcept { return suite->version == protocol_version::tls13; }

  // The DTLS 1.2 policy, in one place. RFC 6347 §4.1: DTLSPlaintext adds "uint16 epoch;" and
  // "uint48 sequence_number;" to the header, explicit because records may be lost or
  // reordered; RFC 6347 §4.1.2.1: "the sequence number used to compute the MAC is the 64-bit
  // value formed by concatenating the epoch and the sequence number in the order they appear
  // on the wire", and OpenSSL's tls1_enc builds the AEAD's additional data the same way
  // (`s2n(... DTLS_RECORD_LAYER_get_r_epoch(&s->rlayer), p); memcpy(p, &seq[2], 6);`).
  bool dtls() const noexcept { return dtls_; }
  bool dtls_ = false;  // suite->version == dtls12, kept here as explicit_nonce_length_ is
  std::size_t header_size() const noexcept {
    return dtls() ? dtls_record_header_size : record_header_size;
  }
  std::uint16_t wire_version() const noexcept {
    return dtls() ? dtls12_wire_version : tls12_wire_version;
  }
  // record_sequence: the 64-bit number the nonce and the additional data use.
  std::uint64_t record_sequence(std::uint64_t seq) const noexcept {
    return dtls() ? (std::uint64_t{epoch} << 48) | seq : seq;
  }
  // sequence_limit: the first sequence number that may not be used: 2^64-1 for TLS (see
  // check_seal), and at the 48-bit field's width the same for DTLS.
  std::uint64_t sequence_limit() const noexcept {
    return dtls() ? dtls_max_sequence_number : UINT64_MAX;
  }
  // max_fragment: the longest fragment a receiver frames rather than refuses or discards.
  std::size_t max_fragment() const noexcept {
    if (dtls()) return dtls_openssl30_max_record_length;
    return max_ciphertext_length(tls13() ? protocol_version::tls13 : protocol_version::tls12);
  }
  // extra_in_costs_a_block: BoringSSL's ChaCha20-Poly1305 seal_scatter encrypts extra_in
  // with a keystream block of its own (a separate CRYPTO_chacha_20 call), about 160 ns
  // here, which nearly doubles the seal of a close_notify; copying a plaintext of up to
  // extra_in_copy_limit bytes into place costs less. AES-GCM continues its counter stream
  // into extra_in at no measurable cost, so it keeps the scatter path at every size.
  bool extra_in_costs_a_block() const noexcept {
    return suite->aead == aead_algorithm::chacha20_poly1305;
  }
  // explicit_nonce_length: kept here, not asked of the suite (an out-of-line call) several
  // times per record.
  std::size_t explicit_nonce_length() const noexcept { return explicit_nonce_length_; }
  std::size_t explicit_nonce_length_ = 0;

  impl() = default;
  impl(const impl&) = delete;
  impl& operator=(const impl&) = delete;
  ~impl() { wipe_keys(); }

  // wipe_keys: EVP_AEAD_CTX_cleanup frees but does not zero an in-place key schedule (AES-GCM
  // keeps its round keys inside the context), so zero it too; a zeroed context is "the
  // zero state" that cleanup accepts again.
  void wipe_keys() noexcept {
    EVP_AEAD_CTX_cleanup(ctx.get());
    OPENSSL_cleanse(ctx.get(), sizeof(EVP_AEAD_CTX));
    OPENSSL_cleanse(nonce_mask.data(), nonce_mask.size());
  }

  // set_keys: (re)initialises the AEAD with `keys`. The context is reused across KeyUpdates.
  bool set_keys(const traffic_keys& keys) noexcept {
    wipe_keys();
    const bytes_view iv = keys.iv.view();
    for (std::size_t i = 0; i < iv.size() && i < nonce_length; ++i) nonce_mask[i] = iv[i];
    return EVP_AEAD_CTX_init(ctx.get(), aead_of(suite->aead), keys.key.view().data(),
                             keys.key.size(), tag_length, nullptr) == 1;
  }

  // nonce: RFC 8446 §5.3 "The 64-bit record sequence number is encoded in network byte
  // order and padded to the left with zeros to iv_length. The padded sequence number is
  // XORed with either the static client_write_iv or server_write_iv". RFC 7905 §2 builds the
  // ChaCha20-Poly1305 nonce the same way. RFC 5288 §3 (GCM): salt || nonce_explicit; the
  // caller passes the explicit nonce (the sequence number when sealing, as OpenSSL does).
  std::array<std::uint8_t, nonce_length> nonce(bytes_view last8) const noexcept {
    std::array<std::uint8_t, nonce_length> n = nonce_mask;
    constexpr std::size_t at = nonce_length - sequence_number_length;
    for (std::size_t i = 0; i < sequence_number_length; ++i) n[at + i] ^= last8[i];
    return n;
  }

  // additional_data: TLS 1.3 (RFC 8446 §5.2): "additional_data = TLSCiphertext.opaque_type ||
  // TLSCiphertext.legacy_record_version || TLSCiphertext.length". TLS 1.2 (RFC 5246
  // §6.2.3.3): "additional_data = seq_num + TLSCompressed.type + TLSCompressed.version +
  // TLSCompressed.length;" (the length of the plaintext).
  std::size_t additional_data(std::span<std::uint8_t, max_additional_data_length> ad,
                              std::uint64_t seq, std::uint8_t type, std::uint16_t version,
                              std::size_t plaintext_length,
                              std::size_t fragment_length) const noexcept {
    if (tls13()) {
      ad[0] = type;
      put_u16(&ad[1], version);
      put_u16(&ad[3], fragment_length);
      return 5;
    }
    put_u64(&ad[0], seq);
    ad[8] = type;
    put_u16(&ad[9], version);
    put_u16(&ad[11], plaintext_length);
    return 13;
  }

  // inner_length: TLS 1.3 "struct { opaque content[TLSPlaintext.length]; ContentType type;
  // uint8 zeros[length_of_padding]; } TLSInnerPlaintext;" TLS 1.2: the content itself.
  std::size_t inner_length(std::size_t content, std::size_t padding) const noexcept {
    return tls13() ? content + 1 + padding : content;
  }
  std::size_t fragment_length(std::size_t content, std::size_t padding) const noexcept {
    return explicit_nonce_length() + inner_length(content, padding) + tag_length;
  }

  std::variant<std::size_t, fatal> seal(content_type type, bytes_view plaintext,
                                        mutable_bytes out, std::size_t padding,
                                        bool hostile) noexcept;
  std::variant<tls_plaintext, fatal> open(const record_header& header,
                                          mutable_bytes fragment) noexcept;
  std::variant<tls_plaintext, fatal> open(const dtls_record_header& header,
                                          mutable_bytes fragment) noexcept;
  std::variant<tls_plaintext, fatal> open_fragment(content_type type, std::uint16_t version,
                                                   std::uint64_t seq,
                                                   mutable_bytes fragment) noexcept;
  std::optional<fatal> check_seal(content_type type, bytes_view plaintext, mutable_bytes out,
                                  std::size_t padding, bool hostile) const noexcept;
};

std::optional<fatal> record_protection::impl::check_seal(content_type type, bytes_view plaintext,
                                                         mutable_bytes out,
                                                         std::size_t padding,
                                                         bool hostile) const noexcept {
  // RFC 8446 §5.3: "Because the size of sequence numbers is 64-bit, they should not wrap.
  // If a TLS implementation would need to wrap a sequence number, it MUST either rekey
  // (Section 4.6.3) or terminate the connection." RFC 5246 §6.1: "Sequence numbers are of
  // type uint64 and may not exceed 2^64-1."
  if (sequence_number >= sequence_limit()) return sequence_exhausted;
  if (!tls13() && padding != 0)
    return fatal{alert_description::internal_error, "padding is TLS 1.3 only"};
  const bool fits_out = out.size() >= header_size() + fragment_length(plaintext.size(), padding);
  // Hostile records are bounded only by what a receiver will frame, so that everything
  // after framing (the inner type, the 2^14 plaintext limit) can be tested.
  if (hostile) {
    if (padding > max_fragment() || fragment_length(plaintext.size(), padding) > max_fragment())
      return fatal{alert_description::internal_error, "data length too long"};
    if (!fits_out) return fatal{alert_description::internal_error, "output buffer too small"};
    return std::nullopt;
  }
  const auto t = static_cast<std::uint8_t>(type);
  // RFC 8446 §5.4: a TLSInnerPlaintext of zeros only ("padding-only") has no content
  // type; a receiver "MUST terminate the connection with an unexpected_message alert".
  // Sealing one (type invalid, no content, some padding) exists to test that MUST; the
  // endpoint never asks for it.
  const bool padding_only = tls13() && type == content_type::invalid && plaintext.empty() && padding > 0;
  if (!padding_only && (tls13() ? !is_tls13_content_type(t) : !is_tls12_content_type(t)))
    return fatal{alert_description::internal_error, "bad record type"};
  // RFC 8446 §5.1 / RFC 5246 §6.2.1: "The length MUST NOT exceed 2^14."
  if (plaintext.size() > max_plaintext_length)
    return fatal{alert_description::internal_error, "data length too long"};
  // RFC 8446 §5.4: "The presence of padding does not change the overall record size
  // limitations: the full encoded TLSInnerPlaintext MUST NOT exceed 2^14 + 1 octets."
  if (tls13() && (padding > max_inner_plaintext_length ||
                  inner_length(plaintext.size(), padding) > max_inner_plaintext_length))
    return fatal{alert_description::internal_error, "data length too long"};
  if (!fits_out) return fatal{alert_description::internal_error, "output buffer too small"};
  return std::nullopt;
}

std::variant<std::size_t, fatal> record_protection::impl::seal(content_type type,
                                                               bytes_view plaintext,
                                                               mutable_bytes out,
                                                               std::size_t padding,
                                                               bool hostile) noexcept {
  if (auto failure = check_seal(type, plaintext, out, padding, hostile)) return *failure;

  const std::size_t n = plaintext.size();
  const std::size_t fragment_len = fragment_length(n, padding);
  std::uint8_t* const body = out.data() + header_size();
  std::uint8_t* const ciphertext = body + explicit_nonce_length();
  const auto type_byte = static_cast<std::uint8_t>(type);

  // Copy path: the inner plaintext is laid out where the ciphertext goes and sealed in
  // place. Taken when the padding does not fit the stack buffer, when the caller's
  // plaintext overlaps `out` anywhere but exactly there (the header would clobber it), and
  // for a small TLS 1.3 ChaCha20-Poly1305 plaintext, whose extra_in costs more than the
  // copy (extra_in_costs_a_block). It runs before the header is written, so a plaintext at
  // the front of `out` survives.
  const bool copy_beats_extra_in = extra_in_costs_a_block() && n <= extra_in_copy_limit;
  const bool in_place = plaintext.data() == ciphertext || overlaps(plaintext, out) ||
                        (tls13() && (padding > scatter_padding_limit || copy_beats_extra_in));
  if (in_place) {
    if (n != 0 && plaintext.data() != ciphertext) std::memmove(ciphertext, plaintext.data(), n);
    if (tls13()) {
      ciphertext[n] = type_byte;
      std::memset(ciphertext + n + 1, 0, padding);
    }
  }

  // RFC 8446 §5.2: "opaque_type: The outer opaque_type field of a TLSCiphertext record is
  // always set to the value 23 (application_data)"; "legacy_record_version: The
  // legacy_record_version field is always 0x0303."
  const auto outer_type =
      tls13() ? static_cast<std::uint8_t>(content_type::application_data) : type_byte;
  if (dtls()) {
    const auto h = encode_dtls_record_header(static_cast<content_type>(outer_type), epoch,
                                             sequence_number, static_cast<std::uint16_t>(fragment_len));
    std::memcpy(out.data(), h.data(), h.size());
  } else {
    out[0] = outer_type;
    put_u16(&out[1], tls12_wire_version);
    put_u16(&out[3], fragment_len);
  }

  std::array<std::uint8_t, sequence_number_length> seq{};
  put_u64(seq.data(), record_sequence(sequence_number));
  // RFC 5288 §3: "The nonce_explicit MAY be the 64-bit sequence number." BoringSSL sends
  // it (DTLS: epoch || sequence number), which never repeats under one key. OpenSSL does not:
  // its GCM sends a random 64-bit start counted up per record (gcm_tls_iv_set_fixed's
  // RAND_bytes, getivgen's ctr64_inc); a receiver takes whatever the record carries.
  if (explicit_nonce_length() != 0) std::memcpy(body, seq.data(), seq.size());
  const auto nonce = this->nonce(seq);
  std::array<std::uint8_t, max_additional_data_length> ad{};
  const std::size_t ad_len = additional_data(ad, record_sequence(sequence_number), outer_type,
                                             wire_version(), n, fragment_len);

  int ok = 0;
  std::size_t tag_written = 0;
  if (in_place) {
    const std::size_t inner_len = inner_length(n, padding);
    ok = EVP_AEAD_CTX_seal_scatter(ctx.get(), ciphertext, ciphertext + inner_len, &tag_written,
                                   tag_length, nonce.data(), nonce.size(), ciphertext, inner_len,
                                   nullptr, 0, ad.data(), ad_len);
  } else {
    // Scatter: the content is read from the caller's buffer; the content type and padding
    // come from `extra` and are encrypted into the space before the tag.
    std::array<std::uint8_t, 1 + scatter_padding_limit> extra;  // only 1 + padding are read
    extra[0] = type_byte;
    std::memset(extra.data() + 1, 0, padding);
    const std::size_t extra_len = tls13() ? 1 + padding : 0;
    ok = EVP_AEAD_CTX_seal_scatter(ctx.get(), ciphertext, ciphertext + n, &tag_written,
                                   extra_len + tag_length, nonce.data(), nonce.size(),
                                   plaintext.data(), n, extra_len ? extra.data() : nullptr,
                                   extra_len, ad.data(), ad_len);
  }
  if (ok != 1) return fatal{alert_description::internal_error, "encryption failed"};
  ++sequence_number;
  return header_size() + fragment_len;
}

std::variant<tls_plaintext, fatal> record_protection::impl::open(const record_header& header,
                                                                 mutable_bytes fragment) noexcept {
  // A record at sequence number 2^64-1 could only be followed by a wrapped one.
  if (sequence_number == UINT64_MAX) return sequence_exhausted;
  // A header that does not describe this fragment cannot authenticate (TLS 1.3 feeds the
  // header to the AEAD; TLS 1.2 the plaintext length derived from the fragment).
  if (header.length != fragment.size()) return bad_record_mac;
  auto opened = open_fragment(header.type, header.legacy_record_version, sequence_number, fragment);
  if (std::holds_alternative<tls_plaintext>(opened)) ++sequence_number;
  return opened;
}

std::variant<tls_plaintext, fatal> record_protection::impl::open(const dtls_record_header& header,
                                                                 mutable_bytes fragment) noexcept {
  if (header.length != fragment.size()) return bad_record_mac;
  // RFC 6347 §4.1: "The only change is the inclusion of an explicit sequence number in the
  // record." The number is the record's own, so opening moves no counter: the replay window
  // (dtls_replay_window) remembers what arrived. The epoch is this protection's, as OpenSSL's r_epoch (records of another
  // epoch never reach it), and the version in the additional data is the negotiated one
  // (`buf[ctr][9] = (unsigned char)(s->version >> 8)`), not the header's, which for an
  // alert OpenSSL frames even when it is not {254,253}.
  return open_fragment(header.type, dtls12_wire_version, record_sequence(header.sequence_number),
                       fragment);
}

std::variant<tls_plaintext, fatal> record_protection::impl::open_fragment(
    content_type record_type, std::uint16_t version, std::uint64_t record_seq,
    mutable_bytes fragment) noexcept {
  // RFC 5246 §6.2.3.3 GenericAEADCipher: nonce_explicit + aead-ciphered content (with its
  // tag); RFC 8446 §5.2: a TLSInnerPlaintext always holds at least its content type.
  const std::size_t minimum = explicit_nonce_length() + tag_length + (tls13() ? 1 : 0);
  if (fragment.size() < minimum) {
    // RFC 5246 §6.2.3.3 / RFC 8446 §5.2: whatever cannot authenticate is bad_record_mac,
    // as OpenSSL 3.0.22 answers. Other releases answer these two checks differently
    // (fatal_check; the profiles' fatal_overrides say how).
    fatal f = bad_record_mac;
    f.check = tls13() ? fatal_check::tls13_record_too_short : fatal_check::tls12_aead_record_too_short;
    return f;
  }

  std::array<std::uint8_t, sequence_number_length> seq{};
  put_u64(seq.data(), record_seq);
  const bytes_view explicit_nonce =
      explicit_nonce_length() != 0 ? bytes_view(fragment.first(sequence_number_length))
                                   : bytes_view(seq);
  const auto nonce = this->nonce(explicit_nonce);
  const mutable_bytes ciphertext = fragment.subspan(explicit_nonce_length());
  const std::size_t plaintext_len = ciphertext.size() - tag_length;
  std::array<std::uint8_t, max_additional_data_length> ad{};
  const std::size_t ad_len = additional_data(ad, record_seq, static_cast<std::uint8_t>(record_type),
                                             version, plaintext_len, fragment.size());

  std::size_t opened_len = 0;
  if (EVP_AEAD_CTX_open(ctx.get(), ciphertext.data(), &opened_len, ciphertext.size(),
                        nonce.data(), nonce.size(), ciphertext.data(), ciphertext.size(),
                        ad.data(), ad_len) != 1) {
    return bad_record_mac;
  }

  content_type type = record_type;
  bytes_view content = bytes_view(ciphertext.first(opened_len));
  if (tls13()) {
    // RFC 8446 §5.4: "If a receiving implementation does not find a non-zero octet in the
    // cleartext, it MUST terminate the connection with an "unexpected_message" alert."
    const auto end = inner_plaintext_end(content);
    if (!end) return bad_record_type;
    const std::uint8_t inner_type = content[*end];
    // RFC 8446 §5: "If a TLS implementation receives an unexpected record type, it MUST
    // terminate the connection with an "unexpected_message" alert." Inside a protected
    // record only alert, handshake and application_data can appear.
    if (!is_tls13_content_type(inner_type)) return bad_record_type;
    type = static_cast<content_type>(inner_type);
    content = content.first(*end);
  }
  // RFC 8446 §5.2 / RFC 5246 §6.2.3: the plaintext "MUST NOT exceed 2^14" octets; "An
  // endpoint that receives a record that exceeds this length MUST terminate the connection
  // with a "record_overflow" alert."
  if (content.size() > max_plaintext_length) return data_too_long;
  return tls_plaintext{type, content};
}

// ---- the public face -------------------------------------------------------------------

record_protection::record_protection(std::unique_ptr<impl> p) noexcept : impl_(std::move(p)) {}
record_protection::record_protection(record_protection&&) noexcept = default;
record_protection& record_protection::operator=(record_protection&&) noexcept = default;
record_protection::~record_protection() = default;

configured<record_protection> record_protection::tls13(const cipher_suite& suite,
                                                       bytes_view traffic_secret,
                                                       std::uint64_t sequence_number) {
  if (suite.version != protocol_version::tls13)
    return config_error{std::string(suite.name) + ": not a TLS 1.3 cipher suite"};
  auto keys = tls13_traffic_keys(suite, traffic_secret);
  if (auto* e = std::get_if<config_error>(&keys)) return std::move(*e);
  auto p = std::make_unique<impl>();
  p->suite = &suite;
  p->explicit_nonce_length_ = suite.explicit_nonce_length();
  p->sequence_number = sequence_number;
  p->traffic_secret.assign(traffic_secret);
  if (!p->set_keys(std::get<traffic_keys>(keys)))
    return config_error{std::string(suite.name) + ": AEAD initialisation failed"};
  return record_protection(std::move(p));
}

configured<record_protection> record_protection::tls12(const cipher_suite& suite,
                                                       const traffic_keys& keys,
                                                       std::uint64_t sequence_number) {
  if (suite.version != protocol_version::tls12)
    return config_error{std::string(suite.name) + ": not a TLS 1.2 cipher suite"};
  if (auto wrong = wrong_key_lengths(suite, keys)) return *wrong;
  auto p = std::make_unique<impl>();
  p->suite = &suite;
  p->explicit_nonce_length_ = suite.explicit_nonce_length();
  p->sequence_number = sequence_number;
  if (!p->set_keys(keys))
    return config_error{std::string(suite.name) + ": AEAD initialisation failed"};
  return record_protection(std::move(p));
}

configured<record_protection> record_protection::dtls12(const cipher_suite& suite,
                                                        const traffic_keys& keys,
                                                        std::uint16_t epoch,
                                                        std::uint64_t sequence_number) {
  if (suite.version != protocol_version::dtls12)
    return config_error{std::string(suite.name) + ": not a DTLS 1.2 cipher suite"};
  if (sequence_number > dtls_max_sequence_number)
    return config_error{"DTLS sequence number " + std::to_string(sequence_number) +
                        " does not fit the 48-bit sequence_number field"};
  if (auto wrong = wrong_key_lengths(suite, keys)) return *wrong;
  auto p = std::make_unique<impl>();
  p->suite = &suite;
  p->explicit_nonce_length_ = suite.explicit_nonce_length();
  p->sequence_number = sequence_number;
  p->epoch = epoch;
  p->dtls_ = true;
  if (!p->set_keys(keys))
    return config_error{std::string(suite.name) + ": AEAD initialisation failed"};
  return record_protection(std::move(p));
}

const cipher_suite& record_protection::suite() const noexcept { return *impl_->suite; }

protocol_version record_protection::version() const noexcept { return impl_->suite->version; }

std::uint64_t record_protection::sequence_number() const noexcept {
  return impl_->sequence_number;
}

std::uint16_t record_protection::epoch() const noexcept { return impl_->epoch; }

std::size_t record_protection::sealed_size(std::size_t plaintext_length,
                                           std::size_t padding) const noexcept {
  return impl_->header_size() + impl_->fragment_length(plaintext_length, padding);
}

std::variant<std::size_t, fatal> record_protection::seal(content_type type, bytes_view plaintext,
                                                         mutable_bytes out,
                                                         std::size_t padding) noexcept {
  return impl_->seal(type, plaintext, out, padding, false);
}

std::variant<std::size_t, fatal> record_protection::seal_hostile(std::uint8_t type,
                                                                 bytes_view plaintext,
                                                                 mutable_bytes out,
                                                                 std::size_t padding) noexcept {
  return impl_->seal(static_cast<content_type>(type), plaintext, out, padding, true);
}

std::variant<tls_plaintext, fatal> record_protection::open(const record_header& header,
                                                           mutable_bytes fragment) noexcept {
  // A DTLS record carries its epoch and sequence number: it is opened from its own header.
  if (impl_->dtls()) return bad_record_mac;
  return impl_->open(header, fragment);
}

std::variant<tls_plaintext, fatal> record_protection::open(const dtls_record_header& header,
                                                           mutable_bytes fragment) noexcept {
  if (!impl_->dtls()) return bad_record_mac;
  return impl_->open(header, fragment);
}

bool record_protection::key_update() noexcept {
  if (!impl_->tls13()) return false;
  const cipher_suite& s = *impl_->suite;
  secret_bytes next = tls13_next_traffic_secret(s, impl_->traffic_secret.view());
  if (next.size() != s.hash_length()) return false;
  // The secret has Hash.length bytes, so this cannot fail with a config_error.
  auto keys = tls13_traffic_keys(s, next.view());
  const auto* k = std::get_if<traffic_keys>(&keys);
  if (k == nullptr || !impl_->set_keys(*k)) return false;
  impl_->traffic_secret = next;
  // RFC 8446 §5.3: "Each sequence number is set to zero at the beginning of a connection
  // and whenever the key is changed".
  impl_->sequence_number = 0;
  return true;
}

bytes_view record_protection::traffic_secret() const noexcept {
  return impl_->traffic_secret.view();
}

}  // namespace closenotify

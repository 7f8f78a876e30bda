// Tests of the DTLS 1.2 record layer: framing over one datagram (RFC 6347 §4.1, §4.1.1),
// nonces and additional data checked against BoringSSL's raw EVP_AEAD built here from the
// RFCs' formulas, the anti-replay window (§4.1.2.6), invalid records discarded (§4.1.2.7),
// and records a live OpenSSL 3.0 wrote (tests/unit/data/dtls12_openssl_records.c), opened
// from its key log.
#include <doctest/doctest.h>

#include "vector_hex.hpp"
#include <openssl/aead.h>

#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "closenotify/cipher_suite.hpp"
#include "closenotify/connection_secrets.hpp"
#include "closenotify/dtls_record_framing.hpp"
#include "closenotify/dtls_record_open.hpp"
#include "closenotify/dtls_replay_window.hpp"
#include "closenotify/key_schedule.hpp"
#include "closenotify/keylog.hpp"
#include "closenotify/record_protection.hpp"

using namespace closenotify;

namespace {

using byte_vector = std::vector<std::uint8_t>;

byte_vector hex(std::string_view s) { return closenotify::testing::vector_hex(s); }
byte_vector text(std::string_view s) { return {s.begin(), s.end()}; }
byte_vector bytes(bytes_view b) { return {b.begin(), b.end()}; }

void append(byte_vector& to, bytes_view b) { to.insert(to.end(), b.begin(), b.end()); }

const cipher_suite& dtls_suite(std::string_view name) {
  const cipher_suite* s = find_dtls12_cipher_suite(name);
  REQUIRE(s != nullptr);
  REQUIRE(s->version == protocol_version::dtls12);
  return *s;
}

// A header with every field distinct, and a body.
byte_vector record(std::uint8_t type, std::uint16_t version, std::uint16_t epoch, std::uint64_t seq,
                   const byte_vector& body, std::optional<std::uint16_t> length = std::nullopt) {
  const std::uint16_t len = length.value_or(static_cast<std::uint16_t>(body.size()));
  byte_vector r{type, std::uint8_t(version >> 8), std::uint8_t(version), std::uint8_t(epoch >> 8),
                std::uint8_t(epoch)};
  for (int i = 5; i >= 0; --i) r.push_back(std::uint8_t(seq >> (8 * i)));
  r.push_back(std::uint8_t(len >> 8));
  r.push_back(std::uint8_t(len));
  append(r, body);
  return r;
}

// discarded: the discard a framing or read result holds, if it is one.
template <class Result>
std::optional<dtls_discard> discarded(const Result& r) {
  if (const auto* d = std::get_if<dtls_discard>(&r)) return *d;
  return std::nullopt;
}

const dtls_ciphertext& as_record(const dtls_frame_result& r) {
  REQUIRE(std::holds_alternative<dtls_ciphertext>(r));
  return std::get<dtls_ciphertext>(r);
}

// ---- keys ------------------------------------------------------------------------------

struct test_secrets {
  byte_vector master = byte_vector(48), client_random = byte_vector(32),
              server_random = byte_vector(32);
  test_secrets() {
    for (std::size_t i = 0; i < 48; ++i) master[i] = std::uint8_t(0x30 + i);
    for (std::size_t i = 0; i < 32; ++i)
      client_random[i] = std::uint8_t(0xc0 ^ i), server_random[i] = std::uint8_t(0x50 + 3 * i);
  }
  connection_secrets view() const { return {{}, {}, master, client_random, server_random}; }
};

record_protection protection(const cipher_suite& s, std::uint16_t epoch, std::uint64_t seq = 0) {
  auto p = protection_from_secrets(s, test_secrets().view(), role::client, seq, epoch);
  REQUIRE(std::holds_alternative<record_protection>(p));
  return std::move(std::get<record_protection>(p));
}

traffic_keys client_keys(const cipher_suite& s) {
  const test_secrets t;
  auto b = tls12_derive_key_block(s, t.master, t.client_random, t.server_random);
  REQUIRE(std::holds_alternative<tls12_key_block>(b));
  return std::get<tls12_key_block>(b).client_write;
}

byte_vector seal(record_protection& p, content_type type, const byte_vector& plaintext) {
  byte_vector out(p.sealed_size(plaintext.size()));
  auto r = p.seal(type, plaintext, out);
  REQUIRE(std::holds_alternative<std::size_t>(r));
  REQUIRE(std::get<std::size_t>(r) == out.size());
  return out;
}

// ---- the RFCs' formulas, with BoringSSL's raw EVP_AEAD ----------------------------------

const EVP_AEAD* raw_aead(const cipher_suite& s) {
  switch (s.aead) {
    case aead_algorithm::aes_128_gcm:
      return EVP_aead_aes_128_gcm();
    case aead_algorithm::aes_256_gcm:
      return EVP_aead_aes_256_gcm();
    case aead_algorithm::chacha20_poly1305:
      return EVP_aead_chacha20_poly1305();
  }
  return nullptr;
}

// epoch_seq: RFC 6347 §4.1.2.1 "the 64-bit value formed by concatenating the epoch and the
// sequence number in the order they appear on the wire".
byte_vector epoch_seq(std::uint16_t epoch, std::uint64_t seq) {
  byte_vector v{std::uint8_t(epoch >> 8), std::uint8_t(epoch)};
  for (int i = 5; i >= 0; --i) v.push_back(std::uint8_t(seq >> (8 * i)));
  return v;
}

// raw_nonce: RFC 5288 §3 GCMNonce = salt (4) || nonce_explicit (8); RFC 7905 §2: the 64-bit
// epoch || seq "padded on the left with four 0x00 bytes" and "XORed with the ... write_IV".
byte_vector raw_nonce(const cipher_suite& s, const traffic_keys& k,
                      const byte_vector& explicit_or_seq) {
  byte_vector n(k.iv.view().begin(), k.iv.view().end());
  if (s.aead == aead_algorithm::chacha20_poly1305) {
    for (std::size_t i = 0; i < 8; ++i) n[4 + i] ^= explicit_or_seq[i];
  } else {
    append(n, explicit_or_seq);
  }
  REQUIRE(n.size() == 12);
  return n;
}

// raw_ad: RFC 5246 §6.2.3.3 "additional_data = seq_num + TLSCompressed.type +
// TLSCompressed.version + TLSCompressed.length;" with DTLS's epoch || seq as seq_num.
byte_vector raw_ad(const byte_vector& es, std::uint8_t type, std::size_t plaintext_len) {
  byte_vector ad = es;
  append(ad, byte_vector{type, 0xfe, 0xfd, std::uint8_t(plaintext_len >> 8),
                         std::uint8_t(plaintext_len)});
  return ad;
}

// raw_record: a whole DTLS record sealed with EVP_AEAD from the formulas above, the
// additional data's epoch || seq given separately so a test can get it wrong on purpose.
byte_vector raw_record(const cipher_suite& s, std::uint8_t type, std::uint16_t epoch,
                       std::uint64_t seq, const byte_vector& plaintext,
                       const byte_vector& ad_epoch_seq) {
  const traffic_keys k = client_keys(s);
  const byte_vector es = epoch_seq(epoch, seq);
  const byte_vector nonce = raw_nonce(s, k, es);
  const byte_vector ad = raw_ad(ad_epoch_seq, type, plaintext.size());
  bssl::ScopedEVP_AEAD_CTX ctx;
  REQUIRE(EVP_AEAD_CTX_init(ctx.get(), raw_aead(s), k.key.view().data(), k.key.size(), 16,
                            nullptr) == 1);
  byte_vector body = s.explicit_nonce_length() ? es : byte_vector{};
  byte_vector sealed(plaintext.size() + 16);
  std::size_t n = 0;
  REQUIRE(EVP_AEAD_CTX_seal(ctx.get(), sealed.data(), &n, sealed.size(), nonce.data(), nonce.size(),
                            plaintext.data(), plaintext.size(), ad.data(), ad.size()) == 1);
  append(body, sealed);
  return record(type, 0xfefd, epoch, seq, body);
}

const char* const kSuites[] = {"ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384",
                               "ECDHE-ECDSA-CHACHA20-POLY1305"};

}  // namespace

// ---- framing ---------------------------------------------------------------------------

TEST_CASE(
    "RFC 6347 §4.1: the header is type, version, epoch, a 48-bit sequence_number and length") {
  const byte_vector body = text("fragment");
  const byte_vector r = record(23, 0xfefd, 0x0102, 0x030405060708, body);
  REQUIRE(r.size() == dtls_record_header_size + body.size());
  const auto framed = parse_dtls_record(r);
  const auto& rec = as_record(framed);
  CHECK(rec.header == dtls_record_header{content_type::application_data, 0xfefd, 0x0102,
                                         0x030405060708, static_cast<std::uint16_t>(body.size())});
  CHECK(bytes(rec.header_bytes) == byte_vector(r.begin(), r.begin() + 13));
  CHECK(bytes(rec.fragment) == body);
  CHECK(rec.size() == r.size());
  const auto encoded =
      encode_dtls_record_header(content_type::application_data, 0x0102, 0x030405060708,
                                static_cast<std::uint16_t>(body.size()));
  CHECK(byte_vector(encoded.begin(), encoded.end()) == byte_vector(r.begin(), r.begin() + 13));
  // The largest sequence number fills all six bytes.
  const auto top =
      encode_dtls_record_header(content_type::alert, 0xffff, dtls_max_sequence_number, 0);
  CHECK(byte_vector(top.begin(), top.end()) == hex("15 fefd ffff ffffffffffff 0000"));
}

TEST_CASE("RFC 6347 §4.1.1: multiple DTLS records may be placed in a single datagram") {
  byte_vector datagram = record(22, 0xfefd, 1, 7, text("a"));
  append(datagram, record(23, 0xfefd, 1, 8, text("bb")));
  append(datagram, record(21, 0xfefd, 1, 9, text("cc")));
  dtls_datagram_reader reader(datagram);
  std::size_t consumed = 0;
  for (std::uint64_t seq : {7, 8, 9}) {
    CAPTURE(seq);
    const auto r = reader.next();
    const auto& rec = as_record(r);
    CHECK(rec.header.sequence_number == seq);
    CHECK(reader.last_fragment().data() == rec.fragment.data());
    consumed += rec.size();
    CHECK(reader.consumed() == consumed);
  }
  CHECK(std::holds_alternative<end_of_datagram>(reader.next()));
  CHECK(std::holds_alternative<end_of_datagram>(reader.next()));
  CHECK(reader.consumed() == datagram.size());
}

TEST_CASE("an empty datagram holds no record") {
  dtls_datagram_reader reader({});
  CHECK(std::holds_alternative<end_of_datagram>(reader.next()));
}

TEST_CASE(
    "records may not span datagrams: a partial header is dumped with the rest of the datagram") {
  byte_vector datagram = record(23, 0xfefd, 1, 1, text("whole"));
  const byte_vector tail = hex("17 fefd 0001 000000");  // 7 bytes of a next header
  append(datagram, tail);
  dtls_datagram_reader reader(datagram);
  CHECK(as_record(reader.next()).header.sequence_number == 1);
  CHECK(discarded(reader.next()) == dtls_discard{dtls_discard_reason::partial_header, tail.size()});
  CHECK(std::holds_alternative<end_of_datagram>(reader.next()));
}

TEST_CASE("records may not span datagrams: a body that runs past the datagram is dumped") {
  // The second record claims 50 bytes and the datagram holds 20 of them.
  byte_vector datagram = record(23, 0xfefd, 1, 1, text("whole"));
  const byte_vector partial = record(23, 0xfefd, 1, 2, byte_vector(20, 0xaa), 50);
  append(datagram, partial);
  dtls_datagram_reader reader(datagram);
  CHECK(as_record(reader.next()).header.sequence_number == 1);
  CHECK(discarded(reader.next()) ==
        dtls_discard{dtls_discard_reason::partial_record, partial.size()});
  CHECK(std::holds_alternative<end_of_datagram>(reader.next()));
  // One byte short is short.
  const byte_vector just_short = record(23, 0xfefd, 1, 3, byte_vector(49, 0), 50);
  CHECK(discarded(parse_dtls_record(just_short)) ==
        dtls_discard{dtls_discard_reason::partial_record, just_short.size()});
}

TEST_CASE(
    "unexpected version, silently discard: only an alert may carry a version other than "
    "{254,253}") {
  SUBCASE("application_data as DTLS 1.0 {254,255}") {
    CHECK(discarded(parse_dtls_record(record(23, 0xfeff, 1, 1, text("x")))) ==
          dtls_discard{dtls_discard_reason::unexpected_version, 13});
  }
  SUBCASE("handshake as TLS 1.2 {3,3}") {
    CHECK(discarded(parse_dtls_record(record(22, 0x0303, 1, 1, text("x")))) ==
          dtls_discard{dtls_discard_reason::unexpected_version, 13});
  }
  SUBCASE("We tolerate alerts that don't have the exact version number") {
    CHECK(as_record(parse_dtls_record(record(21, 0xfeff, 1, 1, text("xy")))).header.version ==
          0xfeff);
  }
  SUBCASE("wrong version, silently discard record: an alert whose major byte is not 254") {
    CHECK(discarded(parse_dtls_record(record(21, 0x0303, 1, 1, text("xy")))) ==
          dtls_discard{dtls_discard_reason::wrong_version, 13});
  }
}

TEST_CASE(
    "a discard judged from the header consumes the header only: the next header is read from its "
    "body") {
  // OpenSSL resets the packet length without reading the body, so what follows the 13
  // header bytes is taken as the next record: here a whole valid record hidden in the body
  // of a record with the wrong version.
  const byte_vector inner = record(23, 0xfefd, 1, 42, text("inner"));
  byte_vector datagram = record(23, 0x0303, 1, 1, inner);
  dtls_datagram_reader reader(datagram);
  CHECK(discarded(reader.next()) == dtls_discard{dtls_discard_reason::unexpected_version, 13});
  const auto r = reader.next();
  CHECK(as_record(r).header.sequence_number == 42);
  CHECK(bytes(as_record(r).fragment) == text("inner"));
  CHECK(std::holds_alternative<end_of_datagram>(reader.next()));
}

TEST_CASE(
    "record too long, silently discard it: OpenSSL 3.0's SSL3_RT_MAX_ENCRYPTED_LENGTH and 3.5's "
    "limit") {
  CHECK(dtls_openssl30_max_record_length == 17728);
  CHECK(dtls_openssl35_max_record_length == 16704);
  for (std::size_t limit : {dtls_openssl30_max_record_length, dtls_openssl35_max_record_length}) {
    CAPTURE(limit);
    const auto over = static_cast<std::uint16_t>(limit + 1), at = static_cast<std::uint16_t>(limit);
    CHECK(discarded(parse_dtls_record(record(23, 0xfefd, 1, 1, {}, over), limit)) ==
          dtls_discard{dtls_discard_reason::record_too_long, 13});
    // At the limit the header is accepted and the body is looked for.
    CHECK(discarded(parse_dtls_record(record(23, 0xfefd, 1, 1, {}, at), limit)) ==
          dtls_discard{dtls_discard_reason::partial_record, 13});
    CHECK(as_record(parse_dtls_record(record(23, 0xfefd, 1, 1, byte_vector(at, 1)), limit))
              .fragment.size() == at);
  }
}

TEST_CASE("every discard reason has a name") {
  for (int r = 0; r <= static_cast<int>(dtls_discard_reason::too_short); ++r)
    CHECK(to_string(static_cast<dtls_discard_reason>(r)) != "unknown");
}

// ---- protection: nonce and additional data ---------------------------------------------

TEST_CASE("the DTLS 1.2 suites are TLS 1.2's ECDHE-ECDSA AEAD suites, apart from TLS's table") {
  CHECK(dtls12_cipher_suites().size() == 3);
  CHECK(all_cipher_suites().size() == 9);
  for (const char* name : kSuites) {
    CAPTURE(name);
    const cipher_suite& d = dtls_suite(name);
    const cipher_suite* t = find_cipher_suite(name);
    REQUIRE(t != nullptr);
    CHECK(t->version == protocol_version::tls12);
    CHECK(d.id == t->id);
    CHECK(d.fixed_iv_length() == t->fixed_iv_length());
    CHECK(d.explicit_nonce_length() == t->explicit_nonce_length());
    CHECK(find_dtls12_cipher_suite(t->iana_name) == &d);
  }
  CHECK(find_dtls12_cipher_suite("0xCCA9") == &dtls_suite("ECDHE-ECDSA-CHACHA20-POLY1305"));
  CHECK(find_dtls12_cipher_suite("TLS_AES_128_GCM_SHA256") == nullptr);
  CHECK(to_string(protocol_version::dtls12) == "DTLSv1.2");
}

TEST_CASE(
    "RFC 6347 §4.1.2.1: epoch || sequence number, as on the wire, is the seq_num of the nonce and "
    "the additional data") {
  for (const char* name : kSuites) {
    SUBCASE(name) {
      const cipher_suite& s = dtls_suite(name);
      const std::uint16_t epoch = 0x0102;
      const std::uint64_t seq = 0xa1b2c3d4e5f6;
      record_protection p = protection(s, epoch, seq);
      const byte_vector plaintext = text("the formulas");
      const byte_vector wire = seal(p, content_type::application_data, plaintext);
      CHECK(p.sequence_number() == seq + 1);
      const byte_vector es = epoch_seq(epoch, seq);
      // The header: type, {254,253}, epoch, sequence number, length.
      CHECK(byte_vector(wire.begin(), wire.begin() + 13) ==
            record(23, 0xfefd, epoch, seq, {}, static_cast<std::uint16_t>(wire.size() - 13)));
      // RFC 5288 §3: "The nonce_explicit MAY be the 64-bit sequence number": epoch || seq.
      const std::size_t explicit_len = s.explicit_nonce_length();
      if (explicit_len) CHECK(byte_vector(wire.begin() + 13, wire.begin() + 21) == es);
      // Opened by the raw AEAD with the nonce and additional data computed from the RFCs.
      const traffic_keys k = client_keys(s);
      const byte_vector nonce = raw_nonce(s, k, es);
      const byte_vector ad = raw_ad(es, 23, plaintext.size());
      bssl::ScopedEVP_AEAD_CTX ctx;
      REQUIRE(EVP_AEAD_CTX_init(ctx.get(), raw_aead(s), k.key.view().data(), k.key.size(), 16,
                                nullptr) == 1);
      byte_vector out(wire.size());
      std::size_t n = 0;
      const std::uint8_t* ct = wire.data() + 13 + explicit_len;
      const std::size_t ct_len = wire.size() - 13 - explicit_len;
      REQUIRE(EVP_AEAD_CTX_open(ctx.get(), out.data(), &n, out.size(), nonce.data(), nonce.size(),
                                ct, ct_len, ad.data(), ad.size()) == 1);
      CHECK(byte_vector(out.begin(), out.begin() + n) == plaintext);
      // And the other way: a record the raw AEAD sealed opens with closenotify.
      byte_vector raw = raw_record(s, 21, epoch, 77, hex("0100"), epoch_seq(epoch, 77));
      record_protection opener = protection(s, epoch);
      dtls_replay_window window;
      dtls_datagram_reader reader(raw);
      const auto r = read_dtls_record(reader, opener, window);
      REQUIRE(std::holds_alternative<dtls_plaintext>(r));
      CHECK(std::get<dtls_plaintext>(r).type == content_type::alert);
      CHECK(bytes(std::get<dtls_plaintext>(r).fragment) == hex("0100"));
      CHECK(std::get<dtls_plaintext>(r).header.sequence_number == 77);
      CHECK(opener.sequence_number() == 0);  // opening moves no counter
    }
  }
}

TEST_CASE(
    "a record whose additional data leaves out the epoch does not authenticate, and is discarded") {
  for (const char* name : kSuites) {
    SUBCASE(name) {
      const cipher_suite& s = dtls_suite(name);
      // TLS's seq_num (the 48-bit number alone, epoch bits zero) in the additional data.
      byte_vector raw = raw_record(s, 23, 1, 5, text("no epoch"), epoch_seq(0, 5));
      record_protection opener = protection(s, 1);
      dtls_replay_window window;
      dtls_datagram_reader reader(raw);
      CHECK(discarded(read_dtls_record(reader, opener, window)) ==
            dtls_discard{dtls_discard_reason::bad_record_mac, raw.size()});
      CHECK(window.map() == 0);
    }
  }
}

TEST_CASE(
    "the additional data carries the negotiated version, not the header's (an alert may differ)") {
  // tls1_enc: `buf[ctr][9] = (unsigned char)(s->version >> 8)`. An alert framed with
  // {254,255} (tolerated) still authenticates under {254,253}.
  const cipher_suite& s = dtls_suite("ECDHE-ECDSA-AES128-GCM-SHA256");
  record_protection sealer = protection(s, 1, 3);
  byte_vector wire = seal(sealer, content_type::alert, hex("0100"));
  wire[2] = 0xff;
  record_protection opener = protection(s, 1);
  dtls_replay_window window;
  dtls_datagram_reader reader(wire);
  const auto r = read_dtls_record(reader, opener, window);
  REQUIRE(std::holds_alternative<dtls_plaintext>(r));
  CHECK(std::get<dtls_plaintext>(r).header.version == 0xfeff);
  CHECK(bytes(std::get<dtls_plaintext>(r).fragment) == hex("0100"));
}

TEST_CASE(
    "the 48-bit sequence number: the last one is never sealed, and a larger one is refused at "
    "set-up") {
  const cipher_suite& s = dtls_suite("ECDHE-ECDSA-CHACHA20-POLY1305");
  record_protection p = protection(s, 1, dtls_max_sequence_number - 1);
  const byte_vector wire = seal(p, content_type::alert, hex("0100"));
  CHECK(byte_vector(wire.begin() + 5, wire.begin() + 11) == hex("ffffffff fffe"));
  byte_vector out(64);
  const auto refused = p.seal(content_type::alert, hex("0100"), out);
  REQUIRE(std::holds_alternative<fatal>(refused));
  CHECK(std::get<fatal>(refused).reason == "sequence number exhausted");
  CHECK(p.sequence_number() == dtls_max_sequence_number);
  const auto too_big =
      record_protection::dtls12(s, client_keys(s), 1, dtls_max_sequence_number + 1);
  CHECK(std::holds_alternative<config_error>(too_big));
}

TEST_CASE(
    "DTLS and TLS protections do not open each other's records, and suites of the other kind are "
    "refused") {
  const cipher_suite& d = dtls_suite("ECDHE-ECDSA-AES128-GCM-SHA256");
  const cipher_suite& t = *find_cipher_suite("ECDHE-ECDSA-AES128-GCM-SHA256");
  record_protection dp = protection(d, 1);
  byte_vector frag(40);
  CHECK(
      std::holds_alternative<fatal>(dp.open(record_header{content_type::alert, 0x0303, 40}, frag)));
  auto tp = record_protection::tls12(t, client_keys(t));
  REQUIRE(std::holds_alternative<record_protection>(tp));
  CHECK(std::holds_alternative<fatal>(std::get<record_protection>(tp).open(
      dtls_record_header{content_type::alert, 0xfefd, 0, 0, 40}, frag)));
  CHECK(std::holds_alternative<config_error>(record_protection::tls12(d, client_keys(d))));
  CHECK(std::holds_alternative<config_error>(record_protection::dtls12(t, client_keys(t), 1)));
  CHECK(dp.sealed_size(2) == 13 + 8 + 2 + 16);
  CHECK(dp.version() == protocol_version::dtls12);
  CHECK(dp.epoch() == 1);
}

// ---- the anti-replay window --------------------------------------------------------------

TEST_CASE("RFC 6347 §4.1.2.6: a duplicate is rejected, a new record within the window accepted") {
  dtls_replay_window w;
  CHECK_FALSE(w.check(0));  // a fresh window takes sequence number 0
  w.update(0);
  CHECK(w.check(0) == dtls_discard_reason::replayed);
  w.update(10);
  CHECK(w.max_sequence_number() == 10);
  CHECK(w.map() == ((1u << 10) | 1u));
  CHECK_FALSE(w.check(5));  // in the window, out of order, new
  w.update(5);
  CHECK(w.check(5) == dtls_discard_reason::replayed);
  CHECK(w.check(10) == dtls_discard_reason::replayed);
  CHECK_FALSE(w.check(11));
}

TEST_CASE(
    "RFC 6347 §4.1.2.6: records lower than the left edge of the 64-record window are rejected") {
  dtls_replay_window w;
  w.update(100);
  CHECK_FALSE(w.check(37));                          // 63 behind: the window's last slot
  CHECK(w.check(36) == dtls_discard_reason::stale);  // 64 behind
  CHECK(w.check(0) == dtls_discard_reason::stale);
  w.update(37);
  CHECK(w.check(37) == dtls_discard_reason::replayed);
  w.update(101);  // 37 slides out
  CHECK(w.check(37) == dtls_discard_reason::stale);
}

TEST_CASE("a record far ahead of the window moves it: everything before is forgotten or stale") {
  dtls_replay_window w;
  for (std::uint64_t s = 0; s < 10; ++s) w.update(s);
  w.update(1010);  // far ahead: satsub64be saturates at 128, the map becomes 1
  CHECK(w.max_sequence_number() == 1010);
  CHECK(w.map() == 1);
  CHECK(w.check(9) == dtls_discard_reason::stale);
  CHECK_FALSE(w.check(1009));  // never received: new
  CHECK(w.check(1010) == dtls_discard_reason::replayed);
  // Exactly 64 ahead: the old right edge falls just out of the map.
  dtls_replay_window v;
  v.update(0);
  v.update(64);
  CHECK(v.map() == 1);
  CHECK(v.check(0) == dtls_discard_reason::stale);
  v.update(127);  // 63 ahead: 64 stays in the map, at bit 63
  CHECK(v.map() == ((std::uint64_t{1} << 63) | 1));
  CHECK(v.check(64) == dtls_discard_reason::replayed);
}

TEST_CASE("the window at the 48-bit limits") {
  const std::uint64_t last = dtls_max_sequence_number;
  dtls_replay_window w;
  w.update(0);
  CHECK_FALSE(w.check(last));
  w.update(last);  // 2^48-1 ahead of 0
  CHECK(w.max_sequence_number() == last);
  CHECK(w.map() == 1);
  CHECK(w.check(last) == dtls_discard_reason::replayed);
  CHECK_FALSE(w.check(last - 63));
  CHECK(w.check(last - 64) == dtls_discard_reason::stale);
  CHECK(w.check(0) == dtls_discard_reason::stale);
  // A window taken over at the top, as a handoff would give it.
  dtls_replay_window h(last - 1, 0x5);  // last-1 and last-3 received
  CHECK_FALSE(h.check(last));
  CHECK(h.check(last - 3) == dtls_discard_reason::replayed);
  CHECK_FALSE(h.check(last - 2));
}

TEST_CASE(
    "RFC 6347 §4.1.2.6: the receive window is updated only if the MAC verification succeeds") {
  const cipher_suite& s = dtls_suite("ECDHE-ECDSA-AES256-GCM-SHA384");
  record_protection sealer = protection(s, 1, 5);
  const byte_vector genuine = seal(sealer, content_type::application_data, text("five"));
  byte_vector forged = genuine;
  forged.back() ^= 1;
  record_protection opener = protection(s, 1);
  dtls_replay_window window;
  dtls_datagram_reader forged_reader(forged);
  CHECK(discarded(read_dtls_record(forged_reader, opener, window)) ==
        dtls_discard{dtls_discard_reason::bad_record_mac, forged.size()});
  CHECK(window.map() == 0);
  CHECK(window.max_sequence_number() == 0);
  byte_vector copy = genuine;
  dtls_datagram_reader reader(copy);
  CHECK(std::holds_alternative<dtls_plaintext>(read_dtls_record(reader, opener, window)));
  CHECK(window.max_sequence_number() == 5);
}

TEST_CASE(
    "RFC 6347 §4.1.2.6: the replay check is the first check after the epoch: a replayed forgery is "
    "'replayed'") {
  const cipher_suite& s = dtls_suite("ECDHE-ECDSA-AES128-GCM-SHA256");
  record_protection sealer = protection(s, 1, 9);
  const byte_vector genuine = seal(sealer, content_type::application_data, text("nine"));
  record_protection opener = protection(s, 1);
  dtls_replay_window window;
  byte_vector first = genuine;
  dtls_datagram_reader r1(first);
  REQUIRE(std::holds_alternative<dtls_plaintext>(read_dtls_record(r1, opener, window)));
  // The same record again, and again with a broken tag: never decrypted, both replayed.
  byte_vector again = genuine, broken = genuine;
  broken.back() ^= 0x80;
  for (byte_vector* d : {&again, &broken}) {
    dtls_datagram_reader r(*d);
    CHECK(discarded(read_dtls_record(r, opener, window)) ==
          dtls_discard{dtls_discard_reason::replayed, genuine.size()});
  }
}

// ---- invalid records are discarded -------------------------------------------------------

TEST_CASE(
    "RFC 6347 §4.1.2.7: invalid records SHOULD be silently discarded, thus preserving the "
    "association") {
  for (const char* name : kSuites) {
    SUBCASE(name) {
      const cipher_suite& s = dtls_suite(name);
      record_protection sealer = protection(s, 1, 1);
      byte_vector bad = seal(sealer, content_type::application_data, text("tampered"));
      bad[bad.size() - 3] ^= 0x10;  // a tag byte
      const byte_vector good = seal(sealer, content_type::alert, hex("0100"));
      byte_vector datagram = bad;
      append(datagram, good);
      record_protection opener = protection(s, 1);
      dtls_replay_window window;
      dtls_datagram_reader reader(datagram);
      // A bad tag is a discard, not a fatal alert, and the next record of the same datagram opens.
      CHECK(discarded(read_dtls_record(reader, opener, window)) ==
            dtls_discard{dtls_discard_reason::bad_record_mac, bad.size()});
      const auto r = read_dtls_record(reader, opener, window);
      REQUIRE(std::holds_alternative<dtls_plaintext>(r));
      CHECK(std::get<dtls_plaintext>(r).header.sequence_number == 2);
      CHECK(bytes(std::get<dtls_plaintext>(r).fragment) == hex("0100"));
      CHECK(std::holds_alternative<end_of_datagram>(read_dtls_record(reader, opener, window)));
    }
  }
}

TEST_CASE("a fragment too short for a nonce and a tag is a discard of its own (too_short)") {
  const cipher_suite& s = dtls_suite("ECDHE-ECDSA-AES128-GCM-SHA256");
  byte_vector r = record(23, 0xfefd, 1, 1, byte_vector(23, 0));  // 8 + 16 - 1
  record_protection opener = protection(s, 1);
  dtls_replay_window window;
  dtls_datagram_reader reader(r);
  CHECK(discarded(read_dtls_record(reader, opener, window)) ==
        dtls_discard{dtls_discard_reason::too_short, r.size()});
}

TEST_CASE(
    "just read a 0 length packet: an empty record is dropped after the replay check, the window "
    "untouched") {
  const cipher_suite& s = dtls_suite("ECDHE-ECDSA-AES128-GCM-SHA256");
  byte_vector r = record(23, 0xfefd, 1, 4, {});
  record_protection opener = protection(s, 1);
  dtls_replay_window window;
  dtls_datagram_reader reader(r);
  CHECK(discarded(read_dtls_record(reader, opener, window)) ==
        dtls_discard{dtls_discard_reason::empty_record, 13});
  CHECK(window.map() == 0);
  // A replayed empty record is "replayed": the replay check comes first.
  window.update(4);
  dtls_datagram_reader again(r);
  CHECK(discarded(read_dtls_record(again, opener, window)) ==
        dtls_discard{dtls_discard_reason::replayed, 13});
}

TEST_CASE(
    "RFC 6347 §4.1: records from another epoch are discarded, the next epoch's too (no handshake "
    "to buffer them for)") {
  const cipher_suite& s = dtls_suite("ECDHE-ECDSA-CHACHA20-POLY1305");
  record_protection opener = protection(s, 1);
  dtls_replay_window window;
  for (auto [epoch, reason] : {std::pair{std::uint16_t{0}, dtls_discard_reason::wrong_epoch},
                               std::pair{std::uint16_t{2}, dtls_discard_reason::next_epoch},
                               std::pair{std::uint16_t{3}, dtls_discard_reason::wrong_epoch}}) {
    CAPTURE(epoch);
    // Sealed under the same keys, so only the epoch is wrong.
    record_protection sealer = protection(s, epoch, 1);
    byte_vector wire = seal(sealer, content_type::alert, hex("0100"));
    dtls_datagram_reader reader(wire);
    CHECK(discarded(read_dtls_record(reader, opener, window)) == dtls_discard{reason, wire.size()});
  }
  CHECK(window.map() == 0);
}

TEST_CASE(
    "a record that authenticates with more than 2^14 bytes is fatal in DTLS too: record_overflow") {
  const cipher_suite& s = dtls_suite("ECDHE-ECDSA-AES128-GCM-SHA256");
  record_protection sealer = protection(s, 1, 1);
  const byte_vector big(16385, 0x61);
  byte_vector wire(sealer.sealed_size(big.size()));
  REQUIRE(std::holds_alternative<std::size_t>(sealer.seal_hostile(23, big, wire)));
  record_protection opener = protection(s, 1);
  dtls_replay_window window;
  dtls_datagram_reader reader(wire);
  const auto r = read_dtls_record(reader, opener, window);
  REQUIRE(std::holds_alternative<fatal>(r));
  CHECK(std::get<fatal>(r).send == alert_description::record_overflow);
  CHECK(std::get<fatal>(r).reason == "data length too long");
  CHECK(window.map() == 0);
}

// ---- records a live OpenSSL wrote ----------------------------------------------------------

namespace {

struct openssl_record {
  role sender;
  content_type type;
  byte_vector datagram, plaintext;
};
struct openssl_session {
  std::string suite;
  byte_vector client_random, server_random;
  std::vector<openssl_record> records;
};

std::vector<openssl_session> load_openssl_records() {
  std::ifstream in(CLOSENOTIFY_SOURCE_ROOT "/tests/unit/data/dtls12-openssl-3.0.records");
  REQUIRE(in);
  std::vector<openssl_session> out;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream f(line);
    std::string key, a, b, c;
    f >> key >> a;
    if (key == "suite") {
      out.push_back({a, {}, {}, {}});
    } else if (key == "client_random") {
      out.back().client_random = hex(a);
    } else if (key == "server_random") {
      out.back().server_random = hex(a);
    } else if (key == "client" || key == "server") {
      f >> b >> c;
      out.back().records.push_back(
          {key == "client" ? role::client : role::server,
           a == "alert" ? content_type::alert : content_type::application_data, hex(b), hex(c)});
    }
  }
  return out;
}

}  // namespace

TEST_CASE("records a live OpenSSL 3.0 wrote open under keys derived from its key log") {
  auto log = keylog::load(CLOSENOTIFY_SOURCE_ROOT "/tests/unit/data/dtls12-openssl-3.0.keys");
  REQUIRE(std::holds_alternative<keylog>(log));
  const auto sessions = load_openssl_records();
  REQUIRE(sessions.size() == 3);
  for (const auto& session : sessions) {
    SUBCASE(session.suite.c_str()) {
      const cipher_suite& s = dtls_suite(session.suite);
      const keylog_entry* e =
          std::get<keylog>(log).find(keylog_client_random, bytes_view(session.client_random));
      REQUIRE(e != nullptr);
      const connection_secrets secrets{
          {}, {}, e->secret.view(), session.client_random, session.server_random};
      REQUIRE(session.records.size() == 4);
      for (role sender : {role::client, role::server}) {
        CAPTURE(to_string(sender));
        auto made = protection_from_secrets(s, secrets, sender, 0, 1);
        REQUIRE(std::holds_alternative<record_protection>(made));
        record_protection& opener = std::get<record_protection>(made);
        // The handshake's Finished was this epoch's sequence number 0.
        dtls_replay_window window(0, 1);
        std::uint64_t expected_seq = 1;
        std::vector<byte_vector> explicit_nonces;
        for (const auto& rec : session.records) {
          if (rec.sender != sender) continue;
          byte_vector datagram = rec.datagram;
          dtls_datagram_reader reader(datagram);
          const auto r = read_dtls_record(reader, opener, window);
          REQUIRE(std::holds_alternative<dtls_plaintext>(r));
          const auto& pt = std::get<dtls_plaintext>(r);
          CHECK(pt.type == rec.type);
          CHECK(pt.header.epoch == 1);
          CHECK(pt.header.sequence_number == expected_seq++);
          CHECK(bytes(pt.fragment) == rec.plaintext);
          CHECK(std::holds_alternative<end_of_datagram>(read_dtls_record(reader, opener, window)));
          if (s.explicit_nonce_length())
            explicit_nonces.emplace_back(rec.datagram.begin() + 13, rec.datagram.begin() + 21);
          // The same datagram again is a replay.
          byte_vector again = rec.datagram;
          dtls_datagram_reader replay(again);
          CHECK(discarded(read_dtls_record(replay, opener, window)) ==
                dtls_discard{dtls_discard_reason::replayed, again.size()});
        }
        if (s.explicit_nonce_length()) {
          // OpenSSL's GCM nonce_explicit is not epoch || seq: a random start counted up by one
          // per record (getivgen's ctr64_inc), so consecutive records differ by one.
          REQUIRE(explicit_nonces.size() == 2);
          CHECK(explicit_nonces[0] != epoch_seq(1, 1));
          byte_vector next = explicit_nonces[0];
          for (int i = 7; i >= 0 && ++next[i] == 0; --i) {
          }
          CHECK(explicit_nonces[1] == next);
        } else {
          // ChaCha20-Poly1305's nonce is fixed by RFC 7905: closenotify's seal of the same
          // record at the same epoch and sequence number is OpenSSL's, byte for byte.
          auto resealer = protection_from_secrets(s, secrets, sender, 2, 1);
          REQUIRE(std::holds_alternative<record_protection>(resealer));
          const auto& close_notify = session.records[sender == role::client ? 2 : 3];
          REQUIRE(close_notify.type == content_type::alert);
          CHECK(seal(std::get<record_protection>(resealer), content_type::alert,
                     close_notify.plaintext) == close_notify.datagram);
        }
      }
    }
  }
}

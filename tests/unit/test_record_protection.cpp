// Tests of record protection: the RFC 8448 §3 records byte for byte, round trips for every
// suite of the matrix, and hostile ciphertexts built here with BoringSSL's raw EVP_AEAD (the
// library refuses to seal them). Header parsing is done locally so these tests depend only
// on the record protection unit.
#include <doctest/doctest.h>

#include "vector_hex.hpp"
#include <openssl/aead.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "closenotify/cipher_suite.hpp"
#include "closenotify/connection_secrets.hpp"
#include "closenotify/key_schedule.hpp"
#include "closenotify/record_protection.hpp"

using namespace closenotify;

namespace {

using byte_vector = std::vector<std::uint8_t>;

byte_vector hex(std::string_view s) { return closenotify::testing::vector_hex(s); }

byte_vector bytes(bytes_view b) { return {b.begin(), b.end()}; }

byte_vector counting(std::size_t n) {
  byte_vector v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<std::uint8_t>(i * 7 + 1);
  return v;
}

const cipher_suite& suite(std::uint16_t id) {
  const cipher_suite* s = find_cipher_suite(id);
  REQUIRE(s != nullptr);
  return *s;
}

const fatal bad_record_mac{alert_description::bad_record_mac,
                           "decryption failed or bad record mac"};
const fatal bad_record_type{alert_description::unexpected_message, "bad record type"};
const fatal record_overflow{alert_description::record_overflow, "data length too long"};

// ---- keys ------------------------------------------------------------------------------

byte_vector test_secret(const cipher_suite& s) {
  byte_vector secret(s.hash_length());
  for (std::size_t i = 0; i < secret.size(); ++i) secret[i] = static_cast<std::uint8_t>(0xa0 ^ i);
  return secret;
}

traffic_keys test_keys(const cipher_suite& s) {
  if (s.version == protocol_version::tls13) {
    auto k = tls13_traffic_keys(s, test_secret(s));
    REQUIRE(std::holds_alternative<traffic_keys>(k));
    return std::get<traffic_keys>(k);
  }
  const byte_vector master(48, 0x42), client_random(32, 0x01), server_random(32, 0x02);
  auto kb = tls12_derive_key_block(s, master, client_random, server_random);
  REQUIRE(std::holds_alternative<tls12_key_block>(kb));
  return std::get<tls12_key_block>(kb).client_write;
}

record_protection make(const cipher_suite& s, std::uint64_t seq = 0) {
  auto p = s.version == protocol_version::tls13
               ? record_protection::tls13(s, test_secret(s), seq)
               : record_protection::tls12(s, test_keys(s), seq);
  if (auto* e = std::get_if<config_error>(&p)) FAIL(e->message);
  return std::move(std::get<record_protection>(p));
}

record_protection make13(const cipher_suite& s, bytes_view secret, std::uint64_t seq) {
  auto p = record_protection::tls13(s, secret, seq);
  if (auto* e = std::get_if<config_error>(&p)) FAIL(e->message);
  return std::move(std::get<record_protection>(p));
}

// ---- records ---------------------------------------------------------------------------

byte_vector seal(record_protection& p, content_type type, bytes_view plaintext,
                 std::size_t padding = 0) {
  byte_vector out(p.sealed_size(plaintext.size(), padding));
  auto r = p.seal(type, plaintext, out, padding);
  if (auto* f = std::get_if<fatal>(&r)) FAIL(std::string(f->reason));
  REQUIRE(std::get<std::size_t>(r) == out.size());
  return out;
}

// opened: a record opened in place; `result` points into `record`.
struct opened {
  byte_vector record;
  std::variant<tls_plaintext, fatal> result;

  bool ok() const { return std::holds_alternative<tls_plaintext>(result); }
  const fatal& failure() const {
    REQUIRE(std::holds_alternative<fatal>(result));
    return std::get<fatal>(result);
  }
  content_type type() const {
    REQUIRE(ok());
    return std::get<tls_plaintext>(result).type;
  }
  byte_vector content() const {
    REQUIRE(ok());
    return bytes(std::get<tls_plaintext>(result).fragment);
  }
};

record_header header_of(bytes_view record) {
  return {static_cast<content_type>(record[0]),
          static_cast<std::uint16_t>(record[1] << 8 | record[2]),
          static_cast<std::uint16_t>(record[3] << 8 | record[4])};
}

opened open(record_protection& p, byte_vector record) {
  REQUIRE(record.size() >= record_header_size);
  opened o{std::move(record), fatal{}};
  // The vector's storage moved with it, so a span taken now stays valid in `o`.
  const record_header h = header_of(o.record);
  o.result = p.open(h, mutable_bytes(o.record).subspan(record_header_size));
  return o;
}

// raw_seal: a record sealed with BoringSSL directly, for contents record_protection refuses
// to produce. `inner` is the whole AEAD plaintext (TLS 1.3: the TLSInnerPlaintext).
byte_vector raw_seal(const cipher_suite& s, const traffic_keys& k, std::uint64_t seq,
                     content_type type, bytes_view inner) {
  const EVP_AEAD* aead = s.aead == aead_algorithm::aes_128_gcm   ? EVP_aead_aes_128_gcm()
                         : s.aead == aead_algorithm::aes_256_gcm ? EVP_aead_aes_256_gcm()
                                                                 : EVP_aead_chacha20_poly1305();
  bssl::ScopedEVP_AEAD_CTX ctx;
  REQUIRE(EVP_AEAD_CTX_init(ctx.get(), aead, k.key.view().data(), k.key.size(), 16, nullptr));
  byte_vector seq_be(8);
  for (int i = 0; i < 8; ++i) seq_be[i] = static_cast<std::uint8_t>(seq >> (56 - 8 * i));
  byte_vector nonce(12, 0);
  for (std::size_t i = 0; i < k.iv.size(); ++i) nonce[i] = k.iv.view()[i];
  for (int i = 0; i < 8; ++i) nonce[4 + i] ^= seq_be[i];  // GCM 1.2: salt || seq

  const std::size_t explicit_len = s.explicit_nonce_length();
  const std::size_t fragment_len = explicit_len + inner.size() + 16;
  const bool tls13 = s.version == protocol_version::tls13;
  const auto outer = static_cast<std::uint8_t>(tls13 ? content_type::application_data : type);
  byte_vector ad = tls13 ? byte_vector{} : seq_be;
  ad.push_back(outer);
  ad.push_back(0x03);
  ad.push_back(0x03);
  const std::size_t ad_len = tls13 ? fragment_len : inner.size();
  ad.push_back(static_cast<std::uint8_t>(ad_len >> 8));
  ad.push_back(static_cast<std::uint8_t>(ad_len));

  byte_vector record(record_header_size + fragment_len);
  record[0] = outer;
  record[1] = 0x03;
  record[2] = 0x03;
  record[3] = static_cast<std::uint8_t>(fragment_len >> 8);
  record[4] = static_cast<std::uint8_t>(fragment_len);
  for (std::size_t i = 0; i < explicit_len; ++i) record[record_header_size + i] = seq_be[i];
  const std::size_t at = record_header_size + explicit_len;
  std::size_t out_len = 0;
  REQUIRE(EVP_AEAD_CTX_seal(ctx.get(), record.data() + at, &out_len, inner.size() + 16,
                            nonce.data(), nonce.size(), inner.data(), inner.size(), ad.data(),
                            ad.size()));
  REQUIRE(out_len == inner.size() + 16);
  return record;
}

// ---- RFC 8448 §3 -----------------------------------------------------------------------

// {server} derive secret "tls13 s ap traffic" / {server} derive secret "tls13 c ap traffic"
const byte_vector rfc8448_server_ap_secret = hex(
    "a1 1a f9 f0 55 31 f8 56 ad 47 11 6b 45 a9 50 32"
    "82 04 b4 f4 4b fb 6b 3a 4b 4f 1f 3f cb 63 16 43");
const byte_vector rfc8448_client_ap_secret = hex(
    "9e 40 64 6c e7 9a 7f 9d c0 5a f8 88 9b ce 65 52"
    "87 5a fa 0b 06 df 00 87 f7 92 eb b7 c1 75 04 a5");

// {server} construct a NewSessionTicket handshake message: NewSessionTicket (205 octets)
const byte_vector rfc8448_new_session_ticket = hex(
    "04 00 00 c9 00 00 00 1e fa d6 aa c5 02 00 00 00 b2 2c 03 5d 82 93 59"
    "ee 5f f7 af 4e c9 00 00 00 00 26 2a 64 94 dc 48 6d 2c 8a 34 cb 33 fa"
    "90 bf 1b 00 70 ad 3c 49 88 83 c9 36 7c 09 a2 be 78 5a bc 55 cd 22 60"
    "97 a3 a9 82 11 72 83 f8 2a 03 a1 43 ef d3 ff 5d d3 6d 64 e8 61 be 7f"
    "d6 1d 28 27 db 27 9c ce 14 50 77 d4 54 a3 66 4d 4e 6d a4 d2 9e e0 37"
    "25 a6 a4 da fc d0 fc 67 d2 ae a7 05 29 51 3e 3d a2 67 7f a5 90 6c 5b"
    "3f 7d 8f 92 f2 28 bd a4 0d da 72 14 70 f9 fb f2 97 b5 ae a6 17 64 6f"
    "ac 5c 03 27 2e 97 07 27 c6 21 a7 91 41 ef 5f 7d e6 50 5e 5b fb c3 88"
    "e9 33 43 69 40 93 93 4a e4 d3 57 00 08 00 2a 00 04 00 00 04 00");

// {server} send handshake record: complete record (227 octets), the NewSessionTicket.
const byte_vector rfc8448_server_nst_record = hex(
    "17 03 03 00 de 3a 6b 8f 90 41 4a 97 d6 95 9c 34 87 68 0d e5 13 4a 2b"
    "24 0e 6c ff ac 11 6e 95 d4 1d 6a f8 f6 b5 80 dc f3 d1 1d 63 c7 58 db"
    "28 9a 01 59 40 25 2f 55 71 3e 06 1d c1 3e 07 88 91 a3 8e fb cf 57 53"
    "ad 8e f1 70 ad 3c 73 53 d1 6d 9d a7 73 b9 ca 7f 2b 9f a1 b6 c0 d4 a3"
    "d0 3f 75 e0 9c 30 ba 1e 62 97 2a c4 6f 75 f7 b9 81 be 63 43 9b 29 99"
    "ce 13 06 46 15 13 98 91 d5 e4 c5 b4 06 f1 6e 3f c1 81 a7 7c a4 75 84"
    "00 25 db 2f 0a 77 f8 1b 5a b0 5b 94 c0 13 46 75 5f 69 23 2c 86 51 9d"
    "86 cb ee ac 87 aa c3 47 d1 43 f9 60 5d 64 f6 50 db 4d 02 3e 70 e9 52"
    "ca 49 fe 51 37 12 1c 74 bc 26 97 68 7e 24 87 46 d6 df 35 30 05 f3 bc"
    "e1 86 96 12 9c 81 53 55 6b 3b 6c 67 79 b3 7b f1 59 85 68 4f");

// {client} send application_data record: complete record (72 octets)
const byte_vector rfc8448_client_app_record = hex(
    "17 03 03 00 43 a2 3f 70 54 b6 2c 94 d0 af fa fe 82 28 ba 55 cb ef ac ea"
    "42 f9 14 aa 66 bc ab 3f 2b 98 19 a8 a5 b4 6b 39 5b d5 4a 9a 20 44 1e 2b"
    "62 97 4e 1f 5a 62 92 a2 97 70 14 bd 1e 3d ea e6 3a ee bb 21 69 49 15 e4");

// {server} send application_data record: complete record (72 octets)
const byte_vector rfc8448_server_app_record = hex(
    "17 03 03 00 43 2e 93 7e 11 ef 4a c7 40 e5 38 ad 36 00 5f c4 a4 69 32 fc"
    "32 25 d0 5f 82 aa 1b 36 e3 0e fa f9 7d 90 e6 df fc 60 2d cb 50 1a 59 a8"
    "fc c4 9c 4b f2 e5 f0 a2 1c 00 47 c2 ab f3 32 54 0d d0 32 e1 67 c2 95 5d");

// {client} send alert record / {server} send alert record: complete record (24 octets)
const byte_vector rfc8448_client_alert_record =
    hex("17 03 03 00 13 c9 87 27 60 65 56 66 b7 4d 7f f1 15 3e fd 6d b6 d0 b0 e3");
const byte_vector rfc8448_server_alert_record =
    hex("17 03 03 00 13 b5 8f d6 71 66 eb f5 99 d2 47 20 cf be 7e fa 7a 88 64 a9");

// payload (50 octets): 00 01 02 ... 31 (hex), in both directions.
byte_vector rfc8448_app_payload() {
  byte_vector v(50);
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<std::uint8_t>(i);
  return v;
}

struct rfc8448_record {
  const char* what;
  const byte_vector& secret;
  std::uint64_t sequence_number;  // from the order of the trace under the application keys
  content_type type;
  byte_vector payload;
  const byte_vector& record;
};

}  // namespace

TEST_CASE("the RFC 8448 section 3 application records open to their payloads and seal to the "
          "printed bytes") {
  // Sequence numbers: the server's first record under its application keys is the
  // NewSessionTicket (0), then its application_data (1), then its close_notify (2); the
  // client's Finished went under the handshake keys, so its application_data is 0 and its
  // close_notify 1. RFC 8446 §5.3: "Each sequence number is set to zero at the beginning of
  // a connection and whenever the key is changed".
  const rfc8448_record records[] = {
      {"server NewSessionTicket", rfc8448_server_ap_secret, 0, content_type::handshake,
       rfc8448_new_session_ticket, rfc8448_server_nst_record},
      {"client application_data", rfc8448_client_ap_secret, 0, content_type::application_data,
       rfc8448_app_payload(), rfc8448_client_app_record},
      {"server application_data", rfc8448_server_ap_secret, 1, content_type::application_data,
       rfc8448_app_payload(), rfc8448_server_app_record},
      {"client close_notify", rfc8448_client_ap_secret, 1, content_type::alert,
       byte_vector{0x01, 0x00}, rfc8448_client_alert_record},
      {"server close_notify", rfc8448_server_ap_secret, 2, content_type::alert,
       byte_vector{0x01, 0x00}, rfc8448_server_alert_record},
  };
  const cipher_suite& aes128 = suite(0x1301);  // RFC 8448 §3 negotiates TLS_AES_128_GCM_SHA256
  for (const rfc8448_record& r : records) {
    SUBCASE(r.what) {
      SUBCASE("open") {
        record_protection reader = make13(aes128, r.secret, r.sequence_number);
        opened o = open(reader, r.record);
        REQUIRE(o.ok());
        CHECK(o.type() == r.type);
        CHECK(o.content() == r.payload);
        CHECK(reader.sequence_number() == r.sequence_number + 1);
      }
      SUBCASE("seal") {
        record_protection writer = make13(aes128, r.secret, r.sequence_number);
        CHECK(seal(writer, r.type, r.payload) == r.record);
        CHECK(writer.sequence_number() == r.sequence_number + 1);
      }
    }
  }
}

TEST_CASE("the RFC 8448 records do not open under another sequence number") {
  // RFC 8446 §5.3: "The per-record nonce for the AEAD construction is formed as follows"
  // from the sequence number, so the same record under the wrong one fails to authenticate.
  record_protection reader = make13(suite(0x1301), rfc8448_server_ap_secret, 0);
  CHECK(open(reader, rfc8448_server_app_record).failure() == bad_record_mac);
  CHECK(reader.sequence_number() == 0);
}

TEST_CASE("seal then open returns the content and type for every suite of the matrix") {
  for (const cipher_suite* s : matrix_cipher_suites()) {
    SUBCASE(std::string(s->name).c_str()) {
      record_protection writer = make(*s);
      record_protection reader = make(*s);
      const bool tls13 = s->version == protocol_version::tls13;
      struct payload {
        content_type type;
        std::size_t size;
      };
      const payload payloads[] = {{content_type::application_data, 0},
                                  {content_type::application_data, 1},
                                  {content_type::alert, 2},
                                  {content_type::handshake, 5},
                                  {content_type::application_data, max_plaintext_length}};
      const std::size_t paddings13[] = {0, 1, 63, 64, 255};
      std::uint64_t seq = 0;
      for (const payload& p : payloads) {
        for (std::size_t padding : paddings13) {
          if (!tls13 && padding != 0) continue;
          if (p.size + 1 + padding > max_plaintext_length + 1) continue;
          CAPTURE(p.size);
          CAPTURE(padding);
          const byte_vector content = counting(p.size);
          byte_vector record = seal(writer, p.type, content, padding);
          opened o = open(reader, record);
          REQUIRE(o.ok());
          CHECK(o.type() == p.type);
          CHECK(o.content() == content);
          ++seq;
          CHECK(writer.sequence_number() == seq);
          CHECK(reader.sequence_number() == seq);
        }
      }
    }
  }
}

TEST_CASE("record lengths and the explicit nonce are as each version specifies") {
  for (const cipher_suite* s : matrix_cipher_suites()) {
    SUBCASE(std::string(s->name).c_str()) {
      record_protection writer = make(*s, 0x0102030405060708);
      for (std::size_t n : {0u, 1u, 100u}) {
        CAPTURE(n);
        const std::uint64_t seq = writer.sequence_number();
        const byte_vector record = seal(writer, content_type::application_data, counting(n));
        const record_header h = header_of(record);
        CHECK(h.legacy_record_version == 0x0303);
        CHECK(h.length == record.size() - record_header_size);
        if (s->version == protocol_version::tls13) {
          // RFC 8446 §5.2: "The outer opaque_type field of a TLSCiphertext record is always
          // set to the value 23 (application_data)"; the length is content + type + padding
          // + tag.
          CHECK(h.type == content_type::application_data);
          CHECK(h.length == n + 1 + 16);
          const byte_vector padded = seal(writer, content_type::alert, counting(n), 7);
          CHECK(header_of(padded).type == content_type::application_data);
          CHECK(header_of(padded).length == n + 1 + 7 + 16);
        } else if (s->aead == aead_algorithm::chacha20_poly1305) {
          // RFC 7905 §2: no explicit nonce; "the nonce is formed by [...] XORing the
          // client_write_IV or server_write_IV with the padded sequence number".
          CHECK(h.length == n + 16);
        } else {
          // RFC 5288 §3: "struct { opaque nonce_explicit[8]; aead-ciphered struct { opaque
          // content[TLSCompressed.length]; }; } GenericAEADCipher;" and OpenSSL sends the
          // sequence number as nonce_explicit.
          CHECK(h.length == 8 + n + 16);
          byte_vector explicit_nonce(record.begin() + 5, record.begin() + 13);
          byte_vector seq_be(8);
          for (int i = 0; i < 8; ++i) seq_be[i] = static_cast<std::uint8_t>(seq >> (56 - 8 * i));
          CHECK(explicit_nonce == seq_be);
        }
      }
    }
  }
}

TEST_CASE("sealed_size is the size seal writes") {
  for (const cipher_suite* s : matrix_cipher_suites()) {
    record_protection writer = make(*s);
    const std::size_t padding = s->version == protocol_version::tls13 ? 3 : 0;
    byte_vector out(1000, 0xee);
    auto r = writer.seal(content_type::application_data, counting(10), out, padding);
    REQUIRE(std::holds_alternative<std::size_t>(r));
    CHECK(std::get<std::size_t>(r) == writer.sealed_size(10, padding));
    CHECK(out[writer.sealed_size(10, padding)] == 0xee);  // nothing written past the record
  }
}

TEST_CASE("changing any single byte of a record makes it fail with bad_record_mac") {
  // RFC 8446 §5.2: "If the decryption fails, the receiver MUST terminate the connection with
  // a "bad_record_mac" alert." The TLS 1.3 header is the additional data; the TLS 1.2
  // additional data carries the type, version and plaintext length.
  for (const cipher_suite* s : matrix_cipher_suites()) {
    SUBCASE(std::string(s->name).c_str()) {
      record_protection writer = make(*s);
      record_protection reader = make(*s);
      const byte_vector record = seal(writer, content_type::application_data, counting(24));
      for (std::size_t i = 0; i < record.size(); ++i) {
        CAPTURE(i);
        byte_vector tampered = record;
        tampered[i] ^= 0x01;
        CHECK(open(reader, tampered).failure() == bad_record_mac);
        CHECK(reader.sequence_number() == 0);  // "increments only on success"
      }
      CHECK(open(reader, record).content() == counting(24));
    }
  }
}

TEST_CASE("a record opened under the wrong sequence number fails with bad_record_mac") {
  for (const cipher_suite* s : matrix_cipher_suites()) {
    SUBCASE(std::string(s->name).c_str()) {
      record_protection writer = make(*s);
      const byte_vector first = seal(writer, content_type::application_data, counting(10));
      const byte_vector second = seal(writer, content_type::application_data, counting(10));
      SUBCASE("skipped") {
        record_protection reader = make(*s, 1);
        CHECK(open(reader, first).failure() == bad_record_mac);
      }
      SUBCASE("replayed") {
        record_protection reader = make(*s);
        REQUIRE(open(reader, first).ok());
        CHECK(open(reader, first).failure() == bad_record_mac);
        CHECK(open(reader, second).ok());
      }
      SUBCASE("reordered") {
        record_protection reader = make(*s);
        CHECK(open(reader, second).failure() == bad_record_mac);
      }
    }
  }
}

// RFC 5246 §6.2.3.3: "If the decryption fails, a fatal bad_record_mac alert MUST be
// generated." OpenSSL 3.0.22 (closenotify diff, malformed-alert-plaintext-*) agrees for
// TLS 1.2 records too short for nonce and tag (3.0.19 said internal_error).
TEST_CASE("a fragment too short for the nonce and tag fails with bad_record_mac, in TLS 1.3 and TLS 1.2") {
  for (const cipher_suite* s : matrix_cipher_suites()) {
    SUBCASE(std::string(s->name).c_str()) {
      record_protection reader = make(*s);
      // TLS 1.3 needs the tag and at least the content type; RFC 5288 the explicit nonce too.
      const std::size_t minimum =
          s->version == protocol_version::tls13 ? 17 : s->explicit_nonce_length() + 16;
      for (std::size_t n : {std::size_t{0}, std::size_t{1}, minimum - 1}) {
        CAPTURE(n);
        byte_vector record{23, 3, 3, 0, static_cast<std::uint8_t>(n)};
        record.resize(5 + n, 0xab);
        // Tagged: OpenSSL 1.1.1 and 3.5 answer these checks differently (profile.hpp).
        fatal expected = bad_record_mac;
        expected.check = s->version == protocol_version::tls13 ? fatal_check::tls13_record_too_short
                                                               : fatal_check::tls12_aead_record_too_short;
        CHECK(open(reader, record).failure() == expected);
      }
    }
  }
}

TEST_CASE("TLS 1.3 strips the zero padding and recovers the content type from the end") {
  for (const cipher_suite* s : matrix_cipher_suites()) {
    if (s->version != protocol_version::tls13) continue;
    SUBCASE(std::string(s->name).c_str()) {
      const traffic_keys keys = test_keys(*s);
      record_protection reader = make(*s);
      // RFC 8446 §5.4: "the receiving implementation scans the field from the end toward the
      // beginning until it finds a non-zero octet. This non-zero octet is the content type
      // of the message." Zeros inside the content are content.
      const byte_vector inner{0x00, 0x07, 0x00, 0x15, 0x00, 0x00, 0x00, 0x00};
      opened o = open(reader, raw_seal(*s, keys, 0, content_type::application_data, inner));
      CHECK(o.type() == content_type::alert);
      CHECK(o.content() == byte_vector{0x00, 0x07, 0x00});

      // A record of a content type and padding only is an empty record of that type.
      const byte_vector padding_only{0x17, 0x00, 0x00};
      opened e = open(reader, raw_seal(*s, keys, 1, content_type::application_data, padding_only));
      CHECK(e.type() == content_type::application_data);
      CHECK(e.content().empty());
    }
  }
}

// record_protection.cpp: sealing a TLSInnerPlaintext of zeros only (type invalid, no
// content, some padding) "exists to test that MUST" of RFC 8446 §5.4: "If a receiving
// implementation does not find a non-zero octet in the cleartext, it MUST terminate the
// connection with an "unexpected_message" alert."
TEST_CASE("seal makes a padding-only TLSInnerPlaintext, and its receiver MUST terminate with unexpected_message") {
  for (const cipher_suite* s : matrix_cipher_suites()) {
    if (s->version != protocol_version::tls13) continue;
    SUBCASE(std::string(s->name).c_str()) {
      record_protection writer = make(*s);
      record_protection reader = make(*s);
      byte_vector out(max_record_size);
      auto sealed = writer.seal(content_type::invalid, {}, out, 4);
      REQUIRE(std::holds_alternative<std::size_t>(sealed));
      out.resize(std::get<std::size_t>(sealed));
      CHECK(out.size() == record_header_size + 4 + 1 + cipher_suite::tag_length);
      CHECK(open(reader, out).failure() == bad_record_type);
      // Padding-only means no content: type invalid with content is still refused.
      record_protection other = make(*s);
      byte_vector out2(max_record_size);
      auto with_content = other.seal(content_type::invalid, byte_vector{0x01}, out2, 4);
      REQUIRE(std::holds_alternative<fatal>(with_content));
      CHECK(std::get<fatal>(with_content) == fatal{alert_description::internal_error, "bad record type"});
    }
  }
}

TEST_CASE("a TLSInnerPlaintext with no non-zero octet is an unexpected_message") {
  for (const cipher_suite* s : matrix_cipher_suites()) {
    if (s->version != protocol_version::tls13) continue;
    SUBCASE(std::string(s->name).c_str()) {
      const traffic_keys keys = test_keys(*s);
      for (std::size_t n : {1u, 2u, 7u, 8u, 9u, 15u, 16u, 17u, 300u, 16385u}) {
        CAPTURE(n);
        record_protection reader = make(*s);
        // RFC 8446 §5.4: "If a receiving implementation does not find a non-zero octet in the
        // cleartext, it MUST terminate the connection with an "unexpected_message" alert."
        const byte_vector zeros(n, 0);
        CHECK(open(reader, raw_seal(*s, keys, 0, content_type::application_data, zeros))
                  .failure() == bad_record_type);
        CHECK(reader.sequence_number() == 0);
      }
    }
  }
}

TEST_CASE("TLS 1.3 finds the content type wherever the padding ends, within a word or across "
          "words") {
  for (const cipher_suite* s : matrix_cipher_suites()) {
    if (s->version != protocol_version::tls13) continue;
    SUBCASE(std::string(s->name).c_str()) {
      const traffic_keys keys = test_keys(*s);
      record_protection reader = make(*s);
      // RFC 8446 §5.4: "the receiving implementation scans the field from the end toward the
      // beginning until it finds a non-zero octet." Every TLSInnerPlaintext of 1 to 40 bytes
      // (up to five 8-byte words and a partial one), with the content type at every
      // position: no padding, padding within the last word, padding across words. Every
      // third content byte is zero, the one right before the type included.
      std::uint64_t seq = 0;
      for (std::size_t length = 1; length <= 40; ++length) {
        for (std::size_t at = 0; at < length; ++at) {
          CAPTURE(length);
          CAPTURE(at);
          byte_vector inner(length, 0);
          for (std::size_t i = 0; i < at; ++i)
            inner[i] = (at - 1 - i) % 3 == 0 ? 0 : static_cast<std::uint8_t>(i + 1);
          inner[at] = static_cast<std::uint8_t>(content_type::handshake);
          opened o = open(reader, raw_seal(*s, keys, seq++, content_type::application_data, inner));
          REQUIRE(o.ok());
          CHECK(o.type() == content_type::handshake);
          CHECK(o.content() == byte_vector(inner.begin(), inner.begin() + at));
        }
      }
      // The largest TLSInnerPlaintext, its type at either end.
      byte_vector first(max_plaintext_length + 1, 0);
      first[0] = static_cast<std::uint8_t>(content_type::alert);
      opened o = open(reader, raw_seal(*s, keys, seq++, content_type::application_data, first));
      CHECK(o.type() == content_type::alert);
      CHECK(o.content().empty());
      byte_vector last = counting(max_plaintext_length);
      last.push_back(static_cast<std::uint8_t>(content_type::application_data));
      o = open(reader, raw_seal(*s, keys, seq++, content_type::application_data, last));
      CHECK(o.type() == content_type::application_data);
      CHECK(o.content() == counting(max_plaintext_length));
    }
  }
}

TEST_CASE("a protected TLS 1.3 record of any type but alert, handshake or application_data is "
          "an unexpected_message") {
  for (const cipher_suite* s : matrix_cipher_suites()) {
    if (s->version != protocol_version::tls13) continue;
    SUBCASE(std::string(s->name).c_str()) {
      const traffic_keys keys = test_keys(*s);
      // RFC 8446 §5: "If a TLS implementation receives an unexpected record type, it MUST
      // terminate the connection with an "unexpected_message" alert." change_cipher_spec is
      // only ever sent unprotected.
      for (std::uint8_t type : {std::uint8_t{20}, std::uint8_t{24}, std::uint8_t{0x63}}) {
        CAPTURE(int(type));
        record_protection reader = make(*s);
        const byte_vector inner{'h', 'i', type, 0x00};
        CHECK(open(reader, raw_seal(*s, keys, 0, content_type::application_data, inner))
                  .failure() == bad_record_type);
      }
    }
  }
}

TEST_CASE("plaintext of more than 2^14 bytes after decryption is a record_overflow") {
  // RFC 8446 §5.1 / RFC 5246 §6.2.1: "The length MUST NOT exceed 2^14." RFC 8446 §5.2: "An
  // endpoint that receives a record that exceeds this length MUST terminate the connection
  // with a "record_overflow" alert."
  for (const cipher_suite* s : matrix_cipher_suites()) {
    SUBCASE(std::string(s->name).c_str()) {
      const traffic_keys keys = test_keys(*s);
      const bool tls13 = s->version == protocol_version::tls13;
      record_protection reader = make(*s);
      byte_vector inner = counting(max_plaintext_length + 1);
      if (tls13) inner.push_back(0x17);
      CHECK(open(reader, raw_seal(*s, keys, 0, content_type::application_data, inner))
                .failure() == record_overflow);
      CHECK(reader.sequence_number() == 0);

      // Exactly 2^14 is fine, and in TLS 1.3 padding does not count toward it.
      byte_vector limit = counting(max_plaintext_length);
      if (tls13) limit.insert(limit.end(), {0x17, 0, 0, 0, 0, 0, 0, 0, 0});
      opened o = open(reader, raw_seal(*s, keys, 0, content_type::application_data, limit));
      REQUIRE(o.ok());
      CHECK(o.content().size() == max_plaintext_length);
    }
  }
}

TEST_CASE("a sequence number of 2^64-1 is never used, so the sequence number does not wrap") {
  // RFC 8446 §5.3: "Because the size of sequence numbers is 64-bit, they should not wrap. If
  // a TLS implementation would need to wrap a sequence number, it MUST either rekey
  // (Section 4.6.3) or terminate the connection."
  for (const cipher_suite* s : matrix_cipher_suites()) {
    SUBCASE(std::string(s->name).c_str()) {
      record_protection writer = make(*s, UINT64_MAX - 1);
      record_protection reader = make(*s, UINT64_MAX - 1);
      const byte_vector last = seal(writer, content_type::application_data, counting(3));
      CHECK(open(reader, last).ok());
      CHECK(writer.sequence_number() == UINT64_MAX);

      byte_vector out(100);
      auto r = writer.seal(content_type::application_data, counting(3), out);
      REQUIRE(std::holds_alternative<fatal>(r));
      CHECK(std::get<fatal>(r).send == alert_description::internal_error);
      CHECK(std::get<fatal>(r).reason == "sequence number exhausted");
      CHECK(writer.sequence_number() == UINT64_MAX);

      record_protection exhausted = make(*s, UINT64_MAX);
      CHECK(open(exhausted, last).failure().reason == "sequence number exhausted");
      CHECK(exhausted.sequence_number() == UINT64_MAX);
    }
  }
}

TEST_CASE("seal refuses what it cannot send and leaves the sequence number alone") {
  for (const cipher_suite* s : matrix_cipher_suites()) {
    SUBCASE(std::string(s->name).c_str()) {
      record_protection writer = make(*s);
      const bool tls13 = s->version == protocol_version::tls13;
      byte_vector out(max_record_size + 300);
      auto expect_internal_error = [&](std::variant<std::size_t, fatal> r) {
        REQUIRE(std::holds_alternative<fatal>(r));
        CHECK(std::get<fatal>(r).send == alert_description::internal_error);
        CHECK(writer.sequence_number() == 0);
        return std::get<fatal>(r).reason;
      };
      // RFC 8446 §5.1: "The length MUST NOT exceed 2^14."
      expect_internal_error(writer.seal(content_type::application_data,
                                        counting(max_plaintext_length + 1), out));
      byte_vector small(writer.sealed_size(10) - 1);
      expect_internal_error(writer.seal(content_type::application_data, counting(10), small));
      expect_internal_error(writer.seal(content_type::invalid, {}, out));
      if (tls13) {
        // RFC 8446 §5.4: "the full encoded TLSInnerPlaintext MUST NOT exceed 2^14 + 1 octets."
        expect_internal_error(writer.seal(content_type::application_data,
                                          counting(max_plaintext_length), out, 1));
        expect_internal_error(writer.seal(content_type::application_data, {}, out,
                                          max_plaintext_length + 1));
        // TLS 1.3 never protects change_cipher_spec.
        expect_internal_error(writer.seal(content_type::change_cipher_spec, byte_vector{0x01}, out));
        auto ok = writer.seal(content_type::application_data,
                              counting(max_plaintext_length - 1), out, 1);
        CHECK(std::holds_alternative<std::size_t>(ok));
      } else {
        CHECK(expect_internal_error(
                  writer.seal(content_type::application_data, counting(10), out, 1)) ==
              "padding is TLS 1.3 only");
      }
    }
  }
}

// record_protection.hpp: seal_hostile seals "any plaintext and padding a receiver would still
// frame (the fragment within the version's ciphertext limit)".
TEST_CASE("seal_hostile seals any fragment a receiver would still frame, and nothing longer") {
  for (const cipher_suite* s : matrix_cipher_suites()) {
    SUBCASE(std::string(s->name).c_str()) {
      const bool tls13 = s->version == protocol_version::tls13;
      const std::size_t limit = max_ciphertext_length(s->version);
      const std::size_t overhead = s->explicit_nonce_length() + cipher_suite::tag_length + (tls13 ? 1 : 0);
      byte_vector out(limit + 1000);
      record_protection writer = make(*s);
      auto at_limit = writer.seal_hostile(0x42, counting(limit - overhead), out);
      REQUIRE(std::holds_alternative<std::size_t>(at_limit));
      CHECK(std::get<std::size_t>(at_limit) == record_header_size + limit);
      auto over = writer.seal_hostile(0x42, counting(limit - overhead + 1), out);
      REQUIRE(std::holds_alternative<fatal>(over));
      CHECK(std::get<fatal>(over) == fatal{alert_description::internal_error, "data length too long"});
      if (tls13) {
        auto padded = writer.seal_hostile(0x42, {}, out, limit);
        REQUIRE(std::holds_alternative<fatal>(padded));
        CHECK(std::get<fatal>(padded).reason == "data length too long");
      }
      byte_vector small(record_header_size + overhead + 9);
      auto cramped = writer.seal_hostile(0x42, counting(10), small);
      REQUIRE(std::holds_alternative<fatal>(cramped));
      CHECK(std::get<fatal>(cramped).reason == "output buffer too small");
      CHECK(writer.sequence_number() == 1);  // only the record at the limit was sealed
    }
  }
}

TEST_CASE("seal accepts a plaintext that already sits in the output buffer") {
  for (const cipher_suite* s : matrix_cipher_suites()) {
    SUBCASE(std::string(s->name).c_str()) {
      const std::size_t padding = s->version == protocol_version::tls13 ? 2 : 0;
      const byte_vector content = counting(40);
      record_protection reference_writer = make(*s);
      const byte_vector expected = seal(reference_writer, content_type::alert, content, padding);

      const std::size_t body = record_header_size + s->explicit_nonce_length();
      SUBCASE("where the ciphertext goes") {
        record_protection writer = make(*s);
        byte_vector out(expected.size());
        std::copy(content.begin(), content.end(), out.begin() + body);
        auto r = writer.seal(content_type::alert, bytes_view(out).subspan(body, content.size()),
                             out, padding);
        REQUIRE(std::holds_alternative<std::size_t>(r));
        CHECK(out == expected);
      }
      SUBCASE("at the front, where the header goes") {
        record_protection writer = make(*s);
        byte_vector out(expected.size());
        std::copy(content.begin(), content.end(), out.begin());
        auto r = writer.seal(content_type::alert, bytes_view(out).first(content.size()), out,
                             padding);
        REQUIRE(std::holds_alternative<std::size_t>(r));
        CHECK(out == expected);
      }
    }
  }
}

TEST_CASE("seal writes the same bytes whether it seals in place or passes the inner content "
          "type as extra_in") {
  // TLS 1.3 seals the content type from a stack buffer (extra_in), or copies the plaintext
  // into `out` first: for padding over 63 bytes, and for ChaCha20-Poly1305 plaintexts up to
  // 4 KiB. Either way the record is the AEAD of content || type || zeros.
  for (const cipher_suite* s : matrix_cipher_suites()) {
    SUBCASE(std::string(s->name).c_str()) {
      const traffic_keys keys = test_keys(*s);
      const bool tls13 = s->version == protocol_version::tls13;
      record_protection writer = make(*s);
      std::uint64_t seq = 0;
      for (std::size_t size : {0u, 1u, 2u, 3u, 63u, 64u, 4095u, 4096u, 4097u, 16384u}) {
        for (std::size_t padding : {0u, 1u, 63u, 64u}) {
          if (!tls13 && padding != 0) continue;
          if (tls13 && size + 1 + padding > max_plaintext_length + 1) continue;
          CAPTURE(size);
          CAPTURE(padding);
          const byte_vector content = counting(size);
          byte_vector inner = content;
          if (tls13) {
            inner.push_back(static_cast<std::uint8_t>(content_type::application_data));
            inner.resize(inner.size() + padding, 0);
          }
          const byte_vector expected =
              raw_seal(*s, keys, seq++, content_type::application_data, inner);
          CHECK(seal(writer, content_type::application_data, content, padding) == expected);
        }
      }
    }
  }
}

TEST_CASE("a KeyUpdate keeps a sealer and an opener that both update in step") {
  for (const cipher_suite* s : matrix_cipher_suites()) {
    if (s->version != protocol_version::tls13) continue;
    SUBCASE(std::string(s->name).c_str()) {
      record_protection writer = make(*s);
      record_protection reader = make(*s);
      record_protection stale = make(*s);
      for (int i = 0; i < 3; ++i) {
        const byte_vector r = seal(writer, content_type::application_data, counting(5));
        REQUIRE(open(reader, r).ok());
        REQUIRE(open(stale, r).ok());
      }
      const secret_bytes expected_secret = tls13_next_traffic_secret(*s, writer.traffic_secret());
      // RFC 8446 §7.2: "Once client_/server_application_traffic_secret_N+1 and its associated
      // traffic keys have been computed, implementations SHOULD delete
      // client_/server_application_traffic_secret_N and its associated traffic keys."
      REQUIRE(writer.key_update());
      REQUIRE(reader.key_update());
      CHECK(bytes(writer.traffic_secret()) == bytes(expected_secret.view()));
      // RFC 8446 §5.3: "Each sequence number is set to zero [...] whenever the key is changed"
      CHECK(writer.sequence_number() == 0);
      CHECK(reader.sequence_number() == 0);

      const byte_vector after = seal(writer, content_type::application_data, counting(5));
      CHECK(open(reader, after).content() == counting(5));
      // The side that missed the KeyUpdate still has the old key.
      CHECK(open(stale, after).failure() == bad_record_mac);
      // A second update moves both on again.
      REQUIRE(writer.key_update());
      REQUIRE(reader.key_update());
      CHECK(open(reader, seal(writer, content_type::alert, byte_vector{1, 0})).type() ==
            content_type::alert);
    }
  }
}

TEST_CASE("TLS 1.2 has no KeyUpdate and no traffic secret") {
  for (const cipher_suite* s : matrix_cipher_suites()) {
    if (s->version != protocol_version::tls12) continue;
    record_protection p = make(*s, 9);
    CHECK_FALSE(p.key_update());
    CHECK(p.sequence_number() == 9);
    CHECK(p.traffic_secret().empty());
    CHECK(p.version() == protocol_version::tls12);
    CHECK(&p.suite() == s);
  }
}

TEST_CASE("construction refuses a suite of the other version or keys of the wrong size") {
  const byte_vector secret32(32, 1);
  CHECK(std::holds_alternative<config_error>(record_protection::tls13(suite(0xC02B), secret32)));
  CHECK(std::holds_alternative<config_error>(record_protection::tls13(suite(0x1302), secret32)));
  CHECK(std::holds_alternative<config_error>(
      record_protection::tls12(suite(0x1301), test_keys(suite(0x1301)))));
  // AES-256 keys and a ChaCha20 IV given to an AES-128-GCM suite.
  CHECK(std::holds_alternative<config_error>(
      record_protection::tls12(suite(0xC02B), test_keys(suite(0xCCA9)))));
}

// ---- protection from a connection's secrets ----------------------------------------------

// RFC 8446 §7.3: "[sender]_write_key = HKDF-Expand-Label(Secret, "key", "", key_length)":
// a direction's keys come from its sender's traffic secret alone. RFC 5246 §6.3: the key
// block is "client_write_MAC_key[...] server_write_MAC_key[...] client_write_key[...]
// server_write_key[...]": the client seals with the client half.
TEST_CASE("a direction's keys come from its sender's secret alone") {
  const byte_vector client_secret = counting(48), server_secret(48, 0x5a);
  const byte_vector master(48, 0x42), client_random(32, 0x01), server_random(32, 0x02);
  for (const cipher_suite* s : matrix_cipher_suites()) {
    SUBCASE(std::string(s->name).c_str()) {
      const auto h = s->version == protocol_version::tls13 ? s->hash_length() : 0;
      const connection_secrets secrets{bytes_view{client_secret}.first(h), bytes_view{server_secret}.first(h), master,
                                       client_random, server_random};
      for (const role sender : {role::client, role::server}) {
        CAPTURE(sender == role::client ? "client" : "server");
        auto made = protection_from_secrets(*s, secrets, sender, 7);
        REQUIRE(std::holds_alternative<record_protection>(made));
        auto& from_secrets = std::get<record_protection>(made);
        configured<record_protection> direct = [&]() -> configured<record_protection> {
          if (s->version == protocol_version::tls13) {
            return record_protection::tls13(*s, sender == role::client ? secrets.client_traffic_secret
                                                                       : secrets.server_traffic_secret, 7);
          }
          auto kb = tls12_derive_key_block(*s, master, client_random, server_random);
          REQUIRE(std::holds_alternative<tls12_key_block>(kb));
          const auto& b = std::get<tls12_key_block>(kb);
          return record_protection::tls12(*s, sender == role::client ? b.client_write : b.server_write, 7);
        }();
        REQUIRE(std::holds_alternative<record_protection>(direct));
        const byte_vector text = counting(100);
        CHECK(seal(from_secrets, content_type::application_data, text) ==
              seal(std::get<record_protection>(direct), content_type::application_data, text));
      }
      // The other sender's keys are other keys.
      auto c = protection_from_secrets(*s, secrets, role::client);
      auto sv = protection_from_secrets(*s, secrets, role::server);
      REQUIRE(std::holds_alternative<record_protection>(c));
      REQUIRE(std::holds_alternative<record_protection>(sv));
      const byte_vector text = counting(10);
      CHECK(seal(std::get<record_protection>(c), content_type::alert, text) !=
            seal(std::get<record_protection>(sv), content_type::alert, text));
    }
  }
}

TEST_CASE("a secret of the wrong length is refused, not truncated") {
  const byte_vector short_secret(16, 0x11);
  const connection_secrets secrets{short_secret, short_secret, {}, {}, {}};
  CHECK(std::holds_alternative<config_error>(protection_from_secrets(suite(0x1301), secrets, role::client)));
}

// Tests of the cipher-suite table and the key schedule: RFC 8446 §7.1-7.3 HKDF-Expand-Label
// against RFC 8448 §3, and the RFC 5246 §5 PRF against the published P_SHA256 / P_SHA384
// vectors.
#include <doctest/doctest.h>

#include "vector_hex.hpp"
#include <openssl/digest.h>
#include <openssl/hkdf.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "closenotify/cipher_suite.hpp"
#include "closenotify/key_schedule.hpp"

using namespace closenotify;

namespace {

std::vector<std::uint8_t> hex(std::string_view s) { return closenotify::testing::vector_hex(s); }

std::vector<std::uint8_t> bytes(bytes_view b) { return {b.begin(), b.end()}; }

const cipher_suite& suite(std::uint16_t id) {
  const cipher_suite* s = find_cipher_suite(id);
  REQUIRE(s != nullptr);
  return *s;
}

// RFC 8448 §3 "Simple 1-RTT Handshake".
// {server} derive secret "tls13 s ap traffic": expanded (32 octets)
const auto rfc8448_server_ap_secret = hex(
    "a1 1a f9 f0 55 31 f8 56 ad 47 11 6b 45 a9 50 32"
    "82 04 b4 f4 4b fb 6b 3a 4b 4f 1f 3f cb 63 16 43");
// {server} derive secret "tls13 c ap traffic": expanded (32 octets)
const auto rfc8448_client_ap_secret = hex(
    "9e 40 64 6c e7 9a 7f 9d c0 5a f8 88 9b ce 65 52"
    "87 5a fa 0b 06 df 00 87 f7 92 eb b7 c1 75 04 a5");

}  // namespace

TEST_CASE("the suite table holds the three TLS 1.3 and six TLS 1.2 AEAD suites") {
  CHECK(all_cipher_suites().size() == 9);
  const std::uint16_t ids[] = {0x1301, 0x1302, 0x1303, 0xC02B, 0xC02F,
                               0xC02C, 0xC030, 0xCCA9, 0xCCA8};
  for (std::uint16_t id : ids) {
    CAPTURE(id);
    REQUIRE(find_cipher_suite(id) != nullptr);
    CHECK(find_cipher_suite(id)->id == id);
  }
  CHECK(find_cipher_suite(std::uint16_t{0x009C}) == nullptr);  // AES128-GCM-SHA256: no ECDHE
}

TEST_CASE("the matrix is the three TLS 1.3 suites and the three ECDHE-ECDSA suites") {
  auto m = matrix_cipher_suites();
  REQUIRE(m.size() == 6);
  int tls13 = 0, ecdsa = 0;
  for (const cipher_suite* s : m) {
    if (s->version == protocol_version::tls13) ++tls13;
    if (s->name.starts_with("ECDHE-ECDSA-")) ++ecdsa;
  }
  CHECK(tls13 == 3);
  CHECK(ecdsa == 3);
}

TEST_CASE("suites are found by OpenSSL name, IANA name or code point, in any case") {
  CHECK(find_cipher_suite("TLS_AES_128_GCM_SHA256") == &suite(0x1301));
  CHECK(find_cipher_suite("tls_aes_256_gcm_sha384") == &suite(0x1302));
  CHECK(find_cipher_suite("ECDHE-ECDSA-CHACHA20-POLY1305") == &suite(0xCCA9));
  CHECK(find_cipher_suite("ecdhe-rsa-aes256-gcm-sha384") == &suite(0xC030));
  CHECK(find_cipher_suite("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256") == &suite(0xC02B));
  CHECK(find_cipher_suite("tls_ecdhe_rsa_with_chacha20_poly1305_sha256") == &suite(0xCCA8));
  CHECK(find_cipher_suite("0x1303") == &suite(0x1303));
  CHECK(find_cipher_suite("0XC02c") == &suite(0xC02C));
  CHECK(find_cipher_suite("0x") == nullptr);
  CHECK(find_cipher_suite("0x1g01") == nullptr);
  CHECK(find_cipher_suite("AES128-SHA") == nullptr);
  CHECK(find_cipher_suite("") == nullptr);
}

TEST_CASE("key, IV and nonce lengths follow RFC 8446 §5.3, RFC 5288 §3 and RFC 7905 §2") {
  // RFC 8446 §5.3: "iv_length = max(8 bytes, N_MIN) for the AEAD algorithm" (12 for all).
  CHECK(suite(0x1301).key_length() == 16);
  CHECK(suite(0x1301).fixed_iv_length() == 12);
  CHECK(suite(0x1302).key_length() == 32);
  CHECK(suite(0x1302).hash_length() == 48);
  CHECK(suite(0x1303).key_length() == 32);
  CHECK(suite(0x1303).explicit_nonce_length() == 0);
  // RFC 5288 §3: "The salt is the "implicit" part of the nonce [...] 4 octets";
  // "The nonce_explicit length (SecurityParameters.record_iv_length) is 8 octets."
  CHECK(suite(0xC02B).fixed_iv_length() == 4);
  CHECK(suite(0xC02B).explicit_nonce_length() == 8);
  CHECK(suite(0xC030).key_length() == 32);
  CHECK(suite(0xC030).hash_length() == 48);
  // RFC 7905 §2: "the fixed_iv_length is 12 bytes" and no explicit nonce.
  CHECK(suite(0xCCA9).fixed_iv_length() == 12);
  CHECK(suite(0xCCA9).explicit_nonce_length() == 0);
}

TEST_CASE("HKDF-Expand-Label builds the HkdfLabel printed in RFC 8448 as key info and iv info") {
  // RFC 8448 §3 {server} derive write traffic keys for application data:
  //   key info (13 octets): 00 10 09 74 6c 73 31 33 20 6b 65 79 00
  //   iv info (12 octets):  00 0c 08 74 6c 73 31 33 20 69 76 00
  const auto key_info = hex("00 10 09 74 6c 73 31 33 20 6b 65 79 00");
  const auto iv_info = hex("00 0c 08 74 6c 73 31 33 20 69 76 00");
  std::vector<std::uint8_t> ours(16), theirs(16);
  REQUIRE(hkdf_expand_label(hash_algorithm::sha256, rfc8448_server_ap_secret, "key", {}, ours));
  REQUIRE(HKDF_expand(theirs.data(), theirs.size(), EVP_sha256(), rfc8448_server_ap_secret.data(),
                      rfc8448_server_ap_secret.size(), key_info.data(), key_info.size()) == 1);
  CHECK(ours == theirs);
  ours.resize(12);
  theirs.resize(12);
  REQUIRE(hkdf_expand_label(hash_algorithm::sha256, rfc8448_server_ap_secret, "iv", {}, ours));
  REQUIRE(HKDF_expand(theirs.data(), theirs.size(), EVP_sha256(), rfc8448_server_ap_secret.data(),
                      rfc8448_server_ap_secret.size(), iv_info.data(), iv_info.size()) == 1);
  CHECK(ours == theirs);
}

TEST_CASE("HKDF-Expand-Label refuses a label or context longer than the HkdfLabel allows") {
  std::vector<std::uint8_t> out(16);
  // RFC 8446 §7.1: "opaque label<7..255> = "tls13 " + Label; opaque context<0..255>"
  const std::string label(250, 'x');
  const std::vector<std::uint8_t> context(256, 0);
  CHECK_FALSE(hkdf_expand_label(hash_algorithm::sha256, rfc8448_server_ap_secret, label, {}, out));
  CHECK_FALSE(
      hkdf_expand_label(hash_algorithm::sha256, rfc8448_server_ap_secret, "key", context, out));
}

TEST_CASE("opaque label<7..255>, opaque context<0..255>: a label and a context of exactly 255 bytes are accepted") {
  std::vector<std::uint8_t> out(16);
  const std::string label(255 - 6, 'x');  // "tls13 " + Label: 255 bytes
  const std::vector<std::uint8_t> context(255, 0);
  CHECK(hkdf_expand_label(hash_algorithm::sha256, rfc8448_server_ap_secret, label, {}, out));
  CHECK(hkdf_expand_label(hash_algorithm::sha256, rfc8448_server_ap_secret, "key", context, out));
  // Both at once: the largest HkdfLabel, 2 + 1 + 255 + 1 + 255 bytes, against HKDF-Expand
  // over the same HkdfLabel built here.
  std::vector<std::uint8_t> info{0x00, 0x10, 0xff};
  for (char c : "tls13 " + label) info.push_back(static_cast<std::uint8_t>(c));
  info.push_back(0xff);
  info.insert(info.end(), context.begin(), context.end());
  REQUIRE(info.size() == 514);
  std::vector<std::uint8_t> expected(16);
  REQUIRE(HKDF_expand(expected.data(), expected.size(), EVP_sha256(), rfc8448_server_ap_secret.data(),
                      rfc8448_server_ap_secret.size(), info.data(), info.size()) == 1);
  REQUIRE(hkdf_expand_label(hash_algorithm::sha256, rfc8448_server_ap_secret, label, context, out));
  CHECK(out == expected);
}

TEST_CASE("application traffic keys and IVs match RFC 8448 section 3") {
  const cipher_suite& aes128 = suite(0x1301);
  // RFC 8446 §7.3: "[sender]_write_key = HKDF-Expand-Label(Secret, "key", "", key_length)
  //                 [sender]_write_iv  = HKDF-Expand-Label(Secret, "iv", "", iv_length)"
  SUBCASE("server write keys (RFC 8448 §3: derive write traffic keys for application data)") {
    auto keys = tls13_traffic_keys(aes128, rfc8448_server_ap_secret);
    REQUIRE(std::holds_alternative<traffic_keys>(keys));
    const auto& k = std::get<traffic_keys>(keys);
    CHECK(bytes(k.key.view()) == hex("9f 02 28 3b 6c 9c 07 ef c2 6b b9 f2 ac 92 e3 56"));
    CHECK(bytes(k.iv.view()) == hex("cf 78 2b 88 dd 83 54 9a ad f1 e9 84"));
  }
  SUBCASE("client write keys (RFC 8448 §3: derive write traffic keys for application data)") {
    auto keys = tls13_traffic_keys(aes128, rfc8448_client_ap_secret);
    REQUIRE(std::holds_alternative<traffic_keys>(keys));
    const auto& k = std::get<traffic_keys>(keys);
    CHECK(bytes(k.key.view()) == hex("17 42 2d da 59 6e d5 d9 ac d8 90 e3 c6 3f 50 51"));
    CHECK(bytes(k.iv.view()) == hex("5b 78 92 3d ee 08 57 90 33 e5 23 d9"));
  }
}

TEST_CASE("a traffic secret that is not Hash.length bytes is a config error naming both lengths") {
  const cipher_suite& aes256 = suite(0x1302);  // SHA-384: 48-byte secrets
  auto keys = tls13_traffic_keys(aes256, rfc8448_server_ap_secret);  // 32 bytes
  REQUIRE(std::holds_alternative<config_error>(keys));
  const std::string& message = std::get<config_error>(keys).message;
  CAPTURE(message);
  CHECK(message.find("TLS_AES_256_GCM_SHA384") != std::string::npos);
  CHECK(message.find("32") != std::string::npos);
  CHECK(message.find("48") != std::string::npos);
  CHECK(message.find("SHA-384") != std::string::npos);  // the hash that sets the length
  auto short_sha256 = tls13_traffic_keys(suite(0x1301), std::vector<std::uint8_t>(20, 1));
  REQUIRE(std::holds_alternative<config_error>(short_sha256));
  CHECK(std::get<config_error>(short_sha256).message.find("SHA-256") != std::string::npos);

  const std::vector<std::uint8_t> empty;
  CHECK(std::holds_alternative<config_error>(tls13_traffic_keys(suite(0x1301), empty)));
  // A TLS 1.2 suite has no TLS 1.3 traffic keys.
  CHECK(std::holds_alternative<config_error>(
      tls13_traffic_keys(suite(0xC02B), rfc8448_server_ap_secret)));
}

TEST_CASE("KeyUpdate derives a different secret of the same length and a different key") {
  const cipher_suite& s = suite(0x1301);
  // RFC 8446 §7.2: "application_traffic_secret_N+1 =
  //   HKDF-Expand-Label(application_traffic_secret_N, "traffic upd", "", Hash.length)"
  secret_bytes next = tls13_next_traffic_secret(s, rfc8448_server_ap_secret);
  REQUIRE(next.size() == 32);
  CHECK(bytes(next.view()) != rfc8448_server_ap_secret);
  std::vector<std::uint8_t> expected(32);
  REQUIRE(hkdf_expand_label(hash_algorithm::sha256, rfc8448_server_ap_secret, "traffic upd", {},
                            expected));
  CHECK(bytes(next.view()) == expected);

  auto k0 = tls13_traffic_keys(s, rfc8448_server_ap_secret);
  auto k1 = tls13_traffic_keys(s, next.view());
  REQUIRE(std::holds_alternative<traffic_keys>(k0));
  REQUIRE(std::holds_alternative<traffic_keys>(k1));
  CHECK(bytes(std::get<traffic_keys>(k0).key.view()) !=
        bytes(std::get<traffic_keys>(k1).key.view()));
  CHECK(bytes(std::get<traffic_keys>(k0).iv.view()) !=
        bytes(std::get<traffic_keys>(k1).iv.view()));

  SUBCASE("SHA-384 suites produce 48-byte secrets") {
    const std::vector<std::uint8_t> secret48(48, 0x5a);
    CHECK(tls13_next_traffic_secret(suite(0x1302), secret48).size() == 48);
  }
}

// The TLS 1.2 PRF vectors below were posted to the IETF TLS working group ("TLS 1.2 PRF
// test vectors", https://www.ietf.org/mail-archive/web/tls/current/msg03416.html) and are
// reproduced in the PRF tests of Botan, mbedTLS and boring-rs (found via code search:
// boring's tls1_prf tests list both the SHA-256 and the SHA-384 vector).
TEST_CASE("the TLS 1.2 PRF matches the published P_SHA256 and P_SHA384 test vectors") {
  // RFC 5246 §5: "PRF(secret, label, seed) = P_<hash>(secret, label + seed)"
  SUBCASE("P_SHA256, 100 bytes") {
    const auto secret = hex("9b be 43 6b a9 40 f0 17 b1 76 52 84 9a 71 db 35");
    const auto seed = hex("a0 ba 9f 93 6c da 31 18 27 a6 f7 96 ff d5 19 8c");
    const auto expected = hex(
        "e3 f2 29 ba 72 7b e1 7b 8d 12 26 20 55 7c d4 53 c2 aa b2 1d 07 c3 d4 95 32 9b 52 d4"
        "e6 1e db 5a 6b 30 17 91 e9 0d 35 c9 c9 a4 6b 4e 14 ba f9 af 0f a0 22 f7 07 7d ef 17"
        "ab fd 37 97 c0 56 4b ab 4f bc 91 66 6e 9d ef 9b 97 fc e3 4f 79 67 89 ba a4 80 82 d1"
        "22 ee 42 c5 a7 2e 5a 51 10 ff f7 01 87 34 7b 66");
    REQUIRE(expected.size() == 100);
    std::vector<std::uint8_t> out(100);
    tls12_prf(hash_algorithm::sha256, secret, "test label", seed, out);
    CHECK(out == expected);
    // P_hash "can be iterated as many times as necessary": a shorter output is a prefix.
    std::vector<std::uint8_t> prefix(33);
    tls12_prf(hash_algorithm::sha256, secret, "test label", seed, prefix);
    CHECK(prefix == std::vector<std::uint8_t>(expected.begin(), expected.begin() + 33));
  }
  SUBCASE("P_SHA384, 148 bytes") {
    const auto secret = hex("b8 0b 73 3d 6c ee fc dc 71 56 6e a4 8e 55 67 df");
    const auto seed = hex("cd 66 5c f6 a8 44 7d d6 ff 8b 27 55 5e db 74 65");
    const auto expected = hex(
        "7b 0c 18 e9 ce d4 10 ed 18 04 f2 cf a3 4a 33 6a 1c 14 df fb 49 00 bb 5f d7 94 21 07"
        "e8 1c 83 cd e9 ca 0f aa 60 be 9f e3 4f 82 b1 23 3c 91 46 a0 e5 34 cb 40 0f ed 27 00"
        "88 4f 9d c2 36 f8 0e dd 8b fa 96 11 44 c9 e8 d7 92 ec a7 22 a7 b3 2f c3 d4 16 d4 73"
        "eb c2 c5 fd 4a bf da d0 5d 91 84 25 9b 5b f8 cd 4d 90 fa 0d 31 e2 de c4 79 e4 f1 a2"
        "60 66 f2 ee a9 a6 92 36 a3 e5 26 55 c9 e9 ae e6 91 c8 f3 a2 68 54 30 8d 5e aa 3b e8"
        "5e 09 90 70 3d 73 e5 6f");
    REQUIRE(expected.size() == 148);
    std::vector<std::uint8_t> out(148);
    tls12_prf(hash_algorithm::sha384, secret, "test label", seed, out);
    CHECK(out == expected);
  }
}

TEST_CASE("the TLS 1.2 key block is split client key, server key, client IV, server IV") {
  const std::vector<std::uint8_t> master(48, 0x11);
  std::vector<std::uint8_t> client_random(32), server_random(32);
  for (std::size_t i = 0; i < 32; ++i) {
    client_random[i] = static_cast<std::uint8_t>(i);
    server_random[i] = static_cast<std::uint8_t>(0x80 + i);
  }
  for (std::uint16_t id : {0xC02B, 0xC02C, 0xCCA9, 0xC02F, 0xC030, 0xCCA8}) {
    const cipher_suite& s = suite(id);
    SUBCASE(std::string(s.name).c_str()) {
      auto block = tls12_derive_key_block(s, master, client_random, server_random);
      REQUIRE(std::holds_alternative<tls12_key_block>(block));
      const auto& kb = std::get<tls12_key_block>(block);

      // RFC 5246 §6.3: "key_block = PRF(SecurityParameters.master_secret, "key expansion",
      //   SecurityParameters.server_random + SecurityParameters.client_random);"
      std::vector<std::uint8_t> seed(server_random);
      seed.insert(seed.end(), client_random.begin(), client_random.end());
      const std::size_t k = s.key_length(), iv = s.fixed_iv_length();
      std::vector<std::uint8_t> expected(2 * k + 2 * iv);
      tls12_prf(s.hash, master, "key expansion", seed, expected);
      auto slice = [&](std::size_t at, std::size_t n) {
        return std::vector<std::uint8_t>(expected.begin() + at, expected.begin() + at + n);
      };
      // "client_write_key[SecurityParameters.enc_key_length]
      //  server_write_key[SecurityParameters.enc_key_length]
      //  client_write_IV[SecurityParameters.fixed_iv_length]
      //  server_write_IV[SecurityParameters.fixed_iv_length]"
      CHECK(bytes(kb.client_write.key.view()) == slice(0, k));
      CHECK(bytes(kb.server_write.key.view()) == slice(k, k));
      CHECK(bytes(kb.client_write.iv.view()) == slice(2 * k, iv));
      CHECK(bytes(kb.server_write.iv.view()) == slice(2 * k + iv, iv));
      // RFC 5288 §3: 4-byte salt for GCM; RFC 7905 §2: 12-byte IV for ChaCha20-Poly1305.
      CHECK(kb.client_write.iv.size() ==
            (s.aead == aead_algorithm::chacha20_poly1305 ? 12u : 4u));
    }
  }
}

TEST_CASE("a master secret that is not 48 bytes or a random that is not 32 is a config error") {
  const cipher_suite& s = suite(0xC02B);
  const std::vector<std::uint8_t> master(48, 1), short_master(47, 1), random(32, 2),
      short_random(31, 2);
  // RFC 5246 §8.1: "The master secret is always exactly 48 bytes in length."
  auto bad_master = tls12_derive_key_block(s, short_master, random, random);
  REQUIRE(std::holds_alternative<config_error>(bad_master));
  CHECK(std::get<config_error>(bad_master).message.find("47") != std::string::npos);
  CHECK(std::holds_alternative<config_error>(
      tls12_derive_key_block(s, master, short_random, random)));
  CHECK(std::holds_alternative<config_error>(
      tls12_derive_key_block(s, master, random, short_random)));
  // A TLS 1.3 suite has no TLS 1.2 key block.
  CHECK(std::holds_alternative<config_error>(
      tls12_derive_key_block(suite(0x1301), master, random, random)));
}

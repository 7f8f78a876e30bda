// key_schedule: TLS 1.3 HKDF-Expand-Label and traffic keys (RFC 8446 §7.1-7.3), and the
// TLS 1.2 PRF and key block (RFC 5246 §5, §6.3). BoringSSL supplies HKDF-Expand and HMAC;
// the TLS-specific framing of both is written out here so it can be read against the RFCs.
#include "closenotify/key_schedule.hpp"

#include <openssl/digest.h>
#include <openssl/hkdf.h>
#include <openssl/hmac.h>
#include <openssl/mem.h>

#include <array>
#include <string>

namespace closenotify {
namespace {

const EVP_MD* digest_of(hash_algorithm h) noexcept {
  return h == hash_algorithm::sha256 ? EVP_sha256() : EVP_sha384();
}

std::size_t length_of(hash_algorithm h) noexcept {
  return h == hash_algorithm::sha256 ? 32 : 48;
}

std::string_view name_of(hash_algorithm h) noexcept {
  return h == hash_algorithm::sha256 ? "SHA-256" : "SHA-384";
}

// RFC 8446 §7.1: struct { uint16 length; opaque label<7..255>; opaque context<0..255>; }
// HkdfLabel, with label = "tls13 " + Label.
constexpr std::string_view tls13_label_prefix = "tls13 ";
constexpr std::size_t max_hkdf_label_size = 2 + 1 + 255 + 1 + 255;

// scoped_wipe: zeroes a stack buffer that held key material when it goes out of scope.
template <class Buffer>
struct scoped_wipe {
  explicit scoped_wipe(Buffer& b) noexcept : buffer(b) {}  // a constructor: clang 14 has no CTAD for aggregates
  scoped_wipe(const scoped_wipe&) = delete;
  scoped_wipe& operator=(const scoped_wipe&) = delete;
  ~scoped_wipe() { OPENSSL_cleanse(buffer.data(), buffer.size()); }
  Buffer& buffer;
};

std::string describe_length_mismatch(const cipher_suite& s, std::string_view what,
                                     std::size_t got, std::size_t want) {
  return std::string(s.name) + ": " + std::string(what) + " is " + std::to_string(got) +
         " bytes, " + std::to_string(want) + " required";
}

}  // namespace

bool hkdf_expand_label(hash_algorithm h, bytes_view secret, std::string_view label,
                       bytes_view context, mutable_bytes out) noexcept {
  // "opaque label<7..255>" including the prefix; "opaque context<0..255>"; uint16 length.
  const std::size_t label_size = tls13_label_prefix.size() + label.size();
  if (label_size > 255 || context.size() > 255 || out.size() > 0xffff) return false;

  std::array<std::uint8_t, max_hkdf_label_size> info{};
  std::size_t n = 0;
  info[n++] = static_cast<std::uint8_t>(out.size() >> 8);
  info[n++] = static_cast<std::uint8_t>(out.size());
  info[n++] = static_cast<std::uint8_t>(label_size);
  for (char c : tls13_label_prefix) info[n++] = static_cast<std::uint8_t>(c);
  for (char c : label) info[n++] = static_cast<std::uint8_t>(c);
  info[n++] = static_cast<std::uint8_t>(context.size());
  for (std::uint8_t b : context) info[n++] = b;

  // HKDF-Expand-Label(Secret, Label, Context, Length) = HKDF-Expand(Secret, HkdfLabel, Length)
  return HKDF_expand(out.data(), out.size(), digest_of(h), secret.data(), secret.size(),
                     info.data(), n) == 1;
}

configured<traffic_keys> tls13_traffic_keys(const cipher_suite& s, bytes_view traffic_secret) {
  if (s.version != protocol_version::tls13)
    return config_error{std::string(s.name) + ": not a TLS 1.3 cipher suite"};
  // The traffic secrets are Derive-Secret outputs, "Hash.length" bytes (RFC 8446 §7.1);
  // a secret of another length means the key log line and the suite disagree.
  if (traffic_secret.size() != s.hash_length())
    return config_error{describe_length_mismatch(
        s, std::string("traffic secret (") + std::string(name_of(s.hash)) + ")",
        traffic_secret.size(), s.hash_length())};

  traffic_keys keys;
  keys.key.resize(s.key_length());
  keys.iv.resize(s.fixed_iv_length());
  // RFC 8446 §7.3: "[sender]_write_key = HKDF-Expand-Label(Secret, "key", "", key_length)"
  //                "[sender]_write_iv  = HKDF-Expand-Label(Secret, "iv", "", iv_length)"
  if (!hkdf_expand_label(s.hash, traffic_secret, "key", {}, keys.key.span()) ||
      !hkdf_expand_label(s.hash, traffic_secret, "iv", {}, keys.iv.span()))
    return config_error{std::string(s.name) + ": HKDF-Expand-Label failed"};
  return keys;
}

secret_bytes tls13_next_traffic_secret(const cipher_suite& s, bytes_view traffic_secret) noexcept {
  secret_bytes next;
  next.resize(s.hash_length());
  // RFC 8446 §7.2: "application_traffic_secret_N+1 =
  //   HKDF-Expand-Label(application_traffic_secret_N, "traffic upd", "", Hash.length)"
  if (!hkdf_expand_label(s.hash, traffic_secret, "traffic upd", {}, next.span())) next.wipe();
  return next;
}

void tls12_prf(hash_algorithm h, bytes_view secret, std::string_view label, bytes_view seed,
               mutable_bytes out) noexcept {
  // RFC 5246 §5:
  //   P_hash(secret, seed) = HMAC_hash(secret, A(1) + seed) +
  //                          HMAC_hash(secret, A(2) + seed) + ...
  //   A(0) = seed;  A(i) = HMAC_hash(secret, A(i-1))
  //   PRF(secret, label, seed) = P_<hash>(secret, label + seed)
  // "label + seed" is never concatenated in memory: both halves are fed to HMAC in turn.
  const auto label_bytes = std::span(reinterpret_cast<const std::uint8_t*>(label.data()),
                                     label.size());
  const std::size_t hash_len = length_of(h);
  bssl::ScopedHMAC_CTX ctx;
  std::array<std::uint8_t, max_hash_length> a{};    // A(i)
  std::array<std::uint8_t, max_hash_length> block{};  // HMAC_hash(secret, A(i) + seed)
  scoped_wipe wipe_a{a};
  scoped_wipe wipe_block{block};

  auto fail = [&] { OPENSSL_cleanse(out.data(), out.size()); };
  unsigned len = 0;
  // A(1) = HMAC_hash(secret, label + seed)
  if (!HMAC_Init_ex(ctx.get(), secret.data(), secret.size(), digest_of(h), nullptr) ||
      !HMAC_Update(ctx.get(), label_bytes.data(), label_bytes.size()) ||
      !HMAC_Update(ctx.get(), seed.data(), seed.size()) || !HMAC_Final(ctx.get(), a.data(), &len))
    return fail();

  for (std::size_t done = 0; done < out.size();) {
    // HMAC_Init_ex with a null key and digest reuses the key of the previous call.
    if (!HMAC_Init_ex(ctx.get(), nullptr, 0, nullptr, nullptr) ||
        !HMAC_Update(ctx.get(), a.data(), hash_len) ||
        !HMAC_Update(ctx.get(), label_bytes.data(), label_bytes.size()) ||
        !HMAC_Update(ctx.get(), seed.data(), seed.size()) ||
        !HMAC_Final(ctx.get(), block.data(), &len))
      return fail();
    const std::size_t take = std::min(hash_len, out.size() - done);
    for (std::size_t i = 0; i < take; ++i) out[done + i] = block[i];
    done += take;
    if (done == out.size()) break;
    // A(i+1) = HMAC_hash(secret, A(i))
    if (!HMAC_Init_ex(ctx.get(), nullptr, 0, nullptr, nullptr) ||
        !HMAC_Update(ctx.get(), a.data(), hash_len) || !HMAC_Final(ctx.get(), a.data(), &len))
      return fail();
  }
}

configured<tls12_key_block> tls12_derive_key_block(const cipher_suite& s, bytes_view master_secret,
                                                   bytes_view client_random,
                                                   bytes_view server_random) {
  // DTLS 1.2 derives its keys exactly as TLS 1.2 does: OpenSSL's DTLSv1_2_enc_data (d1_lib.c)
  // names tls1_setup_key_block and tls1_generate_master_secret, TLS 1.2's own.
  if (s.version == protocol_version::tls13)
    return config_error{std::string(s.name) + ": not a TLS 1.2 cipher suite"};
  // RFC 5246 §8.1: "The master secret is always exactly 48 bytes in length."
  if (master_secret.size() != 48)
    return config_error{describe_length_mismatch(s, "master secret", master_secret.size(), 48)};
  // RFC 5246 §7.4.1.2: Random is gmt_unix_time(4) + random_bytes(28) = 32 bytes.
  if (client_random.size() != 32)
    return config_error{describe_length_mismatch(s, "client random", client_random.size(), 32)};
  if (server_random.size() != 32)
    return config_error{describe_length_mismatch(s, "server random", server_random.size(), 32)};

  // RFC 5246 §6.3: "key_block = PRF(SecurityParameters.master_secret, "key expansion",
  //   SecurityParameters.server_random + SecurityParameters.client_random);"
  std::array<std::uint8_t, 64> seed{};
  for (std::size_t i = 0; i < 32; ++i) {
    seed[i] = server_random[i];
    seed[32 + i] = client_random[i];
  }
  const std::size_t key_len = s.key_length();
  const std::size_t iv_len = s.fixed_iv_length();
  std::array<std::uint8_t, 2 * 32 + 2 * 12> block{};
  scoped_wipe wipe_block{block};
  const auto key_block = std::span(block).first(2 * key_len + 2 * iv_len);
  tls12_prf(s.hash, master_secret, "key expansion", seed, key_block);

  // "The key_block is partitioned as follows: client_write_MAC_key[...] server_write_MAC_key
  //  [...] client_write_key[...] server_write_key[...] client_write_IV[...]
  //  server_write_IV[...]" (AEAD suites: mac_key_length is 0).
  tls12_key_block out;
  out.client_write.key.assign(key_block.subspan(0, key_len));
  out.server_write.key.assign(key_block.subspan(key_len, key_len));
  out.client_write.iv.assign(key_block.subspan(2 * key_len, iv_len));
  out.server_write.iv.assign(key_block.subspan(2 * key_len + iv_len, iv_len));
  return out;
}

}  // namespace closenotify

// closenotify/key_schedule.hpp — traffic keys from secrets: TLS 1.3 HKDF-Expand-Label
// (RFC 8446 §7.1, §7.3) and KeyUpdate (§7.2); TLS 1.2 PRF key expansion (RFC 5246 §5, §6.3).
#pragma once

#include <array>

#include "closenotify/cipher_suite.hpp"
#include "closenotify/tls.hpp"

namespace closenotify {

/// max_hash_length: SHA-384's 48 bytes, the largest secret any suite uses.
inline constexpr std::size_t max_hash_length = 48;

/// secret: a fixed-capacity byte string (traffic secret, master secret, key, IV):
/// no allocation, wiped on destruction.
template <std::size_t Capacity>
class fixed_bytes {
 public:
  fixed_bytes() = default;
  explicit fixed_bytes(bytes_view b) noexcept { assign(b); }
  fixed_bytes(const fixed_bytes&) = default;
  fixed_bytes& operator=(const fixed_bytes&) = default;
  ~fixed_bytes() { wipe(); }

  bool assign(bytes_view b) noexcept {
    if (b.size() > Capacity) return false;
    for (std::size_t i = 0; i < b.size(); ++i) data_[i] = b[i];
    size_ = b.size();
    return true;
  }
  void resize(std::size_t n) noexcept { size_ = n <= Capacity ? n : Capacity; }
  bytes_view view() const noexcept { return {data_.data(), size_}; }
  mutable_bytes span() noexcept { return {data_.data(), size_}; }
  std::size_t size() const noexcept { return size_; }
  static constexpr std::size_t capacity() noexcept { return Capacity; }
  void wipe() noexcept {
    volatile std::uint8_t* p = data_.data();
    for (std::size_t i = 0; i < Capacity; ++i) p[i] = 0;
    size_ = 0;
  }

 private:
  std::array<std::uint8_t, Capacity> data_{};
  std::size_t size_ = 0;
};

using secret_bytes = fixed_bytes<max_hash_length>;

/// traffic_keys: one direction's write key and IV (TLS 1.2 GCM: the 4-byte salt).
struct traffic_keys {
  fixed_bytes<32> key;
  fixed_bytes<12> iv;
};

/// hkdf_expand_label: RFC 8446 §7.1 HKDF-Expand-Label(Secret, Label, Context, Length),
/// label without the "tls13 " prefix. `out.size()` is Length. Returns false if the
/// primitive refuses (Length > 255 * Hash.length).
[[nodiscard]] bool hkdf_expand_label(hash_algorithm h, bytes_view secret, std::string_view label,
                                     bytes_view context, mutable_bytes out) noexcept;

/// tls13_traffic_keys: RFC 8446 §7.3 "[sender]_write_key = HKDF-Expand-Label(Secret,
/// "key", "", key_length)", "[sender]_write_iv = HKDF-Expand-Label(Secret, "iv", "",
/// iv_length)". Fails (config_error) if the secret is not Hash.length bytes.
configured<traffic_keys> tls13_traffic_keys(const cipher_suite& s, bytes_view traffic_secret);

/// tls13_next_traffic_secret: RFC 8446 §7.2 "application_traffic_secret_N+1 =
/// HKDF-Expand-Label(application_traffic_secret_N, "traffic upd", "", Hash.length)".
secret_bytes tls13_next_traffic_secret(const cipher_suite& s, bytes_view traffic_secret) noexcept;

/// tls12_prf: RFC 5246 §5 PRF(secret, label, seed) = P_<hash>(secret, label + seed),
/// filling `out`.
void tls12_prf(hash_algorithm h, bytes_view secret, std::string_view label, bytes_view seed,
               mutable_bytes out) noexcept;

/// tls12_key_block: RFC 5246 §6.3 key_block = PRF(master_secret, "key expansion",
/// server_random + client_random), split into client_write_key, server_write_key,
/// client_write_IV, server_write_IV (AEAD suites have no MAC keys).
struct tls12_key_block {
  traffic_keys client_write;
  traffic_keys server_write;
};
configured<tls12_key_block> tls12_derive_key_block(const cipher_suite& s, bytes_view master_secret,
                                                   bytes_view client_random,
                                                   bytes_view server_random);

}  // namespace closenotify

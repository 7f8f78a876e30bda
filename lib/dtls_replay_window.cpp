// dtls_replay_window.cpp — OpenSSL's DTLS1_BITMAP, function for function.
#include "closenotify/dtls_replay_window.hpp"

namespace closenotify {
namespace {

// satsub64be: "mod 128 saturating subtract of two 64-bit values": l1 - l2 clamped to
// [-128, 128], and `/* We do not permit wrap-around */`: a difference whose sign disagrees
// with the operands' order saturates the other way. Only whether the result is > 0 and how
// far below 0 (up to 64) it is matters to the callers.
int satsub64be(std::uint64_t l1, std::uint64_t l2) noexcept {
  const auto ret = static_cast<std::int64_t>(l1 - l2);
  if (l1 > l2 && ret < 0) return 128;
  if (l2 > l1 && ret > 0) return -128;
  if (ret > 128) return 128;
  if (ret < -128) return -128;
  return static_cast<int>(ret);
}

}  // namespace

std::optional<dtls_discard_reason> dtls_replay_window::check(
    std::uint64_t sequence_number) const noexcept {
  const int cmp = satsub64be(sequence_number, max_);
  // `if (cmp > 0) { ... return 1; /* this record in new */ }`
  if (cmp > 0) return std::nullopt;
  const auto shift = static_cast<unsigned>(-cmp);
  // `if (shift >= sizeof(bitmap->map) * 8) return 0; /* stale, outside the window */`
  if (shift >= size) return dtls_discard_reason::stale;
  // `else if (bitmap->map & (1UL << shift)) return 0; /* record previously received */`
  if (map_ & (std::uint64_t{1} << shift)) return dtls_discard_reason::replayed;
  return std::nullopt;
}

void dtls_replay_window::update(std::uint64_t sequence_number) noexcept {
  const int cmp = satsub64be(sequence_number, max_);
  if (cmp > 0) {
    // `if (shift < sizeof(bitmap->map) * 8) bitmap->map <<= shift, bitmap->map |= 1UL;
    // else bitmap->map = 1UL;` and the new right edge.
    const auto shift = static_cast<unsigned>(cmp);
    map_ = shift < size ? (map_ << shift) | 1 : 1;
    max_ = sequence_number;
  } else {
    const auto shift = static_cast<unsigned>(-cmp);
    if (shift < size) map_ |= std::uint64_t{1} << shift;
  }
}

}  // namespace closenotify

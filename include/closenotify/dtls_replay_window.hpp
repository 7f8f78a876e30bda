// closenotify/dtls_replay_window.hpp — the DTLS anti-replay window (RFC 6347 §4.1.2.6) of
// one epoch, as OpenSSL keeps it (DTLS1_BITMAP: a 64-bit map and the highest sequence number
// that authenticated; dtls1_record_replay_check / dtls1_record_bitmap_update in
// ssl/record/dtls1_bitmap.c, 1.1.1 and 3.0; dtls_record_replay_check / _bitmap_update in 3.5's
// dtls_meth.c, the same code).
#pragma once

#include <cstdint>
#include <optional>

#include "closenotify/dtls_record_framing.hpp"

namespace closenotify {

class dtls_replay_window {
 public:
  /// size: RFC 6347 §4.1.2.6 "A minimum window size of 32 MUST be supported, but a window
  /// size of 64 is preferred and SHOULD be employed as the default." OpenSSL: `uint64_t map`.
  static constexpr unsigned size = 64;

  /// A fresh window: OpenSSL's bitmap starts zeroed (max_seq_num 0, map 0), so sequence
  /// number 0 is new and so is everything after it.
  dtls_replay_window() = default;
  /// A window taken over mid-connection: the highest sequence number received and the map
  /// (bit i set: max_sequence_number - i was received).
  dtls_replay_window(std::uint64_t max_sequence_number, std::uint64_t map) noexcept
      : max_(max_sequence_number), map_(map) {}

  /// check: nullopt if `sequence_number` may be opened, else replayed or stale. RFC 6347
  /// §4.1.2.6: "Records that contain sequence numbers lower than the "left" edge of the
  /// window are rejected. Packets falling within the window are checked against a list of
  /// received packets within the window."
  [[nodiscard]] std::optional<dtls_discard_reason> check(
      std::uint64_t sequence_number) const noexcept;

  /// update: mark `sequence_number` received. RFC 6347 §4.1.2.6: "The receive window is
  /// updated only if the MAC verification succeeds."
  void update(std::uint64_t sequence_number) noexcept;

  std::uint64_t max_sequence_number() const noexcept { return max_; }
  std::uint64_t map() const noexcept { return map_; }

 private:
  std::uint64_t max_ = 0;
  std::uint64_t map_ = 0;
};

}  // namespace closenotify

// datagram_fault_transport.hpp — what a datagram network does to one datagram a side
// sends: loses it, delivers it twice, delivers it after the next one, or delivers only its
// first bytes. The fault is planned by the datagram's index in the side's own writes, so
// every run of a plan meets it at the same place (issue 18: "a datagram fault is injected
// ..., never left to chance"). The sender sees every write succeed, as with UDP.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "closenotify/transport.hpp"

namespace closenotify::fault {

enum class datagram_fault : std::uint8_t { none, drop, duplicate, reorder, truncate };

std::string_view to_string(datagram_fault f) noexcept;  // "drop", ...
inline constexpr datagram_fault kDatagramFaults[] = {datagram_fault::drop, datagram_fault::duplicate,
                                                     datagram_fault::reorder, datagram_fault::truncate};

struct datagram_plan {
  datagram_fault kind = datagram_fault::none;
  std::uint64_t index = 0;  // the side's index-th datagram written (0 = the first)
};

/// datagram_fault_transport: forwards to `inner`, a datagram transport.
class datagram_fault_transport final : public transport {
 public:
  explicit datagram_fault_transport(transport& inner, datagram_plan plan = {}) noexcept
      : inner_(inner), plan_(plan) {}

  io_result read(mutable_bytes out) noexcept override { return inner_.read(out); }
  io_result write(bytes_view in) noexcept override;
  void shutdown_write() noexcept override { inner_.shutdown_write(); }

  /// release: a datagram held back for reordering that no later datagram overtook goes out
  /// now (called at each step boundary: it arrives late rather than never).
  void release() noexcept;

  std::uint64_t written() const noexcept { return written_; }
  /// sent: the datagrams this side wrote, as it wrote them (before any fault), for a
  /// scenario's `datagram replay` step; the last kHistory only.
  static constexpr std::size_t kHistory = 16;
  const std::vector<std::vector<std::uint8_t>>& sent() const noexcept { return sent_; }
  bool fired() const noexcept { return fired_; }

 private:
  transport& inner_;
  datagram_plan plan_;
  std::uint64_t written_ = 0;
  bool fired_ = false;
  std::optional<std::vector<std::uint8_t>> held_;
  std::vector<std::vector<std::uint8_t>> sent_;
};

}  // namespace closenotify::fault

// fault_transport.hpp — a transport wrapper that injects one fault at one byte offset of
// the stream it reads or the stream it writes: EOF, a connection reset or one EAGAIN on
// reads; one EAGAIN, a reset or 1-byte writes on writes. Reads and writes that would
// cross the offset are cut short so the fault lands exactly on it.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "closenotify/transport.hpp"

namespace closenotify::fault {

enum class fault_kind : std::uint8_t {
  none,
  read_eof,        // io_status::eof from read offset k on
  read_reset,      // io_status::error, ECONNRESET, from read offset k on
  read_eagain,     // one io_status::would_block at read offset k
  write_eagain,    // one io_status::would_block at write offset k
  write_reset,     // io_status::error, EPIPE, from write offset k on
  write_one_byte,  // every write from write offset k on moves at most one byte
};

std::string_view to_string(fault_kind k) noexcept;  // "read-eof", ...
inline bool on_read_side(fault_kind k) noexcept {
  return k == fault_kind::read_eof || k == fault_kind::read_reset || k == fault_kind::read_eagain;
}

struct fault_plan {
  fault_kind kind = fault_kind::none;
  std::uint64_t offset = 0;
};

/// fault_transport: forwards to `inner` and keeps the byte offsets of both streams.
class fault_transport final : public transport {
 public:
  explicit fault_transport(transport& inner, fault_plan plan = {}) noexcept : inner_(inner), plan_(plan) {}

  io_result read(mutable_bytes out) noexcept override;
  io_result write(bytes_view in) noexcept override;
  void shutdown_write() noexcept override { inner_.shutdown_write(); }

  const fault_plan& plan() const noexcept { return plan_; }
  /// capture_writes: keep a copy of every byte written (the clean run's streams).
  void capture_writes(bool on) { capture_ = on; }
  const std::vector<std::uint8_t>& captured() const noexcept { return captured_; }
  /// fired: how often the planned fault was delivered (a 1-byte write counts once per
  /// shortened write that moved its byte).
  std::uint64_t fired() const noexcept { return fired_; }
  std::uint64_t read_offset() const noexcept { return read_offset_; }
  std::uint64_t write_offset() const noexcept { return write_offset_; }
  /// furthest_read_attempt: the largest read offset a read was attempted at; a read
  /// fault at a larger offset can never fire.
  std::uint64_t furthest_read_attempt() const noexcept { return furthest_read_attempt_; }
  /// furthest_write_attempt: the same for writes.
  std::uint64_t furthest_write_attempt() const noexcept { return furthest_write_attempt_; }
  /// eofs_returned / errors_returned: reads that returned eof / error, injected or not.
  std::uint64_t eofs_returned() const noexcept { return eofs_; }
  std::uint64_t read_errors_returned() const noexcept { return read_errors_; }
  std::uint64_t write_errors_returned() const noexcept { return write_errors_; }

 private:
  io_result account_write(bytes_view in, io_result r) noexcept;

  transport& inner_;
  fault_plan plan_;
  std::uint64_t read_offset_ = 0;
  std::uint64_t write_offset_ = 0;
  std::uint64_t furthest_read_attempt_ = 0;
  std::uint64_t furthest_write_attempt_ = 0;
  std::uint64_t fired_ = 0;
  std::uint64_t eofs_ = 0;
  std::uint64_t read_errors_ = 0;
  std::uint64_t write_errors_ = 0;
  bool eagain_done_ = false;
  bool capture_ = false;
  std::vector<std::uint8_t> captured_;
};

}  // namespace closenotify::fault

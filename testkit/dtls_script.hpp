// dtls_script.hpp — how fuzz_dtls_endpoint reads an endpoint event script
// (testkit/event_script.hpp) over a datagram transport. The byte layout is the endpoint
// target's, unchanged (any fuzz_endpoint input is a fuzz_dtls_endpoint input); a few
// events mean what their stream meaning becomes on a datagram socket, and the arguments
// TLS 1.3 padding and short writes used to carry choose sequence numbers and faults:
//
//   config byte        suite index mod 3 into dtls12_cipher_suites(); bit 6 (read-ahead,
//                      which DTLS has no use for): "handed over mid-connection": the read
//                      window is kHandoverWindow, the peer's next sequence number 1001, and
//                      the endpoint writes from dtls_max_sequence_number - 5
//   peer_record        one record sealed under the fixed keys, epoch 1; `number` is a
//                      record_choice (below): which sequence number, which epoch, which
//                      tampering, and whether it joins the last queued datagram
//   peer_alert         an alert record in a datagram of its own, the next sequence number
//   peer_raw           `data` as one datagram
//   peer_eof           a zero-length datagram (recv(2) returns 0; no end of stream for DTLS:
//                      SSL_ERROR_SYSCALL, and more may follow it; profile row dtls_empty_datagram)
//   peer_reset         the next read fails with ECONNREFUSED (an ICMP error on UDP)
//   write_limit        a fault on the datagrams queued for the endpoint: a fault_choice
//   peer_stops_reading every later write fails with ECONNREFUSED
//   everything else    as in fuzz_endpoint (read, peek, write, shutdown, EAGAIN, ...)
//
// It is the test kit's, not fuzz/'s: `closenotify replay --dtls` reads inputs the same way
// (tools/engine/dtls_replay.cpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "closenotify/cipher_suite.hpp"
#include "closenotify/dtls_record_framing.hpp"
#include "event_script.hpp"

namespace closenotify::fuzz::dtls {

/// The handed-over read window (bit 6 of the config byte): highest 1000, every other
/// number of the last 64 received, 1000 among them.
inline constexpr std::uint64_t kHandoverMax = 1000;
inline constexpr std::uint64_t kHandoverMap = 0x5555555555555555ull;
inline constexpr std::uint64_t kHandoverWriteStart = dtls_max_sequence_number - 5;

inline const cipher_suite& suite_of(const script_config& c) noexcept {
  const auto suites = dtls12_cipher_suites();
  return suites[c.suite % suites.size()];
}

/// record_choice: peer_record's `number` byte. Bits 0-2: the mode; bits 3-6: k (0-15);
/// bit 7: the record joins the last queued datagram (several records per datagram).
enum class seq_mode : std::uint8_t {
  next = 0,          // next + k, and next moves past it (k > 0: k records lost)
  old = 1,           // next - 1 - k: a late arrival, or a replay of a number already used
  ahead = 2,         // next + k, next stays: a record from the future (reordering)
  beyond_window = 3, // next + 64 + 16k, next moves past it
  top = 4,           // 2^48 - 2 - k: the top of the sequence space
  other_epoch = 5,   // sealed at the next number under epoch kOtherEpochs[k] (never 1)
  bad_tag = 6,       // the next number, one byte of the tag (k from the end) flipped
  tampered = 7,      // the next number, byte k of the record flipped (0-12: the header)
};
inline constexpr std::uint16_t kOtherEpochs[16] = {0, 2, 3, 0xffff, 0x0101, 0x8001, 4, 0x100,
                                                   5, 6, 7, 0x7fff, 0xfffe, 0x0201, 9, 0x1001};

struct record_choice {
  seq_mode mode = seq_mode::next;
  std::uint8_t k = 0;
  bool same_datagram = false;
};
inline record_choice decode_record_choice(std::uint32_t number) noexcept {
  return {static_cast<seq_mode>(number & 7), static_cast<std::uint8_t>((number >> 3) & 15),
          (number & 0x80) != 0};
}
inline std::uint8_t encode_record_choice(record_choice c) noexcept {
  return static_cast<std::uint8_t>(static_cast<std::uint8_t>(c.mode) | (c.k & 15) << 3 |
                                   (c.same_datagram ? 0x80 : 0));
}

/// record_number: where a peer record goes, epoch and sequence number.
struct record_number {
  std::uint64_t seq;
  std::uint16_t epoch;
};
/// sealed_at: the number the peer seals a record under, as `c` says, moving `next` (the
/// peer's next number) as the mode does; nullopt past the 48-bit space, where the peer
/// sends nothing. fuzz_dtls_endpoint and `closenotify replay --dtls` both number with it.
inline std::optional<record_number> sealed_at(record_choice c, std::uint64_t& next) noexcept {
  std::uint64_t seq = next;
  std::uint16_t epoch = 1;
  switch (c.mode) {
    case seq_mode::next: seq = next + c.k; next = seq + 1; break;
    case seq_mode::old: seq = next > c.k ? next - 1 - c.k : 0; break;
    case seq_mode::ahead: seq = next + c.k; break;
    case seq_mode::beyond_window: seq = next + 64 + 16 * std::uint64_t{c.k}; next = seq + 1; break;
    case seq_mode::top: seq = dtls_max_sequence_number - 1 - c.k; break;
    case seq_mode::other_epoch: epoch = kOtherEpochs[c.k]; break;
    case seq_mode::bad_tag:
    case seq_mode::tampered: next = seq + 1; break;
  }
  if (seq >= dtls_max_sequence_number) return std::nullopt;
  return record_number{seq, epoch};
}

/// fault_choice: write_limit's `number` byte. Bits 0-1: the fault; bits 2-7: n (0-63).
enum class fault : std::uint8_t {
  truncate = 0,   // the last queued datagram loses its last n + 1 bytes
  duplicate = 1,  // the datagram the peer sent n before its last is queued again (a replay)
  drop = 2,       // the queued datagram n from the back is lost
  reorder = 3,    // the last queued datagram moves n + 1 places ahead
};
struct fault_choice {
  fault what = fault::truncate;
  std::uint8_t n = 0;
};
inline fault_choice decode_fault(std::uint32_t number) noexcept {
  return {static_cast<fault>(number & 3), static_cast<std::uint8_t>((number >> 2) & 63)};
}
inline std::uint8_t encode_fault(fault_choice f) noexcept {
  return static_cast<std::uint8_t>(static_cast<std::uint8_t>(f.what) | (f.n & 63) << 2);
}

/// describe: one event as fuzz_dtls_endpoint reads it.
inline std::string describe(const event& e) {
  static const char* const modes[] = {"next", "old", "ahead", "beyond_window",
                                      "top", "other_epoch", "bad_tag", "tampered"};
  static const char* const faults[] = {"truncate", "duplicate", "drop", "reorder"};
  switch (e.kind) {
    case event_kind::peer_record: {
      const auto c = decode_record_choice(e.number);
      return "peer_record type " + std::to_string(e.type) + " " + std::to_string(e.data.size()) +
             " bytes seq " + modes[static_cast<int>(c.mode)] + " k " + std::to_string(c.k) +
             (c.same_datagram ? " (same datagram)" : "");
    }
    case event_kind::peer_eof: return "peer_empty_datagram";
    case event_kind::peer_reset: return "read_error ECONNREFUSED";
    case event_kind::write_limit: {
      const auto f = decode_fault(e.number);
      return std::string("datagram_fault ") + faults[static_cast<int>(f.what)] + " " + std::to_string(f.n);
    }
    default: return fuzz::describe(e);
  }
}

}  // namespace closenotify::fuzz::dtls

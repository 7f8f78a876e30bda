// wire.hpp — what a side put on the wire, decrypted. Keys differ between the reference
// and the candidate run, so the comparison sees records as plaintext, never ciphertext.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "closenotify/record_framing.hpp"
#include "closenotify/record_protection.hpp"
#include "error.hpp"
#include "session_keys.hpp"

namespace closenotify::diff {

/// wire_record: one record as it crossed the wire, for people (closenotify trace): the
/// 5-byte header as sent, and what it opened to under the sender's keys.
struct wire_record {
  std::array<std::uint8_t, record_header_size> header{};
  bool opened = false;
  content_type type = content_type::invalid;  // the inner type when opened
  std::vector<std::uint8_t> plaintext;        // when opened
  std::string line;                           // the canonical line `feed` returns
};

/// wire_decoder: one side's sending direction, fed the bytes it wrote in order.
/// Follows that side's KeyUpdates. Bytes that do not open (hostile injections, plaintext
/// records, a side that lost track of its sequence number) are shown as such, and the
/// decoder keeps its sequence number, as a receiver would have to.
class wire_decoder {
 public:
  /// create: the decoder for `sender`'s direction of a handed-off session.
  static configured<wire_decoder> create(const session_keys& keys, role sender);

  /// feed: the records these bytes complete, each as one canonical line
  /// ("alert(warning close_notify)", "application_data(5: 68656c6c6f)").
  std::vector<std::string> feed(bytes_view bytes);
  /// feed_records: the same, with each record's header and plaintext.
  std::vector<wire_record> feed_records(bytes_view bytes);
  /// partial: bytes of an incomplete record at the end of what was fed.
  std::size_t partial() const { return buffer_.size(); }

  /// seal_next: a record protected as this side's next one, for a scenario's `inject`.
  /// Does not advance: feeding the injected bytes back does.
  tools::result<std::vector<std::uint8_t>> seal_next(std::uint8_t type, bytes_view plaintext,
                                                                 std::size_t padding) const;

 private:
  wire_decoder(const session_keys& keys, role sender, record_protection p)
      : keys_(keys), sender_(sender), protection_(std::move(p)) {}
  std::string describe(content_type type, bytes_view plaintext);
  session_keys keys_;
  role sender_;
  record_protection protection_;
  std::vector<std::uint8_t> buffer_;
};

/// describe_bytes: up to 32 bytes as hex, longer ones as length and digest, so a
/// megabyte of application data compares as one short token.
std::string describe_bytes(bytes_view b);

}  // namespace closenotify::diff

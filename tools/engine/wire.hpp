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
/// header as sent (TLS: 5 bytes; DTLS 1.2: 13, with epoch and sequence number), and what it
/// opened to under the sender's keys.
struct wire_record {
  std::vector<std::uint8_t> header;
  std::vector<std::uint8_t> bytes;            // the whole record as sent (header included)
  bool opened = false;
  content_type type = content_type::invalid;  // the inner type when opened
  std::vector<std::uint8_t> plaintext;        // when opened
  std::string line;                           // the canonical line `feed` returns
};

/// wire_decoder: one side's sending direction, fed the bytes it wrote in order.
/// Follows that side's KeyUpdates. Bytes that do not open (hostile injections, plaintext
/// records, a side that lost track of its sequence number) are shown as such, and the
/// decoder keeps its sequence number, as a receiver would have to. DTLS 1.2 records carry
/// their own epoch and sequence number (RFC 6347 §4.1) and are opened by them; the
/// datagrams a side wrote, concatenated, still split into records, since "Records may not
/// span datagrams" and each header gives its length.
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
  /// describe_datagram: the records of one DTLS datagram as canonical lines, without
  /// moving this decoder (for the runner's datagram faults, which show what they hit); a
  /// cut record shows as "(partial record, N bytes)".
  std::string describe_datagram(bytes_view datagram);
  bool is_dtls() const { return protection_.version() == protocol_version::dtls12; }

  /// seal_next: a record protected as this side's next one, for a scenario's `inject`.
  /// Does not advance: feeding the injected bytes back does. DTLS 1.2: `epoch` and
  /// `sequence_number` put other values in the header (and so in the nonce and additional
  /// data); epoch 0 is the handshake's unprotected epoch, so such a record goes out in
  /// plaintext, as a retransmitted epoch-0 record would. `sequence_offset` (`seq +K` /
  /// `seq -K`) moves the default number instead, for numbers known only relative to it.
  tools::result<std::vector<std::uint8_t>> seal_next(std::uint8_t type, bytes_view plaintext, std::size_t padding,
                                                     std::optional<std::uint16_t> epoch = std::nullopt,
                                                     std::optional<std::uint64_t> sequence_number = std::nullopt,
                                                     std::int64_t sequence_offset = 0) const;

 private:
  wire_decoder(const session_keys& keys, role sender, record_protection p)
      : keys_(keys), sender_(sender), protection_(std::move(p)), next_dtls_sequence_(protection_.sequence_number()) {}
  std::string describe(content_type type, bytes_view plaintext);
  // open_one: the record at the front of `bytes` (its size, 0 if incomplete) as a wire_record.
  std::size_t open_one(bytes_view bytes, wire_record& out);
  session_keys keys_;
  role sender_;
  record_protection protection_;
  // DTLS: the sequence number after the highest this direction has used in its epoch.
  // Opening a DTLS record moves no counter (the record brings its own number), so the
  // decoder counts here what an injected record must not reuse.
  std::uint64_t next_dtls_sequence_ = 0;
  std::vector<std::uint8_t> buffer_;
};

/// describe_bytes: up to 32 bytes as hex, longer ones as length and digest, so a
/// megabyte of application data compares as one short token.
std::string describe_bytes(bytes_view b);

}  // namespace closenotify::diff

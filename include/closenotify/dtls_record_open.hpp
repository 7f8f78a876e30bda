// closenotify/dtls_record_open.hpp — the DTLS 1.2 receive step: one framed record through
// the epoch check, the anti-replay window and the AEAD, in OpenSSL's order
// (dtls1_get_record, then dtls1_process_record), each failure a discard, as RFC 6347
// §4.1.2.7 asks: "Unlike TLS, DTLS is resilient in the face of invalid records (e.g.,
// invalid formatting, length, MAC, etc.). In general, invalid records SHOULD be silently
// discarded, thus preserving the association". One thing stays fatal: a record that
// authenticates and holds more than 2^14 bytes (OpenSSL: record_overflow).
#pragma once

#include <variant>

#include "closenotify/alert.hpp"
#include "closenotify/dtls_record_framing.hpp"
#include "closenotify/dtls_replay_window.hpp"
#include "closenotify/record_protection.hpp"

namespace closenotify {

/// dtls_plaintext: an opened DTLS record: its header (epoch, sequence number) and content.
struct dtls_plaintext {
  dtls_record_header header;
  content_type type;
  bytes_view fragment;
};

using dtls_open_result = std::variant<dtls_plaintext, dtls_discard, fatal>;

/// open_dtls_record: `record` (framed by parse_dtls_record; its fragment is `fragment`,
/// mutable, opened in place) for the epoch of `protection`, whose replay window is `window`.
/// The window is consulted before decryption and updated only after the record
/// authenticates. A discard consumes the record's size.
[[nodiscard]] dtls_open_result open_dtls_record(record_protection& protection,
                                                dtls_replay_window& window,
                                                const dtls_ciphertext& record,
                                                mutable_bytes fragment) noexcept;

using dtls_read_result = std::variant<end_of_datagram, dtls_plaintext, dtls_discard, fatal>;

/// read_dtls_record: the next record of `datagram`, framed and opened: a record, a discard
/// (framing's or the receive step's), the end of the datagram, or fatal.
[[nodiscard]] dtls_read_result read_dtls_record(dtls_datagram_reader& datagram,
                                                record_protection& protection,
                                                dtls_replay_window& window) noexcept;

}  // namespace closenotify

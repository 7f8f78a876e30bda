// closenotify/profile.hpp — the five SSL_shutdown pages as profiles of one state machine.
//
// A profile is not a copy of the machine: it is the handful of places where the pages
// (../shared/reference/, see its README) or the live releases do different things, each a
// field below with the sentence or source line it comes from. The profiles of OpenSSL
// 1.1.1, 3.0 and 3.5 are measured: what that release does against `closenotify diff`,
// which wins over its page (docs/divergences.md records where they disagree). The 1.0 and
// LibreSSL profiles are held to their pages; where a page is silent they take 3.0's
// value. `closenotify profiles` prints the table; docs/profiles.md explains each row.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "closenotify/alert.hpp"
#include "closenotify/dtls_record_framing.hpp"

namespace closenotify {

enum class profile_id : std::uint8_t {
  openssl_1_0,    // pages 000 (0.9.8/1.0 POD) and 002 (1.0.x man page)
  libressl,       // page 003 (OpenBSD/LibreSSL, 2016)
  openssl_1_1_1,  // page 001
  openssl_3_0,    // page 004 and 001; live: Debian 12's 3.0
  openssl_3_5,    // page 004 (3.5.3); live: trixie's 3.5, built from source
};

/// unexpected_eof_report: what a read sees when the transport ends without a close_notify.
enum class unexpected_eof_report : std::uint8_t {
  // OpenSSL 3.x: a fatal error, "unexpected eof while reading" (SSL_ERROR_SSL), with a
  // decode_error alert sent; 3.0's CHANGES: "unexpected EOF is now reported as an error".
  ssl_error,
  // Before 3.0: the read returns 0 with nothing in the error queue, so SSL_get_error says
  // SSL_ERROR_SYSCALL (errno 0); nothing is sent and the connection is not failed.
  syscall_eof,
};

/// unread_data_at_shutdown: what the waiting SSL_shutdown does with application data
/// that arrives before the peer's close_notify.
enum class unread_data_at_shutdown : std::uint8_t {
  // 001 RETURN VALUES (1.1.1, and 3.x): "It can also occur when not all data was read using
  // SSL_read()" — a fatal "application data after close notify".
  fail,
  // 000/002/003 (1.0, LibreSSL): "The second call will make SSL_shutdown() wait for the
  // peer's close notify shutdown alert" — data on the way is thrown away (1.0.2's
  // ssl3_read_bytes: SENT_SHUTDOWN set, "rr->length = 0; return 0"), the call returns -1
  // with SSL_ERROR_SYSCALL, and the next call goes on waiting. Only SSL_shutdown's read
  // is modelled: 1.0.2 also dropped a CCS or unknown record met by SSL_read after SENT,
  // which no page describes.
  discard,
};

/// write_failure_report: what a transport write that fails (EPIPE, ECONNRESET) leaves
/// behind for SSL_get_error.
enum class write_failure_report : std::uint8_t {
  // Up to 3.0: nothing is queued; SSL_get_error falls through to its last checks
  // (ZERO_RETURN after the peer's close_notify, SYSCALL otherwise).
  nothing_queued,
  // 3.5 (tls_retry_write_records): ERR_raise_data(ERR_LIB_SYS, errno, ...): the reason is
  // the strerror text and SSL_get_error says SSL_ERROR_SYSCALL.
  system_error,
};

/// alert_behind_write: an alert queued behind a partly written record (ssl3_send_alert
/// with a write pending) when SSL_shutdown comes back to it before that record is out.
enum class alert_behind_write : std::uint8_t {
  // Up to 3.0: ssl3_dispatch_alert goes through do_ssl3_write to ssl3_write_pending,
  // which refuses an alert where the pending record is application data: "bad write
  // retry" (the connection fails; the alert stays queued).
  kept,
  // 3.5 (s3_msg.c, ssl3_dispatch_alert): "We have a write pending but it wasn't from a
  // previous call to this function! ... Give up." The alert is dropped.
  dropped,
};

/// record_after_close: a record met after the peer's close_notify, which ssl3_read_bytes
/// throws away ("If the other end has shut down, throw anything we read away").
enum class record_after_close : std::uint8_t {
  // Up to 3.0: emptied (SSL3_RECORD_set_length(rr, 0)) but not marked read, so it stays
  // the current record and every later read in init returns 0 without I/O.
  stays_current,
  // 3.5: passed over ("s->rlayer.curr_rec++") without ssl_release_record, so the next
  // record the read path asks for fails in tls_read_record: SSL_R_RECORDS_NOT_RELEASED,
  // internal_error.
  passed_over_unreleased,
};

/// dtls_warning_alert: what dtls1_read_bytes does with the record of a warning alert that
/// does not end the read (neither close_notify nor, where fatal, no_renegotiation).
enum class dtls_warning_alert : std::uint8_t {
  read_again,  // 1.1.1, 3.0: SSL3_RECORD_set_read leaves its length, so `goto start` reads
               // the same alert again, until "too many warn alerts"
  released,    // 3.5: ssl_release_record; the next record is read
};

/// dtls_empty_record: a DTLS record whose plaintext is empty.
enum class dtls_empty_record : std::uint8_t {
  delivered,  // 1.1.1, 3.0: dtls1_read_bytes gets it (SSL_read returns 0; an alert is "invalid")
  dropped,    // 3.5 dtls_get_more_records: "No payload data in this record. Dump it"
};

/// dtls_empty_datagram: what a read returns for a zero-length datagram (recv(2) returns 0).
/// OpenSSL's datagram BIO has no BIO_CTRL_EOF, so it is no EOF: nothing is queued or sent
/// (SSL_ERROR_SYSCALL, errno 0) and the next read goes on.
enum class dtls_empty_datagram : std::uint8_t {
  returns_0,         // 1.1.1, 3.0: ssl3_read_n's 0 goes back up as it is
  returns_minus_one, // 3.5: the record layer calls it a non-fatal error, -1
};

/// fatal_override: a check (fatal_check) this release answers with another alert or
/// reason than the layers' (OpenSSL 3.0's) answer.
struct fatal_override {
  fatal_check check;
  std::optional<alert_description> send;
  std::string_view reason;
};

struct profile {
  profile_id id;
  std::string_view name;          // "openssl-3.0": what --profile and --openssl name
  std::string_view pages;         // which reference pages it is held to
  std::string_view live_version;  // the release it was measured against; "" = page only

  bool checked_live() const noexcept { return !live_version.empty(); }

  // The differences. Each is one row of `closenotify profiles`.

  unexpected_eof_report unexpected_eof;
  /// has_ignore_unexpected_eof: SSL_OP_IGNORE_UNEXPECTED_EOF exists (3.0 and later; 004
  /// Non-Compliant Peers: "If compatibility with such peers is desired, the option
  /// SSL_OP_IGNORE_UNEXPECTED_EOF can be set."). Without it the option does nothing.
  bool has_ignore_unexpected_eof;
  unread_data_at_shutdown unread_data;
  /// alert_names: the reason strings of received alerts (alert.hpp).
  alert_reason_names alert_names;
  /// tls13_warnings: which TLS 1.3 alerts count as warnings (alert.hpp).
  tls13_warning_rule tls13_warnings;
  write_failure_report write_failure;
  alert_behind_write alert_behind_pending_write;
  record_after_close after_close;
  /// late_compatibility_ccs: a TLS 1.3 client still drops an unprotected
  /// change_cipher_spec after the handshake, as RFC 8446 §5 allows only before the
  /// peer's Finished (3.5: the record layer's is_first_handshake is never cleared on the
  /// client). The record counts as an empty one; any other CCS body is
  /// "invalid ccs message".
  bool late_compatibility_ccs;
  /// fatal_overrides: the checks this release answers differently (fatal_check).
  std::span<const fatal_override> fatal_overrides;
  /// dtls_max_record_length: the longest DTLS record read rather than discarded from its
  /// header (dtls_record_framing.hpp): 17728 in 1.1.1 and 3.0, 16704 in 3.5.
  std::size_t dtls_max_record_length = dtls_openssl30_max_record_length;
  dtls_warning_alert dtls_warning = dtls_warning_alert::read_again;
  /// dtls_no_renegotiation_fatal: a no_renegotiation warning ends a DTLS connection
  /// (handshake_failure, "no renegotiation"), as in TLS; 1.1.1's dtls1_read_bytes has no
  /// such branch and counts it as any warning.
  bool dtls_no_renegotiation_fatal = true;
  dtls_empty_record dtls_empty = dtls_empty_record::delivered;
  dtls_empty_datagram dtls_empty_datagram_read = dtls_empty_datagram::returns_0;
  /// dtls_short_record: a DTLS record too short for explicit nonce and tag: discarded
  /// (nullopt, 3.0) or this fatal error (1.1.1, 3.5: EVP_CTRL_AEAD_TLS1_AAD fails).
  std::optional<fatal> dtls_short_record = std::nullopt;

  /// as_seen: `f` as this release reports it.
  fatal as_seen(fatal f) const noexcept {
    for (const fatal_override& o : fatal_overrides) {
      if (o.check == f.check) return fatal{o.send, o.reason, f.check};
    }
    return f;
  }
};

/// profiles: all five, oldest first.
std::span<const profile> profiles() noexcept;
const profile& profile_for(profile_id id) noexcept;
/// find_profile: by name ("openssl-1.1.1"); nullptr if there is none.
const profile* find_profile(std::string_view name) noexcept;

}  // namespace closenotify

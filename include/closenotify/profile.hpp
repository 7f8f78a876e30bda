// closenotify/profile.hpp — the five SSL_shutdown pages as profiles of one state machine.
//
// A profile is not a copy of the machine: it is the handful of places where the pages
// (../shared/reference/, see its README) promise different things, each a field below
// with the sentence it comes from. Everything not listed here is common to all five and
// is held to the live OpenSSL 3.0 peer. `closenotify profiles` prints the table;
// docs/profiles.md explains each row.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace closenotify {

enum class profile_id : std::uint8_t {
  openssl_1_0,    // pages 000 (0.9.8/1.0 POD) and 002 (1.0.x man page)
  libressl,       // page 003 (OpenBSD/LibreSSL, 2016)
  openssl_1_1_1,  // page 001
  openssl_3_0,    // the live peer: the ground truth, checked by `closenotify diff`
  openssl_3_5,    // page 004 (3.5.3)
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

struct profile {
  profile_id id;
  std::string_view name;   // "openssl-3.0": what --profile takes
  std::string_view pages;  // which reference pages it is held to
  bool checked_live;       // true only for the live peer's version

  // The differences. Each is one row of `closenotify profiles`.

  /// nonblocking_incomplete_return: what SSL_shutdown returns when a nonblocking
  /// transport stops it (close_notify not writable yet, peer's not readable yet).
  /// 000/002/003 RETURN VALUES, -1: "It can also occur if action is need to continue
  /// the operation for non-blocking BIOs." 004 Shutdown Lifecycle: "SSL_shutdown()
  /// returns 0 to indicate that the shutdown process is still ongoing; in this case, a
  /// call to SSL_get_error(3) will yield SSL_ERROR_WANT_READ or SSL_ERROR_WANT_WRITE."
  /// (OpenSSL 3.0 itself returns -1: docs/divergences.md, A.)
  int nonblocking_incomplete_return;
  unexpected_eof_report unexpected_eof;
  /// has_ignore_unexpected_eof: SSL_OP_IGNORE_UNEXPECTED_EOF exists (3.0 and later; 004
  /// Non-Compliant Peers: "If compatibility with such peers is desired, the option
  /// SSL_OP_IGNORE_UNEXPECTED_EOF can be set."). Without it the option does nothing.
  bool has_ignore_unexpected_eof;
  unread_data_at_shutdown unread_data;
};

/// profiles: all five, oldest first.
std::span<const profile> profiles() noexcept;
const profile& profile_for(profile_id id) noexcept;
/// find_profile: by name ("openssl-1.1.1"); nullptr if there is none.
const profile* find_profile(std::string_view name) noexcept;

}  // namespace closenotify

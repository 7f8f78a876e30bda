// live.hpp — one TLS connection with a real peer (curl, gnutls-cli, openssl s_server, ...)
// for `closenotify serve` and `closenotify connect`: the OpenSSL peer process does the
// handshake on the connected TCP socket and hands the session's keys over
// (docs/peer-protocol.md), then a closenotify endpoint runs the rest of the connection on
// the same descriptor — the exchange (`--respond`) and the teardown (`--shutdown`) — and
// the connection is reported as one line (or JSON, or a trace). This process links
// closenotify and BoringSSL only; OpenSSL stays in the peer process.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "closenotify/profile.hpp"
#include "closenotify/tls.hpp"

namespace closenotify::cli::live {

/// respond_mode: what closenotify does between the handshake and the teardown.
/// Server: http answers one request with a small HTTP/1.0 200 response; echo writes back
/// whatever it reads until the peer closes or goes idle; none does nothing.
/// Client: http sends `GET / HTTP/1.0` and reads the response; echo sends one line and
/// reads it back; none sends nothing.
enum class respond_mode : std::uint8_t { http, echo, none };

/// shutdown_policy: how closenotify ends the connection.
///   bidirectional  shutdown(), then shutdown() again until it returns 1 (bounded wait)
///   fast           one shutdown() (close_notify out), then close(2)
///   quiet          quiet shutdown (both flags set, no close_notify), then close(2)
///   wait_peer      read until the peer's close_notify (ZERO_RETURN), then shutdown()
///   none           close(2) without any alert
enum class shutdown_policy : std::uint8_t { bidirectional, fast, quiet, wait_peer, none };

std::string_view to_string(respond_mode m) noexcept;
std::string_view to_string(shutdown_policy p) noexcept;

struct settings {
  std::string peer_path;
  std::string openssl_version;  // what the peer says it is: "OpenSSL 3.0.19 27 Jan 2026"
  std::string version = "any";  // the peer's version=: tls1.2, tls1.3 or any
  std::string suites;           // the peer's suite=: OpenSSL names joined with ':'
  std::string cert;             // server: PEM files ("" = the peer's in-memory certificate)
  std::string key;
  std::string sni;  // client: the server name to send ("" = none)
  /// ticket_keys: server: the session-ticket keys every handshake of the run passes to its
  /// peer (hex, docs/peer-protocol.md), so that tickets resume across connections and
  /// pooled peers. A secret: never printed, never in a trace.
  std::string ticket_keys;
  std::string host_header = "localhost";  // client http: the Host header
  respond_mode respond = respond_mode::http;
  shutdown_policy policy = shutdown_policy::bidirectional;
  profile_id profile = profile_id::openssl_3_0;
  std::chrono::milliseconds handshake_timeout{10000};
  std::chrono::milliseconds io_timeout{5000};  // each wait for the peer after the handshake
  bool trace = false;
  /// stop_fd: readable when the whole program is stopping; every wait gives up then.
  int stop_fd = -1;
};

/// report: what one connection did, for the log line, the JSON line and the summary.
struct report {
  unsigned long id = 0;
  std::string address;  // the other side, "127.0.0.1:53422"
  role local_role = role::server;
  bool handshake_ok = false;
  std::string version;  // "tls1.3"
  std::string suite;
  std::size_t bytes_in = 0;   // application bytes read
  std::size_t bytes_out = 0;  // application bytes written
  /// first_close: who put the first close_notify, FIN or RST on the wire: "we", "peer",
  /// or "" (nobody); first_close_how: which of the three; first_close_note: what led to
  /// it when it was ours and no close_notify ("after fatal record_overflow sent", ...).
  std::string first_close;
  std::string first_close_how;
  std::string first_close_note;
  std::string peer_close;         // what came from the peer in the end
  std::vector<std::string> alerts_sent;      // "warning close_notify"
  std::vector<std::string> alerts_received;
  bool close_notify_sent = false;
  bool close_notify_received = false;
  bool shutdown_called = false;
  int shutdown_ret = 0;  // the last shutdown()'s return value
  std::string error;     // the first failure: reason string, errno text, "timed out ..."
  /// outcome: clean (close_notify both ways), sent-only (ours only), received-only (the
  /// peer's only), no-close-notify (neither), error (a fatal TLS error or I/O error),
  /// handshake-failed.
  std::string outcome;
  bool goal_met = false;  // the policy did what it is for (connect's exit status)
  double ms = 0;
  std::vector<std::string> trace;  // with settings.trace: one line per record and call
};

/// handshake_command: the peer protocol's `handshake` for this side of a connection with
/// these settings (it carries the ticket keys: never print it).
std::string handshake_command(role r, const settings& s);

/// run: the whole connection on `fd` (a connected stream socket, which run closes).
report run(int fd, role local_role, const settings& s, unsigned long id, std::string address);

/// format_line / format_json: the one-line log of a connection.
std::string format_line(const report& r);
std::string format_json(const report& r);

}  // namespace closenotify::cli::live

// tcp.hpp — what `serve` and `connect` do to their TCP sockets beneath TLS: no Nagle delay,
// a close that lets the last alert arrive, and a look at whether the other side's FIN or
// RST is already here.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

namespace closenotify::cli::tcp {

/// set_nodelay: TCP_NODELAY on `fd`. The option belongs to the socket, not the descriptor,
/// so the OpenSSL peer's copy (the same socket, passed with SCM_RIGHTS) writes without
/// Nagle's delay too. "" or why not.
std::string set_nodelay(int fd);

/// What has arrived from the other side, as far as the socket says without reading it.
enum class arrived : std::uint8_t { nothing, fin, rst };
/// peer_closed: has the other side's FIN or RST reached `fd`, even behind unread data?
arrived peer_closed(int fd);

/// Bounds of lingering_close: s_server's "some extreme round-trip" and a cap on what is
/// read and thrown away, so that a client streaming data cannot hold the connection.
inline constexpr std::chrono::milliseconds kLingerTime{500};
inline constexpr std::size_t kLingerBytes = 256 * 1024;

/// lingering_close: half-close (FIN after everything written), read and discard until the
/// other side's EOF, kLingerTime or kLingerBytes, or `stop_fd` becomes readable, then close.
void lingering_close(int fd, int stop_fd);

}  // namespace closenotify::cli::tcp

// side.hpp — one end of a differential run as the runner drives it: a command goes in,
// protocol messages come out. Two kinds: the OpenSSL peer process, and closenotify's
// endpoint on a thread (the candidate run's side under test).
#pragma once

#include "closenotify/profile.hpp"

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "error.hpp"
#include "protocol.hpp"
#include "session_keys.hpp"

namespace closenotify::diff {

class side {
 public:
  virtual ~side() = default;
  /// send: one command line (without the newline). False if the side is gone.
  virtual bool send(const std::string& command) = 0;
  /// next: the next message, or nothing if none arrived within `timeout`. A side that
  /// died answers with an `error` message saying so.
  virtual std::optional<message> next(std::chrono::milliseconds timeout) = 0;
  /// terminate: stop now, whatever the side is doing, without another byte on the socket.
  virtual void terminate() = 0;
};

/// spawn_peer: an OpenSSL peer speaking the line protocol on `socket_fd` (a copy of it;
/// the caller keeps its own): a pooled `peer_path --pool 3` process the socket is sent
/// to, or a new `peer_path --fd 3` (peer_start::exec, or a peer that cannot pool).
/// Fails with a one-line reason.
tools::result<std::unique_ptr<side>> spawn_peer(const std::string& peer_path, int socket_fd);

/// How spawn_peer starts peers: pooled processes reused case after case (the default),
/// or a new process per peer (`--exec-peers`: slower; what `closenotify bench` compares
/// the pool against, and a way to rule the pool out).
enum class peer_start : std::uint8_t { pooled, exec };
void set_peer_start(peer_start how);

/// close_socket: close(2) a socket end the runner holds, once no other thread is inside
/// posix_spawn. A spawned child holds a copy of every descriptor the runner had when it
/// was cloned until its file actions close them (spawn_peer closes all but 0-3 there); a
/// copy keeps the socket open, so a side's close would reach the other side late (a
/// write succeeding that should fail with EPIPE) in some runs only. Spawns hold the guard
/// shared, so after this close no child anywhere holds the socket.
void close_socket(int fd);

/// mutation: a deliberately wrong closenotify, for showing that the comparison catches it.
enum class mutation : std::uint8_t {
  none,
  first_shutdown_returns_one,  // report 1 from a first shutdown that returned 0
  no_close_notify,             // shutdown() behaves as if quiet shutdown were set
  read_ignores_close_notify,   // report WANT_READ where ZERO_RETURN is due
};
std::optional<mutation> parse_mutation(std::string_view name);
std::string_view mutation_names();

/// make_endpoint_side: closenotify's endpoint on `socket_fd` (which it takes over and
/// closes), keys and sequence numbers from the OpenSSL side's hand-off.
/// `profile`: which page's behaviour the endpoint follows where the pages differ
/// (profile.hpp); openssl-3.0 unless asked.
tools::result<std::unique_ptr<side>> make_endpoint_side(int socket_fd, const session_keys& keys,
                                                                    mutation m,
                                                                    profile_id profile = profile_id::openssl_3_0);

}  // namespace closenotify::diff

// preflight.cpp — see preflight.hpp.
#include "preflight.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>

#include "side.hpp"

namespace closenotify::cli {

namespace {

using clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Long enough for a loaded machine under the sanitizers (and a peer's RSA key, made once);
// a peer that has not answered by then is no working peer.
constexpr milliseconds kPreflightTimeout{10'000};
// After the client side failed, how long the server side may take to say why (its reason
// is the one worth printing: the certificate, the key, the suites are its).
constexpr milliseconds kServerReasonGrace{1'000};

// The other side's settings: the same version and suites, nothing of ours that is secret
// or only ours (certificate files, ticket keys, SNI). A server for `connect` makes no RSA
// key when the list has suites without one.
live::settings counterpart(const live::settings& s, role other) {
  live::settings c;
  c.peer_path = s.peer_path;
  c.version = s.version;
  c.suites = s.suites;
  if (other == role::server) {
    std::string no_rsa;
    for (std::size_t i = 0; i <= s.suites.size();) {
      std::size_t j = s.suites.find(':', i);
      if (j == std::string::npos) j = s.suites.size();
      const std::string name = s.suites.substr(i, j - i);
      if (!name.empty() && name.find("-RSA-") == std::string::npos) no_rsa += (no_rsa.empty() ? "" : ":") + name;
      i = j + 1;
    }
    if (!no_rsa.empty()) c.suites = no_rsa;
  }
  return c;
}

struct answer {
  bool arrived = false;
  bool ok = false;
  std::string text;
};

// Read `peer`'s messages that come within a few milliseconds, up to its answer to
// `handshake` (the two peers are asked in turn, so neither waits long on the other).
void poll_answer(diff::side& peer, answer& a) {
  while (!a.arrived) {
    auto m = peer.next(milliseconds(5));
    if (!m) return;
    if (m->kind == diff::message_kind::blocked) continue;
    a.arrived = true;
    a.ok = m->kind == diff::message_kind::ok;
    a.text = m->text;
  }
}

}  // namespace

std::optional<tools::error> preflight(const live::settings& s, role local_role) {
  const role other = local_role == role::server ? role::client : role::server;
  const live::settings theirs = counterpart(s, other);
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
    return tools::fail(std::string("socketpair: ") + std::strerror(errno));
  }
  auto ours = diff::spawn_peer(s.peer_path, fds[0]);
  auto peer_of_theirs = diff::spawn_peer(s.peer_path, fds[1]);
  diff::close_socket(fds[0]);  // the peers hold their own copies
  diff::close_socket(fds[1]);
  for (auto* spawned : {&ours, &peer_of_theirs}) {
    if (auto* e = std::get_if<tools::error>(spawned)) return tools::fail("the OpenSSL peer cannot start: " + e->message);
  }
  auto& mine = *std::get<std::unique_ptr<diff::side>>(ours);
  auto& other_peer = *std::get<std::unique_ptr<diff::side>>(peer_of_theirs);
  diff::side& server = local_role == role::server ? mine : other_peer;
  diff::side& client = local_role == role::server ? other_peer : mine;
  const bool sent = server.send(live::handshake_command(role::server, local_role == role::server ? s : theirs)) &&
                    client.send(live::handshake_command(role::client, local_role == role::client ? s : theirs));
  answer from_server, from_client;
  auto deadline = clock::now() + kPreflightTimeout;
  while (sent && clock::now() < deadline && !(from_server.arrived && from_client.arrived) &&
         !(from_server.arrived && !from_server.ok)) {
    poll_answer(server, from_server);
    poll_answer(client, from_client);
    if (from_client.arrived && !from_client.ok && !from_server.arrived) {
      deadline = std::min(deadline, clock::now() + kServerReasonGrace);
    }
  }
  // Released to the pool when they answered (ready for the first connection), else killed.
  server.terminate();
  client.terminate();
  const std::string what = "the OpenSSL peer " + s.peer_path + " ";
  if (!sent) return tools::fail(what + "does not take commands (it exited)");
  if (from_server.arrived && !from_server.ok) {
    return tools::fail(what + "fails a test handshake with these settings (server side): " + from_server.text);
  }
  if (from_client.arrived && !from_client.ok) {
    return tools::fail(what + "fails a test handshake with these settings (client side): " + from_client.text);
  }
  if (!from_server.arrived || !from_client.arrived) {
    return tools::fail(what + "did not complete a test handshake within " +
                       std::to_string(kPreflightTimeout.count() / 1000) + " s: no working peer");
  }
  return std::nullopt;
}

}  // namespace closenotify::cli

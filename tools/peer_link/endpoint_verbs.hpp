// endpoint_verbs.hpp — the one place a protocol command (a scenario step) becomes a call
// of closenotify's endpoint, and what the call is seen to return.
//
// Two harnesses drive an endpoint with the same commands: endpoint_side.cpp (one side of
// a differential run, on a socket, compared with the OpenSSL peer) and the fault harness
// (tests/fault: two endpoints on a faulty pipe). Were each to turn `read_all 100` into
// calls of its own, a fault run could pass on a reading of a command the differential
// run never checks against OpenSSL. What stays with each harness: when a WANT_* is
// waited out (on the socket) or left pending (retried by the fault harness), what the
// bytes of `write N` are, what it checks around a call, how it prints the outcome.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "closenotify/endpoint.hpp"
#include "closenotify/post_handshake.hpp"
#include "closenotify/tls.hpp"
#include "closenotify/transport.hpp"

namespace closenotify::diff {

/// command_verb: the step commands of the peer protocol (docs/peer-protocol.md) that a
/// scenario may name, and the runner's own `mode` and `quit`.
enum class command_verb : std::uint8_t {
  // calls of the endpoint (SSL_* calls in the peer)
  shutdown,
  read,
  peek,
  write,
  write_hex,
  read_all,
  write_all,
  key_update,
  do_handshake,
  // the endpoint's options, its transport, and what only the runner turns into bytes
  set,
  shutdown_write,
  close,
  raw,
  inject,
  renegotiate,
  mode,
  quit,
  unknown,
};

/// command: one command line, split as both harnesses read it.
struct command {
  command_verb verb = command_verb::unknown;
  std::string word;      // the verb as written
  std::string argument;  // the first argument, "" when none
  // size: the argument as a count. The scenario parser checked sizes; anything else
  // reads as 0.
  std::size_t size = 0;
};
command parse_command(std::string_view line);

/// calls_endpoint: whether the verb is a call of the endpoint.
bool calls_endpoint(command_verb v);

/// endpoint_call: an endpoint call, from its first try to its last (a call that returned
/// WANT_READ / WANT_WRITE is tried again by the harness, with the same endpoint_call).
struct endpoint_call {
  command_verb verb = command_verb::unknown;
  std::size_t size = 0;  // read, peek, read_all: the bytes asked for
  // data: what write, write_hex and write_all send. A retry must pass the same buffer,
  // not only the same bytes: OpenSSL compares the pointer (endpoint.hpp, write).
  bytes_view data;
  key_update_request request = key_update_request::update_not_requested;
  std::vector<std::uint8_t> got;  // read, peek, read_all: the bytes read so far
};

/// call_for: the call a command makes; `data` is what a write sends (the harness's choice).
endpoint_call call_for(const command& c, bytes_view data = {});

/// call_outcome: what the call returned and what SSL_get_error, SSL_get_shutdown and the
/// error queue say right after it.
struct call_outcome {
  int ret = 0;
  ssl_error err = ssl_error::none;
  int flags = 0;
  std::string_view reason;  // the endpoint's; valid until its next call
  /// pending: WANT_READ or WANT_WRITE, the call is to be tried again.
  bool pending() const { return ret <= 0 && (err == ssl_error::want_read || err == ssl_error::want_write); }
};

/// call_hooks: a harness's part in a call. The defaults do nothing and wait for nothing.
class call_hooks {
 public:
  /// before_call / after_call: around each call of the endpoint a command makes
  /// (read_all and write_all may make several).
  virtual void before_call() {}
  virtual void after_call(int ret) { (void)ret; }
  /// wait: read_all or write_all met `want` (WANT_READ / WANT_WRITE); true once the side
  /// has waited for its transport and the command should go on, false to return the
  /// pending result as it is.
  virtual bool wait(ssl_error want) {
    (void)want;
    return false;
  }

 protected:
  ~call_hooks() = default;
};

/// perform: make the call (one try of it: see call_hooks::wait). Bytes read are
/// appended to `call.got`.
call_outcome perform(endpoint& ep, endpoint_call& call, call_hooks& hooks);

/// apply_option: `set NAME` on the endpoint; false if NAME is not an option.
bool apply_option(endpoint& ep, std::string_view name);

/// send_raw: `raw` (and an injected record): bytes straight onto the transport, past the
/// endpoint, as a socket write loop sends them: a short write goes on; on would_block,
/// `again` (told how many came in a row) says whether to try again. Returns ok, or the
/// status that stopped it.
io_status send_raw(transport& t, bytes_view bytes, const std::function<bool(int in_a_row)>& again);

/// error_name: "WANT_READ", as the protocol's err= field and the fault traces write it.
std::string_view error_name(ssl_error e);

}  // namespace closenotify::diff

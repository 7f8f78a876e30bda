// replay.hpp — fuzz inputs as differential cases: an endpoint event script
// (testkit/event_script.hpp) becomes a scenario in which B, the live OpenSSL peer, sends the
// script's records, EOF and resets, and A makes its calls; the case runs with A as OpenSSL
// and as closenotify, and a disagreement is shrunk to the fewest events and bytes that
// still show it.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "event_script.hpp"
#include "matrix.hpp"

namespace closenotify::diff {

/// replay_case: a script as a runnable case. Transport faults (EAGAIN, short writes, a
/// peer that stops reading) have no OpenSSL counterpart on a socketpair and are dropped;
/// `dropped` names them.
struct replay_case {
  scenario s;
  cell c;
  std::vector<std::string> dropped;
  bool empty() const { return s.steps.empty(); }
};

/// `live`: the profile of the live peer's series; a script that selects another profile
/// runs under this one, and says so in `dropped`.
replay_case script_to_case(const fuzz::script& script, const std::string& name, profile_id live);

/// dtls_script_to_case: a fuzz_dtls_endpoint input (testkit/dtls_script.hpp) as a case of
/// the DTLS 1.2 cell of its suite and role, nonblocking. The harness's sequence numbers
/// become `seq +K` / `seq -K` relative to the runner's; what a scenario cannot say (bad
/// tags, tampered bytes, records joining a datagram, read errors, the harness's datagram
/// faults, EAGAIN, the hand-over) is dropped and named in `dropped`.
replay_case dtls_script_to_case(const fuzz::script& script, const std::string& name, profile_id live);

/// call_command: A's step for a script's call event (read, peek, write, shutdown,
/// key_update, do_handshake), the same for TLS and DTLS.
std::string call_command(const fuzz::event& e);

/// script_reading: which fuzz target's reading of the input bytes a replay follows.
enum class script_reading : std::uint8_t { endpoint, dtls_endpoint };

/// replay_result: one input's outcome; for a disagreement, the minimised script.
struct replay_result {
  std::string input;
  case_result result;  // of the minimised script when minimised
  fuzz::script minimised;
  std::size_t original_events = 0;
  std::size_t runs = 0;  // cases run, minimisation included
  std::vector<std::string> dropped;
  std::string first_difference;  // of the (minimised) case, "" when it agrees
  std::string scn;               // the (minimised) case as catalogue text
};

/// replay_one: run the script; if it diverges undocumented and `minimise`, remove events
/// and shorten payloads while it still does (at most `budget` more runs).
replay_result replay_one(const fuzz::script& script, const std::string& name, const run_config& config,
                         const std::set<std::string>& documented, bool minimise, std::size_t budget,
                         script_reading reading = script_reading::endpoint);

/// to_scn: the case as catalogue text (`closenotify diff --scenarios` takes it).
std::string to_scn(const replay_case& rc, const std::string& comment);

}  // namespace closenotify::diff

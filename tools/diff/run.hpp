// run.hpp — one run of one case: two OpenSSL peers on a socketpair (the reference run),
// or the same with side A handed over to closenotify after the handshake (the candidate
// run). The runner orders every step and observes each one's completion; nothing waits
// on a timer except a safety limit that marks a hung run as a harness failure.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "scenario.hpp"
#include "side.hpp"

namespace closenotify::diff {

struct run_config {
  std::string peer_path;
  mutation mutate = mutation::none;
  /// step_timeout: a safety limit, never a synchronisation: a step that has neither
  /// finished nor been proven stuck after this long fails the run.
  std::chrono::milliseconds step_timeout{10000};
  /// send_buffer: SO_SNDBUF of both socket ends, so "fill the socket" is the same
  /// number of bytes in every run.
  int send_buffer = 65536;
};

/// observation: what one step did, as compared. `fields` keys: outcome, ret, err, flags,
/// data, recv, errno, reason, sent (the records the side put on the wire, decrypted).
struct observation {
  std::size_t step = 0;
  side_id side = side_id::a;
  std::string command;
  std::map<std::string, std::string> fields;
};

struct run_result {
  std::string harness_error;  // why the run could not be carried out ("" when it was)
  std::vector<observation> steps;
  std::vector<std::string> wire_a;  // every record A put on the wire after the handshake
  std::vector<std::string> wire_b;
  std::vector<std::string> transcript;  // the protocol lines, for --explain
};

run_result run_case(const scenario& s, const cell& c, bool candidate, const run_config& config);

/// the order fields are shown and compared in.
const std::vector<std::string>& observation_fields();

}  // namespace closenotify::diff

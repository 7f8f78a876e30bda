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
#include "wire.hpp"

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
  /// profile: the candidate endpoint's (profile.hpp). The comparison is always with the
  /// live peer, so a profile other than the peer's series' shows the rows where they differ
  /// as divergences.
  profile_id profile = profile_id::openssl_3_0;
  /// peer_profile: the live peer's series' profile (openssl_versions.hpp): which scenarios
  /// it can run at all.
  profile_id peer_profile = profile_id::openssl_3_0;
  /// keep_transcripts: keep, once a case is compared, what only a capture or --explain
  /// shows (the byte stream, the protocol lines, decrypted records, the key log). The
  /// matrix drops them, or its memory would grow with every case (about 200 KiB each).
  bool keep_transcripts = true;
};

/// observation: what one step did, as compared. `fields` keys: outcome, ret, err, flags,
/// data, recv, errno, reason, sent (the records the side put on the wire, decrypted).
struct observation {
  std::size_t step = 0;
  side_id side = side_id::a;
  std::string command;
  std::map<std::string, std::string> fields;
  std::vector<wire_record> records;  // `sent` with headers and plaintext, for traces; not compared
};

/// wire_chunk: bytes one side put on the socket, in an order both streams allow: the
/// handshake's flights merged by what each side had read when it wrote (the peer's
/// `hs_wire`), then each step's bytes as the runner received its `done`. `fin`: the side
/// closed or shut down its writing end (no bytes). For captures (trace --pcap).
struct wire_chunk {
  side_id from = side_id::a;
  std::size_t step = handshake_step;  // the scenario step, or handshake_step
  std::vector<std::uint8_t> bytes;
  bool fin = false;
  std::chrono::system_clock::time_point at;
  static constexpr std::size_t handshake_step = static_cast<std::size_t>(-1);
};

struct run_result {
  std::string harness_error;  // why the run could not be carried out ("" when it was)
  std::vector<observation> steps;
  std::vector<std::string> wire_a;  // every record A put on the wire after the handshake
  std::vector<std::string> wire_b;
  std::vector<std::string> transcript;  // the protocol lines, for --explain
  std::vector<wire_chunk> stream;       // both directions, handshake included
  std::vector<std::string> keylog;      // the session's SSLKEYLOGFILE lines
  std::uint64_t handoff_rseq = 0;       // A's records read / written under the traffic
  std::uint64_t handoff_wseq = 0;       // keys when the steps began (handed over, candidate)
};

run_result run_case(const scenario& s, const cell& c, bool candidate, const run_config& config);

/// the order fields are shown and compared in.
const std::vector<std::string>& observation_fields();

}  // namespace closenotify::diff

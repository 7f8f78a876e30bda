// session_keys.hpp — what a handed-off session is made of: the suite, the key-log secrets,
// the randoms and the records already protected under the current keys, as the peer
// reports them ("ok handshake" / "ok handoff", docs/peer-protocol.md).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "closenotify/dtls_replay_window.hpp"
#include "closenotify/record_protection.hpp"
#include "closenotify/tls.hpp"
#include "protocol.hpp"

namespace closenotify::diff {

struct session_keys {
  const cipher_suite* suite = nullptr;
  role local_role = role::client;
  std::vector<std::uint8_t> client_secret;  // TLS 1.3 CLIENT_TRAFFIC_SECRET_0
  std::vector<std::uint8_t> server_secret;  // TLS 1.3 SERVER_TRAFFIC_SECRET_0
  std::vector<std::uint8_t> master;         // TLS 1.2 CLIENT_RANDOM line
  std::vector<std::uint8_t> client_random;
  std::vector<std::uint8_t> server_random;
  std::uint64_t read_sequence = 0;   // rseq
  std::uint64_t write_sequence = 0;  // wseq
  std::uint64_t rx = 0;              // socket bytes read so far
  std::uint64_t tx = 0;              // socket bytes written so far
  // DTLS 1.2 (version=dtls1.2): the epoch both directions are in (epoch=), and the read
  // epoch's anti-replay window (rwindow=MAX:MAP). write_sequence is then the next sequence
  // number this side writes in the epoch, read_sequence the records it read in it.
  bool dtls = false;
  std::uint16_t epoch = 0;
  dtls_replay_window read_window;

  /// protection: the record protection of `sender`'s direction, at the sequence number
  /// the hand-off reported for it.
  configured<record_protection> protection(role sender) const;
  /// protection_at: the same at another sequence number (TLS 1.2 has no KeyUpdate, so
  /// the key block and a sequence number are a direction's whole state; DTLS 1.2 adds the
  /// epoch, and a DTLS protection opens records by their own sequence numbers).
  configured<record_protection> protection_at(role sender, std::uint64_t sequence) const;
  configured<record_protection> write_protection() const;
  configured<record_protection> read_protection() const;
};

/// keys_from_message: the hand-off fields of an `ok handshake` / `ok handoff` line.
configured<session_keys> keys_from_message(const message& m, role local_role);

}  // namespace closenotify::diff

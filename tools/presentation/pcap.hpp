// pcap.hpp — a run's two byte streams as a capture Wireshark and tshark dissect as TLS over
// TCP. The sockets are an AF_UNIX socketpair, which no capture tool can tap, so the TCP
// framing is synthesized around the exact bytes each side wrote (docs/trace.md says why
// and what that does and does not show).
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "run.hpp"

namespace closenotify::diff {

/// pcap_connection: one run as one TCP connection from 127.0.0.1:client_port to
/// 127.0.0.1:443 (the port Wireshark dissects as TLS without being told).
struct pcap_connection {
  const run_result* run = nullptr;
  bool a_is_client = true;
  std::uint16_t client_port = 40000;
};

inline constexpr std::uint16_t pcap_server_port = 443;

/// write_pcap: a classic pcap file (LINKTYPE_RAW, IPv4): per connection the three-way
/// handshake, every chunk of the stream as PSH segments (split at 32 KiB) with correct
/// sequence and acknowledgement numbers, each acknowledged by the receiver, a FIN where a
/// side closed or shut down writing, and a FIN for each side still open when the run ended.
void write_pcap(std::ostream& out, const std::vector<pcap_connection>& connections);

/// write_keylog: the runs' SSLKEYLOGFILE lines, each session's once.
void write_keylog(std::ostream& out, const std::vector<pcap_connection>& connections);

}  // namespace closenotify::diff

// pcap.hpp — a run's two byte streams as a capture Wireshark and tshark dissect: TLS over
// TCP, or DTLS over UDP. The sockets are an AF_UNIX socketpair, which no capture tool can
// tap, so the TCP or UDP framing is synthesized around the exact bytes each side wrote
// (docs/trace.md says why and what that does and does not show).
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "run.hpp"

namespace closenotify::diff {

/// pcap_connection: one run as one TCP connection from 127.0.0.1:client_port to
/// 127.0.0.1:443 (the port Wireshark dissects as TLS without being told), or, for a DTLS
/// run (`datagram`), as UDP from 127.0.0.1:client_port to 127.0.0.1:4433.
struct pcap_connection {
  const run_result* run = nullptr;
  bool a_is_client = true;
  std::uint16_t client_port = 40000;
  bool datagram = false;
};

inline constexpr std::uint16_t pcap_server_port = 443;
/// pcap_dtls_server_port: 4433, OpenSSL's s_server default. Wireshark registers no
/// dissector on it, so its DTLS heuristic (udp "dtls_udp", on by default) claims the
/// records, and the decrypted application data is not handed to a protocol registered on
/// a DTLS port (853 would be DNS, 5684 CoAP).
inline constexpr std::uint16_t pcap_dtls_server_port = 4433;

/// write_pcap: a classic pcap file (LINKTYPE_RAW, IPv4). TCP, per connection: the
/// three-way handshake, every chunk of the stream as PSH segments (split at 32 KiB) with
/// correct sequence and acknowledgement numbers, each acknowledged by the receiver, a FIN
/// where a side closed or shut down writing, and a FIN for each side still open when the
/// run ended. UDP (`datagram`): each handshake chunk as the one datagram it is (the peer's
/// hs_wire keeps datagram boundaries); after the handshake each DTLS record a side wrote as
/// one datagram, since a step's bytes are its datagrams concatenated and their boundaries are
/// lost; a record never spans datagrams, so this is the finest split the datagrams allow.
/// Bytes that do not frame as a whole record (a truncated or hostile write) go out as one
/// datagram. No FIN: UDP has no close.
void write_pcap(std::ostream& out, const std::vector<pcap_connection>& connections);

/// dtls_datagrams: `bytes` (DTLS datagrams, concatenated) cut into records by their 13-byte
/// headers: [offset, size) of each; the last holds whatever does not frame as a whole record.
std::vector<std::pair<std::size_t, std::size_t>> dtls_datagrams(const std::vector<std::uint8_t>& bytes);

void write_keylog(std::ostream& out, const std::vector<pcap_connection>& connections);

}  // namespace closenotify::diff

// pcap.cpp — synthesizing TCP/IPv4 or UDP/IPv4 framing around a run's exact stream bytes.
#include "pcap.hpp"

#include <algorithm>
#include <array>
#include <set>

namespace closenotify::diff {

namespace {

constexpr std::uint32_t kLinktypeRaw = 101;  // raw IPv4/IPv6, no link-layer header
constexpr std::size_t kMaxSegment = 32768;
constexpr std::uint8_t kFin = 0x01, kSyn = 0x02, kPsh = 0x08, kAck = 0x10;
constexpr std::uint8_t kTcp = 6, kUdp = 17;  // IPv4 protocol numbers

void put16(std::vector<std::uint8_t>& v, std::uint16_t x) {
  v.push_back(static_cast<std::uint8_t>(x >> 8));
  v.push_back(static_cast<std::uint8_t>(x));
}
void put32(std::vector<std::uint8_t>& v, std::uint32_t x) {
  put16(v, static_cast<std::uint16_t>(x >> 16));
  put16(v, static_cast<std::uint16_t>(x));
}

// pcap's own headers are in the writer's byte order; this writer uses little endian.
void le32(std::ostream& out, std::uint32_t x) {
  const char b[4] = {static_cast<char>(x), static_cast<char>(x >> 8), static_cast<char>(x >> 16),
                     static_cast<char>(x >> 24)};
  out.write(b, 4);
}
void le16(std::ostream& out, std::uint16_t x) {
  const char b[2] = {static_cast<char>(x), static_cast<char>(x >> 8)};
  out.write(b, 2);
}

std::uint32_t sum16(const std::uint8_t* p, std::size_t n, std::uint32_t acc = 0) {
  for (std::size_t i = 0; i + 1 < n; i += 2) acc += (std::uint32_t{p[i]} << 8) | p[i + 1];
  if (n % 2) acc += std::uint32_t{p[n - 1]} << 8;
  return acc;
}
std::uint16_t fold(std::uint32_t acc) {
  while (acc >> 16) acc = (acc & 0xffff) + (acc >> 16);
  return static_cast<std::uint16_t>(~acc);
}

struct endpoint_state {
  std::uint16_t port;
  std::uint32_t seq;  // next sequence number to send
  bool fin = false;
};

class writer {
 public:
  explicit writer(std::ostream& out) : out_(out) {
    le32(out_, 0xa1b2c3d4);  // microsecond timestamps
    le16(out_, 2);
    le16(out_, 4);
    le32(out_, 0);
    le32(out_, 0);
    le32(out_, 65535);
    le32(out_, kLinktypeRaw);
  }

  // segment: one IPv4/TCP packet from `from` to `to`, at the next timestamp.
  void segment(endpoint_state& from, const endpoint_state& to, std::uint8_t flags, const std::uint8_t* data,
               std::size_t n, std::chrono::system_clock::time_point at) {
    std::vector<std::uint8_t> tcp;
    put16(tcp, from.port);
    put16(tcp, to.port);
    put32(tcp, from.seq);
    put32(tcp, (flags & kAck) ? to.seq : 0);
    tcp.push_back(5 << 4);  // 20-byte header, no options
    tcp.push_back(flags);
    put16(tcp, 65535);      // window
    put16(tcp, 0);          // checksum, below
    put16(tcp, 0);          // urgent pointer
    tcp.insert(tcp.end(), data, data + n);
    checksum(tcp, kTcp, 16);
    packet(kTcp, tcp, at);
    from.seq += static_cast<std::uint32_t>(n) + ((flags & (kSyn | kFin)) ? 1 : 0);
  }

  // datagram: one IPv4/UDP packet from `from` to `to` (RFC 768), at the next timestamp.
  void datagram(std::uint16_t from, std::uint16_t to, const std::uint8_t* data, std::size_t n,
                std::chrono::system_clock::time_point at) {
    std::vector<std::uint8_t> udp;
    put16(udp, from);
    put16(udp, to);
    put16(udp, static_cast<std::uint16_t>(8 + n));
    put16(udp, 0);  // checksum, below
    udp.insert(udp.end(), data, data + n);
    checksum(udp, kUdp, 6);
    // RFC 768: "If the computed checksum is zero, it is transmitted as all ones".
    if (udp[6] == 0 && udp[7] == 0) udp[6] = udp[7] = 0xff;
    packet(kUdp, udp, at);
  }

  void connection(const pcap_connection& c, std::uint32_t isn) {
    if (c.datagram) {
      datagrams(c);
    } else {
      stream_connection(c, isn);
    }
  }

 private:
  // checksum: the TCP or UDP checksum over the pseudo-header (127.0.0.1 both ends, the
  // protocol, the length) and `segment`, written at `at`.
  static void checksum(std::vector<std::uint8_t>& segment, std::uint8_t protocol, std::size_t at) {
    const std::uint8_t pseudo[12] = {127, 0, 0, 1, 127, 0, 0, 1, 0, protocol,
                                     static_cast<std::uint8_t>(segment.size() >> 8),
                                     static_cast<std::uint8_t>(segment.size())};
    const std::uint16_t sum = fold(sum16(segment.data(), segment.size(), sum16(pseudo, sizeof pseudo)));
    segment[at] = static_cast<std::uint8_t>(sum >> 8);
    segment[at + 1] = static_cast<std::uint8_t>(sum);
  }

  // packet: `payload` (a TCP or UDP segment) in an IPv4 header, as one pcap record.
  void packet(std::uint8_t protocol, const std::vector<std::uint8_t>& payload, std::chrono::system_clock::time_point at) {
    std::vector<std::uint8_t> ip;
    ip.push_back(0x45);
    ip.push_back(0);
    put16(ip, static_cast<std::uint16_t>(20 + payload.size()));
    put16(ip, ip_id_++);
    put16(ip, 0x4000);  // don't fragment
    ip.push_back(64);
    ip.push_back(protocol);
    put16(ip, 0);
    for (int k = 0; k < 2; ++k) ip.insert(ip.end(), {127, 0, 0, 1});
    const std::uint16_t isum = fold(sum16(ip.data(), ip.size()));
    ip[10] = static_cast<std::uint8_t>(isum >> 8);
    ip[11] = static_cast<std::uint8_t>(isum);
    ip.insert(ip.end(), payload.begin(), payload.end());

    // Timestamps follow the runner's clock but never go backwards: runs captured at the
    // same time (diff --jobs) are written one after the other.
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(at.time_since_epoch()).count();
    last_us_ = std::max<long long>(us, last_us_ + 1);
    le32(out_, static_cast<std::uint32_t>(last_us_ / 1000000));
    le32(out_, static_cast<std::uint32_t>(last_us_ % 1000000));
    le32(out_, static_cast<std::uint32_t>(ip.size()));
    le32(out_, static_cast<std::uint32_t>(ip.size()));
    out_.write(reinterpret_cast<const char*>(ip.data()), static_cast<std::streamsize>(ip.size()));
  }

  // datagrams: a DTLS run. A handshake chunk is one datagram as the peer wrote it (its
  // hs_wire has a segment per datagram, docs/peer-protocol.md), so OpenSSL's packing of a
  // flight shows; a step's bytes are the datagrams concatenated (`wire=`), so each record
  // is one datagram. A side's `close` or `shutdown_write` sends nothing on UDP, so a fin
  // chunk has no packet.
  void datagrams(const pcap_connection& c) {
    for (const auto& chunk : c.run->stream) {
      const bool is_client = (chunk.from == side_id::a) == c.a_is_client;
      const std::uint16_t from = is_client ? c.client_port : pcap_dtls_server_port;
      const std::uint16_t to = is_client ? pcap_dtls_server_port : c.client_port;
      if (chunk.step == wire_chunk::handshake_step) {
        if (!chunk.bytes.empty()) datagram(from, to, chunk.bytes.data(), chunk.bytes.size(), chunk.at);
        continue;
      }
      for (const auto& [offset, size] : dtls_datagrams(chunk.bytes)) {
        datagram(from, to, chunk.bytes.data() + offset, size, chunk.at);
      }
    }
  }

  void stream_connection(const pcap_connection& c, std::uint32_t isn) {
    endpoint_state client{c.client_port, isn};
    endpoint_state server{pcap_server_port, isn ^ 0x5a5a0000u};
    const auto& stream = c.run->stream;
    const auto start = stream.empty() ? std::chrono::system_clock::now() : stream.front().at;
    segment(client, server, kSyn, nullptr, 0, start);
    segment(server, client, kSyn | kAck, nullptr, 0, start);
    segment(client, server, kAck, nullptr, 0, start);
    auto ends = [&](side_id s) -> std::pair<endpoint_state&, endpoint_state&> {
      const bool is_client = (s == side_id::a) == c.a_is_client;
      return is_client ? std::pair<endpoint_state&, endpoint_state&>{client, server}
                       : std::pair<endpoint_state&, endpoint_state&>{server, client};
    };
    for (const auto& chunk : stream) {
      auto [from, to] = ends(chunk.from);
      if (from.fin) continue;  // nothing can follow a FIN in that direction
      if (chunk.fin) {
        segment(from, to, kFin | kAck, nullptr, 0, chunk.at);
        from.fin = true;
        segment(to, from, kAck, nullptr, 0, chunk.at);
        continue;
      }
      for (std::size_t off = 0; off < chunk.bytes.size(); off += kMaxSegment) {
        const std::size_t n = std::min(kMaxSegment, chunk.bytes.size() - off);
        segment(from, to, kAck | (off + n == chunk.bytes.size() ? kPsh : 0), chunk.bytes.data() + off, n, chunk.at);
      }
      if (!chunk.bytes.empty()) segment(to, from, kAck, nullptr, 0, chunk.at);
    }
    // The run ends with every descriptor closed.
    const auto end = stream.empty() ? start : stream.back().at;
    for (auto* e : {&client, &server}) {
      if (e->fin) continue;
      auto& other = e == &client ? server : client;
      segment(*e, other, kFin | kAck, nullptr, 0, end);
      e->fin = true;
      segment(other, *e, kAck, nullptr, 0, end);
    }
  }

  std::ostream& out_;
  std::uint16_t ip_id_ = 1;
  long long last_us_ = 0;
};

}  // namespace

std::vector<std::pair<std::size_t, std::size_t>> dtls_datagrams(const std::vector<std::uint8_t>& bytes) {
  // RFC 6347 §4.1: DTLSPlaintext is type(1) version(2) epoch(2) sequence_number(6) length(2).
  constexpr std::size_t header = 13;
  std::vector<std::pair<std::size_t, std::size_t>> out;
  std::size_t pos = 0;
  while (pos < bytes.size()) {
    std::size_t size = bytes.size() - pos;
    if (size >= header) {
      const std::size_t whole = header + ((std::size_t{bytes[pos + 11]} << 8) | bytes[pos + 12]);
      if (whole <= size) size = whole;
    }
    out.emplace_back(pos, size);
    pos += size;
  }
  return out;
}

void write_pcap(std::ostream& out, const std::vector<pcap_connection>& connections) {
  writer w(out);
  std::uint32_t isn = 0x10000000;
  for (const auto& c : connections) {
    w.connection(c, isn);
    isn += 0x01000000;
  }
}

void write_keylog(std::ostream& out, const std::vector<pcap_connection>& connections) {
  std::set<std::string> seen;
  for (const auto& c : connections) {
    for (const auto& line : c.run->keylog) {
      if (seen.insert(line).second) out << line << "\n";
    }
  }
}

}  // namespace closenotify::diff

// test_pcap.cpp — the capture writer (tools/presentation/pcap.cpp) on synthetic runs: a
// DTLS run is one UDP datagram per record with valid IPv4 and UDP checksums, and a TLS run
// is still TCP. tests/trace/test_tshark.py checks what Wireshark makes of live runs.
#include <doctest/doctest.h>

#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include "pcap.hpp"

namespace closenotify::diff {
namespace {

using bytes = std::vector<std::uint8_t>;

// dtls_record: a DTLS 1.2 header (RFC 6347 §4.1) and `body`; the writer reads only the
// length, so the body need not be a real ciphertext.
bytes dtls_record(std::uint8_t type, std::uint16_t epoch, std::uint64_t seq, const bytes& body) {
  bytes r = {type, 0xfe, 0xfd, static_cast<std::uint8_t>(epoch >> 8), static_cast<std::uint8_t>(epoch)};
  for (int shift = 40; shift >= 0; shift -= 8) r.push_back(static_cast<std::uint8_t>(seq >> shift));
  r.push_back(static_cast<std::uint8_t>(body.size() >> 8));
  r.push_back(static_cast<std::uint8_t>(body.size()));
  r.insert(r.end(), body.begin(), body.end());
  return r;
}

bytes cat(std::initializer_list<bytes> parts) {
  bytes out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

wire_chunk chunk(side_id from, bytes b, bool fin = false) {
  wire_chunk c;
  c.from = from;
  c.bytes = std::move(b);
  c.fin = fin;
  c.at = std::chrono::system_clock::time_point{} + std::chrono::seconds(1700000000);
  return c;
}

std::uint16_t be16(const std::uint8_t* p) { return static_cast<std::uint16_t>((p[0] << 8) | p[1]); }

// ones_sum: the 16-bit one's-complement sum RFC 791 / RFC 768 checksums are built from; a
// header or segment with its checksum in place sums to 0xffff.
std::uint16_t ones_sum(const std::uint8_t* p, std::size_t n, std::uint32_t acc = 0) {
  for (std::size_t i = 0; i + 1 < n; i += 2) acc += be16(p + i);
  if (n % 2) acc += std::uint32_t{p[n - 1]} << 8;
  while (acc >> 16) acc = (acc & 0xffff) + (acc >> 16);
  return static_cast<std::uint16_t>(acc);
}

struct packet {
  std::uint8_t protocol = 0;
  std::uint16_t from = 0, to = 0;
  bytes payload;
};

// read_pcap: every packet of a LINKTYPE_RAW capture, its IPv4 and UDP/TCP checksums
// checked on the way.
std::vector<packet> read_pcap(const std::string& file) {
  const auto* p = reinterpret_cast<const std::uint8_t*>(file.data());
  REQUIRE(file.size() >= 24);
  CHECK(file.substr(0, 4) == std::string("\xd4\xc3\xb2\xa1", 4));  // little endian, microseconds
  CHECK(p[20] == 101);                                             // LINKTYPE_RAW
  std::vector<packet> out;
  for (std::size_t at = 24; at < file.size();) {
    REQUIRE(at + 16 <= file.size());
    const std::size_t len = p[at + 8] | (p[at + 9] << 8) | (p[at + 10] << 16) | (std::size_t{p[at + 11]} << 24);
    const std::uint8_t* ip = p + at + 16;
    REQUIRE(at + 16 + len <= file.size());
    REQUIRE(len >= 20);
    CHECK(ip[0] == 0x45);
    CHECK(be16(ip + 2) == len);
    CHECK(ones_sum(ip, 20) == 0xffff);
    packet k;
    k.protocol = ip[9];
    const std::uint8_t* seg = ip + 20;
    const std::size_t seg_len = len - 20;
    const std::uint8_t pseudo[12] = {127, 0, 0, 1, 127, 0, 0, 1, 0, k.protocol,
                                     static_cast<std::uint8_t>(seg_len >> 8), static_cast<std::uint8_t>(seg_len)};
    CHECK(ones_sum(seg, seg_len, ones_sum(pseudo, 12)) == 0xffff);
    k.from = be16(seg);
    k.to = be16(seg + 2);
    if (k.protocol == 17) {
      CHECK(be16(seg + 4) == seg_len);
      k.payload.assign(seg + 8, seg + seg_len);
    } else {
      k.payload.assign(seg + (seg[12] >> 4) * 4, seg + seg_len);
    }
    out.push_back(std::move(k));
    at += 16 + len;
  }
  return out;
}

TEST_CASE("a DTLS run is written as UDP in the order the sides wrote: a handshake chunk as one datagram, a step's bytes one datagram per record") {
  const bytes hello = dtls_record(22, 0, 0, bytes(60, 0x01));
  const bytes second = dtls_record(22, 0, 1, bytes(30, 0x02));
  const bytes server_flight = dtls_record(22, 0, 0, bytes(90, 0x03));
  const bytes close_a = dtls_record(21, 1, 2, bytes(26, 0x04));
  const bytes close_b = dtls_record(21, 1, 3, bytes(18, 0x05));
  const bytes data_a = dtls_record(23, 1, 1, bytes(21, 0x06));
  run_result run;
  run.stream.push_back(chunk(side_id::a, cat({hello, second})));  // one datagram of two records
  run.stream.push_back(chunk(side_id::b, server_flight));
  auto step = [](wire_chunk c) {
    c.step = 0;
    return c;
  };
  run.stream.push_back(step(chunk(side_id::a, cat({data_a, close_a}))));  // a step's datagrams, concatenated
  run.stream.push_back(step(chunk(side_id::a, {}, true)));               // close(fd): nothing on UDP
  run.stream.push_back(step(chunk(side_id::b, close_b)));

  SUBCASE("A is the client") {
    std::ostringstream out;
    write_pcap(out, {{&run, true, 40007, true}});
    const auto packets = read_pcap(out.str());
    REQUIRE(packets.size() == 5);
    const std::vector<bytes> payloads = {cat({hello, second}), server_flight, data_a, close_a, close_b};
    const std::vector<bool> from_client = {true, false, true, true, false};
    for (std::size_t i = 0; i < packets.size(); ++i) {
      CAPTURE(i);
      CHECK(packets[i].protocol == 17);
      CHECK(packets[i].payload == payloads[i]);
      CHECK(packets[i].from == (from_client[i] ? 40007 : pcap_dtls_server_port));
      CHECK(packets[i].to == (from_client[i] ? pcap_dtls_server_port : 40007));
    }
  }
  SUBCASE("A is the server") {
    std::ostringstream out;
    write_pcap(out, {{&run, false, 40001, true}});
    const auto packets = read_pcap(out.str());
    REQUIRE(packets.size() == 5);
    CHECK(packets[0].from == pcap_dtls_server_port);
    CHECK(packets[1].from == 40001);
  }
}

TEST_CASE("bytes that do not frame as a whole DTLS record go out as one datagram") {
  const bytes whole = dtls_record(23, 1, 5, bytes(20, 0x07));
  SUBCASE("a partial header after a record") {
    const bytes tail = {0x15, 0xfe, 0xfd, 0x00, 0x01, 0x00, 0x00};
    CHECK(dtls_datagrams(cat({whole, tail})) ==
          std::vector<std::pair<std::size_t, std::size_t>>{{0, whole.size()}, {whole.size(), tail.size()}});
  }
  SUBCASE("a header whose length runs past the bytes (a truncated write)") {
    bytes cut = dtls_record(23, 1, 6, bytes(100, 0x08));
    cut.resize(40);
    CHECK(dtls_datagrams(cat({whole, cut})) ==
          std::vector<std::pair<std::size_t, std::size_t>>{{0, whole.size()}, {whole.size(), 40}});
  }
  SUBCASE("an empty record is a datagram of its header") {
    CHECK(dtls_datagrams(dtls_record(23, 1, 7, {})) == std::vector<std::pair<std::size_t, std::size_t>>{{0, 13}});
  }
  SUBCASE("nothing written, no datagram") { CHECK(dtls_datagrams({}).empty()); }
}

TEST_CASE("a TLS run is still one TCP connection to port 443") {
  run_result run;
  run.stream.push_back(chunk(side_id::a, {0x15, 0x03, 0x03, 0x00, 0x02, 0x01, 0x00}));
  std::ostringstream out;
  write_pcap(out, {{&run, true, 40000}});
  const auto packets = read_pcap(out.str());
  REQUIRE(!packets.empty());
  for (const auto& k : packets) CHECK(k.protocol == 6);
  CHECK(packets[0].to == pcap_server_port);
  CHECK(packets[3].payload == run.stream[0].bytes);  // after SYN, SYN+ACK, ACK
}

}  // namespace
}  // namespace closenotify::diff

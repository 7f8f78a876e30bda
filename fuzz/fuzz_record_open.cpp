// fuzz_record_open.cpp — record protection, for each of the six suites. Input byte 0:
// bits 0-2 pick the suite, bit 3 the mode.
//   sealed mode (bit 3 clear): [type][padding][flip offset hi][lo][flip mask][plaintext...]
//     is sealed under the fixed keys, optionally corrupted (one byte XOR mask), framed and
//     opened by the other end. Unchanged, it must open to exactly the type and plaintext
//     sealed; changed anywhere, it must not open (the AEAD covers the header in TLS 1.3,
//     and the sequence number and type in TLS 1.2's additional data).
//   raw mode (bit 3 set): the rest is a byte stream of records from the peer, framed and
//     opened in order until the first failure, as the endpoint does. Every failure names
//     the alert to send; nothing opened is longer than 2^14.
#include <cstring>
#include <vector>

#include "closenotify/record_framing.hpp"
#include "closenotify/record_protection.hpp"
#include "fixed_keys.hpp"
#include "invariant.hpp"

using namespace closenotify;
using namespace closenotify::fuzz;

namespace {
constexpr const char* kTarget = "fuzz_record_open";

// open_one: frame and open the record at the front of `wire` as the endpoint would
// (header checks, then the type check after decryption).
std::variant<tls_plaintext, fatal, need_more> open_one(record_protection& p, mutable_bytes wire,
                                                      std::size_t& consumed) {
  auto framed = parse_record(wire, p.version());
  if (auto* nm = std::get_if<need_more>(&framed)) return *nm;
  if (auto* f = std::get_if<fatal>(&framed)) return *f;
  auto rec = std::get<tls_ciphertext>(framed);
  consumed = rec.size();
  mutable_bytes body = wire.subspan(record_header_size, rec.fragment.size());
  auto opened = p.open(rec.header, body);
  if (auto* f = std::get_if<fatal>(&opened)) return *f;
  auto pt = std::get<tls_plaintext>(opened);
  if (auto f = check_record_type(pt.type, p.version())) return *f;
  return pt;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const cipher_suite& suite = suite_from_byte(data[0] & 7);
  const bool raw = data[0] & 8;
  record_protection opener = protection_for(suite, role::server);

  if (raw) {
    std::vector<std::uint8_t> wire(data + 1, data + size);
    std::size_t pos = 0;
    std::uint64_t seq = opener.sequence_number();
    while (pos < wire.size()) {
      std::size_t consumed = 0;
      auto r = open_one(opener, mutable_bytes{wire}.subspan(pos), consumed);
      if (std::holds_alternative<need_more>(r)) break;
      if (auto* f = std::get_if<fatal>(&r)) {
        CHECK(f->send && !f->reason.empty(), "a record failure names no alert or reason");
        break;
      }
      CHECK(std::get<tls_plaintext>(r).fragment.size() <= max_plaintext_length,
            "opened plaintext over 2^14");
      CHECK(opener.sequence_number() == ++seq, "the sequence number did not advance by one");
      pos += consumed;
    }
    return 0;
  }

  if (size < 6) return 0;
  const std::uint8_t type = data[1];
  const std::size_t padding = suite.version == protocol_version::tls13 ? data[2] : 0;
  const std::size_t flip_at = (std::size_t{data[3]} << 8) | data[4];
  const std::uint8_t mask = data[5];
  const bytes_view plaintext{data + 6, size - 6};

  // seal_hostile: any type byte and length the receiver frames, so the checks after
  // decryption (inner type, 2^14) are reachable.
  record_protection sealer = protection_for(suite, role::server);
  std::vector<std::uint8_t> wire(max_record_size + 1);
  auto sealed = sealer.seal_hostile(type, plaintext, wire, padding);
  if (auto* f = std::get_if<fatal>(&sealed)) {
    CHECK(!f->reason.empty(), "a refused seal names no reason");
    CHECK(sealer.sequence_number() == 0, "a refused seal moved the sequence number");
    CHECK(sealer.sealed_size(plaintext.size(), padding) - record_header_size >
              max_ciphertext_length(suite.version),
          "a record the receiver would frame was refused");
    return 0;
  }
  const std::size_t n = std::get<std::size_t>(sealed);
  CHECK(n == sealer.sealed_size(plaintext.size(), padding), "sealed_size disagrees with seal");
  CHECK(n <= max_record_size, "seal wrote a record over the largest size");
  wire.resize(n);
  const bool corrupt = mask != 0;
  if (corrupt) wire[flip_at % n] ^= mask;

  std::size_t consumed = 0;
  auto r = open_one(opener, wire, consumed);
  if (corrupt) {
    CHECK(!std::holds_alternative<tls_plaintext>(r), "a corrupted record opened");
    return 0;
  }

  // The oracle: what the receiver must make of what was sealed. TLS 1.3 finds the type as
  // the last non-zero byte of TLSInnerPlaintext (content || type || zeros), RFC 8446 §5.4.
  std::optional<alert_description> expected_failure;
  std::uint8_t expected_type = type;
  bytes_view expected_content = plaintext;
  if (suite.version == protocol_version::tls13 && type == 0) {
    std::size_t end = plaintext.size();
    while (end > 0 && plaintext[end - 1] == 0) --end;
    if (end == 0) {
      expected_failure = alert_description::unexpected_message;
    } else {
      expected_type = plaintext[end - 1];
      expected_content = plaintext.first(end - 1);
    }
  }
  const bool known = suite.version == protocol_version::tls13
                         ? expected_type >= 21 && expected_type <= 23
                         : expected_type >= 20 && expected_type <= 23;
  if (!expected_failure && suite.version == protocol_version::tls13 && !known)
    expected_failure = alert_description::unexpected_message;
  if (!expected_failure && expected_content.size() > max_plaintext_length)
    expected_failure = alert_description::record_overflow;
  if (!expected_failure && !known) expected_failure = alert_description::unexpected_message;

  if (expected_failure) {
    auto* f = std::get_if<fatal>(&r);
    CHECK(f && f->send == *expected_failure, "a record was not refused with the alert RFC 8446/5246 name");
    return 0;
  }
  auto* pt = std::get_if<tls_plaintext>(&r);
  CHECK(pt != nullptr, "a record sealed under the keys did not open");
  CHECK(consumed == n, "the record framed to a different size");
  CHECK(static_cast<std::uint8_t>(pt->type) == expected_type, "the content type did not round-trip");
  CHECK(std::equal(pt->fragment.begin(), pt->fragment.end(), expected_content.begin(),
                   expected_content.end()),
        "the plaintext did not round-trip");
  return 0;
}

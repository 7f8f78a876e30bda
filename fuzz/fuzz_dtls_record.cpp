// fuzz_dtls_record.cpp — the DTLS 1.2 record layer: framing over one datagram, the replay
// window and open, for each of the three DTLS suites. Input byte 0: bits 0-1 pick the suite,
// bit 2 the mode.
//   sealed mode (bit 2 clear): [type][seq][flip offset hi][lo][flip mask][plaintext...] is
//     sealed at epoch 1 under the fixed keys, optionally corrupted (one byte XOR mask), and
//     read as a datagram. Unchanged, it opens to exactly what was sealed (or, over 2^14, is
//     fatal record_overflow); changed anywhere, it never opens, except in the one byte that
//     does not authenticate: an alert's minor version (OpenSSL frames any DTLS alert version
//     and authenticates the negotiated one).
//   raw mode (bit 2 set): the rest is one datagram from the peer, read to its end. Every
//     result consumes bytes, the total is the datagram's size, nothing opened exceeds 2^14,
//     and the same datagram a second time opens nothing: every record that opened is a replay.
#include <algorithm>
#include <cstring>
#include <vector>

#include "closenotify/cipher_suite.hpp"
#include "closenotify/dtls_record_open.hpp"
#include "fixed_keys.hpp"
#include "invariant.hpp"

using namespace closenotify;
using namespace closenotify::fuzz;

namespace {
constexpr const char* kTarget = "fuzz_dtls_record";
constexpr std::uint16_t kEpoch = 1;

struct datagram_outcome {
  std::size_t opened = 0;
  bool fatal = false;
};

// read_all: every record of `datagram` through read_dtls_record, with the invariants that
// hold whatever the bytes are.
datagram_outcome read_all(std::vector<std::uint8_t> datagram, record_protection& p,
                          dtls_replay_window& w) {
  datagram_outcome out;
  dtls_datagram_reader reader(datagram);
  std::size_t before = 0;
  for (;;) {
    auto r = read_dtls_record(reader, p, w);
    if (std::holds_alternative<end_of_datagram>(r)) {
      CHECK(reader.consumed() == datagram.size(), "the datagram ended before its last byte");
      return out;
    }
    CHECK(reader.consumed() > before, "a result consumed no bytes");
    CHECK(reader.consumed() <= datagram.size(), "consumed past the end of the datagram");
    before = reader.consumed();
    if (auto* f = std::get_if<fatal>(&r)) {
      CHECK(f->send == alert_description::record_overflow,
            "a DTLS record failure other than record_overflow was fatal");
      out.fatal = true;
      return out;
    }
    if (auto* d = std::get_if<dtls_discard>(&r)) {
      CHECK(d->consumed > 0, "a discard consumed nothing");
      continue;
    }
    const auto& pt = std::get<dtls_plaintext>(r);
    CHECK(pt.fragment.size() <= max_plaintext_length, "opened plaintext over 2^14");
    CHECK(pt.header.epoch == kEpoch, "a record of another epoch opened");
    CHECK(w.check(pt.header.sequence_number) == dtls_discard_reason::replayed,
          "an opened record is not marked received in the replay window");
    ++out.opened;
  }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const auto suites = dtls12_cipher_suites();
  const cipher_suite& suite = suites[(data[0] & 3) % suites.size()];
  const bool raw = data[0] & 4;
  record_protection opener = protection_for(suite, role::server);
  dtls_replay_window window;

  if (raw) {
    const std::vector<std::uint8_t> datagram(data + 1, data + size);
    const auto first = read_all(datagram, opener, window);
    if (first.fatal) return 0;
    const auto again = read_all(datagram, opener, window);
    CHECK(again.opened == 0 && !again.fatal, "a replayed datagram opened a record again");
    return 0;
  }

  if (size < 6) return 0;
  const std::uint8_t type = data[1];
  const std::uint64_t seq = std::uint64_t{data[2]} * 0x10101;  // spread over the 48 bits
  const std::size_t flip_at = (std::size_t{data[3]} << 8) | data[4];
  const std::uint8_t mask = data[5];
  const bytes_view plaintext{data + 6, size - 6};

  record_protection sealer = protection_for(suite, role::server, seq);
  std::vector<std::uint8_t> wire(sealer.sealed_size(plaintext.size()));
  auto sealed = sealer.seal_hostile(type, plaintext, wire);
  if (auto* f = std::get_if<fatal>(&sealed)) {
    CHECK(!f->reason.empty(), "a refused seal names no reason");
    CHECK(wire.size() - dtls_record_header_size > dtls_openssl30_max_record_length,
          "a record the receiver would frame was refused");
    return 0;
  }
  CHECK(std::get<std::size_t>(sealed) == wire.size(), "sealed_size disagrees with seal");
  const bool corrupt = mask != 0;
  const std::size_t at = flip_at % wire.size();
  if (corrupt) wire[at] ^= mask;

  dtls_datagram_reader reader(wire);
  auto r = read_dtls_record(reader, opener, window);
  if (corrupt) {
    const bool alert_minor_version = at == 2 && type == std::uint8_t(content_type::alert);
    CHECK(!std::holds_alternative<dtls_plaintext>(r) || alert_minor_version,
          "a corrupted record opened");
    return 0;
  }
  if (plaintext.size() > max_plaintext_length) {
    auto* f = std::get_if<fatal>(&r);
    CHECK(f && f->send == alert_description::record_overflow,
          "an authenticated record over 2^14 was not record_overflow");
    return 0;
  }
  // A type that is not an alert must carry {254,253} and does; any type authenticates.
  auto* pt = std::get_if<dtls_plaintext>(&r);
  CHECK(pt != nullptr, "a record sealed under the keys did not open");
  CHECK(static_cast<std::uint8_t>(pt->type) == type, "the content type did not round-trip");
  CHECK(pt->header.sequence_number == seq, "the sequence number did not round-trip");
  CHECK(std::equal(pt->fragment.begin(), pt->fragment.end(), plaintext.begin(), plaintext.end()),
        "the plaintext did not round-trip");
  CHECK(std::holds_alternative<end_of_datagram>(read_dtls_record(reader, opener, window)),
        "one sealed record framed as more");
  return 0;
}

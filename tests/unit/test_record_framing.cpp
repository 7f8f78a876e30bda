// test_record_framing.cpp — the 5-byte header, per-version limits, and the incremental
// reader fed a byte stream split at every position.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <random>
#include <vector>

#include "closenotify/record_framing.hpp"

using namespace closenotify;
using ad = alert_description;
using bytes = std::vector<std::uint8_t>;

namespace {

constexpr auto tls12 = protocol_version::tls12;
constexpr auto tls13 = protocol_version::tls13;

bytes record(std::uint8_t type, std::uint16_t version, std::size_t length, std::uint8_t fill = 0xa5) {
  bytes r{type, static_cast<std::uint8_t>(version >> 8), static_cast<std::uint8_t>(version),
          static_cast<std::uint8_t>(length >> 8), static_cast<std::uint8_t>(length)};
  for (std::size_t i = 0; i < length; ++i) r.push_back(static_cast<std::uint8_t>(fill + i));
  return r;
}

fatal fatal_of(const frame_result& r) {
  REQUIRE(std::holds_alternative<fatal>(r));
  return std::get<fatal>(r);
}

// What a record reader returned, copied out (its views die with the next call).
struct seen {
  record_header header;
  bytes fragment;
  friend bool operator==(const seen&, const seen&) = default;
};

// Feeds `stream` to a reader in chunks of the sizes `chunk()` picks; collects records.
template <class Chunk>
std::vector<seen> read_all(protocol_version v, const bytes& stream, Chunk chunk,
                           bool* failed = nullptr) {
  auto reader = std::make_unique<record_reader>(v);
  std::vector<seen> out;
  std::size_t fed = 0;
  for (;;) {
    auto r = reader->next();
    if (auto* rec = std::get_if<tls_ciphertext>(&r)) {
      // The mutable view names the same bytes as the record's fragment.
      const auto m = reader->last_fragment();
      REQUIRE(m.size() == rec->fragment.size());
      CHECK(std::equal(m.begin(), m.end(), rec->fragment.begin()));
      seen s{rec->header, bytes(rec->fragment.begin(), rec->fragment.end())};
      out.push_back(std::move(s));
      continue;
    }
    if (std::holds_alternative<fatal>(r)) {
      if (failed) *failed = true;
      return out;
    }
    const auto more = std::get<need_more>(r);
    CHECK(more.total > reader->buffered());
    if (fed == stream.size()) return out;
    auto w = reader->writable();
    REQUIRE(!w.empty());  // never empty while a record is incomplete
    // The free tail always has room for the rest of the current record.
    CHECK(w.size() >= more.total - reader->buffered());
    const std::size_t n = std::min(std::min(static_cast<std::size_t>(chunk()), w.size()), stream.size() - fed);
    std::memcpy(w.data(), stream.data() + fed, n);
    reader->commit(n);
    fed += n;
  }
}

}  // namespace

TEST_CASE("fewer than five bytes ask for the header") {
  const bytes r = record(23, 0x0303, 3);
  for (std::size_t n = 0; n < 5; ++n) {
    CHECK(std::get<need_more>(parse_record(bytes_view(r).first(n), tls12)) == need_more{5});
    CHECK(std::get<need_more>(parse_record(bytes_view(r).first(n), tls13)) == need_more{5});
  }
}

TEST_CASE("a partial body asks for the whole record, counted from the buffer's start") {
  const bytes r = record(23, 0x0303, 40);
  for (std::size_t n = 5; n < r.size(); ++n) {
    CHECK(std::get<need_more>(parse_record(bytes_view(r).first(n), tls13)) == need_more{45});
  }
}

TEST_CASE("a whole record is framed with its header bytes and fragment, trailing bytes left") {
  bytes r = record(23, 0x0303, 17);
  r.push_back(0x17);  // the next record's first byte
  for (const auto v : {tls12, tls13}) {
    const auto result = parse_record(r, v);
    REQUIRE(std::holds_alternative<tls_ciphertext>(result));
    const auto& c = std::get<tls_ciphertext>(result);
    CHECK(c.header == record_header{content_type::application_data, 0x0303, 17});
    CHECK(c.header_bytes.data() == r.data());
    CHECK(c.header_bytes.size() == 5);
    CHECK(c.fragment.data() == r.data() + 5);
    CHECK(c.fragment.size() == 17);
    CHECK(c.size() == 22);
  }
}

TEST_CASE("TLS 1.2 frames every record type, leaving unknown types to be judged after decryption") {
  for (const int type : {20, 21, 22, 23, 0, 24, 255}) {
    const auto result = parse_record(record(static_cast<std::uint8_t>(type), 0x0303, 24), tls12);
    REQUIRE(std::holds_alternative<tls_ciphertext>(result));
    CHECK(static_cast<int>(std::get<tls_ciphertext>(result).header.type) == type);
  }
}

TEST_CASE("after opening, a TLS 1.2 record type other than 20..23 is answered with unexpected_message") {
  const fatal unexpected{ad::unexpected_message, "unexpected record"};
  for (const int type : {0, 19, 24, 255}) {
    CHECK(check_record_type(static_cast<content_type>(type), tls12) == unexpected);
  }
  for (const int type : {20, 21, 22, 23}) {
    CHECK_FALSE(check_record_type(static_cast<content_type>(type), tls12));
  }
}

TEST_CASE("after opening, a TLS 1.3 inner type other than application_data, alert or handshake is a bad record type") {
  const fatal bad{ad::unexpected_message, "bad record type"};
  for (const int type : {0, 20, 24, 255}) {
    CHECK(check_record_type(static_cast<content_type>(type), tls13) == bad);
  }
  for (const int type : {21, 22, 23}) {
    CHECK_FALSE(check_record_type(static_cast<content_type>(type), tls13));
  }
}

TEST_CASE("the outer opaque_type of a TLS 1.3 TLSCiphertext record is always application_data") {
  const fatal bad{ad::unexpected_message, "bad record type"};
  for (const int type : {20, 21, 22, 0, 24, 255}) {
    CHECK(fatal_of(parse_record(record(static_cast<std::uint8_t>(type), 0x0303, 19), tls13)) == bad);
  }
}

TEST_CASE("a TLS 1.2 record whose version is not the negotiated 0x0303 is answered with protocol_version") {
  const fatal wrong{ad::protocol_version, "wrong version number"};
  for (const int version : {0x0301, 0x0302, 0x0304, 0x0300, 0x0203, 0x0000, 0xffff}) {
    CHECK(fatal_of(parse_record(record(23, static_cast<std::uint16_t>(version), 24), tls12)) == wrong);
  }
}

TEST_CASE("legacy_record_version MUST be set to 0x0303: TLS 1.3 answers any other SSL3-major version with decode_error") {
  const fatal wrong{ad::decode_error, "wrong version number"};
  for (const int version : {0x0301, 0x0302, 0x0304, 0x0300, 0x03ff}) {
    CHECK(fatal_of(parse_record(record(23, static_cast<std::uint16_t>(version), 19), tls13)) == wrong);
  }
}

TEST_CASE("a TLS 1.3 record version with a major byte other than 3 is answered with protocol_version") {
  // Tagged: OpenSSL 3.5 answers this check with decode_error (profile.hpp).
  const fatal wrong{ad::protocol_version, "wrong version number", fatal_check::tls13_record_major_version};
  for (const int version : {0x0403, 0x0203, 0x0000, 0xffff}) {
    CHECK(fatal_of(parse_record(record(23, static_cast<std::uint16_t>(version), 19), tls13)) == wrong);
  }
  // OpenSSL checks the major byte before the outer type.
  CHECK(fatal_of(parse_record(record(22, 0x0403, 19), tls13)) == wrong);
}

TEST_CASE("TLS 1.3 judges the outer type before legacy_record_version") {
  CHECK(fatal_of(parse_record(record(22, 0x0301, 19), tls13)) ==
        fatal{ad::unexpected_message, "bad record type"});
}

TEST_CASE("a TLS 1.3 record longer than 2^14 + 256 bytes is answered with record_overflow from its header alone") {
  const bytes header = {23, 0x03, 0x03, 0x41, 0x01};  // 16641
  CHECK(fatal_of(parse_record(header, tls13)) ==
        fatal{ad::record_overflow, "encrypted length too long"});
  const bytes at_limit = {23, 0x03, 0x03, 0x41, 0x00};  // 16640
  CHECK(std::get<need_more>(parse_record(at_limit, tls13)) == need_more{5 + 16640});
}

TEST_CASE("a TLS 1.2 record longer than OpenSSL's 2^14 + 320 bytes is answered with record_overflow from its header alone") {
  const bytes header = {23, 0x03, 0x03, 0x41, 0x41};  // 16705
  CHECK(fatal_of(parse_record(header, tls12)) ==
        fatal{ad::record_overflow, "encrypted length too long"});
  const bytes at_limit = {23, 0x03, 0x03, 0x41, 0x40};  // 16704
  CHECK(std::get<need_more>(parse_record(at_limit, tls12)) == need_more{5 + 16704});
  // The TLS 1.2 limit is over the TLS 1.3 one.
  CHECK(std::holds_alternative<fatal>(parse_record(at_limit, tls13)));
}

TEST_CASE("a length beyond OpenSSL's read buffer is refused as packet length too long") {
  for (const bytes& header : {bytes{23, 3, 3, 0x41, 0x48}, bytes{23, 3, 3, 0xff, 0xff}}) {
    for (const auto v : {tls12, tls13}) {
      // Tagged: OpenSSL 3.5 says "encrypted length too long" here too (profile.hpp).
      CHECK(fatal_of(parse_record(header, v)) ==
            fatal{ad::record_overflow, "packet length too long", fatal_check::record_over_read_buffer});
    }
  }
  // 16707 is the last length that fits OpenSSL 3.0's read buffer; 16708 does not.
  for (const auto v : {tls12, tls13}) {
    CHECK(fatal_of(parse_record(bytes{23, 3, 3, 0x41, 0x43}, v)).reason == "encrypted length too long");
    CHECK(fatal_of(parse_record(bytes{23, 3, 3, 0x41, 0x44}, v)).reason == "packet length too long");
  }
}

TEST_CASE("a zero-length fragment is framed; the empty-record policy lives above framing") {
  for (const auto v : {tls12, tls13}) {
    const auto result = parse_record(record(23, 0x0303, 0), v);
    REQUIRE(std::holds_alternative<tls_ciphertext>(result));
    CHECK(std::get<tls_ciphertext>(result).fragment.empty());
  }
}

TEST_CASE("encode_record_header writes type, 0x0303 and the length") {
  const auto h = encode_record_header(content_type::application_data, 0x1234);
  CHECK(bytes(h.begin(), h.end()) == bytes{23, 3, 3, 0x12, 0x34});
  const auto a = encode_record_header(content_type::alert, 2);
  const auto parsed = parse_record(bytes{a[0], a[1], a[2], a[3], a[4], 2, 0}, tls12);
  CHECK(std::get<tls_ciphertext>(parsed).header == record_header{content_type::alert, 0x0303, 2});
}

// RFC 8446 §5.1: "length: The length (in bytes) of the following TLSPlaintext.fragment."
TEST_CASE("length: the length (in bytes) of the following fragment: every bit of it is written") {
  for (const std::uint16_t length : {0x0001, 0x00ff, 0x0100, 0x3fff, 0x4001}) {
    CAPTURE(length);
    const auto h = encode_record_header(content_type::application_data, length);
    CHECK(h[3] == length >> 8);
    CHECK(h[4] == (length & 0xff));
  }
}

TEST_CASE("max_ciphertext_length is per version") {
  CHECK(max_ciphertext_length(tls13) == 16640);
  CHECK(max_ciphertext_length(tls12) == 16704);
  CHECK(max_record_size == 16709);
}

TEST_CASE("a record stream split at every position yields the same records") {
  for (const auto v : {tls12, tls13}) {
    CAPTURE(to_string(v));
    bytes stream;
    for (const std::size_t n : {19u, 0u, 1u, 40u, 17u, 300u}) {
      const auto r = record(23, 0x0303, n, static_cast<std::uint8_t>(n));
      stream.insert(stream.end(), r.begin(), r.end());
    }
    const auto whole = read_all(v, stream, [] { return std::size_t{1} << 30; });
    REQUIRE(whole.size() == 6);
    CHECK(whole[3].fragment.size() == 40);

    SUBCASE("one byte at a time") {
      CHECK(read_all(v, stream, [] { return std::size_t{1}; }) == whole);
    }
    SUBCASE("two pieces, split at every position") {
      for (std::size_t split = 0; split <= stream.size(); ++split) {
        bool first = true;
        const auto got = read_all(v, stream, [&] {
          const std::size_t n = first ? split : stream.size();
          first = false;
          return n == 0 ? std::size_t{1} : n;
        });
        CHECK(got == whole);
      }
    }
    SUBCASE("random splits") {
      std::mt19937 rng(1234);
      for (int round = 0; round < 200; ++round) {
        std::uniform_int_distribution<std::size_t> size(1, 64);
        CHECK(read_all(v, stream, [&] { return size(rng); }) == whole);
      }
    }
  }
}

TEST_CASE("the reader compacts so that the largest legal record always fits") {
  // A small record, then a maximal one: after the small one is consumed the big one can
  // only fit if the reader moves its bytes to the front.
  bytes stream = record(23, 0x0303, 100);
  const auto big = record(23, 0x0303, tls12_max_ciphertext_length, 7);
  stream.insert(stream.end(), big.begin(), big.end());
  stream.insert(stream.end(), big.begin(), big.end());
  std::mt19937 rng(99);
  std::uniform_int_distribution<std::size_t> size(1, 5000);
  const auto got = read_all(tls12, stream, [&] { return size(rng); });
  REQUIRE(got.size() == 3);
  CHECK(got[1].fragment == bytes(big.begin() + 5, big.end()));
  CHECK(got[2].fragment == bytes(big.begin() + 5, big.end()));
}

TEST_CASE("the reader reports a framing violation and keeps the offending bytes buffered") {
  bytes stream = record(23, 0x0303, 20);
  const auto bad = record(22, 0x0303, 20);
  stream.insert(stream.end(), bad.begin(), bad.end());
  bool failed = false;
  const auto got = read_all(tls13, stream, [] { return std::size_t{7}; }, &failed);
  CHECK(failed);
  CHECK(got.size() == 1);

  record_reader reader(tls13);
  auto w = reader.writable();
  std::memcpy(w.data(), bad.data(), bad.size());
  reader.commit(bad.size());
  CHECK(std::get<fatal>(reader.next()) == fatal{ad::unexpected_message, "bad record type"});
  CHECK(reader.buffered() == bad.size());
  CHECK(reader.buffered_bytes().data() == w.data());
  CHECK(reader.last_fragment().empty());
  // Asking again gives the same answer: nothing was consumed.
  CHECK(std::holds_alternative<fatal>(reader.next()));
}

TEST_CASE("last_fragment is writable in place, for decryption") {
  record_reader reader(tls12);
  const auto r = record(23, 0x0303, 4);
  auto w = reader.writable();
  std::memcpy(w.data(), r.data(), r.size());
  reader.commit(r.size());
  auto result = reader.next();
  REQUIRE(std::holds_alternative<tls_ciphertext>(result));
  auto m = reader.last_fragment();
  REQUIRE(m.size() == 4);
  m[0] = 0x42;
  CHECK(std::get<tls_ciphertext>(result).fragment[0] == 0x42);
  CHECK(reader.buffered() == 0);
}

// The buffer "compacts only when the free tail cannot hold the rest of the current record"
// (docs/architecture.md): a header alone, buffered at the tail, already says how much room
// its record needs, so fill() can ask for the whole rest in one read.
TEST_CASE("writable: once a record's header alone is buffered, the free space holds the rest of that record") {
  record_reader reader(tls12);
  bytes stream = record(23, 0x0303, 16000);
  const bytes next = record(23, 0x0303, 1000);
  stream.insert(stream.end(), next.begin(), next.begin() + record_header_size);
  auto w = reader.writable();
  std::memcpy(w.data(), stream.data(), stream.size());
  reader.commit(stream.size());
  REQUIRE(std::holds_alternative<tls_ciphertext>(reader.next()));
  REQUIRE(reader.buffered() == record_header_size);
  CHECK(reader.writable().size() >= 1000);
  // next() named the bytes the compaction moved: last_fragment no longer names any.
  CHECK(reader.last_fragment().empty());
  // The header moved with the compaction: the record still frames once its body is in.
  w = reader.writable();
  std::memcpy(w.data(), next.data() + record_header_size, 1000);
  reader.commit(1000);
  const auto got = reader.next();
  REQUIRE(std::holds_alternative<tls_ciphertext>(got));
  CHECK(std::get<tls_ciphertext>(got).fragment.size() == 1000);
}

TEST_CASE("commit never runs past the buffer") {
  record_reader reader(tls12);
  const auto w = reader.writable();
  reader.commit(w.size() + 1000);
  CHECK(reader.buffered() == max_record_size);
  CHECK(reader.writable().empty());
}

TEST_CASE("parse_record never fails to answer on arbitrary bytes") {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<std::size_t> len(0, 64);
  for (int i = 0; i < 20000; ++i) {
    bytes b(len(rng));
    for (auto& x : b) x = static_cast<std::uint8_t>(byte(rng));
    if (b.size() >= 3 && i % 2 == 0) { b[1] = 3; b[2] = 3; }  // reach the length checks
    for (const auto v : {tls12, tls13}) {
      const auto r = parse_record(b, v);
      if (auto* c = std::get_if<tls_ciphertext>(&r)) {
        // Invariant: a framed record never claims more bytes than were given.
        CHECK(c->size() <= b.size());
        CHECK(c->fragment.size() == c->header.length);
      } else if (auto* m = std::get_if<need_more>(&r)) {
        CHECK(m->total > b.size());
        CHECK(m->total <= max_record_size);
      }
    }
  }
}

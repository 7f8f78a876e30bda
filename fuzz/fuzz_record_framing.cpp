// fuzz_record_framing.cpp — the record framer fed a byte stream in arbitrary splits.
// Input: byte 0 picks the version (bit 0) and the read-size pattern (bits 1-7); the rest is
// the stream. The stream goes into a record_reader in chunks whose sizes follow the
// pattern, and every record (or the fatal error) it yields must be exactly what
// parse_record finds when it is given the whole stream at once: framing never depends on
// how TCP split the bytes. need_more always asks for more than is buffered, and never for
// more than the largest legal record.
#include <algorithm>
#include <cstring>
#include <vector>

#include "closenotify/record_framing.hpp"
#include "invariant.hpp"

using namespace closenotify;

namespace {
constexpr const char* kTarget = "fuzz_record_framing";

struct framed {
  record_header header;
  std::vector<std::uint8_t> header_bytes, fragment;
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const protocol_version v = data[0] & 1 ? protocol_version::tls12 : protocol_version::tls13;
  const unsigned pattern = data[0] >> 1;
  const bytes_view stream{data + 1, size - 1};

  // The whole stream at once.
  std::vector<framed> expected;
  std::optional<fatal> expected_fatal;
  std::size_t pos = 0;
  for (;;) {
    auto r = parse_record(stream.subspan(pos), v);
    if (auto* nm = std::get_if<need_more>(&r)) {
      CHECK(nm->total > stream.size() - pos, "need_more asks for bytes already buffered");
      CHECK(nm->total <= max_record_size, "need_more asks for more than the largest record");
      break;
    }
    if (auto* f = std::get_if<fatal>(&r)) {
      CHECK(f->send && !f->reason.empty(), "a framing error names no alert or reason");
      expected_fatal = *f;
      break;
    }
    const auto& rec = std::get<tls_ciphertext>(r);
    CHECK(rec.fragment.size() == rec.header.length, "fragment length differs from the header's");
    CHECK(rec.fragment.size() <= max_ciphertext_length(v), "a record over the version's limit was framed");
    CHECK(rec.header_bytes.size() == record_header_size &&
              std::memcmp(rec.header_bytes.data(), stream.data() + pos, record_header_size) == 0,
          "header bytes are not the stream's");
    expected.push_back({rec.header, {rec.header_bytes.begin(), rec.header_bytes.end()},
                        {rec.fragment.begin(), rec.fragment.end()}});
    pos += rec.size();
  }

  // The same stream in chunks.
  record_reader reader(v);
  std::size_t fed = 0, got = 0, step = 0;
  bool failed = false;
  while (!failed) {
    auto r = reader.next();
    if (std::holds_alternative<need_more>(r)) {
      if (fed == stream.size()) break;
      auto room = reader.writable();
      CHECK(!room.empty(), "no room for the rest of an incomplete record");
      std::size_t chunk = 1 + (pattern * 37 + step * 101) % 300;
      if (pattern & 1) chunk = 1 + step % 7;  // tiny reads: byte-by-byte territory
      ++step;
      chunk = std::min<std::size_t>({chunk, room.size(), stream.size() - fed});
      std::memcpy(room.data(), stream.data() + fed, chunk);
      reader.commit(chunk);
      fed += chunk;
      continue;
    }
    if (auto* f = std::get_if<fatal>(&r)) {
      CHECK(expected_fatal && *expected_fatal == *f && got == expected.size(),
            "chunked framing failed where whole-stream framing did not (or differently)");
      failed = true;
      break;
    }
    const auto& rec = std::get<tls_ciphertext>(r);
    CHECK(got < expected.size(), "chunked framing found more records");
    const auto& e = expected[got++];
    CHECK(rec.header == e.header, "chunked framing found a different header");
    CHECK(std::equal(rec.fragment.begin(), rec.fragment.end(), e.fragment.begin(), e.fragment.end()),
          "chunked framing found a different fragment");
    auto frag = reader.last_fragment();
    CHECK(frag.size() == rec.fragment.size(), "last_fragment differs from the record");
  }
  if (!failed) {
    CHECK(got == expected.size(), "chunked framing found fewer records");
    if (expected_fatal) CHECK(false, "whole-stream framing failed, chunked framing did not");
    CHECK(reader.buffered() == stream.size() - pos, "buffered bytes do not match the unframed tail");
  }
  return 0;
}

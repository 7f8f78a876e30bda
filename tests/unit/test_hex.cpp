// test_hex.cpp — lowercase hex out, RFC-printed hex in, every rejection named.
#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "closenotify/hex.hpp"

using namespace closenotify;

namespace {
std::vector<std::uint8_t> ok(std::string_view s) {
  auto r = from_hex(s);
  REQUIRE(std::holds_alternative<std::vector<std::uint8_t>>(r));
  return std::get<std::vector<std::uint8_t>>(r);
}
std::string err(std::string_view s) {
  auto r = from_hex(s);
  REQUIRE(std::holds_alternative<config_error>(r));
  return std::get<config_error>(r).message;
}
}  // namespace

TEST_CASE("to_hex writes lowercase digits with no separators") {
  const std::vector<std::uint8_t> b{0x00, 0x0f, 0xab, 0xff};
  CHECK(to_hex(b) == "000fabff");
  CHECK(to_hex({}) == "");
}

TEST_CASE("from_hex accepts digits of either case") {
  CHECK(ok("00AbcD") == std::vector<std::uint8_t>{0x00, 0xab, 0xcd});
  CHECK(ok("").empty());
}

TEST_CASE("RFC test vectors paste as printed: spaces, newlines, tabs and colons between bytes") {
  CHECK(ok("17 03 03 00\n  13\t2e:a6\r\n") ==
        std::vector<std::uint8_t>{0x17, 0x03, 0x03, 0x00, 0x13, 0x2e, 0xa6});
}

TEST_CASE("from_hex round-trips every byte value") {
  std::vector<std::uint8_t> all(256);
  for (int i = 0; i < 256; ++i) all[i] = static_cast<std::uint8_t>(i);
  CHECK(ok(to_hex(all)) == all);
}

TEST_CASE("an odd number of hex digits is rejected with the count") {
  CHECK(err("abcdefa") == "odd number of hex digits (7)");
  CHECK(err("a") == "odd number of hex digits (1)");
  CHECK(err("ab c \n") == "odd number of hex digits (3)");
}

TEST_CASE("a character that is not a hex digit is rejected with its offset") {
  CHECK(err("abcg") == "not a hex digit 'g' at offset 3");
  CHECK(err("0x12") == "not a hex digit 'x' at offset 1");
  CHECK(err(std::string("ab\x01", 3)) == "not a hex digit 0x01 at offset 2");
}

TEST_CASE("a separator inside a byte pair is rejected rather than guessed around") {
  CHECK(err("a b") == "separator inside a hex byte at offset 1");
}

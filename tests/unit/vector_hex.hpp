// vector_hex.hpp — test vectors as printed in the RFCs (spaces, newlines and any other
// non-hex characters ignored). Kept apart from lib/hex.cpp so the crypto layers' tests
// do not depend on the hex unit they would otherwise share a failure with.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string_view>
#include <vector>

namespace closenotify::testing {

inline std::vector<std::uint8_t> vector_hex(std::string_view s) {
  std::vector<std::uint8_t> out;
  int hi = -1;
  for (char c : s) {
    int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                           : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
    if (v < 0) continue;
    if (hi < 0) {
      hi = v;
    } else {
      out.push_back(static_cast<std::uint8_t>(hi * 16 + v));
      hi = -1;
    }
  }
  if (hi >= 0) throw std::invalid_argument("odd number of hex digits");
  return out;
}

}  // namespace closenotify::testing

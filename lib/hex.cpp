// hex.cpp — lowercase hex out; forgiving-but-exact hex in.
#include "closenotify/hex.hpp"

#include <cstdio>

namespace closenotify {
namespace {

constexpr char kDigits[] = "0123456789abcdef";

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool is_separator(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ':';
}

std::string describe_char(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u >= 0x20 && u < 0x7f) return std::string("'") + c + "'";
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%02x", u);
  return buf;
}

}  // namespace

std::string to_hex(bytes_view b) {
  std::string out;
  out.reserve(b.size() * 2);
  for (const std::uint8_t byte : b) {
    out.push_back(kDigits[byte >> 4]);
    out.push_back(kDigits[byte & 0x0f]);
  }
  return out;
}

configured<std::vector<std::uint8_t>> from_hex(std::string_view s) {
  std::vector<std::uint8_t> out;
  out.reserve(s.size() / 2);
  std::size_t digits = 0;
  int high = -1;  // the first digit of a pair, while waiting for the second
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (is_separator(c)) {
      // Separators go between byte pairs only ("17 03 03"): one inside a pair ("1 7")
      // is more likely a typo than a layout, so it is reported rather than guessed at.
      if (high >= 0) {
        std::size_t next = i;
        while (next < s.size() && is_separator(s[next])) ++next;
        // Only trailing separators follow: the real problem is the lone last digit.
        if (next == s.size()) break;
        return config_error{"separator inside a hex byte at offset " + std::to_string(i)};
      }
      continue;
    }
    const int v = hex_value(c);
    if (v < 0) {
      return config_error{"not a hex digit " + describe_char(c) + " at offset " +
                          std::to_string(i)};
    }
    ++digits;
    if (high < 0) {
      high = v;
    } else {
      out.push_back(static_cast<std::uint8_t>((high << 4) | v));
      high = -1;
    }
  }
  if (high >= 0) {
    return config_error{"odd number of hex digits (" + std::to_string(digits) + ")"};
  }
  return out;
}

}  // namespace closenotify

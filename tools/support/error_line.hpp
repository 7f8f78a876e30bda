// error_line.hpp — how a tools::error reaches the person at the keyboard: one line on
// stderr, "closenotify: error: " and the message, whatever the message holds.
#pragma once

#include <algorithm>
#include <cstdio>
#include <string>
#include <string_view>

namespace closenotify::tools {

/// error_line: `message` made safe for one terminal line. Callers compare stderr line by
/// line, and input echoed in a message (a scenario line, an argument) must not drive the
/// terminal: an escape sequence can set its title or rewrite what is on screen, so control
/// bytes become \xNN. An echoed argument can be 128 KiB of hex: any run without a space
/// longer than kLongWord keeps its ends and says how much was left out, which still shows
/// which argument it was.
inline std::string error_line(std::string_view message) {
  constexpr std::size_t kLongWord = 200, kKeep = 64;
  std::string escaped;
  for (const char c : message) {
    const auto b = static_cast<unsigned char>(c);
    if (b < 0x20 || b == 0x7f) {
      char hex[5];
      std::snprintf(hex, sizeof hex, "\\x%02x", b);
      escaped += hex;
    } else {
      escaped += c;
    }
  }
  std::string line;
  for (std::size_t i = 0; i < escaped.size();) {
    const std::size_t end = std::min(escaped.find(' ', i), escaped.size());
    const std::string_view word(escaped.data() + i, end - i);
    if (word.size() > kLongWord) {
      line += std::string(word.substr(0, kKeep)) + "...(" + std::to_string(word.size() - 2 * kKeep) +
              " bytes left out)..." + std::string(word.substr(word.size() - kKeep));
    } else {
      line += word;
    }
    if (end < escaped.size()) line += ' ';
    i = end + 1;
  }
  return line;
}

/// print_error: the one error line, "closenotify: error: MESSAGE".
inline void print_error(std::string_view message) {
  std::fprintf(stderr, "closenotify: error: %s\n", error_line(message).c_str());
}

}  // namespace closenotify::tools

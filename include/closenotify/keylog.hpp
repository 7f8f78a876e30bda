// closenotify/keylog.hpp — the NSS key log format (SSLKEYLOGFILE): "<label> <client_random
// hex> <secret hex>" per line, '#' comments, as written by OpenSSL's key-log callback.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "closenotify/key_schedule.hpp"
#include "closenotify/tls.hpp"

namespace closenotify {

/// Labels closenotify uses (others, e.g. handshake or exporter secrets, are kept too).
inline constexpr std::string_view keylog_client_random = "CLIENT_RANDOM";  // TLS 1.2 master secret
inline constexpr std::string_view keylog_client_traffic_secret_0 = "CLIENT_TRAFFIC_SECRET_0";
inline constexpr std::string_view keylog_server_traffic_secret_0 = "SERVER_TRAFFIC_SECRET_0";

struct keylog_entry {
  std::string label;
  std::array<std::uint8_t, 32> client_random{};
  secret_bytes secret;
};

/// keylog: every entry of a key log, in file order.
class keylog {
 public:
  /// parse: the whole text. A malformed line is an error naming its line number
  /// (wrong field count, odd or non-hex digits, client random not 32 bytes, secret
  /// longer than 48 bytes); blank lines and '#' comments are skipped.
  static configured<keylog> parse(std::string_view text);
  /// load: parse the file at `path` (errors name the file).
  static configured<keylog> load(const std::string& path);

  const std::vector<keylog_entry>& entries() const noexcept { return entries_; }

  /// find: the last entry with `label` for `client_random`; if `client_random` is
  /// nullopt, the entry only if exactly one connection (client random) has that label.
  const keylog_entry* find(std::string_view label,
                           std::optional<bytes_view> client_random = std::nullopt) const noexcept;

 private:
  std::vector<keylog_entry> entries_;
};

/// format_keylog_line: one line of the format (no newline), for writing key logs.
std::string format_keylog_line(std::string_view label, bytes_view client_random, bytes_view secret);

}  // namespace closenotify

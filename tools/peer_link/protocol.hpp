// protocol.hpp — the messages of the peer line protocol (docs/peer-protocol.md), as the
// runner sees them. Both kinds of side produce them: the OpenSSL peer as text lines, the
// closenotify side directly.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace closenotify::diff {

enum class message_kind : std::uint8_t { ok, done, blocked, error };

/// message: one line of the protocol. `fields` holds the key=value pairs; `reason` the
/// rest of the line after "reason=" (done) and `text` the rest after the kind word for
/// `error` and `blocked` ("read ..." / "write ...").
struct message {
  message_kind kind = message_kind::error;
  std::map<std::string, std::string, std::less<>> fields;
  std::string reason;
  std::string text;

  /// field: the value, or `fallback` when absent.
  std::string field(std::string_view key, std::string_view fallback = "") const;
  /// number: the value as an integer, or `fallback` when absent or not a number.
  long long number(std::string_view key, long long fallback = 0) const;
  /// blocked_on_write: for `blocked` messages, whether the wait is for writing.
  bool blocked_on_write() const { return text.starts_with("write"); }
};

/// parse_message: never fails; a line that is not protocol becomes an `error` message
/// carrying the line, so a peer's garbage is reported, not trusted.
message parse_message(std::string_view line);

/// format_message: the line a peer would print (used by tests and --explain transcripts).
std::string format_message(const message& m);

}  // namespace closenotify::diff

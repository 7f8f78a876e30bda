// protocol.cpp — parsing and printing the peer line protocol.
#include "protocol.hpp"

#include <charconv>

namespace closenotify::diff {

std::string message::field(std::string_view key, std::string_view fallback) const {
  auto it = fields.find(key);
  return it == fields.end() ? std::string(fallback) : it->second;
}

long long message::number(std::string_view key, long long fallback) const {
  auto it = fields.find(key);
  if (it == fields.end()) return fallback;
  long long v = 0;
  const auto& s = it->second;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || p != s.data() + s.size()) return fallback;
  return v;
}

namespace {

std::string_view next_word(std::string_view& rest) {
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  auto end = rest.find(' ');
  auto word = rest.substr(0, end);
  rest.remove_prefix(end == std::string_view::npos ? rest.size() : end);
  return word;
}

// key=value pairs up to the end, or up to "reason=" which swallows the rest of the line.
void parse_fields(std::string_view rest, message& m) {
  for (;;) {
    while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
    if (rest.empty()) return;
    if (rest.starts_with("reason=")) {
      m.reason = std::string(rest.substr(7));
      return;
    }
    auto word = next_word(rest);
    auto eq = word.find('=');
    if (eq == std::string_view::npos) {
      m.fields.emplace(std::string(word), "");
    } else {
      m.fields.insert_or_assign(std::string(word.substr(0, eq)), std::string(word.substr(eq + 1)));
    }
  }
}

}  // namespace

message parse_message(std::string_view line) {
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  message m;
  std::string_view rest = line;
  auto kind = next_word(rest);
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  if (kind == "ok") {
    m.kind = message_kind::ok;
    parse_fields(rest, m);
  } else if (kind == "done") {
    m.kind = message_kind::done;
    parse_fields(rest, m);
  } else if (kind == "blocked") {
    m.kind = message_kind::blocked;
    m.text = std::string(rest);
    std::string_view after = rest;
    next_word(after);  // "read" / "write"
    parse_fields(after, m);
  } else if (kind == "error") {
    m.kind = message_kind::error;
    m.text = std::string(rest);
  } else {
    m.kind = message_kind::error;
    m.text = "not a protocol line: " + std::string(line);
  }
  return m;
}

std::string format_message(const message& m) {
  std::string out;
  switch (m.kind) {
    case message_kind::ok: out = "ok"; break;
    case message_kind::done: out = "done"; break;
    case message_kind::blocked: return "blocked " + m.text;
    case message_kind::error: return "error " + m.text;
  }
  for (const auto& [k, v] : m.fields) out += " " + k + "=" + v;
  if (m.kind == message_kind::done) out += " reason=" + m.reason;
  return out;
}

}  // namespace closenotify::diff

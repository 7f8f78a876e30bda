// keylog.cpp — the NSS key log format, as OpenSSL's SSL_CTX_set_keylog_callback writes it.
#include "closenotify/keylog.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "closenotify/hex.hpp"

namespace closenotify {
namespace {

bool is_space(char c) noexcept { return c == ' ' || c == '\t' || c == '\r'; }

std::vector<std::string_view> split_fields(std::string_view line) {
  std::vector<std::string_view> fields;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && is_space(line[i])) ++i;
    const std::size_t begin = i;
    while (i < line.size() && !is_space(line[i])) ++i;
    if (i > begin) fields.push_back(line.substr(begin, i - begin));
  }
  return fields;
}

std::string at_line(std::size_t n, std::string_view what) {
  return "line " + std::to_string(n) + ": " + std::string(what);
}

}  // namespace

configured<keylog> keylog::parse(std::string_view text) {
  keylog log;
  std::size_t line_number = 0;
  while (!text.empty()) {
    ++line_number;
    const std::size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view{} : text.substr(eol + 1);

    const auto fields = split_fields(line);
    // NSS key log format: "Lines starting with '#' are comments"; blank lines carry nothing.
    if (fields.empty() || fields[0].front() == '#') continue;
    // "<Label> <space> <ClientRandom> <space> <Secret>"
    if (fields.size() != 3) {
      return config_error{at_line(line_number, "expected 3 fields (label client_random secret), found " +
                                                   std::to_string(fields.size()))};
    }
    keylog_entry entry;
    entry.label = std::string(fields[0]);

    auto random = from_hex(fields[1]);
    if (auto* e = std::get_if<config_error>(&random)) {
      return config_error{at_line(line_number, "client random: " + e->message)};
    }
    const auto& random_bytes = std::get<std::vector<std::uint8_t>>(random);
    // The client random is ClientHello.random, always 32 bytes (RFC 8446 §4.1.2).
    if (random_bytes.size() != entry.client_random.size()) {
      return config_error{at_line(line_number, "client random is " +
                                                   std::to_string(random_bytes.size()) +
                                                   " bytes, expected 32")};
    }
    std::copy(random_bytes.begin(), random_bytes.end(), entry.client_random.begin());

    auto secret = from_hex(fields[2]);
    if (auto* e = std::get_if<config_error>(&secret)) {
      return config_error{at_line(line_number, "secret: " + e->message)};
    }
    const auto& secret_bytes = std::get<std::vector<std::uint8_t>>(secret);
    if (secret_bytes.empty() || !entry.secret.assign(secret_bytes)) {
      return config_error{at_line(line_number, "secret is " + std::to_string(secret_bytes.size()) +
                                                   " bytes, expected 1 to " +
                                                   std::to_string(secret_bytes::capacity()))};
    }
    log.entries_.push_back(std::move(entry));
  }
  return log;
}

configured<keylog> keylog::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return config_error{path + ": cannot open: " + std::strerror(errno)};
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return config_error{path + ": read error"};
  auto parsed = parse(text.str());
  if (auto* e = std::get_if<config_error>(&parsed)) {
    return config_error{path + ": " + e->message};
  }
  return parsed;
}

const keylog_entry* keylog::find(std::string_view label,
                                 std::optional<bytes_view> client_random) const noexcept {
  const keylog_entry* found = nullptr;
  for (const auto& entry : entries_) {
    if (entry.label != label) continue;
    if (client_random) {
      if (!std::equal(entry.client_random.begin(), entry.client_random.end(),
                      client_random->begin(), client_random->end())) {
        continue;
      }
    } else if (found != nullptr && found->client_random != entry.client_random) {
      // Two connections carry this label: without a client random the choice would be a
      // guess.
      return nullptr;
    }
    found = &entry;  // the last one wins: a re-logged secret replaces the earlier line
  }
  return found;
}

std::string format_keylog_line(std::string_view label, bytes_view client_random, bytes_view secret) {
  std::string line(label);
  line += ' ';
  line += to_hex(client_random);
  line += ' ';
  line += to_hex(secret);
  return line;
}

}  // namespace closenotify

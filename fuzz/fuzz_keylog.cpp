// fuzz_keylog.cpp — the NSS key log parser (the handoff's source of keys). Any text is
// either a key log or an error naming a line; a parsed log, written back out with
// format_keylog_line, parses to the same entries; find() agrees with a linear search.
#include <string>

#include "closenotify/keylog.hpp"
#include "invariant.hpp"

using namespace closenotify;

namespace {
constexpr const char* kTarget = "fuzz_keylog";

bool same(const keylog_entry& a, const keylog_entry& b) {
  auto sa = a.secret.view(), sb = b.secret.view();
  return a.label == b.label && a.client_random == b.client_random &&
         std::equal(sa.begin(), sa.end(), sb.begin(), sb.end());
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text{reinterpret_cast<const char*>(data), size};
  auto parsed = keylog::parse(text);
  if (auto* e = std::get_if<config_error>(&parsed)) {
    CHECK(!e->message.empty() && e->message.find('\n') == std::string::npos,
          "a key log error is not one line");
    return 0;
  }
  const keylog& log = std::get<keylog>(parsed);
  std::string again;
  for (const auto& entry : log.entries())
    again += format_keylog_line(entry.label, entry.client_random, entry.secret.view()) + "\n";
  auto reparsed = keylog::parse(again);
  CHECK(std::holds_alternative<keylog>(reparsed), "a formatted key log does not parse");
  const auto& entries = std::get<keylog>(reparsed).entries();
  CHECK(entries.size() == log.entries().size(), "a formatted key log has a different entry count");
  for (std::size_t i = 0; i < entries.size(); ++i)
    CHECK(same(entries[i], log.entries()[i]), "an entry does not round-trip");

  for (const auto& entry : log.entries()) {
    const keylog_entry* found = log.find(entry.label, bytes_view{entry.client_random});
    CHECK(found != nullptr && found->label == entry.label && found->client_random == entry.client_random,
          "find() misses an entry the log holds");
    const keylog_entry* last = nullptr;
    for (const auto& e : log.entries())
      if (e.label == entry.label && e.client_random == entry.client_random) last = &e;
    CHECK(found == last, "find() does not return the last matching entry");
  }
  return 0;
}

// profiles.cpp — `closenotify profiles`: where the five SSL_shutdown pages differ, as the
// table the endpoint follows (closenotify/profile.hpp), and `--profile NAME` for the
// commands that run an endpoint.
#include <cstdio>
#include <string>
#include <vector>

#include "../diff/report.hpp"
#include "closenotify/profile.hpp"
#include "commands.hpp"

namespace closenotify::cli {

const char* const profiles_help =
    "usage: closenotify profiles [--json FILE]\n"
    "\n"
    "The five published SSL_shutdown pages (../shared/reference/: OpenSSL 1.0, LibreSSL\n"
    "2016, OpenSSL 1.1.1, OpenSSL 3.5; plus OpenSSL 3.0, the live peer) as profiles of one\n"
    "state machine. Prints the rows where they differ, each with the sentence it comes\n"
    "from; everything not listed is common to all five and checked live against OpenSSL\n"
    "3.0 by `closenotify diff`. docs/profiles.md explains each row.\n"
    "\n"
    "`--profile NAME` on `diff` and `trace` runs closenotify under another profile against\n"
    "the live OpenSSL 3.0: the rows below then show up as differences.\n"
    "\n"
    "options:\n"
    "  --json FILE   the table as JSON ('-' for stdout)\n"
    "\n"
    "examples:\n"
    "  closenotify profiles\n"
    "  closenotify trace unread-sent-before-close-notify --profile openssl-1.0\n";

namespace {

struct row {
  const char* key;       // JSON name
  const char* question;  // what the row answers
  const char* basis;     // where the values come from
  std::string (*value)(const profile&);
};

const char* eof_name(unexpected_eof_report r) {
  return r == unexpected_eof_report::ssl_error ? "SSL_ERROR_SSL" : "SSL_ERROR_SYSCALL";
}

const std::vector<row>& rows() {
  static const std::vector<row> r{
      {"nonblocking_incomplete_return", "SSL_shutdown() that a nonblocking transport stops returns",
       "000/002/003 RETURN VALUES -1: \"It can also occur if action is need to continue the operation for "
       "non-blocking BIOs.\" 004 Shutdown Lifecycle: \"SSL_shutdown() returns 0 to indicate that the shutdown "
       "process is still ongoing\" (OpenSSL 3.0 returns -1: docs/divergences.md A)",
       [](const profile& p) { return std::to_string(p.nonblocking_incomplete_return); }},
      {"unexpected_eof", "an EOF without close_notify is reported as",
       "004 Non-Compliant Peers: \"This will ordinarily result in an error being generated.\" 3.0 made it one "
       "(\"unexpected eof while reading\"); before, the read returned 0 and nothing was queued",
       [](const profile& p) { return std::string(eof_name(p.unexpected_eof)); }},
      {"has_ignore_unexpected_eof", "SSL_OP_IGNORE_UNEXPECTED_EOF exists",
       "004 Non-Compliant Peers: \"If compatibility with such peers is desired, the option "
       "SSL_OP_IGNORE_UNEXPECTED_EOF can be set.\" (new in 3.0)",
       [](const profile& p) { return std::string(p.has_ignore_unexpected_eof ? "yes" : "no"); }},
      {"unread_data", "data arriving before the peer's close_notify, in the waiting SSL_shutdown()",
       "001 RETURN VALUES: \"It can also occur when not all data was read using SSL_read().\" 000 NOTES: \"The second "
       "call will make SSL_shutdown() wait for the peer's \"close notify\" shutdown alert.\" (1.0.2's "
       "ssl3_read_bytes threw such data away)",
       [](const profile& p) {
         return std::string(p.unread_data == unread_data_at_shutdown::fail ? "fatal" : "discarded");
       }},
  };
  return r;
}

std::string as_json() {
  std::string j = "{\n  \"profiles\": [";
  bool first = true;
  for (const profile& p : profiles()) {
    j += first ? "\n" : ",\n";
    first = false;
    j += "    {\"name\": \"" + std::string(p.name) + "\", \"pages\": " + diff::json_string(p.pages) +
         ", \"checked_live\": " + (p.checked_live ? "true" : "false");
    for (const row& r : rows()) j += ", \"" + std::string(r.key) + "\": \"" + r.value(p) + "\"";
    j += "}";
  }
  j += "\n  ],\n  \"rows\": [";
  first = true;
  for (const row& r : rows()) {
    j += first ? "\n" : ",\n";
    first = false;
    j += "    {\"key\": \"" + std::string(r.key) + "\", \"question\": " + diff::json_string(r.question) +
         ", \"basis\": " + diff::json_string(r.basis) + "}";
  }
  j += "\n  ]\n}\n";
  return j;
}

}  // namespace

std::variant<profile_id, failure> parse_profile(const options& o) {
  const auto name = o.get("profile");
  if (!name) return profile_id::openssl_3_0;
  if (const profile* p = find_profile(*name)) return p->id;
  std::string known;
  for (const profile& p : profiles()) known += (known.empty() ? "" : ", ") + std::string(p.name);
  return usage("unknown --profile '" + *name + "' (profiles: " + known + ")");
}

outcome run_profiles(const std::vector<std::string>& args) {
  auto parsed = parse_options(args, {"json"}, {"help"});
  if (auto* f = std::get_if<failure>(&parsed)) return *f;
  const auto& o = std::get<options>(parsed);
  if (o.has("help")) {
    std::fputs(profiles_help, stdout);
    return exit_ok;
  }
  if (!o.positional.empty()) return usage("unexpected argument '" + o.positional.front() + "'");
  if (auto path = o.get("json")) {
    const std::string j = as_json();
    if (*path == "-") {
      std::fputs(j.c_str(), stdout);
      return exit_ok;
    }
    std::FILE* f = std::fopen(path->c_str(), "w");
    if (f == nullptr) return usage("cannot write " + *path);
    const bool ok = std::fputs(j.c_str(), f) >= 0;
    if (std::fclose(f) != 0 || !ok) return usage("cannot write " + *path);
    return exit_ok;
  }
  constexpr int kLabel = 34, kColumn = 19;
  std::printf("Where the SSL_shutdown pages differ (* = checked live against OpenSSL 3.0; every other\n"
              "behaviour is common to all profiles and checked live)\n\n");
  std::printf("%-*s", kLabel, "");
  for (const profile& p : profiles()) {
    std::printf("%-*s", kColumn, (std::string(p.name) + (p.checked_live ? "*" : "")).c_str());
  }
  std::printf("\n%-*s", kLabel, "pages");
  for (const profile& p : profiles()) {
    std::printf("%-*s", kColumn, p.checked_live ? "live peer" : std::string(p.pages).c_str());
  }
  std::printf("\n");
  int n = 0;
  for (const row& r : rows()) {
    std::printf("%d. %-*.*s", ++n, kLabel - 3, kLabel - 4, r.key);
    for (const profile& p : profiles()) std::printf("%-*s", kColumn, r.value(p).c_str());
    std::printf("\n");
  }
  std::printf("\n");
  n = 0;
  for (const row& r : rows()) std::printf("%d. %s.\n   %s\n", ++n, r.question, r.basis);
  return exit_ok;
}

}  // namespace closenotify::cli

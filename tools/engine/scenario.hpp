// scenario.hpp — the scenario catalogue: readable data files (tests/scenarios/*.scn) a
// user extends without recompiling. The grammar is in docs/scenarios.md.
#pragma once

#include <string_view>

#include "closenotify/profile.hpp"
#include "error.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace closenotify::diff {

/// Side A is the one under test: in the candidate run it is handed to closenotify.
/// Side B is the OpenSSL peer in both runs.
enum class side_id : std::uint8_t { a, b };
char side_letter(side_id s);

/// step: one line of a scenario: a call for one side, or a wait for a side's blocked call.
struct step {
  side_id side;
  std::string command;  // the protocol command ("shutdown", "read 100", "inject alert 0100")
  int line = 0;         // in the scenario file
  bool is_wait() const { return command == "wait"; }
  std::string verb() const { return command.substr(0, command.find(' ')); }
};

/// requirement: "only tls1.3, nonblocking: <why>" — the cells a scenario applies to.
struct requirement {
  std::vector<std::string> conditions;  // tls1.3 tls1.2 blocking nonblocking client server
  std::string reason;
};

/// declared_divergence: "divergence B: A.recv A.sent" — differences in these fields are
/// the documented divergence B of docs/divergences.md, not a failure.
struct declared_divergence {
  std::string id;
  std::vector<std::string> fields;  // "A.ret", "B.sent", ...
};

struct scenario {
  std::string name;
  std::string family;        // the family id of the file ("clean-shutdown")
  std::string family_title;  // "clean bidirectional shutdown"
  std::string file;
  int line = 0;
  std::vector<std::string> cites;  // "004 DESCRIPTION: \"...\""
  std::vector<requirement> requirements;
  std::vector<declared_divergence> divergences;
  int tickets = -1;  // TLS 1.3 NewSessionTickets the server sends; -1: OpenSSL's default
  std::vector<step> steps;
};

/// cell: one column of the matrix.
struct cell {
  std::string suite;  // OpenSSL name
  bool tls13 = true;
  bool a_is_client = true;
  bool blocking = true;
};

/// skip_reason: why a scenario does not apply to a cell, or nothing if it does.
std::optional<std::string> skip_reason(const scenario& s, const cell& c);

/// injection: an `inject TYPE HEX[*N] [pad N]` step (docs/scenarios.md): the record's
/// content type byte (a name or a number), its plaintext (HEX repeated N times; "-" is
/// empty), and the TLS 1.3 padding.
struct injection {
  std::uint8_t type = 0;
  std::vector<std::uint8_t> plaintext;
  std::size_t padding = 0;
};
tools::result<injection> parse_injection(std::string_view command);

/// version_skip_reason: why a scenario cannot run against a live series, from its
/// profile ("OpenSSL 1.1.1 has no SSL_OP_IGNORE_UNEXPECTED_EOF"), or nothing.
std::optional<std::string> version_skip_reason(const scenario& s, profile_id live);

/// parse_scenarios: one file's text. Every problem is reported with its line.
tools::result<std::vector<scenario>> parse_scenarios(std::string_view text, const std::string& file);

/// load_scenarios: every *.scn file in a directory, sorted by file name, names unique.
tools::result<std::vector<scenario>> load_scenarios(const std::string& directory);

}  // namespace closenotify::diff

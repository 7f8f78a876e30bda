// scenario.hpp — the scenario catalogue: readable data files (tests/scenarios/*.scn) a
// user extends without recompiling. The grammar is in docs/scenarios.md.
#pragma once

#include <string_view>

#include "closenotify/cipher_suite.hpp"
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
  // tls1.3 tls1.2 dtls1.2 tls (= tls1.3 or tls1.2, the stream protocols) blocking
  // nonblocking client server
  std::vector<std::string> conditions;
  std::string reason;
};

/// declared_divergence: "divergence B: A.recv A.sent" — differences in these fields are
/// the documented divergence B of docs/divergences.md, not a failure.
struct declared_divergence {
  std::string id;
  std::vector<std::string> fields;      // "A.ret", "B.sent", ...
  std::vector<std::string> conditions;  // "divergence H in dtls1.2: ...": only those cells
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

/// cell: one column of the matrix. Its protocol is the suite's: TLS 1.3, TLS 1.2, or
/// DTLS 1.2 (`datagram`, on a SOCK_DGRAM socketpair; `tls13` is then false, as DTLS 1.2 is
/// TLS 1.2's record layer over datagrams). `datagram` comes last so the cells written as
/// {suite, tls13, client, blocking} stay TLS cells.
struct cell {
  std::string suite;  // OpenSSL name
  bool tls13 = true;
  bool a_is_client = true;
  bool blocking = true;
  bool datagram = false;
};

/// cell_protocol: the three protocols of the matrix.
enum class cell_protocol : std::uint8_t { tls13, tls12, dtls12 };
cell_protocol protocol_of(const cell& c);
/// protocol_name: "tls1.3", "tls1.2", "dtls1.2": the condition, the peer's `version=` and
/// `closenotify diff --protocol`'s spelling.
std::string_view protocol_name(cell_protocol p);
std::optional<cell_protocol> parse_protocol(std::string_view name);
/// suite_label: the cell's suite as case ids and tables name it: the OpenSSL name, with
/// "dtls1.2:" before a DTLS suite (OpenSSL names DTLS 1.2's suites as TLS 1.2's).
std::string suite_label(const cell& c);
/// make_cell: the cell of a matrix suite (matrix_cipher_suites() or dtls12_cipher_suites()).
cell make_cell(const cipher_suite& suite, bool a_is_client, bool blocking);
/// in_cell: whether a cell meets conditions as `only` writes them (kinds combine,
/// alternatives of one kind do not).
bool in_cell(const std::vector<std::string>& conditions, const cell& c);

/// skip_reason: why a scenario does not apply to a cell, or nothing if it does.
std::optional<std::string> skip_reason(const scenario& s, const cell& c);

/// injection: an `inject TYPE HEX[*N] [pad N] [epoch E] [seq S]` step (docs/scenarios.md):
/// the record's content type byte (a name or a number), its plaintext (HEX repeated N
/// times; "-" is empty), the TLS 1.3 padding, and for DTLS 1.2 the epoch and 48-bit
/// sequence number its header carries (default: the side's own), or (`seq +K` / `seq -K`)
/// how far from the default number it lies.
struct injection {
  std::uint8_t type = 0;
  std::vector<std::uint8_t> plaintext;
  std::size_t padding = 0;
  std::optional<std::uint16_t> epoch;
  std::optional<std::uint64_t> sequence_number;
  std::int64_t sequence_offset = 0;
};

/// datagram_fault: a `datagram` step (docs/scenarios.md "Datagram faults"): the runner
/// changes the datagrams queued for the step's side, between two steps.
struct datagram_fault {
  enum class kind : std::uint8_t { drop, duplicate, reorder, truncate, replay };
  kind what = kind::drop;
  std::size_t index = 1;   // drop..truncate: the index-th datagram queued (1 = the next);
                           // replay: the index-th last record the other side sent
  std::size_t length = 0;  // truncate: the bytes kept
};
tools::result<datagram_fault> parse_datagram_fault(std::string_view command);
std::string_view to_string(datagram_fault::kind k);
tools::result<injection> parse_injection(std::string_view command);

/// version_skip_reason: why a scenario cannot run against a live series, from its
/// profile ("OpenSSL 1.1.1 has no SSL_OP_IGNORE_UNEXPECTED_EOF"), or nothing.
std::optional<std::string> version_skip_reason(const scenario& s, profile_id live);

/// parse_scenarios: one file's text. Every problem is reported with its line.
tools::result<std::vector<scenario>> parse_scenarios(std::string_view text, const std::string& file);

/// load_scenarios: every *.scn file in a directory, sorted by file name, names unique.
tools::result<std::vector<scenario>> load_scenarios(const std::string& directory);

}  // namespace closenotify::diff

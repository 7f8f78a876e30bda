// trace.hpp — one run of one case as people read it (closenotify trace): an annotated
// two-column timeline (A | B), the same as JSON, and a Mermaid sequence diagram.
#pragma once

#include <cstddef>
#include <ostream>
#include <string>
#include <vector>

#include "run.hpp"
#include "scenario.hpp"

namespace closenotify::diff {

struct trace_input {
  const scenario* s = nullptr;
  cell c;
  bool candidate = true;     // A is closenotify (else the all-OpenSSL reference run)
  std::string profile = "openssl-3.0";  // A's profile: closenotify's, or the live version's (reference)
  std::string peer_version;  // "OpenSSL 3.0.11 19 Sep 2023", or "" when unknown
  run_result run;
};

/// cites_for_steps: for each of the scenario's citations, the step it is shown at, or
/// npos (header only). A citation is placed at the first step whose call it names
/// (SSL_shutdown, SSL_read, ...) and whose observed result it states: the return value
/// ("return with 1", "returning 0") or the SSL_get_error class ("SSL_ERROR_ZERO_RETURN").
/// Nothing else is inferred.
std::vector<std::size_t> cites_for_steps(const trace_input& t);

struct trace_style {
  bool colour = false;
  std::size_t width = 120;  // the whole line; each column gets about half
};

void print_trace(std::ostream& out, const trace_input& t, const trace_style& style);
void write_trace_json(std::ostream& out, const trace_input& t);
void write_mermaid(std::ostream& out, const trace_input& t);

}  // namespace closenotify::diff

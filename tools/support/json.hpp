// json.hpp — the one JSON library tools/ uses (Debian's nlohmann-json3-dev), for every JSON
// document written or read: reports, traces, serve's log lines, the benchmark's figures.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace closenotify::tools {

/// json: keys stay in the order they were set, so a report reads top-down as the
/// tables do.
using json = nlohmann::ordered_json;

/// json_text: `j` as text, on one line (indent < 0) or indented. Strings that are not
/// UTF-8 (bytes echoed from a peer or a file) have the bad bytes replaced by U+FFFD
/// rather than failing the whole document.
inline std::string json_text(const json& j, int indent = -1) {
  return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace closenotify::tools

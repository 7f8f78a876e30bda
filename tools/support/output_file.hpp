// output_file.hpp — the one way the CLI writes what a user asked for (--json, --mermaid,
// --pcap, --keylog, replay's findings, standard output): every write failure, a full disk
// included, ends as one error line and a non-zero exit, never as a silent exit 0.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "error.hpp"
#include "options.hpp"

namespace closenotify::tools {

/// output_kind: secrets (key logs) are created 0600 and never written through a symlink.
enum class output_kind { plain, secret };

/// write_output: `bytes` into the file at `path`, created or truncated, then closed; the
/// outcome is known only after the close. `path` "-" is standard output, whose failures
/// finish_stdout reports at exit. `option` ("--json") names the output in the failure.
std::optional<error> write_output(std::string_view option, const std::string& path, std::string_view bytes,
                                  output_kind kind = output_kind::plain);

/// refuse_stdout: a usage failure when one of `names` is "-" (pcap and key logs are
/// files: on standard output they would mix with the report).
std::optional<error> refuse_stdout(const options& o, std::initializer_list<std::string_view> names);

/// finish_stdout: flush and close standard output; a failure if anything written to it
/// (by std::cout or stdio) was lost.
std::optional<error> finish_stdout();

}  // namespace closenotify::tools

// main.cpp — `closenotify`: the differential matrix, annotated traces, sealing and
// opening single TLS records from the command line, the benchmarks, and serve/connect
// against real TLS peers.
#include <algorithm>
#include <cstdio>
#include <exception>
#include <string>
#include <string_view>
#include <vector>

#include "commands.hpp"
#include "error_line.hpp"
#include "output_file.hpp"

namespace {

// The commands, in the order --help lists them (the main job first): the one place a
// command is named.
struct command {
  std::string_view name;
  std::string_view summary;  // continuation lines start with a newline
  closenotify::cli::outcome (*run)(const std::vector<std::string>&);
};

constexpr command kCommands[] = {
    {"diff", "the differential matrix: every scenario against each live OpenSSL version",
     closenotify::cli::run_diff},
    {"trace",
     "one scenario against a live OpenSSL as an annotated timeline (or JSON,\n"
     "Mermaid), with a pcap and key log for Wireshark",
     closenotify::cli::run_trace},
    {"replay", "fuzz inputs (endpoint event scripts) against a live OpenSSL, minimised",
     closenotify::cli::run_replay},
    {"seal", "protect one alert, application_data or handshake record; prints it as hex",
     closenotify::cli::run_seal},
    {"open", "authenticate and decode one or more consecutive records given as hex", closenotify::cli::run_open},
    {"demo", "seal and open a close_notify with every matrix suite and print a table", closenotify::cli::run_demo},
    {"bench",
     "performance as ratios against raw BoringSSL AEAD and against OpenSSL (its\n"
     "3.0 peer unless --peer)",
     closenotify::cli::run_bench},
    {"profiles", "where the five SSL_shutdown pages differ, as closenotify's profiles",
     closenotify::cli::run_profiles},
    {"serve",
     "a TLS server (handshake by OpenSSL, then closenotify) for curl, gnutls-cli,\n"
     "openssl s_client: one line per connection about its teardown",
     closenotify::cli::run_serve},
    {"connect", "a TLS client the same way, against any TLS server", closenotify::cli::run_connect},
};

constexpr std::string_view kTopHelpHead =
    "usage: closenotify <command> [options]\n"
    "\n"
    "A reference reimplementation of TLS record-layer shutdown (OpenSSL SSL_shutdown\n"
    "semantics, one profile per release), checked against live OpenSSL peers (1.1.1, 3.0,\n"
    "3.5: each one that is built; --openssl picks), plus single-record tools.\n"
    "\n"
    "commands:\n";

constexpr std::string_view kTopHelpTail =
    "\n"
    "`closenotify <command> --help` explains each command's options, with examples.\n"
    "Errors are one line on stderr starting with \"closenotify: error: \"; exit status 2\n"
    "means bad usage or input, 1 a record that does not open.\n";

std::string top_help() {
  std::string out(kTopHelpHead);
  for (const auto& c : kCommands) {
    std::string line = "  " + std::string(c.name);
    line.resize(std::max<std::size_t>(line.size() + 1, 10), ' ');
    for (const char ch : c.summary) {
      line += ch;
      if (ch == '\n') line += "          ";
    }
    out += line + "\n";
  }
  return out + std::string(kTopHelpTail);
}

std::string command_names() {
  std::string out;
  for (const auto& c : kCommands) out += (out.empty() ? "" : ", ") + std::string(c.name);
  return out;
}

using closenotify::tools::print_error;

// finish: the command's one failure line, else the one about standard output if what the
// command printed was lost (a full disk, a closed pipe).
int finish(const closenotify::cli::outcome& o) {
  const auto lost = closenotify::tools::finish_stdout();
  if (const auto* f = std::get_if<closenotify::cli::failure>(&o)) {
    print_error(f->message);
    return f->exit_code;
  }
  if (lost) {
    print_error(lost->message);
    return lost->exit_code;
  }
  return std::get<int>(o);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace closenotify::cli;
  try {
    std::vector<std::string> args(argv + 1, argv + argc);
    if (args.empty()) {
      print_error("no command given (try `closenotify --help`)");
      return exit_usage;
    }
    const std::string command = args.front();
    args.erase(args.begin());
    if (command == "--help" || command == "-h" || command == "help") {
      std::fputs(top_help().c_str(), stdout);
      return finish(exit_ok);
    }
    for (const auto& c : kCommands) {
      if (c.name == command) return finish(c.run(args));
    }
    print_error("unknown command '" + command + "' (commands: " + command_names() + ")");
    return exit_usage;
  } catch (const std::exception& e) {
    // Nothing on the record path throws; this is for allocation failure and the like.
    print_error(std::string("internal error: ") + e.what());
    return exit_usage;
  }
}

// commands.hpp — the closenotify CLI's subcommands and the small pieces they share.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "closenotify/profile.hpp"
#include "error.hpp"
#include "options.hpp"

namespace closenotify::cli {

using tools::exit_ok;
using tools::exit_rejected;
using tools::exit_usage;
using tools::options;
using tools::parse_number;
using tools::parse_options;
using tools::usage;
using failure = tools::error;

/// Each command returns its exit code, or a failure to print.
using outcome = std::variant<int, failure>;

outcome run_seal(const std::vector<std::string>& args);
outcome run_open(const std::vector<std::string>& args);
outcome run_demo(const std::vector<std::string>& args);
outcome run_diff(const std::vector<std::string>& args);
outcome run_replay(const std::vector<std::string>& args);
outcome run_bench(const std::vector<std::string>& args);
outcome run_trace(const std::vector<std::string>& args);
outcome run_profiles(const std::vector<std::string>& args);
outcome run_serve(const std::vector<std::string>& args);
outcome run_connect(const std::vector<std::string>& args);

/// parse_profile: `--profile NAME` (nothing when absent: the live OpenSSL's own profile
/// applies), or a usage failure naming the profiles there are.
std::variant<std::optional<profile_id>, failure> parse_profile(const options& o);

/// default_peer_path: $CLOSENOTIFY_PEER, else the OpenSSL 3.0 peer built next to this
/// program (openssl_option.hpp finds the others).
std::string default_peer_path();

extern const char* const seal_help;
extern const char* const open_help;
extern const char* const demo_help;
extern const char* const diff_help;
extern const char* const replay_help;
extern const char* const bench_help;
extern const char* const trace_help;
extern const char* const profiles_help;
extern const char* const serve_help;
extern const char* const connect_help;

}  // namespace closenotify::cli

// commands.hpp — the closenotify CLI's subcommands and the small pieces they share.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "closenotify/profile.hpp"

namespace closenotify::cli {

/// Exit codes: 0 success, 1 a record that fails to open (or a demo row that fails),
/// 2 a usage error (bad option, bad value, bad key material).
inline constexpr int exit_ok = 0;
inline constexpr int exit_rejected = 1;
inline constexpr int exit_usage = 2;

/// failure: what a command reports on its way out: one line for stderr and the exit code.
struct failure {
  int exit_code;
  std::string message;
};

/// options: `--name value` / `--name=value` pairs and flags, plus positional arguments.
struct options {
  std::map<std::string, std::string, std::less<>> values;
  std::vector<std::string> positional;
  bool has(std::string_view name) const { return values.find(name) != values.end(); }
  std::optional<std::string> get(std::string_view name) const {
    auto it = values.find(name);
    if (it == values.end()) return std::nullopt;
    return it->second;
  }
};

/// Each command returns its exit code, or a failure to print.
using outcome = std::variant<int, failure>;

/// usage: a usage failure (exit status 2).
failure usage(std::string message);

/// parse_options: `--name value`, `--name=value`, flags, positionals; unknown options
/// are refused so a typo never silently changes what a command does.
std::variant<options, failure> parse_options(const std::vector<std::string>& args,
                                             const std::vector<std::string_view>& with_value,
                                             const std::vector<std::string_view>& flags);

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

// error.hpp — the one way every part of tools/ reports a failure: one line saying why, and
// the exit status the program ends with if nothing handles it. The wire path (lib/) has
// its own typed results; this is for the harness, the peers' link and the programs.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace closenotify::tools {

/// Exit statuses: 0 success, 1 a record that does not open, a case that does not agree
/// or a demo row that fails, 2 bad usage or input (or a harness that cannot run).
inline constexpr int exit_ok = 0;
inline constexpr int exit_rejected = 1;
inline constexpr int exit_usage = 2;

/// error: why something failed, one line, and the exit status it ends a program with.
struct error {
  int exit_code = exit_usage;
  std::string message;
};

/// result: a value, or the error that stopped it.
template <class T>
using result = std::variant<T, error>;

/// usage: an error of the person at the keyboard (exit status 2).
inline error usage(std::string message) { return error{exit_usage, std::move(message)}; }

/// fail: something the harness needs could not be done (a peer that does not start, a
/// key that does not derive): exit status 2, as bad input, since no case was decided.
inline error fail(std::string message) { return error{exit_usage, std::move(message)}; }

}  // namespace closenotify::tools

// options.hpp — the option parser every program of tools/ shares.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "error.hpp"

namespace closenotify::tools {

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

/// parse_options: `--name value`, `--name=value`, flags, positionals; unknown options
/// are refused so a typo never silently changes what a command does.
result<options> parse_options(const std::vector<std::string>& args, const std::vector<std::string_view>& with_value,
                              const std::vector<std::string_view>& flags);

/// parse_number: a decimal in [lo, hi], or nothing.
std::optional<std::size_t> parse_number(const std::string& s, std::size_t lo, std::size_t hi);

}  // namespace closenotify::tools

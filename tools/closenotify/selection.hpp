// selection.hpp — naming scenarios, families and suites on the command line, and the
// one-line errors that list what exists when a name is wrong.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "scenario.hpp"

namespace closenotify::cli {

const diff::scenario* find_scenario(const std::vector<diff::scenario>& all, const std::string& name);
/// unknown_scenario: "no scenario named 'x' (nearest of the N scenarios: a, b, ...; ...)",
/// the ten names nearest to `name`.
std::string unknown_scenario(const std::vector<diff::scenario>& all, const std::string& name);
/// unknown_family: "no scenario family 'x' (families: a, b, ...)", or "" when it exists.
std::string unknown_family(const std::vector<diff::scenario>& all, const std::string& name);
/// matrix_suite_names: the six matrix suites, comma-separated.
std::string matrix_suite_names();

}  // namespace closenotify::cli

// selection.cpp — see selection.hpp.
#include "selection.hpp"

#include <charconv>

#include "closenotify/cipher_suite.hpp"

namespace closenotify::cli {

const diff::scenario* find_scenario(const std::vector<diff::scenario>& all, const std::string& name) {
  for (const auto& s : all) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

std::string unknown_scenario(const std::vector<diff::scenario>& all, const std::string& name) {
  std::string names;
  for (const auto& s : all) names += (names.empty() ? "" : ", ") + s.name;
  return "no scenario named '" + name + "' (scenarios: " + names + ")";
}

std::string unknown_family(const std::vector<diff::scenario>& all, const std::string& name) {
  std::string names;
  std::string last;
  for (const auto& s : all) {
    if (s.family == name) return "";
    if (s.family != last) names += (names.empty() ? "" : ", ") + s.family;
    last = s.family;
  }
  return "no scenario family '" + name + "' (families: " + names + ")";
}

std::string matrix_suite_names() {
  std::string out;
  for (const cipher_suite* s : matrix_cipher_suites()) out += (out.empty() ? "" : ", ") + std::string(s->name);
  return out;
}

}  // namespace closenotify::cli

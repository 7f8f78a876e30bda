// selection.cpp — see selection.hpp.
#include "selection.hpp"

#include <algorithm>
#include <charconv>
#include <string_view>

#include "closenotify/cipher_suite.hpp"

namespace closenotify::cli {

const diff::scenario* find_scenario(const std::vector<diff::scenario>& all, const std::string& name) {
  for (const auto& s : all) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

namespace {

// Levenshtein distance over at most the first 64 bytes of each: enough to rank scenario
// names, and bounded whatever length the mistyped argument has.
std::size_t edit_distance(std::string_view a, std::string_view b) {
  a = a.substr(0, 64);
  b = b.substr(0, 64);
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

// The '-'-separated words two names share: a scenario's name is a list of words, and
// one mistyped word should not hide the names that have the others.
std::size_t shared_words(std::string_view a, std::string_view b) {
  auto words = [](std::string_view s) {
    std::vector<std::string_view> out;
    for (std::size_t at = 0; at <= s.size();) {
      const std::size_t end = std::min(s.find('-', at), s.size());
      if (end > at) out.push_back(s.substr(at, end - at));
      at = end + 1;
    }
    return out;
  };
  const auto wa = words(a.substr(0, 64)), wb = words(b);
  return static_cast<std::size_t>(std::count_if(
      wa.begin(), wa.end(), [&](std::string_view w) { return std::find(wb.begin(), wb.end(), w) != wb.end(); }));
}

}  // namespace

std::string unknown_scenario(const std::vector<diff::scenario>& all, const std::string& name) {
  // The catalogue has hundreds of names, too many for one line: the ten nearest to what
  // was typed, and where to find the rest.
  struct candidate {
    std::size_t shared, distance;
    const std::string* name;
  };
  std::vector<candidate> ranked;
  for (const auto& s : all) ranked.push_back({shared_words(name, s.name), edit_distance(name, s.name), &s.name});
  std::stable_sort(ranked.begin(), ranked.end(), [](const candidate& x, const candidate& y) {
    return x.shared != y.shared ? x.shared > y.shared : x.distance < y.distance;
  });
  std::string names;
  for (std::size_t i = 0; i < ranked.size() && i < 10; ++i) names += (i == 0 ? "" : ", ") + *ranked[i].name;
  return "no scenario named '" + name + "' (nearest of the " + std::to_string(all.size()) + " scenarios: " + names +
         "; closenotify diff --list lists them all)";
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

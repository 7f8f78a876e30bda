// report.hpp — what `closenotify diff` prints: the summary tables for people, JSON for
// machines, and a case's two runs side by side for --explain.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "matrix.hpp"

namespace closenotify::diff {

struct totals {
  std::size_t cases = 0, agree = 0, diverge_documented = 0, diverge_undocumented = 0, skipped = 0, errors = 0;
  void add(verdict v);
  bool passed() const { return diverge_undocumented == 0 && errors == 0; }
};

totals count(const std::vector<case_result>& results);

/// print_summary: by family, then by cell (suite × role × IO mode), then every case that
/// did not agree, with its first difference.
void print_summary(std::ostream& out, const std::vector<case_result>& results, double wall_seconds,
                   unsigned jobs);

/// write_json: per-case results and totals.
void write_json(std::ostream& out, const std::vector<case_result>& results, double wall_seconds);

/// print_explain: both runs of one case, step by step, the first difference marked.
void print_explain(std::ostream& out, const case_result& r, bool transcript);

/// json_string: `s` as a JSON string literal, quotes included.
std::string json_string(std::string_view s);

/// first_difference: one line naming the first difference ("" when none).
std::string first_difference(const case_result& r);

}  // namespace closenotify::diff

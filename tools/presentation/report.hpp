// report.hpp — what `closenotify diff` prints: the summary tables for people, JSON for
// machines, and a case's two runs side by side for --explain.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "matrix.hpp"
#include "openssl_versions.hpp"

namespace closenotify::diff {

struct totals {
  std::size_t cases = 0, agree = 0, diverge_documented = 0, diverge_undocumented = 0, skipped = 0, errors = 0;
  void add(verdict v);
  bool passed() const { return diverge_undocumented == 0 && errors == 0; }
};

totals count(const std::vector<case_result>& results);

/// version_run: one live OpenSSL's part of a run: the peer on both sides, the profile the
/// candidate followed, and every case's result.
struct version_run {
  live_openssl openssl;
  profile_id profile = profile_id::openssl_3_0;
  std::vector<case_result> results;
  double wall_seconds = 0;
};

/// print_summary: one version's tables: by family, then by cell (suite × role × IO mode),
/// then every case that did not agree, with its first difference, and its total line.
void print_summary(std::ostream& out, const version_run& v);

/// print_versions: the totals per version (and the series that could not run, each as its
/// skip line), the overall total and the verdict.
void print_versions(std::ostream& out, const std::vector<version_run>& runs,
                    const std::vector<missing_openssl>& missing, double wall_seconds, unsigned jobs);

/// write_json: totals, totals per version, the versions that could not run, and every
/// case, each naming its version.
void write_json(std::ostream& out, const std::vector<version_run>& runs, const std::vector<missing_openssl>& missing,
                double wall_seconds);

/// print_explain: both runs of one case against one version, step by step, the first
/// difference marked.
void print_explain(std::ostream& out, const case_result& r, const live_openssl& openssl, profile_id profile,
                   bool transcript);


}  // namespace closenotify::diff

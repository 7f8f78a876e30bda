// matrix.hpp — scenarios × 6 suites × 2 roles × 2 IO modes, run in parallel.
#pragma once

#include <functional>
#include <set>
#include <string>
#include <vector>

#include "compare.hpp"
#include "openssl_versions.hpp"
#include "run.hpp"
#include "scenario.hpp"

namespace closenotify::diff {

struct case_def {
  std::string id;  // scenario/suite/role-of-A/io
  const scenario* s = nullptr;
  cell c;
};

struct case_result {
  case_def def;
  comparison cmp;
  run_result reference;
  run_result candidate;
  double seconds = 0;
};

/// build_matrix: every scenario in every cell, scenario-major.
std::vector<case_def> build_matrix(const std::vector<scenario>& scenarios);

/// case_skip_reason: why a case does not run: the scenario does not apply to its cell
/// (skip_reason), or the live peer's series cannot do what it needs (version_skip_reason).
std::optional<std::string> case_skip_reason(const case_def& c, const run_config& config);

/// run_parallel: work(i) for every i < n, `jobs` at a time on worker threads; done(i, count)
/// is called from the calling thread after each one finishes, in completion order.
void run_parallel(std::size_t n, unsigned jobs, const std::function<void(std::size_t)>& work,
                  const std::function<void(std::size_t i, std::size_t done)>& done);

/// run_cases: each case's reference then candidate run, `jobs` cases at a time.
/// `progress` is called (from the calling thread) after each case finishes. With
/// `fail_fast`, the first case that fails (failed()) stops the others from starting: they
/// come back skipped, with not_run_note as their note.
std::vector<case_result> run_cases(const std::vector<case_def>& cases, const run_config& config,
                                   const std::set<std::string>& documented, unsigned jobs,
                                   const std::function<void(const case_result&, std::size_t done)>& progress,
                                   bool fail_fast = false);

/// not_run_note: the skip note of a case that --fail-fast kept from running.
inline constexpr const char* not_run_note = "not run: an earlier case failed (--fail-fast)";

/// failed: the case diverges undocumented or could not be run.
bool failed(const case_result& r);

/// run_one: one case, both runs, compared.
case_result run_one(const case_def& c, const run_config& config, const std::set<std::string>& documented);

/// config_for: `base` run against `v`: its peer on both sides, closenotify under the
/// --profile asked for, else under the version's own profile.
run_config config_for(const live_openssl& v, std::optional<profile_id> asked,
                            run_config base = {});

/// first_difference: one line naming a case's first difference ("" when none).
std::string first_difference(const case_result& r);

}  // namespace closenotify::diff

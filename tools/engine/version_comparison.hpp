// version_comparison.hpp — what changed in teardown between OpenSSL releases: each case's
// reference run (two live peers of one release on a socketpair; no closenotify) under every
// live release, and the step fields whose values are not the same in all of them.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "matrix.hpp"
#include "openssl_versions.hpp"

namespace closenotify::diff {

/// version_difference: one field of one step that is not the same under every release that
/// ran the case. step == npos: a side's whole record sequence (field "wire"), reported only
/// when no step's `sent` already shows that side's difference.
struct version_difference {
  std::size_t step = 0;
  side_id side = side_id::a;
  std::string command;              // the step's command, "" for the record sequence
  std::string field;                // observation_fields(), or "wire"
  std::vector<std::optional<std::string>> values;  // per release, in release order; nothing where it did not run
  bool operator==(const version_difference&) const = default;
};

/// version_case: one case under every release.
struct version_case {
  case_def def;
  std::string cell_skip;                  // why the scenario does not apply to this cell ("" = it does)
  std::vector<std::string> release_skip;  // per release: why it cannot run the scenario, or ""
  std::vector<std::string> errors;        // per release: the run's harness error, or ""
  std::vector<version_difference> differences;  // among the releases that ran without error
  /// ran: how many releases carried the case out (no skip, no harness error).
  std::size_t ran() const;
};

struct version_comparison {
  std::vector<live_openssl> releases;  // oldest first
  std::vector<version_case> cases;     // in the order given
  std::size_t runs = 0;                // reference runs carried out (or attempted)
  double wall_seconds = 0;
};

/// version_differences: every field of every step of `s` whose value is not the same in all
/// of `runs` (one per release; null for a release that did not run the case, whose values
/// are then nothing), and each side's record sequence where no step's `sent` shows it.
std::vector<version_difference> version_differences(const scenario& s, const std::vector<const run_result*>& runs);

/// compare_versions: every case's reference run under each release (`base` with that
/// release's peer on both sides), `jobs` runs at a time, then the differences per case.
/// `progress(release, done, total)` is called from the calling thread after each run.
version_comparison compare_versions(
    const std::vector<case_def>& cases, const std::vector<live_openssl>& releases, const run_config& base,
    unsigned jobs, const std::function<void(const live_openssl&, std::size_t done, std::size_t total)>& progress);

/// version_pattern: the cells of one scenario whose differences are identical (possibly none).
struct version_pattern {
  std::vector<const version_case*> cases;  // matrix order
  const std::vector<version_difference>* differences = nullptr;
};

/// scenario_versions: one scenario's cases, grouped.
struct scenario_versions {
  const scenario* s = nullptr;
  std::vector<const version_case*> cases;     // every case of the selection, matrix order
  std::vector<version_pattern> patterns;      // the cells at least two releases ran, by differences
  std::vector<const version_case*> cell_skips;  // the cells the scenario does not apply to
  bool differs() const;
  bool errors() const;
};

/// by_scenario: the comparison per scenario, in catalogue order; patterns ordered by their
/// first cell.
std::vector<scenario_versions> by_scenario(const version_comparison& c);

/// describe_cells: a set of cells in few words, relative to `all` (the cells it is taken
/// from): "all 24 cells", "the TLS 1.3 cells", "TLS 1.2 A=server nonblocking (3 suites)", or
/// the cells named one by one (suite/role/io).
std::string describe_cells(const std::vector<const version_case*>& cells, const std::vector<const version_case*>& all);

/// cell_name: "TLS_AES_128_GCM_SHA256/client/blocking" (A's role).
std::string cell_name(const cell& c);

/// in_cells: of each scenario, the cases in `cells` (cell_name) that it applies to; a scenario
/// that applies to none of them keeps its first case in matrix order that it applies to
/// (suites in matrix order, A as client before server, blocking before nonblocking), and
/// one that applies to no cell at all its first case, to be shown as not applicable.
std::vector<case_def> in_cells(const std::vector<case_def>& cases, const std::vector<std::string>& cells);

}  // namespace closenotify::diff

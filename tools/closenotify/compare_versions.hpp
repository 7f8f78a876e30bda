// compare_versions.hpp — `closenotify diff --compare-versions`: what changed in teardown
// between the live OpenSSL releases (engine/version_comparison.hpp runs and compares).
#pragma once

#include <vector>

#include "matrix.hpp"
#include "commands.hpp"

namespace closenotify::cli {

/// run_compare_versions: `closenotify diff --compare-versions` over the cases --scenario,
/// --family and --filter selected; the other options are diff's (`o`).
outcome run_compare_versions(const options& o, const std::vector<diff::case_def>& cases, unsigned jobs);

}  // namespace closenotify::cli

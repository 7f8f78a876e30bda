// compare.hpp — the comparison rules, in one place (docs/diff.md explains them): a
// reference run and a candidate run of the same case agree when every observation of
// every step, on both sides, is equal, and so is each side's decrypted record sequence.
// A difference is tolerated only in the fields a scenario declares for a divergence that
// docs/divergences.md documents.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "run.hpp"
#include "scenario.hpp"

namespace closenotify::diff {

enum class verdict : std::uint8_t { agree, diverge_documented, diverge_undocumented, skipped, error };
std::string_view to_string(verdict v);

/// difference: one field of one step (step == npos: the whole-run record sequence).
struct difference {
  std::size_t step;
  side_id side;
  std::string field;
  std::string reference;
  std::string candidate;
  bool tolerated = false;  // covered by a declared, documented divergence
};

struct comparison {
  verdict result = verdict::agree;
  std::vector<difference> differences;
  std::vector<std::string> divergences;  // the ids that tolerated something
  std::string note;                      // error or skip reason
};

/// compare: the verdict for one case. `documented` holds the entry ids of
/// docs/divergences.md ("A", "B", ...). A divergence declared `in` some cells tolerates
/// differences only in `in` when it is one of them (without a cell, everywhere).
comparison compare(const scenario& s, const run_result& reference, const run_result& candidate,
                   const std::set<std::string>& documented, const cell* in = nullptr);

/// documented_divergences: the ids a divergence-ids file lists (tests/scenarios/
/// divergences.ids: one id and its title per line, `#` comments).
std::set<std::string> documented_divergences(std::string_view ids_file);

}  // namespace closenotify::diff

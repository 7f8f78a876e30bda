// catalogue.hpp — where the scenario catalogue and the ids of the documented divergences
// are: data installed beside the program, so an installed closenotify needs no source tree.
#pragma once

#include <string>

namespace closenotify::diff {

/// catalogue_location: the scenario folder (*.scn) and the divergence-ids file.
struct catalogue_location {
  std::string scenarios_dir;
  std::string divergence_ids;
};

/// find_catalogue: $CLOSENOTIFY_DATA_DIR/scenarios if set; else
/// <program_dir>/../share/closenotify/scenarios when it exists (an installed closenotify:
/// bin/ and share/ under one prefix); else tests/scenarios of the source tree the program
/// was built from (a program run from its build tree). The divergence ids are the
/// folder's divergences.ids.
catalogue_location find_catalogue(const std::string& program_dir);

}  // namespace closenotify::diff

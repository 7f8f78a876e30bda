// catalogue.cpp — see catalogue.hpp.
#include "catalogue.hpp"

#include <cstdlib>
#include <filesystem>

namespace closenotify::diff {

catalogue_location find_catalogue(const std::string& program_dir) {
  namespace fs = std::filesystem;
  std::string dir;
  if (const char* data = std::getenv("CLOSENOTIFY_DATA_DIR"); data != nullptr && *data != '\0') {
    dir = std::string(data) + "/scenarios";
  } else {
    std::error_code ec;
    const fs::path installed = fs::path(program_dir) / ".." / "share" / "closenotify" / "scenarios";
    dir = fs::is_directory(installed, ec) ? installed.lexically_normal().string()
                                          : std::string(CLOSENOTIFY_SOURCE_ROOT) + "/tests/scenarios";
  }
  return {dir, dir + "/divergences.ids"};
}

}  // namespace closenotify::diff

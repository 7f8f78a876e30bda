// openssl_versions.hpp — the live OpenSSL releases the runner can drive: one peer
// executable per release series (tools/peer builds `closenotify-peer` against the system's
// OpenSSL 3.0 and `closenotify-peer-<series>` against each release tools/install-openssl.sh
// installed), what each peer says it is, the profile closenotify follows against it, and
// which scenarios it cannot run.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "closenotify/profile.hpp"
#include "error.hpp"

namespace closenotify::diff {

/// openssl_series: a release series the matrix runs against.
struct openssl_series {
  std::string_view name;       // "3.5": what --openssl takes
  profile_id profile;          // what closenotify follows against it (profile.hpp)
  std::string_view peer_file;  // the peer executable's file name
  std::string_view install;    // the command that installs this OpenSSL
};

/// all_openssl_series: 1.1.1, 3.0, 3.5, oldest first.
std::span<const openssl_series> all_openssl_series() noexcept;
const openssl_series* find_openssl_series(std::string_view name) noexcept;
/// series_with_profile: the series whose profile is `p`, or nullptr.
const openssl_series* series_with_profile(profile_id p) noexcept;
/// openssl_series_names: "1.1.1, 3.0, 3.5".
std::string openssl_series_names();

/// live_openssl: a peer that answered: which series it is, by its own word.
struct live_openssl {
  const openssl_series* series = nullptr;
  std::string version;  // OpenSSL_version(OPENSSL_VERSION): "OpenSSL 3.5.4 30 Sep 2025"
  std::string peer_path;
  std::string label() const { return "OpenSSL " + std::string(series->name); }
};

/// series_of_version: the series a version string belongs to ("OpenSSL 1.1.1w  11 Sep
/// 2023" -> 1.1.1), or nullptr when it is none of them.
const openssl_series* series_of_version(std::string_view version) noexcept;

/// probe_peer: start the peer, ask `hello`, and name its series from the answer (the
/// version string wins over the file name). Fails with a one-line reason.
tools::result<live_openssl> probe_peer(const std::string& peer_path);

/// missing_openssl: a series that cannot run here, and why ("no peer (run ...)").
struct missing_openssl {
  const openssl_series* series = nullptr;
  std::string reason;
  /// skip_line: "OpenSSL 3.5: skipped: no peer (run tools/install-openssl.sh 3.5, then ...)".
  std::string skip_line() const;
};

struct openssl_discovery {
  std::vector<live_openssl> live;        // oldest series first
  std::vector<missing_openssl> missing;  // likewise
};

/// peer_path_in: where the peer of `s` is built relative to a program in `program_dir`:
/// <dir>/peer/<file> (the build tree), else <dir>/<file> (side by side). The first that
/// is executable, else the build-tree path.
std::string peer_path_in(const std::string& program_dir, const openssl_series& s);

/// probe_series: the peer of `s` next to the program, asked what it is; or why there is
/// none to ask ("no peer (run ...)", or probe_peer's reason). The answer may be another
/// series: the version string wins over the file name.
tools::result<live_openssl> probe_series(const std::string& program_dir, const openssl_series& s);

/// discover_openssl: every series, each asked once through its peer next to the program.
/// A series whose peer is missing, does not answer, or is another series' is missing
/// (a misnamed peer stands for its own series when that one's peer is missing).
openssl_discovery discover_openssl(const std::string& program_dir);


}  // namespace closenotify::diff

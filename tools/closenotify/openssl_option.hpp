// openssl_option.hpp — `--openssl VERSION` and `--peer PATH`: which live OpenSSL a command
// runs against; the peers are found next to this program (peer_link/openssl_versions.hpp).
#pragma once

#include <string>
#include <variant>
#include <vector>

#include "openssl_versions.hpp"
#include "commands.hpp"

namespace closenotify::cli {

/// program_dir: the folder this program runs from (the peers and the installed data are
/// found from it).
std::string program_dir();

/// openssl_choice: the versions a command runs against, and the series it cannot (each
/// shown as its skip line).
struct openssl_choice {
  std::vector<diff::live_openssl> live;
  std::vector<diff::missing_openssl> missing;
};

/// choose_openssl_versions: `closenotify diff`'s versions. `--peer PATH[,PATH]` (or
/// $CLOSENOTIFY_PEER): those peers, each as the version it reports; else every series'
/// peer next to this program. `--openssl VERSION[,VERSION]|all` (default all) picks among
/// them; one that is unknown, or asked for and not available, is a usage failure.
std::variant<openssl_choice, failure> choose_openssl_versions(const options& o);

/// choose_openssl: one version, for trace, replay, serve and connect: `--openssl VERSION`,
/// else 3.0, else the only one there is.
std::variant<diff::live_openssl, failure> choose_openssl(const options& o);

}  // namespace closenotify::cli

// preflight.hpp — before `serve` listens or `connect` connects: one handshake between two
// OpenSSL peer processes over a socketpair, with the settings the connections will use, so
// that a certificate that does not load, a key that does not match it, suites it cannot
// serve or a --peer that is no working peer stop the program at once (one line, exit 2)
// instead of failing every connection.
#pragma once

#include <optional>

#include "error.hpp"
#include "live.hpp"

namespace closenotify::cli {

/// preflight: nothing when a handshake with `s` works for `local_role`'s side (the other
/// side is a second peer with the same version and suites), else why not. Both peers go
/// back to the pool, ready for the first connection.
std::optional<tools::error> preflight(const live::settings& s, role local_role);

}  // namespace closenotify::cli

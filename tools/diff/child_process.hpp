// child_process.hpp — starting a peer executable (tools/peer) as a child process: the one
// place that calls posix_spawn for the runner, with the descriptor and signal hygiene
// every peer needs.
#pragma once

#include <sys/types.h>

#include <string>
#include <variant>
#include <vector>

namespace closenotify::diff {

/// spawn_child: `path args...` with `fd0`, `fd1` and `fd3` at 0, 1 and 3 (fd1 -1:
/// /dev/null; fd3 -1: none); stderr on /dev/null; every other descriptor closed before the exec; an empty signal
/// mask and SIGPIPE at its default. The pid, or why it could not start (one line).
std::variant<pid_t, std::string> spawn_child(const std::string& path, const std::vector<std::string>& args, int fd0,
                                             int fd1, int fd3);

}  // namespace closenotify::diff

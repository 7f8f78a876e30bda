// child_process.hpp — the one way tools/ starts a program: posix_spawn with the child's
// descriptors named, nothing else inherited, and a clean signal state.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "error.hpp"

namespace closenotify::tools {

/// child_fds: what the child finds at 0, 1, 2 and 3. -1 at 0 or 1 is /dev/null; stderr is
/// the caller's unless `quiet_stderr`; -1 at 3 leaves 3 closed.
struct child_fds {
  int in = -1;
  int out = -1;
  bool quiet_stderr = false;
  int fd3 = -1;
  /// own_process_group: the child leads a new process group, out of reach of the signals a
  /// terminal sends to the caller's (Ctrl-C's SIGINT). Only for a child that ends by
  /// itself when the caller does (EOF on a descriptor it watches).
  bool own_process_group = false;
};

/// spawn_child: `path args...` with `fds` in place and every other descriptor closed
/// before the exec, an empty signal mask and SIGPIPE at its default. The pid, or why it
/// could not start (one line).
result<pid_t> spawn_child(const std::string& path, const std::vector<std::string>& args, const child_fds& fds);

/// exit_status: a waitpid status as a shell shows it: the exit code, or 128 + the signal.
int exit_status(int wstatus);

}  // namespace closenotify::tools

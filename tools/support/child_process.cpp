// child_process.cpp — posix_spawn, once for every program tools/ starts.
#include "child_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <cstring>

extern char** environ;

namespace closenotify::tools {

result<pid_t> spawn_child(const std::string& path, const std::vector<std::string>& args, const child_fds& fds) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  if (fds.in >= 0) {
    posix_spawn_file_actions_adddup2(&fa, fds.in, 0);
  } else {
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  }
  if (fds.out >= 0) {
    posix_spawn_file_actions_adddup2(&fa, fds.out, 1);
  } else {
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  }
  if (fds.quiet_stderr) posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  if (fds.fd3 >= 0) posix_spawn_file_actions_adddup2(&fa, fds.fd3, 3);
  // Close every other descriptor in the child before execve, not at it: the parent
  // thread resumes as soon as the child's exec replaces its memory, before close-on-exec
  // runs, and a loaded machine can leave the child holding copies of other sockets for
  // milliseconds — a close(2) elsewhere would then not reach its peer.
  posix_spawn_file_actions_addclosefrom_np(&fa, fds.fd3 >= 0 ? 4 : 3);
  // The child must not die of SIGPIPE or inherit a blocked signal mask from its parent.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, deflt;
  sigemptyset(&none);
  sigemptyset(&deflt);
  sigaddset(&deflt, SIGPIPE);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &deflt);
  short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
  if (fds.own_process_group) {
    // posix_spawn(3p): "if the POSIX_SPAWN_SETPGROUP flag is set [...] and the
    // spawn-pgroup attribute of the same object is set to zero, then the child shall be in
    // a new process group with a process group ID equal to its process ID."
    posix_spawnattr_setpgroup(&attr, 0);
    flags |= POSIX_SPAWN_SETPGROUP;
  }
  posix_spawnattr_setflags(&attr, flags);
  std::vector<char*> argv{const_cast<char*>(path.c_str())};
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = 0;
  const int rc = ::posix_spawn(&pid, path.c_str(), &fa, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) return error{exit_usage, "cannot start " + path + ": " + std::strerror(rc)};
  return pid;
}

int exit_status(int wstatus) {
  if (WIFEXITED(wstatus)) return WEXITSTATUS(wstatus);
  if (WIFSIGNALED(wstatus)) return 128 + WTERMSIG(wstatus);
  return -1;
}

}  // namespace closenotify::tools

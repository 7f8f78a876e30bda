// peer_process.cpp — the OpenSSL peer as a child process speaking the line protocol.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <shared_mutex>

#include "side.hpp"

extern char** environ;

namespace closenotify::diff {

namespace {

// Spawns share the guard; closing a socket the runner holds takes it alone.
std::shared_mutex spawn_guard;

class peer_process final : public side {
 public:
  peer_process(pid_t pid, int to_peer, int from_peer) : pid_(pid), to_(to_peer), from_(from_peer) {}
  ~peer_process() override {
    terminate();
  }

  bool send(const std::string& command) override {
    if (to_ < 0) return false;
    std::string line = command + "\n";
    std::size_t off = 0;
    while (off < line.size()) {
      ssize_t n = ::write(to_, line.data() + off, line.size() - off);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      off += static_cast<std::size_t>(n);
    }
    return true;
  }

  std::optional<message> next(std::chrono::milliseconds timeout) override {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      auto nl = buffer_.find('\n');
      if (nl != std::string::npos) {
        std::string line = buffer_.substr(0, nl);
        buffer_.erase(0, nl + 1);
        return parse_message(line);
      }
      if (from_ < 0 || eof_) {
        message m;
        m.kind = message_kind::error;
        m.text = "the OpenSSL peer exited" + exit_description();
        return m;
      }
      // Poll at least once, even with no time left: a zero timeout means "what is there".
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      pollfd p{from_, POLLIN, 0};
      int r = ::poll(&p, 1, static_cast<int>(std::max<long long>(0, left.count())));
      if (r < 0 && errno == EINTR) continue;
      if (r == 0) return std::nullopt;
      char buf[65536];
      ssize_t n = ::read(from_, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        eof_ = true;
        continue;
      }
      buffer_.append(buf, static_cast<std::size_t>(n));
    }
  }

  void terminate() override {
    if (to_ >= 0) ::close(to_);
    to_ = -1;
    if (pid_ > 0) {
      // Closing stdin ends an idle peer; one stuck in a blocking call is killed.
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == 0) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &status, 0);
      }
      pid_ = -1;
    }
    if (from_ >= 0) ::close(from_);
    from_ = -1;
  }

 private:
  std::string exit_description() {
    if (pid_ > 0 && ::waitpid(pid_, &status_, WNOHANG) == pid_) pid_ = -1;
    if (pid_ > 0) return "";
    if (WIFSIGNALED(status_)) return std::string(" (signal ") + strsignal(WTERMSIG(status_)) + ")";
    if (WIFEXITED(status_)) return " (status " + std::to_string(WEXITSTATUS(status_)) + ")";
    return "";
  }

  pid_t pid_;
  int to_;
  int from_;
  bool eof_ = false;
  int status_ = 0;
  std::string buffer_;
};

}  // namespace

void close_socket(int fd) {
  std::unique_lock guard(spawn_guard);
  ::close(fd);
}

std::variant<std::unique_ptr<side>, std::string> spawn_peer(const std::string& peer_path, int socket_fd) {
  int in[2], out[2];
  if (::pipe2(in, O_CLOEXEC) != 0) return std::string("pipe: ") + std::strerror(errno);
  if (::pipe2(out, O_CLOEXEC) != 0) {
    ::close(in[0]);
    ::close(in[1]);
    return std::string("pipe: ") + std::strerror(errno);
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, in[0], 0);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, socket_fd, 3);
  // Close every other descriptor in the child before execve, not at it: the parent
  // thread resumes as soon as the child's exec replaces its memory, before close-on-exec
  // runs, and a loaded machine can leave the child holding copies of other cases'
  // sockets for milliseconds — a close(2) elsewhere would then not reach its peer.
  posix_spawn_file_actions_addclosefrom_np(&fa, 4);
  // The peer must not die of SIGPIPE or inherit a blocked signal mask from the runner.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, deflt;
  sigemptyset(&none);
  sigemptyset(&deflt);
  sigaddset(&deflt, SIGPIPE);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &deflt);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  std::string fd_arg = "3";
  char* argv[] = {const_cast<char*>(peer_path.c_str()), const_cast<char*>("--fd"), fd_arg.data(), nullptr};
  pid_t pid = 0;
  std::shared_lock guard(spawn_guard);
  int rc = ::posix_spawn(&pid, peer_path.c_str(), &fa, &attr, argv, environ);
  guard.unlock();
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  ::close(in[0]);
  ::close(out[1]);
  if (rc != 0) {
    ::close(in[1]);
    ::close(out[0]);
    return "cannot start the OpenSSL peer " + peer_path + ": " + std::strerror(rc);
  }
  return std::unique_ptr<side>(new peer_process(pid, in[1], out[0]));
}

}  // namespace closenotify::diff

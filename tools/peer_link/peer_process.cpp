// peer_process.cpp — the OpenSSL peer as a child process speaking the line protocol.
//
// Peers are pooled: a process serves case after case (`closenotify-peer --pool 3`), each
// case's socket sent to it with SCM_RIGHTS at `attach` and closed again at `release`, so
// a case costs its handshake and its steps, not an exec, the loading of libssl and the
// making of keys. A peer goes back to the pool only once it has said `ok release` after
// the answer to every command it was sent; `release` also stops a call still waiting on
// the socket (closing the socket first, so no byte reaches it after terminate()). A peer
// that does not answer in time, or died, is killed, as every peer was before pooling.
// Nothing of a case survives in the process but its certificates (docs/peer-protocol.md).
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <thread>
#include <vector>

#include "child_process.hpp"
#include "side.hpp"

namespace closenotify::diff {

namespace {

// Spawns share the guard; closing a socket the runner holds takes it alone.
std::shared_mutex spawn_guard;

std::atomic<peer_start> start_mode{peer_start::pooled};

// A pooled process gets this long to start (the sanitizers' start-up included) and
// take its socket, and an idle one this long to say `ok release`.
constexpr std::chrono::milliseconds kAttachTimeout{30'000};
constexpr std::chrono::milliseconds kReleaseTimeout{5'000};

// Idle processes kept per peer executable: enough for every case `diff --jobs` runs at
// once on a machine of a few cores; a burst beyond it (serve) ends the extra ones.
const std::size_t kMaxIdle = std::max(8u, 4 * std::thread::hardware_concurrency());

// A peer process and its descriptors: what the pool keeps between cases.
struct process {
  pid_t pid = -1;
  int to = -1;       // its stdin
  int from = -1;     // its stdout
  int channel = -1;  // pooled: where each case's socket is sent; -1 for `--fd 3` peers
};

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

// Closing stdin ends an idle peer; one stuck in a blocking call is killed. `status`:
// how it ended, when it had already ended.
void stop(process& p, int* status = nullptr) {
  close_fd(p.to);
  if (p.pid > 0) {
    int st = 0;
    if (::waitpid(p.pid, &st, WNOHANG) == 0) {
      ::kill(p.pid, SIGKILL);
      ::waitpid(p.pid, &st, 0);
    } else if (status != nullptr) {
      *status = st;
    }
    p.pid = -1;
  }
  close_fd(p.from);
  close_fd(p.channel);
}

// Idle pooled peers per executable; those that cannot pool (a peer built before
// `--pool`, given with --peer) are run per case with `--fd 3`.
class pool {
 public:
  ~pool() {
    for (auto& [path, list] : idle_) {
      for (auto& p : list) stop(p);  // idle: nothing of theirs is left to finish
    }
  }
  std::optional<process> take(const std::string& path) {
    std::lock_guard lock(mutex_);
    auto& list = idle_[path];
    if (list.empty()) return std::nullopt;
    process p = list.back();
    list.pop_back();
    return p;
  }
  void give_back(const std::string& path, process p) {
    {
      std::lock_guard lock(mutex_);
      auto& list = idle_[path];
      if (list.size() < kMaxIdle) {
        list.push_back(p);
        return;
      }
    }
    stop(p);
  }
  bool poolable(const std::string& path) {
    std::lock_guard lock(mutex_);
    return unpoolable_.count(path) == 0;
  }
  void cannot_pool(const std::string& path) {
    std::lock_guard lock(mutex_);
    unpoolable_.insert(path);
  }

 private:
  std::mutex mutex_;
  std::map<std::string, std::vector<process>> idle_;
  std::set<std::string> unpoolable_;
};

pool& peers() {
  static pool p;
  return p;
}

class peer_process final : public side {
 public:
  peer_process(process p, std::string path) : p_(p), path_(std::move(path)) {}
  ~peer_process() override {
    terminate();
  }

  bool send(const std::string& command) override {
    if (p_.to < 0) return false;
    if (command == "quit") reusable_ = false;
    std::string line = command + "\n";
    std::size_t off = 0;
    while (off < line.size()) {
      // MSG_NOSIGNAL: a peer that has exited is a failed send, never SIGPIPE for the
      // runner (serve and connect do not ignore it).
      ssize_t n = ::send(p_.to, line.data() + off, line.size() - off, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      off += static_cast<std::size_t>(n);
    }
    ++unanswered_;
    return true;
  }

  std::optional<message> next(std::chrono::milliseconds timeout) override {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      auto nl = buffer_.find('\n');
      if (nl != std::string::npos) {
        std::string line = buffer_.substr(0, nl);
        buffer_.erase(0, nl + 1);
        message m = parse_message(line);
        if (m.kind != message_kind::blocked && unanswered_ > 0) --unanswered_;
        return m;
      }
      if (p_.from < 0 || eof_) {
        message m;
        m.kind = message_kind::error;
        m.text = "the OpenSSL peer exited" + exit_description();
        return m;
      }
      // Poll at least once, even with no time left: a zero timeout means "what is there".
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      pollfd pfd{p_.from, POLLIN, 0};
      int r = ::poll(&pfd, 1, static_cast<int>(std::max<long long>(0, left.count())));
      if (r < 0 && errno == EINTR) continue;
      if (r == 0) return std::nullopt;
      char buf[65536];
      ssize_t n = ::read(p_.from, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        eof_ = true;
        continue;
      }
      buffer_.append(buf, static_cast<std::size_t>(n));
    }
  }

  void terminate() override {
    // A peer found dead (reaped by exit_description) still has descriptors to close.
    if (p_.pid > 0 && p_.channel >= 0 && reusable_ && !eof_ && released()) {
      peers().give_back(path_, p_);
      p_ = process{};
      return;
    }
    stop(p_, &status_);
  }

  // Pooled: hand `socket_fd` to the process for this case. False if it did not take it.
  bool attach(int socket_fd) {
    char byte = 0;
    iovec iov{&byte, 1};
    alignas(cmsghdr) char space[CMSG_SPACE(sizeof(int))] = {};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = space;
    msg.msg_controllen = sizeof space;
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(c), &socket_fd, sizeof socket_fd);
    ssize_t n;
    do {
      n = ::sendmsg(p_.channel, &msg, MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    return n == 1 && answered("attach", kAttachTimeout);
  }

  // The process ended before it said anything: not a peer that can pool.
  bool exited_silently() const { return eof_ && buffer_.empty(); }

 private:
  // `release`, answered: the process holds nothing of this case any more. A peer inside a
  // call (waiting on its socket, the only place a call can stay) is stopped by the
  // command itself (Socket::stop_waiting_on_input): the call fails on the closed socket,
  // its `done` is read and dropped here, then `ok release` comes.
  bool released() {
    if (!send("release")) return false;
    const auto deadline = std::chrono::steady_clock::now() + kReleaseTimeout;
    while (unanswered_ > 0) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      auto m = next(left);
      if (!m || eof_) return false;
      if (unanswered_ == 0) return m->kind == message_kind::ok && buffer_.empty();
    }
    return false;
  }

  // Send `command`, then true once its `ok` arrived within `timeout`.
  bool answered(const std::string& command, std::chrono::milliseconds timeout) {
    if (!send(command)) return false;
    auto m = next(timeout);
    return m && m->kind == message_kind::ok && unanswered_ == 0;
  }

  std::string exit_description() {
    if (p_.pid > 0 && ::waitpid(p_.pid, &status_, WNOHANG) == p_.pid) p_.pid = -1;
    if (p_.pid > 0) return "";
    if (WIFSIGNALED(status_)) return std::string(" (signal ") + strsignal(WTERMSIG(status_)) + ")";
    if (WIFEXITED(status_)) return " (status " + std::to_string(WEXITSTATUS(status_)) + ")";
    return "";
  }

  process p_;
  std::string path_;
  int unanswered_ = 0;  // commands sent whose answer (ok, done, error) has not been read
  bool reusable_ = true;  // false once told to quit
  bool eof_ = false;
  int status_ = 0;
  std::string buffer_;
};

// A new peer process: `--pool 3` with a channel at fd 3, or `--fd 3` with the socket there.
// Its stdin is a socket, not a pipe, so that a command to a peer that has died can be
// sent with MSG_NOSIGNAL.
tools::result<process> start_process(const std::string& peer_path, bool pooled, int socket_fd) {
  int in[2], out[2], channel[2] = {-1, -1};
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in) != 0) {
    return tools::fail(std::string("socketpair: ") + std::strerror(errno));
  }
  if (::pipe2(out, O_CLOEXEC) != 0) {
    const int e = errno;
    ::close(in[0]);
    ::close(in[1]);
    return tools::fail(std::string("pipe: ") + std::strerror(e));
  }
  if (pooled && ::socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, channel) != 0) {
    const int e = errno;
    for (int fd : {in[0], in[1], out[0], out[1]}) ::close(fd);
    return tools::fail(std::string("socketpair: ") + std::strerror(e));
  }
  std::shared_lock guard(spawn_guard);
  // A pooled peer gets a process group of its own: a terminal's Ctrl-C goes to the
  // runner's group, and the runner (serve) decides how its connections end; the peer ends
  // when the runner does, at EOF on its stdin, idle or inside a call (the wait for the
  // socket watches stdin: Socket::stop_waiting_on_input). A `--fd` peer does not watch
  // stdin inside a call, so it stays in the runner's group and dies with a Ctrl-C.
  auto spawned = pooled ? tools::spawn_child(peer_path, {"--pool", "3"}, {in[0], out[1], true, channel[1], true})
                        : tools::spawn_child(peer_path, {"--fd", "3"}, {in[0], out[1], true, socket_fd});
  guard.unlock();
  ::close(in[0]);
  ::close(out[1]);
  if (channel[1] >= 0) ::close(channel[1]);
  if (auto* e = std::get_if<tools::error>(&spawned)) {
    ::close(in[1]);
    ::close(out[0]);
    if (channel[0] >= 0) ::close(channel[0]);
    return tools::fail("cannot start the OpenSSL peer: " + e->message);
  }
  return process{std::get<pid_t>(spawned), in[1], out[0], channel[0]};
}

// A pooled peer with `socket_fd` attached, or nothing (then run one with `--fd 3`).
std::unique_ptr<side> pooled_peer(const std::string& peer_path, int socket_fd) {
  if (!peers().poolable(peer_path)) return nullptr;
  // A reused process that cannot attach (it died while idle) is followed by a new one;
  // a new one that cannot, by a `--fd 3` peer.
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto idle = peers().take(peer_path);
    const bool fresh = !idle;
    process p;
    if (idle) {
      p = *idle;
    } else {
      auto started = start_process(peer_path, true, -1);
      if (std::holds_alternative<tools::error>(started)) return nullptr;
      p = std::get<process>(started);
    }
    auto peer = std::make_unique<peer_process>(p, peer_path);
    if (peer->attach(socket_fd)) return peer;
    if (fresh) {
      if (peer->exited_silently()) peers().cannot_pool(peer_path);
      return nullptr;
    }
  }
  return nullptr;
}

}  // namespace

void set_peer_start(peer_start how) { start_mode = how; }

void close_socket(int fd) {
  std::unique_lock guard(spawn_guard);
  ::close(fd);
}

tools::result<std::unique_ptr<side>> spawn_peer(const std::string& peer_path, int socket_fd) {
  if (start_mode == peer_start::pooled) {
    if (auto peer = pooled_peer(peer_path, socket_fd)) return peer;
  }
  auto started = start_process(peer_path, false, socket_fd);
  if (auto* e = std::get_if<tools::error>(&started)) return *e;
  return std::unique_ptr<side>(new peer_process(std::get<process>(started), peer_path));
}

}  // namespace closenotify::diff

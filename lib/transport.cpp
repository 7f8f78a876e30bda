// transport.cpp — memory pipe and file-descriptor transports.
#include "closenotify/transport.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <csignal>
#include <ctime>

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

namespace closenotify {

std::string_view to_string(io_status s) noexcept {
  switch (s) {
    case io_status::ok: return "ok";
    case io_status::would_block: return "would_block";
    case io_status::eof: return "eof";
    case io_status::error: return "error";
  }
  return "unknown";
}

// One direction of a memory pipe. A bounded deque guarded by a mutex: blocking ends
// wait on the condition variable, nonblocking ends get would_block.
struct memory_pipe::direction {
  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::uint8_t> bytes;
  std::size_t capacity;
  bool writer_closed = false;  // reader sees EOF once `bytes` is drained
  bool reader_closed = false;  // writer sees EPIPE / ECONNRESET
  bool reset = false;          // the reader closed with unread bytes: ECONNRESET

  explicit direction(std::size_t cap) : capacity(cap) {}
};

memory_pipe::memory_pipe(std::size_t capacity)
    : a_to_b_(std::make_unique<direction>(capacity)),
      b_to_a_(std::make_unique<direction>(capacity)),
      a_(std::make_unique<end>(*b_to_a_, *a_to_b_)),
      b_(std::make_unique<end>(*a_to_b_, *b_to_a_)) {}

memory_pipe::~memory_pipe() = default;

memory_pipe::end& memory_pipe::a() noexcept { return *a_; }
memory_pipe::end& memory_pipe::b() noexcept { return *b_; }

io_result memory_pipe::end::read(mutable_bytes out) noexcept {
  std::unique_lock lock(in_.mu);
  ++stats_.reads;
  if (in_.reader_closed) return {io_status::error, 0, EBADF};
  while (in_.bytes.empty()) {
    if (in_.writer_closed) return {io_status::eof};
    if (in_.reset) return {io_status::error, 0, ECONNRESET};
    if (nonblocking_) return {io_status::would_block};
    in_.cv.wait(lock);
  }
  std::size_t n = std::min(out.size(), in_.bytes.size());
  std::copy_n(in_.bytes.begin(), n, out.begin());
  in_.bytes.erase(in_.bytes.begin(), in_.bytes.begin() + static_cast<std::ptrdiff_t>(n));
  stats_.bytes_read += n;
  in_.cv.notify_all();  // room for a blocked writer
  return {io_status::ok, n};
}

io_result memory_pipe::end::write(bytes_view in) noexcept {
  std::unique_lock lock(out_.mu);
  ++stats_.writes;
  std::size_t done = 0;
  while (done < in.size()) {
    if (out_.writer_closed) return {io_status::error, done, EPIPE};
    if (out_.reader_closed) return {io_status::error, done, out_.reset ? ECONNRESET : EPIPE};
    std::size_t room = out_.capacity - out_.bytes.size();
    if (room == 0) {
      if (done > 0) break;  // a short write, like a socket's
      if (nonblocking_) return {io_status::would_block};
      out_.cv.wait(lock);
      continue;
    }
    std::size_t n = std::min(room, in.size() - done);
    out_.bytes.insert(out_.bytes.end(), in.begin() + static_cast<std::ptrdiff_t>(done),
                      in.begin() + static_cast<std::ptrdiff_t>(done + n));
    done += n;
    out_.cv.notify_all();
    if (nonblocking_) break;
  }
  stats_.bytes_written += done;
  return {io_status::ok, done};
}

void memory_pipe::end::shutdown_write() noexcept {
  std::lock_guard lock(out_.mu);
  out_.writer_closed = true;
  out_.cv.notify_all();
}

void memory_pipe::end::close(bool reset_on_unread) noexcept {
  shutdown_write();
  std::lock_guard lock(in_.mu);
  in_.reader_closed = true;
  in_.reset = reset_on_unread && !in_.bytes.empty();
  in_.bytes.clear();
  in_.cv.notify_all();
}

std::size_t memory_pipe::end::pending() const noexcept {
  std::lock_guard lock(in_.mu);
  return in_.bytes.size();
}

namespace {

// A pipe has no MSG_NOSIGNAL: block SIGPIPE in this thread around the write and take
// back the signal the write raised, so a closed reader is EPIPE here as on a socket and
// the process-wide disposition is left alone.
ssize_t write_without_sigpipe(int fd, bytes_view in) noexcept {
  sigset_t pipe_only, old;
  sigemptyset(&pipe_only);
  sigaddset(&pipe_only, SIGPIPE);
  sigset_t pending;
  sigpending(&pending);
  const bool already_pending = sigismember(&pending, SIGPIPE) == 1;
  pthread_sigmask(SIG_BLOCK, &pipe_only, &old);
  ssize_t n = ::write(fd, in.data(), in.size());
  const int saved = errno;
  if (n < 0 && saved == EPIPE && !already_pending) {
    const timespec zero{0, 0};
    sigtimedwait(&pipe_only, nullptr, &zero);
  }
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  errno = saved;
  return n;
}

}  // namespace

fd_transport::fd_transport(int fd) noexcept : fd_(fd) {
  struct stat st {};
  is_socket_ = fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode);
}

io_result fd_transport::read(mutable_bytes out) noexcept {
  for (;;) {
    ++stats_.reads;
    ssize_t n = ::read(fd_, out.data(), out.size());
    if (n > 0) {
      stats_.bytes_read += static_cast<std::size_t>(n);
      return {io_status::ok, static_cast<std::size_t>(n)};
    }
    if (n == 0) return {io_status::eof};
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return {io_status::would_block};
    return {io_status::error, 0, errno};
  }
}

io_result fd_transport::write(bytes_view in) noexcept {
  for (;;) {
    ++stats_.writes;
    // MSG_NOSIGNAL: a peer that closed is EPIPE here, not a SIGPIPE that kills the process.
    ssize_t n = is_socket_ ? ::send(fd_, in.data(), in.size(), MSG_NOSIGNAL)
                           : write_without_sigpipe(fd_, in);
    if (n >= 0) {
      stats_.bytes_written += static_cast<std::size_t>(n);
      return {io_status::ok, static_cast<std::size_t>(n)};
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return {io_status::would_block};
    return {io_status::error, 0, errno};
  }
}

void fd_transport::shutdown_write() noexcept {
  if (is_socket_) ::shutdown(fd_, SHUT_WR);
}

bool fd_transport::set_nonblocking(bool on) noexcept {
  int flags = ::fcntl(fd_, F_GETFL);
  if (flags < 0) return false;
  flags = on ? (flags | O_NONBLOCK) : (flags & ~O_NONBLOCK);
  return ::fcntl(fd_, F_SETFL, flags) == 0;
}

}  // namespace closenotify

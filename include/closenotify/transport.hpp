// closenotify/transport.hpp — where an endpoint's bytes go. The record layer never does
// I/O; the endpoint owns one transport. Implementations: a memory pipe (two connected
// ends, thread-safe, each blocking or nonblocking, with a bounded capacity so WANT_WRITE
// can be provoked) and a file descriptor (socket, pipe).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>

#include "closenotify/tls.hpp"

namespace closenotify {

enum class io_status : std::uint8_t {
  ok,           // `bytes` > 0 moved
  would_block,  // nonblocking and nothing could move now (EAGAIN)
  eof,          // read: the peer closed its sending half
  error,        // EPIPE, ECONNRESET, ...: `error_number` says which
};

struct io_result {
  io_status status;
  std::size_t bytes = 0;
  int error_number = 0;
};

std::string_view to_string(io_status s) noexcept;

/// transport_stats: calls into the transport, as the benchmark counts syscalls.
struct transport_stats {
  std::size_t reads = 0;
  std::size_t writes = 0;
  std::size_t bytes_read = 0;
  std::size_t bytes_written = 0;
};

/// transport: a byte stream. Blocking or not is the transport's business: an endpoint
/// turns would_block into WANT_READ / WANT_WRITE and otherwise does not care.
class transport {
 public:
  virtual ~transport() = default;
  /// read: at most `out.size()` (> 0) bytes.
  virtual io_result read(mutable_bytes out) noexcept = 0;
  /// write: at most `in.size()` (> 0) bytes; a short count is not an error.
  virtual io_result write(bytes_view in) noexcept = 0;
  /// shutdown_write: no more bytes from this end (shutdown(2) SHUT_WR); the peer's
  /// reads see EOF once it has read what was sent.
  virtual void shutdown_write() noexcept = 0;

  const transport_stats& stats() const noexcept { return stats_; }

 protected:
  transport_stats stats_;
};

/// memory_pipe: two connected transport ends in memory, one direction each way.
class memory_pipe {
 public:
  class end;
  /// capacity: bytes one direction holds before a writer blocks or sees would_block.
  explicit memory_pipe(std::size_t capacity = 256 * 1024);
  ~memory_pipe();
  memory_pipe(const memory_pipe&) = delete;
  memory_pipe& operator=(const memory_pipe&) = delete;

  end& a() noexcept;
  end& b() noexcept;

  struct direction;  // one way's bytes, shared by a writing and a reading end

 private:
  std::unique_ptr<direction> a_to_b_;
  std::unique_ptr<direction> b_to_a_;
  std::unique_ptr<end> a_;
  std::unique_ptr<end> b_;
};

class memory_pipe::end final : public transport {
 public:
  end(direction& in, direction& out) noexcept : in_(in), out_(out) {}
  io_result read(mutable_bytes out) noexcept override;
  io_result write(bytes_view in) noexcept override;
  void shutdown_write() noexcept override;

  /// set_nonblocking: would_block instead of waiting (the default is blocking, which
  /// only makes sense when the other end is driven by another thread).
  void set_nonblocking(bool on) noexcept { nonblocking_ = on; }
  bool nonblocking() const noexcept { return nonblocking_; }
  /// close: both halves, like close(2): the peer reads EOF after the buffered bytes and
  /// its writes fail with EPIPE; what was sent to us and not read is discarded
  /// (a kernel would answer with a reset: `reset_on_unread` makes the peer see ECONNRESET).
  void close(bool reset_on_unread = false) noexcept;
  /// pending: bytes written to this end's inbox and not yet read.
  std::size_t pending() const noexcept;

 private:
  direction& in_;
  direction& out_;
  bool nonblocking_ = false;
};

/// fd_transport: a connected socket or pipe it does not own. Writes use MSG_NOSIGNAL
/// on sockets so a closed peer is EPIPE, not SIGPIPE.
class fd_transport final : public transport {
 public:
  explicit fd_transport(int fd) noexcept;
  io_result read(mutable_bytes out) noexcept override;
  io_result write(bytes_view in) noexcept override;
  void shutdown_write() noexcept override;

  /// set_nonblocking: O_NONBLOCK on the descriptor. False if fcntl fails.
  bool set_nonblocking(bool on) noexcept;
  int fd() const noexcept { return fd_; }

 private:
  int fd_;
  bool is_socket_;
};

}  // namespace closenotify

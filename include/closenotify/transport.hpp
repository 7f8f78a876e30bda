// closenotify/transport.hpp — where an endpoint's bytes go. The record layer never does
// I/O; the endpoint owns one transport. Implementations: a memory pipe (two connected
// ends, thread-safe, each blocking or nonblocking, with a bounded capacity so WANT_WRITE
// can be provoked), a memory datagram pipe (the same for datagrams, with the faults a
// datagram network makes on command) and a file descriptor (socket, pipe; a SOCK_DGRAM
// socket is a datagram transport as it is).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <vector>

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

/// transport: a byte stream, or a datagram transport. Blocking or not is the transport's
/// business: an endpoint turns would_block into WANT_READ / WANT_WRITE and otherwise does
/// not care. A datagram transport (what a DTLS endpoint needs) reads one whole datagram
/// per read, cut to the buffer with the rest lost, as recv(2) on a SOCK_DGRAM socket; and
/// writes one datagram per write, all of it or nothing.
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

/// memory_datagram_pipe: two connected datagram ends in memory, like an AF_UNIX SOCK_DGRAM
/// socketpair: each direction queues at most `capacity` datagrams (a writer then blocks or
/// sees would_block). As on such a socket there is no end of stream: after shutdown_write
/// or close the other end's reads wait for ever (would_block when nonblocking), and
/// writing to a closed end fails with ECONNREFUSED, then ENOTCONN. A zero-length datagram
/// reads as 0 bytes (io_status::eof), which is what recv(2) returns for one; a DTLS
/// endpoint knows that this is no end of stream.
///
/// The faults a datagram network makes are commands on the datagrams queued for an end
/// (sent to it, not yet read), so a test injects them at a chosen moment, never by chance.
class memory_datagram_pipe {
 public:
  class end;
  explicit memory_datagram_pipe(std::size_t capacity = 64);
  ~memory_datagram_pipe();
  memory_datagram_pipe(const memory_datagram_pipe&) = delete;
  memory_datagram_pipe& operator=(const memory_datagram_pipe&) = delete;

  end& a() noexcept;
  end& b() noexcept;

  struct direction;  // one way's datagrams

 private:
  std::unique_ptr<direction> a_to_b_;
  std::unique_ptr<direction> b_to_a_;
  std::unique_ptr<end> a_;
  std::unique_ptr<end> b_;
};

class memory_datagram_pipe::end final : public transport {
 public:
  end(direction& in, direction& out) noexcept : in_(in), out_(out) {}
  io_result read(mutable_bytes out) noexcept override;
  io_result write(bytes_view in) noexcept override;
  /// shutdown_write: this end's later writes fail with EPIPE; the other end sees nothing.
  void shutdown_write() noexcept override;
  void set_nonblocking(bool on) noexcept { nonblocking_ = on; }
  /// close: drops what was queued for this end; the other end's writes fail ECONNREFUSED.
  void close() noexcept;

  // Faults, on the datagrams queued for this end, counted from the next one to be read.
  // Each returns false (and changes nothing) when there is no datagram at `index`.
  std::size_t queued() const noexcept;
  bool drop(std::size_t index = 0) noexcept;       // lost
  bool duplicate(std::size_t index = 0) noexcept;  // a copy follows it
  bool reorder(std::size_t index = 0) noexcept;    // it and the next one swap
  bool truncate(std::size_t index, std::size_t keep) noexcept;  // only its first `keep` bytes
  /// inject: a datagram queued last, as if the other end had sent it (a replay).
  void inject(bytes_view datagram) noexcept;
  /// peek_queued: a copy of the datagram at `index` (empty if none), to replay it later.
  std::vector<std::uint8_t> peek_queued(std::size_t index = 0) const;

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

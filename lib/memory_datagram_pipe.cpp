// memory_datagram_pipe.cpp — see closenotify/transport.hpp. Modelled on an AF_UNIX
// SOCK_DGRAM socketpair on Linux (net/unix/af_unix.c), because that is the transport the
// differential runs use: a bounded queue of whole datagrams, no end of stream, and a
// closed peer refusing writes.
#include <algorithm>
#include <cerrno>

#include "closenotify/transport.hpp"

namespace closenotify {

struct memory_datagram_pipe::direction {
  mutable std::mutex mu;
  std::condition_variable cv;
  std::deque<std::vector<std::uint8_t>> datagrams;
  std::size_t capacity;
  bool writer_shut = false;    // shutdown_write on the sending end: its writes fail EPIPE
  bool reader_closed = false;  // the receiving end closed: a write fails ECONNREFUSED,
                               // and every one after it ENOTCONN (the socket is disconnected)
  bool refused = false;

  explicit direction(std::size_t cap) : capacity(cap) {}
};

memory_datagram_pipe::memory_datagram_pipe(std::size_t capacity)
    : a_to_b_(std::make_unique<direction>(capacity)),
      b_to_a_(std::make_unique<direction>(capacity)),
      a_(std::make_unique<end>(*b_to_a_, *a_to_b_)),
      b_(std::make_unique<end>(*a_to_b_, *b_to_a_)) {}

memory_datagram_pipe::~memory_datagram_pipe() = default;

memory_datagram_pipe::end& memory_datagram_pipe::a() noexcept { return *a_; }
memory_datagram_pipe::end& memory_datagram_pipe::b() noexcept { return *b_; }

io_result memory_datagram_pipe::end::read(mutable_bytes out) noexcept {
  std::unique_lock lock(in_.mu);
  ++stats_.reads;
  if (in_.reader_closed) return {io_status::error, 0, EBADF};
  // No EOF on a datagram socket: an empty queue is waited on, whatever the other end did.
  while (in_.datagrams.empty()) {
    if (nonblocking_) return {io_status::would_block};
    in_.cv.wait(lock);
    if (in_.reader_closed) return {io_status::error, 0, EBADF};
  }
  std::vector<std::uint8_t> d = std::move(in_.datagrams.front());
  in_.datagrams.pop_front();
  in_.cv.notify_all();  // room for a blocked writer
  // recv(2) without MSG_TRUNC: the datagram is cut to the buffer and the rest is lost.
  const std::size_t n = std::min(out.size(), d.size());
  std::copy_n(d.begin(), n, out.begin());
  stats_.bytes_read += n;
  if (n == 0) return {io_status::eof};  // recv returns 0 for an empty datagram
  return {io_status::ok, n};
}

io_result memory_datagram_pipe::end::write(bytes_view in) noexcept {
  std::unique_lock lock(out_.mu);
  ++stats_.writes;
  for (;;) {
    if (out_.writer_shut) return {io_status::error, 0, EPIPE};
    if (out_.reader_closed) {
      const int e = out_.refused ? ENOTCONN : ECONNREFUSED;
      out_.refused = true;
      return {io_status::error, 0, e};
    }
    if (out_.datagrams.size() < out_.capacity) break;
    if (nonblocking_) return {io_status::would_block};
    out_.cv.wait(lock);
  }
  out_.datagrams.emplace_back(in.begin(), in.end());
  out_.cv.notify_all();
  stats_.bytes_written += in.size();
  return {io_status::ok, in.size()};
}

void memory_datagram_pipe::end::shutdown_write() noexcept {
  std::lock_guard lock(out_.mu);
  out_.writer_shut = true;
  out_.cv.notify_all();
}

void memory_datagram_pipe::end::close() noexcept {
  shutdown_write();
  std::lock_guard lock(in_.mu);
  in_.reader_closed = true;
  in_.datagrams.clear();
  in_.cv.notify_all();
}

std::size_t memory_datagram_pipe::end::queued() const noexcept {
  std::lock_guard lock(in_.mu);
  return in_.datagrams.size();
}

bool memory_datagram_pipe::end::drop(std::size_t index) noexcept {
  std::lock_guard lock(in_.mu);
  if (index >= in_.datagrams.size()) return false;
  in_.datagrams.erase(in_.datagrams.begin() + static_cast<std::ptrdiff_t>(index));
  in_.cv.notify_all();
  return true;
}

bool memory_datagram_pipe::end::duplicate(std::size_t index) noexcept {
  std::lock_guard lock(in_.mu);
  if (index >= in_.datagrams.size()) return false;
  auto copy = in_.datagrams[index];
  in_.datagrams.insert(in_.datagrams.begin() + static_cast<std::ptrdiff_t>(index + 1), std::move(copy));
  in_.cv.notify_all();
  return true;
}

bool memory_datagram_pipe::end::reorder(std::size_t index) noexcept {
  std::lock_guard lock(in_.mu);
  if (index + 1 >= in_.datagrams.size()) return false;
  std::swap(in_.datagrams[index], in_.datagrams[index + 1]);
  return true;
}

bool memory_datagram_pipe::end::truncate(std::size_t index, std::size_t keep) noexcept {
  std::lock_guard lock(in_.mu);
  if (index >= in_.datagrams.size()) return false;
  auto& d = in_.datagrams[index];
  if (keep < d.size()) d.resize(keep);
  return true;
}

void memory_datagram_pipe::end::inject(bytes_view datagram) noexcept {
  std::lock_guard lock(in_.mu);
  in_.datagrams.emplace_back(datagram.begin(), datagram.end());
  in_.cv.notify_all();
}

std::vector<std::uint8_t> memory_datagram_pipe::end::peek_queued(std::size_t index) const {
  std::lock_guard lock(in_.mu);
  if (index >= in_.datagrams.size()) return {};
  return in_.datagrams[index];
}

}  // namespace closenotify

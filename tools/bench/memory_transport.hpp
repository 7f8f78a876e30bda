// memory_transport.hpp — the in-memory transport of closenotify-bench: two ends, one flat
// buffer per direction, single-threaded, no lock (the library's memory_pipe is a
// thread-safe deque, built for tests that block; that is not what OpenSSL's BIO pair,
// the other side of figure 3, costs). A write copies in, a read copies out, as a BIO
// pair does.
#pragma once

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "closenotify/transport.hpp"

namespace closenotify::bench {

class memory_transport {
 public:
  struct direction {
    std::vector<std::uint8_t> buf = std::vector<std::uint8_t>(65536);
    std::size_t head = 0, tail = 0;
    bool closed = false;
  };

  class end final : public transport {
   public:
    end(direction& in, direction& out) noexcept : in_(in), out_(out) {}
    io_result read(mutable_bytes out) noexcept override {
      ++stats_.reads;
      const std::size_t avail = in_.tail - in_.head;
      if (avail == 0) return in_.closed ? io_result{io_status::eof} : io_result{io_status::would_block};
      const std::size_t n = std::min(avail, out.size());
      std::memcpy(out.data(), in_.buf.data() + in_.head, n);
      in_.head += n;
      if (in_.head == in_.tail) in_.head = in_.tail = 0;
      stats_.bytes_read += n;
      return {io_status::ok, n};
    }
    io_result write(bytes_view in) noexcept override {
      ++stats_.writes;
      if (out_.closed) return {io_status::error, 0, EPIPE};
      if (out_.tail == out_.buf.size() && out_.head > 0) {
        std::memmove(out_.buf.data(), out_.buf.data() + out_.head, out_.tail - out_.head);
        out_.tail -= out_.head;
        out_.head = 0;
      }
      const std::size_t n = std::min(out_.buf.size() - out_.tail, in.size());
      if (n == 0) return {io_status::would_block};
      std::memcpy(out_.buf.data() + out_.tail, in.data(), n);
      out_.tail += n;
      stats_.bytes_written += n;
      return {io_status::ok, n};
    }
    void shutdown_write() noexcept override { out_.closed = true; }

   private:
    direction& in_;
    direction& out_;
  };

  memory_transport() = default;
  memory_transport(const memory_transport&) = delete;
  memory_transport& operator=(const memory_transport&) = delete;

  end& a() noexcept { return a_; }
  end& b() noexcept { return b_; }

 private:
  direction a_to_b_, b_to_a_;
  end a_{b_to_a_, a_to_b_};
  end b_{a_to_b_, b_to_a_};
};

}  // namespace closenotify::bench

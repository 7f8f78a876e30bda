// test_transport.cpp — the memory pipe and the file-descriptor transport.
#include <doctest/doctest.h>

#include <array>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <random>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "closenotify/transport.hpp"

using namespace closenotify;

namespace {

std::vector<std::uint8_t> pattern(std::size_t n, std::uint32_t seed = 1) {
  std::mt19937 rng(seed);
  std::vector<std::uint8_t> v(n);
  for (auto& b : v) b = static_cast<std::uint8_t>(rng());
  return v;
}

// write_all / read_all through a nonblocking or blocking transport; nothing else drives
// the other end, so would_block ends the loop.
std::size_t write_some(transport& t, bytes_view in) {
  std::size_t done = 0;
  while (done < in.size()) {
    const io_result r = t.write(in.subspan(done));
    if (r.status != io_status::ok) break;
    REQUIRE(r.bytes > 0);
    done += r.bytes;
  }
  return done;
}

std::vector<std::uint8_t> read_available(transport& t, std::size_t chunk = 4096) {
  std::vector<std::uint8_t> got;
  std::vector<std::uint8_t> buf(chunk);
  for (;;) {
    const io_result r = t.read(buf);
    if (r.status != io_status::ok) break;
    got.insert(got.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(r.bytes));
  }
  return got;
}

// A pair of connected descriptors closed at scope end (unless closed earlier).
struct fd_pair {
  int fd[2] = {-1, -1};
  void close_one(int i) {
    if (fd[i] >= 0) ::close(fd[i]);
    fd[i] = -1;
  }
  ~fd_pair() {
    close_one(0);
    close_one(1);
  }
};

fd_pair make_socketpair() {
  fd_pair p;
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, p.fd) == 0);
  return p;
}

fd_pair make_pipe() {
  fd_pair p;
  REQUIRE(::pipe(p.fd) == 0);
  return p;
}

bool has_o_nonblock(int fd) {
  const int flags = ::fcntl(fd, F_GETFL);
  REQUIRE(flags >= 0);
  return (flags & O_NONBLOCK) != 0;
}

}  // namespace

TEST_CASE("io_status names itself") {
  CHECK(to_string(io_status::ok) == "ok");
  CHECK(to_string(io_status::would_block) == "would_block");
  CHECK(to_string(io_status::eof) == "eof");
  CHECK(to_string(io_status::error) == "error");
}

// --- memory_pipe ---------------------------------------------------------------------

TEST_CASE("a memory pipe end is blocking until set nonblocking") {
  memory_pipe p;
  CHECK_FALSE(p.a().nonblocking());
  p.a().set_nonblocking(true);
  CHECK(p.a().nonblocking());
  CHECK_FALSE(p.b().nonblocking());
  p.a().set_nonblocking(false);
  CHECK_FALSE(p.a().nonblocking());
}

TEST_CASE("a nonblocking read of an empty memory pipe would block and moves nothing") {
  memory_pipe p;
  p.a().set_nonblocking(true);
  p.b().set_nonblocking(true);
  std::array<std::uint8_t, 16> buf{};
  for (auto* e : {&p.a(), &p.b()}) {
    const io_result r = e->read(buf);
    CHECK(r.status == io_status::would_block);
    CHECK(r.bytes == 0);
    CHECK(r.error_number == 0);
  }
}

TEST_CASE("bytes written to one end come out of the other in order across many random-size chunks") {
  memory_pipe p(1 << 20);
  p.a().set_nonblocking(true);
  p.b().set_nonblocking(true);
  const auto data = pattern(200'000, 7);
  std::mt19937 rng(42);
  std::uniform_int_distribution<std::size_t> size(1, 3000);

  std::vector<std::uint8_t> got;
  std::size_t sent = 0;
  std::vector<std::uint8_t> buf(3000);
  while (sent < data.size() || p.b().pending() > 0) {
    if (sent < data.size()) {
      const std::size_t n = std::min(size(rng), data.size() - sent);
      const io_result w = p.a().write(bytes_view(data).subspan(sent, n));
      REQUIRE(w.status == io_status::ok);
      CHECK(w.bytes == n);  // far from capacity: never short
      sent += w.bytes;
    }
    if (rng() % 2 == 0 || sent == data.size()) {
      const std::size_t n = size(rng);
      const io_result r = p.b().read(mutable_bytes(buf).first(n));
      if (r.status == io_status::ok) {
        CHECK(r.bytes <= n);
        got.insert(got.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(r.bytes));
      } else {
        CHECK(r.status == io_status::would_block);
      }
    }
  }
  CHECK(got.size() == data.size());
  CHECK(got == data);
  CHECK(p.b().pending() == 0);
}

TEST_CASE("both directions of a memory pipe are independent") {
  memory_pipe p;
  p.a().set_nonblocking(true);
  p.b().set_nonblocking(true);
  const std::array<std::uint8_t, 3> ab{1, 2, 3};
  const std::array<std::uint8_t, 2> ba{9, 8};
  REQUIRE(p.a().write(ab).bytes == 3);
  REQUIRE(p.b().write(ba).bytes == 2);
  CHECK(p.b().pending() == 3);
  CHECK(p.a().pending() == 2);
  CHECK(read_available(p.b()) == std::vector<std::uint8_t>{1, 2, 3});
  CHECK(read_available(p.a()) == std::vector<std::uint8_t>{9, 8});
}

TEST_CASE("a nonblocking write beyond the capacity is short, then would block until the reader drains") {
  constexpr std::size_t cap = 1000;
  memory_pipe p(cap);
  p.a().set_nonblocking(true);
  p.b().set_nonblocking(true);
  const auto data = pattern(2500, 3);

  const io_result first = p.a().write(bytes_view(data).first(600));
  CHECK(first.status == io_status::ok);
  CHECK(first.bytes == 600);

  const io_result short_write = p.a().write(bytes_view(data).subspan(600));
  CHECK(short_write.status == io_status::ok);
  CHECK(short_write.bytes == cap - 600);
  CHECK(p.b().pending() == cap);

  const io_result blocked = p.a().write(bytes_view(data).subspan(cap));
  CHECK(blocked.status == io_status::would_block);
  CHECK(blocked.bytes == 0);

  std::array<std::uint8_t, 300> buf{};
  REQUIRE(p.b().read(buf).bytes == 300);
  CHECK(std::equal(buf.begin(), buf.end(), data.begin()));

  const io_result resumed = p.a().write(bytes_view(data).subspan(cap));
  CHECK(resumed.status == io_status::ok);
  CHECK(resumed.bytes == 300);
  CHECK(p.b().pending() == cap);

  auto rest = read_available(p.b());
  CHECK(rest.size() == cap);
  CHECK(std::equal(rest.begin(), rest.end(), data.begin() + 300));
}

TEST_CASE("after shutdown_write the peer reads the remaining bytes, then eof, repeatedly") {
  memory_pipe p;
  p.a().set_nonblocking(true);
  p.b().set_nonblocking(true);
  const std::array<std::uint8_t, 5> msg{'h', 'e', 'l', 'l', 'o'};
  REQUIRE(p.a().write(msg).bytes == 5);
  p.a().shutdown_write();

  std::array<std::uint8_t, 3> buf{};
  io_result r = p.b().read(buf);
  CHECK(r.status == io_status::ok);
  CHECK(r.bytes == 3);
  r = p.b().read(buf);
  CHECK(r.status == io_status::ok);
  CHECK(r.bytes == 2);
  CHECK(buf[0] == 'l');
  CHECK(buf[1] == 'o');
  CHECK(p.b().read(buf).status == io_status::eof);
  CHECK(p.b().read(buf).status == io_status::eof);

  SUBCASE("the half-closed end can still read what its peer sends") {
    const std::array<std::uint8_t, 2> reply{'o', 'k'};
    REQUIRE(p.b().write(reply).bytes == 2);
    CHECK(read_available(p.a()) == std::vector<std::uint8_t>{'o', 'k'});
  }
  SUBCASE("the half-closed end's own writes fail with EPIPE") {
    const io_result w = p.a().write(msg);
    CHECK(w.status == io_status::error);
    CHECK(w.error_number == EPIPE);
    CHECK(w.bytes == 0);
  }
}

TEST_CASE("after close() the peer reads eof and its writes fail with EPIPE") {
  memory_pipe p;
  p.a().set_nonblocking(true);
  p.b().set_nonblocking(true);
  const std::array<std::uint8_t, 4> msg{1, 2, 3, 4};
  REQUIRE(p.a().write(msg).bytes == 4);
  p.a().close();

  // What a sent before closing is still delivered, then EOF.
  CHECK(read_available(p.b()) == std::vector<std::uint8_t>{1, 2, 3, 4});
  std::array<std::uint8_t, 4> buf{};
  CHECK(p.b().read(buf).status == io_status::eof);

  const io_result w = p.b().write(msg);
  CHECK(w.status == io_status::error);
  CHECK(w.error_number == EPIPE);
  CHECK(w.bytes == 0);
}

TEST_CASE("close() without reset_on_unread discards unread bytes and the peer sees EPIPE, not ECONNRESET") {
  memory_pipe p;
  p.a().set_nonblocking(true);
  p.b().set_nonblocking(true);
  const std::array<std::uint8_t, 4> msg{1, 2, 3, 4};
  REQUIRE(p.b().write(msg).bytes == 4);
  REQUIRE(p.a().pending() == 4);
  p.a().close(false);
  CHECK(p.a().pending() == 0);
  const io_result w = p.b().write(msg);
  CHECK(w.status == io_status::error);
  CHECK(w.error_number == EPIPE);
}

TEST_CASE("close(true) with unread bytes makes the peer's writes fail with ECONNRESET") {
  memory_pipe p;
  p.a().set_nonblocking(true);
  p.b().set_nonblocking(true);
  const std::array<std::uint8_t, 4> msg{1, 2, 3, 4};
  REQUIRE(p.b().write(msg).bytes == 4);
  p.a().close(true);
  CHECK(p.a().pending() == 0);
  const io_result w = p.b().write(msg);
  CHECK(w.status == io_status::error);
  CHECK(w.error_number == ECONNRESET);
  CHECK(w.bytes == 0);
}

TEST_CASE("close(true) with nothing unread is an ordinary close: the peer sees EPIPE") {
  memory_pipe p;
  p.a().set_nonblocking(true);
  p.b().set_nonblocking(true);
  const std::array<std::uint8_t, 4> msg{1, 2, 3, 4};
  REQUIRE(p.b().write(msg).bytes == 4);
  CHECK(read_available(p.a()).size() == 4);
  p.a().close(true);
  const io_result w = p.b().write(msg);
  CHECK(w.status == io_status::error);
  CHECK(w.error_number == EPIPE);
}

TEST_CASE("a closed end's own reads fail with EBADF") {
  memory_pipe p;
  p.a().set_nonblocking(true);
  p.a().close();
  std::array<std::uint8_t, 4> buf{};
  const io_result r = p.a().read(buf);
  CHECK(r.status == io_status::error);
  CHECK(r.error_number == EBADF);
}

TEST_CASE("blocking ends carry 1 MiB through a 4 KiB pipe between two threads intact") {
  constexpr std::size_t total = 1 << 20;
  memory_pipe p(4096);
  REQUIRE_FALSE(p.a().nonblocking());
  REQUIRE_FALSE(p.b().nonblocking());
  const auto data = pattern(total, 99);

  // No doctest assertions off the main thread: record and check afterwards.
  bool writer_ok = true;
  std::size_t writer_calls = 0;
  std::thread writer([&] {
    std::mt19937 rng(5);
    std::uniform_int_distribution<std::size_t> size(1, 10000);
    std::size_t sent = 0;
    while (sent < total) {
      const std::size_t n = std::min(size(rng), total - sent);
      const io_result w = p.a().write(bytes_view(data).subspan(sent, n));
      ++writer_calls;
      if (w.status != io_status::ok || w.bytes == 0 || w.bytes > n) {
        writer_ok = false;
        break;
      }
      sent += w.bytes;
    }
    p.a().shutdown_write();
  });

  std::vector<std::uint8_t> got;
  got.reserve(total);
  std::vector<std::uint8_t> buf(1500);
  io_status last = io_status::ok;
  for (;;) {
    const io_result r = p.b().read(buf);
    last = r.status;
    if (r.status != io_status::ok) break;
    got.insert(got.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(r.bytes));
  }
  writer.join();

  CHECK(writer_ok);
  CHECK(last == io_status::eof);
  CHECK(got.size() == total);
  CHECK(got == data);
  CHECK(p.a().stats().bytes_written == total);
  CHECK(p.a().stats().writes == writer_calls);
  CHECK(p.b().stats().bytes_read == total);
}

TEST_CASE("a blocked reader wakes with eof when its peer closes") {
  memory_pipe p;
  io_result r{io_status::ok};
  std::thread reader([&] {
    std::array<std::uint8_t, 8> buf{};
    r = p.b().read(buf);
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  p.a().close();
  reader.join();
  CHECK(r.status == io_status::eof);
}

TEST_CASE("a blocked writer wakes with EPIPE when its peer closes") {
  memory_pipe p(8);
  const std::array<std::uint8_t, 8> fill{};
  REQUIRE(p.a().write(fill).bytes == 8);  // full now
  io_result w{io_status::ok};
  std::thread writer([&] { w = p.a().write(fill); });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  p.b().close();
  writer.join();
  CHECK(w.status == io_status::error);
  CHECK(w.error_number == EPIPE);  // close() without reset_on_unread
  CHECK(w.bytes == 0);
}

TEST_CASE("stats count every read and write call and the bytes each moved") {
  memory_pipe p(10);
  p.a().set_nonblocking(true);
  p.b().set_nonblocking(true);
  const std::array<std::uint8_t, 6> six{1, 2, 3, 4, 5, 6};
  std::array<std::uint8_t, 4> buf{};

  CHECK(p.a().stats().writes == 0);
  CHECK(p.b().stats().reads == 0);

  CHECK(p.b().read(buf).status == io_status::would_block);  // a call, no bytes
  CHECK(p.a().write(six).bytes == 6);
  CHECK(p.a().write(six).bytes == 4);                            // short
  CHECK(p.a().write(six).status == io_status::would_block);      // a call, no bytes
  CHECK(p.b().read(buf).bytes == 4);
  CHECK(p.b().read(buf).bytes == 4);

  const transport_stats& wa = p.a().stats();
  CHECK(wa.writes == 3);
  CHECK(wa.bytes_written == 10);
  CHECK(wa.reads == 0);
  CHECK(wa.bytes_read == 0);

  const transport_stats& rb = p.b().stats();
  CHECK(rb.reads == 3);
  CHECK(rb.bytes_read == 8);
  CHECK(rb.writes == 0);
  CHECK(rb.bytes_written == 0);
}

// --- fd_transport over a socketpair ----------------------------------------------------

TEST_CASE("fd_transport over a socketpair: a nonblocking read with nothing sent would block") {
  auto sp = make_socketpair();
  fd_transport t(sp.fd[0]);
  CHECK(t.fd() == sp.fd[0]);
  REQUIRE(t.set_nonblocking(true));
  std::array<std::uint8_t, 16> buf{};
  const io_result r = t.read(buf);
  CHECK(r.status == io_status::would_block);
  CHECK(r.bytes == 0);
  CHECK(t.stats().reads == 1);
  CHECK(t.stats().bytes_read == 0);
}

TEST_CASE("fd_transport over a socketpair: bytes written at one end are read at the other") {
  auto sp = make_socketpair();
  fd_transport a(sp.fd[0]);
  fd_transport b(sp.fd[1]);
  REQUIRE(b.set_nonblocking(true));
  const auto data = pattern(10'000, 11);
  CHECK(write_some(a, data) == data.size());
  CHECK(a.stats().bytes_written == data.size());
  CHECK(a.stats().writes >= 1);

  const auto got = read_available(b, 777);
  CHECK(got == data);
  CHECK(b.stats().bytes_read == data.size());
}

TEST_CASE("fd_transport over a socketpair: the peer's close is eof") {
  auto sp = make_socketpair();
  fd_transport a(sp.fd[0]);
  const std::array<std::uint8_t, 3> msg{7, 8, 9};
  {
    fd_transport b(sp.fd[1]);
    REQUIRE(b.write(msg).bytes == 3);
  }
  sp.close_one(1);
  std::array<std::uint8_t, 16> buf{};
  io_result r = a.read(buf);
  CHECK(r.status == io_status::ok);
  CHECK(r.bytes == 3);
  r = a.read(buf);
  CHECK(r.status == io_status::eof);
}

TEST_CASE("fd_transport over a socketpair: shutdown_write is eof at the peer, which can still answer") {
  auto sp = make_socketpair();
  fd_transport a(sp.fd[0]);
  fd_transport b(sp.fd[1]);
  a.shutdown_write();
  std::array<std::uint8_t, 16> buf{};
  CHECK(b.read(buf).status == io_status::eof);
  const std::array<std::uint8_t, 2> reply{'o', 'k'};
  REQUIRE(b.write(reply).bytes == 2);
  const io_result r = a.read(buf);
  CHECK(r.status == io_status::ok);
  CHECK(r.bytes == 2);
}

TEST_CASE("fd_transport over a socketpair: writing to a closed peer is EPIPE and raises no SIGPIPE") {
  // The default disposition, so a SIGPIPE would kill this process.
  struct sigaction old {};
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  REQUIRE(::sigaction(SIGPIPE, &dfl, &old) == 0);

  auto sp = make_socketpair();
  fd_transport a(sp.fd[0]);
  sp.close_one(1);
  const std::array<std::uint8_t, 4> msg{1, 2, 3, 4};
  const io_result w = a.write(msg);
  ::sigaction(SIGPIPE, &old, nullptr);

  CHECK(w.status == io_status::error);
  CHECK(w.error_number == EPIPE);
  CHECK(w.bytes == 0);
}

TEST_CASE("fd_transport::set_nonblocking toggles O_NONBLOCK on the descriptor") {
  auto sp = make_socketpair();
  fd_transport t(sp.fd[0]);
  REQUIRE_FALSE(has_o_nonblock(sp.fd[0]));
  CHECK(t.set_nonblocking(true));
  CHECK(has_o_nonblock(sp.fd[0]));
  CHECK(t.set_nonblocking(true));  // idempotent
  CHECK(has_o_nonblock(sp.fd[0]));
  CHECK(t.set_nonblocking(false));
  CHECK_FALSE(has_o_nonblock(sp.fd[0]));
  CHECK_FALSE(has_o_nonblock(sp.fd[1]));  // the peer's descriptor is untouched
}

TEST_CASE("fd_transport::set_nonblocking on a bad descriptor reports failure") {
  int fd = ::open("/dev/null", O_RDONLY);
  REQUIRE(fd >= 0);
  ::close(fd);  // now stale
  fd_transport t(fd);
  CHECK_FALSE(t.set_nonblocking(true));
  std::array<std::uint8_t, 4> buf{};
  const io_result r = t.read(buf);
  CHECK(r.status == io_status::error);
  CHECK(r.error_number == EBADF);
}

TEST_CASE("fd_transport over a full nonblocking socket: write would block") {
  auto sp = make_socketpair();
  fd_transport a(sp.fd[0]);
  REQUIRE(a.set_nonblocking(true));
  const std::vector<std::uint8_t> chunk(65536, 0x5a);
  io_result w{io_status::ok};
  for (int i = 0; i < 10'000 && w.status == io_status::ok; ++i) w = a.write(chunk);
  CHECK(w.status == io_status::would_block);
  CHECK(w.bytes == 0);
}

// --- fd_transport over a pipe(2) --------------------------------------------------------

TEST_CASE("fd_transport over a pipe: a nonblocking read with nothing written would block") {
  auto pp = make_pipe();
  fd_transport r(pp.fd[0]);
  REQUIRE(r.set_nonblocking(true));
  CHECK(has_o_nonblock(pp.fd[0]));
  std::array<std::uint8_t, 8> buf{};
  CHECK(r.read(buf).status == io_status::would_block);
}

TEST_CASE("fd_transport over a pipe: bytes round-trip, then closing the write end is eof") {
  auto pp = make_pipe();
  fd_transport r(pp.fd[0]);
  fd_transport w(pp.fd[1]);
  const auto data = pattern(3000, 21);
  CHECK(write_some(w, data) == data.size());
  CHECK(w.stats().bytes_written == data.size());
  pp.close_one(1);

  std::vector<std::uint8_t> got;
  std::array<std::uint8_t, 256> buf{};
  io_result res{io_status::ok};
  for (;;) {
    res = r.read(buf);
    if (res.status != io_status::ok) break;
    got.insert(got.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(res.bytes));
  }
  CHECK(res.status == io_status::eof);
  CHECK(got == data);
  CHECK(r.stats().bytes_read == data.size());
}

TEST_CASE("fd_transport over a pipe: with SIGPIPE ignored, writing after the reader closed is EPIPE") {
  struct sigaction old {};
  struct sigaction ign {};
  ign.sa_handler = SIG_IGN;
  sigemptyset(&ign.sa_mask);
  REQUIRE(::sigaction(SIGPIPE, &ign, &old) == 0);

  auto pp = make_pipe();
  fd_transport w(pp.fd[1]);
  pp.close_one(0);
  const std::array<std::uint8_t, 4> msg{1, 2, 3, 4};
  const io_result res = w.write(msg);
  ::sigaction(SIGPIPE, &old, nullptr);

  CHECK(res.status == io_status::error);
  CHECK(res.error_number == EPIPE);
}

// MSG_NOSIGNAL only exists for sockets; on a pipe fd_transport blocks SIGPIPE around the
// write instead. Run in a child with the default disposition, so a regression kills the
// child, not this process.
TEST_CASE("fd_transport over a pipe: writing after the reader closed is EPIPE and raises no SIGPIPE") {
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    // Everything in the child, so no other process holds the pipe's read end open.
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    ::sigaction(SIGPIPE, &dfl, nullptr);
    int fds[2];
    if (::pipe(fds) != 0) ::_exit(2);
    ::close(fds[0]);
    fd_transport w(fds[1]);
    const std::array<std::uint8_t, 4> msg{1, 2, 3, 4};
    const io_result res = w.write(msg);
    ::_exit(res.status == io_status::error && res.error_number == EPIPE ? 0 : 1);
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  CHECK_FALSE(WIFSIGNALED(status));
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}

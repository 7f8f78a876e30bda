// bio.cpp — the inherited socket and the custom BIO OpenSSL uses on it.
//
// Why not BIO_new_socket: the peer must (1) count every byte that crosses the socket
// (rx/tx), (2) capture what each step writes (`wire`), and (3) announce a wait with a
// `blocked` line *before* it waits, so the runner can tell a call that will never
// complete from one that is merely slow, without a timer. A socket BIO doing a blocking
// recv() can do none of these, so every syscall here is a single MSG_DONTWAIT attempt and
// waiting is an explicit poll() after the notice.
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "peer.hpp"

namespace peer {

namespace {

Socket* socket_of(BIO* bio) { return static_cast<Socket*>(BIO_get_data(bio)); }

// poll() one fd until one of `events` (or an error/hang-up) is reported, EINTR aside.
short poll_for(int fd, short events) {
  if (fd < 0) return POLLNVAL;  // poll() would ignore a negative fd and wait forever
  pollfd p{fd, events, 0};
  while (poll(&p, 1, -1) < 0) {
    if (errno != EINTR) return POLLERR;  // cannot wait: let the next attempt report why
  }
  return p.revents;
}

int bio_read(BIO* bio, char* buf, int len) {
  Socket* s = socket_of(bio);
  BIO_clear_retry_flags(bio);
  if (len <= 0) return 0;
  for (;;) {
    ssize_t n = s->receive(reinterpret_cast<unsigned char*>(buf), static_cast<std::size_t>(len));
    // 0 is EOF. OpenSSL 3.0's ssl3_read_n then asks BIO_eof(), which our ctrl answers from
    // the same flag, to raise "unexpected eof while reading" (or, with
    // SSL_OP_IGNORE_UNEXPECTED_EOF, to treat it as a close_notify).
    if (n >= 0) return static_cast<int>(n);
    if (errno == EINTR) continue;
    // Any other error (ECONNRESET, EBADF, ...) goes up with errno intact and no retry
    // flag: OpenSSL reports it as SSL_ERROR_SYSCALL.
    if (errno != EAGAIN && errno != EWOULDBLOCK) return -1;
    if (!s->blocking()) {
      BIO_set_retry_read(bio);
      return -1;
    }
    s->wait_readable();
  }
}

int bio_write(BIO* bio, const char* buf, int len) {
  Socket* s = socket_of(bio);
  BIO_clear_retry_flags(bio);
  if (len <= 0) return 0;
  for (;;) {
    // A partial write returns the partial count; OpenSSL (ssl3_write_pending) calls again
    // for the rest, which then waits here in blocking mode.
    ssize_t n = s->send(reinterpret_cast<const unsigned char*>(buf), static_cast<std::size_t>(len));
    if (n >= 0) return static_cast<int>(n);
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) return -1;  // EPIPE etc., errno intact
    if (!s->blocking()) {
      BIO_set_retry_write(bio);
      return -1;
    }
    s->wait_writable();
  }
}

long bio_ctrl(BIO* bio, int cmd, long num, void* /*ptr*/) {
  switch (cmd) {
    case BIO_CTRL_FLUSH:  // nothing is buffered on the way out
      return 1;
    case BIO_CTRL_EOF:
      return socket_of(bio)->eof() ? 1 : 0;
    case BIO_CTRL_DUP:
      return 1;
    case BIO_CTRL_GET_CLOSE:
      return BIO_get_shutdown(bio);
    case BIO_CTRL_SET_CLOSE:
      BIO_set_shutdown(bio, static_cast<int>(num));
      return 1;
    default:  // kTLS queries, pending counts, ...: "not supported" is the right answer
      return 0;
  }
}

int bio_create(BIO* bio) {
  BIO_set_init(bio, 1);
  return 1;
}

// The fd belongs to Socket, whatever BIO_CLOSE says: nothing to release here.
int bio_destroy(BIO* /*bio*/) { return 1; }

}  // namespace

int Socket::close() {
  int fd = fd_;
  fd_ = -1;  // even a failed close(2) releases the descriptor on Linux
  return ::close(fd);
}

int Socket::shutdown_write() { return ::shutdown(fd_, SHUT_WR); }

bool Socket::set_blocking(bool blocking) {
  if (fd_ < 0) {
    blocking_ = blocking;
    return true;
  }
  int flags = fcntl(fd_, F_GETFL);
  if (flags < 0) return false;
  flags = blocking ? (flags & ~O_NONBLOCK) : (flags | O_NONBLOCK);
  if (fcntl(fd_, F_SETFL, flags) < 0) return false;
  blocking_ = blocking;
  return true;
}

ssize_t Socket::receive(unsigned char* buf, std::size_t len) {
  if (eof_) return 0;  // EOF on a stream socket is final
  if (fd_ < 0) {
    errno = EBADF;
    return -1;
  }
  ssize_t n = ::recv(fd_, buf, len, MSG_DONTWAIT);
  if (n > 0) rx_ += static_cast<std::uint64_t>(n);
  if (n == 0) eof_ = true;
  return n;
}

ssize_t Socket::send(const unsigned char* buf, std::size_t len) {
  if (fd_ < 0) {
    errno = EBADF;
    return -1;
  }
  // MSG_NOSIGNAL: a write to a socket the other side closed is EPIPE, not a signal.
  ssize_t n = ::send(fd_, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
  if (n > 0) {
    tx_ += static_cast<std::uint64_t>(n);
    if (wire_marks_.empty() || wire_marks_.back().first != rx_) wire_marks_.emplace_back(rx_, wire_.size());
    wire_.insert(wire_.end(), buf, buf + n);
  }
  return n;
}

std::string Socket::wire_segments() const {
  std::string out;
  for (std::size_t i = 0; i < wire_marks_.size(); ++i) {
    const std::size_t begin = wire_marks_[i].second;
    const std::size_t end = i + 1 < wire_marks_.size() ? wire_marks_[i + 1].second : wire_.size();
    out += (out.empty() ? "" : "/") + std::to_string(wire_marks_[i].first) + ":";
    append_hex(out, wire_.data() + begin, end - begin);
  }
  return out.empty() ? "-" : out;
}

int Socket::send_all(const unsigned char* buf, std::size_t len) {
  while (len > 0) {
    ssize_t n = send(buf, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) return -1;
      wait_writable();
      continue;
    }
    buf += n;
    len -= static_cast<std::size_t>(n);
  }
  return 0;
}

void Socket::wait_readable() {
  // The caller has just seen EAGAIN, so the socket is empty: rx counts everything.
  emit("blocked read rx=" + std::to_string(rx_) + " tx=" + std::to_string(tx_));
  wait(POLLIN);
}

void Socket::wait_writable() {
  // A writer does not read while it waits, exactly like OpenSSL on a plain socket BIO and
  // like the runner's closenotify transport: two sides both blocked writing is a real
  // deadlock, and the runner judges it as one.
  emit("blocked write rx=" + std::to_string(rx_) + " tx=" + std::to_string(tx_));
  wait(POLLOUT);
}

void Socket::wait(short events) {
  if (stop_fd_ < 0) {
    poll_for(fd_, events);
    return;
  }
  // The runner sends nothing to a peer inside a call but the order to stop it: input on
  // stop_fd_ (or its end) ends the wait with the socket closed, so that the call fails
  // (EBADF) without a byte more on the wire, and the command loop reads the order.
  pollfd p[2] = {{fd_, events, 0}, {stop_fd_, POLLIN, 0}};
  while (poll(p, 2, -1) < 0) {
    if (errno != EINTR) return;
  }
  if (p[1].revents != 0) {
    stopped_ = true;
    close();
  }
}

namespace {

// One method for the process, never freed (BIOs of the last connection may point to it
// until exit). Not one per connection: each BIO_get_new_index call takes the next type
// number for good (from BIO_TYPE_START, 128), and a pooled peer would run out after 127
// connections. From the 128th call 3.5 returns -1 (measured), and -1 |
// BIO_TYPE_SOURCE_SINK is a type with every flag bit set; 1.1.1 and 3.0 do not check
// (bio_meth.c: "CRYPTO_UP_REF(&bio_count, &newval, ...) ... return newval"), and the
// number runs into the BIO_TYPE_DESCRIPTOR and BIO_TYPE_FILTER bits. Either way, what
// BIO_find_type and BIO_method_type said of a connection's BIO depended on how many
// connections came before it.
BIO_METHOD* socket_method() {
  static BIO_METHOD* const method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "closenotify-peer socket");
    if (m != nullptr && (!BIO_meth_set_read(m, bio_read) || !BIO_meth_set_write(m, bio_write) ||
                         !BIO_meth_set_ctrl(m, bio_ctrl) || !BIO_meth_set_create(m, bio_create) ||
                         !BIO_meth_set_destroy(m, bio_destroy))) {
      BIO_meth_free(m);
      m = nullptr;
    }
    return m;
  }();
  return method;
}

}  // namespace

BIO* Socket::new_bio() {
  BIO_METHOD* method = socket_method();
  if (method == nullptr) return nullptr;
  BIO* bio = BIO_new(method);
  if (bio == nullptr) return nullptr;
  BIO_set_data(bio, this);
  BIO_set_shutdown(bio, BIO_NOCLOSE);
  return bio;
}

}  // namespace peer

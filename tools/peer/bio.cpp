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
    // for the rest, which then waits here in blocking mode. On a datagram socket a write is
    // one datagram, sent whole or not at all (never split: OpenSSL hands the BIO one
    // datagram per call, a record or the flight BIO_f_buffer packed up to the MTU).
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
  Socket* s = socket_of(bio);
  switch (cmd) {
    case BIO_CTRL_FLUSH:  // nothing is buffered on the way out
      return 1;
    case BIO_CTRL_EOF:
      // A datagram socket has no end of file (an empty datagram is a datagram), and
      // OpenSSL's own dgram BIO answers 0 here too (dgram_ctrl has no BIO_CTRL_EOF case).
      return s->eof() ? 1 : 0;
    case BIO_CTRL_DUP:
      return 1;
    case BIO_CTRL_GET_CLOSE:
      return BIO_get_shutdown(bio);
    case BIO_CTRL_SET_CLOSE:
      BIO_set_shutdown(bio, static_cast<int>(num));
      return 1;
    default:
      break;
  }
  if (!s->datagram()) return 0;  // kTLS queries, pending counts, ...: "not supported"
  // The datagram controls DTLS sends its BIO, in 1.1.1, 3.0 and 3.5 alike (ssl/d1_lib.c,
  // ssl/statem/statem_dtls.c). 3.5's other datagram controls (local address, caps,
  // BIO_dgram_get_mtu) are QUIC's (ssl/quic/), never sent by DTLS; they get 0 below.
  switch (cmd) {
    // dtls1_min_mtu: "return dtls1_link_min_mtu() - BIO_dgram_get_mtu_overhead(SSL_get_wbio(s));"
    // and dtls1_query_mtu: "s->d1->mtu = s->d1->link_mtu - BIO_dgram_get_mtu_overhead(...)".
    // An AF_UNIX datagram carries no IP or UDP header: the whole datagram is the payload.
    case BIO_CTRL_DGRAM_GET_MTU_OVERHEAD:
      return 0;
    // Asked only without SSL_OP_NO_QUERY_MTU ("if (!(SSL_get_options(s) & SSL_OP_NO_QUERY_MTU))
    // { s->d1->mtu = BIO_ctrl(SSL_get_wbio(s), BIO_CTRL_DGRAM_QUERY_MTU, 0, NULL);" and
    // dtls1_check_timeout_num's GET_FALLBACK_MTU), which the peer always sets; should that
    // change, the answer is the MTU the peer sets anyway.
    case BIO_CTRL_DGRAM_QUERY_MTU:
    case BIO_CTRL_DGRAM_GET_FALLBACK_MTU:
    case BIO_CTRL_DGRAM_GET_MTU:
      return kDtlsMtu;
    case BIO_CTRL_DGRAM_SET_MTU:  // dgram_ctrl: "data->mtu = num; ret = num;"
      return num;
    // statem_dtls.c, after a failed write: "if (retry && BIO_ctrl(SSL_get_wbio(s),
    // BIO_CTRL_DGRAM_MTU_EXCEEDED, 0, NULL) > 0)". A socketpair has no path MTU to shrink
    // to (a datagram too large for the socket is EMSGSIZE whatever OpenSSL then does), so
    // never: the write fails as it is.
    case BIO_CTRL_DGRAM_MTU_EXCEEDED:
      return 0;
    // dtls1_start_timer / dtls1_stop_timer: "BIO_ctrl(SSL_get_rbio(s),
    // BIO_CTRL_DGRAM_SET_NEXT_TIMEOUT, 0, &(s->d1->next_timeout));" OpenSSL's dgram BIO
    // turns it into a receive timeout so that a blocked read returns when a retransmission
    // is due. This BIO never times out a read: the peer makes the timer too long to fire
    // (Tls::handshake, DTLS_set_timer_cb) and checks that none runs after the handshake,
    // so no retransmission depends on how fast the machine is. The return value is not
    // read; 1 as dgram_ctrl's.
    case BIO_CTRL_DGRAM_SET_NEXT_TIMEOUT:
      return 1;
    default:  // peer addresses (DTLSv1_listen only: no cookie exchange here), SCTP, ...
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

namespace {

bool is_datagram_socket(int fd) {
  if (fd < 0) return false;
  int type = 0;
  socklen_t len = sizeof type;
  return getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0 && type == SOCK_DGRAM;
}

}  // namespace

Socket::Socket(int fd) : fd_(fd), datagram_(is_datagram_socket(fd)) {}

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
  if (datagram_) {
    // One datagram. MSG_TRUNC: recv returns the datagram's real length even when `len`
    // took only its front ("return the real length of the packet or datagram, even when
    // it was longer than the passed buffer", recv(2)); the rest is gone, as for OpenSSL's
    // dgram BIO. rx counts every byte taken off the socket, so that a side blocked
    // reading with rx equal to the other side's tx has consumed all it was sent.
    ssize_t n = ::recv(fd_, buf, len, MSG_DONTWAIT | MSG_TRUNC);
    if (n < 0) return n;
    rx_ += static_cast<std::uint64_t>(n);
    return n > static_cast<ssize_t>(len) ? static_cast<ssize_t>(len) : n;
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
    // A datagram socket: one segment per datagram (several may share their rx), so that
    // hs_wire keeps the datagram boundaries a capture as UDP needs.
    if (datagram_ || wire_marks_.empty() || wire_marks_.back().first != rx_) wire_marks_.emplace_back(rx_, wire_.size());
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
  if (datagram_) {
    // `raw HEX` is ONE datagram (docs/peer-protocol.md), empty or not.
    for (;;) {
      if (send(buf, len) >= 0) return 0;
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) return -1;
      wait_writable();
    }
  }
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

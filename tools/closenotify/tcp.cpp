// tcp.cpp — see tcp.hpp.
#include "tcp.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "side.hpp"

namespace closenotify::cli::tcp {

using clock = std::chrono::steady_clock;

std::string set_nodelay(int fd) {
  // tcp(7): "TCP_NODELAY If set, disable the Nagle algorithm. This means that segments are
  // always sent as soon as possible, even if there is only a small amount of data."
  // Without it a TLS 1.3 server's first response record waited behind its
  // NewSessionTickets for the client's delayed ACK (about 40 ms on Linux); s_server sets
  // it on every accepted socket (apps/lib/s_socket.c: "BIO_set_tcp_ndelay(sock, 1);").
  const int one = 1;
  if (::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0) {
    return std::string("TCP_NODELAY: ") + std::strerror(errno);
  }
  return "";
}

arrived peer_closed(int fd) {
  // poll(2): "POLLRDHUP (since Linux 2.6.17) Stream socket peer closed connection, or shut
  // down writing half of connection." It says so while data is still queued before the
  // FIN, which a read would have to consume first.
  // A RST sets a pending error (POLLERR), which is left for the endpoint's next read to
  // report as ECONNRESET: SO_ERROR is not read here, since reading it clears it.
  pollfd p{fd, POLLRDHUP, 0};
  if (::poll(&p, 1, 0) <= 0) return arrived::nothing;
  if ((p.revents & POLLERR) != 0) return arrived::rst;
  if ((p.revents & (POLLRDHUP | POLLHUP)) != 0) return arrived::fin;
  return arrived::nothing;
}

void lingering_close(int fd, int stop_fd) {
  // OpenSSL's s_server, after every connection (apps/lib/s_socket.c, do_server):
  //   "If we ended with an alert being sent, but still with data in the network buffer to
  //    be read, then calling BIO_closesocket() will result in a TCP-RST being sent. [...]
  //    Shutting down the sending side first, and then closing the socket sends TCP-FIN
  //    first followed by TCP-RST. This seems to allow the peer to read the alert data."
  //   shutdown(sock, 1); /* SHUT_WR */
  //   "We just said we have nothing else to say, but it doesn't mean that the other side
  //    has nothing. It's even recommended to consume incoming data."
  // and it reads for at most 500 ms ("some extreme round-trip"). Here the bytes are
  // bounded too. If close(2) still finds data unread and sends a RST, the alert and the
  // FIN are already on their way ahead of it.
  ::shutdown(fd, SHUT_WR);
  const auto deadline = clock::now() + kLingerTime;
  std::size_t drained = 0;
  char sink[16384];
  while (drained < kLingerBytes) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now()).count();
    if (left <= 0) break;
    pollfd p[2] = {{fd, POLLIN, 0}, {stop_fd, POLLIN, 0}};
    const int r = ::poll(p, stop_fd >= 0 ? 2 : 1, static_cast<int>(left));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0 || (stop_fd >= 0 && p[1].revents != 0)) break;
    const ssize_t n = ::recv(fd, sink, sizeof sink, MSG_DONTWAIT);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) break;  // the other side's EOF, or its RST
    drained += static_cast<std::size_t>(n);
  }
  diff::close_socket(fd);
}

}  // namespace closenotify::cli::tcp

// bench.cpp — closenotify-peer's benchmark modes: what OpenSSL 3.0 itself costs for the
// figures of `closenotify bench` (docs/performance.md), measured inside this process so
// that only OpenSSL's work is counted, never a pipe or the runner.
//
//   closenotify-peer --bench SUITE
//       Commands on stdin, one per line; each is answered with one JSON object on one line
//       on stdout ({"error": "..."} when it cannot be run). Connections are client and
//       server SSL objects of this process, over a BIO pair (memory) or a socketpair:
//         hello           {"openssl": OpenSSL_version}
//         app N           N x (SSL_write of 16384 bytes by the client, SSL_read of them by
//                         the server) on one established BIO-pair connection: {"records", "ns"}
//         close N         N fresh BIO-pair connections (handshakes untimed), then N client
//                         SSL_shutdown (each writes a close_notify; returns 0) timed, then
//                         N server SSL_read (each reads it; returns 0, ZERO_RETURN) timed:
//                         {"n", "shutdown_ns", "read_ns"}
//         memory          heap retained by one client and one server SSL (socketpair, after
//                         the handshake and one 16 KiB record each way; freed one at a
//                         time), allocations per record in steady state and during one
//                         bidirectional shutdown (CRYPTO_set_mem_functions counters)
//         syscalls [read-ahead]
//                         one bidirectional shutdown over a socketpair (client SSL_shutdown,
//                         server SSL_read, server SSL_shutdown, client SSL_shutdown): the
//                         read and write calls each side's socket BIO made (each one
//                         read(2)/write(2)), from a BIO callback
//         quit
//   closenotify-peer --bench-syscalls SUITE K shutdown|none [read-ahead]
//       K socketpair connections, each handshaken and, with `shutdown`, shut down as in
//       `syscalls`; prints one JSON line at the end. Run under `strace -c` twice (shutdown
//       and none) the difference over K is the syscalls of one shutdown exchange.
//
// Session tickets are off (a TLS 1.3 server would otherwise send two after the
// handshake, which the client reads inside its shutdown) and so is the session cache:
// closenotify has neither, and the comparison is of one connection's record layer.
#include <fcntl.h>
#include <malloc.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "error.hpp"
#include "json.hpp"
#include "peer.hpp"

namespace peer::bench {

namespace {

// ---- counting allocator (CRYPTO_set_mem_functions) -----------------------------------
// Live bytes are counted as malloc_usable_size, as closenotify-bench counts its own, so
// the two sides' per-connection figures are measured with the same ruler.
std::atomic<std::uint64_t> g_allocations{0};
std::atomic<std::int64_t> g_live_bytes{0};
bool g_counting = false;

void* counting_malloc(std::size_t n, const char* /*file*/, int /*line*/) {
  void* p = std::malloc(n);
  if (p != nullptr) {
    g_allocations.fetch_add(1, std::memory_order_relaxed);
    g_live_bytes.fetch_add(static_cast<std::int64_t>(malloc_usable_size(p)), std::memory_order_relaxed);
  }
  return p;
}

void counting_free(void* p, const char* /*file*/, int /*line*/) {
  if (p == nullptr) return;
  g_live_bytes.fetch_sub(static_cast<std::int64_t>(malloc_usable_size(p)), std::memory_order_relaxed);
  std::free(p);
}

void* counting_realloc(void* p, std::size_t n, const char* file, int line) {
  if (p == nullptr) return counting_malloc(n, file, line);
  if (n == 0) {
    counting_free(p, file, line);
    return nullptr;
  }
  const auto old = static_cast<std::int64_t>(malloc_usable_size(p));
  void* q = std::realloc(p, n);
  if (q != nullptr) {
    g_allocations.fetch_add(1, std::memory_order_relaxed);
    g_live_bytes.fetch_add(static_cast<std::int64_t>(malloc_usable_size(q)) - old, std::memory_order_relaxed);
  }
  return q;
}

std::uint64_t allocations() { return g_allocations.load(std::memory_order_relaxed); }
std::int64_t live_bytes() { return g_live_bytes.load(std::memory_order_relaxed); }

// ---- output --------------------------------------------------------------------------

// Every answer is one JSON object on one line, keys in the order set; bytes that are not
// UTF-8 (an OpenSSL reason string could carry any) are replaced (json_text).
using closenotify::tools::json;
using closenotify::tools::json_text;

void answer(const json& j) {
  const std::string text = json_text(j);
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

// The tools' one error type: a step that cannot be measured says why, and the command
// is answered with {"error": why}.
using closenotify::tools::error;
using closenotify::tools::fail;
template <class T>
using result = closenotify::tools::result<T>;
using failure = std::optional<error>;  // nothing when the step did what it should

std::string ssl_failure(const char* call, SSL* ssl, int ret) {
  std::string why = queued_reason();
  ERR_clear_error();
  return std::string(call) + " returned " + std::to_string(ret) + " (SSL_get_error " +
         std::to_string(SSL_get_error(ssl, ret)) + (why.empty() ? "" : ", " + why) + ")";
}

std::uint64_t now_ns() {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
          .count());
}

// ---- connections ---------------------------------------------------------------------

constexpr int kRecord = 16384;

struct Contexts {
  SSL_CTX* client = nullptr;
  SSL_CTX* server = nullptr;
  Contexts() = default;
  Contexts(const Contexts&) = delete;
  Contexts& operator=(const Contexts&) = delete;
  ~Contexts() {
    SSL_CTX_free(client);
    SSL_CTX_free(server);
  }
};

result<std::unique_ptr<Contexts>> make_contexts(const std::string& suite, bool read_ahead) {
  auto c = std::make_unique<Contexts>();
  HandshakeParams p;
  p.suite = suite;
  p.tls13 = suite.rfind("TLS_", 0) == 0;
  p.tickets = 0;
  std::string why;
  p.client = true;
  c->client = new_context(p, why);
  if (c->client == nullptr) return fail(why);
  p.client = false;
  c->server = new_context(p, why);
  if (c->server == nullptr) return fail(why);
  for (SSL_CTX* ctx : {c->client, c->server}) {
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    if (read_ahead) SSL_CTX_set_read_ahead(ctx, 1);
  }
  return c;
}

// io_count: the socket BIO's read and write calls (each one read(2) or write(2)).
struct IoCount {
  std::uint64_t reads = 0;
  std::uint64_t writes = 0;
};

long count_io(BIO* bio, int oper, const char* /*argp*/, std::size_t /*len*/, int /*argi*/, long /*argl*/, int ret,
              std::size_t* /*processed*/) {
  auto* c = reinterpret_cast<IoCount*>(BIO_get_callback_arg(bio));
  if (c != nullptr && oper == (BIO_CB_READ | BIO_CB_RETURN)) ++c->reads;
  if (c != nullptr && oper == (BIO_CB_WRITE | BIO_CB_RETURN)) ++c->writes;
  return ret;
}

// A client and a server SSL of this process, connected by a BIO pair or a socketpair.
struct Connection {
  SSL* client = nullptr;
  SSL* server = nullptr;
  int fds[2] = {-1, -1};
  IoCount client_io, server_io;

  Connection() = default;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection() {
    SSL_free(client);
    SSL_free(server);
    for (int fd : fds) {
      if (fd >= 0) ::close(fd);
    }
  }

  failure create(const Contexts& ctx) {
    client = SSL_new(ctx.client);
    server = SSL_new(ctx.server);
    if (client == nullptr || server == nullptr) return fail("SSL_new failed: " + queued_reason());
    SSL_set_connect_state(client);
    SSL_set_accept_state(server);
    return std::nullopt;
  }

  // Memory: a BIO pair, each half with room for several whole records.
  failure over_memory(const Contexts& ctx) {
    if (auto e = create(ctx)) return e;
    BIO* c = nullptr;
    BIO* s = nullptr;
    if (BIO_new_bio_pair(&c, 65536, &s, 65536) != 1) return fail("BIO_new_bio_pair failed");
    SSL_set_bio(client, c, c);
    SSL_set_bio(server, s, s);
    return std::nullopt;
  }

  // A nonblocking AF_UNIX socketpair with plain socket BIOs (read(2) and write(2)).
  failure over_socketpair(const Contexts& ctx) {
    if (auto e = create(ctx)) return e;
    if (::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0) return fail(std::string("socketpair: ") + std::strerror(errno));
    for (int fd : fds) ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    BIO* c = BIO_new_socket(fds[0], BIO_NOCLOSE);
    BIO* s = BIO_new_socket(fds[1], BIO_NOCLOSE);
    if (c == nullptr || s == nullptr) {
      BIO_free(c);
      BIO_free(s);
      return fail("BIO_new_socket failed");
    }
    BIO_set_callback_ex(c, count_io);
    BIO_set_callback_arg(c, reinterpret_cast<char*>(&client_io));
    BIO_set_callback_ex(s, count_io);
    BIO_set_callback_arg(s, reinterpret_cast<char*>(&server_io));
    SSL_set_bio(client, c, c);
    SSL_set_bio(server, s, s);
    return std::nullopt;
  }

  // Both sides' handshakes, alternately, until both are done (everything is nonblocking).
  failure handshake() {
    for (int round = 0; round < 64; ++round) {
      const int c = SSL_do_handshake(client);
      const int s = SSL_do_handshake(server);
      if (c == 1 && s == 1) return std::nullopt;
      for (auto [ssl, r] : {std::pair{client, c}, std::pair{server, s}}) {
        const int err = SSL_get_error(ssl, r);
        if (r != 1 && err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) {
          return fail(ssl_failure("SSL_do_handshake", ssl, r));
        }
      }
    }
    return fail("handshake did not finish");
  }

  // One record each way, so that every buffer a connection keeps exists.
  failure one_record_each_way(std::vector<unsigned char>& buf) {
    for (auto [from, to] : {std::pair{client, server}, std::pair{server, client}}) {
      int w = SSL_write(from, buf.data(), kRecord);
      if (w != kRecord) return fail(ssl_failure("SSL_write", from, w));
      int got = 0;
      while (got < kRecord) {
        int r = SSL_read(to, buf.data(), kRecord);
        if (r <= 0) return fail(ssl_failure("SSL_read", to, r));
        got += r;
      }
    }
    return std::nullopt;
  }

  // The bidirectional shutdown of `closenotify bench` figure 4, checking every return.
  failure shutdown_exchange() {
    unsigned char b[64];
    int r = SSL_shutdown(client);
    if (r != 0) return fail(ssl_failure("first client SSL_shutdown", client, r));
    r = SSL_read(server, b, sizeof b);
    if (r != 0 || SSL_get_error(server, r) != SSL_ERROR_ZERO_RETURN) return fail(ssl_failure("server SSL_read", server, r));
    r = SSL_shutdown(server);
    if (r != 1) return fail(ssl_failure("server SSL_shutdown", server, r));
    r = SSL_shutdown(client);
    if (r != 1) return fail(ssl_failure("second client SSL_shutdown", client, r));
    return std::nullopt;
  }

  // A connection over memory or a socketpair, handshaken.
  static result<std::unique_ptr<Connection>> established(const Contexts& ctx, bool socketpair) {
    auto k = std::make_unique<Connection>();
    if (auto e = socketpair ? k->over_socketpair(ctx) : k->over_memory(ctx)) return *e;
    if (auto e = k->handshake()) return *e;
    return k;
  }
};

std::vector<unsigned char> payload() {
  std::vector<unsigned char> p(kRecord);
  for (std::size_t i = 0; i < p.size(); ++i) p[i] = static_cast<unsigned char>(i % 251);
  return p;
}

result<std::size_t> count_of(const std::string& word) {
  std::size_t v = 0;
  for (char c : word) {
    if (c < '0' || c > '9' || v > 100'000'000) return fail("not a count: " + word);
    v = v * 10 + static_cast<std::size_t>(c - '0');
  }
  if (word.empty() || v == 0) return fail("not a count: " + word);
  return v;
}

class Bench {
 public:
  // The steady connection's handshake and warm-up come first: a suite that cannot be set
  // up is one error, before any command.
  static result<std::unique_ptr<Bench>> make(const std::string& suite) {
    auto ctx = make_contexts(suite, false);
    if (auto* e = std::get_if<error>(&ctx)) return *e;
    std::unique_ptr<Bench> b(new Bench(suite, std::move(std::get<0>(ctx))));
    if (auto e = b->steady_.over_memory(*b->ctx_)) return *e;
    if (auto e = b->steady_.handshake()) return *e;
    for (int i = 0; i < 8; ++i) {  // warm up
      if (auto e = b->app_record()) return *e;
    }
    return b;
  }

  result<json> run(const std::vector<std::string>& w) {
    const std::string& c = w[0];
    if (c == "hello") return json{{"openssl", OpenSSL_version(OPENSSL_VERSION)}};
    if ((c == "app" || c == "close") && w.size() == 2) {
      auto n = count_of(w[1]);
      if (auto* e = std::get_if<error>(&n)) return *e;
      return c == "app" ? app(std::get<0>(n)) : close(std::get<0>(n));
    }
    if (c == "memory" && w.size() == 1) return memory();
    if (c == "syscalls" && (w.size() == 1 || (w.size() == 2 && w[1] == "read-ahead"))) return syscalls(w.size() == 2);
    return fail("unknown command (hello, app N, close N, memory, syscalls [read-ahead], quit)");
  }

 private:
  Bench(std::string suite, std::unique_ptr<Contexts> ctx) : suite_(std::move(suite)), ctx_(std::move(ctx)) {}

  failure app_record() {
    int r = SSL_write(steady_.client, payload_.data(), kRecord);
    if (r != kRecord) return fail(ssl_failure("SSL_write", steady_.client, r));
    r = SSL_read(steady_.server, buffer_.data(), kRecord);
    if (r != kRecord) return fail(ssl_failure("SSL_read", steady_.server, r));
    return std::nullopt;
  }

  result<json> app(std::size_t n) {
    const std::uint64_t t0 = now_ns();
    for (std::size_t i = 0; i < n; ++i) {
      if (auto e = app_record()) return *e;
    }
    const std::uint64_t t1 = now_ns();
    return json{{"records", n}, {"ns", t1 - t0}};
  }

  result<json> close(std::size_t n) {
    std::vector<std::unique_ptr<Connection>> conns;
    for (std::size_t i = 0; i < n; ++i) {
      auto k = Connection::established(*ctx_, false);
      if (auto* e = std::get_if<error>(&k)) return *e;
      conns.push_back(std::move(std::get<0>(k)));
    }
    int bad = 0;
    const std::uint64_t t0 = now_ns();
    for (auto& k : conns) bad += SSL_shutdown(k->client) != 0;
    const std::uint64_t t1 = now_ns();
    for (auto& k : conns) bad += SSL_read(k->server, buffer_.data(), kRecord) != 0;
    const std::uint64_t t2 = now_ns();
    for (auto& k : conns) bad += SSL_get_error(k->server, 0) != SSL_ERROR_ZERO_RETURN;
    if (bad != 0) return fail(std::to_string(bad) + " unexpected SSL_shutdown / SSL_read results");
    return json{{"n", n}, {"shutdown_ns", t1 - t0}, {"read_ns", t2 - t1}};
  }

  result<json> memory() {
    if (!g_counting) return json{{"counting", false}};
    json out = {{"counting", true}};
    {
      auto made = Connection::established(*ctx_, true);
      if (auto* e = std::get_if<error>(&made)) return *e;
      Connection& k = *std::get<0>(made);
      if (auto e = k.one_record_each_way(buffer_)) return *e;
      // SSL_free releases the SSL, its BIO, buffers, cipher contexts and its session
      // reference; the session cache is off, so nothing of the connection stays behind.
      std::int64_t before = live_bytes();
      SSL_free(k.client);
      k.client = nullptr;
      out["client_bytes"] = before - live_bytes();
      before = live_bytes();
      SSL_free(k.server);
      k.server = nullptr;
      out["server_bytes"] = before - live_bytes();
    }
    {
      constexpr int kRecords = 256;
      const std::uint64_t a0 = allocations();
      for (int i = 0; i < kRecords; ++i) {
        if (auto e = app_record()) return *e;
      }
      const double per = static_cast<double>(allocations() - a0) / kRecords;
      out["allocations_per_record"] = std::round(per * 1e4) / 1e4;  // to 4 decimals
    }
    {
      auto made = Connection::established(*ctx_, false);
      if (auto* e = std::get_if<error>(&made)) return *e;
      const std::uint64_t a0 = allocations();
      if (auto e = std::get<0>(made)->shutdown_exchange()) return *e;
      out["allocations_shutdown_exchange"] = allocations() - a0;
    }
    return out;
  }

  result<json> syscalls(bool read_ahead) {
    std::unique_ptr<Contexts> own;
    if (read_ahead) {
      auto made = make_contexts(suite_, true);
      if (auto* e = std::get_if<error>(&made)) return *e;
      own = std::move(std::get<0>(made));
    }
    auto made = Connection::established(read_ahead ? *own : *ctx_, true);
    if (auto* e = std::get_if<error>(&made)) return *e;
    Connection& k = *std::get<0>(made);
    k.client_io = {};
    k.server_io = {};
    if (auto e = k.shutdown_exchange()) return *e;
    return json{{"client_reads", k.client_io.reads},
                {"client_writes", k.client_io.writes},
                {"server_reads", k.server_io.reads},
                {"server_writes", k.server_io.writes}};
  }

  std::string suite_;
  std::unique_ptr<Contexts> ctx_;
  Connection steady_;
  std::vector<unsigned char> payload_ = payload();
  std::vector<unsigned char> buffer_ = std::vector<unsigned char>(kRecord);
};

// The shutdown exchanges of `--bench-syscalls`: K connections, their socket calls added up.
result<json> count_syscalls(const std::vector<std::string>& args) {
  auto k = count_of(args[1]);
  if (auto* e = std::get_if<error>(&k)) return *e;
  auto ctx = make_contexts(args[0], args.size() == 4);
  if (auto* e = std::get_if<error>(&ctx)) return *e;
  IoCount total;
  for (std::size_t i = 0; i < std::get<0>(k); ++i) {
    auto made = Connection::established(*std::get<0>(ctx), true);
    if (auto* e = std::get_if<error>(&made)) return *e;
    Connection& c = *std::get<0>(made);
    c.client_io = {};
    c.server_io = {};
    if (args[2] == "shutdown") {
      if (auto e = c.shutdown_exchange()) return *e;
    }
    total.reads += c.client_io.reads + c.server_io.reads;
    total.writes += c.client_io.writes + c.server_io.writes;
  }
  return json{{"k", std::get<0>(k)}, {"reads", total.reads}, {"writes", total.writes}};
}

// Answers a result: the JSON, or {"error": why}.
void answer(const result<json>& r) {
  if (const auto* e = std::get_if<error>(&r)) {
    answer(json{{"error", e->message}});
  } else {
    answer(std::get<json>(r));
  }
}

}  // namespace

bool install_counting_allocator() {
  g_counting = CRYPTO_set_mem_functions(counting_malloc, counting_realloc, counting_free) == 1;
  return g_counting;
}

int run(const std::vector<std::string>& args) {
  if (args.size() != 1) {
    std::fprintf(stderr, "usage: closenotify-peer --bench SUITE   (commands on stdin; see tools/peer/bench.cpp)\n");
    return 2;
  }
  auto made = Bench::make(args[0]);
  if (const auto* e = std::get_if<error>(&made)) {
    answer(json{{"error", e->message}});
    return 1;
  }
  Bench& b = *std::get<0>(made);
  std::string line;
  while (std::getline(std::cin, line)) {
    std::vector<std::string> w;
    std::istringstream in(line);
    for (std::string word; in >> word;) w.push_back(word);
    if (w.empty()) continue;
    if (w[0] == "quit") break;
    answer(b.run(w));
  }
  return 0;
}

int run_syscalls(const std::vector<std::string>& args) {
  if (args.size() < 3 || args.size() > 4 || (args[2] != "shutdown" && args[2] != "none") ||
      (args.size() == 4 && args[3] != "read-ahead")) {
    std::fprintf(stderr, "usage: closenotify-peer --bench-syscalls SUITE K shutdown|none [read-ahead]\n");
    return 2;
  }
  const auto r = count_syscalls(args);
  answer(r);
  return std::holds_alternative<error>(r) ? 1 : 0;
}

}  // namespace peer::bench

// endpoint_bench.cpp — closenotify's side of figures 3, 4 and 5: endpoints as an
// application uses them (write, read, shutdown), over memory and over a socketpair, and
// the heap they use.
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstring>
#include <optional>
#include <utility>

#include "bench.hpp"
#include "counting_malloc.hpp"
#include "json.hpp"
#include "memory_transport.hpp"

namespace closenotify::bench {
namespace {

// A client and a server endpoint of one suite on one in-memory transport.
struct endpoint_pair {
  std::unique_ptr<memory_transport> wire = std::make_unique<memory_transport>();
  std::unique_ptr<endpoint> client, server;
  endpoint_pair(const suite_keys& k, endpoint_options options = {}) {
    client = std::make_unique<endpoint>(wire->a(), role::client, k.protection(role::server),
                                        k.protection(role::client), options);
    server = std::make_unique<endpoint>(wire->b(), role::server, k.protection(role::client),
                                        k.protection(role::server), options);
  }
};

std::vector<std::uint8_t> payload() {
  std::vector<std::uint8_t> p(record_payload);
  for (std::size_t i = 0; i < p.size(); ++i) p[i] = static_cast<std::uint8_t>(i % 251);
  return p;
}

// The exchange of figure 4, every return value checked: A shutdown (0), B read (0,
// ZERO_RETURN), B shutdown (1), A shutdown (1).
std::optional<tools::error> shutdown_exchange(endpoint& a, endpoint& b) {
  std::array<std::uint8_t, 64> buf{};
  int r = a.shutdown();
  if (r != 0) return failed("first shutdown returned " + std::to_string(r) + " (" + std::string(a.error_reason()) + ")");
  r = b.read(buf);
  if (r != 0 || b.get_error(r) != ssl_error::zero_return) {
    return failed("read of close_notify returned " + std::to_string(r) + ", " + std::string(to_string(b.get_error(r))));
  }
  r = b.shutdown();
  if (r != 1) return failed("responder's shutdown returned " + std::to_string(r));
  r = a.shutdown();
  if (r != 1) {
    return failed("second shutdown returned " + std::to_string(r) + ", " + std::string(to_string(a.get_error(r))));
  }
  return std::nullopt;
}

// Two endpoints on a nonblocking AF_UNIX socketpair (fd_transport: read(2), send(2)),
// made by open().
struct socket_pair {
  int fds[2] = {-1, -1};
  std::unique_ptr<fd_transport> ta, tb;
  std::unique_ptr<endpoint> a, b;
  socket_pair() = default;
  std::optional<tools::error> open(const suite_keys& k, bool read_ahead) {
    if (::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0) {
      fds[0] = fds[1] = -1;
      return failed(std::string("socketpair: ") + std::strerror(errno));
    }
    ta = std::make_unique<fd_transport>(fds[0]);
    tb = std::make_unique<fd_transport>(fds[1]);
    ta->set_nonblocking(true);
    tb->set_nonblocking(true);
    endpoint_options o;
    o.read_ahead = read_ahead;
    a = std::make_unique<endpoint>(*ta, role::client, k.protection(role::server), k.protection(role::client), o);
    b = std::make_unique<endpoint>(*tb, role::server, k.protection(role::client), k.protection(role::server), o);
    return std::nullopt;
  }
  socket_pair(const socket_pair&) = delete;
  socket_pair& operator=(const socket_pair&) = delete;
  ~socket_pair() {
    for (int fd : fds) {
      if (fd >= 0) ::close(fd);
    }
  }
};

}  // namespace

// ---- figure 3 ------------------------------------------------------------------------

struct endpoint_bench::state {
  suite_keys keys;
  endpoint_pair steady;
  std::vector<std::uint8_t> data = payload();
  std::vector<std::uint8_t> buf = std::vector<std::uint8_t>(record_payload);
  // What the first record() that failed returned, for the message.
  bool write_failed = false;
  int returned = 0;
  explicit state(const cipher_suite& s) : keys{&s}, steady(keys) {}

  // record: one 16 KiB write and its read; false when either returned another length
  // (the rest of the loop is then skipped; failure() says what it was).
  bool record() {
    const int w = steady.client->write(data);
    if (w != static_cast<int>(record_payload)) [[unlikely]] {
      write_failed = true;
      returned = w;
      return false;
    }
    const int r = steady.server->read(buf);
    if (r != static_cast<int>(record_payload)) [[unlikely]] {
      write_failed = false;
      returned = r;
      return false;
    }
    return true;
  }
  tools::error failure() const {
    return failed(std::string(write_failed ? "endpoint write" : "endpoint read") + " returned " + std::to_string(returned));
  }
};

endpoint_bench::endpoint_bench(const cipher_suite& s) : s_(std::make_unique<state>(s)) {}
endpoint_bench::endpoint_bench(endpoint_bench&&) noexcept = default;
endpoint_bench& endpoint_bench::operator=(endpoint_bench&&) noexcept = default;
endpoint_bench::~endpoint_bench() = default;

tools::result<endpoint_bench> endpoint_bench::make(const cipher_suite& s) {
  endpoint_bench b(s);
  for (int i = 0; i < 8; ++i) {  // warm up
    if (!b.s_->record()) return b.s_->failure();
  }
  return b;
}

tools::result<double> endpoint_bench::app(std::size_t n) {
  bool ok = true;
  const auto t0 = now_ns();
  for (std::size_t i = 0; i < n && ok; ++i) ok = s_->record();
  const auto t1 = now_ns();
  if (!ok) return s_->failure();
  return static_cast<double>(t1 - t0);
}

tools::result<std::pair<double, double>> endpoint_bench::close(std::size_t n) {
  std::vector<endpoint_pair> pairs;
  pairs.reserve(n);
  for (std::size_t i = 0; i < n; ++i) pairs.emplace_back(s_->keys);
  int bad = 0;
  const auto t0 = now_ns();
  for (auto& p : pairs) bad += p.client->shutdown() != 0;
  const auto t1 = now_ns();
  for (auto& p : pairs) bad += p.server->read(s_->buf) != 0;
  const auto t2 = now_ns();
  for (auto& p : pairs) bad += p.server->get_error(0) != ssl_error::zero_return;
  if (bad != 0) return failed(std::to_string(bad) + " unexpected shutdown / read results");
  return std::pair{static_cast<double>(t1 - t0), static_cast<double>(t2 - t1)};
}

// ---- figure 4 ------------------------------------------------------------------------

tools::result<syscall_count> shutdown_syscalls(const cipher_suite& s, bool read_ahead) {
  socket_pair p;
  if (auto e = p.open(suite_keys{&s}, read_ahead)) return std::move(*e);
  if (auto e = shutdown_exchange(*p.a, *p.b)) return std::move(*e);
  return syscall_count{p.ta->stats().reads, p.ta->stats().writes, p.tb->stats().reads, p.tb->stats().writes};
}

int internal_syscalls(const std::vector<std::string>& args) {
  // SUITE K shutdown|none [read-ahead]
  if (args.size() < 3 || args.size() > 4 || (args[2] != "shutdown" && args[2] != "none") ||
      (args.size() == 4 && args[3] != "read-ahead")) {
    std::fprintf(stderr, "usage: closenotify-bench --internal-syscalls SUITE K shutdown|none [read-ahead]\n");
    return 2;
  }
  const cipher_suite* s = find_cipher_suite(args[0]);
  const std::size_t k = std::strtoul(args[1].c_str(), nullptr, 10);
  if (s == nullptr || k == 0) {
    std::fprintf(stderr, "closenotify-bench: bad suite or count\n");
    return 2;
  }
  std::size_t reads = 0, writes = 0;
  for (std::size_t i = 0; i < k; ++i) {
    socket_pair p;
    auto e = p.open(suite_keys{s}, args.size() == 4);
    if (!e && args[2] == "shutdown") e = shutdown_exchange(*p.a, *p.b);
    if (e) {
      std::fprintf(stderr, "closenotify-bench: %s\n", e->message.c_str());
      return e->exit_code;
    }
    reads += p.ta->stats().reads + p.tb->stats().reads;
    writes += p.ta->stats().writes + p.tb->stats().writes;
  }
  std::printf("%s\n", tools::json_text({{"k", k}, {"reads", reads}, {"writes", writes}}).c_str());
  return 0;
}

// ---- figure 5 ------------------------------------------------------------------------

namespace {

// allocations_per_call: `one` 8 times to warm up, then `records` times with the heap's
// allocations counted; their mean per call, or why `one` failed (checked after the
// counted loop, which then stops early: the count is discarded).
template <class F>
tools::result<double> allocations_per_call(F&& one, std::size_t records) {
  const char* why = nullptr;
  for (int w = 0; w < 8 && why == nullptr; ++w) why = one();
  const auto a0 = heap_now().allocations;
  for (std::size_t r = 0; r < records && why == nullptr; ++r) why = one();
  const auto a1 = heap_now().allocations;
  if (why != nullptr) return failed(why);
  return static_cast<double>(a1 - a0) / static_cast<double>(records);
}

}  // namespace

tools::result<closenotify_heap> heap_figures(const cipher_suite& s, std::size_t samples) {
  closenotify_heap h;
  h.suite = std::string(s.name);
  h.counting = heap_counting();
  h.sizeof_endpoint = sizeof(endpoint);
  h.sizeof_record_reader = sizeof(record_reader);
  h.record_buffer = max_record_size;
  h.sizeof_record_protection = sizeof(record_protection);
  const suite_keys k{&s};
  memory_transport wire;
  std::vector<double> protection, connection, record_layer, endpoint_records, exchange;
  const auto data = payload();
  std::vector<std::uint8_t> buf(max_record_size);
  constexpr std::size_t records = 256;
  for (std::size_t i = 0; i < samples; ++i) {
    {
      const auto h0 = heap_now();
      auto p = k.protection(role::client);  // the handle on the stack, its impl on the heap
      protection.push_back(static_cast<double>(heap_now().live_bytes - h0.live_bytes));
    }
    {
      const auto h0 = heap_now();
      auto e = std::make_unique<endpoint>(wire.a(), role::client, k.protection(role::server), k.protection(role::client));
      connection.push_back(static_cast<double>(heap_now().live_bytes - h0.live_bytes));
    }
    {
      auto writer = k.protection(role::client);
      auto reader = k.protection(role::client);
      // one: nullptr, or what failed.
      auto one = [&]() -> const char* {
        auto sealed = writer.seal(content_type::application_data, data, buf);
        const auto* n = std::get_if<std::size_t>(&sealed);
        if (n == nullptr) return "seal failed";
        auto framed = parse_record(bytes_view(buf.data(), *n), s.version);
        const auto* ct = std::get_if<tls_ciphertext>(&framed);
        if (ct == nullptr) return "parse_record failed";
        auto opened = reader.open(ct->header, mutable_bytes(buf.data() + record_header_size, ct->fragment.size()));
        if (!std::holds_alternative<tls_plaintext>(opened)) return "open failed";
        return nullptr;
      };
      auto per = allocations_per_call(one, records);
      if (auto* e = std::get_if<tools::error>(&per)) return *e;
      record_layer.push_back(std::get<double>(per));
    }
    {
      endpoint_pair p(k);
      auto one = [&]() -> const char* {
        if (p.client->write(data) != static_cast<int>(record_payload)) return "endpoint write failed";
        if (p.server->read(buf) != static_cast<int>(record_payload)) return "endpoint read failed";
        return nullptr;
      };
      auto per = allocations_per_call(one, records);
      if (auto* e = std::get_if<tools::error>(&per)) return *e;
      endpoint_records.push_back(std::get<double>(per));
    }
    {
      endpoint_pair p(k);
      const auto a0 = heap_now().allocations;
      auto e = shutdown_exchange(*p.client, *p.server);
      const auto a1 = heap_now().allocations;
      if (e) return std::move(*e);
      exchange.push_back(static_cast<double>(a1 - a0));
    }
  }
  h.protection_heap_bytes = summarize(protection);
  h.connection_heap_bytes = summarize(connection);
  h.record_layer_allocations = summarize(record_layer);
  h.endpoint_allocations = summarize(endpoint_records);
  h.shutdown_exchange_allocations = summarize(exchange);
  return h;
}

}  // namespace closenotify::bench

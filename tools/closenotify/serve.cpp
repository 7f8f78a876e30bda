// serve.cpp — `closenotify serve` and `closenotify connect`: closenotify against real TLS
// peers over TCP. The OpenSSL peer process does each handshake on the socket itself and
// hands the keys over; closenotify's endpoint runs the rest of the connection and its
// teardown (live.hpp). Interop results with curl, gnutls-cli, gnutls-serv and openssl
// s_client / s_server: docs/interop.md.
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cmath>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "side.hpp"
#include "closenotify/cipher_suite.hpp"
#include "commands.hpp"
#include "json.hpp"
#include "live.hpp"
#include "openssl_option.hpp"
#include "preflight.hpp"
#include "selection.hpp"

namespace closenotify::cli {

#define CLOSENOTIFY_LIVE_COMMON_OPTIONS                                                                  \
  "  --tls1.2, --tls1.3  only this version (default: either, as the other side negotiates)\n"           \
  "  --suites LIST       OpenSSL suite names, comma-separated, from: TLS_AES_128_GCM_SHA256,\n"          \
  "                      TLS_AES_256_GCM_SHA384, TLS_CHACHA20_POLY1305_SHA256,\n"                       \
  "                      ECDHE-{ECDSA,RSA}-AES128-GCM-SHA256, ECDHE-{ECDSA,RSA}-AES256-GCM-SHA384,\n"   \
  "                      ECDHE-{ECDSA,RSA}-CHACHA20-POLY1305 (closenotify's suites; OpenSSL is\n"      \
  "                      never allowed to negotiate another)\n"                                         \
  "  --shutdown POLICY   how closenotify ends each connection (default bidirectional):\n"              \
  "                        bidirectional  shutdown(), then shutdown() until it returns 1 (the wait\n"  \
  "                                       for the peer's close_notify is bounded by --timeout)\n"      \
  "                        fast           one shutdown() (our close_notify out), then close\n"         \
  "                        quiet          quiet shutdown: no close_notify at all, then close\n"        \
  "                        wait-peer      read until the peer's close_notify, then shutdown()\n"       \
  "                        none           close the socket without any alert\n"                        \
  "  --openssl VERSION   the OpenSSL whose peer process does the handshakes: 1.1.1, 3.0 or 3.5\n"     \
  "                      (default 3.0, or the only one whose peer is built)\n"                         \
  "  --profile NAME      closenotify follows this SSL_shutdown page's profile (default: the\n"          \
  "                      --openssl version's own; `closenotify profiles`)\n"                           \
  "  --trace             after each connection's line, every record sent (-->) and received\n"        \
  "                      (<--) and every endpoint call, with times since the connection began\n"      \
  "  --json              one JSON object per line instead of text (trace included)\n"                  \
  "  --handshake-timeout SECONDS  limit for the handshake, more than 0 and at most 3600\n"            \
  "                      (default 10)\n"                                                              \
  "  --timeout SECONDS   limit for each wait for the peer afterwards: a request, an echo, a\n"        \
  "                      close_notify (default 5)\n"                                                   \
  "  --peer PATH         the OpenSSL peer executable (default: the --openssl version's, next to\n"     \
  "                      this program)\n"

const char* const serve_help =
    "usage: closenotify serve [options]\n"
    "\n"
    "A TLS server whose connections are run by closenotify. For each accepted TCP connection\n"
    "the OpenSSL peer process (tools/peer, --openssl) does the server handshake on the socket\n"
    "and hands the session's keys over; closenotify's endpoint then answers (--respond) and\n"
    "ends the connection (--shutdown). Each connection's teardown is logged as one line: who\n"
    "closed first, what the other side did, the alerts sent and received, shutdown()'s last\n"
    "return value, the outcome (clean, sent-only, received-only, no-close-notify, error,\n"
    "handshake-failed) and the time. Connections run concurrently, each with its own time\n"
    "limits; a client that misbehaves only ends its own connection. SIGINT or SIGTERM stops\n"
    "accepting, lets the connections in progress finish (a second signal aborts them) and\n"
    "prints a summary line.\n"
    "\n"
    "options:\n"
    "  --listen ADDR:PORT  where to listen (default 127.0.0.1:4433; port 0 picks a free port;\n"
    "                      the first line printed says which)\n"
    "  --cert FILE         the server certificate (chain), PEM; RSA or ECDSA\n"
    "  --key FILE          its private key, PEM (default without --cert/--key: a fresh\n"
    "                      self-signed P-256 ECDSA certificate, made in memory by the peer)\n"
    "  --respond MODE      http (default): answer a request with a small HTTP/1.0 200 response;\n"
    "                      echo: write back what arrives until the client closes or is idle\n"
    "                      for --timeout; none: nothing, straight to the shutdown\n" CLOSENOTIFY_LIVE_COMMON_OPTIONS
    "  --max-connections N exit after N connections (default: run until a signal)\n"
    "  --max-concurrent N  connections handled at once (default 64); more wait in the backlog.\n"
    "                      A connection's slot costs a thread, three descriptors and, until\n"
    "                      its handshake is over, an OpenSSL peer process (a few MB): a client\n"
    "                      that connects and says nothing holds all three for\n"
    "                      --handshake-timeout, so N such clients stall the server that long\n"
    "\n"
    "Without --suites: the three TLS 1.3 suites and the three ECDHE-ECDSA TLS 1.2 suites, plus\n"
    "the ECDHE-RSA ones when --cert is given (OpenSSL uses those whose key type the certificate\n"
    "has). Naming an ECDHE-RSA suite without --cert makes the peer create an RSA-2048 key for\n"
    "every connection (slow). Before listening, one test handshake between two peer processes\n"
    "checks the certificate, the key, the suites and the peer. Session tickets resume across\n"
    "connections (one set of ticket keys per run, never printed). Exit status: 0 after a\n"
    "signal or --max-connections, 2 for bad usage or a set-up that cannot serve (one line,\n"
    "before \"listening\"), 1 when the address cannot be bound.\n"
    "\n"
    "examples:\n"
    "  closenotify serve --listen 127.0.0.1:4433\n"
    "      curl -sk https://127.0.0.1:4433/\n"
    "  closenotify serve --tls1.2 --shutdown fast --trace\n"
    "  closenotify serve --listen 127.0.0.1:0 --respond echo --shutdown wait-peer --json\n"
    "  closenotify serve --cert server.pem --key server.key --suites ECDHE-RSA-AES128-GCM-SHA256\n"
    "  closenotify serve --max-connections 1 --shutdown quiet --openssl 1.1.1\n";

const char* const connect_help =
    "usage: closenotify connect HOST:PORT [options]\n"
    "\n"
    "A TLS client whose connection is run by closenotify: the OpenSSL peer process (--openssl)\n"
    "does the client handshake on the TCP socket (no certificate verification; SNI is HOST\n"
    "unless HOST is an address) and hands the keys over; closenotify's endpoint then makes the\n"
    "exchange (--respond) and ends the connection (--shutdown). Prints one line about the\n"
    "teardown, as `closenotify serve` does for each of its connections; once connected, a line\n"
    "on stderr names the OpenSSL that does the handshake.\n"
    "\n"
    "options:\n"
    "  --respond MODE      http (default): send `GET / HTTP/1.0` and read the response (up to\n"
    "                      its Content-Length, or until the server closes); echo: send one line\n"
    "                      and read it back; none: send nothing, straight to the shutdown\n"
    "  --sni NAME          the server name to send (default HOST, none for an address)\n" CLOSENOTIFY_LIVE_COMMON_OPTIONS
    "\n"
    "Without --suites: all nine of closenotify's suites. Exit status: 0 when the --shutdown\n"
    "policy did what it is for (bidirectional and wait-peer: shutdown() returned 1 after the\n"
    "server's close_notify; fast: our close_notify went out; quiet and none: no alert was\n"
    "sent) and the exchange did not fail; 1 otherwise, or when the connection or the\n"
    "handshake fails; 2 for bad usage, or when a test handshake between two peer processes,\n"
    "made before connecting, fails (a --peer that is no working peer).\n"
    "\n"
    "examples:\n"
    "  closenotify connect 127.0.0.1:4433\n"
    "  closenotify connect example.org:443 --tls1.2 --shutdown fast --trace\n"
    "  closenotify connect 127.0.0.1:5556 --respond echo --shutdown wait-peer --json\n";

#undef CLOSENOTIFY_LIVE_COMMON_OPTIONS

namespace {

using std::chrono::milliseconds;

const std::vector<std::string_view> kCommonValues = {"suites", "shutdown", "profile", "handshake-timeout",
                                                     "timeout", "peer", "respond", "openssl"};
const std::vector<std::string_view> kCommonFlags = {"help", "tls1.2", "tls1.3", "trace", "json"};

std::optional<milliseconds> parse_seconds(const std::string& s) {
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(s.c_str(), &end);
  if (s.empty() || end != s.c_str() + s.size() || errno != 0 || !(v > 0) || v > 3600) return std::nullopt;
  return milliseconds(static_cast<long long>(v * 1000 + 0.5));
}

bool no_spaces(const std::string& s) { return s.find_first_of(" \t\r\n") == std::string::npos; }

// common_settings: everything serve and connect share. `server` decides the defaults.
std::variant<live::settings, failure> common_settings(const options& o, bool server) {
  live::settings s;
  const bool only12 = o.has("tls1.2"), only13 = o.has("tls1.3");
  s.version = only12 == only13 ? "any" : only13 ? "tls1.3" : "tls1.2";
  if (server && (o.has("cert") != o.has("key"))) return usage("--cert and --key go together");
  if (server && o.has("cert")) {
    s.cert = *o.get("cert");
    s.key = *o.get("key");
    for (const auto* f : {&s.cert, &s.key}) {
      if (!no_spaces(*f)) return usage("'" + *f + "': a path without spaces, please (the peer protocol has none)");
      if (::access(f->c_str(), R_OK) != 0) return usage("cannot read " + *f + ": " + std::strerror(errno));
    }
  }
  std::vector<std::string> names;
  if (auto list = o.get("suites")) {
    std::string known;
    for (const auto& c : all_cipher_suites()) known += (known.empty() ? "" : ", ") + std::string(c.name);
    std::string item;
    auto take = [&]() -> std::optional<failure> {
      if (item.empty()) return std::nullopt;
      const cipher_suite* c = find_cipher_suite(item);
      if (c == nullptr) return usage("unknown suite '" + item + "' in --suites (suites: " + known + ")");
      const bool is13 = c->version == protocol_version::tls13;
      if ((only13 && !only12 && !is13) || (only12 && !only13 && is13)) {
        return usage("suite " + std::string(c->name) + " is not a " + (only13 ? "TLS 1.3" : "TLS 1.2") + " suite");
      }
      names.emplace_back(c->name);
      item.clear();
      return std::nullopt;
    };
    for (char ch : *list + ",") {
      if (ch == ',' || ch == ':') {
        if (auto f = take()) return *f;
      } else if (ch != ' ') {
        item += ch;
      }
    }
    if (names.empty()) return usage("--suites: no suite named");
  } else {
    for (const auto& c : all_cipher_suites()) {
      const bool is13 = c.version == protocol_version::tls13;
      if (s.version == "tls1.3" && !is13) continue;
      if (s.version == "tls1.2" && is13) continue;
      // The server's in-memory certificate is ECDSA; RSA suites only with a certificate
      // that may be RSA (or as a client, where the server decides).
      if (server && s.cert.empty() && c.name.find("-RSA-") != std::string_view::npos) continue;
      names.emplace_back(c.name);
    }
  }
  for (const auto& n : names) s.suites += (s.suites.empty() ? "" : ":") + n;

  const std::string respond = o.get("respond").value_or("http");
  if (respond == "http") s.respond = live::respond_mode::http;
  else if (respond == "echo") s.respond = live::respond_mode::echo;
  else if (respond == "none") s.respond = live::respond_mode::none;
  else return usage("unknown --respond '" + respond + "' (modes: http, echo, none)");

  const std::string policy = o.get("shutdown").value_or("bidirectional");
  if (policy == "bidirectional") s.policy = live::shutdown_policy::bidirectional;
  else if (policy == "fast") s.policy = live::shutdown_policy::fast;
  else if (policy == "quiet") s.policy = live::shutdown_policy::quiet;
  else if (policy == "wait-peer") s.policy = live::shutdown_policy::wait_peer;
  else if (policy == "none") s.policy = live::shutdown_policy::none;
  else return usage("unknown --shutdown '" + policy + "' (policies: bidirectional, fast, quiet, wait-peer, none)");

  auto asked_profile = parse_profile(o);
  if (auto* f = std::get_if<failure>(&asked_profile)) return *f;
  for (const char* name : {"handshake-timeout", "timeout"}) {
    if (auto v = o.get(name)) {
      auto d = parse_seconds(*v);
      if (!d) return usage(std::string("--") + name + ": seconds, more than 0 and at most 3600");
      (std::string(name) == "timeout" ? s.io_timeout : s.handshake_timeout) = *d;
    }
  }
  s.trace = o.has("trace");
  auto chosen = choose_openssl(o);
  if (auto* f = std::get_if<failure>(&chosen)) return *f;
  const auto& openssl = std::get<diff::live_openssl>(chosen);
  s.peer_path = openssl.peer_path;
  s.openssl_version = openssl.version;
  s.profile = std::get<std::optional<profile_id>>(asked_profile).value_or(openssl.series->profile);
  return s;
}

// split_host_port: "127.0.0.1:4433", "[::1]:4433", "localhost:443".
std::optional<std::pair<std::string, std::string>> split_host_port(const std::string& a) {
  std::string host, port;
  if (a.starts_with("[")) {
    const auto close = a.find("]:");
    if (close == std::string::npos) return std::nullopt;
    host = a.substr(1, close - 1);
    port = a.substr(close + 2);
  } else {
    const auto colon = a.rfind(':');
    if (colon == std::string::npos) return std::nullopt;
    host = a.substr(0, colon);
    port = a.substr(colon + 1);
  }
  if (host.empty() || !parse_number(port, 0, 65535)) return std::nullopt;
  return std::make_pair(host, port);
}

std::string address_of(const sockaddr_storage& sa) {
  char host[INET6_ADDRSTRLEN] = "?";
  unsigned port = 0;
  if (sa.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&sa);
    ::inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
    port = ntohs(in->sin_port);
    return std::string(host) + ":" + std::to_string(port);
  }
  if (sa.ss_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&sa);
    ::inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
    port = ntohs(in6->sin6_port);
    return "[" + std::string(host) + "]:" + std::to_string(port);
  }
  return "?";
}

void print_report(const live::report& r, bool json) {
  std::string out = json ? live::format_json(r) + "\n" : live::format_line(r) + "\n";
  if (!json) {
    for (const auto& t : r.trace) out += "    " + t + "\n";
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fflush(stdout);
}

// The server's shared state; connection threads hold it by shared_ptr, so it outlives
// the last of them whatever the order of exit.
struct server_state {
  std::mutex mu;
  std::condition_variable cv;
  std::size_t active = 0;
  std::size_t done = 0;
  std::size_t goal_met = 0;
  std::map<std::string, std::size_t> outcomes;
  bool json = false;
};

// ticket_keys: one set of session-ticket keys for the whole run, as hex for the peer
// protocol's ticket_keys= (docs/peer-protocol.md): 80 bytes, what
// SSL_CTX_set_tlsext_ticket_keys takes in OpenSSL 1.1.1, 3.0 and 3.5 (a 16-byte name,
// then the HMAC and AES secrets). From the kernel's generator; this process links
// BoringSSL only, and the peer checks the length against its own OpenSSL.
tools::result<std::string> ticket_keys() {
  unsigned char keys[80];
  std::size_t got = 0;
  while (got < sizeof keys) {
    const ssize_t n = ::getrandom(keys + got, sizeof keys - got, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return tools::fail(std::string("getrandom: ") + std::strerror(errno));
    got += static_cast<std::size_t>(n);
  }
  static constexpr char digits[] = "0123456789abcdef";
  std::string hex;
  for (unsigned char b : keys) {
    hex += digits[b >> 4];
    hex += digits[b & 0xf];
  }
  ::explicit_bzero(keys, sizeof keys);
  return hex;
}

const char* const kOutcomes[] = {"clean", "sent-only", "received-only", "no-close-notify", "error", "handshake-failed"};

}  // namespace

outcome run_serve(const std::vector<std::string>& args) {
  std::vector<std::string_view> values = kCommonValues;
  values.insert(values.end(), {"listen", "cert", "key", "max-connections", "max-concurrent"});
  auto parsed = parse_options(args, values, kCommonFlags);
  if (auto* f = std::get_if<failure>(&parsed)) return *f;
  const auto& o = std::get<options>(parsed);
  if (o.has("help")) {
    std::fputs(serve_help, stdout);
    return exit_ok;
  }
  if (!o.positional.empty()) return usage("unexpected argument '" + o.positional.front() + "'");
  auto common = common_settings(o, true);
  if (auto* f = std::get_if<failure>(&common)) return *f;
  auto settings = std::make_shared<live::settings>(std::get<live::settings>(common));
  std::size_t max_connections = 0, max_concurrent = 64;
  if (auto v = o.get("max-connections")) {
    auto n = parse_number(*v, 1, 100000000);
    if (!n) return usage("--max-connections: a number 1..100000000");
    max_connections = *n;
  }
  if (auto v = o.get("max-concurrent")) {
    auto n = parse_number(*v, 1, 4096);
    if (!n) return usage("--max-concurrent: a number 1..4096");
    max_concurrent = *n;
  }
  const std::string listen_at = o.get("listen").value_or("127.0.0.1:4433");
  auto hp = split_host_port(listen_at);
  if (!hp) return usage("--listen: ADDR:PORT, e.g. 127.0.0.1:4433 or [::1]:0 (got '" + listen_at + "')");
  auto keys = ticket_keys();
  if (auto* e = std::get_if<tools::error>(&keys)) return failure{e->exit_code, e->message};
  settings->ticket_keys = std::move(std::get<std::string>(keys));
  if (auto bad = preflight(*settings, role::server)) return failure{bad->exit_code, bad->message};

  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* ai = nullptr;
  if (int rc = ::getaddrinfo(hp->first.c_str(), hp->second.c_str(), &hints, &ai); rc != 0) {
    return usage("--listen " + listen_at + ": " + ::gai_strerror(rc));
  }
  int listener = ::socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int one = 1;
  if (listener >= 0) ::setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (listener < 0 || ::bind(listener, ai->ai_addr, ai->ai_addrlen) != 0 || ::listen(listener, SOMAXCONN) != 0) {
    const int err = errno;
    ::freeaddrinfo(ai);
    if (listener >= 0) ::close(listener);
    return failure{exit_rejected, "cannot listen on " + listen_at + ": " + std::strerror(err)};
  }
  ::freeaddrinfo(ai);
  sockaddr_storage bound{};
  socklen_t bound_len = sizeof bound;
  ::getsockname(listener, reinterpret_cast<sockaddr*>(&bound), &bound_len);

  // Signals arrive on a signalfd (blocked everywhere, so no thread is interrupted); the
  // peer processes start with an empty signal mask (spawn_peer). stop_fd tells every
  // connection in progress to give up (second signal).
  ::signal(SIGPIPE, SIG_IGN);
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGINT);
  sigaddset(&sigs, SIGTERM);
  ::pthread_sigmask(SIG_BLOCK, &sigs, nullptr);
  const int sigfd = ::signalfd(-1, &sigs, SFD_CLOEXEC | SFD_NONBLOCK);
  const int stop_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  settings->stop_fd = stop_fd;
  const bool json = o.has("json");

  auto state = std::make_shared<server_state>();
  state->json = json;
  {
    const std::string where = address_of(bound);
    std::string line;
    if (json) {
      line = tools::json_text({{"listening", where},
                               {"version", settings->version},
                               {"suites", settings->suites},
                               {"respond", live::to_string(settings->respond)},
                               {"shutdown", live::to_string(settings->policy)},
                               {"openssl", settings->openssl_version},
                               {"profile", profile_for(settings->profile).name}});
    } else {
      line = "closenotify serve: listening on " + where + " (" +
             (settings->version == "any" ? std::string("tls1.2, tls1.3") : settings->version) + "; respond " +
             std::string(live::to_string(settings->respond)) + "; shutdown " +
             std::string(live::to_string(settings->policy)) + "; handshakes by " + settings->openssl_version +
             ", profile " + std::string(profile_for(settings->profile).name) + ")";
    }
    std::printf("%s\n", line.c_str());
    std::fflush(stdout);
  }

  const auto started = std::chrono::steady_clock::now();
  auto signalled = [&](bool wait_ms) {
    pollfd p{sigfd, POLLIN, 0};
    if (::poll(&p, 1, wait_ms ? 100 : 0) <= 0) return false;
    signalfd_siginfo info;
    while (::read(sigfd, &info, sizeof info) > 0) {
    }
    return true;
  };
  std::size_t accepted = 0;
  bool stopping = false;
  while (!stopping && (max_connections == 0 || accepted < max_connections)) {
    {
      std::unique_lock lock(state->mu);
      while (state->active >= max_concurrent && !stopping) {
        lock.unlock();
        stopping = signalled(false);
        lock.lock();
        if (!stopping) state->cv.wait_for(lock, milliseconds(100));
      }
    }
    if (stopping) break;
    pollfd p[2] = {{listener, POLLIN, 0}, {sigfd, POLLIN, 0}};
    if (::poll(p, 2, -1) < 0) continue;
    if (p[1].revents & POLLIN) {
      signalled(false);
      stopping = true;
      break;
    }
    sockaddr_storage peer_addr{};
    socklen_t len = sizeof peer_addr;
    const int fd = ::accept4(listener, reinterpret_cast<sockaddr*>(&peer_addr), &len, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        std::this_thread::sleep_for(milliseconds(100));  // out of descriptors: let connections finish
      }
      continue;
    }
    const unsigned long id = ++accepted;
    {
      std::lock_guard lock(state->mu);
      ++state->active;
    }
    try {
      std::thread([state, settings, fd, id, addr = address_of(peer_addr)] {
        live::report r = live::run(fd, role::server, *settings, id, addr);
        {
          std::lock_guard lock(state->mu);
          print_report(r, state->json);
          ++state->outcomes[r.outcome];
          if (r.goal_met) ++state->goal_met;
          ++state->done;
          --state->active;
        }
        state->cv.notify_all();
      }).detach();
    } catch (const std::system_error&) {
      // No thread to be had: this connection is closed at once, the server goes on.
      diff::close_socket(fd);
      std::lock_guard lock(state->mu);
      ++state->outcomes["error"];
      ++state->done;
      --state->active;
    }
  }
  ::close(listener);
  {
    std::unique_lock lock(state->mu);
    bool aborted = false;
    while (state->active > 0) {
      lock.unlock();
      if (signalled(false) && !aborted) {
        const std::uint64_t v = 1;
        (void)!::write(stop_fd, &v, sizeof v);
        aborted = true;
      }
      lock.lock();
      state->cv.wait_for(lock, milliseconds(100));
    }
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    char t[32];
    std::snprintf(t, sizeof t, "%.2f", secs);
    std::string line;
    if (json) {
      tools::json summary = {{"connections", state->done}};
      for (const char* k : kOutcomes) summary[k] = state->outcomes[k];
      summary["goal_met"] = state->goal_met;
      summary["seconds"] = std::round(secs * 100) / 100;  // to the hundredth, as the text line
      line = tools::json_text({{"summary", std::move(summary)}});
    } else {
      line = "closenotify serve: " + std::to_string(state->done) + " connections in " + t + " s:";
      bool first = true;
      for (const char* k : kOutcomes) {
        line += std::string(first ? " " : ", ") + std::to_string(state->outcomes[k]) + " " + k;
        first = false;
      }
      line += "; " + std::to_string(state->goal_met) + " met the --shutdown " +
              std::string(live::to_string(settings->policy)) + " goal";
    }
    std::printf("%s\n", line.c_str());
    std::fflush(stdout);
  }
  ::close(sigfd);
  ::close(stop_fd);
  return exit_ok;
}

outcome run_connect(const std::vector<std::string>& args) {
  std::vector<std::string_view> values = kCommonValues;
  values.push_back("sni");
  auto parsed = parse_options(args, values, kCommonFlags);
  if (auto* f = std::get_if<failure>(&parsed)) return *f;
  const auto& o = std::get<options>(parsed);
  if (o.has("help")) {
    std::fputs(connect_help, stdout);
    return exit_ok;
  }
  if (o.positional.empty()) return usage("missing HOST:PORT (see closenotify connect --help)");
  if (o.positional.size() > 1) return usage("unexpected argument '" + o.positional[1] + "'");
  auto hp = split_host_port(o.positional[0]);
  if (!hp) return usage("HOST:PORT expected, e.g. 127.0.0.1:4433 (got '" + o.positional[0] + "')");
  auto common = common_settings(o, false);
  if (auto* f = std::get_if<failure>(&common)) return *f;
  auto s = std::get<live::settings>(common);
  const auto& [host, port] = *hp;
  unsigned char probe[sizeof(in6_addr)];
  const bool numeric = ::inet_pton(AF_INET, host.c_str(), probe) == 1 || ::inet_pton(AF_INET6, host.c_str(), probe) == 1;
  s.sni = o.get("sni").value_or(numeric ? "" : host);
  if (!no_spaces(s.sni)) return usage("--sni: a name without spaces");
  s.host_header = host;
  ::signal(SIGPIPE, SIG_IGN);
  if (auto bad = preflight(s, role::client)) return failure{bad->exit_code, bad->message};

  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* ai = nullptr;
  if (int rc = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &ai); rc != 0) {
    return failure{exit_rejected, "cannot resolve " + host + ": " + ::gai_strerror(rc)};
  }
  int fd = -1;
  std::string why = "no address";
  for (addrinfo* a = ai; a != nullptr && fd < 0; a = a->ai_next) {
    fd = ::socket(a->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) continue;
    int rc = ::connect(fd, a->ai_addr, a->ai_addrlen);
    if (rc != 0 && errno == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      rc = ::poll(&p, 1, static_cast<int>(s.handshake_timeout.count()));
      int err = ETIMEDOUT;
      socklen_t len = sizeof err;
      if (rc > 0) ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
      rc = err == 0 ? 0 : -1;
      errno = err;
    }
    if (rc != 0) {
      why = std::strerror(errno);
      ::close(fd);
      fd = -1;
    }
  }
  ::freeaddrinfo(ai);
  if (fd < 0) return failure{exit_rejected, "cannot connect to " + o.positional[0] + ": " + why};
  // On stderr, once connected: stdout stays the connection's one line (or JSON object).
  std::fprintf(stderr, "closenotify connect: connected to %s; handshake by %s, profile %s\n",
               o.positional[0].c_str(), s.openssl_version.c_str(), std::string(profile_for(s.profile).name).c_str());
  live::report r = live::run(fd, role::client, s, 1, o.positional[0]);
  print_report(r, o.has("json"));
  return r.goal_met ? exit_ok : exit_rejected;
}

}  // namespace closenotify::cli

// tls.cpp — the OpenSSL side of closenotify-peer: context, in-memory certificate,
// handshake, and the two callbacks that observe what the runner needs for a hand-off
// (key-log secrets, per-direction record counts) and for each step (received alerts).
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "compat.hpp"
#include "peer.hpp"

namespace peer {

namespace {

struct OpenSslFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(X509* p) const { X509_free(p); }
};
using KeyPtr = std::unique_ptr<EVP_PKEY, OpenSslFree>;
using CertPtr = std::unique_ptr<X509, OpenSslFree>;

// A self-signed certificate for `key`, CN=closenotify-peer, valid from an hour ago for a
// year. Nobody verifies it (the client runs SSL_VERIFY_NONE); it only has to be
// well-formed and acceptable to the default security level.
CertPtr self_signed(EVP_PKEY* key) {
  CertPtr cert(X509_new());
  if (!cert) return nullptr;
  X509_NAME* name = X509_get_subject_name(cert.get());
  const auto* cn = reinterpret_cast<const unsigned char*>("closenotify-peer");
  if (!X509_set_version(cert.get(), compat::kX509Version3) ||
      !ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1) ||
      X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600) == nullptr ||
      X509_gmtime_adj(X509_getm_notAfter(cert.get()), 365L * 24 * 3600) == nullptr ||
      !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, cn, -1, -1, 0) ||
      !X509_set_issuer_name(cert.get(), name) || !X509_set_pubkey(cert.get(), key) ||
      X509_sign(cert.get(), key, EVP_sha256()) == 0) {
    return nullptr;
  }
  return cert;
}

// One key and certificate of each kind per process, made on first use: a pooled peer
// (run_pooled) makes them once for all the connections it serves.
struct Credential {
  KeyPtr key;
  CertPtr cert;
};

const Credential& credential(bool rsa) {
  static Credential ec, rs;
  Credential& c = rsa ? rs : ec;
  if (!c.cert) {
    KeyPtr key(rsa ? compat::new_rsa_key(2048) : compat::new_p256_key());
    CertPtr cert = key ? self_signed(key.get()) : nullptr;
    if (cert) c = Credential{std::move(key), std::move(cert)};
  }
  return c;
}

bool add_certificate(SSL_CTX* ctx, bool rsa) {
  const Credential& c = credential(rsa);
  // SSL_CTX_use_* take their own references.
  return c.cert && SSL_CTX_use_certificate(ctx, c.cert.get()) == 1 &&
         SSL_CTX_use_PrivateKey(ctx, c.key.get()) == 1;
}

// Is `suite` one of the context's ciphers, of the right protocol version? Needed because
// SSL_CTX_set_ciphersuites silently skips names it does not know, and the cipher list
// keeps the other version's suites.
bool has_suite(SSL_CTX* ctx, const std::string& suite, bool tls13) {
  STACK_OF(SSL_CIPHER)* ciphers = SSL_CTX_get_ciphers(ctx);
  for (int i = 0; i < sk_SSL_CIPHER_num(ciphers); ++i) {
    const SSL_CIPHER* c = sk_SSL_CIPHER_value(ciphers, i);
    bool is13 = std::strcmp(SSL_CIPHER_get_version(c), "TLSv1.3") == 0;
    if (suite == SSL_CIPHER_get_name(c) && is13 == tls13) return true;
  }
  return false;
}

// ---- one SSL_CTX per configuration, for the life of the process -------------------------
// A pooled peer serves thousands of connections with a handful of configurations (a role
// and a suite), and making the context was the largest part of a connection's cost that is
// not the handshake itself: under OpenSSL 3.x SSL_CTX_new fetches every cipher, digest
// and group from the providers, and the suite lists are parsed again each time
// (docs/performance.md, "What a pooled peer still paid per case"). So a context is made
// once per configuration and kept.
//
// What a context holds that a connection can change is put back before each connection
// (reset_for_connection), so that every connection starts from what a fresh context
// would give it and no case's result depends on the cases before it in the same process.
// Everything a case sets for itself (tickets, SNI, the message callback, `set` options,
// quiet shutdown) goes on its SSL, never on the shared context.

// The parameters new_context reads: equal keys make equal contexts. `tickets` is not
// among them (SSL_set_num_tickets, per connection), nor `sni` (per SSL).
struct ContextKey {
  bool client;
  bool tls13;
  bool dtls;
  bool any_version;
  std::string suite;
  bool operator==(const ContextKey&) const = default;
};

struct SharedContext {
  ContextKey key;
  SSL_CTX* ctx;  // the cache's reference; each SSL made from it holds its own
};

// The matrix needs 18 (6 TLS and 3 DTLS suites, 2 roles); `serve`/`connect` may name any suite list, so
// the oldest is dropped past this many. Dropping one frees nothing a live SSL uses.
constexpr std::size_t kMaxSharedContexts = 32;

// Freed at exit, so that a sanitizer build's leak check (CI runs it with detect_leaks=1)
// finds nothing left, and before OpenSSL's own atexit cleanup, which must come last:
// initialising OpenSSL first registers its handler first, and atexit handlers and static
// destructors run in the reverse order of their registration.
struct SharedContexts {
  SharedContexts() { OPENSSL_init_ssl(0, nullptr); }
  ~SharedContexts() {
    for (SharedContext& c : list) SSL_CTX_free(c.ctx);
  }
  SharedContexts(const SharedContexts&) = delete;
  SharedContexts& operator=(const SharedContexts&) = delete;
  std::vector<SharedContext> list;
};

std::vector<SharedContext>& shared_contexts() {
  static SharedContexts contexts;
  return contexts.list;
}

// The state of a context that connections change, put back to a fresh context's:
//  - The internal session cache. A server adds each TLS 1.2 session to it (it stays on:
//    SSL_SESS_CACHE_SERVER is the default, and turning it off would also empty the
//    ServerHello's session_id, a change on the wire), and a ClientHello that names a
//    cached session resumes it. Emptied here, a renegotiation can still resume its own
//    connection's session, as with a fresh context, but no connection can resume one of
//    an earlier case (compat::flush_all_sessions).
//  - The ticket keys. SSL_CTX_new draws them at random ("Setup RFC5077 ticket keys",
//    ssl_lib.c) and every ticket the context issues (TLS 1.2 and TLS 1.3) is sealed with
//    them; drawn again here, a ticket from an earlier case is as undecryptable as it
//    would be under a fresh context, so it cannot resume. Same sources as SSL_CTX_new:
//    RAND_bytes for the key name, RAND_priv_bytes for the two secrets.
// The statistics counters (SSL_CTX_sess_*) are left to count: nothing reads them but the
// automatic flush every 255 connections, which removes expired sessions only, and the
// cache then holds none but the current connection's.
// A client context has neither to put back: with SSL_SESS_CACHE_SERVER alone (the
// default, never changed here) a client stores no session in it ("Client sessions are
// added to the session cache" is SSL_SESS_CACHE_CLIENT's, SSL_CTX_set_session_cache_mode(3)),
// and only a server seals or opens tickets.
// `given` (ticket_keys=, closenotify serve): the runner's keys instead of fresh ones, the
// same for every connection of its run in every pooled process, so that a ticket issued
// on one connection resumes on the next. The session cache is still emptied: a session
// that resumes does so by its ticket, whichever process holds it.
bool reset_for_connection(SSL_CTX* ctx, bool client, const bytes& given, std::string& why) {
  if (client) return true;
  compat::flush_all_sessions(ctx);
  // The keys' length, asked of OpenSSL (80 in all three: a 16-byte name, TLSEXT_KEYNAME_LENGTH
  // in ssl_local.h, then the HMAC and AES secrets, 32 bytes each).
  constexpr long kNameLength = 16;
  const long length = SSL_CTX_set_tlsext_ticket_keys(ctx, nullptr, 0);
  unsigned char keys[256];
  if (length <= kNameLength || length > static_cast<long>(sizeof keys)) {
    why = "this OpenSSL's ticket keys are " + std::to_string(length) + " bytes";
    return false;
  }
  if (!given.empty()) {
    if (static_cast<long>(given.size()) != length) {
      why = "ticket_keys= must be " + std::to_string(length) + " bytes (SSL_CTX_set_tlsext_ticket_keys), not " +
            std::to_string(given.size());
      return false;
    }
    std::memcpy(keys, given.data(), given.size());
  }
  const bool ok = (!given.empty() || (RAND_bytes(keys, kNameLength) == 1 &&
                                      RAND_priv_bytes(keys + kNameLength, static_cast<int>(length - kNameLength)) == 1)) &&
                  SSL_CTX_set_tlsext_ticket_keys(ctx, keys, length) == 1;
  OPENSSL_cleanse(keys, sizeof keys);
  if (!ok) why = "cannot set the ticket keys: " + queued_reason();
  return ok;
}

}  // namespace

SSL_CTX* context_for_connection(const HandshakeParams& connection, std::string& why) {
  HandshakeParams params = connection;
  params.tickets = -1;  // the context keeps OpenSSL's default; Tls::handshake sets the SSL's
  if (!params.cert.empty()) {
    // PEM files are read when the context is made: a fresh one each time, so that a
    // certificate replaced between connections (closenotify serve) is the one served.
    SSL_CTX* fresh = new_context(params, why);
    if (fresh != nullptr && !params.ticket_keys.empty() &&
        !reset_for_connection(fresh, params.client, params.ticket_keys, why)) {
      SSL_CTX_free(fresh);
      return nullptr;
    }
    return fresh;
  }
  ContextKey key{params.client, params.tls13, params.dtls, params.any_version, params.suite};
  auto& contexts = shared_contexts();
  SSL_CTX* ctx = nullptr;
  for (const SharedContext& c : contexts) {
    if (c.key == key) ctx = c.ctx;
  }
  if (ctx == nullptr) {
    // A configuration that fails (an unknown suite, ...) is not kept: it fails the same
    // way, with the same message, each time it is asked for.
    ctx = new_context(params, why);
    if (ctx == nullptr) return nullptr;
    if (contexts.size() == kMaxSharedContexts) {
      SSL_CTX_free(contexts.front().ctx);
      contexts.erase(contexts.begin());
    }
    contexts.push_back(SharedContext{std::move(key), ctx});
  }
  if (!reset_for_connection(ctx, params.client, params.ticket_keys, why)) {
    why = "cannot reset the context for a new connection: " + why;
    return nullptr;
  }
  if (SSL_CTX_up_ref(ctx) != 1) {  // the caller's reference, as from new_context
    why = "cannot share the context: " + queued_reason();
    return nullptr;
  }
  return ctx;
}

std::string queued_reason() {
  unsigned long e = ERR_peek_error();
  if (e == 0) return "";
  if (const char* r = ERR_reason_error_string(e)) return r;
  // No string: say what ERR_error_string_n prints instead. The case that matters is a
  // received fatal alert OpenSSL has no name for (reason 1000 + description, e.g.
  // "reason(1254)"), spelt so in docs/openssl-3.0-behaviour.md and by closenotify.
  if (compat::is_system_error(e)) return std::strerror(static_cast<int>(ERR_GET_REASON(e)));
  return "reason(" + std::to_string(ERR_GET_REASON(e)) + ")";
}

std::string step_reason() {
  // The first entry raised by the SSL library itself, not by a provider underneath it:
  // TLS 1.2 AES-GCM queues the provider's "cipher operation failed" before the record
  // layer's "decryption failed or bad record mac", and the alert sent (bad_record_mac)
  // is the record layer's (docs/openssl-3.0-behaviour.md). Empties the queue; the step
  // has already asked SSL_get_error.
  unsigned long first = 0;
  unsigned long first_ssl = 0;
  for (unsigned long e = ERR_get_error(); e != 0; e = ERR_get_error()) {
    if (first == 0) first = e;
    if (first_ssl == 0 && ERR_GET_LIB(e) == ERR_LIB_SSL) first_ssl = e;
  }
  const unsigned long e = first_ssl != 0 ? first_ssl : first;
  if (e == 0) return "";
  if (const char* r = ERR_reason_error_string(e)) return r;
  if (compat::is_system_error(e)) return std::strerror(static_cast<int>(ERR_GET_REASON(e)));
  return "reason(" + std::to_string(ERR_GET_REASON(e)) + ")";
}

Tls::~Tls() {
  // SSL_free sends nothing (no close_notify): `quit` must leave the socket untouched.
  // It also drops the SSL's reference to its context (SSL_new took one).
  SSL_free(ssl_);
}

SSL_CTX* new_context(const HandshakeParams& params, std::string& why) {
  const std::string version_name = params.any_version ? "tls1.2/tls1.3"
                                   : params.dtls      ? "dtls1.2"
                                   : params.tls13     ? "tls1.3"
                                                      : "tls1.2";
  // DTLS: DTLS_method, the role set by SSL_connect / SSL_accept as for TLS's methods.
  SSL_CTX* ctx = SSL_CTX_new(params.dtls ? DTLS_method() : params.client ? TLS_client_method() : TLS_server_method());
  if (ctx == nullptr) {
    why = "SSL_CTX_new failed: " + queued_reason();
    return nullptr;
  }
  auto fail_config = [&](const std::string& reason) -> SSL_CTX* {
    SSL_CTX_free(ctx);
    why = reason;
    return nullptr;
  };
  const int min_version = params.dtls ? DTLS1_2_VERSION : params.any_version ? TLS1_2_VERSION : params.tls13 ? TLS1_3_VERSION : TLS1_2_VERSION;
  const int max_version = params.dtls ? DTLS1_2_VERSION : params.any_version ? TLS1_3_VERSION : params.tls13 ? TLS1_3_VERSION : TLS1_2_VERSION;
  if (!SSL_CTX_set_min_proto_version(ctx, min_version) || !SSL_CTX_set_max_proto_version(ctx, max_version)) {
    return fail_config("cannot restrict the context to " + version_name);
  }
  // `suite` is one name or a ':'-separated list. TLS 1.3 suites and TLS 1.2 cipher lists
  // are separate settings in OpenSSL; a name goes to its version's setting (TLS 1.3
  // names start with "TLS_"), and with one fixed version every name must be of it.
  std::vector<std::string> names13, names12;
  for (std::size_t i = 0; i <= params.suite.size();) {
    std::size_t j = params.suite.find(':', i);
    if (j == std::string::npos) j = params.suite.size();
    std::string name = params.suite.substr(i, j - i);
    if (!name.empty()) {
      const bool is13 = name.rfind("TLS_", 0) == 0;
      if (!params.any_version && is13 != params.tls13) return fail_config("unknown " + version_name + " suite: " + name);
      (is13 ? names13 : names12).push_back(name);
    }
    i = j + 1;
  }
  if (names13.empty() && names12.empty()) return fail_config("no suite given");
  auto join = [](const std::vector<std::string>& v) {
    std::string out;
    for (const auto& n : v) out += (out.empty() ? "" : ":") + n;
    return out;
  };
  // An empty TLS 1.3 list disables TLS 1.3 suites; an empty TLS 1.2 list is refused by
  // OpenSSL, so it becomes a list that matches nothing ("!ALL" keeps no cipher).
  const bool use13 = params.any_version || params.tls13;
  const bool use12 = params.any_version || !params.tls13;
  if ((use13 && SSL_CTX_set_ciphersuites(ctx, join(names13).c_str()) != 1) ||
      (use12 && !names12.empty() && SSL_CTX_set_cipher_list(ctx, join(names12).c_str()) != 1)) {
    return fail_config("unknown " + version_name + " suite: " + params.suite);
  }
  if (!params.any_version && !params.tls13 && names12.empty()) return fail_config("no " + version_name + " suite given");
  for (const auto& n : names13) {
    if (!has_suite(ctx, n, true)) return fail_config("unknown " + version_name + " suite: " + n);
  }
  for (const auto& n : names12) {
    if (!has_suite(ctx, n, false)) return fail_config("unknown " + version_name + " suite: " + n);
  }
  if (params.any_version && names12.empty()) {
    // version=any with TLS 1.3 names only: TLS 1.2 offers nothing.
    SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
  }
  if (params.any_version && names13.empty()) SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION);
  ERR_clear_error();  // set_cipher_list may leave noise for names it skipped
  if (params.tickets >= 0 && SSL_CTX_set_num_tickets(ctx, static_cast<size_t>(params.tickets)) != 1) {
    return fail_config("cannot set the number of tickets");
  }
  SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  if (!params.client && !params.cert.empty()) {
    // A certificate (chain) and key from PEM files: RSA or ECDSA, whichever they are.
    if (SSL_CTX_use_certificate_chain_file(ctx, params.cert.c_str()) != 1) {
      return fail_config("cannot load the certificate " + params.cert + ": " + queued_reason());
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, params.key.c_str(), SSL_FILETYPE_PEM) != 1) {
      return fail_config("cannot load the key " + params.key + ": " + queued_reason());
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
      return fail_config("the key " + params.key + " does not match the certificate " + params.cert);
    }
  } else if (!params.client) {
    // P-256 for the ECDSA suites the matrix uses. The ECDHE-RSA suites need an RSA key;
    // the context holds both kinds at once and OpenSSL picks by suite.
    if (!add_certificate(ctx, false)) {
      return fail_config("cannot make the EC certificate: " + queued_reason());
    }
    if (params.suite.find("-RSA-") != std::string::npos &&
        !add_certificate(ctx, true)) {
      return fail_config("cannot make the RSA certificate: " + queued_reason());
    }
  }
  return ctx;
}

namespace {

// DTLS's retransmission timer, made too long to fire in any case: OpenSSL starts it with
// each flight that may need retransmitting ("if (SSL_IS_DTLS(s) && st->use_timer) {
// dtls1_start_timer(s);", statem.c) and, with the default of "timeout_duration_us =
// 1000000" (d1_lib.c), a handshake slowed by a second on a busy machine would retransmit a
// flight (dtls1_handle_timeout, checked at each dtls1_read_bytes), and the duplicate
// datagrams would reach the other side in some runs only. The runner injects every
// datagram fault itself. 3600 s: the callback's answer is an `unsigned int` of
// microseconds (DTLS_timer_cb), so at most about 4294 s; the same for a first start
// (timer_us 0) and a doubling (never reached).
unsigned int far_timer(SSL* /*ssl*/, unsigned int /*timer_us*/) { return 3600u * 1000000u; }

}  // namespace

std::string Tls::handshake(const HandshakeParams& params) {
  ERR_clear_error();
  tls13_ = params.tls13;
  dtls_ = params.dtls;
  any_version_ = params.any_version;

  // Configuration problems leave no trace: nothing has touched the socket yet, so the
  // runner may send a corrected `handshake`.
  std::string why;
  SSL_CTX* ctx = context_for_connection(params, why);
  if (ctx == nullptr) return why;
  // The key-log callback exists only on the context, in all three releases (there is no
  // SSL_set_keylog_callback): the same function for every connection, which finds the
  // connection's own Tls through the SSL's app data, never through the context.
  SSL_CTX_set_keylog_callback(ctx, on_keylog);
  SSL* ssl = SSL_new(ctx);
  SSL_CTX_free(ctx);  // the SSL holds its own reference now (SSL_new: SSL_CTX_up_ref)
  if (ssl != nullptr && params.tickets >= 0 && SSL_set_num_tickets(ssl, static_cast<size_t>(params.tickets)) != 1) {
    SSL_free(ssl);
    return "cannot set the number of tickets";
  }
  BIO* bio = ssl != nullptr ? socket_.new_bio() : nullptr;
  if (bio == nullptr) {
    SSL_free(ssl);
    return "cannot create the SSL object: " + queued_reason();
  }
  ssl_ = ssl;
  SSL_set_bio(ssl_, bio, bio);  // one BIO both ways: SSL_set_bio takes a single reference
  // Everything of this connection's own goes on the SSL, which SSL_new filled from the
  // context (the number of tickets above, the message callback, the server name; `set`
  // later adds options and quiet shutdown the same way): the shared context stays as made.
  SSL_set_app_data(ssl_, this);
  SSL_set_msg_callback(ssl_, on_message);
  SSL_set_msg_callback_arg(ssl_, this);
  if (params.client && !params.sni.empty() && SSL_set_tlsext_host_name(ssl_, params.sni.c_str()) != 1) {
    return "cannot set the server name " + params.sni + ": " + queued_reason();
  }
  if (params.dtls) {
    // A socketpair has no path MTU: say the MTU instead of asking the BIO
    // (dtls1_query_mtu: "if (!(SSL_get_options(s) & SSL_OP_NO_QUERY_MTU)) { s->d1->mtu =
    // BIO_ctrl(SSL_get_wbio(s), BIO_CTRL_DGRAM_QUERY_MTU, 0, NULL);"). The option first:
    // dtls1_clear keeps d1->mtu only "if (SSL_get_options(s) & SSL_OP_NO_QUERY_MTU)".
    SSL_set_options(ssl_, SSL_OP_NO_QUERY_MTU);
    if (SSL_set_mtu(ssl_, kDtlsMtu) <= 0) return "cannot set the DTLS MTU: " + queued_reason();
    DTLS_set_timer_cb(ssl_, far_timer);
    // No cookie exchange: a server does one only with SSL_OP_COOKIE_EXCHANGE (and
    // DTLSv1_listen), neither of which the peer uses.
  }

  // The handshake always runs in blocking mode (the BIO waits, announcing each wait with
  // a `blocked` line), then the mode the runner chose is put back. Already blocking (a
  // case's usual start: attach made it so), there is nothing to change either way, and
  // the four fcntl calls are skipped.
  const bool was_blocking = socket_.blocking();
  if (!was_blocking && !socket_.set_blocking(true)) {
    return std::string("handshake failed: fcntl: ") + std::strerror(errno);
  }
  errno = 0;
  int ret = params.client ? SSL_connect(ssl_) : SSL_accept(ssl_);
  int saved_errno = errno;
  if (ret != 1) {
    int err = SSL_get_error(ssl_, ret);
    why = queued_reason();
    if (why.empty() && err == SSL_ERROR_SYSCALL) {
      why = saved_errno != 0 ? std::string(std::strerror(saved_errno)) : "eof from the other side";
    }
    if (why.empty()) why = "SSL_get_error " + std::to_string(err);
  }
  if (!was_blocking) socket_.set_blocking(false);
  if (ret != 1) return "handshake failed: " + why;
  if (params.dtls) {
    // Nothing may be left to retransmit by itself: the last flight is sent without a timer
    // ("We're into the last flight. We don't retransmit the last flight unless we need to,
    // so we don't use the timer", statem_srvr.c) and the other side's timer stops once it
    // has read that flight (statem.c, MSG_PROCESS_FINISHED_READING: dtls1_stop_timer).
    // DTLSv1_get_timeout: 1 while a timer runs.
    timeval left{};
    if (DTLSv1_get_timeout(ssl_, &left) == 1) {
      return "handshake failed: a DTLS retransmission timer still runs after the handshake";
    }
    // The hand-off states one epoch for both directions: both must have changed to it.
    if (!dtls_written_ || !dtls_read_ || dtls_write_epoch_ != dtls_read_epoch_) {
      return "handshake failed: the record headers show read epoch " + std::to_string(dtls_read_epoch_) +
             " and write epoch " + std::to_string(dtls_write_epoch_);
    }
  }
  ready_ = true;
  return "";
}

std::string Tls::handoff_fields() const {
  unsigned char client_random[SSL3_RANDOM_SIZE];
  unsigned char server_random[SSL3_RANDOM_SIZE];
  std::size_t cr = SSL_get_client_random(ssl_, client_random, sizeof client_random);
  std::size_t sr = SSL_get_server_random(ssl_, server_random, sizeof server_random);
  const bool tls13 = SSL_version(ssl_) == TLS1_3_VERSION;
  const bool dtls = SSL_version(ssl_) == DTLS1_2_VERSION;
  const SSL_CIPHER* cipher = SSL_get_current_cipher(ssl_);
  auto or_dash = [](const std::string& s) { return s.empty() ? std::string("-") : s; };
  std::string dtls_fields;
  if (dtls) {
    // rseq/wseq above are the same numbers for DTLS (on_message); the window's map as
    // 16 hex digits, bit i: the sequence number max - i was received.
    char map[17];
    std::snprintf(map, sizeof map, "%016llx", static_cast<unsigned long long>(dtls_window_map_));
    dtls_fields = " epoch=" + std::to_string(dtls_write_epoch_) + " rwindow=" + std::to_string(dtls_window_max_) +
                  ":" + map;
  }
  return std::string("version=") + (dtls ? "dtls1.2" : tls13 ? "tls1.3" : "tls1.2") +
         " suite=" + (cipher != nullptr ? SSL_CIPHER_get_name(cipher) : "-") +
         " client_random=" + hex(client_random, cr) + " server_random=" + hex(server_random, sr) +
         " client_secret=" + (tls13 ? or_dash(client_secret_) : "-") +
         " server_secret=" + (tls13 ? or_dash(server_secret_) : "-") +
         " master=" + (tls13 ? "-" : or_dash(master_)) + " rseq=" + std::to_string(rseq_) +
         " wseq=" + std::to_string(wseq_) + dtls_fields + " rx=" + std::to_string(socket_.rx()) +
         " tx=" + std::to_string(socket_.tx());
}

std::string Tls::take_alerts() {
  std::string out;
  for (const std::string& a : alerts_) out += (out.empty() ? "" : ",") + a;
  alerts_.clear();
  return out.empty() ? "-" : out;
}

std::string Tls::keylog_field() const {
  std::string out;
  for (const std::string& l : keylog_) out += (out.empty() ? "" : ",") + l;
  return out.empty() ? "-" : out;
}

// NSS key-log lines: "<LABEL> <client_random hex> <secret hex>". OpenSSL 3.0 logs only
// the _0 application secrets; later KeyUpdate secrets are never logged.
void Tls::on_keylog(const SSL* ssl, const char* line) {
  auto* self = static_cast<Tls*>(SSL_get_app_data(ssl));
  if (self == nullptr) return;
  std::string_view rest(line);
  std::size_t first = rest.find(' ');
  std::size_t second = first == std::string_view::npos ? first : rest.find(' ', first + 1);
  if (second == std::string_view::npos) return;
  std::string_view label = rest.substr(0, first);
  std::string secret(rest.substr(second + 1));
  self->keylog_.push_back(std::string(label) + ":" + secret);
  if (label == "CLIENT_TRAFFIC_SECRET_0") self->client_secret_ = secret;
  else if (label == "SERVER_TRAFFIC_SECRET_0") self->server_secret_ = secret;
  else if (label == "CLIENT_RANDOM") self->master_ = secret;
}

// Record counting. OpenSSL reports SSL3_RT_HEADER once per record, read or written, so
// counting headers gives the next sequence number. The count starts again with the
// first record under new keys:
//  - TLS 1.3: after Finished and KeyUpdate, the last messages under the old keys. For a
//    written record OpenSSL reports the header (do_ssl3_write) before the message
//    (ssl3_do_write, once the record is out); for a read one the header comes with the
//    record and the message once it is complete. Either way the reset follows the count
//    of the record that carried the message, which belongs to the old keys.
//  - TLS 1.2: after the ChangeCipherSpec record, recognised by its header's type byte.
//    Not by the CCS message: OpenSSL 3.0 reports a *written* CCS to the callback but
//    never a *received* one (tls_get_message_header takes it without calling back).
//    TLS 1.3's middlebox-compatibility CCS changes no keys and must not reset anything.
void Tls::on_message(int write_p, int /*version*/, int content_type, const void* buf,
                     std::size_t len, SSL* ssl, void* arg) {
  auto* self = static_cast<Tls*>(arg);
  // version=any: the version is known once the ServerHello is (every reset below comes
  // after it: TLS 1.3's Finished and its middlebox CCS, TLS 1.2's CCS).
  if (self->any_version_ && ssl != nullptr) self->tls13_ = SSL_version(ssl) == TLS1_3_VERSION;
  const auto* p = static_cast<const unsigned char*>(buf);
  if (self->dtls_) {
    // DTLS: the 13-byte header itself says the epoch and sequence number.
    if (content_type == SSL3_RT_HEADER && len == DTLS1_RT_HEADER_LENGTH) self->dtls_header(write_p != 0, p);
    if (content_type == SSL3_RT_ALERT && !write_p && len >= 2) self->alerts_.push_back(hex(p, 2));
    return;
  }
  std::uint64_t& seq = write_p ? self->wseq_ : self->rseq_;
  switch (content_type) {
    case SSL3_RT_HEADER:
      ++seq;
      if (!self->tls13_ && len >= 1 && p[0] == SSL3_RT_CHANGE_CIPHER_SPEC) seq = 0;
      break;
    case SSL3_RT_HANDSHAKE:
      if (self->tls13_ && len >= 1 && (p[0] == SSL3_MT_FINISHED || p[0] == SSL3_MT_KEY_UPDATE)) seq = 0;
      break;
    case SSL3_RT_ALERT:
      if (!write_p && len >= 2) self->alerts_.push_back(hex(p, 2));
      break;
    default:
      break;
  }
}

}  // namespace peer

namespace peer {

// One DTLS record header, as the message callback reports it: for a written record once it
// is sealed (1.1.1 and 3.0, do_dtls1_write: "s->msg_callback(1, 0, SSL3_RT_HEADER, pseq -
// DTLS1_RT_HEADER_LENGTH, DTLS1_RT_HEADER_LENGTH, ...)"; 3.5, tls_common.c:
// "rl->msg_callback(1, thiswr->rec_version, SSL3_RT_HEADER, recordstart, headerlen, ...)"),
// for a read one as soon as its header is in (1.1.1 and 3.0, dtls1_get_record:
// "s->msg_callback(0, 0, SSL3_RT_HEADER, p, DTLS1_RT_HEADER_LENGTH, ...)"; 3.5,
// dtls_get_more_records: "rl->msg_callback(0, rr->rec_version, SSL3_RT_HEADER, rl->packet,
// DTLS1_RT_HEADER_LENGTH, ...)").
//
// The read callback comes before every check of the record: a record OpenSSL then
// discards (wrong version or epoch, replayed, not authentic) is counted here all the same.
// The hand-off follows the handshake, over a socketpair that loses nothing and with no
// retransmission (far_timer), so no record of the epoch has been discarded there.
void Tls::dtls_header(bool write_p, const unsigned char* h) {
  // RFC 6347 §4.1: type(1) version(2) epoch(2) sequence_number(6) length(2).
  const auto epoch = static_cast<std::uint16_t>(h[3] << 8 | h[4]);
  std::uint64_t seq = 0;
  for (int i = 5; i < 11; ++i) seq = seq << 8 | h[i];
  if (write_p) {
    // wseq: the next sequence number this side writes in the epoch, the one after the
    // last header's (ssl3_record_sequence_update counts up by one per record).
    dtls_written_ = true;
    dtls_write_epoch_ = epoch;
    wseq_ = seq + 1;
    return;
  }
  if (dtls_read_ && epoch < dtls_read_epoch_) return;  // an older epoch: dropped, "wrong epoch"
  if (!dtls_read_ || epoch > dtls_read_epoch_) {
    // A new epoch starts with a zeroed bitmap: 1.1.1 and 3.0, dtls1_reset_seq_numbers:
    // "memcpy(&s->rlayer.d->bitmap, &s->rlayer.d->next_bitmap, ...); memset(&s->rlayer.d->
    // next_bitmap, 0, ...)"; 3.5 reads each epoch with a new record layer, "OSSL_RECORD_LAYER
    // *rl = OPENSSL_zalloc(sizeof(*rl));" (tls_common.c), its bitmap zeroed with it.
    dtls_read_ = true;
    dtls_read_epoch_ = epoch;
    rseq_ = 0;
    dtls_window_max_ = 0;
    dtls_window_map_ = 0;
  }
  ++rseq_;
  // dtls1_record_bitmap_update (dtls1_bitmap.c; 3.5: dtls_record_bitmap_update):
  //   cmp = satsub64be(seq, bitmap->max_seq_num);
  //   if (cmp > 0) { shift = cmp; if (shift < sizeof(bitmap->map) * 8)
  //       bitmap->map <<= shift, bitmap->map |= 1UL; else bitmap->map = 1UL;
  //       memcpy(bitmap->max_seq_num, seq, SEQ_NUM_SIZE); }
  //   else { shift = -cmp; if (shift < sizeof(bitmap->map) * 8) bitmap->map |= 1UL << shift; }
  // satsub64be saturates at +-128; any shift of 64 or more is "outside the window" alike.
  if (seq > dtls_window_max_) {
    const std::uint64_t shift = seq - dtls_window_max_;
    dtls_window_map_ = shift < 64 ? (dtls_window_map_ << shift) | 1u : 1u;
    dtls_window_max_ = seq;
  } else {
    const std::uint64_t shift = dtls_window_max_ - seq;
    if (shift < 64) dtls_window_map_ |= std::uint64_t{1} << shift;
  }
}

}  // namespace peer

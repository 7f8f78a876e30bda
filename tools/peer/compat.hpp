// compat.hpp — the one place in closenotify-peer that depends on which OpenSSL release it
// is compiled against. The rest of the peer is written to OpenSSL 3.0's API and calls
// these where OpenSSL 1.1.1 has no such thing; `OPENSSL_VERSION_NUMBER` is tested here
// and nowhere else.
//
// Builds (tools/peer/meson.build): closenotify-peer against the system's OpenSSL 3.0, and
// closenotify-peer-<series> against each series tools/install-openssl.sh put in the
// OpenSSL cache (1.1.1 and 3.5). 3.5 takes the 3.0 branch, and the 3.4 one where 3.4
// deprecated a call.
#pragma once

#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/opensslv.h>
#include <openssl/rsa.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <cstdint>

#if OPENSSL_VERSION_NUMBER < 0x10101000L
#error "closenotify-peer needs OpenSSL 1.1.1 or later (TLS 1.3, SSL_CTX_set_keylog_callback)"
#endif

namespace peer::compat {

// An SSL option the peer's `set` command turns on, or, on a release that lacks it,
// `bits` 0 and `missing` the text of the `error` line that refuses the command.
struct Option {
  std::uint64_t bits;
  const char* missing;  // nullptr when the option exists
};

#if OPENSSL_VERSION_NUMBER < 0x30000000L  // ---- OpenSSL 1.1.1 -----------------------------

// X509_VERSION_3 (3.0's x509.h) is the encoded value 2; 1.1.1 has no name for it.
inline constexpr long kX509Version3 = 2;

// 3.0 marks a system error with ERR_SYSTEM_FLAG (ERR_SYSTEM_ERROR); 1.1.1 queues it as an
// ERR_LIB_SYS entry. In both, ERR_GET_REASON is then the errno value.
inline bool is_system_error(unsigned long e) { return ERR_GET_LIB(e) == ERR_LIB_SYS; }

// SSL_OP_IGNORE_UNEXPECTED_EOF is new in 3.0: 1.1.1 always reports an EOF without
// close_notify as SSL_ERROR_SYSCALL, and the peer must not pretend otherwise.
inline constexpr Option kIgnoreUnexpectedEof{
    0, "OpenSSL 1.1.1 has no SSL_OP_IGNORE_UNEXPECTED_EOF (it came with OpenSSL 3.0)"};

namespace detail {
// EVP_PKEY_keygen on a fresh context of `type`, after `configure` (what 3.0's
// EVP_EC_gen / EVP_RSA_gen do internally). nullptr on any failure, error queued.
template <class Configure>
EVP_PKEY* keygen(int type, Configure configure) {
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_id(type, nullptr);
  EVP_PKEY* key = nullptr;
  if (ctx == nullptr || EVP_PKEY_keygen_init(ctx) <= 0 || !configure(ctx) ||
      EVP_PKEY_keygen(ctx, &key) <= 0) {
    key = nullptr;
  }
  EVP_PKEY_CTX_free(ctx);
  return key;
}
}  // namespace detail

// A fresh P-256 key, named-curve encoded (EVP_EC_gen("P-256")).
inline EVP_PKEY* new_p256_key() {
  return detail::keygen(EVP_PKEY_EC, [](EVP_PKEY_CTX* ctx) {
    return EVP_PKEY_CTX_set_ec_paramgen_curve_nid(ctx, NID_X9_62_prime256v1) > 0 &&
           EVP_PKEY_CTX_set_ec_param_enc(ctx, OPENSSL_EC_NAMED_CURVE) > 0;
  });
}

// A fresh RSA key of `bits` bits, public exponent 65537 (EVP_RSA_gen(bits)).
inline EVP_PKEY* new_rsa_key(unsigned int bits) {
  return detail::keygen(EVP_PKEY_RSA, [bits](EVP_PKEY_CTX* ctx) {
    return EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, static_cast<int>(bits)) > 0;
  });
}

#else  // ---- OpenSSL 3.0 and later (the system's 3.0, the cache's 3.5) ------------------

inline constexpr long kX509Version3 = X509_VERSION_3;

inline bool is_system_error(unsigned long e) { return ERR_SYSTEM_ERROR(e); }

inline constexpr Option kIgnoreUnexpectedEof{SSL_OP_IGNORE_UNEXPECTED_EOF, nullptr};

inline EVP_PKEY* new_p256_key() { return EVP_EC_gen("P-256"); }

inline EVP_PKEY* new_rsa_key(unsigned int bits) { return EVP_RSA_gen(bits); }

#endif

// Remove every session from the context's internal cache: a time of 0 means "all", not
// "expired by 1970" (ssl_sess.c, 1.1.1: "if ((p->time == 0) || ...)"; 3.0 and 3.5:
// "if (t == 0 || sess_timedout(...))"). 3.4 deprecated the `long` form ("not Y2038-safe,
// replace with SSL_CTX_flush_sessions_ex()"), which 1.1.1 and 3.0 do not have.
inline void flush_all_sessions(SSL_CTX* ctx) {
#if OPENSSL_VERSION_NUMBER >= 0x30400000L
  SSL_CTX_flush_sessions_ex(ctx, 0);
#else
  SSL_CTX_flush_sessions(ctx, 0);
#endif
}

}  // namespace peer::compat

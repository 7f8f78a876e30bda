// profile.cpp — the table of differences between the five SSL_shutdown pages.
#include "closenotify/profile.hpp"

#include <array>

namespace closenotify {

namespace {

using eof = unexpected_eof_report;
using unread = unread_data_at_shutdown;
using names = alert_reason_names;
using warnings = tls13_warning_rule;
using write_failure = write_failure_report;
using behind = alert_behind_write;
using after = record_after_close;
using ad = alert_description;

// OpenSSL 1.1.1w (ssl3_record.c, tls1_enc): a TLS 1.2 AEAD record shorter than explicit
// nonce + tag fails the cipher's EVP_CTRL_AEAD_TLS1_AAD ("if (pad <= 0)") before any
// decryption: SSLfatal(s, SSL_AD_INTERNAL_ERROR, ..., ERR_R_INTERNAL_ERROR).
// ssl3_record_tls13.c, tls13_enc: "if (rec->length < taglen + 1) return 0", which
// ssl3_get_record reports as SSL_R_BLOCK_CIPHER_PAD_IS_WRONG (alert bad_record_mac).
constexpr fatal_override kOpenssl111Overrides[] = {
    {fatal_check::tls12_aead_record_too_short, ad::internal_error, "internal error"},
    {fatal_check::tls13_record_too_short, ad::bad_record_mac, "block cipher pad is wrong"},
};

// OpenSSL 3.5.7 (record/methods/): the short TLS 1.2 AEAD record as in 1.1.1; a length
// over the read buffer is judged by the version's own limit first
// (tls13_validate_record_header / tls_common.c: SSL_R_ENCRYPTED_LENGTH_TOO_LONG); a TLS
// 1.3 record of major version other than 3 meets tls13_validate_record_header's
// `rec->rec_version != TLS1_2_VERSION` (SSL_AD_DECODE_ERROR, "wrong version number").
constexpr fatal_override kOpenssl35Overrides[] = {
    {fatal_check::tls12_aead_record_too_short, ad::internal_error, "internal error"},
    {fatal_check::record_over_read_buffer, ad::record_overflow, "encrypted length too long"},
    {fatal_check::tls13_record_major_version, ad::decode_error, "wrong version number"},
};

// id, name, pages, measured against; EOF, IGNORE_UNEXPECTED_EOF, unread
// data; alert names, TLS 1.3 warnings, failed write, alert behind a write, a record after
// close_notify, TLS 1.3 client's compatibility CCS; fatal overrides; DTLS: the record length
// limit, a warning alert's record, no_renegotiation, empty records (3.0's unless given).
constexpr std::array<profile, 5> kProfiles{{
    {profile_id::openssl_1_0, "openssl-1.0", "000, 002", "", eof::syscall_eof, false, unread::discard,
     names::sslv3, warnings::warning_level, write_failure::nothing_queued, behind::kept, after::stays_current, false, {}},
    {profile_id::libressl, "libressl", "003", "", eof::syscall_eof, false, unread::discard, names::sslv3,
     warnings::warning_level, write_failure::nothing_queued, behind::kept, after::stays_current, false, {}},
    {profile_id::openssl_1_1_1, "openssl-1.1.1", "001", "OpenSSL 1.1.1w  11 Sep 2023 (Debian 1.1.1w-0+deb11u8)",
     eof::syscall_eof, false, unread::fail, names::sslv3, warnings::warning_level, write_failure::nothing_queued,
     behind::kept, after::stays_current, false, kOpenssl111Overrides, dtls_openssl30_max_record_length,
     dtls_warning_alert::read_again, false, dtls_empty_record::delivered, dtls_empty_datagram::returns_0,
     fatal{ad::internal_error, "internal error"}},
    {profile_id::openssl_3_0, "openssl-3.0", "001, 004", "OpenSSL 3.0.22 25 Aug 2026 (Debian 3.0.22-1~deb12u2)",
     eof::ssl_error, true, unread::fail, names::sslv3, warnings::warning_level, write_failure::nothing_queued,
     behind::kept, after::stays_current, false, {}},
    {profile_id::openssl_3_5, "openssl-3.5", "004", "OpenSSL 3.5.7 9 Jun 2026 (Debian 3.5.7-1~deb13u2)",
     eof::ssl_error, true, unread::fail, names::ssl_tls, warnings::user_canceled_only, write_failure::system_error,
     behind::dropped, after::passed_over_unreleased, true, kOpenssl35Overrides,
     dtls_openssl35_max_record_length, dtls_warning_alert::released, true, dtls_empty_record::dropped,
     dtls_empty_datagram::returns_minus_one, fatal{ad::internal_error, "record layer failure"}},
}};
static_assert(kProfiles[3].id == profile_id::openssl_3_0, "profile_for's fallback is the system OpenSSL's");

}  // namespace

std::span<const profile> profiles() noexcept { return kProfiles; }

const profile& profile_for(profile_id id) noexcept {
  for (const profile& p : kProfiles) {
    if (p.id == id) return p;
  }
  return kProfiles[3];  // unreachable: every id is in the table (static_assert above)
}

const profile* find_profile(std::string_view name) noexcept {
  for (const profile& p : kProfiles) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

}  // namespace closenotify

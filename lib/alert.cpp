// alert.cpp — the alert codec and OpenSSL 3.0's reading of a received alert.
#include "closenotify/alert.hpp"

#include <algorithm>
#include <charconv>
#include <utility>

namespace closenotify {
namespace {

struct description_row {
  alert_description value;
  std::string_view name;        // RFC 8446 §6 / RFC 5246 §7.2 spelling
  std::string_view openssl;     // OpenSSL 3.0 reason string for SSL_AD_REASON_OFFSET + value
};

using ad = alert_description;

// The reason strings are libssl 3.0.19's own (ERR_reason_error_string of
// ERR_PACK(ERR_LIB_SSL, 0, 1000 + description) with OPENSSL_INIT_LOAD_SSL_STRINGS, read
// from /usr/lib/x86_64-linux-gnu/libssl.so.3 on the build machine). OpenSSL has no
// string for close_notify (0): an error with that reason prints as "reason(1000)".
constexpr description_row kDescriptions[] = {
    {ad::close_notify, "close_notify", ""},
    {ad::unexpected_message, "unexpected_message", "sslv3 alert unexpected message"},
    {ad::bad_record_mac, "bad_record_mac", "sslv3 alert bad record mac"},
    {ad::decryption_failed_RESERVED, "decryption_failed_RESERVED", "tlsv1 alert decryption failed"},
    {ad::record_overflow, "record_overflow", "tlsv1 alert record overflow"},
    {ad::decompression_failure_RESERVED, "decompression_failure_RESERVED",
     "sslv3 alert decompression failure"},
    {ad::handshake_failure, "handshake_failure", "sslv3 alert handshake failure"},
    {ad::no_certificate_RESERVED, "no_certificate_RESERVED", "sslv3 alert no certificate"},
    {ad::bad_certificate, "bad_certificate", "sslv3 alert bad certificate"},
    {ad::unsupported_certificate, "unsupported_certificate", "sslv3 alert unsupported certificate"},
    {ad::certificate_revoked, "certificate_revoked", "sslv3 alert certificate revoked"},
    {ad::certificate_expired, "certificate_expired", "sslv3 alert certificate expired"},
    {ad::certificate_unknown, "certificate_unknown", "sslv3 alert certificate unknown"},
    {ad::illegal_parameter, "illegal_parameter", "sslv3 alert illegal parameter"},
    {ad::unknown_ca, "unknown_ca", "tlsv1 alert unknown ca"},
    {ad::access_denied, "access_denied", "tlsv1 alert access denied"},
    {ad::decode_error, "decode_error", "tlsv1 alert decode error"},
    {ad::decrypt_error, "decrypt_error", "tlsv1 alert decrypt error"},
    {ad::export_restriction_RESERVED, "export_restriction_RESERVED", "tlsv1 alert export restriction"},
    {ad::protocol_version, "protocol_version", "tlsv1 alert protocol version"},
    {ad::insufficient_security, "insufficient_security", "tlsv1 alert insufficient security"},
    {ad::internal_error, "internal_error", "tlsv1 alert internal error"},
    {ad::inappropriate_fallback, "inappropriate_fallback", "tlsv1 alert inappropriate fallback"},
    {ad::user_canceled, "user_canceled", "tlsv1 alert user cancelled"},
    {ad::no_renegotiation_RESERVED, "no_renegotiation_RESERVED", "tlsv1 alert no renegotiation"},
    {ad::missing_extension, "missing_extension", "tlsv13 alert missing extension"},
    {ad::unsupported_extension, "unsupported_extension", "tlsv1 unsupported extension"},
    {ad::certificate_unobtainable_RESERVED, "certificate_unobtainable_RESERVED",
     "tlsv1 certificate unobtainable"},
    {ad::unrecognized_name, "unrecognized_name", "tlsv1 unrecognized name"},
    {ad::bad_certificate_status_response, "bad_certificate_status_response",
     "tlsv1 bad certificate status response"},
    {ad::bad_certificate_hash_value_RESERVED, "bad_certificate_hash_value_RESERVED",
     "tlsv1 bad certificate hash value"},
    {ad::unknown_psk_identity, "unknown_psk_identity", "tlsv1 alert unknown psk identity"},
    {ad::certificate_required, "certificate_required", "tlsv13 alert certificate required"},
    {ad::no_application_protocol, "no_application_protocol", "tlsv1 alert no application protocol"},
};

constexpr auto kKnown = [] {
  std::array<alert_description, std::size(kDescriptions)> out{};
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = kDescriptions[i].value;
  return out;
}();

const description_row* find_row(alert_description d) noexcept {
  for (const auto& row : kDescriptions) {
    if (row.value == d) return &row;
  }
  return nullptr;
}

// "reason(1000)" … "reason(1255)": what OpenSSL 3.0's ERR_error_string_n prints for an
// SSL reason code with no string, i.e. for a received fatal alert whose description
// OpenSSL does not name. Built once so every reason stays a static string.
constexpr std::size_t kUnnamedReasonLength = 12;  // "reason(1xxx)"
constexpr auto kUnnamedReasons = [] {
  std::array<std::array<char, kUnnamedReasonLength>, 256> out{};
  for (int d = 0; d < 256; ++d) {
    const int code = 1000 + d;
    const char prefix[] = "reason(";
    for (int i = 0; i < 7; ++i) out[d][i] = prefix[i];
    out[d][7] = static_cast<char>('0' + code / 1000);
    out[d][8] = static_cast<char>('0' + code / 100 % 10);
    out[d][9] = static_cast<char>('0' + code / 10 % 10);
    out[d][10] = static_cast<char>('0' + code % 10);
    out[d][11] = ')';
  }
  return out;
}();

// OpenSSL 3.5 renamed the SSLv3-era alert reasons ("sslv3 alert X" became "ssl/tls alert
// X"), read from the 3.5.7 build's libcrypto.so.3 (where 3.x keeps the error strings);
// every other reason string is unchanged.
constexpr std::pair<alert_description, std::string_view> kSslTlsNames[] = {
    {ad::unexpected_message, "ssl/tls alert unexpected message"},
    {ad::bad_record_mac, "ssl/tls alert bad record mac"},
    {ad::decompression_failure_RESERVED, "ssl/tls alert decompression failure"},
    {ad::handshake_failure, "ssl/tls alert handshake failure"},
    {ad::no_certificate_RESERVED, "ssl/tls alert no certificate"},
    {ad::bad_certificate, "ssl/tls alert bad certificate"},
    {ad::unsupported_certificate, "ssl/tls alert unsupported certificate"},
    {ad::certificate_revoked, "ssl/tls alert certificate revoked"},
    {ad::certificate_expired, "ssl/tls alert certificate expired"},
    {ad::certificate_unknown, "ssl/tls alert certificate unknown"},
    {ad::illegal_parameter, "ssl/tls alert illegal parameter"},
};

/// peer_alert_reason: the reason OpenSSL records for a received fatal alert
/// (SSLfatal_data(s, SSL_AD_NO_ALERT, SSL_AD_REASON_OFFSET + alert_descr, ...)).
std::string_view peer_alert_reason(alert_description d, alert_reason_names names) noexcept {
  if (names == alert_reason_names::ssl_tls) {
    for (const auto& [value, reason] : kSslTlsNames) {
      if (value == d) return reason;
    }
  }
  if (const auto* row = find_row(d); row != nullptr && !row->openssl.empty()) return row->openssl;
  const auto& s = kUnnamedReasons[static_cast<std::uint8_t>(d)];
  return {s.data(), s.size()};
}

template <class T>
std::optional<T> parse_byte_number(std::string_view s) noexcept {
  unsigned value = 0;
  const auto* first = s.data();
  const auto* last = s.data() + s.size();
  const auto [ptr, ec] = std::from_chars(first, last, value);
  if (s.empty() || ec != std::errc{} || ptr != last || value > 255) return std::nullopt;
  return static_cast<T>(value);
}

}  // namespace

std::span<const alert_description> known_alert_descriptions() noexcept { return kKnown; }

bool is_known(alert_description d) noexcept { return find_row(d) != nullptr; }

std::string_view to_string(alert_description d) noexcept {
  const auto* row = find_row(d);
  return row != nullptr ? row->name : "unknown";
}

std::string_view to_string(alert_level l) noexcept {
  switch (l) {
    case alert_level::warning: return "warning";
    case alert_level::fatal: return "fatal";
  }
  return "unknown";
}

std::optional<alert_description> parse_alert_description(std::string_view s) noexcept {
  for (const auto& row : kDescriptions) {
    if (row.name == s) return row.value;
  }
  return parse_byte_number<alert_description>(s);
}

std::optional<alert_level> parse_alert_level(std::string_view s) noexcept {
  if (s == "warning" || s == "1") return alert_level::warning;
  if (s == "fatal" || s == "2") return alert_level::fatal;
  return std::nullopt;
}

std::array<std::uint8_t, 2> encode_alert(alert a) noexcept {
  return {static_cast<std::uint8_t>(a.level), static_cast<std::uint8_t>(a.description)};
}

std::variant<alert, fatal> parse_alert(bytes_view fragment) noexcept {
  // RFC 8446 §6: "struct { AlertLevel level; AlertDescription description; } Alert;" —
  // two bytes, no more, no fewer. OpenSSL 3.0 (ssl3_read_bytes) rejects any other
  // length with SSLfatal(s, SSL_AD_UNEXPECTED_MESSAGE, SSL_R_INVALID_ALERT).
  if (fragment.size() != 2) {
    return fatal{alert_description::unexpected_message, "invalid alert"};
  }
  return alert{static_cast<alert_level>(fragment[0]),
               static_cast<alert_description>(fragment[1])};
}

alert_meaning classify_received_alert(alert a, protocol_version v, tls13_warning_rule rule,
                                      alert_reason_names names) noexcept {
  // The branches follow OpenSSL 3.0's ssl3_read_bytes, in its order.
  const bool is_tls13 = v == protocol_version::tls13;
  const bool is_warning = a.level == alert_level::warning;
  const bool is_fatal = a.level == alert_level::fatal;
  const auto d = a.description;

  // OpenSSL 3.0 (rec_layer_s3.c): `alert_level == SSL3_AL_WARNING || (is_tls13 &&
  // alert_descr == SSL_AD_USER_CANCELLED)` records warn_alert and increments the
  // warning-alert counter — in TLS 1.3 too, before the alert is judged fatal.
  // OpenSSL 3.5 counts no TLS 1.3 alert but user_canceled (tls13_warning_rule).
  const bool counts = (is_warning && (!is_tls13 || rule == tls13_warning_rule::warning_level)) ||
                      (is_tls13 && d == ad::user_canceled);

  // RFC 8446 §6.1: "user_canceled: ... This alert should be followed by a close_notify."
  // OpenSSL: "the only other warning alert in TLSv1.3 is user_cancelled - which we just
  // ignore" (at any level).
  if (is_tls13 && d == ad::user_canceled) {
    return {alert_effect::ignore, std::nullopt, {}, counts};
  }
  // RFC 8446 §6.1: "close_notify: This alert notifies the recipient that the sender will
  // not send any more messages on this connection." TLS 1.3 reads it at any level;
  // TLS 1.2 (RFC 5246 §7.2.1) only as a warning — a fatal close_notify is fatal below.
  if (d == ad::close_notify && (is_tls13 || is_warning)) {
    return {alert_effect::close_notify, std::nullopt, {}, counts};
  }
  // RFC 8446 §6.2: "All the alerts listed in Section 6.2 MUST be sent with
  // AlertLevel=fatal and MUST be treated as error alerts when received regardless of the
  // AlertLevel in the message." RFC 5246 §7.2: "Upon transmission or receipt of a fatal
  // alert message, both parties immediately close the connection." Nothing is sent back.
  if (is_fatal || is_tls13) {
    return {alert_effect::peer_fatal, std::nullopt, peer_alert_reason(d, names), counts};
  }
  // RFC 5246 §7.2.2 makes no_renegotiation a warning, but OpenSSL only receives it after
  // asking to renegotiate and treats the refusal as fatal: "if application tried to
  // renegotiate it presumably had a good reason and expects it to succeed".
  if (d == ad::no_renegotiation_RESERVED) {
    return {alert_effect::local_fatal, ad::handshake_failure, "no renegotiation", counts};
  }
  // RFC 5246 §7.2: other warnings leave the connection usable; OpenSSL ignores them.
  if (is_warning) {
    return {alert_effect::ignore, std::nullopt, {}, counts};
  }
  // A level byte that is neither warning (1) nor fatal (2), TLS 1.2 only.
  return {alert_effect::local_fatal, ad::illegal_parameter, "unknown alert type", counts};
}

}  // namespace closenotify

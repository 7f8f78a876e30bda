// closenotify/alert.hpp — the alert codec: Alert <-> {level, description}, and what
// receiving one means (RFC 8446 §6, RFC 5246 §7.2, as OpenSSL 3.0 applies them).
#pragma once

#include <array>
#include <optional>
#include <string_view>
#include <variant>

#include "closenotify/tls.hpp"

namespace closenotify {

/// AlertLevel, RFC 8446 §6 / RFC 5246 §7.2.
enum class alert_level : std::uint8_t { warning = 1, fatal = 2 };

/// AlertDescription: every value of RFC 8446 §6 and RFC 5246 §7.2, named as there
/// (RFC 8446 spells the two obsolete ones with a _RESERVED suffix; RFC 5246 still
/// defines them). The enum can hold any byte: unknown descriptions still parse.
enum class alert_description : std::uint8_t {
  close_notify = 0,
  unexpected_message = 10,
  bad_record_mac = 20,
  decryption_failed_RESERVED = 21,
  record_overflow = 22,
  decompression_failure_RESERVED = 30,
  handshake_failure = 40,
  no_certificate_RESERVED = 41,
  bad_certificate = 42,
  unsupported_certificate = 43,
  certificate_revoked = 44,
  certificate_expired = 45,
  certificate_unknown = 46,
  illegal_parameter = 47,
  unknown_ca = 48,
  access_denied = 49,
  decode_error = 50,
  decrypt_error = 51,
  export_restriction_RESERVED = 60,
  protocol_version = 70,
  insufficient_security = 71,
  internal_error = 80,
  inappropriate_fallback = 86,
  user_canceled = 90,
  no_renegotiation_RESERVED = 100,
  missing_extension = 109,
  unsupported_extension = 110,
  certificate_unobtainable_RESERVED = 111,
  unrecognized_name = 112,
  bad_certificate_status_response = 113,
  bad_certificate_hash_value_RESERVED = 114,
  unknown_psk_identity = 115,
  certificate_required = 116,
  no_application_protocol = 120,
};

/// alert: one decoded Alert message.
struct alert {
  alert_level level;
  alert_description description;
  friend bool operator==(const alert&, const alert&) = default;
};

/// fatal_check: which check failed, for the few checks that OpenSSL releases answer with
/// different alerts or reasons (a profile's fatal_overrides, profile.hpp, say how); every
/// other check is `common`. The layers report what OpenSSL 3.0 answers.
enum class fatal_check : std::uint8_t {
  common,
  tls12_aead_record_too_short,  // shorter than explicit nonce + tag (RFC 5246 §6.2.3.3)
  tls13_record_too_short,       // shorter than tag + content type (RFC 8446 §5.2)
  record_over_read_buffer,      // a length over OpenSSL's read buffer, refused unread
  tls13_record_major_version,   // a TLS 1.3 record whose version's major byte is not 3
};

/// fatal: how any layer reports that the connection is over. `send` is the alert a TLS
/// stack sends in response (nullopt: send nothing, e.g. after the peer's own fatal
/// alert); `reason` is one line, a static string, worded as OpenSSL 3.0's reason string
/// where OpenSSL has one so outcomes can be compared.
struct fatal {
  std::optional<alert_description> send;
  std::string_view reason;
  fatal_check check = fatal_check::common;
  friend bool operator==(const fatal&, const fatal&) = default;
};

/// alert_reason_names: how OpenSSL names a received alert in its reason string. The
/// SSLv3-era descriptions are "sslv3 alert ..." up to 3.4 and "ssl/tls alert ..." from
/// 3.5 on (its ssl_err.c renamed them); the TLS 1.0-and-later ones stay "tlsv1 alert ...".
enum class alert_reason_names : std::uint8_t { sslv3, ssl_tls };

/// tls13_warning_rule: which received TLS 1.3 alerts are counted as warnings (set
/// warn_alert, count toward kMaxWarningAlerts, and release their record).
enum class tls13_warning_rule : std::uint8_t {
  // OpenSSL 1.1.1 and 3.0: `alert_level == SSL3_AL_WARNING || (is_tls13 && alert_descr ==
  // SSL_AD_USER_CANCELLED)`: every warning-level alert, whatever its description.
  warning_level,
  // OpenSSL 3.5: `(!is_tls13 && alert_level == SSL3_AL_WARNING) || (is_tls13 &&
  // alert_descr == SSL_AD_USER_CANCELLED)`: in TLS 1.3 only user_canceled.
  user_canceled_only,
};

/// Every description this codec knows by name, in numeric order.
std::span<const alert_description> known_alert_descriptions() noexcept;

/// is_known: whether `d` is one of the RFC 8446 / RFC 5246 values.
bool is_known(alert_description d) noexcept;

/// to_string: the RFC name ("close_notify"); "unknown" for a value no RFC names.
std::string_view to_string(alert_description d) noexcept;
/// to_string: "warning" / "fatal"; "unknown" for any other byte.
std::string_view to_string(alert_level l) noexcept;

/// parse_alert_description: by RFC name ("close_notify") or by decimal number ("0").
std::optional<alert_description> parse_alert_description(std::string_view s) noexcept;
/// parse_alert_level: "warning" / "fatal" or "1" / "2".
std::optional<alert_level> parse_alert_level(std::string_view s) noexcept;

/// encode_alert: the two bytes of an Alert.
std::array<std::uint8_t, 2> encode_alert(alert a) noexcept;

/// parse_alert: one alert from the plaintext of one alert record. Any length but 2 is
/// malformed: OpenSSL 3.0 answers it with unexpected_message, "invalid alert" (RFC 8446
/// §6 would allow decode_error; BoringSSL and LibreSSL send that). Level and description
/// are not judged here: see classify_received_alert.
[[nodiscard]] std::variant<alert, fatal> parse_alert(bytes_view fragment) noexcept;

/// What receiving an alert means for the read direction.
enum class alert_effect : std::uint8_t {
  close_notify,   // the peer closed its write direction: RECEIVED_SHUTDOWN, EOF for reads
  ignore,         // a warning that changes nothing (counted toward the warning limit)
  peer_fatal,     // the peer ended the connection; nothing is sent back
  local_fatal,    // the alert itself is a violation: send `response`
};

struct alert_meaning {
  alert_effect effect;
  std::optional<alert_description> response;  // set for local_fatal
  std::string_view reason;                     // set for peer_fatal and local_fatal
  bool counts_as_warning;                      // counts toward kMaxWarningAlerts
};

/// classify_received_alert: OpenSSL 3.0's reading of a received alert, per version.
/// TLS 1.3 (RFC 8446 §6.1): close_notify at any level closes; user_canceled is ignored;
/// "All the alerts listed in Section 6.2 MUST be sent with AlertLevel=fatal and MUST be
/// treated as error alerts when received regardless of the AlertLevel in the message."
/// Every warning-level alert (and TLS 1.3 user_canceled) counts toward kMaxWarningAlerts
/// (OpenSSL 3.5: in TLS 1.3 only user_canceled, see tls13_warning_rule).
/// TLS 1.2 (RFC 5246 §7.2): close_notify closes only at warning level; fatal level is
/// fatal; no_renegotiation at warning is fatal for OpenSSL; other warnings are ignored;
/// a level that is neither warning nor fatal is illegal_parameter.
/// `rule` and `names` are the profile's (profile.hpp); the defaults are OpenSSL 3.0's.
alert_meaning classify_received_alert(alert a, protocol_version v,
                                      tls13_warning_rule rule = tls13_warning_rule::warning_level,
                                      alert_reason_names names = alert_reason_names::sslv3) noexcept;

/// kMaxWarningAlerts: OpenSSL's MAX_WARN_ALERT_COUNT. Consecutive warning alerts (with
/// no other record between them) up to this many are a denial-of-service vector; the
/// one that reaches it is fatal (unexpected_message, "too many warn alerts").
inline constexpr int kMaxWarningAlerts = 5;

}  // namespace closenotify

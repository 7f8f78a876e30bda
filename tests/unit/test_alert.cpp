// test_alert.cpp — the alert codec and OpenSSL 3.0's reading of received alerts.
#include <doctest/doctest.h>

#include <string>

#include "closenotify/alert.hpp"

using namespace closenotify;
using ad = alert_description;

namespace {
alert_meaning classify(alert_level l, ad d, protocol_version v) {
  return classify_received_alert(alert{l, d}, v);
}
constexpr auto tls12 = protocol_version::tls12;
constexpr auto tls13 = protocol_version::tls13;
constexpr auto warning = alert_level::warning;
constexpr auto fatal_level = alert_level::fatal;
}  // namespace

TEST_CASE("every RFC 8446 and RFC 5246 description is known by its RFC name and number") {
  const auto known = known_alert_descriptions();
  CHECK(known.size() == 34);
  for (std::size_t i = 1; i < known.size(); ++i) CHECK(known[i - 1] < known[i]);
  for (const auto d : known) {
    CHECK(is_known(d));
    const auto name = to_string(d);
    CHECK(name != "unknown");
    CHECK(parse_alert_description(name) == d);
    CHECK(parse_alert_description(std::to_string(static_cast<int>(d))) == d);
  }
  CHECK(to_string(ad::close_notify) == "close_notify");
  CHECK(to_string(ad::user_canceled) == "user_canceled");
  CHECK(to_string(ad::no_renegotiation_RESERVED) == "no_renegotiation_RESERVED");
  CHECK(to_string(ad::certificate_required) == "certificate_required");
}

TEST_CASE("a description no RFC names is 'unknown' but still parses by number") {
  CHECK_FALSE(is_known(static_cast<ad>(255)));
  CHECK(to_string(static_cast<ad>(255)) == "unknown");
  CHECK(to_string(static_cast<ad>(1)) == "unknown");
  CHECK(parse_alert_description("255") == static_cast<ad>(255));
}

TEST_CASE("descriptions that are neither an RFC name nor a number 0..255 do not parse") {
  CHECK_FALSE(parse_alert_description("256"));
  // Too large even for an unsigned: from_chars says out of range and leaves the value 0,
  // which must not read as close_notify.
  CHECK_FALSE(parse_alert_description("4294967296"));
  CHECK_FALSE(parse_alert_level("99999999999999999999"));
  CHECK_FALSE(parse_alert_description("-1"));
  CHECK_FALSE(parse_alert_description(""));
  CHECK_FALSE(parse_alert_description("close notify"));
  CHECK_FALSE(parse_alert_description("CLOSE_NOTIFY"));
  CHECK_FALSE(parse_alert_description("12x"));
  CHECK_FALSE(parse_alert_description("unknown"));
}

TEST_CASE("alert levels are warning and fatal, by name or by number") {
  CHECK(parse_alert_level("warning") == warning);
  CHECK(parse_alert_level("1") == warning);
  CHECK(parse_alert_level("fatal") == fatal_level);
  CHECK(parse_alert_level("2") == fatal_level);
  CHECK_FALSE(parse_alert_level("3"));
  CHECK_FALSE(parse_alert_level("Fatal"));
  CHECK(to_string(warning) == "warning");
  CHECK(to_string(fatal_level) == "fatal");
  CHECK(to_string(static_cast<alert_level>(7)) == "unknown");
}

TEST_CASE("an alert encodes as level then description and parses back") {
  const alert a{warning, ad::close_notify};
  const auto bytes = encode_alert(a);
  CHECK(bytes[0] == 1);
  CHECK(bytes[1] == 0);
  const auto parsed = parse_alert(bytes);
  REQUIRE(std::holds_alternative<alert>(parsed));
  CHECK(std::get<alert>(parsed) == a);
}

TEST_CASE("level and description bytes are not judged when an alert is parsed") {
  const std::uint8_t odd[] = {9, 201};
  const auto parsed = parse_alert(odd);
  REQUIRE(std::holds_alternative<alert>(parsed));
  CHECK(static_cast<int>(std::get<alert>(parsed).level) == 9);
  CHECK(static_cast<int>(std::get<alert>(parsed).description) == 201);
}

TEST_CASE("an alert record that is not exactly two bytes is answered with unexpected_message") {
  const fatal invalid{ad::unexpected_message, "invalid alert"};
  const std::uint8_t three[] = {1, 0, 0};
  SUBCASE("empty") { CHECK(std::get<fatal>(parse_alert({})) == invalid); }
  SUBCASE("one byte") { CHECK(std::get<fatal>(parse_alert(bytes_view(three, 1))) == invalid); }
  SUBCASE("three bytes") { CHECK(std::get<fatal>(parse_alert(three)) == invalid); }
}

TEST_CASE("close_notify: the sender will not send any more messages on this connection") {
  SUBCASE("TLS 1.2 at warning level") {
    const auto m = classify(warning, ad::close_notify, tls12);
    CHECK(m.effect == alert_effect::close_notify);
    CHECK_FALSE(m.response);
    CHECK(m.counts_as_warning);
  }
  SUBCASE("TLS 1.3 at warning level") {
    // OpenSSL 3.0 counts every warning-level alert, whatever the version.
    const auto m = classify(warning, ad::close_notify, tls13);
    CHECK(m.effect == alert_effect::close_notify);
    CHECK(m.counts_as_warning);
  }
  SUBCASE("TLS 1.3 at fatal level") {
    const auto m = classify(fatal_level, ad::close_notify, tls13);
    CHECK(m.effect == alert_effect::close_notify);
    CHECK_FALSE(m.counts_as_warning);
  }
}

TEST_CASE("a fatal close_notify in TLS 1.2 ends the connection with OpenSSL's unnamed reason") {
  const auto m = classify(fatal_level, ad::close_notify, tls12);
  CHECK(m.effect == alert_effect::peer_fatal);
  CHECK_FALSE(m.response);
  CHECK(m.reason == "reason(1000)");
  CHECK_FALSE(m.counts_as_warning);
}

TEST_CASE("TLS 1.3 user_canceled is ignored at any level and counts toward the warning limit") {
  for (const auto level : {warning, fatal_level}) {
    const auto m = classify(level, ad::user_canceled, tls13);
    CHECK(m.effect == alert_effect::ignore);
    CHECK(m.counts_as_warning);
  }
}

TEST_CASE("TLS 1.3 error alerts are treated as errors regardless of the AlertLevel in the message") {
  for (const auto d : known_alert_descriptions()) {
    if (d == ad::close_notify || d == ad::user_canceled) continue;
    for (const auto level : {warning, fatal_level, static_cast<alert_level>(3)}) {
      const auto m = classify(level, d, tls13);
      CHECK(m.effect == alert_effect::peer_fatal);
      CHECK_FALSE(m.response);
      // A warning-level one still counts toward the limit before it is judged fatal.
      CHECK(m.counts_as_warning == (level == warning));
    }
  }
}

TEST_CASE("a received fatal alert carries OpenSSL 3.0's reason string for its description") {
  const auto reason = [](ad d) { return std::string(classify(fatal_level, d, tls12).reason); };
  CHECK(reason(ad::unexpected_message) == "sslv3 alert unexpected message");
  CHECK(reason(ad::bad_record_mac) == "sslv3 alert bad record mac");
  CHECK(reason(ad::decryption_failed_RESERVED) == "tlsv1 alert decryption failed");
  CHECK(reason(ad::record_overflow) == "tlsv1 alert record overflow");
  CHECK(reason(ad::decompression_failure_RESERVED) == "sslv3 alert decompression failure");
  CHECK(reason(ad::handshake_failure) == "sslv3 alert handshake failure");
  CHECK(reason(ad::no_certificate_RESERVED) == "sslv3 alert no certificate");
  CHECK(reason(ad::bad_certificate) == "sslv3 alert bad certificate");
  CHECK(reason(ad::unsupported_certificate) == "sslv3 alert unsupported certificate");
  CHECK(reason(ad::certificate_revoked) == "sslv3 alert certificate revoked");
  CHECK(reason(ad::certificate_expired) == "sslv3 alert certificate expired");
  CHECK(reason(ad::certificate_unknown) == "sslv3 alert certificate unknown");
  CHECK(reason(ad::illegal_parameter) == "sslv3 alert illegal parameter");
  CHECK(reason(ad::unknown_ca) == "tlsv1 alert unknown ca");
  CHECK(reason(ad::access_denied) == "tlsv1 alert access denied");
  CHECK(reason(ad::decode_error) == "tlsv1 alert decode error");
  CHECK(reason(ad::decrypt_error) == "tlsv1 alert decrypt error");
  CHECK(reason(ad::export_restriction_RESERVED) == "tlsv1 alert export restriction");
  CHECK(reason(ad::protocol_version) == "tlsv1 alert protocol version");
  CHECK(reason(ad::insufficient_security) == "tlsv1 alert insufficient security");
  CHECK(reason(ad::internal_error) == "tlsv1 alert internal error");
  CHECK(reason(ad::inappropriate_fallback) == "tlsv1 alert inappropriate fallback");
  CHECK(reason(ad::user_canceled) == "tlsv1 alert user cancelled");
  CHECK(reason(ad::no_renegotiation_RESERVED) == "tlsv1 alert no renegotiation");
  CHECK(reason(ad::missing_extension) == "tlsv13 alert missing extension");
  CHECK(reason(ad::unsupported_extension) == "tlsv1 unsupported extension");
  CHECK(reason(ad::certificate_unobtainable_RESERVED) == "tlsv1 certificate unobtainable");
  CHECK(reason(ad::unrecognized_name) == "tlsv1 unrecognized name");
  CHECK(reason(ad::bad_certificate_status_response) == "tlsv1 bad certificate status response");
  CHECK(reason(ad::bad_certificate_hash_value_RESERVED) == "tlsv1 bad certificate hash value");
  CHECK(reason(ad::unknown_psk_identity) == "tlsv1 alert unknown psk identity");
  CHECK(reason(ad::certificate_required) == "tlsv13 alert certificate required");
  CHECK(reason(ad::no_application_protocol) == "tlsv1 alert no application protocol");
}

TEST_CASE("a fatal alert with a description OpenSSL does not name reports reason(1000 + description)") {
  CHECK(classify(fatal_level, static_cast<ad>(1), tls12).reason == "reason(1001)");
  CHECK(classify(fatal_level, static_cast<ad>(101), tls12).reason == "reason(1101)");
  CHECK(classify(fatal_level, static_cast<ad>(255), tls12).reason == "reason(1255)");
  CHECK(classify(warning, static_cast<ad>(200), tls13).reason == "reason(1200)");
}

TEST_CASE("a TLS 1.2 warning no_renegotiation is answered with handshake_failure") {
  const auto m = classify(warning, ad::no_renegotiation_RESERVED, tls12);
  CHECK(m.effect == alert_effect::local_fatal);
  CHECK(m.response == ad::handshake_failure);
  CHECK(m.reason == "no renegotiation");
  CHECK(m.counts_as_warning);
}

TEST_CASE("other TLS 1.2 warning alerts are ignored and count toward the warning limit") {
  for (const auto d : {ad::user_canceled, ad::bad_certificate, ad::unexpected_message,
                       static_cast<ad>(255)}) {
    const auto m = classify(warning, d, tls12);
    CHECK(m.effect == alert_effect::ignore);
    CHECK(m.counts_as_warning);
  }
}

TEST_CASE("a TLS 1.2 alert level that is neither warning nor fatal is answered with illegal_parameter") {
  for (const int level : {0, 3, 255}) {
    const auto m = classify(static_cast<alert_level>(level), ad::close_notify, tls12);
    CHECK(m.effect == alert_effect::local_fatal);
    CHECK(m.response == ad::illegal_parameter);
    CHECK(m.reason == "unknown alert type");
    CHECK_FALSE(m.counts_as_warning);
  }
}

TEST_CASE("TLS 1.2 fatal alerts end the connection and send nothing back") {
  for (const auto d : known_alert_descriptions()) {
    const auto m = classify(fatal_level, d, tls12);
    CHECK(m.effect == alert_effect::peer_fatal);
    CHECK_FALSE(m.response);
    CHECK_FALSE(m.reason.empty());
  }
}

TEST_CASE("classification never fails for any level and description byte") {
  for (int l = 0; l < 256; ++l) {
    for (int d = 0; d < 256; ++d) {
      for (const auto v : {tls12, tls13}) {
        const auto m = classify(static_cast<alert_level>(l), static_cast<ad>(d), v);
        if (m.effect == alert_effect::local_fatal) CHECK(m.response.has_value());
        if (m.effect == alert_effect::peer_fatal || m.effect == alert_effect::local_fatal) {
          CHECK_FALSE(m.reason.empty());
        }
      }
    }
  }
}

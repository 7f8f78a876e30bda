// fuzz_alert.cpp — the alert codec. Input: byte 0 picks the version the alert is judged
// under; the rest is the plaintext of one alert record, then (after it is parsed) the same
// bytes read as a name or number for the CLI's alert parser.
// Invariants: exactly two bytes parse, and round-trip through encode_alert; any other
// length is the fatal unexpected_message OpenSSL 3.0 sends ("invalid alert");
// classification is consistent (a local fatal names the alert to send and a reason; a
// peer fatal sends nothing; only close_notify closes); names round-trip.
#include <string>

#include "closenotify/alert.hpp"
#include "invariant.hpp"

using namespace closenotify;

namespace {
constexpr const char* kTarget = "fuzz_alert";
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const protocol_version v = data[0] & 1 ? protocol_version::tls12 : protocol_version::tls13;
  const bytes_view fragment{data + 1, size - 1};

  auto parsed = parse_alert(fragment);
  if (fragment.size() == 2) {
    CHECK(std::holds_alternative<alert>(parsed), "a two-byte alert did not parse");
    const alert a = std::get<alert>(parsed);
    const auto bytes = encode_alert(a);
    CHECK(bytes[0] == fragment[0] && bytes[1] == fragment[1], "parse -> encode does not round-trip");

    const alert_meaning m = classify_received_alert(a, v);
    switch (m.effect) {
      case alert_effect::close_notify:
        CHECK(a.description == alert_description::close_notify, "an alert other than close_notify closes");
        CHECK(!m.response, "close_notify answered with an alert");
        break;
      case alert_effect::ignore:
        CHECK(m.counts_as_warning, "an ignored alert does not count toward the warning limit");
        break;
      case alert_effect::peer_fatal:
        CHECK(!m.response && !m.reason.empty(), "a peer fatal alert is answered or has no reason");
        break;
      case alert_effect::local_fatal:
        CHECK(m.response && !m.reason.empty(), "a local fatal alert names no response or reason");
        break;
    }
    // RFC 5246 §7.2.1: close_notify ends a TLS 1.2 read direction only at warning level.
    if (v == protocol_version::tls12 && a.description == alert_description::close_notify &&
        a.level == alert_level::fatal)
      CHECK(m.effect == alert_effect::peer_fatal, "a TLS 1.2 fatal close_notify is not fatal");
    // A fatal-level alert is never ignored, except TLS 1.3's user_canceled, which OpenSSL
    // 3.0 ignores at any level (ssl3_read_bytes: "the only other warning alert in TLSv1.3
    // is user_cancelled - which we just ignore").
    if (a.level == alert_level::fatal &&
        !(v == protocol_version::tls13 && a.description == alert_description::user_canceled))
      CHECK(m.effect == alert_effect::peer_fatal || m.effect == alert_effect::close_notify ||
                m.effect == alert_effect::local_fatal,
            "a fatal alert is ignored");
  } else {
    CHECK(std::holds_alternative<fatal>(parsed), "an alert of the wrong length parsed");
    const fatal f = std::get<fatal>(parsed);
    CHECK(f.send == alert_description::unexpected_message && !f.reason.empty(),
          "a malformed alert is not answered with unexpected_message");
  }

  // Names: every known description round-trips by name and by number; arbitrary text
  // parses to nothing or to a description whose name or number is that text.
  const std::string_view text{reinterpret_cast<const char*>(data + 1), size - 1};
  if (auto d = parse_alert_description(text)) {
    CHECK(to_string(*d) == text || std::to_string(static_cast<int>(*d)) == text ||
              text.find_first_not_of("0123456789") == std::string_view::npos,
          "a description parsed from text that is neither its name nor a number");
  }
  if (fragment.size() >= 1) {
    const auto d = static_cast<alert_description>(fragment[0]);
    if (is_known(d)) CHECK(parse_alert_description(to_string(d)) == d, "a name does not round-trip");
    CHECK(parse_alert_description(std::to_string(fragment[0])) == d, "a number does not round-trip");
  }
  (void)parse_alert_level(text);
  return 0;
}

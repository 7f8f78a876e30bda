// test_profile.cpp — each row of the profile table (profile.hpp) shown on a connection:
// the profiles that differ there do differ, the others do what OpenSSL 3.0 does. The
// openssl-1.1.1, openssl-3.0 and openssl-3.5 columns are what `closenotify diff` measured
// against those live releases. The rows added with the live 1.1.1 and 3.5 peers key their
// expectations on the profile's id, not on the row's value, so flipping a value in
// lib/profile.cpp turns them red.
#include <doctest/doctest.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <initializer_list>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "closenotify/profile.hpp"
#include "endpoint_fixture.hpp"

using namespace closenotify;
using namespace closenotify::testing;

namespace {

bytes_view as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

const cipher_suite& suite() { return *find_cipher_suite("TLS_AES_128_GCM_SHA256"); }

endpoint_options with(profile_id id) {
  endpoint_options o;
  o.profile = id;
  return o;
}

// Runs the body once per profile, each in its own SUBCASE, so a failed REQUIRE stops
// only that profile.
template <class F>
void for_each_profile(F&& body) {
  for (const profile& p : profiles()) {
    SUBCASE(std::string(p.name).c_str()) { body(p); }
  }
}

// Runs the body once per matrix suite of one TLS version, each in its own SUBCASE.
template <class F>
void for_each_suite_of(protocol_version v, F&& body) {
  for (const cipher_suite* s : matrix_cipher_suites()) {
    if (s->version != v) continue;
    SUBCASE(std::string(s->name).c_str()) { body(*s); }
  }
}

bool is(const profile& p, std::initializer_list<profile_id> ids) {
  for (profile_id id : ids) {
    if (p.id == id) return true;
  }
  return false;
}

// client_refuses: the client reads after `bytes` arrived raw from the peer and must
// fail; returns the alert it sent and the reason it gave.
struct refusal {
  std::optional<alert> sent;
  std::string reason;
};
refusal client_refuses(const cipher_suite& s, const profile& p, bytes_view bytes) {
  connection c(s, with(p.id));
  raw_peer(c.k, c.pipe.b()).send_raw(bytes);
  std::array<std::uint8_t, 16> buf{};
  const int ret = c.client->read(buf);
  CHECK(ret == -1);
  CHECK(c.client->get_error(ret) == ssl_error::ssl);
  CHECK(c.client->failed());
  return {c.client->last_alert_sent(), std::string(c.client->error_reason())};
}

alert fatal_alert(alert_description d) { return alert{alert_level::fatal, d}; }

}  // namespace

TEST_CASE("the table has the five pages' profiles, three of them measured live, and names that round-trip") {
  std::set<std::string_view> names;
  int live = 0;
  for (const profile& p : profiles()) {
    names.insert(p.name);
    live += p.checked_live();
    CHECK(find_profile(p.name) == &p);
    CHECK(&profile_for(p.id) == &p);
  }
  CHECK(names == std::set<std::string_view>{"openssl-1.0", "libressl", "openssl-1.1.1", "openssl-3.0", "openssl-3.5"});
  CHECK(live == 3);
  CHECK(profile_for(profile_id::openssl_1_1_1).checked_live());
  CHECK(profile_for(profile_id::openssl_3_0).checked_live());
  CHECK(profile_for(profile_id::openssl_3_5).checked_live());
  CHECK(find_profile("openssl-3") == nullptr);
  CHECK(endpoint_options{}.profile == profile_id::openssl_3_0);
}

// 004 Shutdown Lifecycle: "SSL_shutdown() returns 0 to indicate that the shutdown process
// is still ongoing; in this case, a call to SSL_get_error(3) will yield
// SSL_ERROR_WANT_READ or SSL_ERROR_WANT_WRITE." Contradicted by every live release, 3.5.7
// included (docs/divergences.md, A): -1, as the earlier pages' RETURN VALUES say ("It can
// also occur if action is need to continue the operation for non-blocking BIOs.").
TEST_CASE("SSL_shutdown() returns 0 to indicate that the shutdown process is still ongoing: contradicted, -1 in every profile") {
  for (const profile& p : profiles()) {
    CAPTURE(p.name);
    SUBCASE("waiting for the peer's close_notify") {
      connection c(suite(), with(p.id));
      REQUIRE(c.client->shutdown() == 0);  // our close_notify out: 0 in every profile
      const int ret = c.client->shutdown();
      CHECK(ret == -1);
      CHECK(c.client->get_error(ret) == ssl_error::want_read);
      CHECK(c.client->get_shutdown() == shutdown_sent);
    }
    SUBCASE("our close_notify cannot be written yet") {
      connection c(suite(), with(p.id), {}, /*capacity=*/8);
      const int ret = c.client->shutdown();
      CHECK(ret == -1);
      CHECK(c.client->get_error(ret) == ssl_error::want_write);
      CHECK(c.client->get_shutdown() == shutdown_sent);
    }
  }
}

// 3.x: an EOF without close_notify is "unexpected eof while reading", SSL_ERROR_SSL (004
// Non-Compliant Peers: "This will ordinarily result in an error being generated").
// Before 3.0 the read returned 0 and SSL_get_error said SSL_ERROR_SYSCALL.
TEST_CASE("This will ordinarily result in an error being generated: SSL_ERROR_SSL from 3.0, SSL_ERROR_SYSCALL before") {
  for (const profile& p : profiles()) {
    CAPTURE(p.name);
    connection c(suite(), with(p.id));
    c.pipe.b().shutdown_write();
    std::array<std::uint8_t, 16> buf{};
    const int ret = c.client->read(buf);
    CHECK(ret == 0);
    if (p.unexpected_eof == unexpected_eof_report::ssl_error) {
      CHECK(c.client->get_error(ret) == ssl_error::ssl);
      CHECK(c.client->error_reason() == "unexpected eof while reading");
      CHECK(c.client->failed());
      REQUIRE(c.client->last_alert_sent());
      CHECK(c.client->last_alert_sent()->description == alert_description::decode_error);
    } else {
      CHECK(c.client->get_error(ret) == ssl_error::syscall);
      CHECK(c.client->error_reason().empty());
      CHECK_FALSE(c.client->failed());
      CHECK_FALSE(c.client->last_alert_sent());
    }
    CHECK(c.client->get_shutdown() == 0);  // never "received" without a close_notify
  }
}

// 004 Non-Compliant Peers: "If compatibility with such peers is desired, the option
// SSL_OP_IGNORE_UNEXPECTED_EOF can be set." The option is new in 3.0.
TEST_CASE("the option SSL_OP_IGNORE_UNEXPECTED_EOF can be set: only in the 3.x profiles") {
  for (const profile& p : profiles()) {
    CAPTURE(p.name);
    endpoint_options o = with(p.id);
    o.ignore_unexpected_eof = true;
    connection c(suite(), o);
    c.pipe.b().shutdown_write();
    std::array<std::uint8_t, 16> buf{};
    const int ret = c.client->read(buf);
    CHECK(ret == 0);
    if (p.has_ignore_unexpected_eof) {
      CHECK(c.client->get_error(ret) == ssl_error::zero_return);
      CHECK(c.client->get_shutdown() == shutdown_received);
    } else {
      CHECK(c.client->get_error(ret) == ssl_error::syscall);  // as if never set
      CHECK(c.client->get_shutdown() == 0);
    }
  }
}

// 001 RETURN VALUES (1.1.1): "It can also occur when not all data was read using SSL_read()."
// 000 NOTES (1.0): "The second call will make SSL_shutdown() wait for the peer's "close
// notify" shutdown alert" — data arriving first was thrown away.
TEST_CASE("It can also occur when not all data was read using SSL_read(): fatal from 1.1.1, discarded before") {
  for (const profile& p : profiles()) {
    CAPTURE(p.name);
    connection c(suite(), with(p.id));
    REQUIRE(c.client->shutdown() == 0);
    REQUIRE(c.server->write(as_bytes("unread")) == 6);
    const int ret = c.client->shutdown();
    CHECK(ret == -1);
    if (p.unread_data == unread_data_at_shutdown::fail) {
      CHECK(c.client->get_error(ret) == ssl_error::ssl);
      CHECK(c.client->error_reason() == "application data after close notify");
      CHECK(c.client->failed());
    } else {
      CHECK(c.client->get_error(ret) == ssl_error::syscall);
      CHECK_FALSE(c.client->failed());
      CHECK(c.client->pending() == 0);  // the data is gone, not kept for SSL_read
      // The wait goes on: the peer's close_notify completes the shutdown.
      std::array<std::uint8_t, 16> buf{};
      CHECK(c.server->read(buf) == 0);  // the server sees our close_notify
      REQUIRE(c.server->shutdown() == 1);
      CHECK(c.client->shutdown() == 1);
    }
  }
}

// ---- rows measured against the live 1.1.1w, 3.0.22 and 3.5.7 ---------------------------

// Row alert_names. OpenSSL 3.5 (its libcrypto.so.3's reason strings) names the SSLv3-era
// alerts "ssl/tls alert ..." where 1.1.1 and 3.0 say "sslv3 alert ..."; the TLS 1.0-era
// "tlsv1 alert ..." names are the same in every release. The reason is the one
// SSLfatal_data(s, SSL_AD_NO_ALERT, SSL_AD_REASON_OFFSET + alert_descr, ...) queues for a
// received fatal alert.
TEST_CASE("a received SSLv3-era alert is \"sslv3 alert ...\" up to 3.0 and \"ssl/tls alert ...\" in 3.5; \"tlsv1 alert ...\" never changes") {
  for_each_profile([](const profile& p) {
    const bool renamed = is(p, {profile_id::openssl_3_5});
    CHECK(p.alert_names == (renamed ? alert_reason_names::ssl_tls : alert_reason_names::sslv3));
    for (const char* name : {"TLS_AES_128_GCM_SHA256", "ECDHE-ECDSA-AES128-GCM-SHA256"}) {
      CAPTURE(name);
      struct expectation {
        alert_description d;
        std::string_view reason;
      };
      const expectation cases[] = {
          {alert_description::bad_record_mac, renamed ? "ssl/tls alert bad record mac" : "sslv3 alert bad record mac"},
          {alert_description::handshake_failure,
           renamed ? "ssl/tls alert handshake failure" : "sslv3 alert handshake failure"},
          {alert_description::illegal_parameter,
           renamed ? "ssl/tls alert illegal parameter" : "sslv3 alert illegal parameter"},
          {alert_description::internal_error, "tlsv1 alert internal error"},
          {alert_description::decode_error, "tlsv1 alert decode error"},
      };
      for (const expectation& e : cases) {
        CAPTURE(to_string(e.d));
        connection c(*find_cipher_suite(name), with(p.id));
        raw_peer(c.k, c.pipe.b()).send_alert(alert_level::fatal, e.d);
        std::array<std::uint8_t, 8> buf{};
        const int ret = c.client->read(buf);
        CHECK(ret == 0);
        CHECK(c.client->get_error(ret) == ssl_error::ssl);
        CHECK(c.client->error_reason() == e.reason);
        CHECK_FALSE(c.client->last_alert_sent());  // nothing is sent back
      }
    }
  });
}

// Row tls13_warnings. rec_layer_s3.c, 1.1.1 and 3.0: `if (alert_level == SSL3_AL_WARNING
// || (is_tls13 && alert_descr == SSL_AD_USER_CANCELLED))` sets warn_alert and counts
// toward MAX_WARN_ALERT_COUNT; 3.5: `if ((!is_tls13 && alert_level == SSL3_AL_WARNING) ||
// (is_tls13 && alert_descr == SSL_AD_USER_CANCELLED))`. Either way a TLS 1.3 alert other
// than close_notify and user_canceled is then fatal ("regardless of the AlertLevel",
// RFC 8446 §6.2); what differs is what it leaves behind.
TEST_CASE("alert_level == SSL3_AL_WARNING || (is_tls13 && ...): a TLS 1.3 warning-level alert counts as a warning up to 3.0, only user_canceled does in 3.5") {
  for_each_profile([](const profile& p) {
    const bool user_canceled_only = is(p, {profile_id::openssl_3_5});
    CHECK(p.tls13_warnings ==
          (user_canceled_only ? tls13_warning_rule::user_canceled_only : tls13_warning_rule::warning_level));
    const std::string_view bad_certificate =
        user_canceled_only ? "ssl/tls alert bad certificate" : "sslv3 alert bad certificate";
    std::array<std::uint8_t, 8> buf{};
    SUBCASE("warn_alert: the next SSL_read after the peer's warning-level bad_certificate") {
      connection c(suite(), with(p.id));
      raw_peer(c.k, c.pipe.b()).send_alert(alert_level::warning, alert_description::bad_certificate);
      int ret = c.client->read(buf);
      CHECK(ret == 0);
      CHECK(c.client->get_error(ret) == ssl_error::ssl);
      CHECK(c.client->error_reason() == bad_certificate);
      CHECK(c.client->get_shutdown() == shutdown_received);
      // SSL_get_error: RECEIVED and warn_alert == close_notify is ZERO_RETURN. Counted, the
      // alert left warn_alert at bad_certificate: SYSCALL.
      ret = c.client->read(buf);
      CHECK(ret == 0);
      CHECK(c.client->get_error(ret) == (user_canceled_only ? ssl_error::zero_return : ssl_error::syscall));
    }
    SUBCASE("MAX_WARN_ALERT_COUNT: four user_canceled, then a warning-level bad_certificate") {
      connection c(suite(), with(p.id));
      raw_peer peer(c.k, c.pipe.b());
      for (int i = 0; i < 4; ++i) peer.send_alert(alert_level::warning, alert_description::user_canceled);
      peer.send_alert(alert_level::warning, alert_description::bad_certificate);
      const int ret = c.client->read(buf);
      if (user_canceled_only) {
        // Not counted: the peer's fatal alert, and nothing sent back.
        CHECK(ret == 0);
        CHECK(c.client->error_reason() == bad_certificate);
        CHECK_FALSE(c.client->last_alert_sent());
      } else {
        // The fifth warning in a row: "too many warn alerts", before the alert is judged.
        CHECK(ret == -1);
        CHECK(c.client->error_reason() == "too many warn alerts");
        CHECK(c.client->last_alert_sent() == fatal_alert(alert_description::unexpected_message));
      }
      CHECK(c.client->get_error(ret) == ssl_error::ssl);
    }
    SUBCASE("TLS 1.2 is the same in every profile: the fifth warning in a row is too many") {
      connection c(*find_cipher_suite("ECDHE-ECDSA-AES128-GCM-SHA256"), with(p.id));
      raw_peer peer(c.k, c.pipe.b());
      for (int i = 0; i < 5; ++i) peer.send_alert(alert_level::warning, alert_description::bad_certificate);
      const int ret = c.client->read(buf);
      CHECK(ret == -1);
      CHECK(c.client->error_reason() == "too many warn alerts");
      CHECK(c.client->last_alert_sent() == fatal_alert(alert_description::unexpected_message));
    }
  });
}

// Row write_failure. OpenSSL 3.5's tls_retry_write_records, when BIO_write fails and
// should not be retried: `ERR_raise_data(ERR_LIB_SYS, get_last_sys_error(),
// "tls_retry_write_records failure")`, so the reason is the strerror text and
// SSL_get_error, finding ERR_LIB_SYS first, says SSL_ERROR_SYSCALL. 1.1.1 and 3.0 queue
// nothing: SSL_get_error falls through to its last checks.
TEST_CASE("ERR_raise_data(ERR_LIB_SYS, get_last_sys_error(), ...): a failed write is SYSCALL with the strerror text in 3.5; nothing is queued before") {
  for_each_profile([](const profile& p) {
    const bool queues = is(p, {profile_id::openssl_3_5});
    CHECK(p.write_failure == (queues ? write_failure_report::system_error : write_failure_report::nothing_queued));
    const std::string_view broken_pipe = std::strerror(EPIPE);
    SUBCASE("SSL_write after the peer's close_notify and close") {
      connection c(suite(), with(p.id));
      REQUIRE(c.server->shutdown() == 0);
      std::array<std::uint8_t, 8> buf{};
      REQUIRE(c.client->read(buf) == 0);
      REQUIRE(c.client->get_error(0) == ssl_error::zero_return);
      c.pipe.b().close();  // the peer is gone: our writes fail with EPIPE
      const int ret = c.client->write(as_bytes("reply"));
      CHECK(ret == -1);
      CHECK(c.client->os_error() == EPIPE);
      if (queues) {
        CHECK(c.client->get_error(ret) == ssl_error::syscall);
        CHECK(c.client->error_reason() == broken_pipe);
      } else {
        // Nothing queued, RECEIVED with warn_alert close_notify: ZERO_RETURN.
        CHECK(c.client->get_error(ret) == ssl_error::zero_return);
        CHECK(c.client->error_reason().empty());
      }
      CHECK_FALSE(c.client->failed());  // a system error is no fatal error of the library's
    }
    SUBCASE("the next call starts with an empty error queue") {
      // The peer calls ERR_clear_error before every step, so a step reports only its own
      // errors: the strerror text of a failed write is gone at the next call.
      connection c(suite(), with(p.id));
      REQUIRE(c.server->shutdown() == 0);
      std::array<std::uint8_t, 8> buf{};
      REQUIRE(c.client->read(buf) == 0);
      c.pipe.b().close();
      REQUIRE(c.client->write(as_bytes("reply")) == -1);
      CHECK(c.client->error_reason() == (queues ? broken_pipe : std::string_view{}));
      CHECK(c.client->read(buf) == 0);
      CHECK(c.client->error_reason().empty());
      CHECK(c.client->get_error(0) == ssl_error::zero_return);
    }
    SUBCASE("SSL_shutdown whose close_notify cannot be written") {
      connection c(suite(), with(p.id));
      c.pipe.b().close();
      const int ret = c.client->shutdown();
      CHECK(ret == -1);
      CHECK(c.client->os_error() == EPIPE);
      CHECK(c.client->get_error(ret) == ssl_error::syscall);  // by either road
      CHECK(c.client->error_reason() == (queues ? broken_pipe : std::string_view{}));
      CHECK(c.client->get_shutdown() == shutdown_sent);
    }
  });
}

// Row alert_behind_pending_write. SSL_shutdown while an SSL_write's record is half
// written queues its close_notify (ssl3_send_alert: "data still being written out?").
// At the next SSL_shutdown, 1.1.1 and 3.0 hand it to do_ssl3_write, whose
// ssl3_write_pending refuses a pending record of another type: SSLfatal(s,
// SSL_AD_INTERNAL_ERROR, SSL_R_BAD_WRITE_RETRY). 3.5's ssl3_dispatch_alert: "We have a
// write pending but it wasn't from a previous call to this function! Can we ever get here?
// Maybe via API misuse?? Give up." — the alert is dropped, and never sent.
TEST_CASE("We have a write pending but it wasn't from a previous call to this function! Give up.: 3.5 drops a close_notify queued behind a half-written record; before, bad write retry") {
  for_each_profile([](const profile& p) {
    const bool drops = is(p, {profile_id::openssl_3_5});
    CHECK(p.alert_behind_pending_write == (drops ? alert_behind_write::dropped : alert_behind_write::kept));
    connection c(suite(), with(p.id), {}, /*capacity=*/1024);
    const auto big = pattern(4000, 1);
    int ret = c.client->write(big);
    REQUIRE(ret == -1);
    REQUIRE(c.client->get_error(ret) == ssl_error::want_write);
    ret = c.client->shutdown();  // close_notify queued behind the record
    REQUIRE(ret == -1);
    REQUIRE(c.client->get_error(ret) == ssl_error::want_write);
    REQUIRE(c.client->get_shutdown() == shutdown_sent);
    ret = c.client->shutdown();  // comes back to it before the record is out
    CHECK(ret == -1);
    if (!drops) {
      CHECK(c.client->get_error(ret) == ssl_error::ssl);
      CHECK(c.client->error_reason() == "bad write retry");
      CHECK(c.client->failed());
      return;
    }
    CHECK(c.client->get_error(ret) == ssl_error::want_write);
    CHECK(c.client->error_reason().empty());
    CHECK_FALSE(c.client->failed());
    // The record stays half written (SSL_write is refused after SENT, and reading does
    // not flush), and the close_notify is never sent: the next call just waits.
    std::array<std::uint8_t, 1024> sink{};
    REQUIRE(c.pipe.b().read(sink).status == io_status::ok);
    ret = c.client->shutdown();
    CHECK(ret == -1);
    CHECK(c.client->get_error(ret) == ssl_error::want_read);
    CHECK(c.pipe.b().pending() == 0);
    CHECK(c.client->write(big) == -1);
    CHECK(c.client->error_reason() == "protocol is shutdown");
    // The peer's close_notify completes the shutdown although ours never left.
    raw_peer(c.k, c.pipe.b()).send_alert(alert_level::warning, alert_description::close_notify);
    CHECK(c.client->shutdown() == 1);
    CHECK(c.client->get_shutdown() == (shutdown_sent | shutdown_received));
    CHECK_FALSE(c.client->last_alert_sent());
    CHECK(c.pipe.b().pending() == 0);
  });
}

// Row after_close. ssl3_read_bytes: "If the other end has shut down, throw anything we
// read away (even in 'peek' mode)". 1.1.1 and 3.0: SSL3_RECORD_set_length(rr, 0), the
// record stays current, and every later read in init returns 0 on it without I/O. 3.5:
// `s->rlayer.curr_rec++` without ssl_release_record, so the next record asked for fails in
// tls_read_record: `if (rl->num_released != rl->num_recs)` → SSL_AD_INTERNAL_ERROR,
// SSL_R_RECORDS_NOT_RELEASED. A read in init: a NewSessionTicket header whose body never
// comes keeps the state machine reading; a fatal-level TLS 1.3 close_notify (not a
// warning in any profile, so its record stays current too) sets RECEIVED.
TEST_CASE("If the other end has shut down, throw anything we read away: the record stays current up to 3.0; 3.5 passes over it and the next read is records not released") {
  for_each_profile([](const profile& p) {
    const bool unreleased = is(p, {profile_id::openssl_3_5});
    CHECK(p.after_close ==
          (unreleased ? record_after_close::passed_over_unreleased : record_after_close::stays_current));
    connection c(suite(), with(p.id));
    raw_peer peer(c.k, c.pipe.b());
    const std::vector<std::uint8_t> header{4, 0, 0, 14};
    peer.send(content_type::handshake, header);
    peer.send_alert(alert_level::fatal, alert_description::close_notify);
    std::array<std::uint8_t, 16> buf{};
    int ret = c.client->read(buf);
    REQUIRE(ret == -1);
    REQUIRE(c.client->get_error(ret) == ssl_error::zero_return);
    REQUIRE(c.client->get_shutdown() == shutdown_received);
    REQUIRE(c.client->in_init());
    // The next call in init meets RECEIVED on the close_notify's record: 0, ZERO_RETURN.
    ret = c.client->write(as_bytes("x"));
    CHECK(ret == -1);
    CHECK(c.client->get_error(ret) == ssl_error::zero_return);
    peer.send(content_type::application_data, as_bytes("later"));
    const std::size_t inbox = c.pipe.a().pending();
    if (unreleased) {
      // The record was passed over unreleased: the first record asked for fails.
      ret = c.client->write(as_bytes("x"));
      CHECK(ret == -1);
      CHECK(c.client->get_error(ret) == ssl_error::ssl);
      CHECK(c.client->error_reason() == "records not released");
      CHECK(c.client->last_alert_sent() == fatal_alert(alert_description::internal_error));
      CHECK(c.client->failed());
      CHECK(c.client->shutdown() == -1);
      CHECK(c.client->error_reason() == "shutdown while in init");
    } else {
      // Still current: 0 on it again and again, nothing read from the transport.
      for (int call = 0; call < 3; ++call) {
        CAPTURE(call);
        ret = c.client->write(as_bytes("x"));
        CHECK(ret == -1);
        CHECK(c.client->get_error(ret) == ssl_error::zero_return);
        CHECK(c.client->error_reason().empty());
        CHECK_FALSE(c.client->last_alert_sent());
        CHECK_FALSE(c.client->failed());
      }
    }
    CHECK(c.pipe.a().pending() == inbox);
  });
}

// Row late_compatibility_ccs. RFC 8446 §5: "An implementation may receive an unencrypted
// record of type change_cipher_spec consisting of the single byte value 0x01 at any time
// after the first ClientHello message has been sent or received and before the peer's
// Finished message has been received and MUST simply drop it without further processing."
// After the handshake OpenSSL refuses it as SSL_R_BAD_RECORD_TYPE — except 3.5's client,
// whose application-data record layer keeps is_first_handshake (tls13_validate_record_header
// lets the CCS through; tls_common.c: "CCS messages must be exactly 1 byte long, containing
// the value 0x01" ... "We treat it like an empty handshake record").
TEST_CASE("CCS messages must be exactly 1 byte long, containing the value 0x01: 3.5's client drops a plaintext CCS after the handshake; every other profile and every server refuses it as bad record type") {
  const std::array<std::uint8_t, 6> ccs{20, 3, 3, 0, 1, 1};
  const std::array<std::uint8_t, 6> ccs_2{20, 3, 3, 0, 1, 2};
  for_each_profile([&](const profile& p) {
    const bool dropped = is(p, {profile_id::openssl_3_5});
    CHECK(p.late_compatibility_ccs == dropped);
    std::array<std::uint8_t, 16> buf{};
    SUBCASE("CCS 01 to the client") {
      connection c(suite(), with(p.id));
      raw_peer peer(c.k, c.pipe.b());
      peer.send_raw(ccs);
      peer.send(content_type::application_data, as_bytes("go"));
      const int ret = c.client->read(buf);
      if (dropped) {
        CHECK(ret == 2);
        CHECK_FALSE(c.client->failed());
      } else {
        CHECK(ret == -1);
        CHECK(c.client->error_reason() == "bad record type");
        CHECK(c.client->last_alert_sent() == fatal_alert(alert_description::unexpected_message));
      }
    }
    SUBCASE("a CCS of another body to the client") {
      connection c(suite(), with(p.id));
      raw_peer(c.k, c.pipe.b()).send_raw(ccs_2);
      CHECK(c.client->read(buf) == -1);
      CHECK(c.client->error_reason() == (dropped ? "invalid ccs message" : "bad record type"));
      CHECK(c.client->last_alert_sent() == fatal_alert(alert_description::unexpected_message));
    }
    SUBCASE("a CCS of two bytes 01 01 to the client: not exactly 1 byte long") {
      connection c(suite(), with(p.id));
      const std::array<std::uint8_t, 7> ccs_0101{20, 3, 3, 0, 2, 1, 1};
      raw_peer(c.k, c.pipe.b()).send_raw(ccs_0101);
      CHECK(c.client->read(buf) == -1);
      CHECK(c.client->error_reason() == (dropped ? "invalid ccs message" : "bad record type"));
      CHECK(c.client->last_alert_sent() == fatal_alert(alert_description::unexpected_message));
    }
    SUBCASE("a refused CCS ends the read: the data after it is not returned") {
      connection c(suite(), with(p.id));
      raw_peer peer(c.k, c.pipe.b());
      peer.send_raw(ccs_2);
      peer.send(content_type::application_data, as_bytes("go"));
      CHECK(c.client->read(buf) == -1);
      CHECK(c.client->failed());
    }
    SUBCASE("33 CCS 01 in a row to the client: counted as empty records") {
      connection c(suite(), with(p.id));
      raw_peer peer(c.k, c.pipe.b());
      for (int i = 0; i < 33; ++i) peer.send_raw(ccs);
      peer.send(content_type::application_data, as_bytes("go"));  // never read: the 33rd ends it
      CHECK(c.client->read(buf) == -1);
      CHECK(c.client->error_reason() == (dropped ? "unexpected ccs message" : "bad record type"));
      CHECK(c.client->last_alert_sent() == fatal_alert(alert_description::unexpected_message));
    }
    SUBCASE("CCS 01 to the server") {
      connection c(suite(), {}, with(p.id));
      REQUIRE(c.pipe.a().write(ccs).bytes == ccs.size());
      CHECK(c.server->read(buf) == -1);
      CHECK(c.server->error_reason() == "bad record type");
      CHECK(c.server->last_alert_sent() == fatal_alert(alert_description::unexpected_message));
    }
  });
}

// Row fatal_overrides, check tls12_aead_record_too_short. RFC 5246 §6.2.3.3: a record
// that cannot authenticate is bad_record_mac, as 3.0.22 answers. 1.1.1w's tls1_enc: the
// cipher's EVP_CTRL_AEAD_TLS1_AAD returns no padding for a record shorter than explicit
// nonce + tag, and "if (pad <= 0)" is SSLfatal(s, SSL_AD_INTERNAL_ERROR, ...,
// ERR_R_INTERNAL_ERROR) before any decryption; 3.5.7 answers the same.
TEST_CASE("if (pad <= 0) SSLfatal(s, SSL_AD_INTERNAL_ERROR, ...): a TLS 1.2 AEAD record shorter than explicit nonce + tag is internal_error in 1.1.1 and 3.5, bad_record_mac otherwise") {
  for_each_profile([](const profile& p) {
    const bool internal = is(p, {profile_id::openssl_1_1_1, profile_id::openssl_3_5});
    for_each_suite_of(protocol_version::tls12, [&](const cipher_suite& s) {
      // 8 bytes: shorter than GCM's 8 + 16 and than ChaCha20-Poly1305's 0 + 16.
      const std::array<std::uint8_t, 13> record{23, 3, 3, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8};
      const refusal r = client_refuses(s, p, record);
      if (internal) {
        CHECK(r.sent == fatal_alert(alert_description::internal_error));
        CHECK(r.reason == "internal error");
      } else {
        CHECK(r.sent == fatal_alert(alert_description::bad_record_mac));
        CHECK(r.reason == "decryption failed or bad record mac");
      }
    });
  });
}

// Row fatal_overrides, check tls13_record_too_short. RFC 8446 §5.2: a TLSInnerPlaintext
// holds at least its content type; shorter than tag + 1 cannot authenticate. 1.1.1w's
// tls13_enc: "if (rec->length < taglen + 1) return 0", which ssl3_get_record reports as
// SSLfatal(s, SSL_AD_BAD_RECORD_MAC, ..., SSL_R_BLOCK_CIPHER_PAD_IS_WRONG). 3.0 and 3.5:
// "decryption failed or bad record mac".
TEST_CASE("if (rec->length < taglen + 1) return 0: a TLS 1.3 record shorter than tag + type is block cipher pad is wrong in 1.1.1, decryption failed or bad record mac otherwise") {
  for_each_profile([](const profile& p) {
    const bool pad_is_wrong = is(p, {profile_id::openssl_1_1_1});
    for_each_suite_of(protocol_version::tls13, [&](const cipher_suite& s) {
      std::vector<std::uint8_t> record{23, 3, 3, 0, 16};  // the tag alone
      const auto tag = pattern(16, 7);
      record.insert(record.end(), tag.begin(), tag.end());
      const refusal r = client_refuses(s, p, record);
      CHECK(r.sent == fatal_alert(alert_description::bad_record_mac));
      CHECK(r.reason == (pad_is_wrong ? "block cipher pad is wrong" : "decryption failed or bad record mac"));
    });
  });
}

// Row fatal_overrides, check record_over_read_buffer. 1.1.1 and 3.0's ssl3_get_record
// refuse a length over the read buffer (16707) before the version's own limit:
// `thisrr->length > SSL3_BUFFER_get_len(rbuf) - SSL3_RT_HEADER_LENGTH` → record_overflow,
// SSL_R_PACKET_LENGTH_TOO_LONG. 3.5's tls_get_more_records calls validate_record_header
// first (tls_default_validate_record_header / tls13_validate_record_header:
// SSL_R_ENCRYPTED_LENGTH_TOO_LONG), so the same header is "encrypted length too long".
TEST_CASE("validate_record_header before the read-buffer check: a length over the read buffer is encrypted length too long in 3.5, packet length too long otherwise") {
  for_each_profile([](const profile& p) {
    const bool encrypted = is(p, {profile_id::openssl_3_5});
    for (const char* name : {"TLS_AES_128_GCM_SHA256", "ECDHE-ECDSA-AES128-GCM-SHA256"}) {
      CAPTURE(name);
      const std::array<std::uint8_t, 5> over_buffer{23, 3, 3, 0x41, 0x44};  // 16708
      refusal r = client_refuses(*find_cipher_suite(name), p, over_buffer);
      CHECK(r.sent == fatal_alert(alert_description::record_overflow));
      CHECK(r.reason == (encrypted ? "encrypted length too long" : "packet length too long"));
      // One byte less fits the buffer: the version's limit answers, the same everywhere.
      const std::array<std::uint8_t, 5> within_buffer{23, 3, 3, 0x41, 0x43};  // 16707
      r = client_refuses(*find_cipher_suite(name), p, within_buffer);
      CHECK(r.sent == fatal_alert(alert_description::record_overflow));
      CHECK(r.reason == "encrypted length too long");
    }
  });
}

// Row fatal_overrides, check tls13_record_major_version. 1.1.1 and 3.0's ssl3_get_record:
// `(version >> 8) != SSL3_VERSION_MAJOR` → SSL_AD_PROTOCOL_VERSION,
// SSL_R_WRONG_VERSION_NUMBER. 3.5's tls13_validate_record_header: `rec->rec_version !=
// TLS1_2_VERSION` → SSL_AD_DECODE_ERROR, SSL_R_WRONG_VERSION_NUMBER. TLS 1.2's `version !=
// s->version` check is protocol_version in every release.
TEST_CASE("rec->rec_version != TLS1_2_VERSION: a TLS 1.3 record of major version 4 is decode_error in 3.5, protocol_version otherwise") {
  for_each_profile([](const profile& p) {
    const bool decode_error = is(p, {profile_id::openssl_3_5});
    const std::array<std::uint8_t, 5> major_4{23, 4, 3, 0, 20};
    SUBCASE("TLS 1.3") {
      for_each_suite_of(protocol_version::tls13, [&](const cipher_suite& s) {
        const refusal r = client_refuses(s, p, major_4);
        CHECK(r.sent ==
              fatal_alert(decode_error ? alert_description::decode_error : alert_description::protocol_version));
        CHECK(r.reason == "wrong version number");
      });
    }
    SUBCASE("TLS 1.2: the same in every profile") {
      for_each_suite_of(protocol_version::tls12, [&](const cipher_suite& s) {
        const refusal r = client_refuses(s, p, major_4);
        CHECK(r.sent == fatal_alert(alert_description::protocol_version));
        CHECK(r.reason == "wrong version number");
      });
    }
  });
}

// test_profile.cpp — each row of the profile table (profile.hpp) shown on a connection:
// the profiles that differ there do differ, the others do what OpenSSL 3.0 does. The
// openssl-3.0 column is what `closenotify diff` checks against the live peer.
#include <doctest/doctest.h>

#include <array>
#include <set>
#include <string>

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

}  // namespace

TEST_CASE("the table has the five pages' profiles, one of them checked live, and names that round-trip") {
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
  CHECK(profile_for(profile_id::openssl_3_0).checked_live());
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

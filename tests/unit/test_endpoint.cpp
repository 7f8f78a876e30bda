// Endpoint-to-endpoint tests in memory: two closenotify endpoints on a memory pipe (and
// a raw peer for input no well-behaved endpoint sends), for each of the six suites.
// Each TEST_CASE is named after, and quotes, the sentence of the OpenSSL 3.5 page
// (../shared/reference/004_2c54678fa726e7b5.txt, "004" below) or the OpenSSL 3.0
// behaviour it verifies.
#include <doctest/doctest.h>

#include <thread>

#include <sys/socket.h>
#include <unistd.h>

#include "endpoint_fixture.hpp"

using namespace closenotify;
using namespace closenotify::testing;

namespace {

bytes_view as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// Runs the body once per matrix suite.
template <class F>
void for_each_suite(F&& body) {
  for (const cipher_suite* s : matrix_cipher_suites()) {
    CAPTURE(s->name);
    body(*s);
  }
}

}  // namespace

// 004 Shutdown Lifecycle: "a call to SSL_shutdown() will return firstly once a
// close_notify alert message is written to the peer (returning 0), and upon a second and
// subsequent call, once a corresponding message is received from the peer (returning 1
// and completing the shutdown process)."
TEST_CASE("SSL_shutdown returns 0 once close_notify is written, then 1 once the peer's is received") {
  for_each_suite([](const cipher_suite& s) {
    connection c(s);
    CHECK(c.client->shutdown() == 0);
    CHECK(c.client->get_shutdown() == shutdown_sent);
    CHECK(c.client->last_alert_sent() == alert{alert_level::warning, alert_description::close_notify});
    // The peer reads our close_notify as EOF and answers it.
    int ret = 0;
    CHECK(connection::read_all(*c.server, ret).empty());
    CHECK(ret == 0);
    CHECK(c.server->get_error(ret) == ssl_error::zero_return);
    CHECK(c.server->get_shutdown() == shutdown_received);
    // 004 Remotely-Initiated Shutdown: the peer "should handle this condition by calling
    // SSL_shutdown() to respond with a close_notify alert in turn, completing the
    // shutdown process" — having received first, its single call returns 1.
    CHECK(c.server->shutdown() == 1);
    CHECK(c.server->get_shutdown() == (shutdown_sent | shutdown_received));
    CHECK(c.client->shutdown() == 1);
    CHECK(c.client->get_shutdown() == (shutdown_sent | shutdown_received));
    // "upon a second and subsequent call": it stays 1.
    CHECK(c.client->shutdown() == 1);
  });
}

// 004 RETURN VALUES, 0: "Unlike most other functions, returning 0 does not indicate an
// error. SSL_get_error(3) should not be called; it may misleadingly indicate an error
// even though no error occurred." OpenSSL 3.0 reports SSL_ERROR_SYSCALL there.
TEST_CASE("SSL_get_error after a first SSL_shutdown that returned 0 misleadingly says SYSCALL") {
  connection c(*find_cipher_suite("TLS_AES_128_GCM_SHA256"));
  const int ret = c.client->shutdown();
  REQUIRE(ret == 0);
  CHECK(c.client->get_error(ret) == ssl_error::syscall);
  CHECK(c.client->error_reason().empty());
}

// 004 Shutdown Lifecycle: "If the underlying BIO is nonblocking and the shutdown process
// is not yet complete (for example, because a close_notify alert message has not yet
// been received from the peer ...) SSL_shutdown() returns 0 ... SSL_get_error(3) will
// yield SSL_ERROR_WANT_READ". OpenSSL 3.0's second call returns -1, not 0, with
// WANT_READ (docs/divergences.md); "An application can then detect completion of the
// shutdown process by calling SSL_shutdown() again repeatedly until it returns 1".
TEST_CASE("nonblocking: the second SSL_shutdown wants to read until the peer's close_notify arrives, then returns 1") {
  for_each_suite([](const cipher_suite& s) {
    connection c(s);
    REQUIRE(c.client->shutdown() == 0);
    int ret = c.client->shutdown();
    CHECK(ret == -1);
    CHECK(c.client->get_error(ret) == ssl_error::want_read);
    ret = c.client->shutdown();
    CHECK(ret == -1);
    CHECK(c.client->get_error(ret) == ssl_error::want_read);
    CHECK(c.server->shutdown() == 0);  // the server has not read ours yet: it sends, returns 0
    CHECK(c.client->shutdown() == 1);
    CHECK(c.client->get_error(1) == ssl_error::none);
  });
}

// 004 Shutdown Lifecycle: "Regardless of whether a shutdown was initiated locally or by
// the peer, if the underlying BIO is blocking, a call to SSL_shutdown() will return
// firstly once a close_notify alert message is written to the peer (returning 0), and
// upon a second and subsequent call, once a corresponding message is received".
TEST_CASE("blocking: the second SSL_shutdown waits for the peer's close_notify and returns 1") {
  for_each_suite([](const cipher_suite& s) {
    connection c(s);
    c.pipe.a().set_nonblocking(false);
    c.pipe.b().set_nonblocking(false);
    int first = -2, second = -2, server_read = -2, server_shutdown = -2;
    std::thread client([&] {
      first = c.client->shutdown();
      second = c.client->shutdown();  // blocks until the server answers
    });
    std::thread server([&] {
      std::array<std::uint8_t, 16> buf{};
      server_read = c.server->read(buf);  // blocks until the close_notify arrives
      server_shutdown = c.server->shutdown();
    });
    client.join();
    server.join();
    CHECK(first == 0);
    CHECK(second == 1);
    CHECK(server_read == 0);
    CHECK(c.server->get_error(server_read) == ssl_error::zero_return);
    CHECK(server_shutdown == 1);
  });
}

// 004 Remotely-Initiated Shutdown: "SSL_read(3) will fail and SSL_get_error(3) will
// return SSL_ERROR_ZERO_RETURN), after all application data sent by the peer prior to
// initiating the shutdown has been read."
TEST_CASE("SSL_read returns all the peer's data sent before its close_notify, then ZERO_RETURN") {
  for_each_suite([](const cipher_suite& s) {
    connection c(s);
    const auto big = pattern(40000, 3);  // three records
    REQUIRE(c.server->write(big) == 40000);
    REQUIRE(c.server->write(as_bytes("last words")) == 10);
    REQUIRE(c.server->shutdown() == 0);
    int ret = 0;
    const std::string got = connection::read_all(*c.client, ret);
    CHECK(got.size() == 40010);
    CHECK(std::equal(big.begin(), big.end(), reinterpret_cast<const std::uint8_t*>(got.data())));
    CHECK(got.substr(40000) == "last words");
    CHECK(ret == 0);
    CHECK(c.client->get_error(ret) == ssl_error::zero_return);
    // Reads after ZERO_RETURN stay at ZERO_RETURN.
    std::array<std::uint8_t, 8> buf{};
    CHECK(c.client->read(buf) == 0);
    CHECK(c.client->get_error(0) == ssl_error::zero_return);
  });
}

// 004 Remotely-Initiated Shutdown: "though it may choose to write additional application
// data using SSL_write(3) before doing so."
TEST_CASE("after the peer's close_notify the application may still write before its own SSL_shutdown") {
  for_each_suite([](const cipher_suite& s) {
    connection c(s);
    REQUIRE(c.server->shutdown() == 0);
    int ret = 0;
    connection::read_all(*c.client, ret);
    REQUIRE(c.client->get_error(ret) == ssl_error::zero_return);
    CHECK(c.client->write(as_bytes("reply")) == 5);
    CHECK(c.client->shutdown() == 1);
    // The server still gets the reply, then our close_notify.
    std::array<std::uint8_t, 16> buf{};
    CHECK(c.server->read(buf) == 5);
    CHECK(c.server->shutdown() == 1);
  });
}

// 004 Locally-Initiated Shutdown: "Once SSL_shutdown() is called, SSL_write(3) can no
// longer be used".
TEST_CASE("SSL_write after SSL_shutdown is refused: protocol is shutdown, nothing sent") {
  for_each_suite([](const cipher_suite& s) {
    connection c(s);
    REQUIRE(c.client->shutdown() == 0);
    const std::size_t before = c.pipe.b().pending();
    const int ret = c.client->write(as_bytes("too late"));
    CHECK(ret == -1);
    CHECK(c.client->get_error(ret) == ssl_error::ssl);
    CHECK(c.client->error_reason() == "protocol is shutdown");
    CHECK(c.pipe.b().pending() == before);
    // Refusing the write is not fatal: the shutdown still completes.
    REQUIRE(c.server->shutdown() == 0);
    CHECK(c.client->shutdown() == 1);
  });
}

// 004 Locally-Initiated Shutdown: "SSL_read(3) may still be used until the peer decides
// to close the connection in turn. The peer might continue sending data for some period
// of time before handling the local application's shutdown indication."
TEST_CASE("the peer's data sent after our close_notify is still delivered by SSL_read") {
  for_each_suite([](const cipher_suite& s) {
    connection c(s);
    REQUIRE(c.client->shutdown() == 0);
    REQUIRE(c.server->write(as_bytes("still talking")) == 13);
    REQUIRE(c.server->shutdown() == 0);
    int ret = 0;
    CHECK(connection::read_all(*c.client, ret) == "still talking");
    CHECK(c.client->get_error(ret) == ssl_error::zero_return);
    CHECK(c.client->shutdown() == 1);
  });
}

// 004 Shutdown Lifecycle: "the second call to SSL_shutdown() (to complete the shutdown
// by confirming receipt of the peer's close_notify message) will fail if it is called
// when the application has not read all pending application data sent by the peer".
// RETURN VALUES, <0: "It can also occur when not all data was read using SSL_read()".
TEST_CASE("the second SSL_shutdown fails when the peer's application data is unread") {
  for_each_suite([](const cipher_suite& s) {
    connection c(s);
    REQUIRE(c.server->write(as_bytes("unread")) == 6);
    REQUIRE(c.client->shutdown() == 0);
    REQUIRE(c.server->shutdown() == 0);
    const std::size_t server_inbox = c.pipe.b().pending();
    const int ret = c.client->shutdown();
    CHECK(ret == -1);
    CHECK(c.client->get_error(ret) == ssl_error::ssl);
    CHECK(c.client->error_reason() == "application data after close notify");
    // No alert follows our close_notify.
    CHECK(c.pipe.b().pending() == server_inbox);
    CHECK(c.client->failed());
    // The connection is dead: the next call is refused as after any fatal error.
    CHECK(c.client->shutdown() == -1);
    CHECK(c.client->error_reason() == "shutdown while in init");
  });
}

// 004 Shutdown Lifecycle: "The SSL_RECEIVED_SHUTDOWN flag is set once a close_notify
// alert is received, which may occur during any call which processes incoming data from
// the network, such as SSL_read(3) or SSL_shutdown()."
TEST_CASE("RECEIVED is set by whichever call processes the peer's close_notify") {
  connection c(*find_cipher_suite("ECDHE-ECDSA-AES128-GCM-SHA256"));
  REQUIRE(c.server->shutdown() == 0);
  SUBCASE("SSL_read") {
    std::array<std::uint8_t, 8> buf{};
    CHECK(c.client->read(buf) == 0);
    CHECK(c.client->get_shutdown() == shutdown_received);
  }
  SUBCASE("SSL_peek") {
    std::array<std::uint8_t, 8> buf{};
    CHECK(c.client->peek(buf) == 0);
    CHECK(c.client->get_shutdown() == shutdown_received);
  }
  SUBCASE("the second SSL_shutdown") {
    CHECK(c.client->shutdown() == 0);  // the first call does not read
    CHECK(c.client->get_shutdown() == shutdown_sent);
    CHECK(c.client->shutdown() == 1);
    CHECK(c.client->get_shutdown() == (shutdown_sent | shutdown_received));
  }
}

// 004 Shutdown Lifecycle: "When calling SSL_shutdown(), the SSL_SENT_SHUTDOWN flag is set
// once an attempt is made to send a close_notify alert, regardless of whether the
// attempt was successful." And: "or because a close_notify alert message needs to be
// sent but would currently block ... SSL_get_error(3) will yield ... SSL_ERROR_WANT_WRITE."
TEST_CASE("SENT is set when close_notify cannot be written yet; a later call writes it") {
  for_each_suite([](const cipher_suite& s) {
    connection c(s, {}, {}, 64);  // a pipe that holds 64 bytes
    // Fill the pipe so nothing more fits.
    const auto filler = pattern(64, 9);
    REQUIRE(c.pipe.a().write(filler).bytes == 64);
    int ret = c.client->shutdown();
    CHECK(ret == -1);
    CHECK(c.client->get_error(ret) == ssl_error::want_write);
    CHECK(c.client->get_shutdown() == shutdown_sent);
    CHECK_FALSE(c.client->last_alert_sent());
    // Drain the pipe: the retry writes the alert and returns 0 (not yet complete).
    std::array<std::uint8_t, 64> sink{};
    REQUIRE(c.pipe.b().read(sink).bytes == 64);
    ret = c.client->shutdown();
    while (ret == -1 && c.client->get_error(ret) == ssl_error::want_write) {
      REQUIRE(c.pipe.b().read(sink).status == io_status::ok);
      ret = c.client->shutdown();
    }
    CHECK(ret == 0);
    CHECK(c.client->last_alert_sent() == alert{alert_level::warning, alert_description::close_notify});
  });
}

// 004 Fast Shutdown: "it is acceptable for an application to call SSL_shutdown() once
// (such that it returns 0) and then close the underlying connection without waiting for
// the peer's response."
TEST_CASE("fast shutdown: one SSL_shutdown then close; the peer still reads a clean close_notify") {
  for_each_suite([](const cipher_suite& s) {
    connection c(s);
    REQUIRE(c.client->shutdown() == 0);
    c.pipe.a().close();
    int ret = 0;
    connection::read_all(*c.server, ret);
    CHECK(ret == 0);
    CHECK(c.server->get_error(ret) == ssl_error::zero_return);
    // The peer's reply cannot be delivered, and its shutdown never claims completion.
    ret = c.server->shutdown();
    CHECK(ret == -1);
    CHECK(c.server->os_error() != 0);
    CHECK(c.server->get_shutdown() == (shutdown_sent | shutdown_received));
  });
}

// 004 Quiet Shutdown: "When "quiet shutdown" is enabled, SSL_shutdown() will always
// succeed and return 1 immediately." and it sets "the connection to the "shutdown" state
// without actually sending a close_notify alert message".
TEST_CASE("quiet shutdown returns 1 immediately and sends nothing") {
  for_each_suite([](const cipher_suite& s) {
    endpoint_options quiet;
    quiet.quiet_shutdown = true;
    connection c(s, quiet);
    CHECK(c.client->shutdown() == 1);
    CHECK(c.client->get_shutdown() == (shutdown_sent | shutdown_received));
    CHECK(c.pipe.b().pending() == 0);
    CHECK_FALSE(c.client->last_alert_sent());
    // And the peer, reading, sees nothing at all.
    std::array<std::uint8_t, 8> buf{};
    const int ret = c.server->read(buf);
    CHECK(ret == -1);
    CHECK(c.server->get_error(ret) == ssl_error::want_read);
  });
}

// 004 Non-Compliant Peers: "There are SSL/TLS implementations that never send the
// required close_notify alert message but simply close the underlying transport (e.g. a
// TCP connection) instead. This will ordinarily result in an error being generated."
TEST_CASE("EOF without close_notify is an error: unexpected eof while reading, and decode_error is sent") {
  for_each_suite([](const cipher_suite& s) {
    connection c(s);
    REQUIRE(c.server->write(as_bytes("data")) == 4);
    c.pipe.b().shutdown_write();
    int ret = 0;
    CHECK(connection::read_all(*c.client, ret) == "data");
    CHECK(ret == 0);
    CHECK(c.client->get_error(ret) == ssl_error::ssl);
    CHECK(c.client->error_reason() == "unexpected eof while reading");
    CHECK(c.client->get_shutdown() == 0);  // never "shutdown complete" without close_notify
    CHECK(c.client->last_alert_sent() == alert{alert_level::fatal, alert_description::decode_error});
    // The peer receives that alert as a fatal error.
    std::array<std::uint8_t, 8> buf{};
    CHECK(c.server->read(buf) == 0);
    CHECK(c.server->get_error(0) == ssl_error::ssl);
    CHECK(c.server->last_alert_received() == alert{alert_level::fatal, alert_description::decode_error});
    // 004 DESCRIPTION: "SSL_shutdown() should not be called if a previous fatal error has
    // occurred on a connection" — OpenSSL refuses it.
    CHECK(c.client->shutdown() == -1);
    CHECK(c.client->error_reason() == "shutdown while in init");
  });
}

// 004 Non-Compliant Peers: "If compatibility with such peers is desired, the option
// SSL_OP_IGNORE_UNEXPECTED_EOF can be set."
TEST_CASE("with IGNORE_UNEXPECTED_EOF, EOF without close_notify reads as ZERO_RETURN") {
  for_each_suite([](const cipher_suite& s) {
    endpoint_options ignore;
    ignore.ignore_unexpected_eof = true;
    connection c(s, ignore);
    c.pipe.b().shutdown_write();
    std::array<std::uint8_t, 8> buf{};
    const int ret = c.client->read(buf);
    CHECK(ret == 0);
    CHECK(c.client->get_error(ret) == ssl_error::zero_return);
    CHECK(c.client->get_shutdown() == shutdown_received);
    CHECK_FALSE(c.client->last_alert_sent());
    CHECK(c.client->shutdown() == 1);
  });
}

// OpenSSL 3.0 applies IGNORE_UNEXPECTED_EOF with SSL_set_shutdown(s, RECEIVED), an
// assignment: SENT is cleared, the waiting SSL_shutdown returns 0, and the next one
// sends a second close_notify (seen in ../shared/openssl-3.0-notes.md, confirmed in
// OpenSSL 3.0.20's ssl3_read_n).
TEST_CASE("IGNORE_UNEXPECTED_EOF after our close_notify clears SENT, and close_notify is sent again") {
  for_each_suite([](const cipher_suite& s) {
    endpoint_options ignore;
    ignore.ignore_unexpected_eof = true;
    connection c(s, ignore);
    REQUIRE(c.client->shutdown() == 0);
    c.pipe.b().shutdown_write();
    int ret = c.client->shutdown();
    CHECK(ret == 0);
    CHECK(c.client->get_shutdown() == shutdown_received);
    CHECK(c.client->get_error(ret) == ssl_error::zero_return);
    const std::size_t inbox = c.pipe.b().pending();
    CHECK(c.client->shutdown() == 1);
    CHECK(c.pipe.b().pending() > inbox);  // a second close_notify went out
  });
}

// 004 Shutdown Lifecycle: "the preferred method of waiting for the shutdown to complete
// is to use SSL_read(3) until SSL_get_error(3) indicates EOF by returning
// SSL_ERROR_ZERO_RETURN. ... It also ensures any final handshake-layer messages received
// are processed (for example, messages issuing new session tickets)."
// 004 Session Ticket Handling: "client applications which only write and do not read
// but which wish to benefit from session resumption are advised to perform a complete
// shutdown procedure by calling SSL_shutdown() until it returns 1".
TEST_CASE("a NewSessionTicket before the peer's close_notify is processed by SSL_read and by SSL_shutdown") {
  connection c(*find_cipher_suite("TLS_AES_256_GCM_SHA384"));
  raw_peer peer(c.k, c.pipe.b());
  // RFC 8446 §4.6.1 NewSessionTicket: lifetime, age_add, nonce<1>, ticket<3>, no extensions.
  const std::vector<std::uint8_t> nst{4,    0,    0,    17,   0, 0, 0x1c, 0x20, 1, 2, 3, 4,
                                      1,    0xaa, 0,    3,    7, 8, 9,    0,    0};
  std::vector<std::string> opened;
  c.client->set_record_observer([&](const record_event& e) {
    if (!e.sent) opened.emplace_back(to_string(e.type));
  });
  SUBCASE("SSL_read until ZERO_RETURN") {
    peer.send(content_type::handshake, nst);
    peer.send_alert(alert_level::warning, alert_description::close_notify);
    int ret = 0;
    connection::read_all(*c.client, ret);
    CHECK(c.client->get_error(ret) == ssl_error::zero_return);
  }
  SUBCASE("SSL_shutdown until it returns 1") {
    REQUIRE(c.client->shutdown() == 0);
    peer.send(content_type::handshake, nst);
    peer.send_alert(alert_level::warning, alert_description::close_notify);
    CHECK(c.client->shutdown() == 1);
  }
  CHECK(opened == std::vector<std::string>{"handshake", "alert"});
  CHECK_FALSE(c.client->failed());
}

TEST_CASE("a NewSessionTicket sent to a server is an unexpected_message") {
  connection c(*find_cipher_suite("TLS_AES_128_GCM_SHA256"));
  // The client endpoint has no API to send one; seal it with the client's keys by hand.
  record_protection client_keys = c.k.make(role::client);
  std::array<std::uint8_t, 128> rec{};
  const std::vector<std::uint8_t> nst{4, 0, 0, 13, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 1, 5, 0, 0};
  auto n = client_keys.seal(content_type::handshake, nst, rec);
  REQUIRE(std::holds_alternative<std::size_t>(n));
  REQUIRE(c.pipe.a().write(bytes_view{rec.data(), std::get<std::size_t>(n)}).status == io_status::ok);
  std::array<std::uint8_t, 8> buf{};
  const int ret = c.server->read(buf);
  CHECK(ret == -1);
  CHECK(c.server->error_reason() == "unexpected message");
  CHECK(c.server->last_alert_sent() == alert{alert_level::fatal, alert_description::unexpected_message});
}

// RFC 8446 §4.6.3: "If the request_update field is set to "update_requested", then the
// receiver MUST send a KeyUpdate of its own with request_update set to
// "update_not_requested" prior to sending its next Application Data record."
TEST_CASE("a KeyUpdate with update_requested is honoured: both directions re-key and keep working") {
  for (const cipher_suite* s : matrix_cipher_suites()) {
    if (s->version != protocol_version::tls13) continue;
    CAPTURE(s->name);
    connection c(*s);
    std::vector<std::string> client_sent;
    c.client->set_record_observer([&](const record_event& e) {
      if (e.sent) client_sent.emplace_back(to_string(e.type));
    });
    REQUIRE(c.server->key_update(key_update_request::update_requested) == 1);
    CHECK(c.server->in_init());
    // OpenSSL refuses SSL_shutdown while the KeyUpdate is scheduled.
    CHECK(c.server->shutdown() == -1);
    CHECK(c.server->error_reason() == "shutdown while in init");
    REQUIRE(c.server->write(as_bytes("after update")) == 12);
    CHECK(c.server->write_protection().sequence_number() == 1);  // re-keyed, then one record
    std::array<std::uint8_t, 32> buf{};
    const int n = c.client->read(buf);
    CHECK(n == 12);
    CHECK(c.client->read_protection().sequence_number() == 1);
    // OpenSSL 3.0 owes the reply until its next write: the read sent nothing, and the
    // client is not in init (live: closenotify diff post-key-update-requested).
    CHECK(client_sent.empty());
    CHECK_FALSE(c.client->in_init());
    REQUIRE(c.client->write(as_bytes("pong")) == 4);
    // The write sent the KeyUpdate (update_not_requested) first, then the data under the
    // new key.
    CHECK(client_sent == std::vector<std::string>{"handshake", "application_data"});
    CHECK(c.client->write_protection().sequence_number() == 1);
    CHECK(c.server->read(buf) == 4);
    // And teardown still completes under the new keys.
    CHECK(c.client->shutdown() == 0);
    int ret = 0;
    connection::read_all(*c.server, ret);
    CHECK(c.server->get_error(ret) == ssl_error::zero_return);
    CHECK(c.server->shutdown() == 1);
    CHECK(c.client->shutdown() == 1);
  }
}

// RFC 8446 §6.1 vs §4.6.3: once our close_notify is out, SSL_write is refused, so the
// KeyUpdate the peer asked for is never sent (OpenSSL 3.0, seen live).
TEST_CASE("a KeyUpdate requested after our close_notify is never answered, and shutdown is not blocked by it") {
  for (const cipher_suite* s : matrix_cipher_suites()) {
    if (s->version != protocol_version::tls13) continue;
    CAPTURE(s->name);
    connection c(*s);
    std::vector<std::string> client_sent;
    c.client->set_record_observer([&](const record_event& e) {
      if (e.sent) client_sent.emplace_back(to_string(e.type));
    });
    CHECK(c.client->shutdown() == 0);
    REQUIRE(c.server->key_update(key_update_request::update_requested) == 1);
    REQUIRE(c.server->write(as_bytes("late")) == 4);
    std::array<std::uint8_t, 32> buf{};
    CHECK(c.client->read(buf) == 4);
    CHECK(c.client->write(as_bytes("x")) == -1);
    CHECK(c.client->error_reason() == "protocol is shutdown");
    CHECK(c.server->shutdown() == 0);
    CHECK(c.client->shutdown() == 1);
    CHECK(client_sent == std::vector<std::string>{"alert"});
  }
}

// SSL_key_update(3): "The update will not take place until the next time an IO operation
// such as SSL_read_ex() or SSL_write_ex() takes place on the connection. Alternatively
// SSL_do_handshake() can be called to force the update to take place immediately."
TEST_CASE("SSL_do_handshake() can be called to force the update to take place immediately") {
  for (const cipher_suite* s : matrix_cipher_suites()) {
    if (s->version != protocol_version::tls13) continue;
    CAPTURE(s->name);
    connection c(*s);
    std::vector<std::string> sent;
    c.server->set_record_observer([&](const record_event& e) {
      if (e.sent) sent.emplace_back(to_string(e.type));
    });
    CHECK(c.server->do_handshake() == 1);  // not in init: nothing to do
    CHECK(sent.empty());
    REQUIRE(c.server->key_update(key_update_request::update_not_requested) == 1);
    REQUIRE(c.server->in_init());
    CHECK(c.server->do_handshake() == 1);
    CHECK(sent == std::vector<std::string>{"handshake"});
    CHECK_FALSE(c.server->in_init());
    CHECK(c.server->write_protection().sequence_number() == 0);  // re-keyed
    std::array<std::uint8_t, 8> buf{};
    CHECK(c.client->read(buf) == -1);  // the KeyUpdate alone: no data yet
    CHECK(c.client->get_error(-1) == ssl_error::want_read);
    CHECK(c.client->read_protection().sequence_number() == 0);  // it re-keyed too
  }
}

// ssl3_write_bytes (OpenSSL 3.0) refuses a length only below what an interrupted write
// committed to ("len < s->rlayer.wnum": bad length); an SSL_write of nothing is done at
// once ("tot == len") and returns 0.
TEST_CASE("SSL_write of zero bytes returns 0, sends nothing and fails nothing") {
  for_each_suite([](const cipher_suite& s) {
    connection c(s);
    std::vector<std::string> sent;
    c.client->set_record_observer([&](const record_event& e) {
      if (e.sent) sent.emplace_back(to_string(e.type));
    });
    CHECK(c.client->write(bytes_view{}) == 0);
    CHECK(c.client->error_reason().empty());
    CHECK(sent.empty());
    CHECK(c.client->write(as_bytes("after")) == 5);
    CHECK(sent == std::vector<std::string>{"application_data"});
  });
}

// ssl3_write_bytes (OpenSSL 3.0): "(wb->left != 0 && len < s->rlayer.wnum +
// s->rlayer.wpend_tot)" is bad length; a retry offering exactly the pending record is not.
TEST_CASE("a nonblocking SSL_write of one record that wanted to write completes when retried with exactly its bytes") {
  for_each_suite([](const cipher_suite& s) {
    connection c(s, {}, {}, 4096);
    const auto one_record = pattern(10000, 9);
    int ret = c.client->write(one_record);
    REQUIRE(ret == -1);
    std::string got;
    int rounds = 0;
    while (ret == -1 && c.client->get_error(ret) == ssl_error::want_write) {
      int r = 0;
      got += connection::read_all(*c.server, r);
      ret = c.client->write(one_record);
      REQUIRE(++rounds < 100);
    }
    CHECK(ret == 10000);
    CHECK(c.client->error_reason().empty());
    int r = 0;
    got += connection::read_all(*c.server, r);
    CHECK(got.size() == one_record.size());
  });
}

// ssl3_write_pending (OpenSSL 3.0): "(!(s->mode & SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER) &&
// (s->rlayer.wpend_buf != buf))" is SSL_R_BAD_WRITE_RETRY: the same bytes are not enough.
TEST_CASE("a retried SSL_write from another buffer holding the same bytes is bad write retry") {
  for_each_suite([](const cipher_suite& s) {
    connection c(s, {}, {}, 4096);
    const auto first = pattern(10000, 9);
    const auto copy = first;
    REQUIRE(c.client->write(first) == -1);
    REQUIRE(c.client->get_error(-1) == ssl_error::want_write);
    int r = 0;
    connection::read_all(*c.server, r);
    CHECK(c.client->write(copy) == -1);
    CHECK(c.client->error_reason() == "bad write retry");
  });
}

TEST_CASE("a retried SSL_write offering less than the pending record is bad length") {
  for_each_suite([](const cipher_suite& s) {
    connection c(s, {}, {}, 4096);
    const auto one_record = pattern(10000, 9);
    REQUIRE(c.client->write(one_record) == -1);
    REQUIRE(c.client->get_error(-1) == ssl_error::want_write);
    CHECK(c.client->write(bytes_view(one_record).first(5000)) == -1);
    CHECK(c.client->error_reason() == "bad length");
  });
}

// ssl3_write_bytes' retry rule reaches SSL_key_update too (OpenSSL 3.0 SSL_key_update:
// "if (RECORD_LAYER_write_pending(&s->rlayer)) { ERR_raise(ERR_LIB_SSL,
// SSL_R_BAD_WRITE_RETRY); return 0; }").
TEST_CASE("SSL_key_update while a write is pending is refused: bad write retry") {
  for (const cipher_suite* s : matrix_cipher_suites()) {
    if (s->version != protocol_version::tls13) continue;
    CAPTURE(s->name);
    connection c(*s, {}, {}, 4096);
    REQUIRE(c.client->write(pattern(10000, 3)) == -1);
    REQUIRE(c.client->get_error(-1) == ssl_error::want_write);
    CHECK(c.client->key_update(key_update_request::update_not_requested) == 0);
    CHECK(c.client->error_reason() == "bad write retry");
    CHECK_FALSE(c.client->in_init());
  }
}

// ssl3_read_bytes (OpenSSL 3.0) begins each pass with "s->rwstate = SSL_NOTHING;": a read
// that meets an already buffered close_notify says ZERO_RETURN, not the WANT_WRITE an
// earlier SSL_write left behind.
TEST_CASE("a read begins with rwstate SSL_NOTHING: a buffered close_notify after a write that wanted to write is ZERO_RETURN") {
  for_each_suite([](const cipher_suite& s) {
    endpoint_options read_ahead;
    read_ahead.read_ahead = true;
    connection c(s, read_ahead, {}, 4096);
    REQUIRE(c.server->write(as_bytes("hi")) == 2);
    REQUIRE(c.server->shutdown() == 0);
    std::array<std::uint8_t, 1> one{};
    REQUIRE(c.client->read(one) == 1);  // read-ahead takes both records in
    REQUIRE(c.client->write(pattern(10000, 1)) == -1);
    REQUIRE(c.client->get_error(-1) == ssl_error::want_write);
    CHECK(c.client->read(one) == 1);
    const int ret = c.client->read(one);
    CHECK(ret == 0);
    CHECK(c.client->get_error(ret) == ssl_error::zero_return);
  });
}

// OpenSSL enters its state machine as soon as a handshake header is in, and the state
// machine first writes the KeyUpdate it owes; then it reads that message on, body and all
// (endpoint.cpp, handle_handshake).
TEST_CASE("a KeyUpdate owed when a whole NewSessionTicket arrives goes out first, then the ticket is read") {
  for (const cipher_suite* s : matrix_cipher_suites()) {
    if (s->version != protocol_version::tls13) continue;
    CAPTURE(s->name);
    connection c(*s);
    std::vector<std::string> sent;
    c.client->set_record_observer([&](const record_event& e) {
      if (e.sent) sent.emplace_back(to_string(e.type));
    });
    raw_peer peer(c.k, c.pipe.b());
    const std::array<std::uint8_t, 5> key_update_requested{24, 0, 0, 1, 1};
    peer.send(content_type::handshake, key_update_requested);
    REQUIRE(peer.seal.key_update());
    peer.send(content_type::application_data, as_bytes("a"));
    std::array<std::uint8_t, 8> buf{};
    REQUIRE(c.client->read(buf) == 1);  // the KeyUpdate is now owed
    REQUIRE(sent.empty());
    // RFC 8446 §4.6.1 NewSessionTicket: lifetime, age_add, empty nonce, a 1-byte ticket,
    // no extensions; one record holds it whole.
    const std::array<std::uint8_t, 18> ticket{4, 0, 0, 14, 0, 0, 0x0e, 0x10, 0, 0, 0, 0, 0, 0, 1, 0xab, 0, 0};
    peer.send(content_type::handshake, bytes_view(ticket).first(ticket.size()));
    peer.send(content_type::application_data, as_bytes("x"));
    CHECK(c.client->read(buf) == 1);
    CHECK(buf[0] == 'x');
    CHECK(sent == std::vector<std::string>{"handshake"});
    CHECK_FALSE(c.client->in_init());
  }
}

TEST_CASE("SSL_key_update is refused on TLS 1.2") {
  connection c(*find_cipher_suite("ECDHE-ECDSA-CHACHA20-POLY1305"));
  CHECK(c.client->key_update(key_update_request::update_not_requested) == 0);
  CHECK(c.client->error_reason() == "wrong ssl version");
}

// OpenSSL's MAX_WARN_ALERT_COUNT: the 5th consecutive warning alert is fatal.
TEST_CASE("four consecutive warning alerts are tolerated, the fifth is fatal: too many warn alerts") {
  for_each_suite([](const cipher_suite& s) {
    const bool tls13 = s.version == protocol_version::tls13;
    // TLS 1.3's only ignorable alert is user_canceled; TLS 1.2 ignores any warning.
    const auto ignorable = tls13 ? alert_description::user_canceled : alert_description::unknown_ca;
    for (int count : {4, 5}) {
      CAPTURE(count);
      connection c(s);
      raw_peer peer(c.k, c.pipe.b());
      for (int i = 0; i < count; ++i) peer.send_alert(alert_level::warning, ignorable);
      peer.send(content_type::application_data, as_bytes("x"));
      std::array<std::uint8_t, 8> buf{};
      const int ret = c.client->read(buf);
      if (count == 4) {
        CHECK(ret == 1);
      } else {
        CHECK(ret == -1);
        CHECK(c.client->error_reason() == "too many warn alerts");
        CHECK(c.client->last_alert_sent() == alert{alert_level::fatal, alert_description::unexpected_message});
      }
    }
  });
}

TEST_CASE("application data between warning alerts resets the warning count") {
  connection c(*find_cipher_suite("ECDHE-ECDSA-AES256-GCM-SHA384"));
  raw_peer peer(c.k, c.pipe.b());
  std::array<std::uint8_t, 8> buf{};
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 4; ++i) peer.send_alert(alert_level::warning, alert_description::user_canceled);
    peer.send(content_type::application_data, as_bytes("y"));
    CHECK(c.client->read(buf) == 1);
  }
  CHECK_FALSE(c.client->failed());
}

// OpenSSL's MAX_EMPTY_RECORDS: 32 consecutive empty records are tolerated.
TEST_CASE("32 consecutive empty records are tolerated, the 33rd is fatal: record too small") {
  for_each_suite([](const cipher_suite& s) {
    for (int count : {32, 33}) {
      CAPTURE(count);
      connection c(s);
      raw_peer peer(c.k, c.pipe.b());
      for (int i = 0; i < count; ++i) peer.send(content_type::application_data, {});
      peer.send(content_type::application_data, as_bytes("z"));
      std::array<std::uint8_t, 8> buf{};
      const int ret = c.client->read(buf);
      if (count == 32) {
        CHECK(ret == 1);
      } else {
        CHECK(ret == -1);
        CHECK(c.client->error_reason() == "record too small");
      }
    }
  });
}

// ssl3_get_record (OpenSSL 3.0): a record of length 0 increments the empty-record count
// (RECORD_LAYER_inc_empty_record_count), any other resets it: only consecutive empty
// records count toward MAX_EMPTY_RECORDS.
TEST_CASE("a non-empty record starts the empty-record count again") {
  for_each_suite([](const cipher_suite& s) {
    connection c(s);
    raw_peer peer(c.k, c.pipe.b());
    std::array<std::uint8_t, 8> buf{};
    for (int round = 0; round < 3; ++round) {
      CAPTURE(round);
      for (int i = 0; i < 32; ++i) peer.send(content_type::application_data, {});
      peer.send(content_type::application_data, as_bytes("z"));
      CHECK(c.client->read(buf) == 1);
    }
  });
}

// OpenSSL 3.0 answers an alert record that is not exactly two bytes with
// unexpected_message, "invalid alert".
TEST_CASE("an alert record of 1 or 3 bytes is answered with unexpected_message") {
  for_each_suite([](const cipher_suite& s) {
    for (std::size_t len : {1u, 3u}) {
      connection c(s);
      raw_peer peer(c.k, c.pipe.b());
      const std::array<std::uint8_t, 3> body{1, 0, 0};
      peer.send(content_type::alert, bytes_view{body}.first(len));
      std::array<std::uint8_t, 8> buf{};
      CHECK(c.client->read(buf) == -1);
      CHECK(c.client->error_reason() == "invalid alert");
      CHECK(c.client->last_alert_sent() == alert{alert_level::fatal, alert_description::unexpected_message});
      // The server, reading, learns of it as a fatal alert.
      CHECK(c.server->read(buf) == 0);
      CHECK(c.server->get_error(0) == ssl_error::ssl);
    }
  });
}

// RFC 8446 §5.2 / RFC 5246 §6.2.3.3: a record that does not authenticate is bad_record_mac.
TEST_CASE("a tampered record is answered with bad_record_mac and nothing of it is delivered") {
  for_each_suite([](const cipher_suite& s) {
    connection c(s);
    REQUIRE(c.server->write(as_bytes("secret")) == 6);
    // Flip the last byte (inside the tag) while it is in flight.
    std::array<std::uint8_t, 256> wire{};
    auto io = c.pipe.a().read(wire);  // take the record out of the client's inbox
    REQUIRE(io.status == io_status::ok);
    wire[io.bytes - 1] ^= 0x01;
    raw_peer(c.k, c.pipe.b()).send_raw(bytes_view{wire.data(), io.bytes});
    std::array<std::uint8_t, 8> buf{};
    CHECK(c.client->read(buf) == -1);
    CHECK(c.client->error_reason() == "decryption failed or bad record mac");
    CHECK(c.client->last_alert_sent() == alert{alert_level::fatal, alert_description::bad_record_mac});
    CHECK(c.client->shutdown() == -1);
  });
}

// ssl3_send_alert (OpenSSL 3.0): "if (s->shutdown & SSL_SENT_SHUTDOWN && desc !=
// SSL_AD_CLOSE_NOTIFY) return -1": nothing may follow our close_notify.
TEST_CASE("after our close_notify, a fatal error sends no alert of its own") {
  for_each_suite([](const cipher_suite& s) {
    connection c(s);
    std::vector<std::string> sent;
    c.client->set_record_observer([&](const record_event& e) {
      if (e.sent) sent.emplace_back(to_string(e.type));
    });
    REQUIRE(c.server->write(as_bytes("secret")) == 6);
    std::array<std::uint8_t, 256> wire{};
    auto io = c.pipe.a().read(wire);
    REQUIRE(io.status == io_status::ok);
    wire[io.bytes - 1] ^= 0x01;
    raw_peer(c.k, c.pipe.b()).send_raw(bytes_view{wire.data(), io.bytes});
    REQUIRE(c.client->shutdown() == 0);
    std::array<std::uint8_t, 8> buf{};
    CHECK(c.client->read(buf) == -1);
    CHECK(c.client->error_reason() == "decryption failed or bad record mac");
    CHECK(sent == std::vector<std::string>{"alert"});  // the close_notify alone
    CHECK(c.client->last_alert_sent() == alert{alert_level::warning, alert_description::close_notify});
  });
}

// OpenSSL 3.0: a fatal alert received while SSL_shutdown waits sets RECEIVED too, and
// ssl3_shutdown decides on the flags only: it returns 1 with the alert's error queued.
// closenotify keeps that return value for the openssl-3.0 profile and says what it was.
TEST_CASE("a fatal alert while the second SSL_shutdown waits returns 1 as OpenSSL 3.0 does, with the alert's reason") {
  connection c(*find_cipher_suite("TLS_CHACHA20_POLY1305_SHA256"));
  raw_peer peer(c.k, c.pipe.b());
  REQUIRE(c.client->shutdown() == 0);
  peer.send_alert(alert_level::fatal, alert_description::handshake_failure);
  CHECK(c.client->shutdown() == 1);
  CHECK(c.client->error_reason() == "sslv3 alert handshake failure");
  CHECK(c.client->last_alert_received() == alert{alert_level::fatal, alert_description::handshake_failure});
  CHECK(c.client->failed());
}

// OpenSSL 3.0: warn_alert starts at 0 (close_notify), so after a received fatal alert a
// later SSL_read reports ZERO_RETURN.
TEST_CASE("after a received fatal alert, the next SSL_read reports ZERO_RETURN as OpenSSL 3.0 does") {
  connection c(*find_cipher_suite("ECDHE-ECDSA-AES128-GCM-SHA256"));
  raw_peer peer(c.k, c.pipe.b());
  peer.send_alert(alert_level::fatal, alert_description::internal_error);
  std::array<std::uint8_t, 8> buf{};
  CHECK(c.client->read(buf) == 0);
  CHECK(c.client->get_error(0) == ssl_error::ssl);
  CHECK(c.client->error_reason() == "tlsv1 alert internal error");
  CHECK(c.client->read(buf) == 0);
  CHECK(c.client->get_error(0) == ssl_error::zero_return);
  CHECK_FALSE(c.client->last_alert_sent());  // nothing is sent back
}

// OpenSSL 3.0 (ssl3_write_pending): a record half-written by SSL_write must be finished
// by a retry of that write; SSL_shutdown queues close_notify behind it and its retry is
// "bad write retry".
TEST_CASE("SSL_shutdown after an SSL_write that wanted to write fails with bad write retry") {
  connection c(*find_cipher_suite("TLS_AES_128_GCM_SHA256"), {}, {}, 1024);
  const auto big = pattern(4000, 1);
  int ret = c.client->write(big);
  REQUIRE(ret == -1);
  REQUIRE(c.client->get_error(ret) == ssl_error::want_write);
  ret = c.client->shutdown();
  CHECK(ret == -1);
  CHECK(c.client->get_error(ret) == ssl_error::want_write);
  CHECK(c.client->get_shutdown() == shutdown_sent);
  ret = c.client->shutdown();
  CHECK(ret == -1);
  CHECK(c.client->error_reason() == "bad write retry");
  CHECK(c.client->get_error(ret) == ssl_error::ssl);
}

TEST_CASE("a nonblocking SSL_write that wanted to write completes when retried with the same bytes") {
  for_each_suite([](const cipher_suite& s) {
    connection c(s, {}, {}, 4096);
    const auto big = pattern(50000, 5);
    std::string got;
    int ret = c.client->write(big);
    int rounds = 0;
    while (ret == -1 && c.client->get_error(ret) == ssl_error::want_write) {
      int r = 0;
      got += connection::read_all(*c.server, r);
      REQUIRE(c.server->get_error(r) == ssl_error::want_read);
      ret = c.client->write(big);
      REQUIRE(++rounds < 1000);
    }
    CHECK(ret == 50000);
    int r = 0;
    got += connection::read_all(*c.server, r);
    REQUIRE(got.size() == big.size());
    CHECK(std::equal(big.begin(), big.end(), reinterpret_cast<const std::uint8_t*>(got.data())));
  });
}

TEST_CASE("SSL_peek returns data without consuming it") {
  connection c(*find_cipher_suite("ECDHE-ECDSA-CHACHA20-POLY1305"));
  REQUIRE(c.server->write(as_bytes("peekaboo")) == 8);
  std::array<std::uint8_t, 4> small{};
  CHECK(c.client->peek(small) == 4);
  CHECK(c.client->pending() == 8);
  std::array<std::uint8_t, 16> buf{};
  CHECK(c.client->read(buf) == 8);
  CHECK(std::string_view(reinterpret_cast<const char*>(buf.data()), 8) == "peekaboo");
  CHECK(c.client->pending() == 0);
}

// RFC 8446 §6.1: "Any data received after a closure alert has been received MUST be
// ignored."
TEST_CASE("records after the peer's close_notify are ignored") {
  for_each_suite([](const cipher_suite& s) {
    connection c(s);
    raw_peer peer(c.k, c.pipe.b());
    peer.send_alert(alert_level::warning, alert_description::close_notify);
    peer.send(content_type::application_data, as_bytes("ghost"));
    std::array<std::uint8_t, 8> buf{};
    CHECK(c.client->read(buf) == 0);
    CHECK(c.client->read(buf) == 0);
    CHECK(c.client->get_error(0) == ssl_error::zero_return);
    CHECK(c.client->shutdown() == 1);
  });
}

// RFC 5246 §7.2.1 / OpenSSL 3.0: in TLS 1.2 close_notify must be a warning; at fatal
// level it is a fatal alert (OpenSSL has no string for that reason: "reason(1000)").
TEST_CASE("TLS 1.2: a fatal-level close_notify is a fatal error, not a clean close") {
  connection c(*find_cipher_suite("ECDHE-ECDSA-AES128-GCM-SHA256"));
  raw_peer peer(c.k, c.pipe.b());
  peer.send_alert(alert_level::fatal, alert_description::close_notify);
  std::array<std::uint8_t, 8> buf{};
  CHECK(c.client->read(buf) == 0);
  CHECK(c.client->get_error(0) == ssl_error::ssl);
  CHECK(c.client->failed());
}

TEST_CASE("TLS 1.3: close_notify at fatal level still closes cleanly") {
  connection c(*find_cipher_suite("TLS_AES_128_GCM_SHA256"));
  raw_peer peer(c.k, c.pipe.b());
  peer.send_alert(alert_level::fatal, alert_description::close_notify);
  std::array<std::uint8_t, 8> buf{};
  CHECK(c.client->read(buf) == 0);
  CHECK(c.client->get_error(0) == ssl_error::zero_return);
  CHECK_FALSE(c.client->failed());
  CHECK(c.client->shutdown() == 1);
}

// 004 Locally-Initiated Shutdown: "SSL_shutdown() does not affect an underlying network
// connection such as a TCP connection, which remains open." — over a real socketpair.
TEST_CASE("over a socketpair, a full shutdown leaves the descriptors open and usable") {
  for_each_suite([](const cipher_suite& s) {
    int fds[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
    keys k{&s};
    fd_transport ta(fds[0]), tb(fds[1]);
    REQUIRE(ta.set_nonblocking(true));
    REQUIRE(tb.set_nonblocking(true));
    endpoint client(ta, role::client, k.make(role::server), k.make(role::client));
    endpoint server(tb, role::server, k.make(role::client), k.make(role::server));
    CHECK(client.shutdown() == 0);
    int ret = client.shutdown();
    CHECK(ret == -1);
    CHECK(client.get_error(ret) == ssl_error::want_read);
    std::array<std::uint8_t, 8> buf{};
    CHECK(server.read(buf) == 0);
    CHECK(server.get_error(0) == ssl_error::zero_return);
    CHECK(server.shutdown() == 1);
    CHECK(client.shutdown() == 1);
    // The descriptors still carry bytes.
    REQUIRE(::write(fds[0], "ok", 2) == 2);
    CHECK(::read(fds[1], buf.data(), buf.size()) == 2);
    ::close(fds[0]);
    ::close(fds[1]);
  });
}

// 004 Remotely-Initiated Shutdown: "If an application does not call SSL_shutdown() in
// this case, a close_notify alert will not be sent and the behaviour will not be fully
// standards compliant."
TEST_CASE("after ZERO_RETURN, no close_notify is sent unless SSL_shutdown is called") {
  for_each_suite([](const cipher_suite& s) {
    connection c(s);
    REQUIRE(c.server->shutdown() == 0);
    int ret = 0;
    connection::read_all(*c.client, ret);
    REQUIRE(c.client->get_error(ret) == ssl_error::zero_return);
    CHECK(c.pipe.b().pending() == 0);
    CHECK_FALSE(c.client->last_alert_sent());
    CHECK(c.client->get_shutdown() == shutdown_received);
    // The peer, waiting in its second SSL_shutdown, never completes.
    ret = c.server->shutdown();
    CHECK(ret == -1);
    CHECK(c.server->get_error(ret) == ssl_error::want_read);
  });
}

// 004 Shutdown Lifecycle: "Calls to SSL_shutdown() with a blocking underlying BIO will
// also return if an error occurs."
TEST_CASE("blocking: a waiting SSL_shutdown returns -1 when the peer closes without close_notify") {
  for_each_suite([](const cipher_suite& s) {
    connection c(s);
    c.pipe.a().set_nonblocking(false);
    REQUIRE(c.client->shutdown() == 0);
    int second = -2;
    std::thread client([&] { second = c.client->shutdown(); });  // blocks in its read
    c.pipe.b().close();  // the peer vanishes without answering
    client.join();
    CHECK(second == -1);
    CHECK(c.client->get_error(second) == ssl_error::ssl);
    CHECK(c.client->error_reason() == "unexpected eof while reading");
    CHECK(c.client->get_shutdown() == shutdown_sent);  // never complete without close_notify
  });
}

// RFC 5246 §7.4.1.1: "This message [HelloRequest] will be ignored by the client if the
// client is currently negotiating a session. This message MAY be ignored by the client if
// it does not wish to renegotiate a session, or the client may, if it wishes, respond
// with a no_renegotiation alert." closenotify never renegotiates (docs/divergences.md).
TEST_CASE("TLS 1.2: a HelloRequest is answered with a no_renegotiation warning; other handshake messages are unexpected") {
  connection c(*find_cipher_suite("ECDHE-ECDSA-AES256-GCM-SHA384"));
  raw_peer peer(c.k, c.pipe.b());
  std::array<std::uint8_t, 8> buf{};
  SUBCASE("HelloRequest") {
    const std::array<std::uint8_t, 4> hello_request{0, 0, 0, 0};
    peer.send(content_type::handshake, hello_request);
    peer.send(content_type::application_data, as_bytes("go"));
    CHECK(c.client->read(buf) == 2);
    CHECK(c.client->last_alert_sent() ==
          alert{alert_level::warning, alert_description::no_renegotiation_RESERVED});
    CHECK_FALSE(c.client->failed());
  }
  SUBCASE("a Finished after the handshake") {
    const std::array<std::uint8_t, 16> finished{20, 0, 0, 12};
    peer.send(content_type::handshake, finished);
    CHECK(c.client->read(buf) == -1);
    CHECK(c.client->error_reason() == "unexpected message");
    CHECK(c.client->last_alert_sent() == alert{alert_level::fatal, alert_description::unexpected_message});
  }
}

// OpenSSL 3.0 (rec_layer_s3.c): once our close_notify is out, TLS 1.2 handshake records
// are dropped while SSL_shutdown waits for the peer's close_notify.
TEST_CASE("TLS 1.2: a HelloRequest after our close_notify is dropped and nothing is sent") {
  connection c(*find_cipher_suite("ECDHE-ECDSA-AES128-GCM-SHA256"));
  raw_peer peer(c.k, c.pipe.b());
  REQUIRE(c.client->shutdown() == 0);
  const std::size_t inbox = c.pipe.b().pending();
  const std::array<std::uint8_t, 4> hello_request{0, 0, 0, 0};
  peer.send(content_type::handshake, hello_request);
  peer.send_alert(alert_level::warning, alert_description::close_notify);
  CHECK(c.client->shutdown() == 1);
  CHECK(c.pipe.b().pending() == inbox);
}

// OpenSSL 3.0 takes a post-handshake message's header as soon as its 4 bytes are in and is
// "in init" until the body is whole (scenarios post-message-body-pending-*). 004 DESCRIPTION
// cannot be honoured meanwhile: SSL_shutdown is refused.
TEST_CASE("a NewSessionTicket header without its body puts the connection in init until the body is read") {
  connection c(*find_cipher_suite("TLS_AES_128_GCM_SHA256"));
  raw_peer peer(c.k, c.pipe.b());
  const std::vector<std::uint8_t> header{4, 0, 0, 14};
  const std::vector<std::uint8_t> body{0, 0, 0x0e, 0x10, 0, 0, 0, 0, 0, 0, 1, 0xaa, 0, 0};
  peer.send(content_type::handshake, header);
  std::array<std::uint8_t, 16> buf{};
  CHECK(c.client->read(buf) == -1);
  CHECK(c.client->get_error(-1) == ssl_error::want_read);
  CHECK(c.client->in_init());
  CHECK(c.client->shutdown() == -1);
  CHECK(c.client->error_reason() == "shutdown while in init");
  CHECK(c.client->key_update(key_update_request::update_not_requested) == 0);
  CHECK(c.client->error_reason() == "still in init");
  SUBCASE("SSL_write reads the body, then writes") {
    peer.send(content_type::handshake, body);
    CHECK(c.client->write(as_bytes("after")) == 5);
    CHECK_FALSE(c.client->in_init());
    CHECK(c.client->shutdown() == 0);
  }
  SUBCASE("a close_notify mid-body is processed: ZERO_RETURN, and still in init") {
    peer.send_alert(alert_level::warning, alert_description::close_notify);
    CHECK(c.client->write(as_bytes("x")) == -1);
    CHECK(c.client->get_error(-1) == ssl_error::zero_return);
    CHECK(c.client->get_shutdown() == shutdown_received);
    CHECK(c.client->in_init());
    CHECK(c.client->shutdown() == -1);
    CHECK(c.client->error_reason() == "shutdown while in init");
  }
  SUBCASE("application data mid-body is an unexpected record") {
    peer.send(content_type::application_data, as_bytes("data"));
    CHECK(c.client->read(buf) == -1);
    CHECK(c.client->error_reason() == "unexpected record");
    REQUIRE(c.client->last_alert_sent());
    CHECK(c.client->last_alert_sent()->description == alert_description::unexpected_message);
  }
}

// RFC 8446 §5.1: "Handshake messages MUST NOT be interleaved with other record types."
// OpenSSL enforces it only while a header is still incomplete.
TEST_CASE("Handshake messages MUST NOT be interleaved with other record types: an alert after half a header") {
  connection c(*find_cipher_suite("TLS_AES_128_GCM_SHA256"));
  raw_peer peer(c.k, c.pipe.b());
  const std::vector<std::uint8_t> half{4, 0};
  peer.send(content_type::handshake, half);
  peer.send_alert(alert_level::warning, alert_description::close_notify);
  std::array<std::uint8_t, 16> buf{};
  CHECK(c.client->read(buf) == -1);
  CHECK(c.client->error_reason() == "mixed handshake and non handshake data");
  CHECK(c.client->get_shutdown() == 0);
}

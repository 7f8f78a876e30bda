// test_endpoint_dtls.cpp — a DTLS 1.2 endpoint's reads, writes and shutdown over a memory
// datagram pipe, with the datagram faults injected at chosen moments. Each test is named
// after the sentence (RFC 6347, or the SSL_shutdown page) it checks; the live comparison
// with OpenSSL is the matrix's DTLS cells (closenotify diff).
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "closenotify/cipher_suite.hpp"
#include "closenotify/connection_secrets.hpp"
#include "closenotify/dtls_record_framing.hpp"
#include "closenotify/endpoint.hpp"
#include "closenotify/record_protection.hpp"
#include "closenotify/transport.hpp"
#include "endpoint_fixture.hpp"

using namespace closenotify;
using closenotify::testing::pattern;
using closenotify::testing::unwrap;

namespace {

struct dtls_keys {
  const cipher_suite* suite;
  std::vector<std::uint8_t> master = pattern(48, 0x33);
  std::vector<std::uint8_t> client_random = pattern(32, 0x44);
  std::vector<std::uint8_t> server_random = pattern(32, 0x55);

  record_protection make(role sender, std::uint64_t seq = 1, std::uint16_t epoch = 1) const {
    return unwrap(protection_from_secrets(*suite, {{}, {}, master, client_random, server_random}, sender, seq, epoch));
  }
};

// A DTLS connection after its handshake: epoch 1, each side's Finished was sequence number
// 0 and has been received, so both windows hold 0 and the next record is 1.
struct dtls_connection {
  dtls_keys k;
  memory_datagram_pipe pipe;
  std::unique_ptr<endpoint> client;
  std::unique_ptr<endpoint> server;

  explicit dtls_connection(const cipher_suite& s, std::size_t capacity = 64, endpoint_options options = {})
      : k{&s}, pipe(capacity) {
    pipe.a().set_nonblocking(true);
    pipe.b().set_nonblocking(true);
    client = std::make_unique<endpoint>(pipe.a(), role::client, k.make(role::server), k.make(role::client), options);
    server = std::make_unique<endpoint>(pipe.b(), role::server, k.make(role::client), k.make(role::server), options);
    client->set_replay_window(dtls_replay_window(0, 1));
    server->set_replay_window(dtls_replay_window(0, 1));
  }

  // sealed: a record of the client's direction, sealed apart from the client endpoint.
  std::vector<std::uint8_t> sealed(content_type type, bytes_view plaintext, std::uint64_t seq,
                                   std::uint16_t epoch = 1) const {
    record_protection p = k.make(role::client, seq, epoch);
    std::vector<std::uint8_t> out(p.sealed_size(plaintext.size()));
    auto n = p.seal_hostile(static_cast<std::uint8_t>(type), plaintext, out, 0);
    REQUIRE(std::holds_alternative<std::size_t>(n));
    out.resize(std::get<std::size_t>(n));
    return out;
  }
};

std::string read_string(endpoint& e, int& ret) {
  std::array<std::uint8_t, 32768> buf{};
  ret = e.read(buf);
  return ret > 0 ? std::string(reinterpret_cast<const char*>(buf.data()), static_cast<std::size_t>(ret)) : "";
}

bytes_view text(const char* s) { return {reinterpret_cast<const std::uint8_t*>(s), std::strlen(s)}; }

}  // namespace

TEST_CASE("004 RETURN VALUES: 1 when a close_notify was sent and the peer's received, over DTLS") {
  for (const cipher_suite& s : dtls12_cipher_suites()) {
    CAPTURE(s.name);
    dtls_connection c(s);
    REQUIRE(c.client->is_dtls());
    CHECK(c.client->write(text("hello")) == 5);
    CHECK(c.pipe.b().queued() == 1);  // one record, one datagram
    int ret = 0;
    CHECK(read_string(*c.server, ret) == "hello");
    CHECK(c.client->shutdown() == 0);
    CHECK(read_string(*c.server, ret).empty());
    CHECK(ret == 0);
    CHECK(c.server->get_error(ret) == ssl_error::zero_return);
    CHECK(c.server->shutdown() == 1);
    CHECK(c.client->shutdown() == 1);
    CHECK(c.client->get_shutdown() == (shutdown_sent | shutdown_received));
  }
}

TEST_CASE("RFC 6347 §4.1.2.7: invalid records SHOULD be silently discarded, thus preserving the association") {
  dtls_connection c(dtls12_cipher_suites()[0]);
  auto good = c.sealed(content_type::application_data, text("after"), 1);
  auto bad = good;
  bad.back() ^= 1;                            // a broken tag
  c.pipe.b().inject(bytes_view(bad));
  c.pipe.b().inject(text("\x17\xfe\xfd"));    // a partial header
  auto stale_epoch = c.sealed(content_type::application_data, text("old"), 7, 0);
  c.pipe.b().inject(bytes_view(stale_epoch));  // an earlier epoch
  c.pipe.b().inject(bytes_view(good));
  int ret = 0;
  CHECK(read_string(*c.server, ret) == "after");
  CHECK_FALSE(c.server->failed());
  CHECK(c.server->last_alert_sent() == std::nullopt);
  // The same record again is a replay: dropped, and the read waits for the next datagram.
  c.pipe.b().inject(bytes_view(good));
  CHECK(read_string(*c.server, ret).empty());
  CHECK(c.server->get_error(ret) == ssl_error::want_read);
}

TEST_CASE("RFC 6347 §4.1.1: multiple DTLS records in one datagram are read in turn") {
  dtls_connection c(dtls12_cipher_suites()[1]);
  auto one = c.sealed(content_type::application_data, text("one"), 1);
  auto two = c.sealed(content_type::alert, std::array<std::uint8_t, 2>{1, 0}, 2);
  one.insert(one.end(), two.begin(), two.end());
  c.pipe.b().inject(bytes_view(one));
  int ret = 0;
  CHECK(read_string(*c.server, ret) == "one");
  CHECK(read_string(*c.server, ret).empty());
  CHECK(c.server->get_error(ret) == ssl_error::zero_return);
}

TEST_CASE("a lost close_notify: alerts are not retransmitted, the wait for it does not end") {
  dtls_connection c(dtls12_cipher_suites()[2]);
  CHECK(c.client->shutdown() == 0);
  REQUIRE(c.pipe.b().drop());
  int ret = 0;
  CHECK(read_string(*c.server, ret).empty());
  CHECK(c.server->get_error(ret) == ssl_error::want_read);
  CHECK(c.server->shutdown() == 0);  // its own close_notify goes out, the peer's never comes
  CHECK(c.client->shutdown() == 1);
  CHECK(c.server->shutdown() == -1);
  CHECK(c.server->get_error(-1) == ssl_error::want_read);
  CHECK(c.pipe.a().queued() == 0);  // nothing was sent again
}

TEST_CASE("a duplicated close_notify is a replay: the copy is dropped") {
  dtls_connection c(dtls12_cipher_suites()[0]);
  CHECK(c.client->shutdown() == 0);
  REQUIRE(c.pipe.b().duplicate());
  int ret = 0;
  CHECK(read_string(*c.server, ret).empty());
  CHECK(c.server->get_error(ret) == ssl_error::zero_return);
  CHECK(c.server->shutdown() == 1);
  CHECK(c.pipe.b().queued() == 1);  // the copy, never needed
  CHECK(c.server->replay_window().max_sequence_number() == 1);
}

TEST_CASE("RFC 5246 §7.2.1: data reordered behind the close_notify is ignored, not delivered") {
  dtls_connection c(dtls12_cipher_suites()[0]);
  CHECK(c.client->write(text("late")) == 4);
  CHECK(c.client->shutdown() == 0);
  REQUIRE(c.pipe.b().reorder());
  int ret = 0;
  CHECK(read_string(*c.server, ret).empty());
  CHECK(c.server->get_error(ret) == ssl_error::zero_return);
  CHECK(read_string(*c.server, ret).empty());
  CHECK(ret == 0);
  CHECK(c.pipe.b().queued() == 1);  // RECEIVED: SSL_read returns 0 without reading on
}

TEST_CASE("a truncated datagram is dropped as a partial record") {
  dtls_connection c(dtls12_cipher_suites()[1]);
  CHECK(c.client->shutdown() == 0);
  REQUIRE(c.pipe.b().truncate(0, 20));
  int ret = 0;
  CHECK(read_string(*c.server, ret).empty());
  CHECK(c.server->get_error(ret) == ssl_error::want_read);
  CHECK_FALSE(c.server->failed());
}

TEST_CASE("RFC 6347 §4.1.1: each DTLS record MUST fit within a single datagram; SSL_write refuses more than 2^14") {
  dtls_connection c(dtls12_cipher_suites()[0]);
  const auto big = pattern(16385, 1);
  CHECK(c.client->write(big) == -1);
  CHECK(c.client->get_error(-1) == ssl_error::ssl);
  CHECK(c.client->error_reason() == "dtls message too big");
  CHECK_FALSE(c.client->failed());
  CHECK(c.pipe.b().queued() == 0);
  CHECK(c.client->write(bytes_view(big).first(16384)) == 16384);
}

TEST_CASE("a datagram that cannot be written is dropped; the retry is a new record") {
  dtls_connection c(dtls12_cipher_suites()[0], 1);
  CHECK(c.client->write(text("one")) == 3);
  CHECK(c.client->write(text("two")) == -1);
  CHECK(c.client->get_error(-1) == ssl_error::want_write);
  CHECK(c.client->write_protection().sequence_number() == 3);  // 2 went nowhere
  int ret = 0;
  CHECK(read_string(*c.server, ret) == "one");
  CHECK(c.client->write(text("three")) == 5);  // a new buffer is no "bad write retry"
  CHECK(read_string(*c.server, ret) == "three");
  CHECK(c.server->replay_window().max_sequence_number() == 3);
}

TEST_CASE("the handed-over replay window: what the peer already received is a replay") {
  dtls_connection c(dtls12_cipher_suites()[2]);
  c.server->set_replay_window(dtls_replay_window(5, 0b100001));  // 5 and 0 received
  c.pipe.b().inject(bytes_view(c.sealed(content_type::application_data, text("five"), 5)));
  c.pipe.b().inject(bytes_view(c.sealed(content_type::application_data, text("four"), 4)));
  int ret = 0;
  CHECK(read_string(*c.server, ret) == "four");
  CHECK(c.pipe.b().queued() == 0);
}

TEST_CASE("after our close_notify, a record that is not an alert ends the second SSL_shutdown without a reason") {
  dtls_connection c(dtls12_cipher_suites()[0]);
  CHECK(c.server->shutdown() == 0);
  CHECK(c.client->write(text("data")) == 4);
  CHECK(c.server->shutdown() == -1);
  CHECK(c.server->get_error(-1) == ssl_error::syscall);
  CHECK(c.server->error_reason().empty());
  CHECK(c.client->shutdown() == 0);
  CHECK(c.server->shutdown() == 1);
}

TEST_CASE("an authenticated record over 2^14 is fatal record_overflow, in DTLS too") {
  dtls_connection c(dtls12_cipher_suites()[0]);
  c.pipe.b().inject(bytes_view(c.sealed(content_type::application_data, pattern(16385, 3), 1)));
  int ret = 0;
  CHECK(read_string(*c.server, ret).empty());
  CHECK(c.server->get_error(ret) == ssl_error::ssl);
  CHECK(c.server->failed());
  REQUIRE(c.server->last_alert_sent().has_value());
  CHECK(c.server->last_alert_sent()->description == alert_description::record_overflow);
}

TEST_CASE("a change_cipher_spec after the handshake is dropped, not fatal as in TLS") {
  dtls_connection c(dtls12_cipher_suites()[0]);
  c.pipe.b().inject(bytes_view(c.sealed(content_type::change_cipher_spec, std::array<std::uint8_t, 1>{1}, 1)));
  c.pipe.b().inject(bytes_view(c.sealed(content_type::application_data, text("x"), 2)));
  int ret = 0;
  CHECK(read_string(*c.server, ret) == "x");
}

TEST_CASE("memory_datagram_pipe: no end of stream; a closed end refuses datagrams") {
  memory_datagram_pipe p(2);
  p.a().set_nonblocking(true);
  p.b().set_nonblocking(true);
  p.a().shutdown_write();
  std::array<std::uint8_t, 8> buf{};
  CHECK(p.b().read(buf).status == io_status::would_block);
  CHECK(p.a().write(text("x")).error_number == EPIPE);
  p.a().close();
  const auto w = p.b().write(text("y"));
  CHECK(w.status == io_status::error);
  CHECK(w.error_number == ECONNREFUSED);
  CHECK(p.b().write(text("z")).status == io_status::error);
}

TEST_CASE("dtls1_read_bytes: 1.1.1 and 3.0 read a warning alert's record again until too many warn alerts; 3.5 releases it") {
  for (profile_id id : {profile_id::openssl_1_1_1, profile_id::openssl_3_0, profile_id::openssl_3_5}) {
    CAPTURE(static_cast<int>(id));
    endpoint_options o;
    o.profile = id;
    dtls_connection c(dtls12_cipher_suites()[0], 64, o);
    int alerts_seen = 0;
    c.server->set_alert_observer([&](const alert&) { ++alerts_seen; });
    c.pipe.b().inject(bytes_view(c.sealed(content_type::alert, std::array<std::uint8_t, 2>{1, 90}, 1)));
    c.pipe.b().inject(bytes_view(c.sealed(content_type::application_data, text("data"), 2)));
    int ret = 0;
    const std::string got = read_string(*c.server, ret);
    if (id == profile_id::openssl_3_5) {
      CHECK(got == "data");
      CHECK(alerts_seen == 1);
    } else {
      CHECK(ret == -1);
      CHECK(c.server->error_reason() == "too many warn alerts");
      CHECK(alerts_seen == 5);
    }
  }
}

TEST_CASE("an empty datagram is no end of stream: SSL_ERROR_SYSCALL, nothing sent, and the next read goes on") {
  for (profile_id id : {profile_id::openssl_3_0, profile_id::openssl_3_5}) {
    endpoint_options o;
    o.profile = id;
    o.ignore_unexpected_eof = true;  // no EOF, so it changes nothing
    dtls_connection c(dtls12_cipher_suites()[1], 64, o);
    c.pipe.b().inject({});
    c.pipe.b().inject(bytes_view(c.sealed(content_type::application_data, text("next"), 1)));
    int ret = 0;
    CHECK(read_string(*c.server, ret).empty());
    CHECK(ret == (id == profile_id::openssl_3_0 ? 0 : -1));
    CHECK(c.server->get_error(ret) == ssl_error::syscall);
    CHECK(c.server->get_shutdown() == 0);
    CHECK(c.pipe.a().queued() == 0);
    CHECK(read_string(*c.server, ret) == "next");
  }
}

TEST_CASE("a record too short for nonce and tag: OpenSSL 3.0 drops it, 1.1.1 and 3.5 fail with internal_error") {
  for (profile_id id : {profile_id::openssl_1_1_1, profile_id::openssl_3_0, profile_id::openssl_3_5}) {
    endpoint_options o;
    o.profile = id;
    dtls_connection c(dtls12_cipher_suites()[0], 64, o);
    auto hdr = encode_dtls_record_header(content_type::application_data, 1, 1, 10);
    std::vector<std::uint8_t> d(hdr.begin(), hdr.end());
    d.resize(d.size() + 10, 0);
    c.pipe.b().inject(bytes_view(d));
    int ret = 0;
    CHECK(read_string(*c.server, ret).empty());
    if (id == profile_id::openssl_3_0) {
      CHECK(c.server->get_error(ret) == ssl_error::want_read);
    } else {
      CHECK(c.server->get_error(ret) == ssl_error::ssl);
      REQUIRE(c.server->last_alert_sent().has_value());
      CHECK(c.server->last_alert_sent()->description == alert_description::internal_error);
    }
  }
}

TEST_CASE("an empty DTLS record: 3.0 hands it to SSL_read (0, SSL_ERROR_SYSCALL); 3.5 dumps it") {
  for (profile_id id : {profile_id::openssl_3_0, profile_id::openssl_3_5}) {
    endpoint_options o;
    o.profile = id;
    dtls_connection c(dtls12_cipher_suites()[2], 64, o);
    c.pipe.b().inject(bytes_view(c.sealed(content_type::application_data, {}, 1)));
    c.pipe.b().inject(bytes_view(c.sealed(content_type::application_data, text("more"), 2)));
    int ret = 0;
    const std::string got = read_string(*c.server, ret);
    if (id == profile_id::openssl_3_0) {
      CHECK(ret == 0);
      CHECK(c.server->get_error(ret) == ssl_error::syscall);
      CHECK(read_string(*c.server, ret) == "more");
    } else {
      CHECK(got == "more");
    }
  }
}

namespace {

// A DTLS handshake message header (RFC 6347 §4.2.2) and its body, unfragmented unless
// `fragment_length` says otherwise.
std::vector<std::uint8_t> dtls_message(std::uint8_t type, std::uint16_t message_seq, std::vector<std::uint8_t> body = {},
                                       std::optional<std::size_t> fragment_length = std::nullopt) {
  const std::size_t length = body.size();
  const std::size_t fragment = fragment_length.value_or(length);
  std::vector<std::uint8_t> m{type,
                              static_cast<std::uint8_t>(length >> 16),
                              static_cast<std::uint8_t>(length >> 8),
                              static_cast<std::uint8_t>(length),
                              static_cast<std::uint8_t>(message_seq >> 8),
                              static_cast<std::uint8_t>(message_seq),
                              0,
                              0,
                              0,
                              static_cast<std::uint8_t>(fragment >> 16),
                              static_cast<std::uint8_t>(fragment >> 8),
                              static_cast<std::uint8_t>(fragment)};
  m.insert(m.end(), body.begin(), body.begin() + static_cast<std::ptrdiff_t>(fragment));
  return m;
}

constexpr std::uint8_t kHelloRequest = 0, kClientHello = 1;

int alerts_sent(const std::vector<content_type>& sealed) {
  return static_cast<int>(std::count(sealed.begin(), sealed.end(), content_type::alert));
}

}  // namespace

TEST_CASE("RFC 5246 §7.2.2: a ClientHello after the handshake gets a no_renegotiation warning, "
          "each at the message_seq expected") {
  dtls_connection c(dtls12_cipher_suites()[0]);
  std::vector<content_type> sealed;
  c.server->set_record_observer([&](const record_event& e) {
    if (e.sent) sealed.push_back(e.type);
  });
  // Two ClientHellos in one record, message_seq 0 and 1 (0 after the handshake, then one
  // more per whole message), then data: each is answered, and the data read.
  auto two = dtls_message(kClientHello, 0, {1, 2, 3});
  auto second = dtls_message(kClientHello, 1);
  two.insert(two.end(), second.begin(), second.end());
  c.pipe.b().inject(bytes_view(c.sealed(content_type::handshake, two, 1)));
  c.pipe.b().inject(bytes_view(c.sealed(content_type::application_data, text("x"), 2)));
  int ret = 0;
  CHECK(read_string(*c.server, ret) == "x");
  CHECK(alerts_sent(sealed) == 2);
  REQUIRE(c.server->last_alert_sent().has_value());
  CHECK(*c.server->last_alert_sent() == alert{alert_level::warning, alert_description::no_renegotiation_RESERVED});
  CHECK_FALSE(c.server->in_init());
}

TEST_CASE("RFC 6347 §3.2.2: a message out of sequence is not the next one expected; the endpoint waits in init") {
  dtls_connection c(dtls12_cipher_suites()[0]);
  c.pipe.b().inject(bytes_view(c.sealed(content_type::handshake, dtls_message(kClientHello, 1), 1)));
  int ret = 0;
  CHECK(read_string(*c.server, ret).empty());
  CHECK(c.server->get_error(ret) == ssl_error::want_read);
  CHECK(c.server->in_init());
  // 004 RETURN VALUES: "The shutdown was not successful." — refused while in init.
  CHECK(c.server->shutdown() == -1);
  CHECK(c.server->error_reason() == "shutdown while in init");
  CHECK(c.server->get_shutdown() == 0);
  // A change_cipher_spec is dropped, the read returning WANT_READ; application data where
  // a handshake message is expected is fatal.
  c.pipe.b().inject(bytes_view(c.sealed(content_type::change_cipher_spec, std::array<std::uint8_t, 1>{1}, 2)));
  CHECK(read_string(*c.server, ret).empty());
  CHECK(c.server->get_error(ret) == ssl_error::want_read);
  CHECK_FALSE(c.server->failed());
  c.pipe.b().inject(bytes_view(c.sealed(content_type::application_data, text("x"), 3)));
  CHECK(read_string(*c.server, ret).empty());
  CHECK(c.server->get_error(ret) == ssl_error::ssl);
  CHECK(c.server->error_reason() == "unexpected record");
  REQUIRE(c.server->last_alert_sent().has_value());
  CHECK(c.server->last_alert_sent()->description == alert_description::unexpected_message);
}

TEST_CASE("a handshake fragment waits in init; a malformed one or the wrong message is fatal") {
  const cipher_suite& s = dtls12_cipher_suites()[0];
  int ret = 0;
  SUBCASE("the first 2 bytes of a 10-byte ClientHello: in init, waiting for the rest") {
    dtls_connection c(s);
    const auto first = dtls_message(kClientHello, 0, pattern(10, 1), 2);
    c.pipe.b().inject(bytes_view(c.sealed(content_type::handshake, first, 1)));
    CHECK(read_string(*c.server, ret).empty());
    CHECK(c.server->get_error(ret) == ssl_error::want_read);
    CHECK(c.server->in_init());
  }
  SUBCASE("the rest of it in a second record: the whole ClientHello is refused with a warning") {
    dtls_connection c(s);
    const auto first = dtls_message(kClientHello, 0, pattern(10, 1), 2);
    c.pipe.b().inject(bytes_view(c.sealed(content_type::handshake, first, 1)));
    auto rest = dtls_message(kClientHello, 0, pattern(10, 1));
    rest[8] = 2;    // fragment_offset 2
    rest[11] = 8;   // fragment_length 8
    rest.erase(rest.begin() + 12, rest.begin() + 14);
    c.pipe.b().inject(bytes_view(c.sealed(content_type::handshake, rest, 2)));
    c.pipe.b().inject(bytes_view(c.sealed(content_type::application_data, text("x"), 3)));
    CHECK(read_string(*c.server, ret) == "x");
    CHECK_FALSE(c.server->in_init());
    REQUIRE(c.server->last_alert_sent().has_value());
    CHECK(*c.server->last_alert_sent() == alert{alert_level::warning, alert_description::no_renegotiation_RESERVED});
  }
  SUBCASE("a fragment past its own message, out of sequence: refused unread, -1 with nothing queued") {
    dtls_connection c(s);
    auto m = dtls_message(kClientHello, 3);
    m[8] = 2;   // fragment_offset 2 of a message of length 0
    m[11] = 2;  // fragment_length 2
    m.push_back(0xaa);
    m.push_back(0xaa);
    c.pipe.b().inject(bytes_view(c.sealed(content_type::handshake, m, 1)));
    CHECK(read_string(*c.server, ret).empty());
    CHECK(ret == -1);
    CHECK(c.server->get_error(ret) == ssl_error::syscall);
    CHECK(c.server->error_reason().empty());
    CHECK_FALSE(c.server->failed());
    // The unread 2 bytes are the next header's beginning: too short, fatal.
    CHECK(read_string(*c.server, ret).empty());
    CHECK(c.server->error_reason() == "unexpected message");
  }
  SUBCASE("fragment_length past the record: illegal_parameter, bad length") {
    dtls_connection c(s);
    auto m = dtls_message(kClientHello, 0, pattern(10, 1));
    m.resize(m.size() - 1);
    c.pipe.b().inject(bytes_view(c.sealed(content_type::handshake, m, 1)));
    CHECK(read_string(*c.server, ret).empty());
    CHECK(c.server->error_reason() == "bad length");
    CHECK(c.server->last_alert_sent()->description == alert_description::illegal_parameter);
  }
  SUBCASE("a HelloRequest to a server: unexpected_message") {
    dtls_connection c(s);
    c.pipe.b().inject(bytes_view(c.sealed(content_type::handshake, dtls_message(kHelloRequest, 0), 1)));
    CHECK(read_string(*c.server, ret).empty());
    CHECK(c.server->error_reason() == "unexpected message");
    CHECK(c.server->last_alert_sent()->description == alert_description::unexpected_message);
  }
  SUBCASE("in init, a record shorter than a header: unexpected_message") {
    dtls_connection c(s);
    c.pipe.b().inject(bytes_view(c.sealed(content_type::handshake, dtls_message(kClientHello, 5), 1)));
    c.pipe.b().inject(bytes_view(c.sealed(content_type::handshake, std::array<std::uint8_t, 4>{1, 0, 0, 0}, 2)));
    CHECK(read_string(*c.server, ret).empty());
    CHECK(c.server->error_reason() == "unexpected message");
  }
}

TEST_CASE("RFC 6347 §4.2.4: a repeated Finished is dropped (no flight to resend); "
          "the thirteenth fails the connection") {
  dtls_connection c(dtls12_cipher_suites()[0]);
  const auto finished = dtls_message(20, 5, pattern(12, 7));
  int ret = 0;
  for (std::uint64_t seq = 1; seq <= 12; ++seq) {
    c.pipe.b().inject(bytes_view(c.sealed(content_type::handshake, finished, seq)));
  }
  c.pipe.b().inject(bytes_view(c.sealed(content_type::application_data, text("x"), 13)));
  CHECK(read_string(*c.server, ret) == "x");
  CHECK_FALSE(c.server->last_alert_sent().has_value());
  // dtls1_check_timeout_num: more than DTLS1_TMO_ALERT_COUNT (12), no alert.
  c.pipe.b().inject(bytes_view(c.sealed(content_type::handshake, finished, 14)));
  CHECK(read_string(*c.server, ret).empty());
  CHECK(c.server->get_error(ret) == ssl_error::ssl);
  CHECK(c.server->error_reason() == "read timeout expired");
  CHECK(c.server->failed());
  CHECK_FALSE(c.server->last_alert_sent().has_value());
}

TEST_CASE("a handshake record is judged by the message at its start, however much of it was read") {
  dtls_connection c(dtls12_cipher_suites()[0]);
  // A ClientHello (message_seq 0), then a Finished at message_seq 1: once the ClientHello
  // is refused, the rest of the record is still a record that starts with a ClientHello,
  // so the state machine takes the Finished, and no transition does.
  auto record = dtls_message(kClientHello, 0);
  const auto finished = dtls_message(20, 1, pattern(12, 7));
  record.insert(record.end(), finished.begin(), finished.end());
  c.pipe.b().inject(bytes_view(c.sealed(content_type::handshake, record, 1)));
  int ret = 0;
  CHECK(read_string(*c.server, ret).empty());
  CHECK(c.server->error_reason() == "unexpected message");
  REQUIRE(c.server->last_alert_sent().has_value());
  CHECK(c.server->last_alert_sent()->description == alert_description::unexpected_message);
}

TEST_CASE("in init, a change_cipher_spec is read 12 bytes at a time, each part judged as one") {
  dtls_connection c(dtls12_cipher_suites()[0]);
  c.pipe.b().inject(bytes_view(c.sealed(content_type::handshake, dtls_message(kClientHello, 5), 1)));
  std::vector<std::uint8_t> ccs(14, 0);
  ccs[0] = 1;
  ccs[12] = 2;  // the second part's first byte: not a CCS
  c.pipe.b().inject(bytes_view(c.sealed(content_type::change_cipher_spec, ccs, 2)));
  int ret = 0;
  // The out-of-sequence ClientHello puts the server in init; the CCS's first 12 bytes are
  // a CCS, dropped with a retry read.
  CHECK(read_string(*c.server, ret).empty());
  CHECK(c.server->get_error(ret) == ssl_error::want_read);
  CHECK(c.server->in_init());
  CHECK_FALSE(c.server->failed());
  CHECK(read_string(*c.server, ret).empty());  // the other 2 bytes, starting 02
  CHECK(c.server->error_reason() == "bad change cipher spec");
}

// test_post_handshake.cpp — reassembly and parsing of TLS 1.3 NewSessionTicket and
// KeyUpdate (RFC 8446 §4.6).
#include <doctest/doctest.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <variant>
#include <vector>

#include "closenotify/post_handshake.hpp"

using namespace closenotify;

// --- allocation tracking: the largest single allocation while armed ---------------------
// Replacing the global allocation functions is allowed in one translation unit of a
// program; this binary is only this file plus doctest's main.
namespace {
std::atomic<bool> g_track{false};
std::atomic<std::size_t> g_largest{0};
}  // namespace

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
void* operator new(std::size_t n) {
  if (g_track.load(std::memory_order_relaxed)) {
    std::size_t prev = g_largest.load(std::memory_order_relaxed);
    while (n > prev && !g_largest.compare_exchange_weak(prev, n)) {
    }
  }
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace {

using bytes = std::vector<std::uint8_t>;

bytes message(std::uint8_t type, const bytes& body) {
  bytes m{type, static_cast<std::uint8_t>(body.size() >> 16),
          static_cast<std::uint8_t>(body.size() >> 8), static_cast<std::uint8_t>(body.size())};
  m.insert(m.end(), body.begin(), body.end());
  return m;
}

bytes key_update_message(std::uint8_t request) { return message(24, {request}); }

void put_u16(bytes& out, std::size_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v));
}
void put_u32(bytes& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(v >> shift));
}

// A NewSessionTicket body, RFC 8446 §4.6.1:
//   uint32 ticket_lifetime; uint32 ticket_age_add; opaque ticket_nonce<0..255>;
//   opaque ticket<1..2^16-1>; Extension extensions<0..2^16-2>;
bytes ticket_body(std::uint32_t lifetime, std::uint32_t age_add, const bytes& nonce,
                  const bytes& ticket, const bytes& extensions) {
  bytes b;
  put_u32(b, lifetime);
  put_u32(b, age_add);
  b.push_back(static_cast<std::uint8_t>(nonce.size()));
  b.insert(b.end(), nonce.begin(), nonce.end());
  put_u16(b, ticket.size());
  b.insert(b.end(), ticket.begin(), ticket.end());
  put_u16(b, extensions.size());
  b.insert(b.end(), extensions.begin(), extensions.end());
  return b;
}

// early_data (42) with max_early_data_size = 16384: the one extension RFC 8446 defines
// for NewSessionTicket.
const bytes early_data_ext{0x00, 0x2a, 0x00, 0x04, 0x00, 0x00, 0x40, 0x00};

bytes typical_ticket() {
  return ticket_body(7200, 0xdeadbeef, bytes{0, 0, 0, 0, 0, 0, 0, 1}, bytes(192, 0xab),
                     early_data_ext);
}

const fatal length_mismatch{alert_description::decode_error, "length mismatch"};

bool is_need_more(const std::variant<std::nullopt_t, handshake_message, fatal>& v) {
  return std::holds_alternative<std::nullopt_t>(v);
}

}  // namespace

// --- handshake_reassembler --------------------------------------------------------------

TEST_CASE("an empty reassembler has no message and nothing partial") {
  handshake_reassembler r;
  CHECK_FALSE(r.partial());
  CHECK(is_need_more(r.next()));
  r.append({});
  CHECK_FALSE(r.partial());
  CHECK(is_need_more(r.next()));
}

TEST_CASE("a KeyUpdate appended one byte at a time comes out whole after its last byte") {
  handshake_reassembler r;
  const bytes ku = key_update_message(1);
  for (std::size_t i = 0; i + 1 < ku.size(); ++i) {
    r.append(bytes_view(ku).subspan(i, 1));
    CHECK(r.partial());
    CHECK(is_need_more(r.next()));
    CHECK(r.partial());  // asking did not consume the partial bytes
  }
  r.append(bytes_view(ku).subspan(ku.size() - 1, 1));
  auto got = r.next();
  REQUIRE(std::holds_alternative<handshake_message>(got));
  const auto& m = std::get<handshake_message>(got);
  CHECK(m.type == handshake_type::key_update);
  REQUIRE(m.body.size() == 1);
  CHECK(m.body[0] == 1);
  CHECK_FALSE(r.partial());
  CHECK(is_need_more(r.next()));
}

TEST_CASE("two messages in one append come out one after the other") {
  handshake_reassembler r;
  bytes both = message(4, typical_ticket());
  const bytes ku = key_update_message(0);
  both.insert(both.end(), ku.begin(), ku.end());
  r.append(both);

  auto first = r.next();
  REQUIRE(std::holds_alternative<handshake_message>(first));
  CHECK(std::get<handshake_message>(first).type == handshake_type::new_session_ticket);
  const bytes ticket = typical_ticket();
  CHECK(bytes(std::get<handshake_message>(first).body.begin(),
              std::get<handshake_message>(first).body.end()) == ticket);
  // The second message is whole but not yet taken: partial() still says bytes remain,
  // which is what the endpoint's "KeyUpdate not on a record boundary" check relies on.
  CHECK(r.partial());

  auto second = r.next();
  REQUIRE(std::holds_alternative<handshake_message>(second));
  CHECK(std::get<handshake_message>(second).type == handshake_type::key_update);
  REQUIRE(std::get<handshake_message>(second).body.size() == 1);
  CHECK(std::get<handshake_message>(second).body[0] == 0);

  CHECK(is_need_more(r.next()));
  CHECK_FALSE(r.partial());
}

TEST_CASE("a message and the start of the next in one append: the first comes out, the rest is partial") {
  handshake_reassembler r;
  bytes data = key_update_message(0);
  const bytes second = key_update_message(1);
  data.insert(data.end(), second.begin(), second.begin() + 2);
  r.append(data);
  auto first = r.next();
  REQUIRE(std::holds_alternative<handshake_message>(first));
  CHECK(std::get<handshake_message>(first).body[0] == 0);
  CHECK(r.partial());
  CHECK(is_need_more(r.next()));
  r.append(bytes_view(second).subspan(2));
  auto got = r.next();
  REQUIRE(std::holds_alternative<handshake_message>(got));
  CHECK(std::get<handshake_message>(got).type == handshake_type::key_update);
  CHECK(std::get<handshake_message>(got).body[0] == 1);
  CHECK_FALSE(r.partial());
}

TEST_CASE("partial() is true mid-message, including mid-header, and false at message boundaries") {
  handshake_reassembler r;
  const bytes nst = message(4, typical_ticket());
  r.append(bytes_view(nst).first(2));  // half a header
  CHECK(r.partial());
  CHECK(is_need_more(r.next()));
  r.append(bytes_view(nst).subspan(2, 100));  // header and part of the body
  CHECK(r.partial());
  CHECK(is_need_more(r.next()));
  r.append(bytes_view(nst).subspan(102));
  CHECK(r.partial());  // whole but not yet taken
  REQUIRE(std::holds_alternative<handshake_message>(r.next()));
  CHECK_FALSE(r.partial());
}

TEST_CASE("a message type the reassembler does not know still comes out, carrying its byte") {
  handshake_reassembler r;
  r.append(message(200, {1, 2, 3}));
  auto got = r.next();
  REQUIRE(std::holds_alternative<handshake_message>(got));
  CHECK(static_cast<int>(std::get<handshake_message>(got).type) == 200);
  CHECK(std::get<handshake_message>(got).body.size() == 3);
}

TEST_CASE("an empty-bodied message comes out with an empty body") {
  handshake_reassembler r;
  r.append(message(24, {}));
  auto got = r.next();
  REQUIRE(std::holds_alternative<handshake_message>(got));
  CHECK(std::get<handshake_message>(got).body.empty());
}

TEST_CASE("a message longer than max_post_handshake_message is refused from its header alone") {
  handshake_reassembler r;
  const std::size_t len = max_post_handshake_message + 1;
  const bytes header{4, static_cast<std::uint8_t>(len >> 16), static_cast<std::uint8_t>(len >> 8),
                     static_cast<std::uint8_t>(len)};
  r.append(header);  // no body bytes at all
  auto got = r.next();
  REQUIRE(std::holds_alternative<fatal>(got));
  CHECK(std::get<fatal>(got) == fatal{alert_description::illegal_parameter, "excessive message size"});
  // Asking again does not let it through.
  CHECK(std::holds_alternative<fatal>(r.next()));
}

TEST_CASE("the largest length, 0xFFFFFF, is refused from its header alone") {
  handshake_reassembler r;
  r.append(bytes{24, 0xff, 0xff, 0xff});
  auto got = r.next();
  REQUIRE(std::holds_alternative<fatal>(got));
  CHECK(std::get<fatal>(got).send == alert_description::illegal_parameter);
}

TEST_CASE("a message of exactly max_post_handshake_message bytes is waited for, then accepted") {
  handshake_reassembler r;
  const bytes body(max_post_handshake_message, 0x42);
  const bytes m = message(4, body);
  r.append(bytes_view(m).first(handshake_header_size));
  CHECK(is_need_more(r.next()));
  CHECK(r.partial());
  r.append(bytes_view(m).subspan(handshake_header_size));
  auto got = r.next();
  REQUIRE(std::holds_alternative<handshake_message>(got));
  CHECK(std::get<handshake_message>(got).body.size() == max_post_handshake_message);
}

TEST_CASE("a long run of messages split across fragment boundaries keeps the reassembler's memory bounded") {
  // Every fragment ends 3 bytes into the next KeyUpdate, so the buffer never drains
  // completely. What is buffered is at most one message plus one fragment, and the
  // reassembler's memory should stay near that, not grow with the connection's lifetime.
  constexpr std::size_t messages = 100'000;
  bytes stream;
  stream.reserve(messages * 5);
  for (std::size_t i = 0; i < messages; ++i) {
    const bytes ku = key_update_message(static_cast<std::uint8_t>(i & 1));
    stream.insert(stream.end(), ku.begin(), ku.end());
  }
  handshake_reassembler r;
  std::size_t seen = 0;
  bool order_ok = true;
  g_largest = 0;
  g_track = true;
  r.append(bytes_view(stream).first(3));
  for (std::size_t off = 3; off < stream.size(); off += 5) {
    r.append(bytes_view(stream).subspan(off, std::min<std::size_t>(5, stream.size() - off)));
    for (;;) {
      auto got = r.next();
      if (!std::holds_alternative<handshake_message>(got)) break;
      const auto& m = std::get<handshake_message>(got);
      if (m.body.size() != 1 || m.body[0] != (seen & 1)) order_ok = false;
      ++seen;
    }
  }
  g_track = false;
  CHECK(seen == messages);
  CHECK(order_ok);
  CHECK_FALSE(r.partial());
  // Generous: twice the largest message plus a maximal record, far below the 500 kB the
  // stream adds up to.
  CHECK(g_largest.load() <= 2 * (handshake_header_size + max_post_handshake_message) + (1 << 14));
}

// --- parse_new_session_ticket ------------------------------------------------------------

TEST_CASE("a well-formed RFC 8446 NewSessionTicket parses into its lifetime, age_add and ticket length") {
  const auto parsed = parse_new_session_ticket(typical_ticket());
  REQUIRE(std::holds_alternative<new_session_ticket>(parsed));
  const auto& t = std::get<new_session_ticket>(parsed);
  CHECK(t.ticket_lifetime == 7200);
  CHECK(t.ticket_age_add == 0xdeadbeef);
  CHECK(t.ticket_length == 192);
}

TEST_CASE("NewSessionTicket vectors at their bounds parse: empty nonce, 255-byte nonce, 1-byte and 65535-byte tickets, no extensions") {
  SUBCASE("empty nonce, one-byte ticket, no extensions") {
    const auto parsed = parse_new_session_ticket(ticket_body(0, 0, {}, {0x01}, {}));
    REQUIRE(std::holds_alternative<new_session_ticket>(parsed));
    CHECK(std::get<new_session_ticket>(parsed).ticket_length == 1);
    CHECK(std::get<new_session_ticket>(parsed).ticket_lifetime == 0);
  }
  SUBCASE("255-byte nonce, maximal ticket, maximal lifetime") {
    const auto parsed = parse_new_session_ticket(
        ticket_body(604800, 0xffffffff, bytes(255, 7), bytes(65535, 9), early_data_ext));
    REQUIRE(std::holds_alternative<new_session_ticket>(parsed));
    CHECK(std::get<new_session_ticket>(parsed).ticket_length == 65535);
    CHECK(std::get<new_session_ticket>(parsed).ticket_lifetime == 604800);
    CHECK(std::get<new_session_ticket>(parsed).ticket_age_add == 0xffffffff);
  }
}

TEST_CASE("a NewSessionTicket truncated at every byte position is decode_error \"length mismatch\"") {
  for (const bytes& body : {typical_ticket(), ticket_body(1, 2, {}, {0x55}, {})}) {
    for (std::size_t n = 0; n < body.size(); ++n) {
      CAPTURE(n);
      const auto parsed = parse_new_session_ticket(bytes_view(body).first(n));
      REQUIRE(std::holds_alternative<fatal>(parsed));
      CHECK(std::get<fatal>(parsed) == length_mismatch);
    }
  }
}

TEST_CASE("a NewSessionTicket with a zero-length ticket is decode_error \"length mismatch\"") {
  const auto parsed = parse_new_session_ticket(ticket_body(7200, 1, {1, 2}, {}, {}));
  REQUIRE(std::holds_alternative<fatal>(parsed));
  CHECK(std::get<fatal>(parsed) == length_mismatch);
}

TEST_CASE("a NewSessionTicket with a trailing byte is decode_error \"length mismatch\"") {
  for (bytes body : {typical_ticket(), ticket_body(1, 2, {}, {0x55}, {})}) {
    body.push_back(0);
    const auto parsed = parse_new_session_ticket(body);
    REQUIRE(std::holds_alternative<fatal>(parsed));
    CHECK(std::get<fatal>(parsed) == length_mismatch);
  }
}

TEST_CASE("a NewSessionTicket whose inner lengths overrun the body is decode_error \"length mismatch\"") {
  bytes body = typical_ticket();
  SUBCASE("nonce length one too long") { body[8] = static_cast<std::uint8_t>(body[8] + 1); }
  SUBCASE("ticket length one too long") {
    const std::size_t at = 9 + body[8];
    body[at + 1] = static_cast<std::uint8_t>(body[at + 1] + 1);
  }
  SUBCASE("extensions length one too long") { body[body.size() - early_data_ext.size() - 1] += 1; }
  const auto parsed = parse_new_session_ticket(body);
  REQUIRE(std::holds_alternative<fatal>(parsed));
  CHECK(std::get<fatal>(parsed) == length_mismatch);
}

// --- KeyUpdate ----------------------------------------------------------------------------

TEST_CASE("KeyUpdate request values 0 and 1 are accepted") {
  const bytes zero{0};
  const bytes one{1};
  const auto p0 = parse_key_update(zero);
  const auto p1 = parse_key_update(one);
  REQUIRE(std::holds_alternative<key_update_request>(p0));
  REQUIRE(std::holds_alternative<key_update_request>(p1));
  CHECK(std::get<key_update_request>(p0) == key_update_request::update_not_requested);
  CHECK(std::get<key_update_request>(p1) == key_update_request::update_requested);
}

TEST_CASE("any other KeyUpdate request value, 2 to 255, is illegal_parameter") {
  // RFC 8446 §4.6.3: "If an implementation receives any other value, it MUST terminate
  // the connection with an "illegal_parameter" alert."
  for (int v = 2; v <= 255; ++v) {
    CAPTURE(v);
    const bytes body{static_cast<std::uint8_t>(v)};
    const auto parsed = parse_key_update(body);
    REQUIRE(std::holds_alternative<fatal>(parsed));
    CHECK(std::get<fatal>(parsed).send == alert_description::illegal_parameter);
    CHECK(std::get<fatal>(parsed).reason == "bad key update");
  }
}

TEST_CASE("a KeyUpdate body that is empty or two bytes long is decode_error") {
  for (const bytes& body : {bytes{}, bytes{0, 0}, bytes{1, 0}, bytes{0, 1, 2}}) {
    CAPTURE(body.size());
    const auto parsed = parse_key_update(body);
    REQUIRE(std::holds_alternative<fatal>(parsed));
    CHECK(std::get<fatal>(parsed).send == alert_description::decode_error);
  }
}

TEST_CASE("encode_key_update writes type 24, length 1 and the request byte") {
  CHECK(encode_key_update(key_update_request::update_not_requested) ==
        std::array<std::uint8_t, 5>{0x18, 0x00, 0x00, 0x01, 0x00});
  CHECK(encode_key_update(key_update_request::update_requested) ==
        std::array<std::uint8_t, 5>{0x18, 0x00, 0x00, 0x01, 0x01});
}

TEST_CASE("an encoded KeyUpdate reassembles and parses back to its request") {
  for (auto req : {key_update_request::update_not_requested, key_update_request::update_requested}) {
    handshake_reassembler r;
    r.append(encode_key_update(req));
    auto got = r.next();
    REQUIRE(std::holds_alternative<handshake_message>(got));
    const auto& m = std::get<handshake_message>(got);
    CHECK(m.type == handshake_type::key_update);
    const auto parsed = parse_key_update(m.body);
    REQUIRE(std::holds_alternative<key_update_request>(parsed));
    CHECK(std::get<key_update_request>(parsed) == req);
  }
}

TEST_CASE("handshake types name themselves by their RFC names") {
  CHECK(to_string(handshake_type::new_session_ticket) == "new_session_ticket");
  CHECK(to_string(handshake_type::key_update) == "key_update");
  CHECK(to_string(handshake_type::hello_request) == "hello_request");
  CHECK(to_string(static_cast<handshake_type>(99)) == "unknown");
}

// --- check_post_handshake_header: judged from the header, as OpenSSL's state machine ----

TEST_CASE("a TLS 1.3 KeyUpdate longer than one byte is excessive message size from its header") {
  auto f = check_post_handshake_header(protocol_version::tls13, role::client, handshake_type::key_update, 2);
  REQUIRE(f);
  CHECK(f->send == alert_description::illegal_parameter);
  CHECK(f->reason == "excessive message size");
  CHECK_FALSE(check_post_handshake_header(protocol_version::tls13, role::server, handshake_type::key_update, 1));
  CHECK_FALSE(check_post_handshake_header(protocol_version::tls13, role::server, handshake_type::key_update, 0));
}

TEST_CASE("a TLS 1.3 message type that cannot come after the handshake is unexpected from its header") {
  for (auto r : {role::client, role::server}) {
    auto f = check_post_handshake_header(protocol_version::tls13, r, static_cast<handshake_type>(99), 0);
    REQUIRE(f);
    CHECK(f->send == alert_description::unexpected_message);
    CHECK(f->reason == "unexpected message");
  }
  // RFC 8446 §4.6.1: only a server sends NewSessionTicket.
  CHECK(check_post_handshake_header(protocol_version::tls13, role::server, handshake_type::new_session_ticket, 10));
  CHECK_FALSE(check_post_handshake_header(protocol_version::tls13, role::client, handshake_type::new_session_ticket, 131338));
  CHECK(check_post_handshake_header(protocol_version::tls13, role::client, handshake_type::new_session_ticket, 131339)->send ==
        alert_description::illegal_parameter);
}

TEST_CASE("a TLS 1.2 HelloRequest with a body is excessive message size; a ClientHello may be 131396 bytes") {
  auto f = check_post_handshake_header(protocol_version::tls12, role::client, handshake_type::hello_request, 1);
  REQUIRE(f);
  CHECK(f->send == alert_description::illegal_parameter);
  CHECK_FALSE(check_post_handshake_header(protocol_version::tls12, role::client, handshake_type::hello_request, 0));
  CHECK_FALSE(check_post_handshake_header(protocol_version::tls12, role::server, handshake_type::client_hello, 131396));
  CHECK(check_post_handshake_header(protocol_version::tls12, role::server, handshake_type::client_hello, 131397));
  // Only a server reads a ClientHello after the handshake (a renegotiation request).
  CHECK(check_post_handshake_header(protocol_version::tls12, role::client, handshake_type::client_hello, 10)->send ==
        alert_description::unexpected_message);
  CHECK(check_post_handshake_header(protocol_version::tls12, role::server, handshake_type::hello_request, 0)->send ==
        alert_description::unexpected_message);
}

TEST_CASE("next(version, receiver) refuses an oversized KeyUpdate before its body arrives") {
  handshake_reassembler r;
  const std::uint8_t header[] = {24, 0, 0, 2};
  r.append(header);
  auto got = r.next(protocol_version::tls13, role::client);
  REQUIRE(std::holds_alternative<fatal>(got));
  CHECK(std::get<fatal>(got).reason == "excessive message size");
}

TEST_CASE("wanted() asks for the rest of the header, then exactly the rest of the message") {
  handshake_reassembler r;
  CHECK(r.wanted() == 4);
  const std::uint8_t first[] = {4, 0};
  r.append(first);
  CHECK(r.wanted() == 2);
  const std::uint8_t rest_of_header[] = {0, 3};
  r.append(rest_of_header);
  CHECK(r.wanted() == 3);  // a NewSessionTicket header announcing 3 bytes
  const std::uint8_t body[] = {1, 2};
  r.append(body);
  CHECK(r.wanted() == 1);
  CHECK(is_need_more(r.next(protocol_version::tls13, role::client)));
  const std::uint8_t last[] = {3};
  r.append(last);
  CHECK(r.wanted() == 0);
  REQUIRE(std::holds_alternative<handshake_message>(r.next()));
  CHECK(r.wanted() == 4);  // the next message starts from its header
}

// RFC 8446 §4: "uint24 length; /* remaining bytes in message */": all three bytes count.
TEST_CASE("uint24 length: wanted() reads every byte of a header's length") {
  for (const std::size_t length : {0x000123u, 0x012345u, 0x00ff00u}) {
    CAPTURE(length);
    handshake_reassembler r;
    const std::uint8_t header[] = {4, static_cast<std::uint8_t>(length >> 16), static_cast<std::uint8_t>(length >> 8),
                                   static_cast<std::uint8_t>(length)};
    r.append(header);
    CHECK(r.wanted() == length);
  }
}

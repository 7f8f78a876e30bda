// test_dtls_message_buffer.cpp — what a DTLS state machine keeps of handshake messages it
// cannot take yet: messages ahead of the expected message_seq, and fragments being
// reassembled (RFC 6347 §3.2.2, §3.2.3; OpenSSL's statem_dtls.c). The endpoint's use of it
// is test_endpoint_dtls.cpp's, and the live comparison the dtls scenarios'.
#include <doctest/doctest.h>

#include <cstddef>
#include <cstdint>

#include "closenotify/dtls_message_buffer.hpp"

namespace {

closenotify::dtls_handshake_header dtls_header(std::uint8_t type, std::uint16_t seq, std::size_t length,
                                               std::size_t offset, std::size_t fragment) {
  return {static_cast<closenotify::handshake_type>(type), length, seq, offset, fragment};
}

}  // namespace

TEST_CASE("RFC 6347 §3.2.2: a message ahead of the one expected is kept until it is the next one") {
  using closenotify::dtls_message_buffer;
  dtls_message_buffer b;
  CHECK(b.out_of_sequence(dtls_header(0, 3, 0, 0, 0), 1) == dtls_message_buffer::outcome::taken);
  CHECK(b.size() == 1);
  CHECK_FALSE(b.retrieve(1).has_value());
  CHECK_FALSE(b.retrieve(2).has_value());
  auto m = b.retrieve(3);
  REQUIRE(m.has_value());
  CHECK(m->type == closenotify::handshake_type::hello_request);
  CHECK(b.size() == 0);
}

TEST_CASE("\"Discard the message if sequence number was already there, is too far in the future, already in the queue or if we received a FINISHED before the SERVER_HELLO\"") {
  using closenotify::dtls_message_buffer;
  dtls_message_buffer b;
  CHECK(b.out_of_sequence(dtls_header(1, 0, 5, 0, 5), 2) == dtls_message_buffer::outcome::taken);   // stale
  CHECK(b.out_of_sequence(dtls_header(1, 13, 5, 0, 5), 2) == dtls_message_buffer::outcome::taken);  // 11 ahead
  CHECK(b.size() == 0);
  CHECK(b.out_of_sequence(dtls_header(1, 12, 5, 0, 5), 2) == dtls_message_buffer::outcome::taken);  // 10 ahead: kept
  CHECK(b.out_of_sequence(dtls_header(2, 12, 5, 0, 5), 2) == dtls_message_buffer::outcome::taken);  // duplicate
  CHECK(b.size() == 1);
  // "if we received a FINISHED before the SERVER_HELLO" (handshake_read_seq 0).
  CHECK(b.out_of_sequence(dtls_header(20, 4, 12, 0, 12), 0) == dtls_message_buffer::outcome::taken);
  CHECK(b.size() == 1);
  // A fragment past its own message is refused, not read.
  CHECK(b.out_of_sequence(dtls_header(0, 3, 0, 2, 2), 2) == dtls_message_buffer::outcome::refused);
  // Messages older than the one expected are cleared when it is looked for.
  CHECK_FALSE(b.retrieve(13).has_value());
  CHECK(b.size() == 0);
}

TEST_CASE("RFC 6347 §3.2.3: fragments are reassembled; the message is handed out once every byte is in") {
  using closenotify::dtls_message_buffer;
  dtls_message_buffer b;
  CHECK(b.reassemble(dtls_header(1, 0, 4, 0, 2)) == dtls_message_buffer::outcome::taken);
  CHECK_FALSE(b.retrieve(0).has_value());  // "Don't return if reassembly still in progress"
  CHECK(b.reassemble(dtls_header(1, 0, 4, 1, 2)) == dtls_message_buffer::outcome::taken);  // overlaps
  CHECK_FALSE(b.retrieve(0).has_value());
  // A fragment claiming another length for the same message is refused.
  CHECK(b.reassemble(dtls_header(1, 0, 5, 3, 1)) == dtls_message_buffer::outcome::refused);
  CHECK(b.reassemble(dtls_header(1, 0, 4, 3, 1)) == dtls_message_buffer::outcome::taken);
  auto m = b.retrieve(0);
  REQUIRE(m.has_value());
  CHECK(m->length == 4);
  // Over 100 KiB, or past its end: refused; an empty fragment is read and changes nothing.
  CHECK(b.reassemble(dtls_header(1, 1, closenotify::dtls_max_handshake_message + 1, 0, 1)) ==
        dtls_message_buffer::outcome::refused);
  CHECK(b.reassemble(dtls_header(1, 1, 4, 3, 2)) == dtls_message_buffer::outcome::refused);
  CHECK(b.reassemble(dtls_header(1, 1, 4, 0, 0)) == dtls_message_buffer::outcome::taken);
  CHECK(b.size() == 0);
}

TEST_CASE("\"This is a stale message that has been buffered so clear it.\" — before the expected one is looked for") {
  using closenotify::dtls_message_buffer;
  dtls_message_buffer b;
  CHECK(b.reassemble(dtls_header(1, 0, 4, 0, 2)) == dtls_message_buffer::outcome::taken);  // never completed
  CHECK(b.out_of_sequence(dtls_header(1, 1, 0, 0, 0), 0) == dtls_message_buffer::outcome::taken);
  CHECK(b.size() == 2);
  CHECK_FALSE(b.retrieve(0).has_value());  // 0 is still being reassembled
  auto m = b.retrieve(1);                  // 0 is stale now, and 1 is whole
  REQUIRE(m.has_value());
  CHECK(m->type == closenotify::handshake_type::client_hello);
  CHECK(b.size() == 0);
}

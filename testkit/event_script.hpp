// event_script.hpp — the byte encoding of "what happens to one endpoint": the peer's
// records, EOF and resets, transport faults (EAGAIN, short writes), and the local calls
// (read, peek, write, shutdown, ...). The endpoint fuzz target executes a script against
// a closenotify endpoint in process; `closenotify replay` turns the same script into a
// differential case against a live OpenSSL 3.0 (docs/fuzzing.md has the byte layout).
//
// Decoding is total: every byte string is a script (trailing bytes an event needs but
// does not have are read as zero), so a fuzzer's mutations are never wasted on a parse
// error, and encode(decode(x)) is canonical.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "closenotify/profile.hpp"
#include "closenotify/cipher_suite.hpp"
#include "closenotify/tls.hpp"

namespace closenotify::fuzz {

enum class event_kind : std::uint8_t {
  peer_record = 0,         // the peer seals `type` + `data` (+ `number` bytes of TLS 1.3 padding)
  peer_alert = 1,          // the peer seals an alert record: level `number`, description `type`
  peer_raw = 2,            // these bytes arrive as they are
  peer_eof = 3,            // the peer's FIN: reads see EOF once the bytes before it are read
  peer_reset = 4,          // ECONNRESET once the bytes before it are read
  read_would_block = 5,    // the next transport read returns EAGAIN
  write_would_block = 6,   // the next transport write returns EAGAIN
  write_limit = 7,         // transport writes move at most `number` bytes (0: no limit)
  call_read = 8,           // SSL_read into a buffer of `number` bytes
  call_peek = 9,           // SSL_peek into a buffer of `number` bytes
  call_write = 10,         // SSL_write of `number` pattern bytes (or the retry of a pending one)
  call_shutdown = 11,      // SSL_shutdown
  call_key_update = 12,    // SSL_key_update(`number` ? requested : not requested)
  call_do_handshake = 13,  // SSL_do_handshake
  call_set = 14,           // `number` bit 0: set quiet shutdown, bit 1: set IGNORE_UNEXPECTED_EOF
  peer_stops_reading = 15, // the peer closed its socket: writes fail with EPIPE
};
inline constexpr int event_kind_count = 16;

struct event {
  event_kind kind = event_kind::peer_eof;
  std::uint8_t type = 0;       // content type (peer_record) or alert description (peer_alert)
  std::uint32_t number = 0;    // padding, level, buffer size, write length, flags (see kind)
  std::vector<std::uint8_t> data;  // peer_record plaintext, peer_raw bytes
  friend bool operator==(const event&, const event&) = default;
};

struct script_config {
  std::uint8_t suite = 0;  // index into matrix_cipher_suites()
  bool server = false;     // the endpoint's role
  bool ignore_unexpected_eof = false;
  bool quiet_shutdown = false;
  bool read_ahead = false;
  // profile: the page the endpoint follows where the pages differ (profile.hpp). Encoded
  // as bit 0x80 of the config byte plus one more byte (an index into profiles()); without
  // the bit, the live peer's openssl-3.0.
  profile_id profile = profile_id::openssl_3_0;
  friend bool operator==(const script_config&, const script_config&) = default;
};

struct script {
  script_config config;
  std::vector<event> events;
  friend bool operator==(const script&, const script&) = default;
};

/// max_event_length: the longest peer_record / peer_raw / write an event asks for: a
/// little over the largest record, so oversized plaintexts and records are reachable.
inline constexpr std::uint32_t max_event_length = 16384 + 512;

/// decode_script: any bytes.
script decode_script(bytes_view input);
/// encode_script: the canonical bytes of `s` (decode_script(encode_script(s)) == s when
/// every length is within max_event_length).
std::vector<std::uint8_t> encode_script(const script& s);

/// describe: one event as a line a person reads ("peer_record application_data 5 bytes").
std::string describe(const event& e);

}  // namespace closenotify::fuzz

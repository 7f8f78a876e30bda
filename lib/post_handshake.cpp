// post_handshake.cpp — reassembly and parsing of post-handshake messages (TLS 1.3 tickets
// and KeyUpdate; TLS 1.2 renegotiation requests, judged from their header).
#include "closenotify/post_handshake.hpp"

#include <algorithm>

namespace closenotify {

namespace {

constexpr fatal length_mismatch{alert_description::decode_error, "length mismatch"};

// A cursor over a message body; every read checks what is left, so no parse reads past
// the end whatever the input.
struct reader {
  bytes_view rest;
  bool u8(std::uint8_t& v) noexcept {
    if (rest.empty()) return false;
    v = rest[0];
    rest = rest.subspan(1);
    return true;
  }
  bool u16(std::uint16_t& v) noexcept {
    if (rest.size() < 2) return false;
    v = static_cast<std::uint16_t>(rest[0] << 8 | rest[1]);
    rest = rest.subspan(2);
    return true;
  }
  bool u32(std::uint32_t& v) noexcept {
    if (rest.size() < 4) return false;
    v = std::uint32_t{rest[0]} << 24 | std::uint32_t{rest[1]} << 16 | std::uint32_t{rest[2]} << 8 |
        rest[3];
    rest = rest.subspan(4);
    return true;
  }
  bool skip(std::size_t n) noexcept {
    if (rest.size() < n) return false;
    rest = rest.subspan(n);
    return true;
  }
};

}  // namespace

handshake_reassembler::handshake_reassembler() { buf_.reserve(handshake_header_size + 4096); }

void handshake_reassembler::append(bytes_view fragment) {
  // Drop what next() has handed out, so the buffer holds at most one message plus this
  // fragment however long the connection runs (the views it gave are invalid from here).
  buf_.erase(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(start_));
  start_ = 0;
  buf_.insert(buf_.end(), fragment.begin(), fragment.end());
}

std::variant<std::nullopt_t, handshake_message, fatal> handshake_reassembler::next() {
  bytes_view rest{buf_.data() + start_, buf_.size() - start_};
  if (rest.size() < handshake_header_size) return std::nullopt;
  std::size_t length = std::size_t{rest[1]} << 16 | std::size_t{rest[2]} << 8 | rest[3];
  if (length > max_post_handshake_message) {
    return fatal{alert_description::illegal_parameter, "excessive message size"};
  }
  if (rest.size() < handshake_header_size + length) return std::nullopt;
  start_ += handshake_header_size + length;
  return handshake_message{static_cast<handshake_type>(rest[0]),
                           rest.subspan(handshake_header_size, length)};
}

std::variant<std::nullopt_t, handshake_message, fatal> handshake_reassembler::next(
    protocol_version version, role receiver) {
  bytes_view rest{buf_.data() + start_, buf_.size() - start_};
  if (rest.size() >= handshake_header_size) {
    const std::size_t length = std::size_t{rest[1]} << 16 | std::size_t{rest[2]} << 8 | rest[3];
    if (auto f = check_post_handshake_header(version, receiver,
                                             static_cast<handshake_type>(rest[0]), length))
      return *f;
  }
  return next();
}

std::size_t handshake_reassembler::wanted() const noexcept {
  const std::size_t have = buf_.size() - start_;
  if (have < handshake_header_size) return handshake_header_size - have;
  const std::uint8_t* h = buf_.data() + start_;
  const std::size_t length = std::size_t{h[1]} << 16 | std::size_t{h[2]} << 8 | h[3];
  return handshake_header_size + length - std::min(have, handshake_header_size + length);
}

std::optional<fatal> check_post_handshake_header(protocol_version v, role receiver,
                                                 handshake_type type,
                                                 std::size_t length) noexcept {
  // OpenSSL 3.0 statem_local.h: SESSION_TICKET_MAX_LENGTH_TLS13 131338,
  // KEY_UPDATE_MAX_LENGTH 1, CLIENT_HELLO_MAX_LENGTH 131396; a HelloRequest has no body.
  std::optional<std::size_t> max;
  if (v == protocol_version::tls13) {
    if (type == handshake_type::key_update) max = 1;
    // RFC 8446 §4.6.1: "At any time after the server has received the client Finished
    // message, it MAY send a NewSessionTicket message." Only a client receives one.
    if (type == handshake_type::new_session_ticket && receiver == role::client) max = 131338;
  } else {
    if (type == handshake_type::hello_request && receiver == role::client) max = 0;
    if (type == handshake_type::client_hello && receiver == role::server) max = 131396;
  }
  // RFC 8446 §5: "If a TLS implementation receives an unexpected record type, it MUST
  // terminate the connection with an "unexpected_message" alert." (a message type here)
  if (!max) return fatal{alert_description::unexpected_message, "unexpected message"};
  if (length > *max) return fatal{alert_description::illegal_parameter, "excessive message size"};
  return std::nullopt;
}

std::variant<new_session_ticket, fatal> parse_new_session_ticket(bytes_view body) noexcept {
  reader r{body};
  new_session_ticket t{};
  std::uint8_t nonce_len = 0;
  std::uint16_t ticket_len = 0;
  std::uint16_t ext_len = 0;
  if (!r.u32(t.ticket_lifetime) || !r.u32(t.ticket_age_add) || !r.u8(nonce_len) ||
      !r.skip(nonce_len) || !r.u16(ticket_len) || ticket_len == 0 || !r.skip(ticket_len) ||
      !r.u16(ext_len) || !r.skip(ext_len) || !r.rest.empty()) {
    return length_mismatch;
  }
  t.ticket_length = ticket_len;
  return t;
}

std::variant<key_update_request, fatal> parse_key_update(bytes_view body) noexcept {
  if (body.size() != 1) return fatal{alert_description::decode_error, "bad key update"};
  // RFC 8446 §4.6.3: "If an implementation receives any other value, it MUST terminate
  // the connection with an "illegal_parameter" alert."
  if (body[0] > 1) return fatal{alert_description::illegal_parameter, "bad key update"};
  return static_cast<key_update_request>(body[0]);
}

std::array<std::uint8_t, 5> encode_key_update(key_update_request r) noexcept {
  return {static_cast<std::uint8_t>(handshake_type::key_update), 0, 0, 1,
          static_cast<std::uint8_t>(r)};
}

std::string_view to_string(handshake_type t) noexcept {
  switch (t) {
    case handshake_type::hello_request: return "hello_request";
    case handshake_type::client_hello: return "client_hello";
    case handshake_type::server_hello: return "server_hello";
    case handshake_type::new_session_ticket: return "new_session_ticket";
    case handshake_type::finished: return "finished";
    case handshake_type::key_update: return "key_update";
  }
  return "unknown";
}

}  // namespace closenotify

// event_script.cpp — see event_script.hpp. Layout: byte 0 is the configuration (bits 0-2
// suite, 3 server, 4 IGNORE_UNEXPECTED_EOF, 5 quiet shutdown, 6 read-ahead); then events,
// each an opcode byte (mod 16) and its arguments. A length is one byte below 255, or 255
// followed by two big-endian bytes (capped at max_event_length).
#include "event_script.hpp"

#include <algorithm>

#include "closenotify/alert.hpp"
#include "closenotify/hex.hpp"

namespace closenotify::fuzz {
namespace {

class reader {
 public:
  explicit reader(bytes_view in) : in_(in) {}
  bool done() const { return pos_ >= in_.size(); }
  std::uint8_t byte() { return pos_ < in_.size() ? in_[pos_++] : 0; }
  std::uint32_t length() {
    std::uint32_t n = byte();
    if (n == 255) n = std::min<std::uint32_t>((std::uint32_t{byte()} << 8) | byte(), max_event_length);
    return n;
  }
  std::vector<std::uint8_t> bytes(std::uint32_t n) {
    std::size_t take = std::min<std::size_t>(n, in_.size() - std::min(pos_, in_.size()));
    std::vector<std::uint8_t> v(in_.begin() + static_cast<std::ptrdiff_t>(pos_),
                                in_.begin() + static_cast<std::ptrdiff_t>(pos_ + take));
    pos_ += take;
    return v;
  }

 private:
  bytes_view in_;
  std::size_t pos_ = 0;
};

void put_length(std::vector<std::uint8_t>& out, std::uint32_t n) {
  n = std::min(n, max_event_length);
  if (n < 255) {
    out.push_back(static_cast<std::uint8_t>(n));
  } else {
    out.push_back(255);
    out.push_back(static_cast<std::uint8_t>(n >> 8));
    out.push_back(static_cast<std::uint8_t>(n));
  }
}

// carries_number_byte: the events whose one argument is `number` as a single byte.
bool carries_number_byte(event_kind k) {
  return k == event_kind::write_limit || k == event_kind::call_read || k == event_kind::call_peek ||
         k == event_kind::call_key_update || k == event_kind::call_set;
}

}  // namespace

script decode_script(bytes_view input) {
  script s;
  reader r(input);
  std::uint8_t c = r.byte();
  s.config.suite = static_cast<std::uint8_t>((c & 7) % matrix_cipher_suites().size());
  s.config.server = c & 0x08;
  s.config.ignore_unexpected_eof = c & 0x10;
  s.config.quiet_shutdown = c & 0x20;
  s.config.read_ahead = c & 0x40;
  if (c & 0x80) s.config.profile = profiles()[r.byte() % profiles().size()].id;
  while (!r.done()) {
    event e;
    e.kind = static_cast<event_kind>(r.byte() % event_kind_count);
    switch (e.kind) {
      case event_kind::peer_record:
        e.type = r.byte();
        e.number = r.byte();  // TLS 1.3 padding
        e.data = r.bytes(r.length());
        break;
      case event_kind::peer_alert:
        e.number = r.byte();
        e.type = r.byte();
        break;
      case event_kind::peer_raw:
        e.data = r.bytes(r.length());
        break;
      case event_kind::call_write:
        e.number = r.length();
        break;
      default:
        if (carries_number_byte(e.kind)) e.number = r.byte();
        break;
    }
    s.events.push_back(std::move(e));
  }
  return s;
}

std::vector<std::uint8_t> encode_script(const script& s) {
  std::vector<std::uint8_t> out;
  out.push_back(static_cast<std::uint8_t>(
      (s.config.suite & 7) | (s.config.server ? 0x08 : 0) |
      (s.config.ignore_unexpected_eof ? 0x10 : 0) | (s.config.quiet_shutdown ? 0x20 : 0) |
      (s.config.read_ahead ? 0x40 : 0) | (s.config.profile != profile_id::openssl_3_0 ? 0x80 : 0)));
  if (s.config.profile != profile_id::openssl_3_0) {
    for (std::size_t i = 0; i < profiles().size(); ++i) {
      if (profiles()[i].id == s.config.profile) out.push_back(static_cast<std::uint8_t>(i));
    }
  }
  for (const auto& e : s.events) {
    out.push_back(static_cast<std::uint8_t>(e.kind));
    switch (e.kind) {
      case event_kind::peer_record:
        out.push_back(e.type);
        out.push_back(static_cast<std::uint8_t>(e.number));
        put_length(out, static_cast<std::uint32_t>(e.data.size()));
        out.insert(out.end(), e.data.begin(), e.data.end());
        break;
      case event_kind::peer_alert:
        out.push_back(static_cast<std::uint8_t>(e.number));
        out.push_back(e.type);
        break;
      case event_kind::peer_raw:
        put_length(out, static_cast<std::uint32_t>(e.data.size()));
        out.insert(out.end(), e.data.begin(), e.data.end());
        break;
      case event_kind::call_write:
        put_length(out, e.number);
        break;
      default:
        if (carries_number_byte(e.kind)) out.push_back(static_cast<std::uint8_t>(e.number));
        break;
    }
  }
  return out;
}

std::string describe(const event& e) {
  auto n = std::to_string(e.number);
  auto len = std::to_string(e.data.size()) + " bytes";
  switch (e.kind) {
    case event_kind::peer_record:
      return "peer_record type " + std::to_string(e.type) + " " + len +
             (e.number ? " pad " + n : "");
    case event_kind::peer_alert:
      return "peer_alert level " + n + " " +
             std::string(to_string(static_cast<alert_description>(e.type))) + "(" +
             std::to_string(e.type) + ")";
    case event_kind::peer_raw: return "peer_raw " + len + " " + to_hex(e.data).substr(0, 40);
    case event_kind::peer_eof: return "peer_eof";
    case event_kind::peer_reset: return "peer_reset";
    case event_kind::read_would_block: return "read_would_block";
    case event_kind::write_would_block: return "write_would_block";
    case event_kind::write_limit: return "write_limit " + n;
    case event_kind::call_read: return "read " + n;
    case event_kind::call_peek: return "peek " + n;
    case event_kind::call_write: return "write " + n;
    case event_kind::call_shutdown: return "shutdown";
    case event_kind::call_key_update: return std::string("key_update ") + (e.number & 1 ? "requested" : "not_requested");
    case event_kind::call_do_handshake: return "do_handshake";
    case event_kind::call_set: return "set flags " + n;
    case event_kind::peer_stops_reading: return "peer_stops_reading";
  }
  return "unknown";
}

}  // namespace closenotify::fuzz

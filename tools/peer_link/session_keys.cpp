// session_keys.cpp — from a peer's hand-off report to record protection.
#include "session_keys.hpp"

#include <charconv>
#include <optional>

#include "closenotify/cipher_suite.hpp"
#include "closenotify/hex.hpp"
#include "closenotify/connection_secrets.hpp"
#include "closenotify/key_schedule.hpp"

namespace closenotify::diff {

namespace {

configured<std::vector<std::uint8_t>> hex_field(const message& m, std::string_view key) {
  auto v = m.field(key, "-");
  if (v == "-") return std::vector<std::uint8_t>{};
  auto bytes = from_hex(v);
  if (auto* e = std::get_if<config_error>(&bytes)) {
    return config_error{"hand-off field " + std::string(key) + ": " + e->message};
  }
  return bytes;
}

// number_field: a decimal field of at most `max`, all digits.
std::optional<std::uint64_t> number_field(std::string_view v, std::uint64_t max) {
  std::uint64_t n = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (v.empty() || ec != std::errc() || end != v.data() + v.size() || n > max) return std::nullopt;
  return n;
}

// dtls_fields: epoch=E and rwindow=MAX:MAP (docs/peer-protocol.md): the epoch a 16-bit
// number, MAX a 48-bit sequence number in decimal, MAP exactly 16 hex digits.
std::optional<config_error> dtls_fields(const message& m, session_keys& k) {
  const auto epoch = number_field(m.field("epoch"), 0xffff);
  if (!epoch) return config_error{"hand-off: epoch= is not a 16-bit number: '" + m.field("epoch") + "'"};
  const std::string w = m.field("rwindow");
  const auto colon = w.find(':');
  const auto max = colon == std::string::npos ? std::nullopt
                                              : number_field(std::string_view(w).substr(0, colon), dtls_max_sequence_number);
  const std::string_view map_hex = colon == std::string::npos ? std::string_view{} : std::string_view(w).substr(colon + 1);
  std::uint64_t map = 0;
  bool map_ok = map_hex.size() == 16;
  for (char c : map_hex) {
    const int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (d < 0) map_ok = false;
    map = map << 4 | static_cast<std::uint64_t>(d < 0 ? 0 : d);
  }
  if (!max || !map_ok) {
    return config_error{"hand-off: rwindow= is not MAX:MAP (a 48-bit decimal and 16 lower-case hex digits): '" + w + "'"};
  }
  k.epoch = static_cast<std::uint16_t>(*epoch);
  k.read_window = dtls_replay_window(*max, map);
  return std::nullopt;
}

}  // namespace

configured<session_keys> keys_from_message(const message& m, role local_role) {
  session_keys k;
  k.local_role = local_role;
  // DTLS suites have a table of their own (dtls12_cipher_suites()): the same OpenSSL names
  // as TLS 1.2's, another protocol.
  k.dtls = m.field("version") == "dtls1.2";
  k.suite = k.dtls ? find_dtls12_cipher_suite(m.field("suite")) : find_cipher_suite(m.field("suite"));
  if (k.suite == nullptr) {
    return config_error{"hand-off names an unknown " + std::string(k.dtls ? "DTLS 1.2 " : "") + "suite '" +
                        m.field("suite") + "'"};
  }
  struct {
    std::string_view key;
    std::vector<std::uint8_t>* out;
  } hexes[] = {{"client_secret", &k.client_secret}, {"server_secret", &k.server_secret},
               {"master", &k.master}, {"client_random", &k.client_random},
               {"server_random", &k.server_random}};
  for (auto& h : hexes) {
    auto v = hex_field(m, h.key);
    if (auto* e = std::get_if<config_error>(&v)) return *e;
    *h.out = std::move(std::get<std::vector<std::uint8_t>>(v));
  }
  for (auto key : {"rseq", "wseq", "rx", "tx"}) {
    if (m.number(key, -1) < 0) return config_error{std::string("hand-off lacks ") + key};
  }
  k.read_sequence = static_cast<std::uint64_t>(m.number("rseq"));
  k.write_sequence = static_cast<std::uint64_t>(m.number("wseq"));
  k.rx = static_cast<std::uint64_t>(m.number("rx"));
  k.tx = static_cast<std::uint64_t>(m.number("tx"));
  if (k.dtls) {
    if (auto e = dtls_fields(m, k)) return *e;
  }
  return k;
}

configured<record_protection> session_keys::protection(role sender) const {
  return protection_at(sender, sender == local_role ? write_sequence : read_sequence);
}

configured<record_protection> session_keys::protection_at(role sender, std::uint64_t seq) const {
  if (dtls) {
    return protection_from_secrets(*suite, {client_secret, server_secret, master, client_random, server_random}, sender,
                                   seq, epoch);
  }
  return protection_from_secrets(*suite, {client_secret, server_secret, master, client_random, server_random}, sender,
                                 seq);
}

configured<record_protection> session_keys::write_protection() const { return protection(local_role); }

configured<record_protection> session_keys::read_protection() const {
  return protection(local_role == role::client ? role::server : role::client);
}

}  // namespace closenotify::diff

// session_keys.cpp — from a peer's hand-off report to record protection.
#include "session_keys.hpp"

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

}  // namespace

configured<session_keys> keys_from_message(const message& m, role local_role) {
  session_keys k;
  k.local_role = local_role;
  k.suite = find_cipher_suite(m.field("suite"));
  if (k.suite == nullptr) return config_error{"hand-off names an unknown suite '" + m.field("suite") + "'"};
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
  return k;
}

configured<record_protection> session_keys::protection(role sender) const {
  return protection_at(sender, sender == local_role ? write_sequence : read_sequence);
}

configured<record_protection> session_keys::protection_at(role sender, std::uint64_t seq) const {
  return protection_from_secrets(*suite, {client_secret, server_secret, master, client_random, server_random}, sender,
                                 seq);
}

configured<record_protection> session_keys::write_protection() const { return protection(local_role); }

configured<record_protection> session_keys::read_protection() const {
  return protection(local_role == role::client ? role::server : role::client);
}

}  // namespace closenotify::diff

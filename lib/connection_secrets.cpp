// connection_secrets.cpp — see closenotify/connection_secrets.hpp.
#include "closenotify/connection_secrets.hpp"

#include "closenotify/key_schedule.hpp"

namespace closenotify {

configured<record_protection> protection_from_secrets(const cipher_suite& suite, const connection_secrets& secrets,
                                                      role sender, std::uint64_t sequence_number,
                                                      std::uint16_t epoch) {
  if (suite.version == protocol_version::tls13) {
    return record_protection::tls13(
        suite, sender == role::client ? secrets.client_traffic_secret : secrets.server_traffic_secret,
        sequence_number);
  }
  auto block = tls12_derive_key_block(suite, secrets.master_secret, secrets.client_random, secrets.server_random);
  if (auto* e = std::get_if<config_error>(&block)) return *e;
  const auto& b = std::get<tls12_key_block>(block);
  if (suite.version == protocol_version::dtls12)
    return record_protection::dtls12(suite, sender == role::client ? b.client_write : b.server_write,
                                     epoch, sequence_number);
  return record_protection::tls12(suite, sender == role::client ? b.client_write : b.server_write, sequence_number);
}

}  // namespace closenotify

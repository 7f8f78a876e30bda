// closenotify/connection_secrets.hpp — a connection's secrets as a key log gives them
// (NSS key log format), and the record protection of either direction made from them.
// Everyone who takes over a connection (the differential runner, `seal`/`open`, the tests,
// the fuzz keys) starts here, so the choice of secret and key-block half lives once.
#pragma once

#include <cstdint>

#include "closenotify/cipher_suite.hpp"
#include "closenotify/record_protection.hpp"
#include "closenotify/tls.hpp"

namespace closenotify {

/// connection_secrets: what protects a connection's records after the handshake. Only
/// the fields of the suite's version are read.
struct connection_secrets {
  // TLS 1.3: CLIENT_TRAFFIC_SECRET_0 and SERVER_TRAFFIC_SECRET_0 (or a later generation);
  // only the sender's is needed.
  bytes_view client_traffic_secret;
  bytes_view server_traffic_secret;
  // TLS 1.2: the CLIENT_RANDOM line's master secret and the two hellos' randoms.
  bytes_view master_secret;
  bytes_view client_random;
  bytes_view server_random;
};

/// protection_from_secrets: `sender`'s direction, its next record numbered
/// `sequence_number`. TLS 1.3: from the sender's traffic secret (RFC 8446 §7.3). TLS 1.2:
/// the sender's half of the key block (RFC 5246 §6.3: "client_write_key" for the client).
/// DTLS 1.2: the same key block, for records of `epoch` (1, the first epoch a handshake
/// protects, unless told otherwise; TLS ignores it).
configured<record_protection> protection_from_secrets(const cipher_suite& suite, const connection_secrets& secrets,
                                                      role sender, std::uint64_t sequence_number = 0,
                                                      std::uint16_t epoch = 1);

}  // namespace closenotify

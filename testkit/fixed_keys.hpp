// fixed_keys.hpp — the keys every fuzz target and its seed corpus share (and the fault
// harness and the benchmark, which need keys but not particular ones). A fuzzer cannot
// learn an AEAD key, so inputs reach the code after decryption only because the harness
// seals them under these keys first (and the seed tool wrote real records under them).
#pragma once

#include <array>
#include <cstdint>
#include <optional>

#include "closenotify/cipher_suite.hpp"
#include "closenotify/key_schedule.hpp"
#include "closenotify/record_protection.hpp"

namespace closenotify::fuzz {

/// suite_from_byte: one of the six matrix suites (3 TLS 1.3, 3 TLS 1.2), chosen by a byte.
const cipher_suite& suite_from_byte(std::uint8_t b) noexcept;
/// suite_index: the inverse, for seed writers.
std::uint8_t suite_index(const cipher_suite& s) noexcept;

/// protection_for: a fresh record_protection for records `sender` writes under `suite`
/// with the fixed keys (both ends of one direction are made by the same call), starting at
/// `sequence_number`.
record_protection protection_for(const cipher_suite& suite, role sender, std::uint64_t sequence_number = 0);

/// fixed_traffic_keys: the key and IV `sender` writes with, for calling an AEAD directly
/// on the same keys (the benchmark's raw baseline).
traffic_keys fixed_traffic_keys(const cipher_suite& suite, role sender);

}  // namespace closenotify::fuzz

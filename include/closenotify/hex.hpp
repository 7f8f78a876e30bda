// closenotify/hex.hpp — lowercase hex for the CLI, the key log and test vectors.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "closenotify/tls.hpp"

namespace closenotify {

/// to_hex: lowercase, no separators.
std::string to_hex(bytes_view b);

/// from_hex: hex digits of either case; spaces, tabs, newlines and ':' between byte
/// pairs are ignored so RFC test vectors paste as printed. Errors say what and where
/// ("odd number of hex digits (7)", "not a hex digit 'g' at offset 3").
configured<std::vector<std::uint8_t>> from_hex(std::string_view s);

}  // namespace closenotify

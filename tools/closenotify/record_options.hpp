// record_options.hpp — what `seal` and `open` share: the options that name a record's
// protection (suite, secrets or a key log, sender, sequence number), read once for both.
#pragma once

#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "closenotify/record_protection.hpp"
#include "commands.hpp"

namespace closenotify::cli {

/// kKeyOptions: the options protection_from_options reads.
extern const std::vector<std::string_view> kKeyOptions;

/// wants_help: --help or -h anywhere among the arguments.
bool wants_help(const std::vector<std::string>& args);

/// parse_unsigned: the whole of `s` as a number in `base`, or nothing.
template <class T>
std::optional<T> parse_unsigned(std::string_view s, int base = 10) {
  T value{};
  if (s.empty()) return std::nullopt;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value, base);
  if (ec != std::errc{} || ptr != s.data() + s.size()) return std::nullopt;
  return value;
}

/// hex_option: --NAME's value as bytes, or a usage failure naming the option.
std::variant<std::vector<std::uint8_t>, failure> hex_option(const options& o, std::string_view name);

/// protection_from_options: the protection of the record's sender, at --seq, from
/// --suite and either --secret (TLS 1.3) / --master-secret --client-random
/// --server-random --role (TLS 1.2 and DTLS 1.2), or --keylog FILE --role. --epoch N makes
/// it DTLS 1.2's at epoch N, with a 48-bit --seq; `seq_optional`: DTLS may go without
/// --seq (0), as `open` does, whose records bring their own.
std::variant<record_protection, failure> protection_from_options(const options& o, bool seq_optional = false);

/// open_all: frames and opens every record in `wire`, one line each (printed, or added to
/// `lines`); stops at the first that does not open (open.cpp). `not_authentic_hint`
/// follows a bad_record_mac: what to check when a record does not authenticate.
outcome open_all(record_protection& prot, std::vector<std::uint8_t> wire, bool json,
                 std::vector<std::string>* lines, std::string_view not_authentic_hint = {});

}  // namespace closenotify::cli

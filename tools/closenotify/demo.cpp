// demo.cpp — `closenotify demo`: a close_notify sealed and opened again with every matrix
// suite, as a table.
#include <cstdio>
#include <string>
#include <vector>

#include "closenotify/alert.hpp"
#include "closenotify/cipher_suite.hpp"
#include "closenotify/connection_secrets.hpp"
#include "closenotify/hex.hpp"
#include "record_options.hpp"

namespace closenotify::cli {

const char* const demo_help =
    "usage: closenotify demo\n"
    "\n"
    "For each of the six matrix suites (three TLS 1.3, three ECDHE-ECDSA TLS 1.2), seals a\n"
    "warning close_notify with fixed demo keys (TLS 1.3 secret: bytes 00 01 02 ... up to the\n"
    "hash length; TLS 1.2: master secret 00..2f, client random 40..5f, server random 60..7f,\n"
    "client write keys), opens it back and prints suite, record, opened content and ok.\n"
    "Exit status 1 if any row fails.\n"
    "\n"
    "example:\n"
    "  closenotify demo\n";

outcome run_demo(const std::vector<std::string>& args) {
  if (wants_help(args)) {
    std::fputs(demo_help, stdout);
    return exit_ok;
  }
  if (!args.empty()) return usage("demo takes no arguments ('" + args.front() + "')");

  std::vector<std::uint8_t> secret(48), master(48), client_random(32), server_random(32);
  for (std::size_t i = 0; i < 48; ++i) secret[i] = master[i] = static_cast<std::uint8_t>(i);
  for (std::size_t i = 0; i < 32; ++i) {
    client_random[i] = static_cast<std::uint8_t>(0x40 + i);
    server_random[i] = static_cast<std::uint8_t>(0x60 + i);
  }

  std::printf("%-32s %-30s %-40s %s\n", "suite", "record", "opened", "result");
  bool all_ok = true;
  for (const cipher_suite* suite : matrix_cipher_suites()) {
    // Two protections from the same keys: one seals, one opens, as two peers would.
    const auto client_secret = bytes_view(secret).first(suite->hash_length());
    const connection_secrets secrets{client_secret, client_secret, master, client_random, server_random};
    auto make = [&] { return protection_from_secrets(*suite, secrets, role::client); };
    std::string record_hex = "-", opened = "-", result = "ok";
    auto sealer = make();
    auto opener = make();
    if (auto* e = std::get_if<config_error>(&sealer)) {
      result = "FAILED: " + e->message;
    } else {
      auto& s = std::get<record_protection>(sealer);
      const auto alert_bytes = encode_alert({alert_level::warning, alert_description::close_notify});
      std::vector<std::uint8_t> out(s.sealed_size(2));
      auto sealed = s.seal(content_type::alert, alert_bytes, out);
      if (auto* f = std::get_if<fatal>(&sealed)) {
        result = "FAILED: cannot seal: " + std::string(f->reason);
      } else {
        out.resize(std::get<std::size_t>(sealed));
        const std::string full = to_hex(out);
        record_hex = full.size() > 28 ? full.substr(0, 16) + ".." + full.substr(full.size() - 8) : full;
        std::vector<std::string> lines;
        auto o = open_all(std::get<record_protection>(opener), out, false, &lines);
        if (auto* f = std::get_if<failure>(&o)) {
          result = "FAILED: " + f->message;
        } else if (lines.size() != 1 || lines[0] != "alert warning close_notify (0x01 0x00)") {
          result = "FAILED: unexpected content";
          if (!lines.empty()) opened = lines[0];
        } else {
          opened = lines[0];
        }
      }
    }
    if (result != "ok") all_ok = false;
    std::printf("%-32s %-30s %-40s %s\n", std::string(suite->name).c_str(), record_hex.c_str(),
                opened.c_str(), result.c_str());
  }
  return all_ok ? exit_ok : exit_rejected;
}

}  // namespace closenotify::cli

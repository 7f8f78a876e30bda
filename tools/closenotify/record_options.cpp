// record_options.cpp — the key material of `seal` and `open`, from the command line or a
// key log.
#include "record_options.hpp"

#include <algorithm>
#include <span>

#include "closenotify/cipher_suite.hpp"
#include "closenotify/connection_secrets.hpp"
#include "closenotify/dtls_record_framing.hpp"
#include "closenotify/hex.hpp"
#include "closenotify/keylog.hpp"
#include "input_file.hpp"

namespace closenotify::cli {

const std::vector<std::string_view> kKeyOptions = {"suite", "secret", "master-secret", "client-random",
                                                   "server-random", "role", "keylog", "seq", "epoch"};

bool wants_help(const std::vector<std::string>& args) {
  return std::find_if(args.begin(), args.end(), [](const std::string& a) {
           return a == "--help" || a == "-h";
         }) != args.end();
}

std::variant<std::vector<std::uint8_t>, failure> hex_option(const options& o, std::string_view name) {
  auto r = from_hex(*o.get(name));
  if (auto* e = std::get_if<config_error>(&r)) {
    return usage("--" + std::string(name) + ": " + e->message);
  }
  return std::get<std::vector<std::uint8_t>>(std::move(r));
}

namespace {

std::string suite_names(std::span<const cipher_suite> suites) {
  std::string out;
  for (const auto& s : suites) {
    if (!out.empty()) out += ", ";
    out += s.name;
  }
  return out;
}
std::string known_suites() { return suite_names(all_cipher_suites()); }

// The DTLS 1.2 suites share their names with TLS 1.2 suites, so the name cannot say which
// protocol is meant; --epoch, a field only DTLS records have, does.
std::variant<const cipher_suite*, failure> find_suite(const std::string& name, bool dtls) {
  if (!dtls) {
    if (const cipher_suite* s = find_cipher_suite(name)) return s;
    return usage("unknown cipher suite '" + name + "' (known: " + known_suites() + ")");
  }
  if (const cipher_suite* s = find_dtls12_cipher_suite(name)) return s;
  const std::string dtls_suites = suite_names(dtls12_cipher_suites());
  if (find_cipher_suite(name) != nullptr) {
    return usage("--epoch is for DTLS 1.2 records, and '" + name + "' is not a DTLS 1.2 suite (DTLS 1.2: " +
                 dtls_suites + ")");
  }
  return usage("unknown DTLS 1.2 cipher suite '" + name + "' (DTLS 1.2: " + dtls_suites + ")");
}

// A key log line is about 200 bytes ("label", 32-byte random and a secret of up to 48,
// in hex); browsers' logs of many sessions stay far below 16 MiB.
constexpr tools::input_limits kKeylogLimits{16u << 20, 4096};

// load_keylog: --keylog FILE, a regular file within kKeylogLimits, with at least one key.
std::variant<keylog, failure> load_keylog(const std::string& path) {
  auto text = tools::read_input_file(path, kKeylogLimits);
  if (auto* e = std::get_if<tools::error>(&text)) return usage("--keylog: " + e->message);
  if (std::get<std::string>(text).empty()) return usage("--keylog: " + path + ": the key log is empty");
  auto parsed = keylog::parse(std::get<std::string>(text));
  if (auto* e = std::get_if<config_error>(&parsed)) return usage("--keylog: " + path + ": " + e->message);
  if (std::get<keylog>(parsed).entries().empty()) {
    return usage("--keylog: " + path + ": the key log has no keys, only comments or blank lines");
  }
  return std::get<keylog>(std::move(parsed));
}

}  // namespace

std::variant<record_protection, failure> protection_from_options(const options& o, bool seq_optional) {
  const bool dtls = o.has("epoch");
  const auto suite_name = o.get("suite");
  if (!suite_name) {
    return usage("missing --suite (known: " + (dtls ? suite_names(dtls12_cipher_suites()) : known_suites()) + ")");
  }
  auto found = find_suite(*suite_name, dtls);
  if (auto* f = std::get_if<failure>(&found)) return *f;
  const cipher_suite* suite = std::get<const cipher_suite*>(found);
  std::uint16_t epoch = 0;
  if (dtls) {
    // RFC 6347 §4.1: "uint16 epoch;"
    const auto e = parse_unsigned<std::uint16_t>(*o.get("epoch"));
    if (!e) return usage("--epoch: not an epoch 0..65535: '" + *o.get("epoch") + "'");
    epoch = *e;
  }
  // A DTLS receiver's records bring their own sequence numbers: `open` reads --seq as the
  // replay window's start and may go without it (open.cpp).
  const auto seq_text = o.get("seq");
  if (!seq_text && !(dtls && seq_optional)) {
    return usage("missing --seq (the record's sequence number, e.g. --seq 0)");
  }
  auto seq = seq_text ? parse_unsigned<std::uint64_t>(*seq_text) : std::optional<std::uint64_t>(0);
  if (!seq) return usage("--seq: not a sequence number: '" + *seq_text + "'");
  // RFC 6347 §4.1: "uint48 sequence_number;". Checked here, so the message names the
  // option rather than the library's set-up.
  if (dtls && *seq > dtls_max_sequence_number) {
    return usage("--seq: " + *seq_text + " does not fit DTLS's 48-bit sequence number (at most " +
                 std::to_string(dtls_max_sequence_number) + ")");
  }

  std::optional<role> sender;
  if (const auto r = o.get("role")) {
    if (*r == "client") sender = role::client;
    else if (*r == "server") sender = role::server;
    else return usage("--role: expected client or server, got '" + *r + "'");
  }

  std::optional<keylog> log;
  if (const auto path = o.get("keylog")) {
    auto loaded = load_keylog(*path);
    if (auto* f = std::get_if<failure>(&loaded)) return *f;
    log = std::get<keylog>(std::move(loaded));
  }
  std::optional<std::vector<std::uint8_t>> client_random;
  if (o.has("client-random")) {
    auto r = hex_option(o, "client-random");
    if (auto* f = std::get_if<failure>(&r)) return *f;
    client_random = std::get<std::vector<std::uint8_t>>(std::move(r));
  }
  const auto random_view = [&]() -> std::optional<bytes_view> {
    if (client_random) return bytes_view(*client_random);
    return std::nullopt;
  };

  if (suite->version == protocol_version::tls13) {
    for (const char* tls12_only : {"master-secret", "server-random"}) {
      if (o.has(tls12_only)) {
        return usage(std::string("--") + tls12_only + " is for TLS 1.2 suites; " +
                     std::string(suite->name) + " is TLS 1.3 (use --secret)");
      }
    }
    std::vector<std::uint8_t> secret;
    if (o.has("secret") && log) return usage("give --secret or --keylog, not both");
    if (o.has("secret")) {
      auto r = hex_option(o, "secret");
      if (auto* f = std::get_if<failure>(&r)) return *f;
      secret = std::get<std::vector<std::uint8_t>>(std::move(r));
    } else if (log) {
      if (!sender) return usage("--keylog needs --role client|server (the side that sent the record)");
      const auto label = *sender == role::client ? keylog_client_traffic_secret_0
                                                 : keylog_server_traffic_secret_0;
      const keylog_entry* e = log->find(label, random_view());
      if (e == nullptr) {
        return usage("--keylog: no single " + std::string(label) +
                     (client_random ? " line for that --client-random"
                                    : " line (several connections? give --client-random)"));
      }
      secret.assign(e->secret.view().begin(), e->secret.view().end());
    } else {
      return usage("missing --secret (or --keylog FILE --role client|server)");
    }
    const role who = sender.value_or(role::client);  // with --secret the secret names its sender
    const connection_secrets secrets{secret, secret, {}, {}, {}};
    auto p = protection_from_secrets(*suite, secrets, who, *seq);
    if (auto* e = std::get_if<config_error>(&p)) {
      return usage((log ? "--keylog: " : "--secret: ") + e->message);
    }
    return std::get<record_protection>(std::move(p));
  }

  // TLS 1.2
  if (o.has("secret")) {
    return usage("--secret is for TLS 1.3 suites; " + std::string(suite->name) +
                 (dtls ? " is DTLS 1.2" : " is TLS 1.2") + " (use --master-secret --client-random --server-random --role)");
  }
  if (!sender) return usage("missing --role client|server (the side that sent the record)");
  if (!o.has("server-random")) return usage("missing --server-random (TLS 1.2 key expansion needs it)");
  auto server_random = hex_option(o, "server-random");
  if (auto* f = std::get_if<failure>(&server_random)) return *f;

  std::vector<std::uint8_t> master;
  if (o.has("master-secret") && log) return usage("give --master-secret or --keylog, not both");
  if (o.has("master-secret")) {
    auto r = hex_option(o, "master-secret");
    if (auto* f = std::get_if<failure>(&r)) return *f;
    master = std::get<std::vector<std::uint8_t>>(std::move(r));
    if (!client_random) return usage("missing --client-random (TLS 1.2 key expansion needs it)");
  } else if (log) {
    const keylog_entry* e = log->find(keylog_client_random, random_view());
    if (e == nullptr) {
      return usage(std::string("--keylog: no single CLIENT_RANDOM line") +
                   (client_random ? " for that --client-random"
                                  : " (several connections? give --client-random)"));
    }
    master.assign(e->secret.view().begin(), e->secret.view().end());
    if (!client_random) client_random.emplace(e->client_random.begin(), e->client_random.end());
  } else {
    return usage("missing --master-secret (or --keylog FILE)");
  }
  const connection_secrets secrets{{}, {}, master, *client_random, std::get<std::vector<std::uint8_t>>(server_random)};
  auto p = protection_from_secrets(*suite, secrets, *sender, *seq, dtls ? epoch : 1);
  if (auto* e = std::get_if<config_error>(&p)) return usage(e->message);
  return std::get<record_protection>(std::move(p));
}

}  // namespace closenotify::cli

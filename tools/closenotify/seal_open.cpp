// seal_open.cpp — the seal, open and demo commands: option parsing, key material from
// the command line or a key log, and the readable / JSON rendering of opened records.
#include <algorithm>
#include <charconv>
#include <cstdio>
#include <string>
#include <vector>

#include "closenotify/alert.hpp"
#include "closenotify/cipher_suite.hpp"
#include "closenotify/hex.hpp"
#include "closenotify/key_schedule.hpp"
#include "closenotify/keylog.hpp"
#include "closenotify/record_framing.hpp"
#include "closenotify/record_protection.hpp"
#include "input_file.hpp"
#include "json.hpp"
#include "commands.hpp"

namespace closenotify::cli {

const char* const seal_help =
    "usage: closenotify seal --suite NAME (--secret HEX | TLS 1.2 keys | --keylog FILE --role R)\n"
    "                        --seq N (--alert DESC[:LEVEL] | --data HEX | --handshake HEX)\n"
    "                        [--pad N] [--type N] [--outer-type N] [--record-version HEX]\n"
    "\n"
    "Protects one record and prints the whole record (header included) as one line of\n"
    "lowercase hex.\n"
    "\n"
    "key material:\n"
    "  --suite NAME          cipher suite by OpenSSL name, IANA name or code point\n"
    "                        (TLS_AES_128_GCM_SHA256, ECDHE-ECDSA-AES128-GCM-SHA256, 0x1301)\n"
    "  --secret HEX          TLS 1.3: the sender's application traffic secret (Hash.length bytes)\n"
    "  --master-secret HEX   TLS 1.2: the 48-byte master secret\n"
    "  --client-random HEX   TLS 1.2: ClientHello.random (32 bytes); with --keylog, selects the\n"
    "                        connection when the file holds several\n"
    "  --server-random HEX   TLS 1.2: ServerHello.random (32 bytes), always required\n"
    "  --role client|server  the side that sent (sealed) the record: whose write keys are used\n"
    "  --keylog FILE         NSS key log (SSLKEYLOGFILE): TLS 1.3 takes --role's\n"
    "                        CLIENT_/SERVER_TRAFFIC_SECRET_0, TLS 1.2 the CLIENT_RANDOM line\n"
    "                        (a regular file of at most 16 MiB)\n"
    "  --seq N               the record's sequence number (decimal, 0 for the first record\n"
    "                        under these keys)\n"
    "\n"
    "content (exactly one):\n"
    "  --alert DESC[:LEVEL]  an alert; DESC by RFC name (close_notify) or number 0..255;\n"
    "                        LEVEL warning|fatal|1|2, default warning for close_notify and\n"
    "                        user_canceled, fatal for every other description\n"
    "  --data HEX            application_data bytes\n"
    "  --handshake HEX       a handshake message, header included (e.g. KeyUpdate 1800000100)\n"
    "\n"
    "hostile input:\n"
    "  --pad N               TLS 1.3: N zero bytes of TLSInnerPlaintext padding\n"
    "  --type N              seal the content under another (valid) content type, e.g. 22\n"
    "  --outer-type N        rewrite the header's type byte after sealing (breaks the tag\n"
    "                        where the header is authenticated; exercises framing checks)\n"
    "  --record-version HEX  rewrite the header's version after sealing (e.g. 0301)\n"
    "\n"
    "examples:\n"
    "  closenotify seal --suite TLS_AES_128_GCM_SHA256 --secret 000102...1f --seq 0 \\\n"
    "      --alert close_notify\n"
    "  closenotify seal --suite ECDHE-ECDSA-AES128-GCM-SHA256 --master-secret 00...2f \\\n"
    "      --client-random 40...5f --server-random 60...7f --role client --seq 1 --data 68656c6c6f\n"
    "  closenotify seal --suite TLS_CHACHA20_POLY1305_SHA256 --keylog keys.txt --role server \\\n"
    "      --seq 3 --alert handshake_failure:warning --pad 10\n";

const char* const open_help =
    "usage: closenotify open --suite NAME (--secret HEX | TLS 1.2 keys | --keylog FILE --role R)\n"
    "                        --seq N [--json] RECORD_HEX\n"
    "\n"
    "Authenticates and decodes the records in RECORD_HEX, one line each. Consecutive\n"
    "records are opened with consecutive sequence numbers, starting at --seq.\n"
    "Spaces, newlines and ':' between hex bytes are ignored, so RFC traces paste as printed.\n"
    "\n"
    "options:\n"
    "  --suite, --secret, --master-secret, --client-random, --server-random, --keylog\n"
    "                        as for `closenotify seal --help`\n"
    "  --role client|server  the side that SENT the record (whose write keys protect it)\n"
    "  --seq N               the first record's sequence number (decimal)\n"
    "  --json                print one JSON object per record instead of a line of text\n"
    "\n"
    "output, one line per record:\n"
    "  alert warning close_notify (0x01 0x00)\n"
    "  application_data 5 bytes: 68656c6c6f\n"
    "  handshake 5 bytes: key_update update_not_requested: 1800000100\n"
    "\n"
    "A record that does not open ends the command with exit status 1 and one line, e.g.\n"
    "  closenotify: error: record rejected: bad_record_mac (decryption failed or bad record mac)\n"
    "  closenotify: error: record truncated: header says 19 bytes, 10 present\n"
    "\n"
    "examples:\n"
    "  closenotify open --suite TLS_AES_128_GCM_SHA256 --secret 000102...1f --seq 0 1703030013...\n"
    "  closenotify open --suite 0xc02b --keylog keys.txt --server-random 60...7f --role client \\\n"
    "      --seq 1 --json 1503030022...\n";

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

namespace {

// ---- parsing ------------------------------------------------------------------------


template <class T>
std::optional<T> parse_unsigned(std::string_view s, int base = 10) {
  T value{};
  if (s.empty()) return std::nullopt;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value, base);
  if (ec != std::errc{} || ptr != s.data() + s.size()) return std::nullopt;
  return value;
}

std::variant<std::vector<std::uint8_t>, failure> hex_option(const options& o, std::string_view name) {
  auto r = from_hex(*o.get(name));
  if (auto* e = std::get_if<config_error>(&r)) {
    return usage("--" + std::string(name) + ": " + e->message);
  }
  return std::get<std::vector<std::uint8_t>>(std::move(r));
}

std::string known_suites() {
  std::string out;
  for (const auto& s : all_cipher_suites()) {
    if (!out.empty()) out += ", ";
    out += s.name;
  }
  return out;
}

// ---- keys ---------------------------------------------------------------------------

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

std::variant<record_protection, failure> protection_from_options(const options& o) {
  const auto suite_name = o.get("suite");
  if (!suite_name) return usage("missing --suite (known: " + known_suites() + ")");
  const cipher_suite* suite = find_cipher_suite(*suite_name);
  if (suite == nullptr) {
    return usage("unknown cipher suite '" + *suite_name + "' (known: " + known_suites() + ")");
  }
  const auto seq_text = o.get("seq");
  if (!seq_text) return usage("missing --seq (the record's sequence number, e.g. --seq 0)");
  const auto seq = parse_unsigned<std::uint64_t>(*seq_text);
  if (!seq) return usage("--seq: not a sequence number: '" + *seq_text + "'");

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
    auto p = record_protection::tls13(*suite, secret, *seq);
    if (auto* e = std::get_if<config_error>(&p)) {
      return usage((log ? "--keylog: " : "--secret: ") + e->message);
    }
    return std::get<record_protection>(std::move(p));
  }

  // TLS 1.2
  if (o.has("secret")) {
    return usage("--secret is for TLS 1.3 suites; " + std::string(suite->name) +
                 " is TLS 1.2 (use --master-secret --client-random --server-random --role)");
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
  auto block = tls12_derive_key_block(*suite, master, *client_random,
                                      std::get<std::vector<std::uint8_t>>(server_random));
  if (auto* e = std::get_if<config_error>(&block)) return usage(e->message);
  const auto& kb = std::get<tls12_key_block>(block);
  auto p = record_protection::tls12(*suite, *sender == role::client ? kb.client_write : kb.server_write,
                                    *seq);
  if (auto* e = std::get_if<config_error>(&p)) return usage(e->message);
  return std::get<record_protection>(std::move(p));
}

// ---- rendering ----------------------------------------------------------------------

std::string type_name(content_type t) {
  const auto name = to_string(t);
  if (name != "unknown") return std::string(name);
  return "type(" + std::to_string(static_cast<int>(t)) + ")";
}

std::string byte_hex(std::uint8_t b) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%02x", b);
  return buf;
}

std::uint32_t be(bytes_view b, std::size_t at, std::size_t n) {
  std::uint32_t v = 0;
  for (std::size_t i = 0; i < n; ++i) v = (v << 8) | b[at + i];
  return v;
}

/// describe_handshake: the post-handshake messages closenotify meets, briefly; anything
/// else by its type number. Never reads past the buffer.
std::string describe_handshake(bytes_view m) {
  if (m.size() < 4) return "truncated handshake header";
  const auto type = m[0];
  const std::size_t length = be(m, 1, 3);
  const bytes_view body = m.subspan(4, std::min(length, m.size() - 4));
  std::string out;
  switch (static_cast<handshake_type>(type)) {
    case handshake_type::key_update: {
      out = "key_update";
      // RFC 8446 §4.6.3: enum { update_not_requested(0), update_requested(1), (255) }
      if (body.size() == 1) {
        out += body[0] == 0   ? " update_not_requested"
               : body[0] == 1 ? " update_requested"
                              : " request_update(" + std::to_string(body[0]) + ")";
      }
      break;
    }
    case handshake_type::new_session_ticket: {
      out = "new_session_ticket";
      // RFC 8446 §4.6.1: lifetime(4) age_add(4) nonce<0..255> ticket<1..2^16-1> extensions<0..2^16-2>
      if (body.size() >= 9) {
        out += " lifetime=" + std::to_string(be(body, 0, 4));
        const std::size_t nonce_len = body[8];
        if (body.size() >= 9 + nonce_len + 2) {
          out += " nonce=" + to_hex(body.subspan(9, nonce_len));
          const std::size_t ticket_len = be(body, 9 + nonce_len, 2);
          out += " ticket=" + std::to_string(ticket_len) + " bytes";
        }
      }
      break;
    }
    case handshake_type::hello_request: out = "hello_request"; break;
    case handshake_type::client_hello: out = "client_hello"; break;
    case handshake_type::server_hello: out = "server_hello"; break;
    default: out = "handshake_type(" + std::to_string(type) + ")"; break;
  }
  if (length + 4 != m.size()) {
    out += " (header says " + std::to_string(length) + " bytes, " + std::to_string(m.size() - 4) +
           " present)";
  }
  return out;
}

std::string render(const tls_plaintext& p, std::uint64_t seq, bool json) {
  const bytes_view f = p.fragment;
  if (json) {
    tools::json j = {{"seq", seq}, {"type", type_name(p.type)}, {"length", f.size()}, {"hex", to_hex(f)}};
    if (p.type == content_type::alert && f.size() == 2) {
      j["level"] = to_string(static_cast<alert_level>(f[0]));
      j["description"] = to_string(static_cast<alert_description>(f[1]));
    } else if (p.type == content_type::handshake) {
      j["handshake"] = describe_handshake(f);
    }
    return tools::json_text(j);  // one line per record
  }
  if (p.type == content_type::alert && f.size() == 2) {
    return "alert " + std::string(to_string(static_cast<alert_level>(f[0]))) + " " +
           std::string(to_string(static_cast<alert_description>(f[1]))) + " (" + byte_hex(f[0]) +
           " " + byte_hex(f[1]) + ")";
  }
  std::string out = type_name(p.type) + " " + std::to_string(f.size()) + " bytes: ";
  if (p.type == content_type::handshake) out += describe_handshake(f) + ": ";
  return out + to_hex(f);
}

std::string rejected(const fatal& f) {
  return "record rejected: " +
         (f.send ? std::string(to_string(*f.send)) : std::string("no alert")) + " (" +
         std::string(f.reason) + ")";
}

/// open_all: frames and opens every record in `wire`, printing one line each; stops at
/// the first that does not open.
outcome open_all(record_protection& prot, std::vector<std::uint8_t> wire, bool json,
                 std::vector<std::string>* lines) {
  const auto v = prot.version();
  std::size_t at = 0;
  if (wire.empty()) return failure{exit_rejected, "record truncated: no bytes given"};
  while (at < wire.size()) {
    const bytes_view rest(wire.data() + at, wire.size() - at);
    const frame_result framed = parse_record(rest, v);
    if (const auto* more = std::get_if<need_more>(&framed)) {
      if (rest.size() < record_header_size) {
        return failure{exit_rejected, "record truncated: " + std::to_string(rest.size()) +
                                          " bytes, a record header is 5"};
      }
      return failure{exit_rejected,
                     "record truncated: header says " + std::to_string(more->total - record_header_size) +
                         " bytes, " + std::to_string(rest.size() - record_header_size) + " present"};
    }
    if (const auto* f = std::get_if<fatal>(&framed)) return failure{exit_rejected, rejected(*f)};
    const auto& record = std::get<tls_ciphertext>(framed);
    const record_header header = record.header;
    const std::size_t size = record.size();
    const std::uint64_t seq = prot.sequence_number();
    const mutable_bytes fragment(wire.data() + at + record_header_size, size - record_header_size);
    auto opened = prot.open(header, fragment);
    if (const auto* f = std::get_if<fatal>(&opened)) return failure{exit_rejected, rejected(*f)};
    const auto& plain = std::get<tls_plaintext>(opened);
    if (auto bad_type = check_record_type(plain.type, v)) {
      return failure{exit_rejected, rejected(*bad_type)};
    }
    if (plain.type == content_type::alert) {
      if (auto parsed = parse_alert(plain.fragment); std::holds_alternative<fatal>(parsed)) {
        return failure{exit_rejected, rejected(std::get<fatal>(parsed)) + ": alert of " +
                                          std::to_string(plain.fragment.size()) + " bytes: " +
                                          to_hex(plain.fragment)};
      }
    }
    const std::string line = render(plain, seq, json);
    if (lines) lines->push_back(line);
    else std::printf("%s\n", line.c_str());
    at += size;
  }
  return exit_ok;
}

// ---- the seal content -----------------------------------------------------------------

struct content {
  content_type type;
  std::vector<std::uint8_t> bytes;
};

std::variant<content, failure> content_from_options(const options& o) {
  const int given = int(o.has("alert")) + int(o.has("data")) + int(o.has("handshake"));
  if (given != 1) {
    return usage(given == 0 ? "missing content: give --alert, --data or --handshake"
                            : "give only one of --alert, --data, --handshake");
  }
  content c;
  if (const auto a = o.get("alert")) {
    const auto colon = a->find(':');
    const std::string desc_text = a->substr(0, colon);
    const auto desc = parse_alert_description(desc_text);
    if (!desc) {
      return usage("--alert: unknown alert description '" + desc_text +
                   "' (an RFC name such as close_notify, or a number 0..255)");
    }
    // RFC 8446 §6: close_notify and user_canceled are the closure alerts, sent as warnings
    // by TLS 1.2 and (by convention) TLS 1.3; "All the alerts listed in Section 6.2 MUST be
    // sent with AlertLevel=fatal".
    alert_level level = (*desc == alert_description::close_notify ||
                         *desc == alert_description::user_canceled)
                            ? alert_level::warning
                            : alert_level::fatal;
    if (colon != std::string::npos) {
      const std::string level_text = a->substr(colon + 1);
      // RFC 8446 §6: "enum { warning(1), fatal(2), (255) } AlertLevel;": the levels
      // --help lists, by name or number.
      if (auto l = parse_alert_level(level_text)) {
        level = *l;
      } else {
        return usage("--alert: unknown alert level '" + level_text + "' (warning, fatal, 1 or 2)");
      }
    }
    const auto bytes = encode_alert(alert{level, *desc});
    c = {content_type::alert, {bytes.begin(), bytes.end()}};
  } else {
    const bool data = o.has("data");
    auto r = hex_option(o, data ? "data" : "handshake");
    if (auto* f = std::get_if<failure>(&r)) return *f;
    c = {data ? content_type::application_data : content_type::handshake,
         std::get<std::vector<std::uint8_t>>(std::move(r))};
  }
  if (const auto t = o.get("type")) {
    const auto n = parse_unsigned<unsigned>(*t);
    if (!n || *n > 255) return usage("--type: not a content type 0..255: '" + *t + "'");
    c.type = static_cast<content_type>(*n);
  }
  return c;
}

const std::vector<std::string_view> kKeyOptions = {"suite", "secret", "master-secret", "client-random",
                                                   "server-random", "role", "keylog", "seq"};

bool wants_help(const std::vector<std::string>& args) {
  return std::find_if(args.begin(), args.end(), [](const std::string& a) {
           return a == "--help" || a == "-h";
         }) != args.end();
}

}  // namespace

outcome run_seal(const std::vector<std::string>& args) {
  if (wants_help(args)) {
    std::fputs(seal_help, stdout);
    return exit_ok;
  }
  auto with_value = kKeyOptions;
  for (auto n : {"alert", "data", "handshake", "pad", "type", "outer-type", "record-version"}) {
    with_value.push_back(n);
  }
  auto parsed = parse_options(args, with_value, {});
  if (auto* f = std::get_if<failure>(&parsed)) return *f;
  const auto& o = std::get<options>(parsed);
  if (!o.positional.empty()) return usage("unexpected argument '" + o.positional.front() + "'");

  auto c = content_from_options(o);
  if (auto* f = std::get_if<failure>(&c)) return *f;
  std::size_t pad = 0;
  if (const auto p = o.get("pad")) {
    const auto n = parse_unsigned<std::size_t>(*p);
    if (!n) return usage("--pad: not a number: '" + *p + "'");
    pad = *n;
  }
  std::optional<std::uint8_t> outer_type;
  if (const auto t = o.get("outer-type")) {
    const auto n = parse_unsigned<unsigned>(*t);
    if (!n || *n > 255) return usage("--outer-type: not a content type 0..255: '" + *t + "'");
    outer_type = static_cast<std::uint8_t>(*n);
  }
  std::optional<std::uint16_t> record_version;
  if (const auto rv = o.get("record-version")) {
    const auto n = parse_unsigned<std::uint16_t>(*rv, 16);
    if (!n || rv->size() != 4) return usage("--record-version: expected 4 hex digits, got '" + *rv + "'");
    record_version = *n;
  }

  auto p = protection_from_options(o);
  if (auto* f = std::get_if<failure>(&p)) return *f;
  auto& prot = std::get<record_protection>(p);
  const auto& cc = std::get<content>(c);
  if (pad > 2 * max_plaintext_length) return usage("--pad: " + std::to_string(pad) + " is too much padding");
  std::vector<std::uint8_t> out(prot.sealed_size(cc.bytes.size(), pad) + 64);
  auto sealed = prot.seal(cc.type, cc.bytes, out, pad);
  if (auto* f = std::get_if<fatal>(&sealed)) return usage("cannot seal: " + std::string(f->reason));
  out.resize(std::get<std::size_t>(sealed));
  if (outer_type) out[0] = *outer_type;
  if (record_version) {
    out[1] = static_cast<std::uint8_t>(*record_version >> 8);
    out[2] = static_cast<std::uint8_t>(*record_version);
  }
  std::printf("%s\n", to_hex(out).c_str());
  return exit_ok;
}

outcome run_open(const std::vector<std::string>& args) {
  if (wants_help(args)) {
    std::fputs(open_help, stdout);
    return exit_ok;
  }
  auto parsed = parse_options(args, kKeyOptions, {"json"});
  if (auto* f = std::get_if<failure>(&parsed)) return *f;
  const auto& o = std::get<options>(parsed);
  if (o.positional.empty()) return usage("missing RECORD_HEX (the record(s) to open, as hex)");
  // Several positionals are joined: a trace pasted unquoted arrives as many words.
  std::string joined;
  for (const auto& word : o.positional) joined += (joined.empty() ? "" : " ") + word;
  auto wire = from_hex(joined);
  if (auto* e = std::get_if<config_error>(&wire)) return usage("RECORD_HEX: " + e->message);

  auto p = protection_from_options(o);
  if (auto* f = std::get_if<failure>(&p)) return *f;
  return open_all(std::get<record_protection>(p), std::get<std::vector<std::uint8_t>>(std::move(wire)),
                  o.has("json"), nullptr);
}

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
    auto make = [&]() -> configured<record_protection> {
      if (suite->version == protocol_version::tls13) {
        return record_protection::tls13(*suite, bytes_view(secret).first(suite->hash_length()), 0);
      }
      auto block = tls12_derive_key_block(*suite, master, client_random, server_random);
      if (auto* e = std::get_if<config_error>(&block)) return *e;
      return record_protection::tls12(*suite, std::get<tls12_key_block>(block).client_write, 0);
    };
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

// seal.cpp — `closenotify seal`: one alert, application_data or handshake record
// protected under the given keys, printed as hex.
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "closenotify/alert.hpp"
#include "closenotify/hex.hpp"
#include "record_options.hpp"

namespace closenotify::cli {

const char* const seal_help =
    "usage: closenotify seal --suite NAME (--secret HEX | TLS 1.2 keys | --keylog FILE --role R)\n"
    "                        [--epoch E] --seq N (--alert DESC[:LEVEL] | --data HEX | --handshake HEX)\n"
    "                        [--pad N] [--type N] [--outer-type N] [--record-version HEX]\n"
    "\n"
    "Protects one record and prints the whole record (header included) as one line of\n"
    "lowercase hex. With --epoch the record is DTLS 1.2 (RFC 6347: a 13-byte header with\n"
    "epoch and 48-bit sequence number), otherwise TLS.\n"
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
    "                        under these keys; DTLS: 0..2^48-1, and the largest, 2^48-1, is\n"
    "                        never sealed because the next would wrap)\n"
    "  --epoch E             DTLS 1.2: the record's epoch, 0..65535 (1 for the first epoch a\n"
    "                        handshake protects). Selects DTLS: the suite must be one of the\n"
    "                        DTLS 1.2 suites, ECDHE-ECDSA-AES128-GCM-SHA256,\n"
    "                        ECDHE-ECDSA-AES256-GCM-SHA384, ECDHE-ECDSA-CHACHA20-POLY1305, keyed\n"
    "                        as for TLS 1.2 (the key log's CLIENT_RANDOM line). AES-GCM's\n"
    "                        nonce_explicit is epoch || seq (OpenSSL's own is random)\n"
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
    "  --record-version HEX  rewrite the header's version after sealing (e.g. 0301; DTLS 1.2\n"
    "                        is fefd)\n"
    "\n"
    "examples:\n"
    "  closenotify seal --suite TLS_AES_128_GCM_SHA256 --secret 000102...1f --seq 0 \\\n"
    "      --alert close_notify\n"
    "  closenotify seal --suite ECDHE-ECDSA-AES128-GCM-SHA256 --master-secret 00...2f \\\n"
    "      --client-random 40...5f --server-random 60...7f --role client --seq 1 --data 68656c6c6f\n"
    "  closenotify seal --suite TLS_CHACHA20_POLY1305_SHA256 --keylog keys.txt --role server \\\n"
    "      --seq 3 --alert handshake_failure:warning --pad 10\n"
    "  closenotify seal --suite ECDHE-ECDSA-CHACHA20-POLY1305 --keylog keys.txt --server-random 60...7f \\\n"
    "      --role client --epoch 1 --seq 2 --alert close_notify\n";

namespace {

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
  if (auto* f = std::get_if<fatal>(&sealed)) {
    std::string why = "cannot seal: " + std::string(f->reason);
    // The limit is 2^48-1 itself: RFC 6347's uint48 field holds it, but the record after it
    // could only wrap, and a wrapped sequence number reuses a nonce.
    if (prot.version() == protocol_version::dtls12 && prot.sequence_number() == dtls_max_sequence_number) {
      why += " (--seq " + std::to_string(dtls_max_sequence_number) +
             " is DTLS's last sequence number: a record after it would wrap)";
    }
    return usage(why);
  }
  out.resize(std::get<std::size_t>(sealed));
  if (outer_type) out[0] = *outer_type;
  if (record_version) {
    out[1] = static_cast<std::uint8_t>(*record_version >> 8);
    out[2] = static_cast<std::uint8_t>(*record_version);
  }
  std::printf("%s\n", to_hex(out).c_str());
  return exit_ok;
}

}  // namespace closenotify::cli

// open.cpp — `closenotify open`: records given as hex, authenticated and decoded one by
// one, as text or one JSON object per record.
#include <cstdio>
#include <string>
#include <vector>

#include "closenotify/alert.hpp"
#include "closenotify/hex.hpp"
#include "closenotify/record_framing.hpp"
#include "json.hpp"
#include "record_options.hpp"

namespace closenotify::cli {

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
    "  closenotify: error: record rejected: bad_record_mac (decryption failed or bad record mac): the\n"
    "      record does not authenticate with these keys as sequence number 0 (check --seq, and\n"
    "      --role: the side that sent it; in TLS 1.3 a server's NewSessionTickets take its first\n"
    "      sequence numbers)\n"
    "  closenotify: error: record truncated: header says 19 bytes, 10 present\n"
    "\n"
    "examples:\n"
    "  closenotify open --suite TLS_AES_128_GCM_SHA256 --secret 000102...1f --seq 0 1703030013...\n"
    "  closenotify open --suite 0xc02b --keylog keys.txt --server-random 60...7f --role client \\\n"
    "      --seq 1 --json 1503030022...\n";

namespace {

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

}  // namespace

outcome open_all(record_protection& prot, std::vector<std::uint8_t> wire, bool json,
                 std::vector<std::string>* lines, std::string_view not_authentic_hint) {
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
    if (const auto* f = std::get_if<fatal>(&opened)) {
      if (f->send == alert_description::bad_record_mac && !not_authentic_hint.empty()) {
        return failure{exit_rejected, rejected(*f) + ": the record does not authenticate with these keys as sequence number " +
                                          std::to_string(seq) + " " + std::string(not_authentic_hint)};
      }
      return failure{exit_rejected, rejected(*f)};
    }
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
  // A record that does not authenticate is most often opened under the wrong sequence
  // number or the other side's keys, not damaged: say what to check.
  const bool tls13 = std::get<record_protection>(p).version() == protocol_version::tls13;
  std::string hint = o.has("secret") ? "(check --seq, and that --secret is the traffic secret of the side that sent it"
                                     : "(check --seq, and --role: the side that sent it";
  hint += tls13 ? "; in TLS 1.3 a server's NewSessionTickets take its first sequence numbers)" : ")";
  return open_all(std::get<record_protection>(p), std::get<std::vector<std::uint8_t>>(std::move(wire)),
                  o.has("json"), nullptr, hint);
}

}  // namespace closenotify::cli

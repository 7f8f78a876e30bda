// open.cpp — `closenotify open`: records given as hex, authenticated and decoded one by
// one, as text or one JSON object per record.
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "closenotify/alert.hpp"
#include "closenotify/dtls_record_open.hpp"
#include "closenotify/dtls_replay_window.hpp"
#include "closenotify/hex.hpp"
#include "closenotify/record_framing.hpp"
#include "json.hpp"
#include "record_options.hpp"

namespace closenotify::cli {

const char* const open_help =
    "usage: closenotify open --suite NAME (--secret HEX | TLS 1.2 keys | --keylog FILE --role R)\n"
    "                        --seq N [--json] RECORD_HEX\n"
    "       closenotify open --suite NAME (TLS 1.2 keys | --keylog FILE --role R) --epoch E\n"
    "                        [--seq N] [--json] DATAGRAM_HEX[,DATAGRAM_HEX...]\n"
    "\n"
    "Authenticates and decodes the records in RECORD_HEX, one line each. Consecutive\n"
    "records are opened with consecutive sequence numbers, starting at --seq.\n"
    "Spaces, newlines and ':' between hex bytes are ignored, so RFC traces paste as printed.\n"
    "\n"
    "DTLS 1.2 (--epoch): the hex is one or more datagrams, separated by ','. Each DTLS\n"
    "record carries its epoch and sequence number, and every record of every datagram gets\n"
    "one line, as a DTLS receiver (OpenSSL's dtls1_get_record) reads them: opened, or\n"
    "discarded with the reason, after which the receiver reads on (RFC 6347 §4.1.2.7:\n"
    "\"invalid records SHOULD be silently discarded\"). One replay window (RFC 6347 §4.1.2.6,\n"
    "64 records) runs over all the datagrams, so a record given twice is \"replayed\".\n"
    "\n"
    "options:\n"
    "  --suite, --secret, --master-secret, --client-random, --server-random, --keylog\n"
    "                        as for `closenotify seal --help`\n"
    "  --role client|server  the side that SENT the record (whose write keys protect it)\n"
    "  --seq N               the first record's sequence number (decimal). DTLS: optional;\n"
    "                        the receiver has already read every number below N (its replay\n"
    "                        window; default 0, a fresh window). At most 2^48-1\n"
    "  --epoch E             DTLS 1.2: the receiver's current epoch, 0..65535 (1 after the\n"
    "                        first handshake); records of any other epoch are discarded.\n"
    "                        Selects DTLS (the DTLS 1.2 suites are the three ECDHE-ECDSA\n"
    "                        AEAD suites)\n"
    "  --json                print one JSON object per record instead of a line of text\n"
    "\n"
    "output, one line per record:\n"
    "  alert warning close_notify (0x01 0x00)\n"
    "  application_data 5 bytes: 68656c6c6f\n"
    "  handshake 5 bytes: key_update update_not_requested: 1800000100\n"
    "DTLS, each line led by the record's header fields (and the datagram, when several):\n"
    "  epoch 1 seq 2: alert warning close_notify (0x01 0x00)\n"
    "  datagram 2: epoch 1 seq 2: discarded, replayed: sequence number 2 was already received\n"
    "DTLS discard reasons (docs/dtls.md): partial header, unexpected version, wrong version,\n"
    "record too long, partial record, wrong epoch, next epoch, replayed, stale, empty record,\n"
    "bad record mac, too short (a body shorter than nonce and tag).\n"
    "\n"
    "A record that does not open ends the command with exit status 1 and one line, e.g.\n"
    "  closenotify: error: record rejected: bad_record_mac (decryption failed or bad record mac): the\n"
    "      record does not authenticate with these keys as sequence number 0 (check --seq, and\n"
    "      --role: the side that sent it; in TLS 1.3 a server's NewSessionTickets take its first\n"
    "      sequence numbers)\n"
    "  closenotify: error: record truncated: header says 19 bytes, 10 present\n"
    "DTLS reads every record and then, if any was discarded, exits 1 with one line:\n"
    "  closenotify: error: 1 of 3 DTLS records discarded (a DTLS receiver drops them silently)\n"
    "\n"
    "examples:\n"
    "  closenotify open --suite TLS_AES_128_GCM_SHA256 --secret 000102...1f --seq 0 1703030013...\n"
    "  closenotify open --suite 0xc02b --keylog keys.txt --server-random 60...7f --role client \\\n"
    "      --seq 1 --json 1503030022...\n"
    "  closenotify open --suite ECDHE-ECDSA-AES128-GCM-SHA256 --keylog keys.txt \\\n"
    "      --server-random 0b49...15 --role server --epoch 1 17fefd0001...,15fefd0001...\n";

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

tools::json render_json(const tls_plaintext& p, std::uint64_t seq) {
  const bytes_view f = p.fragment;
  tools::json j = {{"seq", seq}, {"type", type_name(p.type)}, {"length", f.size()}, {"hex", to_hex(f)}};
  if (p.type == content_type::alert && f.size() == 2) {
    j["level"] = to_string(static_cast<alert_level>(f[0]));
    j["description"] = to_string(static_cast<alert_description>(f[1]));
  } else if (p.type == content_type::handshake) {
    j["handshake"] = describe_handshake(f);
  }
  return j;
}

std::string render_text(const tls_plaintext& p) {
  const bytes_view f = p.fragment;
  if (p.type == content_type::alert && f.size() == 2) {
    return "alert " + std::string(to_string(static_cast<alert_level>(f[0]))) + " " +
           std::string(to_string(static_cast<alert_description>(f[1]))) + " (" + byte_hex(f[0]) +
           " " + byte_hex(f[1]) + ")";
  }
  std::string out = type_name(p.type) + " " + std::to_string(f.size()) + " bytes: ";
  if (p.type == content_type::handshake) out += describe_handshake(f) + ": ";
  return out + to_hex(f);
}

std::string render(const tls_plaintext& p, std::uint64_t seq, bool json) {
  return json ? tools::json_text(render_json(p, seq)) : render_text(p);  // one line per record
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

namespace {

// reason_name: a discard reason as an identifier, for JSON ("partial header" -> "partial_header").
std::string reason_name(dtls_discard_reason r) {
  std::string name(to_string(r));
  for (char& c : name) {
    if (c == ' ') c = '_';
  }
  return name;
}

// peek_header: the header fields as they stand, when all 13 bytes are there. A record
// discarded from its header (version, length) is still shown by them; a partial header
// has none.
std::optional<dtls_record_header> peek_header(bytes_view rest) {
  if (rest.size() < dtls_record_header_size) return std::nullopt;
  std::uint64_t seq = 0;
  for (std::size_t i = 5; i < 11; ++i) seq = (seq << 8) | rest[i];
  return dtls_record_header{static_cast<content_type>(rest[0]), static_cast<std::uint16_t>(be(rest, 1, 2)),
                            static_cast<std::uint16_t>(be(rest, 3, 2)), seq, static_cast<std::uint16_t>(be(rest, 11, 2))};
}

std::string hex16(std::uint16_t v) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04x", v);
  return buf;
}

// why_discarded: what the check saw, in the terms of docs/dtls.md's table. `rest` is what
// was left of the datagram, `window` the replay window (a discard never updates it).
std::string why_discarded(const dtls_discard& d, const std::optional<dtls_record_header>& h, bytes_view rest,
                          const record_protection& prot, const dtls_replay_window& window) {
  // Header-only discards: OpenSSL resets the packet length without reading the body, so
  // its next header comes from inside this record's body.
  const std::string header_only = ": only its 13-byte header is skipped; the next record is read from its body";
  switch (d.reason) {
    case dtls_discard_reason::partial_header:
      return std::to_string(rest.size()) + " bytes left in the datagram, a header is 13; the rest is dropped";
    case dtls_discard_reason::unexpected_version:
      return "version " + hex16(h->version) + " is not DTLS 1.2's fefd (only an alert's may differ)" + header_only;
    case dtls_discard_reason::wrong_version:
      return "an alert of version " + hex16(h->version) + ", whose major byte is not DTLS's 0xfe" + header_only;
    case dtls_discard_reason::record_too_long:
      return "length " + std::to_string(h->length) + " is over " + std::to_string(dtls_openssl30_max_record_length) +
             ", OpenSSL 1.1.1 and 3.0's limit" + header_only;
    case dtls_discard_reason::partial_record:
      return "the header says " + std::to_string(h->length) + " bytes, " +
             std::to_string(rest.size() - dtls_record_header_size) +
             " are left in the datagram (a record never spans datagrams); the rest is dropped";
    case dtls_discard_reason::wrong_epoch:
      return "epoch " + std::to_string(h->epoch) + " is neither the current epoch " + std::to_string(prot.epoch()) +
             " nor the next";
    case dtls_discard_reason::next_epoch:
      return "epoch " + std::to_string(h->epoch) + " is the next epoch, kept only while a handshake is under way";
    case dtls_discard_reason::replayed:
      return "sequence number " + std::to_string(h->sequence_number) + " was already received (the replay window)";
    case dtls_discard_reason::stale:
      return "sequence number " + std::to_string(h->sequence_number) +
             " is left of the 64-record replay window, whose highest is " +
             std::to_string(window.max_sequence_number());
    case dtls_discard_reason::empty_record:
      return "a record of length 0";
    case dtls_discard_reason::bad_record_mac:
      return "it does not authenticate with these keys under epoch " + std::to_string(prot.epoch()) +
             " (check --role: the side that sent it)";
    case dtls_discard_reason::too_short:
      return "its body is shorter than an explicit nonce and a tag (OpenSSL 3.0 drops it; 1.1.1 and 3.5 fail "
             "the connection)";
  }
  return {};
}

// initial_window: --seq N for a DTLS receiver: every sequence number below N has been
// received, as after N records in order (OpenSSL's DTLS1_BITMAP: the highest, N-1, and a
// bit for each of the 64 up to it).
dtls_replay_window initial_window(std::uint64_t n) {
  if (n == 0) return {};
  return dtls_replay_window(n - 1, n >= dtls_replay_window::size ? ~std::uint64_t{0} : (std::uint64_t{1} << n) - 1);
}

// open_datagrams: every record of every datagram, as a DTLS receiver reads them (one
// window across the datagrams), one line each. Only a fatal outcome (a record that
// authenticates but is over 2^14 bytes, or content a receiver refuses after opening) stops
// the reading, as it ends a DTLS connection.
outcome open_datagrams(record_protection& prot, dtls_replay_window window,
                       std::vector<std::vector<std::uint8_t>> datagrams, bool json) {
  std::size_t records = 0, discarded = 0;
  const bool several = datagrams.size() > 1;
  auto emit = [&](const std::string& line) { std::printf("%s\n", line.c_str()); };
  for (std::size_t d = 0; d < datagrams.size(); ++d) {
    auto& bytes = datagrams[d];
    dtls_datagram_reader reader(bytes);
    for (;;) {
      const std::size_t at = reader.consumed();
      const bytes_view rest(bytes.data() + at, bytes.size() - at);
      const auto header = peek_header(rest);
      const dtls_read_result r = read_dtls_record(reader, prot, window);
      if (std::holds_alternative<end_of_datagram>(r)) break;
      ++records;
      tools::json j = tools::json::object();
      std::string line;
      if (several) {
        j["datagram"] = d + 1;
        line = "datagram " + std::to_string(d + 1) + ": ";
      }
      if (header) {
        j["epoch"] = header->epoch;
        j["seq"] = header->sequence_number;
        line += "epoch " + std::to_string(header->epoch) + " seq " + std::to_string(header->sequence_number) + ": ";
      } else {
        j["offset"] = at;
        line += "bytes " + std::to_string(at) + ".." + std::to_string(bytes.size()) + ": ";
      }
      if (const auto* f = std::get_if<fatal>(&r)) {
        return failure{exit_rejected, line + rejected(*f)};
      }
      if (const auto* dis = std::get_if<dtls_discard>(&r)) {
        ++discarded;
        const std::string why = why_discarded(*dis, header, rest, prot, window);
        if (json) {
          j["discarded"] = reason_name(dis->reason);
          j["consumed"] = dis->consumed;
          j["why"] = why;
          emit(tools::json_text(j));
        } else {
          emit(line + "discarded, " + std::string(to_string(dis->reason)) + ": " + why);
        }
        continue;
      }
      const auto& p = std::get<dtls_plaintext>(r);
      const tls_plaintext plain{p.type, p.fragment};
      // After opening, DTLS judges the content as TLS 1.2 does (dtls1_read_bytes: an
      // unknown type is SSL_R_UNEXPECTED_RECORD, a bad alert SSL_R_INVALID_ALERT, both fatal).
      if (auto bad_type = check_record_type(plain.type, protocol_version::dtls12)) {
        return failure{exit_rejected, line + rejected(*bad_type)};
      }
      if (plain.type == content_type::alert) {
        if (auto parsed = parse_alert(plain.fragment); std::holds_alternative<fatal>(parsed)) {
          return failure{exit_rejected, line + rejected(std::get<fatal>(parsed)) + ": alert of " +
                                            std::to_string(plain.fragment.size()) + " bytes: " + to_hex(plain.fragment)};
        }
      }
      if (json) {
        j.update(render_json(plain, p.header.sequence_number));
        emit(tools::json_text(j));
      } else {
        emit(line + render_text(plain));
      }
    }
  }
  if (records == 0) return failure{exit_rejected, "no DTLS record: the datagram is empty"};
  if (discarded > 0) {
    return failure{exit_rejected, std::to_string(discarded) + " of " + std::to_string(records) +
                                      " DTLS records discarded (a DTLS receiver drops them silently)"};
  }
  return exit_ok;
}

// split_datagrams: DATAGRAM_HEX[,DATAGRAM_HEX...], each decoded as `from_hex` does.
std::variant<std::vector<std::vector<std::uint8_t>>, failure> split_datagrams(const std::string& text) {
  std::vector<std::vector<std::uint8_t>> out;
  std::size_t start = 0;
  for (;;) {
    const std::size_t comma = text.find(',', start);
    const std::string piece = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    auto bytes = from_hex(piece);
    if (auto* e = std::get_if<config_error>(&bytes)) {
      return usage("DATAGRAM_HEX " + std::to_string(out.size() + 1) + ": " + e->message);
    }
    out.push_back(std::get<std::vector<std::uint8_t>>(std::move(bytes)));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

}  // namespace

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
  if (o.has("epoch")) {
    auto datagrams = split_datagrams(joined);
    if (auto* f = std::get_if<failure>(&datagrams)) return *f;
    auto p = protection_from_options(o, true);
    if (auto* f = std::get_if<failure>(&p)) return *f;
    // Already checked by protection_from_options: a number of at most 48 bits.
    const std::uint64_t received = o.has("seq") ? *parse_unsigned<std::uint64_t>(*o.get("seq")) : 0;
    return open_datagrams(std::get<record_protection>(p), initial_window(received),
                          std::get<std::vector<std::vector<std::uint8_t>>>(std::move(datagrams)), o.has("json"));
  }
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

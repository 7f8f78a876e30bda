// trace.cpp — rendering one run: timeline, JSON, Mermaid (see trace.hpp, docs/trace.md).
#include "trace.hpp"

#include <algorithm>
#include <regex>
#include <sstream>

#include "closenotify/alert.hpp"
#include "closenotify/hex.hpp"
#include "json.hpp"

namespace closenotify::diff {

namespace {

// --- what a step called, in the words of the side that called it -------------------

std::vector<std::string> words(const std::string& command) {
  std::istringstream in(command);
  std::vector<std::string> w;
  for (std::string x; in >> x;) w.push_back(x);
  return w;
}

// call_text: "SSL_shutdown()" for OpenSSL, "endpoint.shutdown()" for closenotify.
std::string call_text(const std::string& command, bool closenotify) {
  const auto w = words(command);
  if (w.empty()) return command;
  const std::string& v = w[0];
  const std::string arg = w.size() > 1 ? w[1] : "";
  auto ssl = [&](const std::string& openssl, const std::string& ours, const std::string& args) {
    return (closenotify ? "endpoint." + ours : openssl) + "(" + args + ")";
  };
  if (v == "shutdown") return ssl("SSL_shutdown", "shutdown", "");
  if (v == "read") return ssl("SSL_read", "read", arg);
  if (v == "peek") return ssl("SSL_peek", "peek", arg);
  if (v == "write") return ssl("SSL_write", "write", arg + " bytes");
  if (v == "write_hex") return ssl("SSL_write", "write", std::to_string(arg.size() / 2) + " bytes");
  if (v == "read_all") return ssl("SSL_read", "read", "...") + " until " + arg + " bytes";
  if (v == "write_all") return ssl("SSL_write", "write", arg + " bytes") + ", retried until done";
  if (v == "key_update") return ssl("SSL_key_update", "key_update", arg);
  if (v == "do_handshake") return ssl("SSL_do_handshake", "do_handshake", "");
  if (v == "renegotiate") return "SSL_renegotiate() + SSL_do_handshake()";
  if (v == "set" && arg == "quiet_shutdown") return ssl("SSL_set_quiet_shutdown", "set_quiet_shutdown", "1");
  if (v == "set" && arg == "ignore_unexpected_eof") {
    return closenotify ? "endpoint.set_ignore_unexpected_eof(true)" : "SSL_set_options(SSL_OP_IGNORE_UNEXPECTED_EOF)";
  }
  if (v == "set" && arg == "no_renegotiation") return "SSL_set_options(SSL_OP_NO_RENEGOTIATION)";
  if (v == "shutdown_write") return "shutdown(fd, SHUT_WR)";
  if (v == "close") return "close(fd)";
  if (v == "raw") return "write(fd, " + std::to_string(arg.size() / 2) + " raw bytes)";
  if (v == "inject") return "write(fd, a record sealed by the runner: " + (w.size() > 1 ? w[1] : "") + ")";
  if (v == "wait") return "wait";
  return command;
}

// fault_text: a `datagram` step (docs/scenarios.md): what the runner did to the datagrams
// queued for side `me` (replay: to a record `other` sent). The side's column shows it, but
// neither side called anything.
std::string fault_text(const std::string& command, char me, char other) {
  const auto w = words(command);
  const std::string what = w.size() > 1 ? w[1] : "";
  const std::size_t k_at = what == "truncate" ? 3 : 2;
  const std::string k = w.size() > k_at ? w[k_at] : "1";
  const std::string nth = k == "1" ? "the next datagram" : "datagram " + k;
  const std::string queued = " queued for " + std::string(1, me);
  if (what == "drop") return "runner: " + nth + queued + " is lost";
  if (what == "duplicate") return "runner: " + nth + queued + " arrives twice";
  if (what == "reorder") return "runner: " + nth + queued + " arrives after the one behind it";
  if (what == "truncate") return "runner: " + nth + queued + " is cut to " + (w.size() > 2 ? w[2] : "?") + " bytes";
  if (what == "replay") {
    return "runner: " + std::string(k == "1" ? "the last record " : "record " + k + " from the end that ") + other +
           " sent arrives at " + me + " again";
  }
  return "runner: " + command;
}

bool is_fault(const std::string& command) { return command.starts_with("datagram "); }

bool is_ssl_call(const std::string& command) {
  static const std::vector<std::string> not_ssl = {"set", "shutdown_write", "close", "raw", "inject", "wait",
                                                   "datagram"};
  const auto v = command.substr(0, command.find(' '));
  return std::find(not_ssl.begin(), not_ssl.end(), v) == not_ssl.end();
}

std::string openssl_function(const std::string& command) {
  const auto v = command.substr(0, command.find(' '));
  if (v == "shutdown") return "SSL_shutdown";
  if (v == "read" || v == "read_all") return "SSL_read";
  if (v == "peek") return "SSL_peek";
  if (v == "write" || v == "write_hex" || v == "write_all") return "SSL_write";
  if (v == "key_update") return "SSL_key_update";
  if (v == "do_handshake") return "SSL_do_handshake";
  return "";
}

std::string flags_text(const std::string& f) {
  if (f == "1") return "SENT";
  if (f == "2") return "RECEIVED";
  if (f == "3") return "SENT|RECEIVED";
  if (f == "0") return "none";
  return f;
}

std::string field(const observation& o, const std::string& k) {
  auto it = o.fields.find(k);
  return it == o.fields.end() ? "" : it->second;
}

// header_fields: a record header as its fields in hex, "type version length"; DTLS 1.2's
// (13 bytes, RFC 6347 §4.1) "type version epoch sequence_number length".
std::string header_fields(bytes_view h) {
  if (h.size() >= 13) {
    return to_hex(h.first(1)) + " " + to_hex(h.subspan(1, 2)) + " " + to_hex(h.subspan(3, 2)) + " " +
           to_hex(h.subspan(5, 6)) + " " + to_hex(h.subspan(11, 2));
  }
  return to_hex(h.first(1)) + " " + to_hex(h.subspan(1, 2)) + " " + to_hex(h.subspan(3, 2));
}

std::string header_text(const wire_record& r) { return header_fields(bytes_view{r.header}); }

// record_text: what a record carried, for people.
std::string record_text(const wire_record& r) {
  if (!r.opened) return r.line;
  if (r.type == content_type::alert && r.plaintext.size() == 2) {
    return "alert " + std::string(to_string(static_cast<alert_level>(r.plaintext[0]))) + " " +
           std::string(to_string(static_cast<alert_description>(r.plaintext[1])));
  }
  if (r.type == content_type::application_data) {
    std::string h = to_hex(bytes_view{r.plaintext}.first(std::min<std::size_t>(r.plaintext.size(), 12)));
    return "application_data " + std::to_string(r.plaintext.size()) + " bytes" +
           (r.plaintext.empty() ? "" : " " + h + (r.plaintext.size() > 12 ? "..." : ""));
  }
  return r.line;
}

std::string alert_kind(const wire_record& r) {
  if (r.opened && r.type == content_type::alert && r.plaintext.size() == 2) {
    return std::string(to_string(static_cast<alert_description>(r.plaintext[1])));
  }
  return "";
}

// --- the handshake's flights, from the record headers alone ------------------------

std::string handshake_message_name(std::uint8_t t) {
  switch (t) {
    case 1: return "ClientHello";
    case 2: return "ServerHello";
    case 4: return "NewSessionTicket";
    case 8: return "EncryptedExtensions";
    case 11: return "Certificate";
    case 12: return "ServerKeyExchange";
    case 14: return "ServerHelloDone";
    case 15: return "CertificateVerify";
    case 16: return "ClientKeyExchange";
    case 20: return "Finished";
    default: return "handshake type " + std::to_string(t);
  }
}

// flight_records: one line per record: plaintext handshake messages by name, the rest by
// their outer type (TLS 1.3 protects everything after ServerHello as opaque
// application_data records; TLS 1.2 what a side sends after its ChangeCipherSpec; DTLS 1.2
// every record of an epoch other than 0).
std::vector<std::string> flight_records(const std::vector<std::uint8_t>& bytes, bool tls13, bool dtls,
                                        bool& encrypted) {
  // RFC 6347 §4.1 / §4.2.2: DTLS adds epoch and sequence number to the record header (13
  // bytes) and message_seq, fragment_offset and fragment_length to the handshake header (12).
  const std::size_t header = dtls ? 13 : 5, message_header = dtls ? 12 : 4;
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos + header <= bytes.size()) {
    const std::uint8_t type = bytes[pos];
    const std::size_t len = (std::size_t{bytes[pos + header - 2]} << 8) | bytes[pos + header - 1];
    const std::size_t end = std::min(bytes.size(), pos + header + len);
    const bool protected_record = dtls ? (bytes[pos + 3] | bytes[pos + 4]) != 0 : encrypted;
    std::string line = header_fields(bytes_view{bytes}.subspan(pos, header)) + "  ";
    if (type == 22 && !protected_record) {
      std::string names;
      for (std::size_t i = pos + header; i + message_header <= end;) {
        const auto be24 = [&](std::size_t at) {
          return (std::size_t{bytes[at]} << 16) | (std::size_t{bytes[at + 1]} << 8) | bytes[at + 2];
        };
        const std::size_t mlen = be24(i + 1);
        std::size_t body = mlen;
        names += (names.empty() ? "" : ", ") + handshake_message_name(bytes[i]);
        if (dtls) {
          body = be24(i + 9);
          if (be24(i + 6) != 0 || body != mlen) names += " (fragment)";
        }
        i += message_header + body;
      }
      line += "handshake " + names;
    } else if (type == 20) {
      line += "change_cipher_spec";
      encrypted = encrypted || !tls13;  // TLS 1.2: the sender's next records are protected
    } else {
      line += type == 23 ? "encrypted record" : type == 22 ? "encrypted handshake" : "record type " + std::to_string(type);
    }
    out.push_back(line);
    pos = end;
  }
  return out;
}

// --- the timeline ------------------------------------------------------------------

enum class tone { plain, dim, bold, call, ok, want, bad, zero, wire, alert, cite, head };

struct cell_line {
  std::string text;
  tone t = tone::plain;
};

const char* sgr(tone t) {
  switch (t) {
    case tone::dim: return "\033[2m";
    case tone::bold: return "\033[1m";
    case tone::call: return "\033[1m";
    case tone::ok: return "\033[32m";
    case tone::want: return "\033[33m";
    case tone::bad: return "\033[31m";
    case tone::zero: return "\033[35m";
    case tone::wire: return "\033[36m";
    case tone::alert: return "\033[1;36m";
    case tone::cite: return "\033[2;3m";
    case tone::head: return "\033[1;4m";
    case tone::plain: return "";
  }
  return "";
}

tone result_tone(const std::string& err) {
  if (err == "NONE") return tone::ok;
  if (err == "WANT_READ" || err == "WANT_WRITE") return tone::want;
  if (err == "ZERO_RETURN") return tone::zero;
  if (err == "SSL" || err == "SYSCALL") return tone::bad;
  return tone::plain;
}

// The narrowest the timeline is laid out for; a wider --width or terminal gets wider
// columns, a narrower one this (two 30-column cells).
constexpr std::size_t kNarrowest = 69;

// wrap: `text` in lines of at most `width` characters, later lines indented.
std::vector<std::string> wrap(const std::string& text, std::size_t width, std::size_t indent = 4) {
  std::vector<std::string> out;
  std::string line;
  std::istringstream in(text);
  for (std::string w; in >> w;) {
    const std::size_t room = width - (out.empty() ? 0 : indent);
    while (w.size() > room && line.empty()) {  // one overlong word: cut it
      out.push_back((out.empty() ? "" : std::string(indent, ' ')) + w.substr(0, room));
      w.erase(0, room);
    }
    if (!line.empty() && line.size() + 1 + w.size() > room) {
      out.push_back((out.empty() ? "" : std::string(indent, ' ')) + line);
      line.clear();
    }
    line += (line.empty() ? "" : " ") + w;
  }
  if (!line.empty() || out.empty()) out.push_back((out.empty() ? "" : std::string(indent, ' ')) + line);
  return out;
}

class timeline {
 public:
  timeline(std::ostream& out, const trace_style& st) : out_(out), st_(st) {
    // A row is a 4-wide label, 2 spaces, A's column, " | ", B's column: 9 + 2 columns.
    col_ = (std::max<std::size_t>(st.width, kNarrowest) - 9) / 2;
  }

  std::string paint(const std::string& s, tone t) const {
    if (!st_.colour || t == tone::plain) return s;
    return sgr(t) + s + "\033[0m";
  }

  void add(std::vector<cell_line>& cell, const std::string& text, tone t) const {
    for (auto& l : wrap(text, col_)) cell.push_back({l, t});
  }

  void row(const std::string& label, const std::vector<cell_line>& a, const std::vector<cell_line>& b) {
    const std::size_t n = std::max(a.size(), b.size());
    for (std::size_t i = 0; i < n; ++i) {
      std::string lab = i == 0 ? label : "";
      out_ << std::string(4 - std::min<std::size_t>(4, lab.size()), ' ') << lab << "  ";
      if (i < a.size()) {
        out_ << paint(a[i].text, a[i].t) << std::string(col_ - std::min(col_, a[i].text.size()), ' ');
      } else {
        out_ << std::string(col_, ' ');
      }
      out_ << paint(" | ", tone::dim);
      if (i < b.size()) out_ << paint(b[i].text, b[i].t);
      out_ << "\n";
    }
  }

  void rule() { out_ << paint(std::string(7 + col_, '-') + "+" + std::string(col_ + 1, '-'), tone::dim) << "\n"; }
  std::size_t column() const { return col_; }

 private:
  std::ostream& out_;
  trace_style st_;
  std::size_t col_;
};

std::string side_title(const trace_input& t, side_id s) {
  const bool a = s == side_id::a;
  const bool client = a == t.c.a_is_client;
  std::string who = a && t.candidate ? "closenotify" : "OpenSSL";
  return std::string(1, side_letter(s)) + " " + who + " (" + (client ? "client" : "server") + ")";
}

std::string io_text(const cell& c) { return c.blocking ? "blocking" : "nonblocking"; }

std::string protocol_text(const cell& c) { return c.datagram ? "DTLS 1.2" : c.tls13 ? "TLS 1.3" : "TLS 1.2"; }

std::vector<std::size_t> step_cites(const std::vector<std::size_t>& placed, std::size_t step) {
  std::vector<std::size_t> out;
  for (std::size_t k = 0; k < placed.size(); ++k) {
    if (placed[k] == step) out.push_back(k);
  }
  return out;
}

std::string hex_or_empty(const std::vector<std::uint8_t>& b) { return b.empty() ? "" : to_hex(b); }

std::string mermaid_text(std::string s) {
  // ';' ends a statement and '#' starts an entity in Mermaid's sequence diagrams.
  for (char& c : s) {
    if (c == ';') c = ',';
    if (c == '#') c = ' ';
  }
  return s;
}

}  // namespace

std::vector<std::size_t> cites_for_steps(const trace_input& t) {
  std::vector<std::size_t> placed(t.s->cites.size(), std::string::npos);
  for (std::size_t k = 0; k < t.s->cites.size(); ++k) {
    const std::string& cite = t.s->cites[k];
    for (const auto& o : t.run.steps) {
      const std::string fn = openssl_function(o.command);
      if (fn.empty() || cite.find(fn) == std::string::npos) continue;
      const std::string ret = field(o, "ret"), err = field(o, "err");
      bool states = false;
      if (!err.empty() && err != "-" && err != "NONE" && cite.find("SSL_ERROR_" + err) != std::string::npos) states = true;
      if (!ret.empty()) {
        const std::regex value("(return|returns|returning|return with|returns with|will return)\\s+(with\\s+)?" +
                               std::regex_replace(ret, std::regex("-"), "\\-") + "\\b");
        if (std::regex_search(cite, value)) states = true;
      }
      if (states) {
        placed[k] = o.step;
        break;
      }
    }
  }
  return placed;
}

void print_trace(std::ostream& out, const trace_input& t, const trace_style& style) {
  timeline tl(out, style);
  const auto& s = *t.s;
  const auto& r = t.run;
  out << tl.paint("closenotify trace " + s.name, tone::head) << "\n";
  // A header field: its label in the first 12 columns, the text wrapped beside it.
  const std::size_t text_width = std::max<std::size_t>(kNarrowest, style.width) - 12;
  const auto field_line = [&](const std::string& label, const std::string& text) {
    const auto lines = wrap(text, text_width, 0);
    for (std::size_t i = 0; i < lines.size(); ++i) {
      out << (i == 0 ? "  " + label + std::string(10 - label.size(), ' ') : std::string(12, ' ')) << lines[i] << "\n";
    }
  };
  field_line("family", s.family + ": " + s.family_title + "  (" + s.file + ":" + std::to_string(s.line) + ")");
  field_line("cell", t.c.suite + " (" + protocol_text(t.c) + "), A is the " + (t.c.a_is_client ? "client" : "server") +
                         ", " + io_text(t.c) + (t.c.datagram ? " datagram sockets" : " sockets"));
  const std::string openssl = t.peer_version.empty() ? "the OpenSSL peer" : t.peer_version;
  if (t.candidate) {
    field_line("run", "candidate: A is closenotify (profile " + t.profile +
                          "), taken over from OpenSSL after the handshake; B is " + openssl);
  } else {
    field_line("run", "reference: A and B are both " + openssl);
  }
  const auto placed = cites_for_steps(t);
  for (std::size_t k = 0; k < s.cites.size(); ++k) {
    auto lines = wrap("[" + std::to_string(k + 1) + "] " + s.cites[k], text_width, 4);
    for (std::size_t i = 0; i < lines.size(); ++i) {
      out << (k == 0 && i == 0 ? "  cites     " : "            ") << tl.paint(lines[i], tone::cite) << "\n";
    }
  }
  if (!r.harness_error.empty()) {
    for (const auto& l : wrap("the run could not be carried out: " + r.harness_error, text_width + 10, 4)) {
      out << tl.paint("  " + l, tone::bad) << "\n";
    }
  }
  out << "\n";

  std::vector<cell_line> ha, hb;
  tl.add(ha, side_title(t, side_id::a), tone::head);
  tl.add(hb, side_title(t, side_id::b), tone::head);
  tl.row("#", ha, hb);
  tl.rule();

  // The handshake, flight by flight: OpenSSL on both ends.
  bool enc_client = false, enc_server = false;
  for (const auto& chunk : r.stream) {
    if (chunk.step != wire_chunk::handshake_step) continue;
    std::vector<cell_line> a, b;
    auto& cell = chunk.from == side_id::a ? a : b;
    const bool client = (chunk.from == side_id::a) == t.c.a_is_client;
    bool& enc = client ? enc_client : enc_server;
    tl.add(cell, (chunk.from == side_id::a && t.candidate ? "OpenSSL (before hand-off): " : "") +
                     std::string(client ? "SSL_connect" : "SSL_accept") +
                     (t.c.datagram ? " writes a datagram of " : " writes ") + std::to_string(chunk.bytes.size()) +
                     " bytes",
           tone::dim);
    for (const auto& line : flight_records(chunk.bytes, t.c.tls13, t.c.datagram, enc)) {
      tl.add(cell, (chunk.from == side_id::a ? "--> " : "<-- ") + line, tone::dim);
    }
    tl.row("hs", a, b);
  }
  {
    std::vector<cell_line> a, b;
    if (t.candidate) {
      tl.add(a, "hand-off: OpenSSL exits; closenotify takes the socket with the traffic secrets, " +
                    std::to_string(r.handoff_rseq) + " records read and " + std::to_string(r.handoff_wseq) +
                    " written under them",
             tone::dim);
    } else {
      tl.add(a, "handshake done", tone::dim);
    }
    tl.add(b, "handshake done", tone::dim);
    tl.row("", a, b);
    tl.rule();
  }

  for (const auto& o : r.steps) {
    std::vector<cell_line> a, b;
    auto& cell = o.side == side_id::a ? a : b;
    const bool ours = o.side == side_id::a && t.candidate;
    const std::string outcome = field(o, "outcome");
    if (o.command == "wait") {
      tl.add(cell, "(wait for " + std::string(1, side_letter(o.side)) + "'s blocked call: " + outcome + ")", tone::dim);
      tl.row(std::to_string(o.step + 1), a, b);
      continue;
    }
    const char me = side_letter(o.side), other = o.side == side_id::a ? 'B' : 'A';
    if (is_fault(o.command)) {
      // ret: how many datagrams were queued; data: what the fault hit (the engine's run.cpp).
      tl.add(cell, fault_text(o.command, me, other), tone::want);
      if (auto d = field(o, "data"); !d.empty() && d != "-") tl.add(cell, "it held: " + d, tone::wire);
      if (auto q = field(o, "ret"); !q.empty() && q != "-") tl.add(cell, q + " queued before the fault", tone::dim);
      if (auto why = field(o, "reason"); !why.empty() && why != "-") tl.add(cell, "reason: " + why, tone::bad);
      tl.row(std::to_string(o.step + 1), a, b);
      continue;
    }
    const std::string call = call_text(o.command, ours);
    const std::string ret = field(o, "ret"), err = field(o, "err");
    if (outcome.starts_with("not run")) {
      tl.add(cell, call, tone::call);
      tl.add(cell, outcome, tone::dim);
    } else if (is_ssl_call(o.command)) {
      tl.add(cell, call + " = " + ret, tone::call);
      tl.add(cell, std::string(err == "-" ? "" : "SSL_ERROR_" + err + ", ") + "flags " + flags_text(field(o, "flags")),
             result_tone(err));
    } else {
      tl.add(cell, call + " = " + ret, tone::call);
      tl.add(cell, "flags " + flags_text(field(o, "flags")), tone::plain);
    }
    if (outcome != "returned" && !outcome.starts_with("not run")) tl.add(cell, "(" + outcome + ")", tone::want);
    if (auto d = field(o, "data"); !d.empty() && d != "-") tl.add(cell, "data " + d, tone::plain);
    if (auto v = field(o, "recv"); !v.empty() && v != "-") tl.add(cell, "alert received: " + v, tone::alert);
    if (auto e = field(o, "errno"); !e.empty() && e != "0") tl.add(cell, "errno " + e, tone::bad);
    if (auto why = field(o, "reason"); !why.empty() && why != "-") tl.add(cell, "reason: " + why, tone::bad);
    for (const auto& rec : o.records) {
      const std::string arrow = o.side == side_id::a ? "--> " : "<-- ";
      tl.add(cell, arrow + header_text(rec) + "  " + record_text(rec),
             alert_kind(rec).empty() ? tone::wire : tone::alert);
    }
    if (auto sent = field(o, "sent"); sent.find("(partial record)") != std::string::npos) {
      tl.add(cell, "    (and the start of a record not yet complete)", tone::wire);
    }
    for (auto k : step_cites(placed, o.step)) {
      tl.add(cell, "[" + std::to_string(k + 1) + "] " + s.cites[k], tone::cite);
    }
    tl.row(std::to_string(o.step + 1), a, b);
  }
  tl.rule();
  const std::string fields = t.c.datagram ? "type version epoch sequence_number length" : "type version length";
  for (const auto& l : wrap("--> / <-- records put on the wire (header: " + fields + ", then the plaintext "
                            "under the sender's keys); flags: SSL_get_shutdown after the call; [n]: the "
                            "scenario's citation shown where the step's call and result are the ones it states",
                            text_width + 10, 0)) {
    out << "  " << l << "\n";
  }
}

void write_trace_json(std::ostream& out, const trace_input& t) {
  const auto& s = *t.s;
  const auto& r = t.run;
  const auto placed = cites_for_steps(t);
  tools::json cites = tools::json::array();
  for (std::size_t k = 0; k < s.cites.size(); ++k) {
    cites.push_back({{"text", s.cites[k]},
                     {"step", placed[k] == std::string::npos ? tools::json(nullptr) : tools::json(placed[k] + 1)}});
  }
  tools::json handshake = tools::json::array();
  for (const auto& chunk : r.stream) {
    if (chunk.step != wire_chunk::handshake_step) continue;
    handshake.push_back({{"from", std::string(1, side_letter(chunk.from))},
                         {"bytes", chunk.bytes.size()},
                         {"wire", hex_or_empty(chunk.bytes)}});
  }
  tools::json steps = tools::json::array();
  for (const auto& o : r.steps) {
    tools::json step = {{"step", o.step + 1},
                        {"side", std::string(1, side_letter(o.side))},
                        {"command", o.command},
                        {"call", is_fault(o.command) ? fault_text(o.command, side_letter(o.side),
                                                                  o.side == side_id::a ? 'B' : 'A')
                                                       : call_text(o.command, o.side == side_id::a && t.candidate)}};
    for (const auto& f : observation_fields()) {
      if (auto it = o.fields.find(f); it != o.fields.end()) step[f] = it->second;
    }
    tools::json records = tools::json::array();
    for (const auto& rec : o.records) {
      tools::json one = {{"header", to_hex(rec.header)}, {"opened", rec.opened}};
      if (rec.opened) {
        one["type"] = to_string(rec.type);
        one["plaintext"] = hex_or_empty(rec.plaintext);
      }
      if (auto a = alert_kind(rec); !a.empty()) one["alert"] = a;
      one["text"] = record_text(rec);
      records.push_back(std::move(one));
    }
    step["records"] = std::move(records);
    tools::json step_cited = tools::json::array();
    for (auto k : step_cites(placed, o.step)) step_cited.push_back(k + 1);
    step["cites"] = std::move(step_cited);
    steps.push_back(std::move(step));
  }
  const tools::json doc = {{"scenario", s.name},
                           {"family", s.family},
                           {"file", s.file},
                           {"line", s.line},
                           {"suite", t.c.suite},
                           {"version", std::string(protocol_name(protocol_of(t.c)))},
                           {"role", t.c.a_is_client ? "client" : "server"},
                           {"io", io_text(t.c)},
                           {"run", t.candidate ? "candidate" : "reference"},
                           {"a", t.candidate ? "closenotify" : "openssl"},
                           {"profile", t.profile},
                           {"b", "openssl"},
                           {"openssl", t.peer_version},
                           {"harness_error", r.harness_error},
                           {"handoff", {{"rseq", r.handoff_rseq}, {"wseq", r.handoff_wseq}}},
                           {"cites", std::move(cites)},
                           {"handshake", std::move(handshake)},
                           {"steps", std::move(steps)}};
  out << tools::json_text(doc, 2) << "\n";
}

void write_mermaid(std::ostream& out, const trace_input& t) {
  const auto& r = t.run;
  const auto& s = *t.s;
  auto title = [&](side_id id) { return mermaid_text(side_title(t, id).substr(2)); };
  out << "sequenceDiagram\n";
  out << "    participant A as A: " << title(side_id::a) << "\n";
  out << "    participant B as B: " << title(side_id::b) << "\n";
  out << "    Note over A,B: " << mermaid_text(s.name) << ", " << t.c.suite << ", " << io_text(t.c)
      << (t.candidate ? ". Handshake by OpenSSL on both ends, then A handed over to closenotify"
                      : ". Handshake by OpenSSL on both ends")
      << "\n";
  for (const auto& o : r.steps) {
    const char me = side_letter(o.side);
    const char other = o.side == side_id::a ? 'B' : 'A';
    const std::string outcome = field(o, "outcome");
    if (o.command == "wait") {
      out << "    Note over " << me << ": " << mermaid_text("waits for its blocked call: " + outcome) << "\n";
      continue;
    }
    if (is_fault(o.command)) {
      std::string text = fault_text(o.command, me, other);
      if (auto d = field(o, "data"); !d.empty() && d != "-") text += ": " + d;
      out << "    Note over " << me << ": " << mermaid_text(text) << "\n";
      continue;
    }
    std::string text = call_text(o.command, o.side == side_id::a && t.candidate);
    if (!outcome.starts_with("not run")) {
      text += " = " + field(o, "ret");
      if (auto e = field(o, "err"); !e.empty() && e != "-") text += " " + e;
      text += ", flags " + flags_text(field(o, "flags"));
    }
    if (outcome != "returned") text += " (" + outcome + ")";
    if (auto v = field(o, "recv"); !v.empty() && v != "-") text += ", received " + v;
    out << "    " << me << "->>" << me << ": " << mermaid_text(text) << "\n";
    for (const auto& rec : o.records) {
      out << "    " << me << "->>" << other << ": " << mermaid_text(record_text(rec)) << "\n";
    }
  }
}

}  // namespace closenotify::diff

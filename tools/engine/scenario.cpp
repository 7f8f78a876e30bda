// scenario.cpp — parsing the .scn catalogue files (grammar: docs/scenarios.md).
#include "scenario.hpp"

#include <algorithm>
#include <map>
#include <charconv>
#include <filesystem>
#include <set>
#include <sstream>

#include "closenotify/dtls_record_framing.hpp"
#include "closenotify/hex.hpp"
#include "input_file.hpp"
#include "openssl_versions.hpp"

namespace closenotify::diff {

char side_letter(side_id s) { return s == side_id::a ? 'A' : 'B'; }

cell_protocol protocol_of(const cell& c) {
  if (c.datagram) return cell_protocol::dtls12;
  return c.tls13 ? cell_protocol::tls13 : cell_protocol::tls12;
}

std::string_view protocol_name(cell_protocol p) {
  switch (p) {
    case cell_protocol::tls13: return "tls1.3";
    case cell_protocol::tls12: return "tls1.2";
    case cell_protocol::dtls12: return "dtls1.2";
  }
  return "?";
}

std::optional<cell_protocol> parse_protocol(std::string_view name) {
  for (auto p : {cell_protocol::tls13, cell_protocol::tls12, cell_protocol::dtls12}) {
    if (protocol_name(p) == name) return p;
  }
  return std::nullopt;
}

std::string suite_label(const cell& c) { return (c.datagram ? "dtls1.2:" : "") + c.suite; }

cell make_cell(const cipher_suite& suite, bool a_is_client, bool blocking) {
  cell c;
  c.suite = std::string(suite.name);
  c.tls13 = suite.version == protocol_version::tls13;
  c.datagram = suite.version == protocol_version::dtls12;
  c.a_is_client = a_is_client;
  c.blocking = blocking;
  return c;
}

std::string_view to_string(datagram_fault::kind k) {
  switch (k) {
    case datagram_fault::kind::drop: return "drop";
    case datagram_fault::kind::duplicate: return "duplicate";
    case datagram_fault::kind::reorder: return "reorder";
    case datagram_fault::kind::truncate: return "truncate";
    case datagram_fault::kind::replay: return "replay";
  }
  return "?";
}

tools::result<datagram_fault> parse_datagram_fault(std::string_view command) {
  // datagram drop|duplicate|reorder|replay [K] | datagram truncate N [K]
  std::istringstream in{std::string(command)};
  std::string verb, what;
  in >> verb >> what;
  std::vector<std::string> args;
  for (std::string a; in >> a;) args.push_back(a);
  datagram_fault f;
  bool known = false;
  for (auto k : {datagram_fault::kind::drop, datagram_fault::kind::duplicate, datagram_fault::kind::reorder,
                 datagram_fault::kind::truncate, datagram_fault::kind::replay}) {
    if (to_string(k) == what) {
      f.what = k;
      known = true;
    }
  }
  if (!known) return tools::usage("'datagram' takes drop, duplicate, reorder, truncate N or replay, not '" + what + "'");
  auto number = [](const std::string& s, std::size_t min, std::size_t& out) {
    std::size_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || p != s.data() + s.size() || v < min || v > 65536) return false;
    out = v;
    return true;
  };
  std::size_t next = 0;
  if (f.what == datagram_fault::kind::truncate) {
    if (args.empty() || !number(args[0], 0, f.length)) return tools::usage("'datagram truncate' takes the bytes kept, 0..65536");
    next = 1;
  }
  if (args.size() > next + 1) return tools::usage("'datagram " + what + "' takes at most one position after its arguments");
  if (args.size() == next + 1 && !number(args[next], 1, f.index)) {
    return tools::usage("'datagram " + what + "': the position is a number from 1");
  }
  return f;
}

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

std::vector<std::string> words(std::string_view s) {
  std::vector<std::string> out;
  std::istringstream in{std::string(s)};
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

bool is_number(std::string_view s, long long max) {
  long long v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc{} && p == s.data() + s.size() && v >= 0 && v <= max;
}

bool is_hex(std::string_view s) {
  if (s == "-") return true;
  if (s.empty() || s.size() % 2 != 0) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
}

// check_command: the command is one the peer protocol knows, with valid arguments; a
// bare read/peek gets OpenSSL's usual 16384-byte buffer.
std::optional<std::string> check_command(std::string& command) {
  auto w = words(command);
  if (w.empty()) return "empty step";
  const std::string& verb = w[0];
  auto args = w.size() - 1;
  auto need = [&](std::size_t n) -> std::optional<std::string> {
    if (args != n) return "'" + verb + "' takes " + std::to_string(n) + " argument(s)";
    return std::nullopt;
  };
  if (verb == "shutdown" || verb == "do_handshake" || verb == "renegotiate" ||
      verb == "shutdown_write" || verb == "close") {
    return need(0);
  }
  if (verb == "read" || verb == "peek") {
    if (args == 0) {
      command = verb + " 16384";
      return std::nullopt;
    }
    if (args != 1 || !is_number(w[1], 65536) || w[1] == "0") return "'" + verb + "' takes a buffer size 1..65536";
    return std::nullopt;
  }
  if (verb == "write" || verb == "read_all" || verb == "write_all") {
    if (args != 1 || !is_number(w[1], 16 * 1024 * 1024) || w[1] == "0") return "'" + verb + "' takes a byte count 1..16777216";
    return std::nullopt;
  }
  if (verb == "write_hex") {
    if (args != 1 || !is_hex(w[1]) || w[1] == "-") return "'" + verb + "' takes one non-empty hex string";
    return std::nullopt;
  }
  // `raw -` is one zero-length datagram in a DTLS cell (recv(2) returns 0 for it); on a
  // stream it would write nothing, so it is refused outside `only dtls1.2` scenarios by
  // the stream-only rule for raw.
  if (verb == "raw") {
    if (args != 1 || !is_hex(w[1])) return "'raw' takes one hex string ('-': an empty datagram)";
    return std::nullopt;
  }
  if (verb == "key_update") {
    if (args != 1 || (w[1] != "requested" && w[1] != "not_requested")) return "'key_update' takes requested or not_requested";
    return std::nullopt;
  }
  if (verb == "set") {
    if (args != 1 || (w[1] != "quiet_shutdown" && w[1] != "ignore_unexpected_eof" && w[1] != "no_renegotiation")) {
      return "'set' takes quiet_shutdown, ignore_unexpected_eof or no_renegotiation";
    }
    return std::nullopt;
  }
  if (verb == "inject") {
    // inject <content type> <hex plaintext or -> [pad N] [epoch E] [seq S | seq +K | seq -K]
    if (args < 2 || args % 2 != 0) {
      return "'inject' takes a content type, a hex plaintext and optionally 'pad N', 'epoch E', 'seq S' "
             "(or 'seq +K' / 'seq -K')";
    }
    static const std::set<std::string> types = {"alert", "handshake", "application_data",
                                                "change_cipher_spec", "invalid"};
    if (!types.contains(w[1]) && !(is_number(w[1], 255))) return "unknown content type '" + w[1] + "'";
    // HEX, '-' (nothing) or HEX*N (HEX repeated N times: oversized plaintexts stay readable).
    const auto star = w[2].find('*');
    if (star == std::string::npos ? !is_hex(w[2])
                                  : !is_hex(w[2].substr(0, star)) || !is_number(w[2].substr(star + 1), 20000))
      return "'" + w[2] + "' is not hex, '-' or HEX*N";
    std::set<std::string> seen;
    for (std::size_t i = 3; i + 1 < w.size(); i += 2) {
      // epoch: uint16; seq: RFC 6347 §4.1 "uint48 sequence_number".
      const long long max = w[i] == "pad" ? 16384 : w[i] == "epoch" ? 0xffff : (1ll << 48) - 1;
      if (w[i] != "pad" && w[i] != "epoch" && w[i] != "seq") return "expected 'pad N', 'epoch E' or 'seq S', not '" + w[i] + "'";
      if (!seen.insert(w[i]).second) return "'" + w[i] + "' given twice";
      // seq +K / seq -K: relative to the number a plain inject takes (a replayed fuzz
      // input knows its numbers only relative to the peer's next one).
      const bool relative = w[i] == "seq" && (w[i + 1].starts_with('+') || w[i + 1].starts_with('-'));
      if (!is_number(relative ? std::string_view(w[i + 1]).substr(1) : std::string_view(w[i + 1]), max)) {
        return "'" + w[i] + "' takes a number 0.." + std::to_string(max) + (w[i] == "seq" ? ", +K or -K" : "");
      }
    }
    return std::nullopt;
  }
  if (verb == "datagram") {
    auto f = parse_datagram_fault(command);
    if (auto* e = std::get_if<tools::error>(&f)) return e->message;
    return std::nullopt;
  }
  return "unknown call '" + verb + "'";
}

const std::set<std::string> kConditions = {"tls1.3", "tls1.2", "dtls1.2", "tls",    "blocking",
                                           "nonblocking", "client", "server"};

bool is_version_condition(const std::string& c) {
  return c == "tls1.3" || c == "tls1.2" || c == "dtls1.2" || c == "tls";
}

bool version_matches(const std::string& cond, cell_protocol p) {
  if (cond == "tls") return p != cell_protocol::dtls12;
  return parse_protocol(cond) == p;
}

// names_dtls: the scenario says itself whether it applies to DTLS 1.2 (a version
// condition naming dtls1.2); then the rules by verb below are the author's business.
bool names_dtls(const scenario& s) {
  for (const auto& r : s.requirements) {
    for (const auto& c : r.conditions) {
      if (c == "dtls1.2") return true;
    }
  }
  return false;
}

// dtls_only: some requirement admits DTLS 1.2 and nothing else.
bool dtls_only(const scenario& s) {
  for (const auto& r : s.requirements) {
    bool any = false, only_dtls = true;
    for (const auto& c : r.conditions) {
      if (!is_version_condition(c)) continue;
      any = true;
      only_dtls = only_dtls && c == "dtls1.2";
    }
    if (any && only_dtls) return true;
  }
  return false;
}

// stream_only_reason: why a step cannot mean on a datagram socket what the scenario meant
// on a stream. The scenarios were written for TLS over a stream; one that names dtls1.2
// chose its steps for datagrams.
std::optional<std::string> stream_only_reason(const step& st) {
  const std::string verb = st.verb();
  if (verb == "close" || verb == "shutdown_write") {
    // Linux unix(7) SOCK_DGRAM: close and shutdown(SHUT_WR) of one end leave the other end's
    // recv waiting (no EOF) and its send failing ECONNREFUSED.
    return "only tls (" + verb + "): a datagram socket has no EOF; close(2) and shutdown(SHUT_WR) give "
           "the other end nothing to read";
  }
  if (verb == "set" && st.command == "set ignore_unexpected_eof") {
    return "only tls (ignore_unexpected_eof): an unexpected EOF is a stream's; a datagram socket has none";
  }
  if (verb == "raw") {
    return "only tls (raw): its bytes are TLS records with 5-byte headers; a DTLS receiver silently "
           "discards them (RFC 6347 §4.1.2.7)";
  }
  if (verb == "renegotiate") {
    return "only tls (renegotiate): DTLS retransmits handshake flights on a timer (RFC 6347 "
           "§4.2.4), which the runner never leaves to chance, and closenotify never renegotiates";
  }
  if (verb == "key_update") return "only tls (key_update): KeyUpdate is TLS 1.3's; DTLS 1.2 has none";
  const auto w = words(st.command);
  if ((verb == "write" || verb == "write_all") && w.size() == 2 && std::stoull(w[1]) > 16384) {
    // OpenSSL's dtls1_write_app_data_bytes: "if (len > SSL3_RT_MAX_PLAIN_LENGTH) {
    // ERR_raise(ERR_LIB_SSL, SSL_R_DTLS_MESSAGE_TOO_BIG)": one write, one record, one datagram.
    return "only tls (" + verb + " over 16384 bytes): a DTLS SSL_write sends one record in one datagram, "
           "at most 2^14 bytes; partial writes and bulk transfers are a stream's";
  }
  if (verb == "inject" && w.size() > 1 && (w[1] == "handshake" || w[1] == "22")) {
    return "only tls (inject handshake): its messages have TLS's 4-byte handshake header; DTLS's has 12 "
           "bytes, with message_seq and fragment fields (RFC 6347 §4.2.2)";
  }
  return std::nullopt;
}

}  // namespace

bool in_cell(const std::vector<std::string>& conditions, const cell& c) {
  const cell_protocol protocol = protocol_of(c);
  bool has_version = false, has_io = false, has_role = false;
  bool v = false, io = false, ro = false;
  for (const auto& cond : conditions) {
    if (is_version_condition(cond)) {
      has_version = true;
      v = v || version_matches(cond, protocol);
    } else if (cond == "blocking" || cond == "nonblocking") {
      has_io = true;
      io = io || (cond == "blocking") == c.blocking;
    } else {
      has_role = true;
      ro = ro || (cond == "client") == c.a_is_client;
    }
  }
  return (!has_version || v) && (!has_io || io) && (!has_role || ro);
}

std::optional<std::string> skip_reason(const scenario& s, const cell& c) {
  const cell_protocol protocol = protocol_of(c);
  for (const auto& r : s.requirements) {
    if (!in_cell(r.conditions, c)) {
      std::string conds;
      for (const auto& cond : r.conditions) conds += (conds.empty() ? "" : ", ") + cond;
      return "only " + conds + ": " + r.reason;
    }
  }
  if (protocol == cell_protocol::dtls12 && !names_dtls(s)) {
    for (const auto& st : s.steps) {
      if (auto why = stream_only_reason(st)) return why;
    }
  }
  return std::nullopt;
}

tools::result<std::vector<scenario>> parse_scenarios(std::string_view text, const std::string& file) {
  std::vector<scenario> out;
  std::string family, family_title;
  int line_no = 0;
  auto fail = [&](const std::string& what) {
    return tools::usage(file + ":" + std::to_string(line_no) + ": " + what);
  };
  std::size_t pos = 0;
  while (pos <= text.size()) {
    auto end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    auto line = trim(text.substr(pos, end - pos));
    pos = end + 1;
    ++line_no;
    if (line.empty() || line.front() == '#') continue;
    auto space = line.find_first_of(" \t");
    std::string key(line.substr(0, space));
    std::string_view rest = space == std::string_view::npos ? "" : trim(line.substr(space));

    if (key == "family") {
      auto colon = rest.find(':');
      if (colon == std::string_view::npos) return fail("expected 'family <id>: <title>'");
      family = std::string(trim(rest.substr(0, colon)));
      family_title = std::string(trim(rest.substr(colon + 1)));
      if (family.empty() || family.find(' ') != std::string::npos) return fail("family id must be one word");
      continue;
    }
    if (key == "scenario") {
      if (family.empty()) return fail("'scenario' before any 'family' line");
      if (rest.empty() || rest.find_first_of(" \t/") != std::string_view::npos) {
        return fail("scenario name must be one word without '/'");
      }
      scenario s;
      s.name = std::string(rest);
      s.family = family;
      s.family_title = family_title;
      s.file = file;
      s.line = line_no;
      out.push_back(std::move(s));
      continue;
    }
    if (out.empty()) return fail("'" + key + "' outside a scenario");
    scenario& s = out.back();
    if (key == "cite") {
      if (rest.empty()) return fail("'cite' needs the sentence or clause it exercises");
      s.cites.emplace_back(rest);
    } else if (key == "only") {
      auto colon = rest.find(':');
      if (colon == std::string_view::npos || trim(rest.substr(colon + 1)).empty()) {
        return fail("'only' needs conditions and a reason: 'only tls1.3: KeyUpdate is TLS 1.3 only'");
      }
      requirement r;
      std::string conds(rest.substr(0, colon));
      std::replace(conds.begin(), conds.end(), ',', ' ');
      r.conditions = words(conds);
      for (const auto& c : r.conditions) {
        if (!kConditions.contains(c)) return fail("unknown condition '" + c + "' (tls1.3 tls1.2 blocking nonblocking client server)");
      }
      if (r.conditions.empty()) return fail("'only' without conditions");
      r.reason = std::string(trim(rest.substr(colon + 1)));
      s.requirements.push_back(std::move(r));
    } else if (key == "tickets") {
      if (!is_number(rest, 16)) return fail("'tickets' takes a number 0..16");
      s.tickets = std::stoi(std::string(rest));
    } else if (key == "divergence") {
      auto colon = rest.find(':');
      if (colon == std::string_view::npos) return fail("expected 'divergence <ID> [in <conditions>]: <side.field> ...'");
      declared_divergence d;
      // "divergence H in dtls1.2: A.ret": the fields differ only in those cells, so the
      // other cells still compare them (a stream regression is not hidden by a DTLS entry).
      std::string head(trim(rest.substr(0, colon)));
      if (auto in = head.find(" in "); in != std::string::npos) {
        std::string conds = head.substr(in + 4);
        std::replace(conds.begin(), conds.end(), ',', ' ');
        d.conditions = words(conds);
        if (d.conditions.empty()) return fail("'divergence <ID> in' needs conditions");
        for (const auto& c : d.conditions) {
          if (!kConditions.contains(c)) return fail("unknown condition '" + c + "' (tls1.3 tls1.2 dtls1.2 tls blocking nonblocking client server)");
        }
        head.resize(in);
      }
      d.id = std::string(trim(head));
      d.fields = words(rest.substr(colon + 1));
      if (d.id.empty() || d.fields.empty()) return fail("a divergence names its entry and the fields it tolerates");
      for (const auto& f : d.fields) {
        if (f.size() < 3 || (f[0] != 'A' && f[0] != 'B') || f[1] != '.') {
          return fail("divergence field '" + f + "' must look like A.ret or B.sent");
        }
      }
      s.divergences.push_back(std::move(d));
    } else if (key == "A" || key == "B") {
      step st{key == "A" ? side_id::a : side_id::b, std::string(rest), line_no};
      if (auto e = check_command(st.command)) return fail(*e);
      s.steps.push_back(std::move(st));
    } else if (key == "wait") {
      if (rest != "A" && rest != "B") return fail("'wait' takes A or B");
      s.steps.push_back(step{rest == "A" ? side_id::a : side_id::b, "wait", line_no});
    } else {
      return fail("unknown keyword '" + key + "'");
    }
  }
  for (const auto& s : out) {
    if (s.steps.empty()) {
      line_no = s.line;
      return fail("scenario '" + s.name + "' has no steps");
    }
    if (s.cites.empty()) {
      line_no = s.line;
      return fail("scenario '" + s.name + "' cites nothing: name the man-page sentence or RFC clause it exercises");
    }
    // Datagram faults and DTLS header fields mean nothing on a stream: such a scenario
    // says `only dtls1.2`, so no TLS cell ever runs it.
    if (!dtls_only(s)) {
      for (const auto& st : s.steps) {
        const auto w = words(st.command);
        const bool dtls_inject =
            !w.empty() && w[0] == "inject" && std::find_if(w.begin(), w.end(), [](const std::string& x) {
                                                return x == "epoch" || x == "seq";
                                              }) != w.end();
        if (st.verb() == "datagram" || dtls_inject) {
          line_no = st.line;
          return fail("'" + st.command + "' is DTLS's: the scenario needs 'only dtls1.2: <why>'");
        }
      }
    }
  }
  return out;
}

// The catalogue's longest line is a few hundred bytes and its largest file a few KiB; these
// bounds leave room for generated scenarios (replay's) while refusing /dev/zero and the like.
constexpr tools::input_limits kScenarioFileLimits{16u << 20, 64u << 10};

tools::result<std::vector<scenario>> load_scenarios(const std::string& directory) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(directory, ec)) return tools::usage(directory + ": not a directory");
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(directory, ec)) {
    if (e.path().extension() == ".scn") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) return tools::usage(directory + ": no .scn files");
  std::vector<scenario> all;
  std::set<std::string> names;
  for (const auto& f : files) {
    auto text = tools::read_input_file(f.string(), kScenarioFileLimits);
    if (auto* e = std::get_if<tools::error>(&text)) return *e;
    auto parsed = parse_scenarios(std::get<std::string>(text), f.filename().string());
    if (auto* e = std::get_if<tools::error>(&parsed)) return *e;
    for (auto& s : std::get<std::vector<scenario>>(parsed)) {
      if (!names.insert(s.name).second) {
        return tools::usage(s.file + ":" + std::to_string(s.line) + ": scenario name '" + s.name + "' used twice");
      }
      all.push_back(std::move(s));
    }
  }
  return all;
}

tools::result<injection> parse_injection(std::string_view command) {
  std::istringstream in{std::string(command)};
  std::string verb, type, hex;
  in >> verb >> type >> hex;
  std::size_t pad = 0;
  std::optional<std::uint16_t> epoch;
  std::optional<std::uint64_t> seq;
  std::int64_t seq_offset = 0;
  for (std::string key; in >> key;) {
    std::string value;
    in >> value;
    const char sign = key == "seq" && !value.empty() && (value[0] == '+' || value[0] == '-') ? value[0] : 0;
    const std::string_view digits = sign ? std::string_view(value).substr(1) : std::string_view(value);
    std::uint64_t n = 0;
    auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
    if (digits.empty() || ec != std::errc{} || p != digits.data() + digits.size()) {
      return tools::fail("inject: '" + key + "' needs a number");
    }
    if (key == "pad") pad = n;
    else if (key == "epoch" && n <= 0xffff) epoch = static_cast<std::uint16_t>(n);
    else if (key == "seq" && sign && n <= dtls_max_sequence_number)
      seq_offset = sign == '-' ? -static_cast<std::int64_t>(n) : static_cast<std::int64_t>(n);
    else if (key == "seq" && n <= dtls_max_sequence_number) seq = n;
    else return tools::fail("inject: bad '" + key + " " + value + "'");
  }
  static const std::map<std::string, std::uint8_t, std::less<>> types = {
      {"invalid", 0}, {"change_cipher_spec", 20}, {"alert", 21}, {"handshake", 22}, {"application_data", 23}};
  injection out;
  out.padding = pad;
  out.epoch = epoch;
  out.sequence_number = seq;
  out.sequence_offset = seq_offset;
  if (auto it = types.find(type); it != types.end()) {
    out.type = it->second;
  } else {
    unsigned n = 256;
    auto [p, ec] = std::from_chars(type.data(), type.data() + type.size(), n);
    if (ec != std::errc{} || p != type.data() + type.size() || n > 255) {
      return tools::fail("inject: unknown content type '" + type + "'");
    }
    out.type = static_cast<std::uint8_t>(n);
  }
  std::size_t repeat = 1;
  if (auto star = hex.find('*'); star != std::string::npos) {
    auto [p, ec] = std::from_chars(hex.data() + star + 1, hex.data() + hex.size(), repeat);
    if (ec != std::errc{} || p != hex.data() + hex.size()) return tools::fail("inject: bad repeat in '" + hex + "'");
    hex.resize(star);
  }
  auto bytes = from_hex(hex == "-" ? "" : hex);
  if (auto* e = std::get_if<config_error>(&bytes)) return tools::fail("inject: " + e->message);
  const auto& unit = std::get<std::vector<std::uint8_t>>(bytes);
  for (std::size_t i = 0; i < repeat; ++i) out.plaintext.insert(out.plaintext.end(), unit.begin(), unit.end());
  return out;
}

std::optional<std::string> version_skip_reason(const scenario& s, profile_id live) {
  const profile& p = profile_for(live);
  if (p.has_ignore_unexpected_eof) return std::nullopt;
  for (const auto& st : s.steps) {
    if (st.command == "set ignore_unexpected_eof") {
      const openssl_series* series = series_with_profile(live);
      return (series ? "OpenSSL " + std::string(series->name) : std::string(p.name)) +
             " has no SSL_OP_IGNORE_UNEXPECTED_EOF";
    }
  }
  return std::nullopt;
}

}  // namespace closenotify::diff

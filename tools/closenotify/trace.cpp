// trace.cpp — `closenotify trace`: one scenario in one cell against a live OpenSSL,
// shown as an annotated two-column timeline, JSON or a Mermaid diagram, with an optional
// pcap and key log for Wireshark.
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <sstream>

#include "matrix.hpp"
#include "pcap.hpp"
#include "trace.hpp"
#include "closenotify/cipher_suite.hpp"
#include "commands.hpp"
#include "openssl_option.hpp"
#include "output_file.hpp"
#include "catalogue.hpp"
#include "selection.hpp"

namespace closenotify::cli {

const char* const trace_help =
    "usage: closenotify trace SCENARIO [options]\n"
    "\n"
    "Run one scenario of the catalogue (tests/scenarios/*.scn) in one cell against a live\n"
    "OpenSSL peer (--openssl) and print an annotated timeline: side A on the left, side B on the\n"
    "right; each call with its return value, SSL_get_error class and SSL_get_shutdown flags\n"
    "(SENT, RECEIVED) after it; each record the side put on the wire (header, then what it\n"
    "carried, decrypted with the sender's keys, alerts by name); the handshake flights; and\n"
    "the man-page sentences the scenario cites, at the step whose call and result a\n"
    "citation states. By default this is the candidate run: A is closenotify, taken over\n"
    "from OpenSSL right after the handshake, B is OpenSSL.\n"
    "\n"
    "options:\n"
    "  --suite NAME        the cipher suite (default TLS_AES_128_GCM_SHA256; one of the six\n"
    "                      matrix suites, or a DTLS 1.2 cell's, written as case ids write it:\n"
    "                      dtls1.2:ECDHE-ECDSA-AES128-GCM-SHA256, dtls1.2:ECDHE-ECDSA-AES256-GCM-SHA384,\n"
    "                      dtls1.2:ECDHE-ECDSA-CHACHA20-POLY1305, run over a SOCK_DGRAM socketpair)\n"
    "  --role ROLE         A's role: client (default) or server\n"
    "  --io MODE           blocking (default) or nonblocking sockets\n"
    "  --reference         show the reference run instead: A is OpenSSL too\n"
    "  --openssl VERSION   the live OpenSSL: 1.1.1, 3.0 or 3.5 (default 3.0, or the only one\n"
    "                      whose peer is built); the header names the peer's exact version\n"
    "  --profile NAME      closenotify follows this page's profile (default: the --openssl\n"
    "                      version's own; `closenotify profiles` lists them and where they\n"
    "                      differ)\n"
    "  --json FILE         the run as JSON ('-' for stdout, instead of the timeline)\n"
    "  --mermaid FILE      the run as a Mermaid sequence diagram ('-' for stdout, instead of\n"
    "                      the timeline)\n"
    "  --pcap FILE         the exchange as a pcap file Wireshark and tshark dissect as TLS\n"
    "                      over TCP (port 443): both sides' exact bytes, handshake included,\n"
    "                      in synthesized TCP framing (docs/trace.md). A DTLS cell is UDP\n"
    "                      (port 4433, found by Wireshark's DTLS heuristic): the handshake's\n"
    "                      datagrams as written, then one datagram per DTLS record (a step's\n"
    "                      datagrams are reported concatenated)\n"
    "  --keylog FILE       the session's secrets as an SSLKEYLOGFILE, so Wireshark decrypts\n"
    "                      the records (tshark -o tls.keylog_file:FILE, for DTLS too: its\n"
    "                      CLIENT_RANDOM line); mode 0600, never written through a symlink\n"
    "  --color WHEN        auto (default: colour on a terminal unless NO_COLOR is set),\n"
    "                      always or never\n"
    "  --width N           line width of the timeline (default: the terminal's, else 120)\n"
    "  --scenarios DIR     the catalogue (default: the installed one, else the source tree's\n"
    "                      tests/scenarios)\n"
    "  --peer PATH         the OpenSSL peer executable (default: the --openssl version's, next\n"
    "                      to this program)\n"
    "\n"
    "Exit status: 0 when the run was carried out, 1 when it could not be (a peer failed),\n"
    "2 for bad usage (an unknown scenario, suite or role is named with what exists).\n"
    "\n"
    "examples:\n"
    "  closenotify trace a-first-then-b\n"
    "  closenotify trace a-first-waits-in-shutdown --suite ECDHE-ECDSA-AES128-GCM-SHA256 --io nonblocking\n"
    "  closenotify trace b-first-then-a --role server --reference\n"
    "  closenotify trace a-first-then-b --pcap t.pcap --keylog t.keys\n"
    "      tshark -r t.pcap -o tls.keylog_file:t.keys -Y tls.alert_message\n"
    "  closenotify trace a-first-then-b --suite dtls1.2:ECDHE-ECDSA-CHACHA20-POLY1305 \\\n"
    "      --pcap d.pcap --keylog d.keys\n"
    "      tshark -r d.pcap -o tls.keylog_file:d.keys -Y dtls.alert_message\n"
    "  closenotify trace a-first-then-b --mermaid - > a-first-then-b.mmd\n"
    "  closenotify trace a-first-waits-in-shutdown --openssl 3.5 --io nonblocking\n";

namespace {

std::size_t terminal_width() {
  winsize w{};
  if (::ioctl(1, TIOCGWINSZ, &w) == 0 && w.ws_col >= 60) return w.ws_col;
  return 120;
}

}  // namespace

outcome run_trace(const std::vector<std::string>& args) {
  auto parsed = parse_options(args,
                              {"suite", "role", "io", "json", "mermaid", "pcap", "keylog", "color", "width",
                               "scenarios", "peer", "profile", "openssl"},
                              {"help", "reference"});
  if (auto* f = std::get_if<failure>(&parsed)) return *f;
  const auto& o = std::get<options>(parsed);
  if (o.has("help")) {
    std::fputs(trace_help, stdout);
    return exit_ok;
  }
  if (o.positional.empty()) return usage("missing SCENARIO (see closenotify trace --help; closenotify diff --list)");
  if (o.positional.size() > 1) return usage("unexpected argument '" + o.positional[1] + "'");
  ::signal(SIGPIPE, SIG_IGN);

  const std::string scenarios_dir = o.get("scenarios").value_or(diff::find_catalogue(program_dir()).scenarios_dir);
  auto loaded = diff::load_scenarios(scenarios_dir);
  if (auto* e = std::get_if<tools::error>(&loaded)) return *e;
  const auto& scenarios = std::get<std::vector<diff::scenario>>(loaded);
  const diff::scenario* s = find_scenario(scenarios, o.positional[0]);
  if (s == nullptr) return usage(unknown_scenario(scenarios, o.positional[0]));

  const std::string suite_name = o.get("suite").value_or("TLS_AES_128_GCM_SHA256");
  // OpenSSL names the DTLS 1.2 suites as the TLS 1.2 ones; the case ids' prefix tells them apart.
  constexpr std::string_view dtls_prefix = "dtls1.2:";
  const cipher_suite* suite = nullptr;
  if (suite_name.starts_with(dtls_prefix)) {
    const std::string_view name = std::string_view(suite_name).substr(dtls_prefix.size());
    for (const cipher_suite& d : dtls12_cipher_suites()) {
      if (d.name == name) suite = &d;
    }
  } else {
    for (const cipher_suite* m : matrix_cipher_suites()) {
      if (m->name == suite_name) suite = m;
    }
  }
  if (suite == nullptr) {
    std::string names = matrix_suite_names();
    for (const cipher_suite& d : dtls12_cipher_suites()) names += ", " + std::string(dtls_prefix) + std::string(d.name);
    return usage("unknown --suite '" + suite_name + "' (suites: " + names + ")");
  }
  const std::string role = o.get("role").value_or("client");
  if (role != "client" && role != "server") return usage("unknown --role '" + role + "' (roles: client, server)");
  const std::string io = o.get("io").value_or("blocking");
  if (io != "blocking" && io != "nonblocking") return usage("unknown --io '" + io + "' (modes: blocking, nonblocking)");
  const diff::cell c = diff::make_cell(*suite, role == "client", io == "blocking");
  const std::string colour = o.get("color").value_or("auto");
  if (colour != "auto" && colour != "always" && colour != "never") {
    return usage("unknown --color '" + colour + "' (auto, always, never)");
  }
  diff::trace_style style;
  style.colour = colour == "always" || (colour == "auto" && ::isatty(1) == 1 && std::getenv("NO_COLOR") == nullptr);
  style.width = ::isatty(1) == 1 ? terminal_width() : 120;
  if (auto w = o.get("width")) {
    auto n = parse_number(*w, 60, 1000);
    if (!n) return usage("--width: a number 60..1000");
    style.width = *n;
  }
  if (o.get("json") == "-" && o.get("mermaid") == "-") return usage("--json and --mermaid cannot both be '-'");
  if (auto f = tools::refuse_stdout(o, {"pcap", "keylog"})) return *f;

  auto asked_profile = parse_profile(o);
  if (auto* f = std::get_if<failure>(&asked_profile)) return *f;
  auto chosen = choose_openssl(o);
  if (auto* f = std::get_if<failure>(&chosen)) return *f;
  const auto& openssl = std::get<diff::live_openssl>(chosen);
  const auto config = diff::config_for(openssl, std::get<std::optional<profile_id>>(asked_profile));
  if (auto why = diff::case_skip_reason({"", s, c}, config)) {
    return usage("scenario " + s->name + " does not apply to " + diff::suite_label(c) + "/" + role + "/" + io + " against " +
                 openssl.label() + ": " + *why);
  }

  diff::trace_input t;
  t.s = s;
  t.c = c;
  t.candidate = !o.has("reference");
  // A is OpenSSL in the reference run: its profile is the version's own.
  t.profile = std::string(profile_for(t.candidate ? config.profile : config.peer_profile).name);
  t.peer_version = openssl.version;
  t.run = diff::run_case(*s, c, t.candidate, config);

  const diff::pcap_connection connection{&t.run, c.a_is_client, 40000, c.datagram};
  if (auto p = o.get("pcap")) {
    std::ostringstream out;
    diff::write_pcap(out, {connection});
    if (auto f = tools::write_output("--pcap", *p, out.str())) return *f;
  }
  if (auto k = o.get("keylog")) {
    std::ostringstream out;
    diff::write_keylog(out, {connection});
    if (auto f = tools::write_output("--keylog", *k, out.str(), tools::output_kind::secret)) return *f;
  }
  bool timeline = true;
  for (const char* what : {"json", "mermaid"}) {
    auto target = o.get(what);
    if (!target) continue;
    std::ostringstream out;
    if (std::string(what) == "json") diff::write_trace_json(out, t);
    else diff::write_mermaid(out, t);
    if (auto f = tools::write_output("--" + std::string(what), *target, out.str())) return *f;
    if (*target == "-") timeline = false;
  }
  if (timeline) diff::print_trace(std::cout, t, style);
  if (!t.run.harness_error.empty()) return failure{exit_rejected, "the run could not be carried out: " + t.run.harness_error};
  return exit_ok;
}

}  // namespace closenotify::cli

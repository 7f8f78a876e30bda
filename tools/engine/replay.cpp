// replay.cpp — see replay.hpp.
#include "replay.hpp"

#include <algorithm>
#include <sstream>

#include "closenotify/cipher_suite.hpp"
#include "closenotify/hex.hpp"
#include "matrix.hpp"

namespace closenotify::diff {

using fuzz::event;
using fuzz::event_kind;

std::string call_command(const event& e) {
  const std::string bytes = std::to_string(std::max<std::uint32_t>(e.number, 1));
  switch (e.kind) {
    case event_kind::call_read: return "read " + bytes;
    case event_kind::call_peek: return "peek " + bytes;
    case event_kind::call_write: return "write " + bytes;
    case event_kind::call_shutdown: return "shutdown";
    case event_kind::call_key_update:
      return std::string("key_update ") + (e.number & 1 ? "requested" : "not_requested");
    case event_kind::call_do_handshake: return "do_handshake";
    default: return "";  // not a call
  }
}

replay_case script_to_case(const fuzz::script& script, const std::string& name, profile_id live) {
  replay_case rc;
  const cipher_suite& suite = *matrix_cipher_suites()[script.config.suite];
  const bool tls13 = suite.version == protocol_version::tls13;
  rc.c.suite = std::string(suite.name);
  rc.c.tls13 = tls13;
  rc.c.a_is_client = !script.config.server;
  rc.c.blocking = false;  // a call with nothing to do returns WANT_READ instead of waiting
  rc.s.name = name;
  rc.s.family = "replay";
  rc.s.family_title = "fuzz inputs replayed against OpenSSL";
  rc.s.file = name;
  rc.s.tickets = 0;  // the fuzz harness's peer sends no NewSessionTicket
  rc.s.cites.push_back("replayed fuzz input");

  auto a = [&](std::string cmd) { rc.s.steps.push_back(step{side_id::a, std::move(cmd)}); };
  auto b = [&](std::string cmd) { rc.s.steps.push_back(step{side_id::b, std::move(cmd)}); };
  bool quiet = false, ignore_eof = false, peer_gone = false;
  // closenotify never renegotiates; the OpenSSL side is compared with renegotiation off,
  // as the catalogue's TLS 1.2 scenarios do (docs/divergences.md, entry B).
  if (!tls13) a("set no_renegotiation");
  if (script.config.quiet_shutdown) a("set quiet_shutdown"), quiet = true;
  if (script.config.ignore_unexpected_eof) a("set ignore_unexpected_eof"), ignore_eof = true;
  if (script.config.read_ahead) rc.dropped.push_back("read-ahead (the peer protocol has no switch for it)");
  if (script.config.profile != live) {
    rc.dropped.push_back("profile " + std::string(profile_for(script.config.profile).name) + " (replayed as " +
                         std::string(profile_for(live).name) + ", the live peer's)");
  }

  for (const event& e : script.events) {
    // Nothing arrives after the peer's FIN or reset, as in the fuzz harness.
    const bool from_peer = e.kind == event_kind::peer_record || e.kind == event_kind::peer_alert ||
                           e.kind == event_kind::peer_raw || e.kind == event_kind::peer_eof ||
                           e.kind == event_kind::peer_reset;
    if (from_peer && peer_gone) continue;
    switch (e.kind) {
      case event_kind::peer_record: {
        std::string cmd = "inject " + std::to_string(e.type) + " " + (e.data.empty() ? "-" : to_hex(e.data));
        if (tls13 && e.number > 0) cmd += " pad " + std::to_string(e.number);
        b(cmd);
        break;
      }
      case event_kind::peer_alert: {
        const std::uint8_t bytes[2] = {static_cast<std::uint8_t>(e.number), e.type};
        b("inject alert " + to_hex(bytes));
        break;
      }
      case event_kind::peer_raw:
        if (!e.data.empty()) b("raw " + to_hex(e.data));
        break;
      case event_kind::peer_eof: b("shutdown_write"); peer_gone = true; break;
      case event_kind::peer_reset: b("close"); peer_gone = true; break;
      case event_kind::call_read:
      case event_kind::call_peek:
      case event_kind::call_write:
      case event_kind::call_shutdown:
      case event_kind::call_key_update:
      case event_kind::call_do_handshake: a(call_command(e)); break;
      case event_kind::call_set:
        // The peer protocol can switch these on, not off.
        if ((e.number & 1) && !quiet) a("set quiet_shutdown"), quiet = true;
        if ((e.number & 2) && !ignore_eof) a("set ignore_unexpected_eof"), ignore_eof = true;
        if ((!(e.number & 1) && quiet) || (!(e.number & 2) && ignore_eof))
          rc.dropped.push_back(fuzz::describe(e) + " (turning an option off)");
        break;
      case event_kind::read_would_block:
      case event_kind::write_would_block:
      case event_kind::write_limit:
      case event_kind::peer_stops_reading:
        rc.dropped.push_back(fuzz::describe(e) + " (a transport fault)");
        break;
    }
  }
  int line = 0;
  for (auto& st : rc.s.steps) st.line = ++line;
  return rc;
}

namespace {

bool disagrees(const case_result& r) { return r.cmp.result == verdict::diverge_undocumented; }

case_result run_script(const fuzz::script& s, const std::string& name, const run_config& config,
                       const std::set<std::string>& documented, script_reading reading, replay_case& rc) {
  rc = reading == script_reading::dtls_endpoint ? dtls_script_to_case(s, name, config.peer_profile)
                                                : script_to_case(s, name, config.peer_profile);
  case_def d;
  d.s = &rc.s;
  d.c = rc.c;
  d.id = name + "/" + suite_label(rc.c) + "/" + (rc.c.a_is_client ? "client" : "server") + "/nonblocking";
  return run_one(d, config, documented);
}

}  // namespace

replay_result replay_one(const fuzz::script& script, const std::string& name, const run_config& config,
                         const std::set<std::string>& documented, bool minimise, std::size_t budget,
                         script_reading reading) {
  replay_result out;
  out.input = name;
  out.original_events = script.events.size();
  out.minimised = script;
  replay_case rc;
  out.result = run_script(script, name, config, documented, reading, rc);
  out.dropped = rc.dropped;
  out.runs = 1;
  // The case def points into the replay_case, which dies here: keep what is printed.
  auto finish = [&](const replay_case& shown) {
    out.dropped = shown.dropped;
    out.first_difference = first_difference(out.result);
    out.scn = to_scn(shown, "replayed from " + name + ": " + std::to_string(out.minimised.events.size()) + " of " +
                                std::to_string(out.original_events) + " events");
    out.result.def.s = nullptr;
    return out;
  };
  if (rc.empty() || !minimise || !disagrees(out.result)) return finish(rc);
  // Greedy shrinking: drop one event at a time (last first), then halve payloads, keeping
  // every change under which the case still disagrees undocumented.
  auto still = [&](const fuzz::script& candidate) {
    if (out.runs >= budget + 1) return false;
    ++out.runs;
    replay_case trial;
    return disagrees(run_script(candidate, name, config, documented, reading, trial));
  };
  fuzz::script best = script;
  for (bool changed = true; changed;) {
    changed = false;
    for (std::size_t i = best.events.size(); i-- > 0;) {
      fuzz::script t = best;
      t.events.erase(t.events.begin() + static_cast<std::ptrdiff_t>(i));
      if (still(t)) best = std::move(t), changed = true;
    }
    for (std::size_t i = 0; i < best.events.size(); ++i) {
      while (best.events[i].data.size() > 1) {
        fuzz::script t = best;
        t.events[i].data.resize(t.events[i].data.size() / 2);
        if (!still(t)) break;
        best = std::move(t);
        changed = true;
      }
    }
  }
  out.minimised = best;
  replay_case shown;
  out.result = run_script(best, name, config, documented, reading, shown);  // rerun: def must point at `shown`
  ++out.runs;
  return finish(shown);
}

std::string to_scn(const replay_case& rc, const std::string& comment) {
  std::ostringstream o;
  o << "# " << comment << "\n";
  o << "# The cite line below is a placeholder the grammar needs: replace it with the sentence\n"
    << "# this input tests before adding the scenario to the catalogue.\n";
  o << "family replay: fuzz inputs replayed against OpenSSL\n\n";
  o << "scenario " << rc.s.name << "\n";
  if (rc.c.datagram) {
    o << "  cite RFC 6347 §4.1.2.7: \"Unlike TLS, DTLS is resilient in the face of invalid records (e.g., invalid formatting, length, MAC, etc.).\"\n";
  } else {
    o << "  cite RFC 8446 §6: \"Alert messages convey a description of the alert and a legacy field that conveyed the severity level of the message in previous versions of TLS.\"\n";
  }
  o << "  only " << protocol_name(protocol_of(rc.c)) << ", nonblocking, " << (rc.c.a_is_client ? "client" : "server")
    << ": the cell the fuzz input ran in\n";
  o << "  tickets 0\n";
  for (const auto& st : rc.s.steps) o << "  " << side_letter(st.side) << " " << st.command << "\n";
  return o.str();
}

}  // namespace closenotify::diff

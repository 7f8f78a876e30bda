// diff.cpp — `closenotify diff`: the differential matrix against every live OpenSSL.
#include <fnmatch.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <set>
#include <sstream>
#include <thread>

#include "input_file.hpp"
#include "matrix.hpp"
#include "pcap.hpp"
#include "report.hpp"
#include "side.hpp"
#include "commands.hpp"
#include "compare_versions.hpp"
#include "openssl_option.hpp"
#include "output_file.hpp"
#include "catalogue.hpp"
#include "selection.hpp"

namespace closenotify::cli {

const char* const diff_help =
    "usage: closenotify diff [options]\n"
    "\n"
    "Run the differential matrix: every scenario of the catalogue (tests/scenarios/*.scn) in\n"
    "every cell (9 cipher suites: 3 TLS 1.3, 3 TLS 1.2, 3 DTLS 1.2; x A as client or server\n"
    "x blocking or nonblocking IO; DTLS cells on a SOCK_DGRAM socketpair),\n"
    "against every live OpenSSL there is a peer for (1.1.1, 3.0, 3.5; --openssl picks).\n"
    "Each case is run twice on a socketpair: the reference run with two live OpenSSL peers\n"
    "of that version (tools/peer), the candidate run with side A handed over to a\n"
    "closenotify endpoint right after the handshake, following that version's profile.\n"
    "Every step's observations on both sides (return value, SSL_get_error class, shutdown\n"
    "flags, bytes read, alerts received, reason, the decrypted records put on the wire) must\n"
    "be equal, or differ only as a scenario declares and docs/divergences.md documents.\n"
    "\n"
    "options:\n"
    "  --openssl VERSION[,VERSION]|all\n"
    "                          run against these OpenSSL versions (1.1.1, 3.0, 3.5; default\n"
    "                          all: each one whose peer is built; a missing one is listed as\n"
    "                          skipped with the command that installs it)\n"
    "  --scenario NAME[,NAME]  only these scenarios\n"
    "  --family NAME           only this scenario family\n"
    "  --protocol P[,P]        only cells of these protocols: tls1.3, tls1.2, dtls1.2 (default:\n"
    "                          all three)\n"
    "  --filter GLOB           only cases whose id matches (ids: scenario/suite/role/io, a\n"
    "                          DTLS suite written dtls1.2:SUITE,\n"
    "                          e.g. '*/TLS_AES_128_GCM_SHA256/client/*')\n"
    "  --explain CASE          run one case and print both runs side by side, step by step,\n"
    "                          the first difference marked (CASE: an id or a glob matching one;\n"
    "                          once per version selected)\n"
    "  --transcript            with --explain: also the protocol lines of both runs\n"
    "  --json FILE             per-case results (each naming its OpenSSL version), totals and\n"
    "                          totals per version as JSON ('-' for stdout, which then holds\n"
    "                          the JSON alone: the tables go to stderr)\n"
    "  --compare-versions      run only the reference side (two live peers, no closenotify) of\n"
    "                          the selection under each version (at least two) and print, per\n"
    "                          scenario, each step field whose value differs between versions\n"
    "                          (docs/versions.md; --json: the same as JSON); exit 0 when it\n"
    "                          ran, 1 on a harness error\n"
    "  --cells CELL[,CELL]     with --compare-versions: only these cells of each scenario\n"
    "                          (suite/role/io, e.g. TLS_AES_128_GCM_SHA256/client/blocking); a\n"
    "                          scenario that applies to none of them runs in its first cell\n"
    "  --list                  list the cases per version (and why skipped ones do not apply);\n"
    "                          run nothing\n"
    "  --jobs N                cases run at once (default: 2 per core)\n"
    "  --repeat N              run the selection N times and report any case whose result\n"
    "                          changed between runs (a flaky case is a bug)\n"
    "  --profile NAME          closenotify follows this page's profile against every version\n"
    "                          (default: each version's own; see `closenotify profiles`): the\n"
    "                          differences the profiles table lists then show as divergences\n"
    "  --mutate NAME           run a deliberately wrong closenotify, to see the comparison\n"
    "                          catch it: first-shutdown-returns-1, no-close-notify,\n"
    "                          read-ignores-close-notify\n"
    "  --fail-fast             stop at the first case that fails (diverges undocumented or\n"
    "                          cannot run): cases not started and later versions are not run,\n"
    "                          and instead of the tables one line names that case and its\n"
    "                          first difference (for mutation testing: tools/mutate)\n"
    "  --quiet                 no progress output\n"
    "  --exec-peers            start a new OpenSSL peer process for every peer of every case,\n"
    "                          instead of reusing pooled ones (same results, several times\n"
    "                          slower: for ruling the pool out; docs/performance.md)\n"
    "  --scenarios DIR         the catalogue (default: the installed one, share/closenotify/\n"
    "                          scenarios, else the source tree's tests/scenarios)\n"
    "  --divergences FILE      the ids of the documented divergences (default: divergences.ids\n"
    "                          of the default catalogue; docs/divergences.md explains each)\n"
    "  --peer PATH[,PATH]      these OpenSSL peer executables instead of the ones next to this\n"
    "                          program, each run as the version it reports\n"
    "  --pcap FILE             with --scenario or --explain: every run of the selection as one\n"
    "                          TCP connection (port 443) of a pcap for Wireshark/tshark, handshake\n"
    "                          included (docs/trace.md); reference and candidate runs alternate;\n"
    "                          every selected version's runs, one version after the other\n"
    "  --keylog FILE           with --pcap: the runs' secrets as an SSLKEYLOGFILE (mode 0600,\n"
    "                          never written through a symlink)\n"
    "\n"
    "Progress goes to stderr (a bar on a terminal, a line per 10% otherwise); the summary\n"
    "tables to stdout, per version, then the totals per version. Exit status: 0 when every\n"
    "case agrees or diverges as documented, 1 when any case diverges undocumented or fails\n"
    "to run, 2 for bad usage (an unknown version, or one asked for that is not available).\n"
    "\n"
    "examples:\n"
    "  closenotify diff\n"
    "  closenotify diff --openssl 3.0 --family clean-shutdown --json results.json\n"
    "  closenotify diff --explain 'a-first-then-b/TLS_AES_128_GCM_SHA256/client/blocking'\n"
    "  closenotify diff --openssl 3.5 --profile openssl-3.0   # where 3.5 differs: red\n"
    "  closenotify diff --mutate first-shutdown-returns-1 --scenario a-first-then-b\n"
    "  closenotify diff --scenario a-first-then-b --pcap d.pcap --keylog d.keys\n"
    "  closenotify diff --compare-versions --family unexpected-eof\n";

namespace {

bool matches(const std::string& pattern, const std::string& id) {
  return fnmatch(pattern.c_str(), id.c_str(), 0) == 0 || id == pattern;
}

// progress: a bar on a terminal, a plain line per tenth otherwise, over every version's
// cases.
class progress {
 public:
  progress(std::size_t total, bool quiet) : total_(total), quiet_(quiet), tty_(::isatty(2) == 1) {}
  void update(const diff::case_result& r, const diff::live_openssl& openssl) {
    t_.add(r.cmp.result);
    const std::size_t done = ++done_;
    if (quiet_ || total_ == 0) return;
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    const std::size_t failed = t_.diverge_undocumented + t_.errors;
    const std::string label = openssl.label();
    if (tty_) {
      const int width = 30;
      const int filled = static_cast<int>(width * done / total_);
      std::fprintf(stderr, "\r[%s%s] %zu/%zu cases  %.1fs  %s  agree %zu  doc %zu  FAILED %zu  skip %zu ",
                   std::string(static_cast<std::size_t>(filled), '#').c_str(),
                   std::string(static_cast<std::size_t>(width - filled), '.').c_str(), done, total_, secs,
                   label.c_str(), t_.agree, t_.diverge_documented, failed, t_.skipped);
      if (done == total_) std::fputc('\n', stderr);
    } else if (done * 10 / total_ != (done - 1) * 10 / total_ || done == total_) {
      std::fprintf(stderr,
                   "closenotify diff: %zu/%zu cases (now %s), %.1fs, %zu agree, %zu documented, %zu failed, %zu "
                   "skipped\n",
                   done, total_, label.c_str(), secs, t_.agree, t_.diverge_documented, failed, t_.skipped);
    }
    std::fflush(stderr);
  }

 private:
  std::size_t total_;
  bool quiet_;
  bool tty_;
  std::size_t done_ = 0;
  diff::totals t_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

// write_capture: --pcap / --keylog: each run one TCP connection (a DTLS run: UDP, one
// datagram per record), reference then candidate.
std::optional<failure> write_capture(const options& o, const std::vector<diff::version_run>& runs) {
  auto p = o.get("pcap");
  if (!p) return std::nullopt;
  std::vector<diff::pcap_connection> connections;
  std::uint16_t port = 40000;
  for (const auto& v : runs) {
    for (const auto& r : v.results) {
      if (r.cmp.result == diff::verdict::skipped) continue;
      for (const auto* run : {&r.reference, &r.candidate}) {
        connections.push_back({run, r.def.c.a_is_client, port++, r.def.c.datagram});
      }
    }
  }
  std::ostringstream pcap;
  diff::write_pcap(pcap, connections);
  if (auto f = tools::write_output("--pcap", *p, pcap.str())) return f;
  if (auto k = o.get("keylog")) {
    std::ostringstream keys;
    diff::write_keylog(keys, connections);
    if (auto f = tools::write_output("--keylog", *k, keys.str(), tools::output_kind::secret)) return f;
  }
  std::size_t udp = 0;
  for (const auto& c : connections) udp += c.datagram ? 1 : 0;
  std::cerr << "closenotify diff: " << connections.size() << " runs written to " << *p << " from port 40000"
            << (connections.empty() ? "" : " to " + std::to_string(40000 + connections.size() - 1)) << ": "
            << (connections.size() - udp) << " as TCP connections to port 443, " << udp
            << " (DTLS) as UDP to port " << diff::pcap_dtls_server_port << "\n";
  return std::nullopt;
}

// select_cases: the matrix cases --scenario, --family and --filter leave.
std::variant<std::vector<diff::case_def>, failure> select_cases(const options& o,
                                                                const std::vector<diff::scenario>& scenarios,
                                                                const std::vector<diff::case_def>& all) {
  std::vector<std::string> wanted_scenarios;
  if (auto s = o.get("scenario")) {
    // An empty list would select nothing to narrow by, that is, the whole matrix.
    if (s->empty()) return usage("--scenario: a name, or names separated by commas");
    std::stringstream in(*s);
    for (std::string name; std::getline(in, name, ',');) {
      if (find_scenario(scenarios, name) == nullptr) return usage(unknown_scenario(scenarios, name));
      wanted_scenarios.push_back(name);
    }
  }
  std::set<diff::cell_protocol> protocols;  // empty: every protocol
  if (auto p = o.get("protocol")) {
    std::stringstream in(*p);
    for (std::string name; std::getline(in, name, ',');) {
      auto protocol = diff::parse_protocol(name);
      if (!protocol) return usage("--protocol: '" + name + "' is not tls1.3, tls1.2 or dtls1.2");
      protocols.insert(*protocol);
    }
    if (protocols.empty()) return usage("--protocol: tls1.3, tls1.2 or dtls1.2, or several separated by commas");
  }
  std::vector<diff::case_def> cases;
  for (const auto& c : all) {
    if (!wanted_scenarios.empty() &&
        std::find(wanted_scenarios.begin(), wanted_scenarios.end(), c.s->name) == wanted_scenarios.end()) {
      continue;
    }
    if (auto f = o.get("family"); f && c.s->family != *f) continue;
    if (!protocols.empty() && !protocols.contains(diff::protocol_of(c.c))) continue;
    if (auto f = o.get("filter"); f && !matches(*f, c.id)) continue;
    cases.push_back(c);
  }
  return cases;
}

// report_stream: where the readable report goes: stdout, unless `--json -` owns it.
std::ostream& report_stream(const options& o) { return o.get("json") == "-" ? std::cerr : std::cout; }

// write_json_output: --json FILE (or '-') for the runs carried out.
std::optional<failure> write_json_output(const options& o, const std::vector<diff::version_run>& runs,
                                         const std::vector<diff::missing_openssl>& missing, double wall) {
  auto j = o.get("json");
  if (!j) return std::nullopt;
  std::ostringstream out;
  diff::write_json(out, runs, missing, wall);
  return tools::write_output("--json", *j, out.str());
}

// explain: the one case against each version, both runs side by side.
outcome explain(const options& o, const diff::case_def& c, std::vector<diff::version_run>& runs,
                const std::vector<diff::run_config>& configs, const std::set<std::string>& documented,
                const std::vector<diff::missing_openssl>& missing) {
  std::ostream& text = report_stream(o);
  bool any_failed = false;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    if (i > 0) text << "\n";
    runs[i].results.push_back(diff::run_one(c, configs[i], documented));
    diff::print_explain(text, runs[i].results.back(), runs[i].openssl, runs[i].profile, o.has("transcript"));
    any_failed = any_failed || diff::failed(runs[i].results.back());
  }
  if (auto f = write_capture(o, runs); f) return *f;
  if (auto f = write_json_output(o, runs, missing, 0); f) return *f;
  return any_failed ? exit_rejected : exit_ok;
}

// list: the cases per version, with why skipped ones do not run, then the versions that
// cannot run.
void list(const std::vector<diff::case_def>& cases, const std::vector<diff::version_run>& runs,
          const std::vector<diff::run_config>& configs, const std::vector<diff::missing_openssl>& missing) {
  for (std::size_t i = 0; i < runs.size(); ++i) {
    std::cout << runs[i].openssl.label() << " (" << runs[i].openssl.version << "): " << cases.size() << " cases\n";
    for (const auto& c : cases) {
      auto why = diff::case_skip_reason(c, configs[i]);
      std::cout << "  " << c.id << (why ? "  (skipped: " + *why + ")" : "") << "\n";
    }
  }
  for (const auto& m : missing) std::cout << m.skip_line() << "\n";
}

struct rounds {
  std::vector<std::string> flaky;  // "3.5 id: round 1 agree, round 2 error"
  double wall_seconds = 0;         // of the first round
  std::string first_failure;       // with --fail-fast: "3.5 id: first difference"
};

// describe_failure: one line for --fail-fast: the version, the case, what went wrong.
std::string describe_failure(const diff::case_result& r, const diff::live_openssl& openssl) {
  auto what = diff::first_difference(r);
  if (what.empty()) what = std::string(to_string(r.cmp.result)) + (r.cmp.note.empty() ? "" : ": " + r.cmp.note);
  return openssl.label() + " " + r.def.id + ": " + what;
}

// run_rounds: every version's cases, `repeat` times; the first round's results stay in
// `runs`, later rounds are compared with them.
rounds run_rounds(const std::vector<diff::case_def>& cases, std::vector<diff::version_run>& runs,
                  const std::vector<diff::run_config>& configs, const std::set<std::string>& documented,
                  unsigned jobs, unsigned repeat, bool quiet, bool fail_fast) {
  rounds out;
  for (unsigned round = 0; round < repeat; ++round) {
    if (repeat > 1 && !quiet) std::fprintf(stderr, "closenotify diff: round %u of %u\n", round + 1, repeat);
    progress bar(cases.size() * runs.size(), quiet);
    const auto start = std::chrono::steady_clock::now();
    for (std::size_t i = 0; i < runs.size(); ++i) {
      auto& v = runs[i];
      const auto version_start = std::chrono::steady_clock::now();
      auto r = diff::run_cases(
          cases, configs[i], documented, jobs,
          [&](const diff::case_result& cr, std::size_t) { bar.update(cr, v.openssl); }, fail_fast);
      if (round == 0) {
        v.results = std::move(r);
        v.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - version_start).count();
        if (!fail_fast) continue;
        // Cases run in parallel, so more than one may have failed: name the first in the catalogue.
        auto hit = std::find_if(v.results.begin(), v.results.end(), diff::failed);
        if (hit == v.results.end()) continue;
        out.first_failure = describe_failure(*hit, v.openssl);
        return out;
      }
      for (std::size_t k = 0; k < r.size(); ++k) {
        const auto& first = v.results[k];
        if (r[k].cmp.result != first.cmp.result || diff::first_difference(r[k]) != diff::first_difference(first)) {
          out.flaky.push_back(std::string(v.openssl.series->name) + " " + r[k].def.id + ": round 1 " +
                              std::string(to_string(first.cmp.result)) + ", round " + std::to_string(round + 1) +
                              " " + std::string(to_string(r[k].cmp.result)));
        }
      }
    }
    if (round == 0) out.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  return out;
}

}  // namespace

outcome run_diff(const std::vector<std::string>& args) {
  auto parsed = parse_options(args,
                              {"scenario", "family", "filter", "explain", "json", "jobs", "repeat", "mutate",
                               "scenarios", "divergences", "peer", "pcap", "keylog", "profile", "openssl", "cells", "protocol"},
                              {"help", "transcript", "list", "quiet", "compare-versions", "exec-peers", "fail-fast"});
  if (auto* f = std::get_if<failure>(&parsed)) return *f;
  const auto& o = std::get<options>(parsed);
  if (o.has("help")) {
    std::fputs(diff_help, stdout);
    return exit_ok;
  }
  if (o.has("exec-peers")) diff::set_peer_start(diff::peer_start::exec);
  if (!o.positional.empty()) return usage("unexpected argument '" + o.positional.front() + "'");
  ::signal(SIGPIPE, SIG_IGN);  // a peer that died must not take the runner with it

  const auto catalogue = diff::find_catalogue(program_dir());
  const std::string scenarios_dir = o.get("scenarios").value_or(catalogue.scenarios_dir);
  const std::string divergences_path = o.get("divergences").value_or(catalogue.divergence_ids);
  diff::run_config base;
  if (auto m = o.get("mutate")) {
    auto mut = diff::parse_mutation(*m);
    if (!mut) return usage("unknown --mutate '" + *m + "' (known: " + std::string(diff::mutation_names()) + ")");
    base.mutate = *mut;
  }
  auto asked_profile = parse_profile(o);
  if (auto* f = std::get_if<failure>(&asked_profile)) return *f;
  unsigned jobs = std::max(1u, std::thread::hardware_concurrency()) * 2;
  if (auto j = o.get("jobs")) {
    auto n = parse_number(*j, 1, 256);
    if (!n) return usage("--jobs: a number 1..256");
    jobs = static_cast<unsigned>(*n);
  }
  unsigned repeat = 1;
  if (auto r = o.get("repeat")) {
    auto n = parse_number(*r, 1, 100);
    if (!n) return usage("--repeat: a number 1..100");
    repeat = static_cast<unsigned>(*n);
  }

  auto loaded = diff::load_scenarios(scenarios_dir);
  if (auto* e = std::get_if<tools::error>(&loaded)) return *e;
  const auto& scenarios = std::get<std::vector<diff::scenario>>(loaded);
  auto divergences_text = tools::read_input_file(divergences_path, {});
  if (auto* e = std::get_if<tools::error>(&divergences_text)) return usage(e->message);
  const auto documented = diff::documented_divergences(std::get<std::string>(divergences_text));

  if (auto f = o.get("family")) {
    if (auto why = unknown_family(scenarios, *f); !why.empty()) return usage(why);
  }
  if (o.has("keylog") && !o.has("pcap")) return usage("--keylog goes with --pcap");
  if (auto f = tools::refuse_stdout(o, {"pcap", "keylog"})) return *f;
  if (o.has("list") && o.has("json")) return usage("--json does not go with --list (it lists cases, runs none)");
  if (o.has("fail-fast") && repeat > 1) return usage("--fail-fast does not go with --repeat (it stops at a failure)");
  if (o.has("pcap") && !o.has("scenario") && !o.has("explain")) {
    return usage("--pcap needs --scenario or --explain (a capture of the whole matrix would be gigabytes)");
  }
  const auto all = diff::build_matrix(scenarios);
  auto selected = select_cases(o, scenarios, all);
  if (auto* f = std::get_if<failure>(&selected)) return *f;
  const auto& cases = std::get<std::vector<diff::case_def>>(selected);
  if (o.has("compare-versions") || o.has("cells")) return run_compare_versions(o, cases, jobs);
  std::vector<diff::case_def> hits;
  if (auto e = o.get("explain")) {
    for (const auto& c : all) {
      if (matches(*e, c.id)) hits.push_back(c);
    }
    if (hits.empty()) return usage("no case matches '" + *e + "' (see closenotify diff --list)");
    if (hits.size() > 1) {
      return usage("'" + *e + "' matches " + std::to_string(hits.size()) + " cases, e.g. " + hits[0].id + " and " +
                   hits[1].id);
    }
  } else if (cases.empty()) {
    return usage("the selection matches no case");
  }

  auto chosen = choose_openssl_versions(o);
  if (auto* f = std::get_if<failure>(&chosen)) return *f;
  const auto& versions = std::get<openssl_choice>(chosen);
  std::vector<diff::version_run> runs;
  std::vector<diff::run_config> configs;
  for (const auto& v : versions.live) {
    configs.push_back(diff::config_for(v, std::get<std::optional<profile_id>>(asked_profile), base));
    runs.push_back({v, configs.back().profile, {}, 0});
    if (configs.back().profile != v.series->profile && !o.has("list")) {
      std::fprintf(stderr,
                   "closenotify diff: closenotify follows the %s profile; the live peer is %s (profile %s), so the "
                   "rows of `closenotify profiles` where they differ show as undocumented divergences\n",
                   std::string(profile_for(configs.back().profile).name).c_str(), v.version.c_str(),
                   std::string(profile_for(v.series->profile).name).c_str());
    }
  }
  if (!o.has("quiet") && !o.has("list")) {
    for (const auto& v : versions.live) {
      std::fprintf(stderr, "closenotify diff: against %s (peer %s)\n", v.version.c_str(), v.peer_path.c_str());
    }
    for (const auto& m : versions.missing) std::fprintf(stderr, "closenotify diff: %s\n", m.skip_line().c_str());
  }

  if (!hits.empty()) return explain(o, hits[0], runs, configs, documented, versions.missing);
  if (o.has("list")) {
    list(cases, runs, configs, versions.missing);
    return exit_ok;
  }

  // The whole matrix keeps each case's verdict and observations, not its transcripts,
  // unless a capture of it was asked for.
  if (!o.has("pcap")) {
    for (auto& c : configs) c.keep_transcripts = false;
  }
  const auto done = run_rounds(cases, runs, configs, documented, jobs, repeat, o.has("quiet"), o.has("fail-fast"));
  if (!done.first_failure.empty()) {
    report_stream(o) << "closenotify diff: --fail-fast: first failure: " << done.first_failure << "\n";
    if (auto f = write_json_output(o, runs, versions.missing, done.wall_seconds); f) return *f;
    return exit_rejected;
  }
  const auto& flaky = done.flaky;
  const double wall = done.wall_seconds;
  std::ostream& text = report_stream(o);
  for (const auto& v : runs) diff::print_summary(text, v);
  diff::print_versions(text, runs, versions.missing, wall, jobs);
  if (auto f = write_capture(o, runs); f) return *f;
  if (repeat > 1) {
    text << "\ndeterminism: " << repeat << " rounds, " << flaky.size() << " case results changed\n";
    for (const auto& f : flaky) text << "  FLAKY " << f << "\n";
  }
  if (auto f = write_json_output(o, runs, versions.missing, wall); f) return *f;
  bool passed = flaky.empty();
  for (const auto& v : runs) passed = passed && diff::count(v.results).passed();
  return passed ? exit_ok : exit_rejected;
}

}  // namespace closenotify::cli

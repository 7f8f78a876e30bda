// diff.cpp — `closenotify diff`: the differential matrix against a live OpenSSL 3.0.
#include <fnmatch.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "../diff/matrix.hpp"
#include "../diff/pcap.hpp"
#include "../diff/report.hpp"
#include "commands.hpp"
#include "selection.hpp"

namespace closenotify::cli {

const char* const diff_help =
    "usage: closenotify diff [options]\n"
    "\n"
    "Run the differential matrix: every scenario of the catalogue (tests/scenarios/*.scn) in\n"
    "every cell (6 cipher suites x A as client or server x blocking or nonblocking IO).\n"
    "Each case is run twice on a socketpair: the reference run with two live OpenSSL 3.0\n"
    "peers (tools/peer), the candidate run with side A handed over to a closenotify\n"
    "endpoint right after the handshake. Every step's observations on both sides (return\n"
    "value, SSL_get_error class, shutdown flags, bytes read, alerts received, reason, the\n"
    "decrypted records put on the wire) must be equal, or differ only as a scenario\n"
    "declares and docs/divergences.md documents.\n"
    "\n"
    "options:\n"
    "  --scenario NAME[,NAME]  only these scenarios\n"
    "  --family NAME           only this scenario family\n"
    "  --filter GLOB           only cases whose id matches (ids: scenario/suite/role/io,\n"
    "                          e.g. '*/TLS_AES_128_GCM_SHA256/client/*')\n"
    "  --explain CASE          run one case and print both runs side by side, step by step,\n"
    "                          the first difference marked (CASE: an id or a glob matching one)\n"
    "  --transcript            with --explain: also the protocol lines of both runs\n"
    "  --json FILE             per-case results and totals as JSON ('-' for stdout)\n"
    "  --list                  list the cases (and why skipped ones do not apply); run nothing\n"
    "  --jobs N                cases run at once (default: 2 per core)\n"
    "  --repeat N              run the selection N times and report any case whose result\n"
    "                          changed between runs (a flaky case is a bug)\n"
    "  --profile NAME          closenotify follows this page's profile (default openssl-3.0,\n"
    "                          the live peer's; see `closenotify profiles`): the differences\n"
    "                          the profiles table lists then show as divergences\n"
    "  --mutate NAME           run a deliberately wrong closenotify, to see the comparison\n"
    "                          catch it: first-shutdown-returns-1, no-close-notify,\n"
    "                          read-ignores-close-notify\n"
    "  --quiet                 no progress output\n"
    "  --scenarios DIR         the catalogue (default: the source tree's tests/scenarios)\n"
    "  --divergences FILE      the documented divergences (default: docs/divergences.md)\n"
    "  --peer PATH             the OpenSSL peer executable (default: next to this program)\n"
    "  --pcap FILE             with --scenario or --explain: every run of the selection as one\n"
    "                          TCP connection (port 443) of a pcap for Wireshark/tshark, handshake\n"
    "                          included (docs/trace.md); reference and candidate runs alternate\n"
    "  --keylog FILE           with --pcap: the runs' secrets as an SSLKEYLOGFILE\n"
    "\n"
    "Progress goes to stderr (a bar on a terminal, a line per 10% otherwise); the summary\n"
    "tables to stdout. Exit status: 0 when every case agrees or diverges as documented,\n"
    "1 when any case diverges undocumented or fails to run, 2 for bad usage.\n"
    "\n"
    "examples:\n"
    "  closenotify diff\n"
    "  closenotify diff --family clean-shutdown --json results.json\n"
    "  closenotify diff --explain 'a-first-then-b/TLS_AES_128_GCM_SHA256/client/blocking'\n"
    "  closenotify diff --mutate first-shutdown-returns-1 --scenario a-first-then-b\n"
    "  closenotify diff --scenario a-first-then-b --pcap d.pcap --keylog d.keys\n";

namespace {

std::string self_dir() {
  std::error_code ec;
  auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string(".") : p.parent_path().string();
}

}  // namespace

std::string default_peer_path() {
  if (const char* env = std::getenv("CLOSENOTIFY_PEER")) return env;
  const std::string dir = self_dir();
  for (const auto& candidate : {dir + "/peer/closenotify-peer", dir + "/closenotify-peer"}) {
    if (::access(candidate.c_str(), X_OK) == 0) return std::filesystem::weakly_canonical(candidate).string();
  }
  return dir + "/peer/closenotify-peer";
}

namespace {

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

bool matches(const std::string& pattern, const std::string& id) {
  return fnmatch(pattern.c_str(), id.c_str(), 0) == 0 || id == pattern;
}

// progress: a bar on a terminal, a plain line per tenth otherwise.
class progress {
 public:
  progress(std::size_t total, bool quiet) : total_(total), quiet_(quiet), tty_(::isatty(2) == 1) {}
  void update(const diff::case_result& r, std::size_t done) {
    t_.add(r.cmp.result);
    if (quiet_ || total_ == 0) return;
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    const std::size_t failed = t_.diverge_undocumented + t_.errors;
    if (tty_) {
      const int width = 30;
      const int filled = static_cast<int>(width * done / total_);
      std::fprintf(stderr, "\r[%s%s] %zu/%zu cases  %.1fs  agree %zu  doc %zu  FAILED %zu  skip %zu ",
                   std::string(static_cast<std::size_t>(filled), '#').c_str(),
                   std::string(static_cast<std::size_t>(width - filled), '.').c_str(), done, total_, secs,
                   t_.agree, t_.diverge_documented, failed, t_.skipped);
      if (done == total_) std::fputc('\n', stderr);
    } else if (done * 10 / total_ != (done - 1) * 10 / total_ || done == total_) {
      std::fprintf(stderr, "closenotify diff: %zu/%zu cases, %.1fs, %zu agree, %zu documented, %zu failed, %zu skipped\n",
                   done, total_, secs, t_.agree, t_.diverge_documented, failed, t_.skipped);
    }
    std::fflush(stderr);
  }

 private:
  std::size_t total_;
  bool quiet_;
  bool tty_;
  diff::totals t_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

// write_capture: --pcap / --keylog: each run one TCP connection, reference then candidate.
std::optional<failure> write_capture(const options& o, const std::vector<diff::case_result>& results) {
  auto p = o.get("pcap");
  if (!p) return std::nullopt;
  std::vector<diff::pcap_connection> connections;
  std::uint16_t port = 40000;
  for (const auto& r : results) {
    if (r.cmp.result == diff::verdict::skipped) continue;
    for (const auto* run : {&r.reference, &r.candidate}) connections.push_back({run, r.def.c.a_is_client, port++});
  }
  std::ofstream out(*p, std::ios::binary);
  diff::write_pcap(out, connections);
  if (!out) return failure{exit_usage, "cannot write " + *p};
  if (auto k = o.get("keylog")) {
    std::ofstream keys(*k);
    diff::write_keylog(keys, connections);
    if (!keys) return failure{exit_usage, "cannot write " + *k};
  }
  std::cerr << "closenotify diff: " << connections.size() << " runs written to " << *p << " as TCP connections from port 40000"
            << (connections.empty() ? "" : " to " + std::to_string(40000 + connections.size() - 1)) << " to port 443\n";
  return std::nullopt;
}

}  // namespace

outcome run_diff(const std::vector<std::string>& args) {
  auto parsed = parse_options(args,
                              {"scenario", "family", "filter", "explain", "json", "jobs", "repeat", "mutate",
                               "scenarios", "divergences", "peer", "pcap", "keylog", "profile"},
                              {"help", "transcript", "list", "quiet"});
  if (auto* f = std::get_if<failure>(&parsed)) return *f;
  const auto& o = std::get<options>(parsed);
  if (o.has("help")) {
    std::fputs(diff_help, stdout);
    return exit_ok;
  }
  if (!o.positional.empty()) return usage("unexpected argument '" + o.positional.front() + "'");
  ::signal(SIGPIPE, SIG_IGN);  // a peer that died must not take the runner with it

  const std::string root = CLOSENOTIFY_SOURCE_ROOT;
  const std::string scenarios_dir = o.get("scenarios").value_or(root + "/tests/scenarios");
  const std::string divergences_path = o.get("divergences").value_or(root + "/docs/divergences.md");
  diff::run_config config;
  config.peer_path = o.get("peer").value_or(default_peer_path());
  if (::access(config.peer_path.c_str(), X_OK) != 0) {
    return usage("no OpenSSL peer executable at " + config.peer_path + " (build it, or give --peer)");
  }
  if (auto m = o.get("mutate")) {
    auto mut = diff::parse_mutation(*m);
    if (!mut) return usage("unknown --mutate '" + *m + "' (known: " + std::string(diff::mutation_names()) + ")");
    config.mutate = *mut;
  }
  auto profile = parse_profile(o);
  if (auto* f = std::get_if<failure>(&profile)) return *f;
  config.profile = std::get<profile_id>(profile);
  if (config.profile != profile_id::openssl_3_0) {
    std::fprintf(stderr,
                 "closenotify diff: closenotify follows the %s profile; the live peer is OpenSSL 3.0, so the "
                 "rows of `closenotify profiles` where they differ show as undocumented divergences\n",
                 std::string(profile_for(config.profile).name).c_str());
  }
  unsigned jobs = std::max(1u, std::thread::hardware_concurrency()) * 2;
  if (auto j = o.get("jobs")) {
    try {
      jobs = static_cast<unsigned>(std::stoul(*j));
    } catch (...) {
      jobs = 0;
    }
    if (jobs == 0 || jobs > 256) return usage("--jobs: a number 1..256");
  }
  unsigned repeat = 1;
  if (auto r = o.get("repeat")) {
    try {
      repeat = static_cast<unsigned>(std::stoul(*r));
    } catch (...) {
      repeat = 0;
    }
    if (repeat == 0 || repeat > 100) return usage("--repeat: a number 1..100");
  }

  auto loaded = diff::load_scenarios(scenarios_dir);
  if (auto* e = std::get_if<diff::parse_error>(&loaded)) return failure{exit_usage, e->message};
  const auto& scenarios = std::get<std::vector<diff::scenario>>(loaded);
  auto divergences_text = read_file(divergences_path);
  if (!divergences_text) return usage("cannot read " + divergences_path);
  const auto documented = diff::documented_divergences(*divergences_text);

  if (auto f = o.get("family")) {
    if (auto why = unknown_family(scenarios, *f); !why.empty()) return usage(why);
  }
  if (o.has("keylog") && !o.has("pcap")) return usage("--keylog goes with --pcap");
  if (o.has("pcap") && !o.has("scenario") && !o.has("explain")) {
    return usage("--pcap needs --scenario or --explain (a capture of the whole matrix would be gigabytes)");
  }
  auto all = diff::build_matrix(scenarios);
  std::vector<diff::case_def> cases;
  std::vector<std::string> wanted_scenarios;
  if (auto s = o.get("scenario")) {
    std::stringstream in(*s);
    for (std::string name; std::getline(in, name, ',');) {
      bool known = false;
      for (const auto& sc : scenarios) known = known || sc.name == name;
      if (!known) return usage(unknown_scenario(scenarios, name));
      wanted_scenarios.push_back(name);
    }
  }
  for (auto& c : all) {
    if (!wanted_scenarios.empty() &&
        std::find(wanted_scenarios.begin(), wanted_scenarios.end(), c.s->name) == wanted_scenarios.end()) {
      continue;
    }
    if (auto f = o.get("family"); f && c.s->family != *f) continue;
    if (auto f = o.get("filter"); f && !matches(*f, c.id)) continue;
    cases.push_back(c);
  }

  if (auto e = o.get("explain")) {
    std::vector<diff::case_def> hits;
    for (const auto& c : all) {
      if (matches(*e, c.id)) hits.push_back(c);
    }
    if (hits.empty()) return usage("no case matches '" + *e + "' (see closenotify diff --list)");
    if (hits.size() > 1) {
      return usage("'" + *e + "' matches " + std::to_string(hits.size()) + " cases, e.g. " + hits[0].id + " and " +
                   hits[1].id);
    }
    auto r = diff::run_one(hits[0], config, documented);
    diff::print_explain(std::cout, r, o.has("transcript"));
    if (auto f = write_capture(o, {r}); f) return *f;
    return r.cmp.result == diff::verdict::diverge_undocumented || r.cmp.result == diff::verdict::error
               ? exit_rejected
               : exit_ok;
  }
  if (cases.empty()) return usage("the selection matches no case");
  if (o.has("list")) {
    for (const auto& c : cases) {
      auto why = diff::skip_reason(*c.s, c.c);
      std::cout << c.id << (why ? "  (skipped: " + *why + ")" : "") << "\n";
    }
    return exit_ok;
  }

  std::vector<diff::case_result> results;
  std::vector<std::string> flaky;
  double wall = 0;
  for (unsigned round = 0; round < repeat; ++round) {
    if (repeat > 1 && !o.has("quiet")) std::fprintf(stderr, "closenotify diff: round %u of %u\n", round + 1, repeat);
    progress bar(cases.size(), o.has("quiet"));
    const auto start = std::chrono::steady_clock::now();
    auto r = diff::run_cases(cases, config, documented, jobs,
                             [&](const diff::case_result& cr, std::size_t done) { bar.update(cr, done); });
    wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (round > 0) {
      for (std::size_t i = 0; i < r.size(); ++i) {
        if (r[i].cmp.result != results[i].cmp.result ||
            diff::first_difference(r[i]) != diff::first_difference(results[i])) {
          flaky.push_back(r[i].def.id + ": round 1 " + std::string(to_string(results[i].cmp.result)) + ", round " +
                          std::to_string(round + 1) + " " + std::string(to_string(r[i].cmp.result)));
        }
      }
    } else {
      results = std::move(r);
    }
  }

  diff::print_summary(std::cout, results, wall, jobs);
  if (auto f = write_capture(o, results); f) return *f;
  if (repeat > 1) {
    std::cout << "\ndeterminism: " << repeat << " rounds, " << flaky.size() << " case results changed\n";
    for (const auto& f : flaky) std::cout << "  FLAKY " << f << "\n";
  }
  if (auto j = o.get("json")) {
    if (*j == "-") {
      diff::write_json(std::cout, results, wall);
    } else {
      std::ofstream out(*j);
      diff::write_json(out, results, wall);
      if (!out) return failure{exit_usage, "cannot write " + *j};
    }
  }
  const auto t = diff::count(results);
  return t.passed() && flaky.empty() ? exit_ok : exit_rejected;
}

}  // namespace closenotify::cli

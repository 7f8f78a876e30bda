// replay.cpp — `closenotify replay DIR`: fuzz inputs through the differential path.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include "input_file.hpp"
#include "json.hpp"
#include "catalogue.hpp"
#include "replay.hpp"
#include "commands.hpp"
#include "openssl_option.hpp"
#include "output_file.hpp"

namespace closenotify::cli {

const char* const replay_help =
    "usage: closenotify replay DIR|FILE... [options]\n"
    "\n"
    "Replay fuzz inputs against a live OpenSSL (--openssl). Each file is read as an endpoint\n"
    "event script (the input format of the fuzz_endpoint target, docs/fuzzing.md): the peer's\n"
    "records (sealed with the handed-off keys), raw bytes, EOF and resets become steps of\n"
    "the OpenSSL peer B; the script's calls become steps of A; the case runs once with A\n"
    "as OpenSSL and once with A as closenotify, as `closenotify diff` runs a scenario\n"
    "(nonblocking, in the suite and role the script names). Transport faults (EAGAIN,\n"
    "short writes) have no counterpart on a socketpair and are dropped, and counted.\n"
    "\n"
    "With --dtls each file is read as fuzz_dtls_endpoint reads it (testkit/dtls_script.hpp)\n"
    "and runs in the DTLS 1.2 cell of its suite and role, on a datagram socketpair: the\n"
    "peer's records are injected as datagrams with the harness's sequence numbers (relative\n"
    "to B's next, `seq +K`) and epochs, a zero-length datagram is `raw -`. Bad tags, tampered\n"
    "bytes, records sharing a datagram, read errors, the harness's datagram faults, EAGAIN\n"
    "and the hand-over bit have no scenario counterpart and are dropped, and counted.\n"
    "\n"
    "An input on which the two disagree (beyond docs/divergences.md) is minimised: events\n"
    "are removed and payloads halved while the disagreement stays. Its minimised script\n"
    "(<name>.min, for fuzz/regressions/endpoint or, with --dtls, dtls_endpoint) and the case\n"
    "as catalogue text (<name>.scn) are written to --out.\n"
    "\n"
    "options:\n"
    "  --dtls             read the inputs as fuzz_dtls_endpoint inputs (default: fuzz_endpoint)\n"
    "  --out DIR          where disagreements go (default: replay-disagreements)\n"
    "  --jobs N           inputs replayed at once (default: 2 per core)\n"
    "  --limit N          replay at most N inputs (sorted by name)\n"
    "  --budget N         extra runs allowed per input for minimising (default 200)\n"
    "  --no-minimise      report disagreements as they are\n"
    "  --json FILE        per-input results as JSON ('-' for stdout)\n"
    "  --quiet            no progress output\n"
    "  --divergences FILE the ids of the documented divergences (default: the catalogue's\n"
    "                     divergences.ids; docs/divergences.md explains each)\n"
    "  --openssl VERSION  the live OpenSSL: 1.1.1, 3.0 or 3.5 (default 3.0, or the only one\n"
    "                     whose peer is built); closenotify follows its profile\n"
    "  --peer PATH        the OpenSSL peer executable (default: the --openssl version's, next\n"
    "                     to this program)\n"
    "  --mutate NAME      replay against a deliberately wrong closenotify (as closenotify diff)\n"
    "\n"
    "Exit status: 0 when no input disagrees, 1 when one does, 2 for bad usage.\n"
    "\n"
    "examples:\n"
    "  closenotify replay build-fuzz/corpus/endpoint --limit 500\n"
    "  closenotify replay fuzz/regressions/endpoint --openssl 3.5\n"
    "  closenotify replay build-fuzz/corpus/dtls_endpoint --dtls --limit 500\n";

outcome run_replay(const std::vector<std::string>& args) {
  namespace fs = std::filesystem;
  auto parsed =
      parse_options(args, {"out", "jobs", "limit", "budget", "json", "divergences", "peer", "mutate", "openssl"},
                    {"help", "no-minimise", "quiet", "dtls"});
  if (auto* f = std::get_if<failure>(&parsed)) return *f;
  const auto& o = std::get<options>(parsed);
  if (o.has("help")) {
    std::fputs(replay_help, stdout);
    return exit_ok;
  }
  if (o.positional.empty()) return usage("replay needs a directory or file of inputs (see closenotify replay --help)");
  ::signal(SIGPIPE, SIG_IGN);

  auto number = [&](const char* name, std::size_t fallback, std::size_t max) -> std::optional<std::size_t> {
    auto v = o.get(name);
    if (!v) return fallback;
    return parse_number(*v, 1, max);
  };
  auto jobs = number("jobs", std::max(1u, std::thread::hardware_concurrency()) * 2, 256);
  auto limit = number("limit", SIZE_MAX, SIZE_MAX);
  auto budget = number("budget", 200, 100000);
  if (!jobs) return usage("--jobs: a number 1..256");
  if (!limit) return usage("--limit: a positive number");
  if (!budget) return usage("--budget: a number 1..100000");
  auto chosen = choose_openssl(o);
  if (auto* f = std::get_if<failure>(&chosen)) return *f;
  const auto& openssl = std::get<diff::live_openssl>(chosen);

  std::vector<fs::path> files;
  for (const auto& p : o.positional) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      // Error codes, not exceptions: an unreadable folder or a symlink loop inside the
      // corpus is one line, not an internal error.
      for (fs::recursive_directory_iterator it(p, ec), end; !ec && it != end; it.increment(ec)) {
        if (it->is_regular_file(ec)) files.push_back(it->path());
        if (ec) return usage(it->path().string() + ": " + ec.message());
      }
      if (ec) return usage(p + ": " + ec.message());
    } else if (fs::is_regular_file(p, ec)) {
      files.emplace_back(p);
    } else if (fs::exists(fs::symlink_status(p, ec))) {
      return usage(p + ": not a regular file or directory");
    } else {
      return usage("no such file or directory: " + p);
    }
  }
  std::sort(files.begin(), files.end());
  if (files.size() > *limit) files.resize(*limit);
  if (files.empty()) return usage("no input files in " + o.positional.front());
  // Read up front, bounded: the fuzzers' inputs are at most 20000 bytes (fuzz/run.sh
  // -max_len), so a file of megabytes is not an input but a mistake.
  constexpr tools::input_limits kInputLimits{1u << 20, 0};
  std::vector<std::vector<std::uint8_t>> inputs;
  inputs.reserve(files.size());
  for (const auto& f : files) {
    auto bytes = tools::read_input_file(f.string(), kInputLimits);
    if (auto* e = std::get_if<tools::error>(&bytes)) return *e;
    const auto& text = std::get<std::string>(bytes);
    inputs.emplace_back(text.begin(), text.end());
  }

  auto config = diff::config_for(openssl, std::nullopt);
  if (auto m = o.get("mutate")) {
    auto mut = diff::parse_mutation(*m);
    if (!mut) return usage("unknown --mutate '" + *m + "' (known: " + std::string(diff::mutation_names()) + ")");
    config.mutate = *mut;
  }
  const std::string divergences_path =
      o.get("divergences").value_or(diff::find_catalogue(program_dir()).divergence_ids);
  auto divergences_text = tools::read_input_file(divergences_path, {});
  if (auto* e = std::get_if<tools::error>(&divergences_text)) return usage(e->message);
  const auto documented = diff::documented_divergences(std::get<std::string>(divergences_text));
  const fs::path out_dir = o.get("out").value_or("replay-disagreements");

  std::vector<diff::replay_result> results(files.size());
  std::atomic<std::size_t> next{0}, done{0};
  std::mutex print_mu;
  const bool quiet = o.has("quiet");
  const auto reading = o.has("dtls") ? diff::script_reading::dtls_endpoint : diff::script_reading::endpoint;
  const auto start = std::chrono::steady_clock::now();
  auto worker = [&] {
    for (std::size_t i; (i = next++) < files.size();) {
      results[i] = diff::replay_one(fuzz::decode_script(inputs[i]), files[i].filename().string(), config, documented,
                                    !o.has("no-minimise"), *budget, reading);
      const std::size_t d = ++done;
      if (!quiet && (d % 50 == 0 || d == files.size())) {
        std::lock_guard lock(print_mu);
        std::fprintf(stderr, "closenotify replay: %zu/%zu inputs, %.1fs\n", d, files.size(),
                     std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
      }
    }
  };
  std::vector<std::thread> pool;
  for (std::size_t j = 0; j < std::min<std::size_t>(*jobs, files.size()); ++j) pool.emplace_back(worker);
  for (auto& t : pool) t.join();
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  // With --json - the JSON owns stdout; the readable report goes to stderr.
  const bool json_to_stdout = o.get("json") == std::optional<std::string>("-");
  std::ostream& text = json_to_stdout ? std::cerr : std::cout;
  std::size_t agree = 0, documented_n = 0, disagree = 0, errors = 0, skipped = 0, runs = 0, dropped = 0;
  std::map<std::string, std::size_t> skip_reasons;
  for (std::size_t i = 0; i < results.size(); ++i) {
    const auto& r = results[i];
    runs += r.runs;
    dropped += r.dropped.size();
    switch (r.result.cmp.result) {
      case diff::verdict::agree: ++agree; break;
      case diff::verdict::diverge_documented: ++documented_n; break;
      case diff::verdict::diverge_undocumented: ++disagree; break;
      case diff::verdict::skipped: ++skipped, ++skip_reasons[r.result.cmp.note]; break;
      case diff::verdict::error: ++errors; break;
    }
    if (r.result.cmp.result == diff::verdict::diverge_undocumented) {
      std::error_code ec;
      fs::create_directories(out_dir, ec);
      if (ec) return failure{exit_usage, "--out: cannot create " + out_dir.string() + ": " + ec.message()};
      if (auto f = tools::write_output("--out", (out_dir / (r.input + ".scn")).string(), r.scn)) return *f;
      const auto min = fuzz::encode_script(r.minimised);
      const std::string_view min_bytes(reinterpret_cast<const char*>(min.data()), min.size());
      if (auto f = tools::write_output("--out", (out_dir / (r.input + ".min")).string(), min_bytes)) return *f;
      text << "DISAGREE " << r.input << " (" << r.minimised.events.size() << " of " << r.original_events
                << " events after minimising): " << r.first_difference << "\n    -> " << (out_dir / (r.input + ".scn")).string()
                << "\n";
    } else if (r.result.cmp.result == diff::verdict::error) {
      text << "ERROR    " << r.input << ": " << r.result.cmp.note << r.result.reference.harness_error
                << r.result.candidate.harness_error << "\n";
    }
  }
  text << "replay against " << openssl.version << " (profile " << profile_for(config.profile).name
       << "): " << results.size() << " inputs: " << agree << " agree, " << documented_n << " diverge (documented), "
       << disagree << " disagree, " << errors << " errors, " << skipped << " skipped";
  for (const auto& [why, n] : skip_reasons) text << " (" << n << ": " << why << ")";
  text << "; " << runs << " cases run, " << dropped
       << (o.has("dtls") ? " events dropped (no scenario counterpart); " : " transport-fault events dropped; ")
       << std::fixed;
  text.precision(1);
  text << wall << " s wall, " << *jobs << " jobs\n";

  if (auto j = o.get("json")) {
    tools::json inputs = tools::json::array();
    for (const auto& r : results) {
      tools::json one = {{"input", r.input},
                         {"result", to_string(r.result.cmp.result)},
                         {"events", r.original_events},
                         {"minimised_events", r.minimised.events.size()},
                         {"runs", r.runs},
                         {"first_difference", r.first_difference},
                         {"dropped", r.dropped.size()},
                         {"dropped_events", r.dropped}};
      if (r.result.cmp.result == diff::verdict::skipped) one["note"] = r.result.cmp.note;
      inputs.push_back(std::move(one));
    }
    const tools::json doc = {{"openssl", openssl.series->name},
                             {"openssl_version", openssl.version},
                             {"inputs", std::move(inputs)},
                             {"totals",
                              {{"inputs", results.size()},
                               {"agree", agree},
                               {"diverge_documented", documented_n},
                               {"disagree", disagree},
                               {"errors", errors},
                               {"skipped", skipped}}},
                             {"wall_seconds", wall}};
    if (auto f = tools::write_output("--json", *j, tools::json_text(doc) + "\n")) return *f;
  }
  return disagree == 0 && errors == 0 ? exit_ok : exit_rejected;
}

}  // namespace closenotify::cli

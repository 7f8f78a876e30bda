// main.cpp — closenotify-bench, the program behind `closenotify bench` (help.hpp says
// what each figure is; docs/performance.md has a run and what bounds each result).
//
// Why a separate executable: figure 5 counts every heap allocation of the process with an
// interposed malloc (counting_malloc.cpp). That belongs in a program that does nothing
// else, not in the `closenotify` CLI whose `diff` runs dozens of threads; `closenotify
// bench` execs this program. It links closenotify and BoringSSL, never OpenSSL.
#include <fcntl.h>
#include <unistd.h>

#include <charconv>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <thread>

#include "error_line.hpp"
#include "options.hpp"
#include "bench.hpp"
#include "help.hpp"
#include "process.hpp"

#ifndef CLOSENOTIFY_BUILDTYPE
#define CLOSENOTIFY_BUILDTYPE "unknown"
#endif
#ifndef CLOSENOTIFY_BORINGSSL_LIBDIR
#define CLOSENOTIFY_BORINGSSL_LIBDIR "unknown"
#endif

namespace closenotify::bench {
namespace {

struct config {
  bool quick = false, quiet = false, strace = true;
  std::size_t samples = 31;
  std::size_t app_batch = 128, close_batch = 1024, endpoint_close_batch = 64;
  std::size_t diff_runs = 3, diff_jobs = 4;
  std::string diff_family;
  std::string peer, closenotify;
  std::vector<const cipher_suite*> suites;
};

std::string self_dir() {
  std::error_code ec;
  auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string(".") : p.parent_path().string();
}

// next_to: `name` in this program's build tree (tools/bench/..) or install directory.
std::string next_to(const std::vector<std::string>& relative) {
  const std::string dir = self_dir();
  for (const auto& r : relative) {
    const std::string candidate = dir + "/" + r;
    if (::access(candidate.c_str(), X_OK) == 0) return std::filesystem::weakly_canonical(candidate).string();
  }
  return dir + "/" + relative.front();
}

void progress(const config& c, const std::string& line) {
  if (c.quiet) return;
  std::fprintf(stderr, "closenotify bench: %s\n", line.c_str());
  std::fflush(stderr);
}

double load_average() {
  std::ifstream in("/proc/loadavg");
  double v = 0;
  in >> v;
  return v;
}

machine_info machine() {
  machine_info m;
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("model name", 0) == 0) {
      m.cpu = line.substr(line.find(':') + 2);
      break;
    }
  }
  m.cores = std::thread::hardware_concurrency();
#if defined(__clang__)
  m.compiler = "clang++ " __clang_version__;
#elif defined(__GNUC__)
  m.compiler = "g++ " __VERSION__;
#endif
  m.build_type = CLOSENOTIFY_BUILDTYPE;
  m.boringssl = CLOSENOTIFY_BORINGSSL_LIBDIR;
  m.load_before = load_average();
  char date[64];
  const std::time_t t = std::time(nullptr);
  std::strftime(date, sizeof date, "%Y-%m-%d %H:%M UTC", std::gmtime(&t));
  m.date = date;
  return m;
}

std::variant<std::size_t, tools::error> count_option(const tools::options& o, const std::string& name, std::size_t def,
                                                     std::size_t lo, std::size_t hi) {
  auto v = o.get(name);
  if (!v) return def;
  std::size_t n = 0;
  const char* end = v->data() + v->size();
  const auto [at, ec] = std::from_chars(v->data(), end, n);
  if (ec != std::errc() || at != end || n < lo || n > hi) {
    return tools::usage("--" + name + ": a number " + std::to_string(lo) + ".." + std::to_string(hi));
  }
  return n;
}

// ---- figures 3, 4 (OpenSSL part) and 5 (OpenSSL part) for one suite ---------------

std::optional<tools::error> openssl_figures(const config& c, const cipher_suite& s, results& r) {
  peer_process peer{std::string(s.name)};
  if (auto e = peer.start(c.peer)) return e;
  if (r.machine.openssl.empty()) {
    auto hello = peer.ask("hello");
    if (auto* e = std::get_if<tools::error>(&hello)) return std::move(*e);
    auto version = peer.text(std::get<tools::json>(hello), "openssl");
    if (auto* e = std::get_if<tools::error>(&version)) return std::move(*e);
    r.machine.openssl = std::get<std::string>(version);
  }
  auto made = endpoint_bench::make(s);
  if (auto* e = std::get_if<tools::error>(&made)) return std::move(*e);
  endpoint_bench& cn = std::get<endpoint_bench>(made);
  const std::string app_cmd = "app " + std::to_string(c.app_batch);
  const std::string close_cmd = "close " + std::to_string(c.endpoint_close_batch);
  // Warm-up of both.
  {
    auto mine = cn.app(c.app_batch);
    if (auto* e = std::get_if<tools::error>(&mine)) return std::move(*e);
    auto theirs = peer.ask(app_cmd);
    if (auto* e = std::get_if<tools::error>(&theirs)) return std::move(*e);
  }
  const double bytes = static_cast<double>(c.app_batch * record_payload);
  auto interleaved = interleave(
      c.samples, [&] { return cn.app(c.app_batch); }, [&] { return peer.ask_number(app_cmd, "ns"); });
  if (auto* e = std::get_if<tools::error>(&interleaved)) return std::move(*e);
  const pair_series& app = std::get<pair_series>(interleaved);
  auto mbs = [&](std::vector<double> ns) {
    for (double& v : ns) v = bytes / v * 1e3;
    return ns;
  };
  r.vs_openssl.push_back(timing_row{std::string(s.name), "16 KiB write + read", summarize(mbs(app.a)),
                                    summarize(mbs(app.b)), summarize(ratios(app, true)), "MB/s"});

  const double n = static_cast<double>(c.endpoint_close_batch);
  pair_series seal, open;
  {
    auto mine = cn.close(c.endpoint_close_batch);
    if (auto* e = std::get_if<tools::error>(&mine)) return std::move(*e);
    auto theirs = peer.ask(close_cmd);
    if (auto* e = std::get_if<tools::error>(&theirs)) return std::move(*e);
  }
  for (std::size_t i = 0; i < c.samples; ++i) {
    for (int turn = 0; turn < 2; ++turn) {
      if ((turn == 0) == (i % 2 == 0)) {
        auto mine = cn.close(c.endpoint_close_batch);
        if (auto* e = std::get_if<tools::error>(&mine)) return std::move(*e);
        const auto [sh, rd] = std::get<std::pair<double, double>>(mine);
        seal.a.push_back(sh / n);
        open.a.push_back(rd / n);
      } else {
        auto a = peer.ask(close_cmd);
        if (auto* e = std::get_if<tools::error>(&a)) return std::move(*e);
        auto sh = peer.number(std::get<tools::json>(a), "shutdown_ns");
        if (auto* e = std::get_if<tools::error>(&sh)) return std::move(*e);
        auto rd = peer.number(std::get<tools::json>(a), "read_ns");
        if (auto* e = std::get_if<tools::error>(&rd)) return std::move(*e);
        seal.b.push_back(std::get<double>(sh) / n);
        open.b.push_back(std::get<double>(rd) / n);
      }
    }
  }
  r.vs_openssl.push_back(timing_row{std::string(s.name), "close_notify seal: shutdown", summarize(seal.a),
                                    summarize(seal.b), summarize(ratios(seal)), "ns"});
  r.vs_openssl.push_back(timing_row{std::string(s.name), "close_notify open: read returning 0", summarize(open.a),
                                    summarize(open.b), summarize(ratios(open)), "ns"});

  // Figure 4: both implementations, read-ahead off and on.
  for (bool ra : {false, true}) {
    for (const std::string impl : {"closenotify", "OpenSSL 3.0"}) {
      syscall_row* row = nullptr;
      for (auto& x : r.syscalls) {
        if (x.implementation == impl && x.read_ahead == ra) row = &x;
      }
      if (row == nullptr) {
        r.syscalls.push_back(syscall_row{impl, ra, {}, std::nullopt});
        row = &r.syscalls.back();
      }
      // Deterministic; repeated to show that it is.
      syscall_count first;
      for (int rep = 0; rep < 3; ++rep) {
        syscall_count got;
        if (impl == "closenotify") {
          auto mine = shutdown_syscalls(s, ra);
          if (auto* e = std::get_if<tools::error>(&mine)) return std::move(*e);
          got = std::get<syscall_count>(mine);
        } else {
          auto a = peer.ask(ra ? "syscalls read-ahead" : "syscalls");
          if (auto* e = std::get_if<tools::error>(&a)) return std::move(*e);
          std::size_t* fields[] = {&got.a_reads, &got.a_writes, &got.b_reads, &got.b_writes};
          const char* keys[] = {"client_reads", "client_writes", "server_reads", "server_writes"};
          for (std::size_t f = 0; f < 4; ++f) {
            auto v = peer.number(std::get<tools::json>(a), keys[f]);
            if (auto* e = std::get_if<tools::error>(&v)) return std::move(*e);
            *fields[f] = static_cast<std::size_t>(std::get<double>(v));
          }
        }
        if (rep == 0) first = got;
        if (!(got == first)) return failed(impl + " shutdown syscalls changed between repeats");
      }
      row->per_suite[std::string(s.name)] = first;
    }
  }

  // Figure 5, OpenSSL's part.
  openssl_heap h;
  h.suite = std::string(s.name);
  std::vector<double> client, server, per_record, exchange;
  for (int rep = 0; rep < 3; ++rep) {
    auto answer = peer.ask("memory");
    if (auto* e = std::get_if<tools::error>(&answer)) return std::move(*e);
    const auto& a = std::get<tools::json>(answer);
    h.counting = a.value("counting", tools::json(false)) == true;
    if (!h.counting) break;
    for (auto [series, key] : {std::pair{&client, "client_bytes"}, std::pair{&server, "server_bytes"},
                               std::pair{&per_record, "allocations_per_record"},
                               std::pair{&exchange, "allocations_shutdown_exchange"}}) {
      auto v = peer.number(a, key);
      if (auto* e = std::get_if<tools::error>(&v)) return std::move(*e);
      series->push_back(std::get<double>(v));
    }
  }
  h.client_bytes = summarize(client);
  h.server_bytes = summarize(server);
  h.allocations_per_record = summarize(per_record);
  h.shutdown_exchange_allocations = summarize(exchange);
  r.openssl_heaps.push_back(h);
  return std::nullopt;
}

// ---- figure 4's strace cross-check ------------------------------------------------

strace_check strace_once(const config& c, const std::string& strace, bool closenotify_side, bool read_ahead,
                         const std::string& suite) {
  strace_check out;
  constexpr std::size_t k = 16;
  char path[] = "/tmp/closenotify-bench-strace-XXXXXX";
  const int fd = ::mkstemp(path);
  if (fd < 0) {
    out.note = "mkstemp failed";
    return out;
  }
  ::close(fd);
  std::map<std::string, double> calls[2];
  std::string shown;
  for (int variant = 0; variant < 2; ++variant) {
    std::vector<std::string> argv{strace, "-f", "-c", "-e", "trace=read,write,recvfrom,sendto", "-o", path, "--"};
    if (closenotify_side) {
      argv.insert(argv.end(), {next_to({"closenotify-bench"}), "--internal-syscalls"});
    } else {
      argv.insert(argv.end(), {c.peer, "--bench-syscalls"});
    }
    argv.insert(argv.end(), {suite, std::to_string(k), variant == 0 ? "shutdown" : "none"});
    if (read_ahead) argv.push_back("read-ahead");
    if (variant == 0) {
      for (const auto& a : argv) {
        std::string word = a;  // programs by name, the temporary file as FILE
        if (a == path) {
          word = "FILE";
        } else if (a.find('/') != std::string::npos) {
          word = std::filesystem::path(a).filename().string();
        }
        shown += (shown.empty() ? "" : " ") + word;
      }
    }
    const auto run_result = run(argv, true);
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    if (run_result.status != 0) {
      out.note = "strace exited with status " + std::to_string(run_result.status) +
                 (run_result.why.empty() ? "" : " (" + run_result.why + ")") + ": " + text.str().substr(0, 200);
      std::remove(path);
      return out;
    }
    calls[variant] = strace_calls(text.str());
  }
  std::remove(path);
  auto get = [&](int v, const char* name) { return calls[v].count(name) ? calls[v].at(name) : 0.0; };
  out.reads = (get(0, "read") + get(0, "recvfrom") - get(1, "read") - get(1, "recvfrom")) / k;
  out.writes = (get(0, "write") + get(0, "sendto") - get(1, "write") - get(1, "sendto")) / k;
  out.available = true;
  out.note = "(" + shown + ") minus the same with `none`, over " + std::to_string(k) +
             "; socket I/O is read(2)+recvfrom(2) and write(2)+sendto(2)";
  return out;
}

void strace_figures(const config& c, results& r) {
  const auto strace = find_in_path("strace");
  const std::string suite = std::string(c.suites.front()->name);
  for (auto& row : r.syscalls) {
    if (!c.strace) continue;
    if (!strace) {
      row.strace = strace_check{false, "strace is not installed (Debian package: strace)", 0, 0};
      continue;
    }
    progress(c, "figure 4: strace -c cross-check, " + row.implementation + ", read-ahead " + (row.read_ahead ? "on" : "off"));
    row.strace = strace_once(c, *strace, row.implementation == "closenotify", row.read_ahead, suite);
  }
}

// ---- figure 6 ------------------------------------------------------------------------

// `exec_peers`: the same matrix with a new OpenSSL process for every peer, as before
// peers were pooled; the ratio of the two is the pool's gain.
tools::result<diff_result> diff_figure(const config& c, bool exec_peers) {
  diff_result d;
  std::vector<double> wall, rate;
  char path[] = "/tmp/closenotify-bench-diff-XXXXXX";
  const int fd = ::mkstemp(path);
  if (fd < 0) return failed("mkstemp failed");
  ::close(fd);
  std::vector<std::string> argv{c.closenotify, "diff", "--jobs", std::to_string(c.diff_jobs), "--quiet"};
  if (!c.diff_family.empty()) argv.insert(argv.end(), {"--family", c.diff_family});
  if (exec_peers) argv.push_back("--exec-peers");
  for (const auto& a : argv) {
    const std::string shown = a == c.closenotify ? "closenotify" : a;
    d.command += (d.command.empty() ? "" : " ") + shown;
  }
  argv.insert(argv.end(), {"--peer", c.peer, "--json", path});
  for (std::size_t i = 0; i < c.diff_runs; ++i) {
    progress(c, "figure 6: " + d.command + " (run " + std::to_string(i + 1) + " of " + std::to_string(c.diff_runs) + ")");
    const auto result = run(argv);
    if (result.status < 0) {
      std::remove(path);
      return failed("cannot run closenotify diff: " + result.why);
    }
    d.exit_statuses.push_back(result.status);
    std::ifstream in(path);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const tools::json doc = tools::json::parse(text, nullptr, false);
    std::size_t cases = 0, skipped = 0;
    bool found = false;
    if (!doc.is_discarded() && doc.is_object()) {
      const auto t = doc.find("totals");
      if (t != doc.end() && t->is_object() && t->contains("cases") && t->contains("skipped") &&
          (*t)["cases"].is_number_unsigned() && (*t)["skipped"].is_number_unsigned()) {
        cases = (*t)["cases"].get<std::size_t>();
        skipped = (*t)["skipped"].get<std::size_t>();
        found = true;
      }
    }
    if (!found) {
      std::remove(path);
      return failed("closenotify diff (exit " + std::to_string(result.status) + ") wrote no totals");
    }
    d.cases = cases;
    d.cases_run = cases - skipped;
    wall.push_back(result.seconds);
    rate.push_back(static_cast<double>(d.cases_run) / result.seconds);
  }
  std::remove(path);
  d.runs = c.diff_runs;
  d.wall_seconds = summarize(wall);
  d.cases_per_second = summarize(rate);
  return d;
}

int bench_main(const std::vector<std::string>& args) {
  auto parsed = tools::parse_options(
      args, {"samples", "suite", "json", "diff-runs", "diff-jobs", "diff-family", "peer", "closenotify"},
      {"help", "quick", "no-strace", "quiet"});
  if (auto* f = std::get_if<tools::error>(&parsed)) {
    tools::print_error(f->message);
    return tools::exit_usage;
  }
  const auto& o = std::get<tools::options>(parsed);
  auto fail_usage = [](const std::string& m) {
    tools::print_error(m);
    return tools::exit_usage;
  };
  if (o.has("help")) {
    std::fputs(help_text, stdout);
    return tools::exit_ok;
  }
  if (!o.positional.empty()) return fail_usage("unexpected argument '" + o.positional.front() + "'");
  config c;
  c.quick = o.has("quick");
  c.quiet = o.has("quiet");
  c.strace = !o.has("no-strace");
  if (c.quick) {
    c.samples = 5;
    c.app_batch = 32;
    c.close_batch = 256;
    c.endpoint_close_batch = 16;
    c.diff_runs = 1;
    c.diff_family = "clean-shutdown";
  }
  for (auto [name, field, lo, hi] : {std::tuple{"samples", &c.samples, 1, 1001}, std::tuple{"diff-runs", &c.diff_runs, 0, 100},
                                     std::tuple{"diff-jobs", &c.diff_jobs, 1, 256}}) {
    auto v = count_option(o, name, *field, static_cast<std::size_t>(lo), static_cast<std::size_t>(hi));
    if (auto* f = std::get_if<tools::error>(&v)) return fail_usage(f->message);
    *field = std::get<std::size_t>(v);
  }
  if (auto f = o.get("diff-family")) c.diff_family = *f;
  if (auto s = o.get("suite")) {
    const cipher_suite* suite = find_cipher_suite(*s);
    if (suite == nullptr) return fail_usage("unknown suite '" + *s + "'");
    c.suites.push_back(suite);
  } else {
    for (const cipher_suite* s : matrix_cipher_suites()) c.suites.push_back(s);
  }
  c.peer = o.get("peer").value_or(next_to({"../peer/closenotify-peer", "closenotify-peer"}));
  c.closenotify = o.get("closenotify").value_or(next_to({"../closenotify", "closenotify"}));
  if (::access(c.peer.c_str(), X_OK) != 0) {
    return fail_usage("no OpenSSL peer executable at " + c.peer + " (build it, or give --peer)");
  }
  if (c.diff_runs > 0 && ::access(c.closenotify.c_str(), X_OK) != 0) {
    return fail_usage("no closenotify executable at " + c.closenotify + " (give --closenotify, or --diff-runs 0)");
  }
  // Figure 6's selection is checked before the minutes of figures 1 to 5: a mistyped
  // --diff-family is closenotify diff's one error line now, not after the measuring.
  if (c.diff_runs > 0 && !c.diff_family.empty()) {
    const auto listed = run({c.closenotify, "diff", "--list", "--family", c.diff_family, "--peer", c.peer});
    if (listed.status < 0) return fail_usage("cannot run closenotify diff: " + listed.why);
    if (listed.status != 0) return tools::exit_usage;
  }
  const auto json = o.get("json");
  std::ofstream json_file;
  if (json && *json != "-") {
    json_file.open(*json);
    if (!json_file) return fail_usage("cannot write " + *json);
  }

  results r;
  r.machine = machine();
  r.samples = c.samples;
  r.quick = c.quick;
  r.command = "closenotify bench";
  for (std::size_t i = 0; i < args.size(); ++i) {
    // The paths `closenotify bench` adds are this machine's, not part of the command.
    if (args[i] == "--peer" || args[i] == "--closenotify") {
      ++i;
      continue;
    }
    if (args[i].rfind("--peer=", 0) == 0 || args[i].rfind("--closenotify=", 0) == 0) continue;
    r.command += " " + args[i];
  }
  for (const auto* s : c.suites) r.suites.emplace_back(s->name);
  // figures: every figure in order, into r; the first error stops the run.
  auto figures = [&]() -> std::optional<tools::error> {
    for (const auto* s : c.suites) {
      progress(c, "figures 1 and 2: " + std::string(s->name) + " (" + std::to_string(c.samples) + " samples)");
      if (auto e = record_figures(*s, c.samples, {c.app_batch, c.close_batch}, r)) return e;
    }
    for (const auto* s : c.suites) {
      progress(c, "figures 3, 4, 5 against OpenSSL: " + std::string(s->name));
      if (auto e = openssl_figures(c, *s, r)) return e;
    }
    for (const auto* s : c.suites) {
      progress(c, "figure 5: heap, " + std::string(s->name));
      auto h = heap_figures(*s, 3);
      if (auto* e = std::get_if<tools::error>(&h)) return std::move(*e);
      r.heaps.push_back(std::move(std::get<closenotify_heap>(h)));
    }
    strace_figures(c, r);
    r.machine.load_before_diff = load_average();
    if (c.diff_runs > 0) {
      for (auto [exec_peers, to] : {std::pair{false, &r.diff}, std::pair{true, &r.diff_exec}}) {
        auto d = diff_figure(c, exec_peers);
        if (auto* e = std::get_if<tools::error>(&d)) return std::move(*e);
        *to = std::move(std::get<diff_result>(d));
      }
    }
    return std::nullopt;
  };
  if (auto e = figures()) {
    tools::print_error("bench: " + e->message);
    return e->exit_code;
  }
  r.machine.load_after = load_average();

  std::ostream& table_out = json && *json == "-" ? std::cerr : std::cout;
  print_table(table_out, r);
  table_out.flush();
  if (json) {
    if (*json == "-") {
      write_json(std::cout, r);
    } else {
      write_json(json_file, r);
      if (!json_file) return fail_usage("cannot write " + *json);
    }
  }
  return 0;
}

}  // namespace
}  // namespace closenotify::bench

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty() && args[0] == "--internal-syscalls") {
    return closenotify::bench::internal_syscalls(std::vector<std::string>(args.begin() + 1, args.end()));
  }
  // A peer that died must be an error message, not a SIGPIPE on the next command.
  std::signal(SIGPIPE, SIG_IGN);
  // Failures come back as tools::error; this is for what nothing here throws on purpose
  // (an allocation that fails), as in the CLI's main.
  try {
    return closenotify::bench::bench_main(args);
  } catch (const std::exception& e) {
    closenotify::tools::print_error(std::string("internal error: ") + e.what());
    return 2;
  }
}

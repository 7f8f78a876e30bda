// bench.cpp — `closenotify bench`: performance figures as ratios against raw BoringSSL
// AEAD and against OpenSSL 3.0 (docs/performance.md). The measuring is done by
// closenotify-bench (tools/bench), which this command execs: it interposes malloc to count
// allocations, which has no place in this program.
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "help.hpp"
#include "commands.hpp"

namespace closenotify::cli {

const char* const bench_help = closenotify::bench::help_text;

namespace {

bool given(const std::vector<std::string>& args, const std::string& option) {
  for (const auto& a : args) {
    if (a == option || a.rfind(option + "=", 0) == 0) return true;
  }
  return false;
}

std::string bench_path() {
  if (const char* env = std::getenv("CLOSENOTIFY_BENCH")) return env;
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  const std::string dir = ec ? std::string(".") : self.parent_path().string();
  for (const auto& candidate : {dir + "/bench/closenotify-bench", dir + "/closenotify-bench"}) {
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return dir + "/bench/closenotify-bench";
}

}  // namespace

outcome run_bench(const std::vector<std::string>& args) {
  if (given(args, "--help")) {
    std::fputs(bench_help, stdout);
    return exit_ok;
  }
  const std::string bench = bench_path();
  if (::access(bench.c_str(), X_OK) != 0) {
    return usage("no closenotify-bench executable at " + bench + " (build it, or set CLOSENOTIFY_BENCH)");
  }
  std::vector<std::string> argv{bench};
  argv.insert(argv.end(), args.begin(), args.end());
  if (!given(args, "--peer")) argv.insert(argv.end(), {"--peer", default_peer_path()});
  if (!given(args, "--closenotify")) {
    std::error_code ec;
    const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (!ec) argv.insert(argv.end(), {"--closenotify", self.string()});
  }
  std::vector<char*> c_argv;
  for (auto& a : argv) c_argv.push_back(a.data());
  c_argv.push_back(nullptr);
  std::fflush(stdout);
  std::fflush(stderr);
  ::execv(bench.c_str(), c_argv.data());
  return failure{exit_usage, "cannot run " + bench + ": " + std::strerror(errno)};
}

}  // namespace closenotify::cli

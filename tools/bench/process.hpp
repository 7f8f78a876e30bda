// process.hpp — closenotify-bench's child processes: the OpenSSL peer in its benchmark
// mode (a command per line in, a JSON object per line out), strace, `closenotify diff`.
#pragma once

#include <sys/types.h>

#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "error.hpp"
#include "json.hpp"

namespace closenotify::bench {

/// peer_process: `closenotify-peer --bench SUITE`, driven line by line.
class peer_process {
 public:
  explicit peer_process(std::string suite) : suite_(std::move(suite)) {}
  ~peer_process();
  peer_process(const peer_process&) = delete;
  peer_process& operator=(const peer_process&) = delete;
  /// start: runs `peer_path --bench SUITE`.
  std::optional<tools::error> start(const std::string& peer_path);
  /// ask: one command; its answer, a JSON object. Fails on an `error` answer, an answer
  /// that is not a JSON object, or a peer that died.
  tools::result<tools::json> ask(const std::string& command);
  /// number / text: one member of an answer; fails when it is missing or of another type.
  tools::result<double> number(const tools::json& answer, const std::string& key);
  tools::result<std::string> text(const tools::json& answer, const std::string& key);
  /// ask_number: ask(command), then number(answer, key).
  tools::result<double> ask_number(const std::string& command, const std::string& key);

 private:
  pid_t pid_ = -1;
  int to_ = -1;
  FILE* from_ = nullptr;
  std::string suite_;
};

/// captured: a finished child: its exit status (-1: could not run; 128+N: killed by
/// signal N), stdout, and the wall time it took.
struct captured {
  int status = -1;
  std::string out;
  double seconds = 0;
  std::string why;  // when status is -1
};
/// run: argv[0] searched in PATH; stdin /dev/null, stdout captured, stderr inherited
/// unless `quiet_stderr`.
captured run(const std::vector<std::string>& argv, bool quiet_stderr = false);

/// find_in_path: the full path of a program, or nullopt.
std::optional<std::string> find_in_path(const std::string& name);

/// strace_calls: the "calls" column of an `strace -c` summary, by syscall name.
std::map<std::string, double> strace_calls(const std::string& summary);

}  // namespace closenotify::bench

// process.cpp — spawning and talking to closenotify-bench's child processes.
#include "process.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <sstream>

#include "bench.hpp"
#include "child_process.hpp"

namespace closenotify::bench {

std::optional<tools::error> peer_process::start(const std::string& peer_path) {
  int in[2], out[2];
  if (::pipe2(in, O_CLOEXEC) != 0) return failed("pipe: " + std::string(std::strerror(errno)));
  if (::pipe2(out, O_CLOEXEC) != 0) {
    const int e = errno;
    ::close(in[0]);
    ::close(in[1]);
    return failed("pipe: " + std::string(std::strerror(e)));
  }
  auto spawned = tools::spawn_child(peer_path, {"--bench", suite_}, {in[0], out[1], false, -1});
  ::close(in[0]);
  ::close(out[1]);
  if (auto* e = std::get_if<tools::error>(&spawned)) {
    ::close(in[1]);
    ::close(out[0]);
    return failed(e->message);
  }
  pid_ = std::get<pid_t>(spawned);
  to_ = in[1];
  from_ = ::fdopen(out[0], "r");
  if (from_ == nullptr) {
    const int e = errno;
    ::close(out[0]);
    return failed("fdopen: " + std::string(std::strerror(e)));
  }
  return std::nullopt;
}

peer_process::~peer_process() {
  if (to_ >= 0) {
    const char quit[] = "quit\n";
    (void)!::write(to_, quit, sizeof quit - 1);
    ::close(to_);
  }
  if (from_ != nullptr) std::fclose(from_);
  if (pid_ > 0) {
    int st = 0;
    ::waitpid(pid_, &st, 0);
  }
}

tools::result<tools::json> peer_process::ask(const std::string& command) {
  const std::string line = command + "\n";
  if (from_ == nullptr || ::write(to_, line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
    return failed("OpenSSL peer (" + suite_ + ") is gone");
  }
  std::string answer;
  for (int c; (c = std::fgetc(from_)) != EOF && c != '\n';) answer += static_cast<char>(c);
  if (answer.empty()) return failed("OpenSSL peer (" + suite_ + ") did not answer `" + command + "`");
  tools::json m = tools::json::parse(answer, nullptr, false);
  if (m.is_discarded() || !m.is_object()) {
    return failed("OpenSSL peer (" + suite_ + "), `" + command + "`: not a JSON object: " + answer);
  }
  if (auto e = m.find("error"); e != m.end()) {
    return failed("OpenSSL peer (" + suite_ + "), `" + command + "`: " +
                  (e->is_string() ? e->get<std::string>() : tools::json_text(*e)));
  }
  return m;
}

tools::result<double> peer_process::number(const tools::json& answer, const std::string& key) {
  auto it = answer.find(key);
  if (it == answer.end() || !it->is_number()) {
    return failed("OpenSSL peer (" + suite_ + ") answered without a number " + key);
  }
  return it->get<double>();
}

tools::result<std::string> peer_process::text(const tools::json& answer, const std::string& key) {
  auto it = answer.find(key);
  if (it == answer.end() || !it->is_string()) {
    return failed("OpenSSL peer (" + suite_ + ") answered without a string " + key);
  }
  return it->get<std::string>();
}

tools::result<double> peer_process::ask_number(const std::string& command, const std::string& key) {
  auto answer = ask(command);
  if (auto* e = std::get_if<tools::error>(&answer)) return std::move(*e);
  return number(std::get<tools::json>(answer), key);
}

std::optional<std::string> find_in_path(const std::string& name) {
  if (name.find('/') != std::string::npos) {
    if (::access(name.c_str(), X_OK) == 0) return name;
    return std::nullopt;
  }
  const char* path = std::getenv("PATH");
  std::stringstream in(path != nullptr ? path : "/usr/bin:/bin");
  for (std::string dir; std::getline(in, dir, ':');) {
    const std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    struct ::stat st {};
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
  }
  return std::nullopt;
}

captured run(const std::vector<std::string>& argv_in, bool quiet_stderr) {
  captured c;
  auto exe = find_in_path(argv_in.at(0));
  if (!exe) {
    c.why = argv_in[0] + ": not found";
    return c;
  }
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) {
    c.why = std::string("pipe: ") + std::strerror(errno);
    return c;
  }
  const auto t0 = now_ns();
  const std::vector<std::string> args(argv_in.begin() + 1, argv_in.end());
  auto spawned = tools::spawn_child(*exe, args, {-1, out[1], quiet_stderr, -1});
  ::close(out[1]);
  if (auto* e = std::get_if<tools::error>(&spawned)) {
    ::close(out[0]);
    c.why = e->message;
    return c;
  }
  const pid_t pid = std::get<pid_t>(spawned);
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(out[0], buf, sizeof buf);
    if (n > 0) {
      c.out.append(buf, static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    break;
  }
  ::close(out[0]);
  int st = 0;
  while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  c.seconds = static_cast<double>(now_ns() - t0) / 1e9;
  c.status = tools::exit_status(st);
  return c;
}

std::map<std::string, double> strace_calls(const std::string& summary) {
  // % time     seconds  usecs/call     calls    errors syscall
  // ------ ----------- ----------- --------- --------- ----------------
  //  79.81    0.000846           4       205        16 read
  std::map<std::string, double> calls;
  std::stringstream in(summary);
  for (std::string line; std::getline(in, line);) {
    std::stringstream words(line);
    std::vector<std::string> w;
    for (std::string x; words >> x;) w.push_back(x);
    if (w.size() < 5 || w[0] == "%" || w[0].rfind("---", 0) == 0 || w.back() == "total") continue;
    char* end = nullptr;
    const double n = std::strtod(w[3].c_str(), &end);
    if (end == w[3].c_str()) continue;
    calls[w.back()] = n;
  }
  return calls;
}

}  // namespace closenotify::bench

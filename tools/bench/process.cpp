// process.cpp — spawning and talking to closenotify-bench's child processes.
#include "process.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <sstream>

#include "bench.hpp"

extern char** environ;

namespace closenotify::bench {

std::map<std::string, std::string> flat_json(const std::string& line) {
  std::map<std::string, std::string> out;
  std::size_t i = line.find('{');
  if (i == std::string::npos) return out;
  ++i;
  auto skip = [&] {
    while (i < line.size() && (line[i] == ' ' || line[i] == ',' || line[i] == '\t')) ++i;
  };
  auto string_at = [&]() -> std::string {
    std::string s;
    ++i;  // opening quote
    while (i < line.size() && line[i] != '"') {
      if (line[i] == '\\' && i + 1 < line.size()) ++i;
      s += line[i++];
    }
    ++i;
    return s;
  };
  for (;;) {
    skip();
    if (i >= line.size() || line[i] != '"') break;
    std::string key = string_at();
    while (i < line.size() && (line[i] == ' ' || line[i] == ':')) ++i;
    if (i >= line.size()) break;
    if (line[i] == '"') {
      out[key] = string_at();
    } else {
      std::size_t j = i;
      while (j < line.size() && line[j] != ',' && line[j] != '}') ++j;
      std::string v = line.substr(i, j - i);
      while (!v.empty() && v.back() == ' ') v.pop_back();
      out[key] = v;
      i = j;
    }
  }
  return out;
}

namespace {

std::vector<char*> c_argv(std::vector<std::string>& argv) {
  std::vector<char*> v;
  for (auto& a : argv) v.push_back(a.data());
  v.push_back(nullptr);
  return v;
}

int exit_status(int wstatus) {
  if (WIFEXITED(wstatus)) return WEXITSTATUS(wstatus);
  if (WIFSIGNALED(wstatus)) return 128 + WTERMSIG(wstatus);
  return -1;
}

}  // namespace

peer_process::peer_process(const std::string& peer_path, const std::string& suite) : suite_(suite) {
  int in[2], out[2];
  if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0) throw failed("pipe: " + std::string(std::strerror(errno)));
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, in[0], 0);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  std::vector<std::string> argv{peer_path, "--bench", suite};
  auto args = c_argv(argv);
  const int rc = posix_spawn(&pid_, peer_path.c_str(), &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  ::close(in[0]);
  ::close(out[1]);
  if (rc != 0) {
    ::close(in[1]);
    ::close(out[0]);
    pid_ = -1;
    throw failed("cannot run " + peer_path + ": " + std::strerror(rc));
  }
  to_ = in[1];
  from_ = ::fdopen(out[0], "r");
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

std::map<std::string, std::string> peer_process::ask(const std::string& command) {
  const std::string line = command + "\n";
  if (::write(to_, line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
    throw failed("OpenSSL peer (" + suite_ + ") is gone");
  }
  std::string answer;
  for (int c; (c = std::fgetc(from_)) != EOF && c != '\n';) answer += static_cast<char>(c);
  if (answer.empty()) throw failed("OpenSSL peer (" + suite_ + ") did not answer `" + command + "`");
  auto m = flat_json(answer);
  if (auto e = m.find("error"); e != m.end()) {
    throw failed("OpenSSL peer (" + suite_ + "), `" + command + "`: " + e->second);
  }
  return m;
}

double peer_process::number(const std::map<std::string, std::string>& answer, const std::string& key) {
  auto it = answer.find(key);
  if (it == answer.end()) throw failed("OpenSSL peer (" + suite_ + ") answered without " + key);
  return std::strtod(it->second.c_str(), nullptr);
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
  std::vector<std::string> argv = argv_in;
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) {
    c.why = std::string("pipe: ") + std::strerror(errno);
    return c;
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  if (quiet_stderr) posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  auto args = c_argv(argv);
  pid_t pid = -1;
  const auto t0 = now_ns();
  const int rc = posix_spawn(&pid, exe->c_str(), &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  ::close(out[1]);
  if (rc != 0) {
    ::close(out[0]);
    c.why = "cannot run " + *exe + ": " + std::strerror(rc);
    return c;
  }
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
  c.status = exit_status(st);
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

// openssl_versions.cpp — see openssl_versions.hpp.
#include "openssl_versions.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cctype>
#include <chrono>

#include "side.hpp"

namespace closenotify::diff {

namespace {

constexpr std::string_view kRebuild = "meson setup --reconfigure build && meson compile -C build";

constexpr std::array<openssl_series, 3> kSeries{{
    {"1.1.1", profile_id::openssl_1_1_1, "closenotify-peer-1.1.1", "tools/install-openssl.sh 1.1.1"},
    {"3.0", profile_id::openssl_3_0, "closenotify-peer", "tools/install-deps.sh"},
    {"3.5", profile_id::openssl_3_5, "closenotify-peer-3.5", "tools/install-openssl.sh 3.5"},
}};

bool executable(const std::string& path) { return ::access(path.c_str(), X_OK) == 0; }

}  // namespace

std::span<const openssl_series> all_openssl_series() noexcept { return kSeries; }

const openssl_series* series_with_profile(profile_id p) noexcept {
  for (const auto& s : kSeries) {
    if (s.profile == p) return &s;
  }
  return nullptr;
}

const openssl_series* find_openssl_series(std::string_view name) noexcept {
  for (const auto& s : kSeries) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

std::string openssl_series_names() {
  std::string out;
  for (const auto& s : kSeries) out += (out.empty() ? "" : ", ") + std::string(s.name);
  return out;
}

const openssl_series* series_of_version(std::string_view version) noexcept {
  constexpr std::string_view prefix = "OpenSSL ";
  if (!version.starts_with(prefix)) return nullptr;
  const std::string_view number = version.substr(prefix.size());
  for (const auto& s : kSeries) {
    // "3.5" owns 3.5.4 but not 3.50.1; "1.1.1" owns 1.1.1w.
    if (number.starts_with(s.name) &&
        (number.size() == s.name.size() || !std::isdigit(static_cast<unsigned char>(number[s.name.size()])))) {
      return &s;
    }
  }
  return nullptr;
}

tools::result<live_openssl> probe_peer(const std::string& peer_path) {
  if (!executable(peer_path)) return tools::fail("no OpenSSL peer executable at " + peer_path);
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) return tools::fail("socketpair failed");
  auto spawned = spawn_peer(peer_path, fds[0]);
  close_socket(fds[0]);
  close_socket(fds[1]);
  if (auto* why = std::get_if<tools::error>(&spawned)) return *why;
  auto& peer = std::get<std::unique_ptr<side>>(spawned);
  std::optional<message> m;
  if (peer->send("hello")) m = peer->next(std::chrono::milliseconds(5000));
  peer->terminate();  // back to the pool: the matrix's first case reuses it
  if (!m) return tools::fail("the peer at " + peer_path + " does not answer");
  if (m->kind != message_kind::ok || m->field("openssl").empty()) {
    return tools::fail("the peer at " + peer_path + " does not say its OpenSSL version" +
                       (m->kind == message_kind::error ? " (" + m->text + ")" : ""));
  }
  live_openssl live;
  live.version = m->field("openssl");
  for (char& c : live.version) {
    if (c == '_') c = ' ';  // the protocol's values carry no spaces
  }
  live.peer_path = peer_path;
  live.series = series_of_version(live.version);
  if (live.series == nullptr) {
    return tools::fail("the peer at " + peer_path + " is " + live.version +
                       ", not a series closenotify has a profile for (" + openssl_series_names() + ")");
  }
  return live;
}

std::string missing_openssl::skip_line() const {
  return "OpenSSL " + std::string(series->name) + ": skipped: " + reason;
}

std::string peer_path_in(const std::string& program_dir, const openssl_series& s) {
  const std::string built = program_dir + "/peer/" + std::string(s.peer_file);
  for (const auto& candidate : {built, program_dir + "/" + std::string(s.peer_file)}) {
    if (executable(candidate)) return candidate;
  }
  return built;
}

tools::result<live_openssl> probe_series(const std::string& program_dir, const openssl_series& s) {
  const std::string path = peer_path_in(program_dir, s);
  if (!executable(path)) {
    return tools::fail("no peer (run " + std::string(s.install) + ", then " + std::string(kRebuild) + ")");
  }
  return probe_peer(path);
}

openssl_discovery discover_openssl(const std::string& program_dir) {
  std::vector<std::string> problems(kSeries.size());
  std::vector<std::optional<live_openssl>> found(kSeries.size());
  std::vector<live_openssl> misnamed;  // a peer whose file name is another series'
  for (std::size_t i = 0; i < kSeries.size(); ++i) {
    auto p = probe_series(program_dir, kSeries[i]);
    if (auto* why = std::get_if<tools::error>(&p)) {
      problems[i] = why->message;
      continue;
    }
    auto& live = std::get<live_openssl>(p);
    if (live.series == &kSeries[i]) {
      found[i] = std::move(live);
    } else {
      problems[i] = "the peer at " + live.peer_path + " is " + live.version + ", not " + std::string(kSeries[i].name);
      misnamed.push_back(std::move(live));
    }
  }
  // The version string wins over the file name: a misnamed peer stands for its own series
  // when that series' peer is missing.
  for (auto& live : misnamed) {
    auto& slot = found[static_cast<std::size_t>(live.series - kSeries.data())];
    if (!slot) slot = std::move(live);
  }
  openssl_discovery out;
  for (std::size_t i = 0; i < kSeries.size(); ++i) {
    if (found[i]) out.live.push_back(std::move(*found[i]));
    else out.missing.push_back({&kSeries[i], problems[i]});
  }
  return out;
}

}  // namespace closenotify::diff

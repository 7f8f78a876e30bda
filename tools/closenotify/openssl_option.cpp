// openssl_option.cpp — see openssl_option.hpp.
#include "openssl_option.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <sstream>

namespace closenotify::cli {

std::string program_dir() {
  std::error_code ec;
  auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string(".") : p.parent_path().string();
}


namespace {

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  for (std::string item; std::getline(in, item, ',');) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

// given_peers: --peer, else $CLOSENOTIFY_PEER.
std::optional<std::string> given_peers(const options& o) {
  if (auto p = o.get("peer")) return p;
  if (const char* env = std::getenv("CLOSENOTIFY_PEER")) return env;
  return std::nullopt;
}

// available: the peers given, else the ones next to this program; a given peer that does
// not answer is a usage failure.
std::variant<openssl_choice, failure> available(const options& o) {
  const auto given = given_peers(o);
  if (!given) {
    auto found = diff::discover_openssl(program_dir());
    return openssl_choice{std::move(found.live), std::move(found.missing)};
  }
  openssl_choice out;
  const auto paths = split_list(*given);
  if (paths.empty()) return usage("--peer: a path, or paths separated by commas");
  for (const auto& path : paths) {
    auto p = diff::probe_peer(path);
    if (auto* why = std::get_if<tools::error>(&p)) return *why;
    auto& live = std::get<diff::live_openssl>(p);
    for (const auto& other : out.live) {
      if (other.series == live.series) {
        return usage("the peers at " + other.peer_path + " and " + path + " are both " + live.label());
      }
    }
    out.live.push_back(std::move(live));
  }
  std::sort(out.live.begin(), out.live.end(), [](const auto& a, const auto& b) { return a.series < b.series; });
  return out;
}

const diff::live_openssl* find_live(const openssl_choice& c, const diff::openssl_series* s) {
  for (const auto& l : c.live) {
    if (l.series == s) return &l;
  }
  return nullptr;
}

// not_available: the usage failure for a series asked for that cannot run here.
failure not_available(const options& o, const openssl_choice& c, const diff::openssl_series& s) {
  std::string why = "no peer";
  if (given_peers(o)) {
    why = "the --peer executables are";
    for (const auto& l : c.live) why += (&l == &c.live.front() ? " " : ", ") + l.version;
  }
  for (const auto& m : c.missing) {
    if (m.series == &s) why = m.reason;
  }
  return usage("OpenSSL " + std::string(s.name) + " is not available: " + why);
}

// none_available: the usage failure when no version can run at all.
failure none_available(const openssl_choice& c) {
  std::string why;
  for (const auto& m : c.missing) {
    if (m.series == diff::find_openssl_series("3.0")) why = ": " + m.reason;
  }
  return usage("no live OpenSSL peer next to this program (give --peer, or build one)" + why);
}

std::variant<const diff::openssl_series*, failure> parse_series(const std::string& name, bool all_allowed) {
  if (const auto* s = diff::find_openssl_series(name)) return s;
  return usage("unknown --openssl '" + name + "' (versions: " + diff::openssl_series_names() +
               (all_allowed ? ", all)" : ")"));
}

}  // namespace

std::string default_peer_path() {
  if (const char* env = std::getenv("CLOSENOTIFY_PEER")) return env;
  return diff::peer_path_in(program_dir(), *diff::find_openssl_series("3.0"));
}

std::variant<openssl_choice, failure> choose_openssl_versions(const options& o) {
  std::vector<const diff::openssl_series*> wanted;
  const std::string asked = o.get("openssl").value_or("all");
  if (asked != "all") {
    const auto names = split_list(asked);
    if (names.empty()) return usage("--openssl: a version (" + diff::openssl_series_names() + ") or all");
    // "3.0," or "3.0,,3.5" is a list that lost an item; say so rather than guess.
    if (asked.front() == ',' || asked.back() == ',' || asked.find(",,") != std::string::npos) {
      return usage("--openssl '" + asked + "': an empty item in the list");
    }
    for (const auto& name : names) {
      auto s = parse_series(name, true);
      if (auto* f = std::get_if<failure>(&s)) return *f;
      const auto* series = std::get<const diff::openssl_series*>(s);
      if (std::find(wanted.begin(), wanted.end(), series) != wanted.end()) {
        return usage("--openssl '" + asked + "': " + name + " is named twice");
      }
      wanted.push_back(series);
    }
  }
  auto got = available(o);
  if (auto* f = std::get_if<failure>(&got)) return *f;
  auto& all = std::get<openssl_choice>(got);
  if (wanted.empty()) {
    if (all.live.empty()) return none_available(all);
    return all;
  }
  openssl_choice out;
  for (const auto& s : diff::all_openssl_series()) {
    if (std::find(wanted.begin(), wanted.end(), &s) == wanted.end()) continue;
    const auto* live = find_live(all, &s);
    if (live == nullptr) return not_available(o, all, s);
    out.live.push_back(*live);
  }
  return out;
}

std::variant<diff::live_openssl, failure> choose_openssl(const options& o) {
  const diff::openssl_series* wanted = nullptr;
  if (auto asked = o.get("openssl")) {
    if (asked->find(',') != std::string::npos || *asked == "all") {
      return usage("--openssl: one version here (" + diff::openssl_series_names() + ")");
    }
    auto s = parse_series(*asked, false);
    if (auto* f = std::get_if<failure>(&s)) return *f;
    wanted = std::get<const diff::openssl_series*>(s);
  }
  if (!given_peers(o)) {
    // One peer to ask when it is there and says it is the version wanted (or 3.0).
    const auto& first = wanted != nullptr ? *wanted : *diff::find_openssl_series("3.0");
    auto p = diff::probe_series(program_dir(), first);
    if (auto* live = std::get_if<diff::live_openssl>(&p); live != nullptr && live->series == &first) return *live;
  }
  auto got = available(o);
  if (auto* f = std::get_if<failure>(&got)) return *f;
  auto& all = std::get<openssl_choice>(got);
  if (wanted != nullptr) {
    const auto* live = find_live(all, wanted);
    if (live == nullptr) return not_available(o, all, *wanted);
    return *live;
  }
  if (all.live.size() == 1) return all.live.front();
  if (const auto* live = find_live(all, diff::find_openssl_series("3.0"))) return *live;
  if (all.live.empty()) return none_available(all);
  std::string names;
  for (const auto& l : all.live) names += (names.empty() ? "" : ", ") + std::string(l.series->name);
  return usage("several OpenSSL versions are available (" + names + "): choose one with --openssl");
}

}  // namespace closenotify::cli

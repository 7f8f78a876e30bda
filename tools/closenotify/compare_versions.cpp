// compare_versions.cpp — `closenotify diff --compare-versions`: the reference runs of the
// selection under each live OpenSSL release, and where they differ, per scenario, as text
// or JSON. The runs and the comparison are engine/version_comparison.cpp's.
#include "compare_versions.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <sstream>

#include "version_comparison.hpp"
#include "json.hpp"
#include "closenotify/cipher_suite.hpp"
#include "openssl_option.hpp"
#include "output_file.hpp"
#include "selection.hpp"

namespace closenotify::cli {

namespace {

constexpr const char* kName = "closenotify diff --compare-versions";

// progress: a bar on a terminal, a plain line per tenth otherwise.
class progress {
 public:
  explicit progress(bool quiet) : quiet_(quiet), tty_(::isatty(2) == 1) {}
  void update(const diff::live_openssl& openssl, std::size_t done, std::size_t total) {
    if (quiet_ || total == 0) return;
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    const std::string label = openssl.label();
    if (tty_) {
      const int width = 30;
      const int filled = static_cast<int>(width * done / total);
      std::fprintf(stderr, "\r[%s%s] %zu/%zu reference runs  %.1fs  %s ",
                   std::string(static_cast<std::size_t>(filled), '#').c_str(),
                   std::string(static_cast<std::size_t>(width - filled), '.').c_str(), done, total, secs,
                   label.c_str());
      if (done == total) std::fputc('\n', stderr);
    } else if (done * 10 / total != (done - 1) * 10 / total || done == total) {
      std::fprintf(stderr, "%s: %zu/%zu reference runs (now %s), %.1fs\n", kName, done, total, label.c_str(), secs);
    }
    std::fflush(stderr);
  }

 private:
  bool quiet_;
  bool tty_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

std::string series(const diff::live_openssl& o) { return std::string(o.series->name); }

// counted: "1 scenario", "2 scenarios".
std::string counted(std::size_t n, const std::string& what) {
  return std::to_string(n) + " " + what + (n == 1 ? "" : "s");
}

std::string step_label(const diff::version_difference& d) {
  if (d.step == std::string::npos) return std::string(1, diff::side_letter(d.side)) + " records on the wire";
  return "step " + std::to_string(d.step + 1) + " (" + diff::side_letter(d.side) + " " + d.command + ")";
}

// shown: a value as printed: a release that did not run the case has none.
std::string shown(const std::optional<std::string>& v) {
  if (!v) return "(not run)";
  return v->empty() ? "(none)" : *v;
}

// release_skips: per release and reason, the cells of a scenario it could not run.
struct release_skip {
  std::size_t release;
  std::string reason;
  std::vector<const diff::version_case*> cells;
};

std::vector<release_skip> release_skips(const diff::scenario_versions& sv) {
  std::vector<release_skip> out;
  for (const auto* c : sv.cases) {
    if (!c->cell_skip.empty()) continue;
    for (std::size_t r = 0; r < c->release_skip.size(); ++r) {
      if (c->release_skip[r].empty()) continue;
      auto it = std::find_if(out.begin(), out.end(),
                             [&](const auto& s) { return s.release == r && s.reason == c->release_skip[r]; });
      if (it == out.end()) out.push_back({r, c->release_skip[r], {c}});
      else it->cells.push_back(c);
    }
  }
  return out;
}

// cell_skips: the scenario's cells it does not apply to, by reason.
std::vector<std::pair<std::string, std::vector<const diff::version_case*>>> cell_skips(
    const diff::scenario_versions& sv) {
  std::vector<std::pair<std::string, std::vector<const diff::version_case*>>> out;
  for (const auto* c : sv.cell_skips) {
    auto it = std::find_if(out.begin(), out.end(), [&](const auto& p) { return p.first == c->cell_skip; });
    if (it == out.end()) out.push_back({c->cell_skip, {c}});
    else it->second.push_back(c);
  }
  return out;
}

// applicable: the cells of a scenario it applies to.
std::vector<const diff::version_case*> applicable(const diff::scenario_versions& sv) {
  std::vector<const diff::version_case*> out;
  for (const auto* c : sv.cases) {
    if (c->cell_skip.empty()) out.push_back(c);
  }
  return out;
}

struct totals {
  std::size_t scenarios = 0, differing = 0, cases = 0, compared = 0, cells_differing = 0, cells_skipped = 0,
              release_skips = 0, errors = 0;
};

totals count(const diff::version_comparison& c, const std::vector<diff::scenario_versions>& all) {
  totals t;
  t.scenarios = all.size();
  for (const auto& sv : all) t.differing += sv.differs() ? 1 : 0;
  t.cases = c.cases.size();
  for (const auto& vc : c.cases) {
    if (!vc.cell_skip.empty()) {
      ++t.cells_skipped;
      continue;
    }
    t.compared += vc.ran() >= 2 ? 1 : 0;
    t.cells_differing += vc.differences.empty() ? 0 : 1;
    for (const auto& s : vc.release_skip) t.release_skips += s.empty() ? 0 : 1;
    for (const auto& e : vc.errors) t.errors += e.empty() ? 0 : 1;
  }
  return t;
}

void print_differences(std::ostream& out, const std::vector<diff::version_difference>& ds,
                       const std::vector<diff::live_openssl>& releases, const std::string& indent) {
  std::string last;
  for (const auto& d : ds) {
    const std::string label = step_label(d);
    if (label != last) out << indent << label << "\n";
    last = label;
    out << indent << "  " << d.field << ":";
    for (std::size_t r = 0; r < releases.size(); ++r) {
      out << (r ? "  |  " : " ") << series(releases[r]) << " " << shown(d.values[r]);
    }
    out << "\n";
  }
}

void print_text(std::ostream& out, const diff::version_comparison& c, const std::vector<diff::scenario_versions>& all,
                const std::vector<diff::missing_openssl>& missing) {
  out << kName << ": each case's reference run (two live OpenSSL peers of one release, no closenotify) "
      << "under each release\n";
  for (const auto& r : c.releases) {
    const std::string name = series(r);
    out << "  " << name << std::string(name.size() < 7 ? 7 - name.size() : 1, ' ') << r.version << "\n";
  }
  for (const auto& m : missing) out << "  " << m.skip_line() << "\n";
  std::string family;
  std::vector<std::string> same;
  auto flush_same = [&] {
    if (same.empty()) return;
    out << "same under every release (" << same.size() << "):";
    for (const auto& s : same) out << " " << s;
    out << "\n";
    same.clear();
  };
  for (const auto& sv : all) {
    if (sv.s->family != family) {
      flush_same();
      family = sv.s->family;
      std::size_t n = 0, differing = 0;
      for (const auto& o : all) {
        if (o.s->family != family) continue;
        ++n;
        differing += o.differs() ? 1 : 0;
      }
      out << "\n== " << family << " (" << sv.s->family_title << "): " << counted(n, "scenario") << ", " << differing
          << " differ\n";
    }
    const auto cells = applicable(sv);
    const auto rskips = release_skips(sv);
    const bool notes = !rskips.empty() || sv.errors() || (cells.empty() && !sv.cell_skips.empty());
    if (!sv.differs() && !notes) {
      same.push_back(sv.s->name);
      continue;
    }
    std::vector<const diff::version_case*> differing;
    for (const auto& p : sv.patterns) {
      if (!p.differences->empty()) differing.insert(differing.end(), p.cases.begin(), p.cases.end());
    }
    std::sort(differing.begin(), differing.end());  // matrix order: the cases are one vector
    out << sv.s->name << ": ";
    if (!differing.empty()) out << "differs in " << diff::describe_cells(differing, cells) << "\n";
    else out << (sv.patterns.empty() ? "nothing to compare\n" : "no difference\n");
    for (const auto& p : sv.patterns) {
      if (p.differences->empty()) {
        if (!differing.empty()) out << "  same in " << diff::describe_cells(p.cases, cells) << "\n";
        continue;
      }
      if (sv.patterns.size() > 1) out << "  in " << diff::describe_cells(p.cases, cells) << ":\n";
      print_differences(out, *p.differences, c.releases, sv.patterns.size() > 1 ? "    " : "  ");
    }
    for (const auto& s : rskips) {
      out << "  " << series(c.releases[s.release]) << " skipped in " << diff::describe_cells(s.cells, cells) << ": "
          << s.reason << "\n";
    }
    for (const auto& [why, which] : cell_skips(sv)) {
      out << "  not applicable to " << which.size() << (which.size() == 1 ? " cell" : " cells") << ": " << why << "\n";
    }
    for (const auto* vc : sv.cases) {
      for (std::size_t r = 0; r < vc->errors.size(); ++r) {
        if (!vc->errors[r].empty()) {
          out << "  ERROR " << series(c.releases[r]) << " " << vc->def.id << ": " << vc->errors[r] << "\n";
        }
      }
    }
  }
  flush_same();
  const totals t = count(c, all);
  out << "\n" << counted(t.scenarios, "scenario") << ", " << t.differing << " differ between releases; "
      << counted(t.cases, "cell") << ": " << t.compared << " compared, " << t.cells_differing << " differ, " << t.cells_skipped
      << " not applicable; " << t.release_skips << " release skips; " << t.errors << " errors\n";
}

// json_cells: the cells' names as a JSON array.
tools::json json_cells(const std::vector<const diff::version_case*>& cells) {
  tools::json out = tools::json::array();
  for (const auto* vc : cells) out.push_back(diff::cell_name(vc->def.c));
  return out;
}

void write_json(std::ostream& out, const diff::version_comparison& c, const std::vector<diff::scenario_versions>& all,
                const std::vector<diff::missing_openssl>& missing) {
  const totals t = count(c, all);
  tools::json releases = tools::json::array();
  for (const auto& r : c.releases) {
    releases.push_back({{"openssl", series(r)},
                        {"openssl_version", r.version},
                        {"profile", profile_for(r.series->profile).name}});
  }
  tools::json skipped = tools::json::array();
  for (const auto& m : missing) skipped.push_back({{"openssl", m.series->name}, {"reason", m.reason}});
  tools::json scenarios = tools::json::array();
  for (const auto& sv : all) {
    const auto cells = applicable(sv);
    std::size_t differing = 0;
    for (const auto& p : sv.patterns) differing += p.differences->empty() ? 0 : p.cases.size();
    tools::json steps = tools::json::array();
    for (const auto& step : sv.s->steps) steps.push_back(std::string(1, diff::side_letter(step.side)) + " " + step.command);
    tools::json patterns = tools::json::array();
    for (const auto& pat : sv.patterns) {
      tools::json differences = tools::json::array();
      for (const auto& d : *pat.differences) {
        tools::json values = tools::json::object();
        for (std::size_t r = 0; r < c.releases.size(); ++r) {
          values[series(c.releases[r])] = d.values[r] ? tools::json(*d.values[r]) : tools::json(nullptr);
        }
        differences.push_back({{"step", d.step == std::string::npos ? tools::json(nullptr) : tools::json(d.step + 1)},
                               {"side", std::string(1, diff::side_letter(d.side))},
                               {"command", d.command},
                               {"field", d.field},
                               {"values", std::move(values)}});
      }
      patterns.push_back({{"summary", diff::describe_cells(pat.cases, cells)},
                          {"cells", json_cells(pat.cases)},
                          {"differences", std::move(differences)}});
    }
    tools::json rskips = tools::json::array();
    for (const auto& rs : release_skips(sv)) {
      rskips.push_back({{"openssl", series(c.releases[rs.release])},
                        {"reason", rs.reason},
                        {"summary", diff::describe_cells(rs.cells, cells)},
                        {"cells", json_cells(rs.cells)}});
    }
    tools::json cskips = tools::json::array();
    for (const auto& [reason, which] : cell_skips(sv)) cskips.push_back({{"reason", reason}, {"cells", json_cells(which)}});
    tools::json errors = tools::json::array();
    for (const auto* vc : sv.cases) {
      for (std::size_t r = 0; r < vc->errors.size(); ++r) {
        if (vc->errors[r].empty()) continue;
        errors.push_back({{"openssl", series(c.releases[r])},
                          {"cell", diff::cell_name(vc->def.c)},
                          {"error", vc->errors[r]}});
      }
    }
    scenarios.push_back({{"scenario", sv.s->name},
                         {"family", sv.s->family},
                         {"family_title", sv.s->family_title},
                         {"differs", sv.differs()},
                         {"cells", sv.cases.size()},
                         {"cells_applicable", cells.size()},
                         {"cells_differing", differing},
                         {"steps", std::move(steps)},
                         {"patterns", std::move(patterns)},
                         {"release_skips", std::move(rskips)},
                         {"not_applicable", std::move(cskips)},
                         {"errors", std::move(errors)}});
  }
  const tools::json doc = {{"releases", std::move(releases)},
                           {"skipped_versions", std::move(skipped)},
                           {"totals",
                            {{"scenarios", t.scenarios},
                             {"scenarios_differing", t.differing},
                             {"cells", t.cases},
                             {"cells_compared", t.compared},
                             {"cells_differing", t.cells_differing},
                             {"cells_not_applicable", t.cells_skipped},
                             {"release_skips", t.release_skips},
                             {"reference_runs", c.runs},
                             {"errors", t.errors}}},
                           {"scenarios", std::move(scenarios)}};
  out << tools::json_text(doc, 2) << "\n";
}

// parse_cells: --cells CELL[,CELL], each suite/role/io of the matrix.
std::variant<std::vector<std::string>, failure> parse_cells(const options& o) {
  std::vector<std::string> out;
  auto given = o.get("cells");
  if (!given) return out;
  std::stringstream in(*given);
  // The cells of the matrix, named as case ids name them (a DTLS suite as dtls1.2:SUITE).
  std::vector<const cipher_suite*> suites(matrix_cipher_suites().begin(), matrix_cipher_suites().end());
  for (const cipher_suite& s : dtls12_cipher_suites()) suites.push_back(&s);
  std::string suite_names;
  for (const cipher_suite* s : suites) {
    suite_names += (suite_names.empty() ? "" : ", ") + diff::suite_label(diff::make_cell(*s, true, true));
  }
  for (std::string name; std::getline(in, name, ',');) {
    bool known = false;
    for (const cipher_suite* s : suites) {
      for (bool client : {true, false}) {
        for (bool blocking : {true, false}) known = known || name == diff::cell_name(diff::make_cell(*s, client, blocking));
      }
    }
    if (!known) {
      return usage("--cells: '" + name + "' is not a cell (SUITE/client|server/blocking|nonblocking; suites: " +
                   suite_names + ")");
    }
    out.push_back(name);
  }
  if (out.empty()) return usage("--cells: a cell (SUITE/client|server/blocking|nonblocking), or several separated by commas");
  return out;
}

}  // namespace

outcome run_compare_versions(const options& o, const std::vector<diff::case_def>& selected, unsigned jobs) {
  for (const char* other : {"explain", "transcript", "list", "repeat", "mutate", "profile", "pcap", "keylog"}) {
    if (o.has(other)) return usage(std::string("--") + other + " does not go with --compare-versions");
  }
  if (!o.has("compare-versions")) return usage("--cells goes with --compare-versions");
  if (selected.empty()) return usage("the selection matches no case");
  auto cells = parse_cells(o);
  if (auto* f = std::get_if<failure>(&cells)) return *f;
  const auto& wanted = std::get<std::vector<std::string>>(cells);
  const auto cases = wanted.empty() ? selected : diff::in_cells(selected, wanted);

  auto chosen = choose_openssl_versions(o);
  if (auto* f = std::get_if<failure>(&chosen)) return *f;
  const auto& versions = std::get<openssl_choice>(chosen);
  if (versions.live.size() < 2) {
    std::string why = "--compare-versions needs at least two live OpenSSL releases; ";
    why += versions.live.empty() ? "there is none" : "there is only " + versions.live.front().version;
    for (const auto& m : versions.missing) why += "; " + m.skip_line();
    return usage(why);
  }
  const bool quiet = o.has("quiet");
  if (!quiet) {
    for (const auto& v : versions.live) {
      std::fprintf(stderr, "%s: %s (peer %s)\n", kName, v.version.c_str(), v.peer_path.c_str());
    }
    for (const auto& m : versions.missing) std::fprintf(stderr, "%s: %s\n", kName, m.skip_line().c_str());
  }
  progress bar(quiet);
  const auto result = diff::compare_versions(
      cases, versions.live, diff::run_config{}, jobs,
      [&](const diff::live_openssl& v, std::size_t done, std::size_t total) { bar.update(v, done, total); });
  const auto all = diff::by_scenario(result);
  if (!quiet) {
    std::fprintf(stderr, "%s: %zu reference runs under %zu releases, %.1f s wall, %u jobs\n", kName, result.runs,
                 result.releases.size(), result.wall_seconds, jobs);
  }
  if (auto j = o.get("json")) {
    std::ostringstream out;
    write_json(out, result, all, versions.missing);
    if (auto f = tools::write_output("--json", *j, out.str())) return *f;
  }
  // With --json - the JSON is all of stdout.
  if (o.get("json") != "-") print_text(std::cout, result, all, versions.missing);
  return count(result, all).errors > 0 ? exit_rejected : exit_ok;
}

}  // namespace closenotify::cli

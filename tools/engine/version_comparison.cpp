// version_comparison.cpp — see version_comparison.hpp.
#include "version_comparison.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <optional>

namespace closenotify::diff {

std::size_t version_case::ran() const {
  if (!cell_skip.empty()) return 0;
  std::size_t n = 0;
  for (std::size_t r = 0; r < release_skip.size(); ++r) n += release_skip[r].empty() && errors[r].empty() ? 1 : 0;
  return n;
}

namespace {

std::string field_of(const run_result& run, std::size_t step, const std::string& field) {
  if (step >= run.steps.size()) return "";
  auto it = run.steps[step].fields.find(field);
  return it == run.steps[step].fields.end() ? "" : it->second;
}

std::string record_sequence(const std::vector<std::string>& records) {
  std::string out;
  for (const auto& r : records) out += (out.empty() ? "" : "; ") + r;
  return out.empty() ? "-" : out;
}

}  // namespace

std::vector<version_difference> version_differences(const scenario& s, const std::vector<const run_result*>& runs) {
  std::vector<version_difference> out;
  using values_t = std::vector<std::optional<std::string>>;
  auto differ = [](const values_t& values) {
    const std::string* first = nullptr;
    for (const auto& v : values) {
      if (!v) continue;
      if (first != nullptr && *v != *first) return true;
      first = &*v;
    }
    return false;
  };
  std::array<bool, 2> sent_differs{false, false};
  for (std::size_t i = 0; i < s.steps.size(); ++i) {
    for (const auto& f : observation_fields()) {
      values_t values(runs.size());
      for (std::size_t r = 0; r < runs.size(); ++r) {
        if (runs[r]) values[r] = field_of(*runs[r], i, f);
      }
      if (!differ(values)) continue;
      const auto side = s.steps[i].side;
      if (f == "sent") sent_differs[side == side_id::a ? 0 : 1] = true;
      out.push_back({i, side, s.steps[i].command, f, std::move(values)});
    }
  }
  // A side's whole record sequence says something the steps do not only when no step's
  // `sent` differs already (e.g. records written while no step of that side was running).
  for (side_id side : {side_id::a, side_id::b}) {
    if (sent_differs[side == side_id::a ? 0 : 1]) continue;
    values_t values(runs.size());
    for (std::size_t r = 0; r < runs.size(); ++r) {
      if (runs[r]) values[r] = record_sequence(side == side_id::a ? runs[r]->wire_a : runs[r]->wire_b);
    }
    if (differ(values)) out.push_back({std::string::npos, side, "", "wire", std::move(values)});
  }
  return out;
}

version_comparison compare_versions(
    const std::vector<case_def>& cases, const std::vector<live_openssl>& releases, const run_config& base,
    unsigned jobs, const std::function<void(const live_openssl&, std::size_t done, std::size_t total)>& progress) {
  version_comparison out;
  out.releases = releases;
  const std::size_t n_releases = releases.size();
  std::vector<run_config> configs;
  for (const auto& r : releases) {
    run_config c = base;
    c.peer_path = r.peer_path;
    c.peer_profile = r.series->profile;
    c.profile = r.series->profile;
    configs.push_back(std::move(c));
  }
  out.cases.resize(cases.size());
  // The runs to carry out: every (case, release) that is not skipped, case-major so that a
  // case's releases run close together.
  std::vector<std::pair<std::size_t, std::size_t>> work;
  for (std::size_t k = 0; k < cases.size(); ++k) {
    auto& vc = out.cases[k];
    vc.def = cases[k];
    vc.release_skip.assign(n_releases, "");
    vc.errors.assign(n_releases, "");
    if (auto why = skip_reason(*cases[k].s, cases[k].c)) {
      vc.cell_skip = *why;
      continue;
    }
    for (std::size_t r = 0; r < n_releases; ++r) {
      if (auto why = version_skip_reason(*cases[k].s, configs[r].peer_profile)) vc.release_skip[r] = *why;
      else work.emplace_back(k, r);
    }
  }
  std::vector<run_result> results(work.size());
  const auto start = std::chrono::steady_clock::now();
  run_parallel(
      work.size(), jobs,
      [&](std::size_t i) {
        const auto [k, r] = work[i];
        results[i] = run_case(*cases[k].s, cases[k].c, false, configs[r]);
      },
      [&](std::size_t i, std::size_t done) {
        if (progress) progress(releases[work[i].second], done, work.size());
      });
  out.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  out.runs = work.size();

  std::vector<std::vector<const run_result*>> per_case(cases.size(), std::vector<const run_result*>(n_releases));
  for (std::size_t i = 0; i < work.size(); ++i) {
    const auto [k, r] = work[i];
    if (!results[i].harness_error.empty()) out.cases[k].errors[r] = results[i].harness_error;
    else per_case[k][r] = &results[i];
  }
  for (std::size_t k = 0; k < cases.size(); ++k) {
    if (out.cases[k].ran() >= 2) out.cases[k].differences = version_differences(*cases[k].s, per_case[k]);
  }
  return out;
}

bool scenario_versions::differs() const {
  return std::any_of(patterns.begin(), patterns.end(), [](const auto& p) { return !p.differences->empty(); });
}

bool scenario_versions::errors() const {
  for (const auto* c : cases) {
    for (const auto& e : c->errors) {
      if (!e.empty()) return true;
    }
  }
  return false;
}

std::vector<scenario_versions> by_scenario(const version_comparison& c) {
  std::vector<scenario_versions> out;
  for (const auto& vc : c.cases) {
    if (out.empty() || out.back().s != vc.def.s) out.push_back({vc.def.s, {}, {}, {}});
    auto& sv = out.back();
    sv.cases.push_back(&vc);
    if (!vc.cell_skip.empty()) {
      sv.cell_skips.push_back(&vc);
      continue;
    }
    if (vc.ran() < 2) continue;  // nothing to compare it with
    auto it = std::find_if(sv.patterns.begin(), sv.patterns.end(),
                           [&](const version_pattern& p) { return *p.differences == vc.differences; });
    if (it == sv.patterns.end()) sv.patterns.push_back({{&vc}, &vc.differences});
    else it->cases.push_back(&vc);
  }
  return out;
}

std::string cell_name(const cell& c) {
  return suite_label(c) + "/" + (c.a_is_client ? "client" : "server") + "/" + (c.blocking ? "blocking" : "nonblocking");
}

namespace {

std::string role_io(bool a_is_client, bool blocking) {
  return std::string("A=") + (a_is_client ? "client" : "server") + " " + (blocking ? "blocking" : "nonblocking");
}

}  // namespace

std::string describe_cells(const std::vector<const version_case*>& cells, const std::vector<const version_case*>& all) {
  auto n = [](std::size_t k) { return std::to_string(k) + (k == 1 ? " cell" : " cells"); };
  if (cells.size() == all.size()) return all.size() == 1 ? "its one cell" : "all " + n(all.size());
  // Factor by protocol version, then by A's role and the IO mode: a group is named as a
  // whole when `cells` holds every cell of it that `all` holds.
  auto in = [](const std::vector<const version_case*>& set, auto&& pred) {
    std::size_t k = 0;
    for (const auto* c : set) k += pred(c->def.c) ? 1 : 0;
    return k;
  };
  std::vector<std::string> parts;
  for (cell_protocol p : {cell_protocol::tls13, cell_protocol::tls12, cell_protocol::dtls12}) {
    auto of_version = [&](const cell& c) { return protocol_of(c) == p; };
    const std::size_t have = in(cells, of_version);
    if (have == 0) continue;
    const std::string v = p == cell_protocol::tls13 ? "TLS 1.3" : p == cell_protocol::tls12 ? "TLS 1.2" : "DTLS 1.2";
    if (have == in(all, of_version)) {
      parts.push_back("the " + v + " cells (" + std::to_string(have) + ")");
      continue;
    }
    for (bool client : {true, false}) {
      for (bool blocking : {true, false}) {
        auto of_group = [&](const cell& c) { return protocol_of(c) == p && c.a_is_client == client && c.blocking == blocking; };
        const std::size_t g = in(cells, of_group);
        if (g == 0) continue;
        if (g == in(all, of_group) && g > 1) {
          parts.push_back(v + " " + role_io(client, blocking) + " (" + std::to_string(g) + " suites)");
          continue;
        }
        for (const auto* c : cells) {
          if (of_group(c->def.c)) parts.push_back(cell_name(c->def.c));
        }
      }
    }
  }
  // One group says its size itself; otherwise the count comes first.
  if (parts.size() == 1 && parts[0].ends_with(")")) return parts[0];
  std::string out = n(cells.size()) + ": ";
  for (std::size_t i = 0; i < parts.size(); ++i) out += (i ? ", " : "") + parts[i];
  return out;
}

std::vector<case_def> in_cells(const std::vector<case_def>& cases, const std::vector<std::string>& cells) {
  std::vector<case_def> out;
  for (std::size_t i = 0; i < cases.size();) {
    std::size_t end = i;
    while (end < cases.size() && cases[end].s == cases[i].s) ++end;  // one scenario's cases
    const std::size_t before = out.size();
    std::optional<std::size_t> first_applicable;
    for (std::size_t k = i; k < end; ++k) {
      if (skip_reason(*cases[k].s, cases[k].c)) continue;
      if (!first_applicable) first_applicable = k;
      if (std::find(cells.begin(), cells.end(), cell_name(cases[k].c)) != cells.end()) out.push_back(cases[k]);
    }
    if (out.size() == before) out.push_back(cases[first_applicable.value_or(i)]);
    i = end;
  }
  return out;
}

}  // namespace closenotify::diff

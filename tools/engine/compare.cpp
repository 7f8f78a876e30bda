// compare.cpp — the comparison rules (see compare.hpp and docs/diff.md).
#include "compare.hpp"

namespace closenotify::diff {

std::string_view to_string(verdict v) {
  switch (v) {
    case verdict::agree: return "agree";
    case verdict::diverge_documented: return "diverge_documented";
    case verdict::diverge_undocumented: return "diverge_undocumented";
    case verdict::skipped: return "skipped";
    case verdict::error: return "error";
  }
  return "?";
}

std::set<std::string> documented_divergences(std::string_view ids_file) {
  std::set<std::string> ids;
  std::size_t pos = 0;
  while (pos < ids_file.size()) {
    auto end = ids_file.find('\n', pos);
    if (end == std::string_view::npos) end = ids_file.size();
    auto line = ids_file.substr(pos, end - pos);
    pos = end + 1;
    const auto first = line.find_first_not_of(" \t");
    if (first == std::string_view::npos || line[first] == '#') continue;
    line.remove_prefix(first);
    ids.emplace(line.substr(0, line.find_first_of(" \t")));
  }
  return ids;
}

namespace {

std::string get(const std::map<std::string, std::string>& m, const std::string& k) {
  auto it = m.find(k);
  return it == m.end() ? "" : it->second;
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : "; ") + s;
  return out.empty() ? "-" : out;
}

}  // namespace

comparison compare(const scenario& s, const run_result& reference, const run_result& candidate,
                   const std::set<std::string>& documented, const cell* in) {
  comparison c;
  for (const auto& d : s.divergences) {
    if (!documented.contains(d.id)) {
      c.result = verdict::error;
      c.note = "scenario " + s.name + " declares divergence " + d.id + ", which docs/divergences.md does not document";
      return c;
    }
  }
  if (!reference.harness_error.empty() || !candidate.harness_error.empty()) {
    c.result = verdict::error;
    c.note = !reference.harness_error.empty() ? "reference run: " + reference.harness_error
                                              : "candidate run: " + candidate.harness_error;
    return c;
  }
  const std::size_t n = std::max(reference.steps.size(), candidate.steps.size());
  static const observation missing{};
  for (std::size_t i = 0; i < n; ++i) {
    const auto& r = i < reference.steps.size() ? reference.steps[i] : missing;
    const auto& k = i < candidate.steps.size() ? candidate.steps[i] : missing;
    const auto& obs = i < reference.steps.size() ? r : k;
    for (const auto& f : observation_fields()) {
      auto rv = get(r.fields, f), kv = get(k.fields, f);
      if (rv != kv) c.differences.push_back({obs.step, obs.side, f, rv, kv});
    }
  }
  if (reference.wire_a != candidate.wire_a) {
    c.differences.push_back({std::string::npos, side_id::a, "wire", join(reference.wire_a), join(candidate.wire_a)});
  }
  if (reference.wire_b != candidate.wire_b) {
    c.differences.push_back({std::string::npos, side_id::b, "wire", join(reference.wire_b), join(candidate.wire_b)});
  }
  if (c.differences.empty()) return c;

  bool all_tolerated = true;
  std::set<std::string> used;
  for (auto& d : c.differences) {
    const std::string key = std::string(1, side_letter(d.side)) + "." + d.field;
    for (const auto& decl : s.divergences) {
      if (in != nullptr && !in_cell(decl.conditions, *in)) continue;
      for (const auto& f : decl.fields) {
        if (f == key) {
          d.tolerated = true;
          used.insert(decl.id);
        }
      }
    }
    all_tolerated = all_tolerated && d.tolerated;
  }
  c.divergences.assign(used.begin(), used.end());
  c.result = all_tolerated ? verdict::diverge_documented : verdict::diverge_undocumented;
  return c;
}

}  // namespace closenotify::diff

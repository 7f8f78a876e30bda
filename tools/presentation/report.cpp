// report.cpp — summary tables, JSON and --explain.
#include "report.hpp"

#include <algorithm>
#include <cstdio>
#include <iomanip>
#include <map>
#include <sstream>

#include "json.hpp"

namespace closenotify::diff {

void totals::add(verdict v) {
  ++cases;
  switch (v) {
    case verdict::agree: ++agree; break;
    case verdict::diverge_documented: ++diverge_documented; break;
    case verdict::diverge_undocumented: ++diverge_undocumented; break;
    case verdict::skipped: ++skipped; break;
    case verdict::error: ++errors; break;
  }
}

totals count(const std::vector<case_result>& results) {
  totals t;
  for (const auto& r : results) t.add(r.cmp.result);
  return t;
}

namespace {

void table_row(std::ostream& out, const std::string& label, std::size_t width, const totals& t,
               const std::string& note = "") {
  out << "  " << std::left << std::setw(static_cast<int>(width)) << label << std::right << std::setw(6) << t.cases
      << std::setw(7) << t.agree << std::setw(6) << t.diverge_documented << std::setw(8) << t.diverge_undocumented
      << std::setw(6) << t.skipped << std::setw(7) << t.errors << (note.empty() ? "" : "   " + note) << "\n";
}

void table_header(std::ostream& out, const std::string& label, std::size_t width, const std::string& note = "") {
  out << "  " << std::left << std::setw(static_cast<int>(width)) << label << std::right << std::setw(6) << "cases"
      << std::setw(7) << "agree" << std::setw(6) << "doc" << std::setw(8) << "UNDOC" << std::setw(6) << "skip"
      << std::setw(7) << "error" << (note.empty() ? "" : "   " + note) << "\n";
}

// total_line: "N cases: a agree, d diverge (documented), ..."
std::string total_line(const totals& t) {
  return std::to_string(t.cases) + " cases: " + std::to_string(t.agree) + " agree, " +
         std::to_string(t.diverge_documented) + " diverge (documented), " + std::to_string(t.diverge_undocumented) +
         " diverge (undocumented), " + std::to_string(t.skipped) + " skipped, " + std::to_string(t.errors) + " errors";
}

tools::json json_totals(const totals& t) {
  return {{"cases", t.cases},
          {"agree", t.agree},
          {"diverge_documented", t.diverge_documented},
          {"diverge_undocumented", t.diverge_undocumented},
          {"skipped", t.skipped},
          {"errors", t.errors}};
}

std::string series_name(const live_openssl& o) { return std::string(o.series->name); }


}  // namespace

void print_summary(std::ostream& out, const version_run& v) {
  const auto& results = v.results;
  std::map<std::string, totals> by_family;
  std::map<std::string, std::string> family_titles;
  std::map<std::string, totals> by_cell;
  std::vector<std::string> cell_order;
  std::size_t scenarios = 0;
  const scenario* last = nullptr;
  for (const auto& r : results) {
    if (r.def.s != last) {
      ++scenarios;
      last = r.def.s;
    }
    by_family[r.def.s->family].add(r.cmp.result);
    family_titles[r.def.s->family] = r.def.s->family_title;
    std::string cell = suite_label(r.def.c) + "  A=" + (r.def.c.a_is_client ? "client" : "server") + "  " +
                       (r.def.c.blocking ? "blocking" : "nonblocking");
    if (!by_cell.contains(cell)) cell_order.push_back(cell);
    by_cell[cell].add(r.cmp.result);
  }
  const totals t = count(results);
  out << "== " << v.openssl.label() << ": " << v.openssl.version << " (peer " << v.openssl.peer_path
      << "), closenotify profile " << profile_for(v.profile).name << "\n";
  out << "closenotify diff: " << scenarios << " scenarios, " << t.cases << " cases (A = closenotify in the candidate run, "
      << "OpenSSL in the reference run; B = OpenSSL in both)\n\n";
  out << "by scenario family (doc: documented divergence, UNDOC: undocumented divergence)\n";
  std::size_t w = 12;
  for (const auto& [f, _] : by_family) w = std::max(w, f.size() + 2);
  table_header(out, "family", w);
  for (const auto& [f, ft] : by_family) table_row(out, f, w, ft);
  out << "\nby cell (suite, A's role, IO mode)\n";
  std::size_t cw = 12;
  for (const auto& c : cell_order) cw = std::max(cw, c.size() + 2);
  table_header(out, "cell", cw);
  for (const auto& c : cell_order) table_row(out, c, cw, by_cell[c]);

  std::map<std::string, std::size_t> skip_reasons;
  for (const auto& r : results) {
    if (r.cmp.result == verdict::skipped) ++skip_reasons[r.def.s->name + ": " + r.cmp.note];
  }
  if (!skip_reasons.empty()) {
    out << "\nskipped cells (the scenario, or what this OpenSSL lacks, says why they do not apply)\n";
    for (const auto& [why, n] : skip_reasons) out << "  " << std::setw(3) << n << "  " << why << "\n";
  }
  std::map<std::string, std::size_t> documented;
  for (const auto& r : results) {
    if (r.cmp.result == verdict::diverge_documented) {
      for (const auto& id : r.cmp.divergences) ++documented[id + " (" + r.def.s->name + ")"];
    }
  }
  if (!documented.empty()) {
    out << "\ndocumented divergences seen (docs/divergences.md)\n";
    for (const auto& [what, n] : documented) out << "  " << std::setw(3) << n << "  " << what << "\n";
  }
  std::size_t shown = 0;
  for (const auto& r : results) {
    if (r.cmp.result != verdict::diverge_undocumented && r.cmp.result != verdict::error) continue;
    if (shown == 0) {
      out << "\nFAILED cases (closenotify diff --openssl " << series_name(v.openssl)
          << " --explain CASE shows both runs)\n";
    }
    if (++shown > 40) continue;
    out << "  " << r.def.id << "\n      "
        << (r.cmp.result == verdict::error ? "error: " + r.cmp.note : first_difference(r)) << "\n";
  }
  if (shown > 40) out << "  ... and " << shown - 40 << " more (see --json)\n";
  char wall[32];
  std::snprintf(wall, sizeof wall, "%.1f s wall", v.wall_seconds);
  out << "\n" << v.openssl.label() << " total: " << total_line(t) << "; " << wall << "\n\n";
}

void print_versions(std::ostream& out, const std::vector<version_run>& runs,
                    const std::vector<missing_openssl>& missing, double wall_seconds, unsigned jobs) {
  totals all;
  out << "by OpenSSL version (closenotify diff --openssl VERSION runs one)\n";
  table_header(out, "openssl", 12, "the peer's version (closenotify's profile)");
  for (const auto& v : runs) {
    const totals t = count(v.results);
    table_row(out, series_name(v.openssl), 12, t,
              v.openssl.version + " (" + std::string(profile_for(v.profile).name) + ")");
    for (const auto& r : v.results) all.add(r.cmp.result);
  }
  for (const auto& m : missing) out << "  " << m.skip_line() << "\n";
  char wall[64];
  std::snprintf(wall, sizeof wall, "%.1f s wall, %u jobs", wall_seconds, jobs);
  out << "\ntotal: " << total_line(all) << "; " << wall << "\n";
  out << (all.passed() ? "PASS: every case agrees with OpenSSL or diverges as documented\n"
                       : "FAIL: see the cases above\n");
}

void write_json(std::ostream& out, const std::vector<version_run>& runs, const std::vector<missing_openssl>& missing,
                double wall_seconds) {
  totals all;
  for (const auto& v : runs) {
    for (const auto& r : v.results) all.add(r.cmp.result);
  }
  tools::json versions = tools::json::array();
  for (const auto& v : runs) {
    versions.push_back({{"openssl", series_name(v.openssl)},
                        {"openssl_version", v.openssl.version},
                        {"peer", v.openssl.peer_path},
                        {"profile", profile_for(v.profile).name},
                        {"totals", json_totals(count(v.results))},
                        {"wall_seconds", v.wall_seconds}});
  }
  tools::json skipped = tools::json::array();
  for (const auto& m : missing) skipped.push_back({{"openssl", m.series->name}, {"reason", m.reason}});
  tools::json cases = tools::json::array();
  for (const auto& v : runs) {
    for (const auto& r : v.results) {
      const auto& c = r.def.c;
      tools::json one = {{"openssl", series_name(v.openssl)},
                         {"id", r.def.id},
                         {"scenario", r.def.s->name},
                         {"family", r.def.s->family},
                         {"suite", c.suite},
                         {"version", std::string(protocol_name(protocol_of(c)))},
                         {"role", c.a_is_client ? "client" : "server"},
                         {"io", c.blocking ? "blocking" : "nonblocking"},
                         {"result", to_string(r.cmp.result)}};
      if (!r.cmp.note.empty()) one["note"] = r.cmp.note;
      one["cites"] = r.def.s->cites;
      one["divergences"] = r.cmp.divergences;
      tools::json differences = tools::json::array();
      for (const auto& d : r.cmp.differences) {
        differences.push_back({{"step", d.step == std::string::npos ? tools::json(nullptr) : tools::json(d.step + 1)},
                               {"side", std::string(1, side_letter(d.side))},
                               {"field", d.field},
                               {"openssl", d.reference},
                               {"closenotify", d.candidate},
                               {"tolerated", d.tolerated}});
      }
      one["differences"] = std::move(differences);
      cases.push_back(std::move(one));
    }
  }
  const tools::json doc = {{"totals", json_totals(all)},
                           {"wall_seconds", wall_seconds},
                           {"versions", std::move(versions)},
                           {"skipped_versions", std::move(skipped)},
                           {"cases", std::move(cases)}};
  out << tools::json_text(doc, 2) << "\n";
}

void print_explain(std::ostream& out, const case_result& r, const live_openssl& openssl, profile_id profile,
                   bool transcript) {
  const auto& s = *r.def.s;
  out << "case " << r.def.id << " against " << openssl.label() << " (" << openssl.version << "; closenotify profile "
      << profile_for(profile).name << ")\n  scenario " << s.name << " (" << s.file << ":" << s.line << "), family "
      << s.family << ": " << s.family_title << "\n";
  for (const auto& c : s.cites) out << "  cites " << c << "\n";
  out << "  A is the " << (r.def.c.a_is_client ? "client" : "server") << " (OpenSSL in the reference run, closenotify "
      << "in the candidate run); B is the OpenSSL peer in both\n";
  out << "  result: " << to_string(r.cmp.result);
  if (!r.cmp.note.empty()) out << " (" << r.cmp.note << ")";
  out << "\n\n";
  if (r.cmp.result == verdict::skipped) return;
  bool marked = false;
  const std::size_t n = std::max(r.reference.steps.size(), r.candidate.steps.size());
  for (std::size_t i = 0; i < n; ++i) {
    static const observation none{};
    const auto& a = i < r.reference.steps.size() ? r.reference.steps[i] : none;
    const auto& b = i < r.candidate.steps.size() ? r.candidate.steps[i] : none;
    const auto& o = i < r.reference.steps.size() ? a : b;
    out << "step " << o.step + 1 << ": " << side_letter(o.side) << " " << o.command << "\n";
    for (const auto& f : observation_fields()) {
      auto ia = a.fields.find(f), ib = b.fields.find(f);
      std::string va = ia == a.fields.end() ? "" : ia->second, vb = ib == b.fields.end() ? "" : ib->second;
      if (va.empty() && vb.empty()) continue;
      std::string mark = "  ";
      if (va != vb) {
        mark = marked ? " *" : ">>";
        marked = true;
      }
      if (va == vb) {
        out << "  " << mark << std::left << std::setw(8) << f << va << "\n";
      } else {
        out << "  " << mark << std::left << std::setw(8) << f << "OpenSSL:     " << va << "\n"
            << "    " << std::setw(8) << "" << "closenotify: " << vb << "\n";
      }
    }
  }
  for (const auto& d : r.cmp.differences) {
    if (d.step == std::string::npos) {
      out << (marked ? " * " : ">> ") << side_letter(d.side) << " records on the wire differ\n    OpenSSL:     "
          << d.reference << "\n    closenotify: " << d.candidate << "\n";
      marked = true;
    }
  }
  if (r.cmp.differences.empty()) out << "\nno difference: both runs observed the same, step by step\n";
  else out << "\n>> marks the first difference, * the others\n";
  if (transcript) {
    out << "\nreference run transcript\n";
    for (const auto& l : r.reference.transcript) out << "  " << l << "\n";
    out << "\ncandidate run transcript\n";
    for (const auto& l : r.candidate.transcript) out << "  " << l << "\n";
  }
}

}  // namespace closenotify::diff

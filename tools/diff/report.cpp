// report.cpp — summary tables, JSON and --explain.
#include "report.hpp"

#include <algorithm>
#include <cstdio>
#include <iomanip>
#include <map>
#include <sstream>

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

std::string step_label(const case_result& r, const difference& d) {
  if (d.step == std::string::npos) return std::string(1, side_letter(d.side)) + " records on the wire";
  const auto& st = r.def.s->steps[d.step];
  return "step " + std::to_string(d.step + 1) + " (" + side_letter(st.side) + " " + st.command + ") " + d.field;
}

void table_row(std::ostream& out, const std::string& label, std::size_t width, const totals& t) {
  out << "  " << std::left << std::setw(static_cast<int>(width)) << label << std::right << std::setw(6) << t.cases
      << std::setw(7) << t.agree << std::setw(6) << t.diverge_documented << std::setw(8) << t.diverge_undocumented
      << std::setw(6) << t.skipped << std::setw(7) << t.errors << "\n";
}

void table_header(std::ostream& out, const std::string& label, std::size_t width) {
  out << "  " << std::left << std::setw(static_cast<int>(width)) << label << std::right << std::setw(6) << "cases"
      << std::setw(7) << "agree" << std::setw(6) << "doc" << std::setw(8) << "UNDOC" << std::setw(6) << "skip"
      << std::setw(7) << "error" << "\n";
}


}  // namespace

std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

std::string first_difference(const case_result& r) {
  for (const auto& d : r.cmp.differences) {
    if (d.tolerated) continue;
    return step_label(r, d) + ": OpenSSL " + d.reference + " / closenotify " + d.candidate;
  }
  if (!r.cmp.differences.empty()) {
    const auto& d = r.cmp.differences.front();
    return step_label(r, d) + ": OpenSSL " + d.reference + " / closenotify " + d.candidate + " (tolerated: divergence " +
           (r.cmp.divergences.empty() ? "?" : r.cmp.divergences.front()) + ")";
  }
  return "";
}

void print_summary(std::ostream& out, const std::vector<case_result>& results, double wall_seconds, unsigned jobs) {
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
    std::string cell = r.def.c.suite + "  A=" + (r.def.c.a_is_client ? "client" : "server") + "  " +
                       (r.def.c.blocking ? "blocking" : "nonblocking");
    if (!by_cell.contains(cell)) cell_order.push_back(cell);
    by_cell[cell].add(r.cmp.result);
  }
  const totals t = count(results);
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
    out << "\nskipped cells (the scenario says why it does not apply)\n";
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
    if (shown == 0) out << "\nFAILED cases (closenotify diff --explain CASE shows both runs)\n";
    if (++shown > 40) continue;
    out << "  " << r.def.id << "\n      "
        << (r.cmp.result == verdict::error ? "error: " + r.cmp.note : first_difference(r)) << "\n";
  }
  if (shown > 40) out << "  ... and " << shown - 40 << " more (see --json)\n";
  char wall[64];
  std::snprintf(wall, sizeof wall, "%.1f s wall, %u jobs", wall_seconds, jobs);
  out << "\ntotal: " << t.cases << " cases: " << t.agree << " agree, " << t.diverge_documented
      << " diverge (documented), " << t.diverge_undocumented << " diverge (undocumented), " << t.skipped
      << " skipped, " << t.errors << " errors; " << wall << "\n";
  out << (t.passed() ? "PASS: every case agrees with OpenSSL or diverges as documented\n"
                     : "FAIL: see the cases above\n");
}

void write_json(std::ostream& out, const std::vector<case_result>& results, double wall_seconds) {
  const totals t = count(results);
  out << "{\n  \"totals\": {\"cases\": " << t.cases << ", \"agree\": " << t.agree
      << ", \"diverge_documented\": " << t.diverge_documented
      << ", \"diverge_undocumented\": " << t.diverge_undocumented << ", \"skipped\": " << t.skipped
      << ", \"errors\": " << t.errors << "},\n";
  out << "  \"wall_seconds\": " << wall_seconds << ",\n  \"cases\": [\n";
  for (std::size_t i = 0; i < results.size(); ++i) {
    const auto& r = results[i];
    const auto& c = r.def.c;
    out << "    {\"id\": " << json_string(r.def.id) << ", \"scenario\": " << json_string(r.def.s->name)
        << ", \"family\": " << json_string(r.def.s->family) << ", \"suite\": " << json_string(c.suite)
        << ", \"version\": \"" << (c.tls13 ? "tls1.3" : "tls1.2") << "\", \"role\": \""
        << (c.a_is_client ? "client" : "server") << "\", \"io\": \"" << (c.blocking ? "blocking" : "nonblocking")
        << "\", \"result\": \"" << to_string(r.cmp.result) << "\"";
    if (!r.cmp.note.empty()) out << ", \"note\": " << json_string(r.cmp.note);
    out << ", \"cites\": [";
    for (std::size_t k = 0; k < r.def.s->cites.size(); ++k) out << (k ? ", " : "") << json_string(r.def.s->cites[k]);
    out << "], \"divergences\": [";
    for (std::size_t k = 0; k < r.cmp.divergences.size(); ++k) out << (k ? ", " : "") << json_string(r.cmp.divergences[k]);
    out << "], \"differences\": [";
    for (std::size_t k = 0; k < r.cmp.differences.size(); ++k) {
      const auto& d = r.cmp.differences[k];
      out << (k ? ", " : "") << "{\"step\": "
          << (d.step == std::string::npos ? std::string("null") : std::to_string(d.step + 1)) << ", \"side\": \""
          << side_letter(d.side) << "\", \"field\": " << json_string(d.field)
          << ", \"openssl\": " << json_string(d.reference) << ", \"closenotify\": " << json_string(d.candidate)
          << ", \"tolerated\": " << (d.tolerated ? "true" : "false") << "}";
    }
    out << "]}" << (i + 1 < results.size() ? "," : "") << "\n";
  }
  out << "  ]\n}\n";
}

void print_explain(std::ostream& out, const case_result& r, bool transcript) {
  const auto& s = *r.def.s;
  out << "case " << r.def.id << "\n  scenario " << s.name << " (" << s.file << ":" << s.line << "), family "
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

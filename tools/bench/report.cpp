// report.cpp — statistics, the table `closenotify bench` prints, and its JSON.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iomanip>
#include <sstream>

#include "bench.hpp"
#include "json.hpp"

namespace closenotify::bench {

// ---- statistics ----------------------------------------------------------------------

std::uint64_t now_ns() noexcept {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
          .count());
}

stat summarize(std::vector<double> v) {
  stat s;
  s.n = v.size();
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  const std::size_t m = v.size() / 2;
  s.median = v.size() % 2 == 1 ? v[m] : (v[m - 1] + v[m]) / 2;
  s.min = v.front();
  s.max = v.back();
  return s;
}

tools::result<pair_series> interleave(std::size_t samples, const std::function<tools::result<double>()>& a,
                                      const std::function<tools::result<double>()>& b) {
  pair_series s;
  for (std::size_t i = 0; i < samples; ++i) {
    for (int turn = 0; turn < 2; ++turn) {
      const bool a_now = (turn == 0) == (i % 2 == 0);
      auto v = a_now ? a() : b();
      if (auto* e = std::get_if<tools::error>(&v)) return std::move(*e);
      (a_now ? s.a : s.b).push_back(std::get<double>(v));
    }
  }
  return s;
}

std::vector<double> ratios(const pair_series& s, bool inverse) {
  std::vector<double> r;
  for (std::size_t i = 0; i < s.a.size() && i < s.b.size(); ++i) r.push_back(inverse ? s.b[i] / s.a[i] : s.a[i] / s.b[i]);
  return r;
}

// ---- text ----------------------------------------------------------------------------

namespace {

std::string num(double v, int decimals) {
  char b[64];
  std::snprintf(b, sizeof b, "%.*f", decimals, v);
  return b;
}

// Enough decimals for the size of the number: 2345, 123.4, 12.34, 0.977.
int decimals_for(double v) {
  const double a = std::fabs(v);
  if (a >= 1000) return 0;
  if (a >= 100) return 1;
  if (a >= 10) return 2;
  return 3;
}

std::string cell(const stat& s, int decimals = -1) {
  const int d = decimals >= 0 ? decimals : decimals_for(s.median);
  return num(s.median, d) + " [" + num(s.min, d) + ".." + num(s.max, d) + "]";
}

struct table {
  std::vector<std::vector<std::string>> rows;  // rows[0]: the heading
  void print(std::ostream& out, const std::string& indent = "   ") const {
    std::vector<std::size_t> width;
    for (const auto& r : rows) {
      for (std::size_t i = 0; i < r.size(); ++i) {
        if (width.size() <= i) width.push_back(0);
        width[i] = std::max(width[i], r[i].size());
      }
    }
    for (const auto& r : rows) {
      std::string line = indent;
      for (std::size_t i = 0; i < r.size(); ++i) {
        line += r[i];
        if (i + 1 < r.size()) line += std::string(width[i] - r[i].size() + 2, ' ');
      }
      while (!line.empty() && line.back() == ' ') line.pop_back();
      out << line << "\n";
    }
  }
};

std::string met(bool ok) { return ok ? "met" : "MISSED"; }

const syscall_row* find_row(const results& r, const std::string& impl, bool read_ahead) {
  for (const auto& row : r.syscalls) {
    if (row.implementation == impl && row.read_ahead == read_ahead) return &row;
  }
  return nullptr;
}

// The counts of a row when every suite gave the same, else nullopt.
std::optional<syscall_count> uniform(const syscall_row& row) {
  if (row.per_suite.empty()) return std::nullopt;
  const syscall_count first = row.per_suite.begin()->second;
  for (const auto& [suite, c] : row.per_suite) {
    if (!(c == first)) return std::nullopt;
  }
  return first;
}

std::string counts_text(std::size_t writes, std::size_t reads) {
  return std::to_string(writes) + " writes + " + std::to_string(reads) + " reads";
}

}  // namespace

void print_table(std::ostream& out, const results& r) {
  const auto& m = r.machine;
  out << "closenotify bench  " << m.date << "\n";
  const bool busy = std::max(m.load_before, m.load_before_diff) > 0.5 * m.cores;
  out << "machine   " << m.cpu << ", " << m.cores << " cores; load average (1 min) " << num(m.load_before, 2)
      << " at the start, " << num(m.load_before_diff, 2) << " after figures 1-5, " << num(m.load_after, 2)
      << " at the end (figure 6 runs its own jobs)" << (busy ? "; busy machine" : "") << "\n";
  out << "build     " << m.build_type << ", " << m.compiler << "; BoringSSL " << m.boringssl << "; " << m.openssl
      << " (closenotify-peer)\n";
  out << "samples   " << r.samples << " per timed figure" << (r.quick ? " (--quick)" : "")
      << "; cells are median [min..max]; a ratio is the median of per-sample ratios of interleaved runs\n";
  out << "command   " << r.command << "\n\n";

  out << "1. 16 KiB application-data records, seal + open: closenotify's record layer vs raw "
         "EVP_AEAD_CTX_seal/open on the same buffers, keys and nonces.  Target: >= 0.95x raw throughput\n";
  {
    table t;
    t.rows.push_back({"suite", "closenotify MB/s", "raw AEAD MB/s", "closenotify/raw", "target",
                      "seal: cn/raw time", "open: cn/raw time"});
    for (const auto& row : r.app_vs_raw) {
      const stat* seal = row.find("seal_time_ratio");
      const stat* open = row.find("open_time_ratio");
      t.rows.push_back({row.suite, cell(row.closenotify, 0), cell(row.baseline, 0), cell(row.ratio, 3),
                        met(row.ratio.median >= 0.95), seal ? num(seal->median, 3) : "-",
                        open ? num(open->median, 3) : "-"});
    }
    t.print(out);
    out << "   same keys and nonces checked: the raw AEAD opened a close_notify closenotify sealed, for "
        << r.raw_checks.size() << " of " << r.suites.size() << " suites\n\n";
  }

  out << "2. close_notify record, seal and open: closenotify vs raw AEAD on the payload it protects "
         "(TLS 1.3: 3 bytes, TLS 1.2: 2).  Target: <= 1.3x raw time\n";
  {
    table t;
    t.rows.push_back({"suite", "operation", "closenotify ns", "raw AEAD ns", "closenotify/raw", "target",
                      "raw seal_scatter ns", "cn/seal_scatter"});
    for (const auto& row : r.close_vs_raw) {
      const stat* scatter = row.find("raw_seal_scatter_ns");
      const stat* vs = row.find("closenotify_vs_raw_seal_scatter");
      t.rows.push_back({row.suite, row.what, cell(row.closenotify, 1), cell(row.baseline, 1), cell(row.ratio, 3),
                        met(row.ratio.median <= 1.3), scatter ? num(scatter->median, 1) : "-",
                        vs ? num(vs->median, 3) : "-"});
    }
    t.print(out);
    out << "   raw seal_scatter: EVP_AEAD_CTX_seal_scatter as closenotify calls it (the alert as input, TLS 1.3's "
           "inner content type as extra_in)\n";
    out << "\n";
  }

  out << "3. closenotify vs " << (m.openssl.empty() ? "OpenSSL 3.0" : m.openssl)
      << ", each measured inside its own process on memory (OpenSSL: BIO pair in closenotify-peer --bench)\n";
  {
    table t;
    t.rows.push_back({"suite", "measurement", "closenotify", "OpenSSL", "closenotify/OpenSSL", "reading"});
    for (const auto& row : r.vs_openssl) {
      const bool throughput = row.unit == "MB/s";
      t.rows.push_back({row.suite, row.what + " (" + row.unit + ")", cell(row.closenotify, throughput ? 0 : 1),
                        cell(row.baseline, throughput ? 0 : 1), cell(row.ratio, 3),
                        throughput ? (row.ratio.median >= 1 ? "closenotify faster" : "OpenSSL faster")
                                   : (row.ratio.median <= 1 ? "closenotify faster" : "OpenSSL faster")});
    }
    t.print(out);
    out << "   16 KiB: SSL_write + SSL_read vs endpoint write + read, ratio of throughput; close_notify: SSL_shutdown vs "
           "endpoint shutdown (seal + write), SSL_read returning 0 vs endpoint read (read + open), ratio of time\n\n";
  }

  out << "4. one bidirectional shutdown over an AF_UNIX socketpair (A shutdown, B read, B shutdown, A shutdown): "
         "read and write syscalls.  Target: 2 writes + 2 reads in total\n";
  {
    table t;
    t.rows.push_back({"implementation", "read-ahead", "A writes", "A reads", "B writes", "B reads", "total",
                      "strace -c, per exchange", "suites", "target"});
    for (const auto& row : r.syscalls) {
      auto u = uniform(row);
      const syscall_count c = u ? *u : row.per_suite.begin()->second;
      std::string strace = "not run";
      if (row.strace) {
        strace = row.strace->available
                     ? num(row.strace->writes, 1) + " writes + " + num(row.strace->reads, 1) + " reads"
                     : "unavailable";
      }
      t.rows.push_back({row.implementation, row.read_ahead ? "on" : "off (default)", std::to_string(c.a_writes),
                        std::to_string(c.a_reads), std::to_string(c.b_writes), std::to_string(c.b_reads),
                        counts_text(c.writes(), c.reads()), strace,
                        u ? "same in all " + std::to_string(row.per_suite.size()) : "DIFFER (see JSON)",
                        row.implementation == "closenotify" ? met(c.writes() == 2 && c.reads() == 2) : "-"});
    }
    t.print(out);
    bool unavailable = false, available = false;
    for (const auto& row : r.syscalls) {
      if (row.strace && !row.strace->available && !unavailable) {
        out << "   strace cross-check unavailable: " << row.strace->note << "\n";
        unavailable = true;
      }
      available = available || (row.strace && row.strace->available);
    }
    if (available) {
      out << "   strace -c: `strace -f -c -e trace=read,write,recvfrom,sendto` on `closenotify-bench --internal-syscalls` "
             "and `closenotify-peer --bench-syscalls`, "
          << r.suites.front() << ", 16 exchanges minus none, over 16\n";
    }
    out << "   counted: closenotify's fd_transport (read(2), send(2)); OpenSSL's socket BIOs (read(2), write(2)) "
           "through a BIO callback in the peer\n";
    out << "\n";
  }

  out << "5. heap: allocations (target: 0 per record) and memory one connection keeps\n";
  {
    table t;
    t.rows.push_back({"suite", "allocs/record: cn record layer", "cn endpoint", "OpenSSL", "allocs/shutdown: cn",
                      "OpenSSL", "bytes/connection: cn", "OpenSSL client", "OpenSSL server", "target"});
    for (const auto& h : r.heaps) {
      const openssl_heap* o = nullptr;
      for (const auto& x : r.openssl_heaps) {
        if (x.suite == h.suite) o = &x;
      }
      auto os = [&](const stat& s, int d) { return o != nullptr && o->counting ? num(s.median, d) : "n/a"; };
      t.rows.push_back({h.suite, num(h.record_layer_allocations.median, 2), num(h.endpoint_allocations.median, 2),
                        o != nullptr ? os(o->allocations_per_record, 2) : "n/a",
                        num(h.shutdown_exchange_allocations.median, 0),
                        o != nullptr ? os(o->shutdown_exchange_allocations, 0) : "n/a",
                        num(h.connection_heap_bytes.median, 0), o != nullptr ? os(o->client_bytes, 0) : "n/a",
                        o != nullptr ? os(o->server_bytes, 0) : "n/a",
                        met(h.record_layer_allocations.max == 0 && h.endpoint_allocations.max == 0)});
    }
    t.print(out);
    if (!r.heaps.empty()) {
      const auto& h = r.heaps.front();
      out << "   sizeof(endpoint) = " << h.sizeof_endpoint << " bytes, holding both record buffers ("
          << h.record_buffer << " bytes each: record_reader " << h.sizeof_record_reader
          << ", out_ " << h.record_buffer << "); sizeof(record_protection) = " << h.sizeof_record_protection
          << " (pimpl) + " << num(h.protection_heap_bytes.median, 0)
          << " heap bytes each; bytes/connection = the endpoint and both record_protections, as malloc_usable_size\n";
      out << "   OpenSSL: bytes an SSL_free releases after the handshake and one 16 KiB record each way "
             "(session cache off), as malloc_usable_size; counts from "
          << (h.counting ? "an interposed malloc (closenotify) and " : "") << "CRYPTO_set_mem_functions (OpenSSL)\n";
    }
    out << "\n";
  }

  out << "6. the differential matrix\n";
  if (r.diff) {
    table t;
    t.rows.push_back({"command", "runs", "wall s", "cases", "run (not skipped)", "cases run/s", "exit"});
    for (const auto* d : {&*r.diff, r.diff_exec ? &*r.diff_exec : nullptr}) {
      if (d == nullptr) continue;
      std::string exits;
      for (int e : d->exit_statuses) exits += (exits.empty() ? "" : ",") + std::to_string(e);
      t.rows.push_back({d->command, std::to_string(d->runs), cell(d->wall_seconds, 1), std::to_string(d->cases),
                        std::to_string(d->cases_run), cell(d->cases_per_second, 1), exits});
    }
    t.print(out);
    if (r.diff_exec && r.diff_exec->cases_per_second.median > 0) {
      out << "   pooled peers: " << num(r.diff->cases_per_second.median / r.diff_exec->cases_per_second.median, 2)
          << "x the cases/s of a new peer process per peer (--exec-peers), medians; target at least 5x\n";
    }
    out << "\n";
  } else {
    out << "   not run (--diff-runs 0)\n\n";
  }

  out << "targets\n";
  {
    auto list = [](const std::vector<timing_row>& rows, const std::string& what) {
      std::vector<const timing_row*> v;
      for (const auto& row : rows) {
        if (what.empty() || row.what.rfind(what, 0) == 0) v.push_back(&row);
      }
      return v;
    };
    auto line = [&](const std::string& label, const std::vector<const timing_row*>& rows, bool at_least, double target) {
      std::size_t ok = 0;
      std::string values;
      for (const auto* row : rows) {
        const bool good = at_least ? row->ratio.median >= target : row->ratio.median <= target;
        ok += good;
        values += (values.empty() ? "" : ", ") + num(row->ratio.median, 3);
      }
      out << "   " << label << ": met for " << ok << " of " << rows.size() << " suites (" << values << ")\n";
    };
    line("1  16 KiB seal + open >= 0.95x raw throughput", list(r.app_vs_raw, ""), true, 0.95);
    line("2  close_notify seal <= 1.3x raw time", list(r.close_vs_raw, "close_notify seal"), false, 1.3);
    line("2  close_notify open <= 1.3x raw time", list(r.close_vs_raw, "close_notify open"), false, 1.3);
    auto ratios_of = [&](const std::string& what) {
      std::string values;
      for (const auto* row : list(r.vs_openssl, what)) values += (values.empty() ? "" : ", ") + num(row->ratio.median, 3);
      return values;
    };
    // The close_notify rows time whole calls on both sides (shutdown() that seals and
    // writes it; read() that reads, opens and returns 0), not the record layer alone.
    out << "   3  closenotify/OpenSSL (no target): 16 KiB throughput " << ratios_of("16 KiB")
        << "; shutdown() sending close_notify " << ratios_of("close_notify seal")
        << "; read() returning 0 on it " << ratios_of("close_notify open") << "\n";
    for (bool ra : {false, true}) {
      const auto* cn = find_row(r, "closenotify", ra);
      const auto* os = find_row(r, "OpenSSL 3.0", ra);
      if (cn == nullptr || os == nullptr) continue;
      const auto c = cn->per_suite.begin()->second;
      const auto o = os->per_suite.begin()->second;
      out << "   4  read-ahead " << (ra ? "on: " : "off: ") << "closenotify " << counts_text(c.writes(), c.reads())
          << " (" << met(c.writes() == 2 && c.reads() == 2) << "), OpenSSL " << counts_text(o.writes(), o.reads())
          << "\n";
    }
    std::size_t zero = 0;
    for (const auto& h : r.heaps) zero += h.record_layer_allocations.max == 0 && h.endpoint_allocations.max == 0;
    out << "   5  0 allocations per record: met for " << zero << " of " << r.heaps.size() << " suites\n";
  }
}

// ---- JSON ----------------------------------------------------------------------------

namespace {

// jnum: a measured figure; null when there is none (NaN, an infinite ratio). A whole
// number (a count, a byte size) is written as an integer, as it always was.
tools::json jnum(double v) {
  if (!std::isfinite(v)) return nullptr;
  if (v == std::floor(v) && std::fabs(v) < 9007199254740992.0) return static_cast<std::int64_t>(v);
  return v;
}

tools::json jstat(const stat& s) {
  return {{"median", jnum(s.median)}, {"min", jnum(s.min)}, {"max", jnum(s.max)}, {"n", s.n}};
}

tools::json jtiming(const timing_row& row, const std::string& baseline_name) {
  tools::json j = {{"suite", row.suite},
                   {"what", row.what},
                   {"unit", row.unit},
                   {"closenotify", jstat(row.closenotify)},
                   {baseline_name, jstat(row.baseline)},
                   {"ratio", jstat(row.ratio)}};
  for (const auto& [name, st] : row.detail) j[name] = jstat(st);
  return j;
}

tools::json jcount(const syscall_count& c) {
  return {{"a_writes", c.a_writes}, {"a_reads", c.a_reads}, {"b_writes", c.b_writes},
          {"b_reads", c.b_reads},   {"writes", c.writes()},   {"reads", c.reads()}};
}

template <class T, class F>
tools::json jlist(const std::vector<T>& v, F f) {
  tools::json out = tools::json::array();
  for (const auto& x : v) out.push_back(f(x));
  return out;
}

tools::json jdiff(const std::optional<diff_result>& r6) {
  if (!r6) return nullptr;
  const auto& d = *r6;
  return {{"command", d.command},
          {"runs", d.runs},
          {"wall_seconds", jstat(d.wall_seconds)},
          {"cases", d.cases},
          {"cases_run", d.cases_run},
          {"cases_per_second", jstat(d.cases_per_second)},
          {"exit_statuses", d.exit_statuses}};
}

}  // namespace

void write_json(std::ostream& out, const results& r) {
  const auto& m = r.machine;
  tools::json doc;
  doc["machine"] = {{"date", m.date},
                    {"cpu", m.cpu},
                    {"cores", m.cores},
                    {"load_average_start", jnum(m.load_before)},
                    {"load_average_before_diff", jnum(m.load_before_diff)},
                    {"load_average_end", jnum(m.load_after)},
                    {"compiler", m.compiler},
                    {"build_type", m.build_type},
                    {"boringssl", m.boringssl},
                    {"openssl", m.openssl}};
  doc["command"] = r.command;
  doc["samples"] = r.samples;
  doc["quick"] = r.quick;
  doc["suites"] = r.suites;
  doc["app_data_vs_raw"] = jlist(r.app_vs_raw, [](const timing_row& row) {
    tools::json j = jtiming(row, "raw");
    j["target"] = ">= 0.95";
    j["met"] = row.ratio.median >= 0.95;
    return j;
  });
  doc["raw_aead_opens_closenotify_record"] = r.raw_checks;
  doc["close_notify_vs_raw"] = jlist(r.close_vs_raw, [](const timing_row& row) {
    tools::json j = jtiming(row, "raw");
    j["target"] = "<= 1.3";
    j["met"] = row.ratio.median <= 1.3;
    return j;
  });
  doc["vs_openssl"] = jlist(r.vs_openssl, [](const timing_row& row) { return jtiming(row, "openssl"); });
  doc["shutdown_syscalls"] = jlist(r.syscalls, [](const syscall_row& row) {
    tools::json per = tools::json::object();
    for (const auto& [suite, c] : row.per_suite) per[suite] = jcount(c);
    const syscall_count first = row.per_suite.empty() ? syscall_count{} : row.per_suite.begin()->second;
    tools::json strace = nullptr;
    if (row.strace) {
      strace = {{"available", row.strace->available}, {"note", row.strace->note}};
      if (row.strace->available) {
        strace["writes"] = jnum(row.strace->writes);
        strace["reads"] = jnum(row.strace->reads);
      } else {
        strace["apt_package"] = "strace";
      }
    }
    return tools::json{{"implementation", row.implementation},
                       {"read_ahead", row.read_ahead},
                       {"writes", first.writes()},
                       {"reads", first.reads()},
                       {"target", {{"writes", 2}, {"reads", 2}}},
                       {"met", first.writes() == 2 && first.reads() == 2},
                       {"per_suite", std::move(per)},
                       {"strace", std::move(strace)}};
  });
  doc["heap"] = {
      {"closenotify", jlist(r.heaps,
                            [](const closenotify_heap& h) {
                              return tools::json{
                                  {"suite", h.suite},
                                  {"counting", h.counting},
                                  {"sizeof_endpoint", h.sizeof_endpoint},
                                  {"sizeof_record_reader", h.sizeof_record_reader},
                                  {"record_buffer_bytes", h.record_buffer},
                                  {"sizeof_record_protection", h.sizeof_record_protection},
                                  {"record_protection_heap_bytes", jstat(h.protection_heap_bytes)},
                                  {"connection_bytes", jstat(h.connection_heap_bytes)},
                                  {"allocations_per_record_record_layer", jstat(h.record_layer_allocations)},
                                  {"allocations_per_record_endpoint", jstat(h.endpoint_allocations)},
                                  {"allocations_shutdown_exchange", jstat(h.shutdown_exchange_allocations)},
                                  {"target_allocations_per_record", 0},
                                  {"met", h.record_layer_allocations.max == 0 && h.endpoint_allocations.max == 0}};
                            })},
      {"openssl", jlist(r.openssl_heaps, [](const openssl_heap& h) {
         return tools::json{{"suite", h.suite},
                            {"counting", h.counting},
                            {"client_bytes", jstat(h.client_bytes)},
                            {"server_bytes", jstat(h.server_bytes)},
                            {"allocations_per_record", jstat(h.allocations_per_record)},
                            {"allocations_shutdown_exchange", jstat(h.shutdown_exchange_allocations)}};
       })}};
  doc["diff"] = jdiff(r.diff);
  doc["diff_exec_peers"] = jdiff(r.diff_exec);
  out << tools::json_text(doc, 2) << "\n";
}

}  // namespace closenotify::bench

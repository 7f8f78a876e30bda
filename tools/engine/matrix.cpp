// matrix.cpp — building and running the differential matrix.
#include "matrix.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "closenotify/cipher_suite.hpp"
#include "openssl_versions.hpp"

namespace closenotify::diff {

std::vector<case_def> build_matrix(const std::vector<scenario>& scenarios) {
  // The stream suites (three TLS 1.3, three TLS 1.2), then the three DTLS 1.2 suites.
  std::vector<const cipher_suite*> suites(matrix_cipher_suites().begin(), matrix_cipher_suites().end());
  for (const cipher_suite& s : dtls12_cipher_suites()) suites.push_back(&s);
  std::vector<case_def> out;
  for (const auto& s : scenarios) {
    for (const cipher_suite* suite : suites) {
      for (bool a_is_client : {true, false}) {
        for (bool blocking : {true, false}) {
          case_def d;
          d.s = &s;
          d.c = make_cell(*suite, a_is_client, blocking);
          d.id = s.name + "/" + suite_label(d.c) + "/" +
                 (a_is_client ? "client" : "server") + "/" + (blocking ? "blocking" : "nonblocking");
          out.push_back(std::move(d));
        }
      }
    }
  }
  return out;
}

std::optional<std::string> case_skip_reason(const case_def& c, const run_config& config) {
  if (auto why = skip_reason(*c.s, c.c)) return why;
  return version_skip_reason(*c.s, config.peer_profile);
}

case_result run_one(const case_def& c, const run_config& config, const std::set<std::string>& documented) {
  case_result r;
  r.def = c;
  const auto start = std::chrono::steady_clock::now();
  if (auto why = case_skip_reason(c, config)) {
    r.cmp.result = verdict::skipped;
    r.cmp.note = *why;
    return r;
  }
  r.reference = run_case(*c.s, c.c, false, config);
  r.candidate = run_case(*c.s, c.c, true, config);
  r.cmp = compare(*c.s, r.reference, r.candidate, documented, &c.c);
  if (!config.keep_transcripts) {
    for (auto* run : {&r.reference, &r.candidate}) {
      run->wire_a = {};
      run->wire_b = {};
      run->transcript = {};
      run->stream = {};
      run->keylog = {};
      for (auto& o : run->steps) o.records = {};
    }
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

void run_parallel(std::size_t n, unsigned jobs, const std::function<void(std::size_t)>& work,
                  const std::function<void(std::size_t i, std::size_t done)>& done) {
  std::atomic<std::size_t> next{0};
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::size_t> finished;  // indices, in completion order, for `done`
  auto worker = [&] {
    for (;;) {
      const std::size_t i = next.fetch_add(1);
      if (i >= n) return;
      work(i);
      {
        std::lock_guard lock(mu);
        finished.push_back(i);
      }
      cv.notify_one();
    }
  };
  std::vector<std::thread> pool;
  for (unsigned j = 0; j < std::max(1u, jobs); ++j) pool.emplace_back(worker);
  std::size_t reported = 0;
  while (reported < n) {
    std::vector<std::size_t> batch;
    {
      std::unique_lock lock(mu);
      cv.wait(lock, [&] { return finished.size() > reported; });
      batch.assign(finished.begin() + static_cast<std::ptrdiff_t>(reported), finished.end());
    }
    for (auto i : batch) {
      ++reported;
      if (done) done(i, reported);
    }
  }
  for (auto& t : pool) t.join();
}

bool failed(const case_result& r) {
  return r.cmp.result == verdict::diverge_undocumented || r.cmp.result == verdict::error;
}

std::vector<case_result> run_cases(const std::vector<case_def>& cases, const run_config& config,
                                   const std::set<std::string>& documented, unsigned jobs,
                                   const std::function<void(const case_result&, std::size_t done)>& progress,
                                   bool fail_fast) {
  std::vector<case_result> results(cases.size());
  std::atomic<bool> stop{false};
  run_parallel(
      cases.size(), jobs,
      [&](std::size_t i) {
        if (stop.load()) {
          results[i].def = cases[i];
          results[i].cmp.result = verdict::skipped;
          results[i].cmp.note = not_run_note;
          return;
        }
        results[i] = run_one(cases[i], config, documented);
        if (fail_fast && failed(results[i])) stop.store(true);
      },
      [&](std::size_t i, std::size_t done) {
        if (progress) progress(results[i], done);
      });
  return results;
}

namespace {

std::string step_label(const case_result& r, const difference& d) {
  if (d.step == std::string::npos) return std::string(1, side_letter(d.side)) + " records on the wire";
  const auto& st = r.def.s->steps[d.step];
  return "step " + std::to_string(d.step + 1) + " (" + side_letter(st.side) + " " + st.command + ") " + d.field;
}

}  // namespace

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

run_config config_for(const live_openssl& v, std::optional<profile_id> asked, run_config base) {
  base.peer_path = v.peer_path;
  base.peer_profile = v.series->profile;
  base.profile = asked.value_or(v.series->profile);
  return base;
}

}  // namespace closenotify::diff

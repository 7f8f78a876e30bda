// bench.hpp — closenotify-bench: the pieces of `closenotify bench` and what they share
// (docs/performance.md). This executable links closenotify and BoringSSL, never OpenSSL;
// OpenSSL's figures come from `closenotify-peer --bench`, a separate process.
//   record_bench.cpp    figures 1 and 2: the record layer against raw EVP_AEAD calls
//   endpoint_bench.cpp  closenotify's side of figures 3, 4 and 5 (endpoints on memory and
//                       on a socketpair; heap counts)
//   process.cpp         child processes: the OpenSSL peer, strace, `closenotify diff`
//   report.cpp          statistics, the table and the JSON
//   main.cpp            options and the order of the run
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <ostream>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "closenotify/cipher_suite.hpp"
#include "closenotify/endpoint.hpp"
#include "closenotify/key_schedule.hpp"
#include "closenotify/record_protection.hpp"
#include "error.hpp"

namespace closenotify::bench {

/// failed: a measurement that could not be made (a wrong return value, a dead peer):
/// exit status 1, as `closenotify bench --help` says. Every figure returns it, as a
/// tools::result or an std::optional<tools::error>, up to bench_main, which prints it.
inline tools::error failed(std::string message) { return tools::error{tools::exit_rejected, std::move(message)}; }

inline constexpr std::size_t record_payload = 16384;

// ---- statistics ----------------------------------------------------------------------

/// stat: median of the samples, with min and max as the spread.
struct stat {
  double median = 0;
  double min = 0;
  double max = 0;
  std::size_t n = 0;
};
stat summarize(std::vector<double> samples);

/// interleave: `samples` rounds of a() and b(), alternating which goes first, so that
/// load that comes and goes falls on both; returns both series (the values the callables
/// return, e.g. ns per operation), or the first error either returned.
struct pair_series {
  std::vector<double> a, b;
};
tools::result<pair_series> interleave(std::size_t samples, const std::function<tools::result<double>()>& a,
                                      const std::function<tools::result<double>()>& b);

/// ratios: a[i] / b[i] for each sample (or b[i] / a[i] with `inverse`).
std::vector<double> ratios(const pair_series& s, bool inverse = false);

std::uint64_t now_ns() noexcept;

// ---- keys ----------------------------------------------------------------------------

/// suite_keys: fixed secrets for one suite, and from them each direction's record
/// protection and the same traffic keys for the raw AEAD baseline.
struct suite_keys {
  const cipher_suite* suite;
  record_protection protection(role sender) const;
  traffic_keys raw_keys(role sender) const;
};

// ---- the figures' results ------------------------------------------------------------

struct timing_row {  // one closenotify figure against one baseline
  std::string suite;
  std::string what;
  stat closenotify;  // MB/s or ns, as `unit` says
  stat baseline;
  stat ratio;  // closenotify / baseline, of `unit`
  std::string unit;
  // Breakdowns that explain the figure (figure 1: seal and open apart; figure 2: the raw
  // AEAD called the way closenotify calls it), by name, for the JSON and the notes.
  std::vector<std::pair<std::string, stat>> detail = {};
  const stat* find(const std::string& name) const {
    for (const auto& [n, s] : detail) {
      if (n == name) return &s;
    }
    return nullptr;
  }
};

struct syscall_count {
  std::size_t a_reads = 0, a_writes = 0, b_reads = 0, b_writes = 0;
  std::size_t reads() const { return a_reads + b_reads; }
  std::size_t writes() const { return a_writes + b_writes; }
  friend bool operator==(const syscall_count&, const syscall_count&) = default;
};

struct strace_check {  // one strace -c cross-check: per exchange, from K exchanges minus none
  bool available = false;
  std::string note;  // why not, or what was run
  double reads = 0, writes = 0;
};

struct syscall_row {
  std::string implementation;  // "closenotify" or "OpenSSL 3.0"
  bool read_ahead = false;
  std::map<std::string, syscall_count> per_suite;
  std::optional<strace_check> strace;
};

struct closenotify_heap {
  std::string suite;
  std::size_t sizeof_endpoint = 0, sizeof_record_reader = 0, record_buffer = 0, sizeof_record_protection = 0;
  stat protection_heap_bytes;        // one record_protection's heap (its AEAD context, secret)
  stat connection_heap_bytes;        // one endpoint with its two record_protections, all on the heap
  stat record_layer_allocations;     // per 16 KiB seal + open
  stat endpoint_allocations;         // per 16 KiB write + read
  stat shutdown_exchange_allocations;
  bool counting = false;
};

struct openssl_heap {
  std::string suite;
  bool counting = false;
  stat client_bytes, server_bytes, allocations_per_record, shutdown_exchange_allocations;
};

struct diff_result {
  std::string command;
  std::size_t runs = 0;
  stat wall_seconds, cases_per_second;
  std::size_t cases = 0, cases_run = 0;
  std::vector<int> exit_statuses;
};

struct machine_info {
  std::string cpu, compiler, build_type, openssl, boringssl;
  unsigned cores = 0;
  double load_before = 0, load_before_diff = 0, load_after = 0;  // 1-minute load averages
  std::string date;
};

struct results {
  machine_info machine;
  std::vector<std::string> suites;
  std::size_t samples = 0;
  bool quick = false;
  std::string command;
  std::vector<timing_row> app_vs_raw;        // figure 1
  std::vector<timing_row> close_vs_raw;      // figure 2 (what: seal / open)
  std::vector<std::string> raw_checks;       // figure 1/2: suites whose raw AEAD opened closenotify's record
  std::vector<timing_row> vs_openssl;        // figure 3
  std::vector<syscall_row> syscalls;         // figure 4
  std::vector<closenotify_heap> heaps;       // figure 5
  std::vector<openssl_heap> openssl_heaps;   // figure 5
  std::optional<diff_result> diff;           // figure 6, pooled peers (the default)
  std::optional<diff_result> diff_exec;      // figure 6, --exec-peers (a process per peer)
};

// ---- output (report.cpp) -------------------------------------------------------------

void print_table(std::ostream& out, const results& r);
void write_json(std::ostream& out, const results& r);

// ---- figures 1 and 2 (record_bench.cpp) ----------------------------------------------

struct record_sizes {
  std::size_t app_batch, close_batch;
};
/// record_figures: figures 1 and 2 for one suite; also checks once that the raw AEAD
/// opens a record closenotify sealed (same keys and nonces), else fails.
std::optional<tools::error> record_figures(const cipher_suite& s, std::size_t samples, record_sizes sizes, results& out);

// ---- closenotify's side of figures 3, 4 and 5 (endpoint_bench.cpp) -------------------

/// endpoint_bench: two closenotify endpoints of one suite over an in-memory transport.
class endpoint_bench {
 public:
  /// make: the pair, warmed up with a few records.
  static tools::result<endpoint_bench> make(const cipher_suite& s);
  endpoint_bench(endpoint_bench&&) noexcept;
  endpoint_bench& operator=(endpoint_bench&&) noexcept;
  ~endpoint_bench();
  /// app: `n` x (client write of 16 KiB, server read of it); ns for all of them.
  tools::result<double> app(std::size_t n);
  /// close: `n` fresh endpoint pairs (made untimed), then n client shutdown() timed, then
  /// n server read() of the close_notify timed: {shutdown ns, read ns} for all n.
  tools::result<std::pair<double, double>> close(std::size_t n);

 private:
  struct state;
  explicit endpoint_bench(const cipher_suite& s);
  std::unique_ptr<state> s_;
};

/// shutdown_syscalls: one bidirectional shutdown between two closenotify endpoints on a
/// nonblocking AF_UNIX socketpair, counted by the fd_transport.
tools::result<syscall_count> shutdown_syscalls(const cipher_suite& s, bool read_ahead);
/// internal_syscalls: `closenotify-bench --internal-syscalls`, the program strace runs.
int internal_syscalls(const std::vector<std::string>& args);

/// heap_figures: closenotify's part of figure 5.
tools::result<closenotify_heap> heap_figures(const cipher_suite& s, std::size_t samples);

}  // namespace closenotify::bench

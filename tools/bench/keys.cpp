// keys.cpp — closenotify-bench's keys: the fixed secrets the fuzz targets use
// (testkit/fixed_keys.hpp), and what they give each side.
#include "bench.hpp"
#include "fixed_keys.hpp"

namespace closenotify::bench {

record_protection suite_keys::protection(role sender) const { return fuzz::protection_for(*suite, sender); }

traffic_keys suite_keys::raw_keys(role sender) const { return fuzz::fixed_traffic_keys(*suite, sender); }

}  // namespace closenotify::bench

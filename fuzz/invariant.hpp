// invariant.hpp — how a fuzz target reports a broken invariant: one line naming the target
// and the invariant, then abort(), which libFuzzer records as a crash with its input.
// A target defines `constexpr const char* kTarget = "fuzz_<name>";` before using CHECK.
#pragma once

#include <cstdio>
#include <cstdlib>

namespace closenotify::fuzz {

[[noreturn]] inline void invariant_violated(const char* target, const char* what) noexcept {
  std::fprintf(stderr, "%s: invariant violated: %s\n", target, what);
  std::abort();
}

}  // namespace closenotify::fuzz

#define CHECK(cond, what)                                                   \
  do {                                                                      \
    if (!(cond)) ::closenotify::fuzz::invariant_violated(kTarget, (what)); \
  } while (0)

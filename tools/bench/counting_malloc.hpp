// counting_malloc.hpp — the heap counters of closenotify-bench (figure 5).
//
// counting_malloc.cpp defines malloc, calloc, realloc, free, memalign, posix_memalign and
// aligned_alloc in the closenotify-bench executable, forwarding to glibc's __libc_*
// functions. An executable's definitions come first in the dynamic linker's search order,
// so every allocation of the process is counted: operator new (libstdc++ calls malloc),
// libclosenotify and BoringSSL's OPENSSL_malloc alike. Only this executable has it: the
// closenotify CLI and the library are untouched (docs/performance.md says why). Under
// AddressSanitizer, which owns malloc, the sanitizer's allocation hooks count instead.
#pragma once

#include <cstdint>

namespace closenotify::bench {

struct heap_counters {
  std::uint64_t allocations = 0;  // malloc, calloc, realloc, memalign-family calls that returned memory
  std::int64_t live_bytes = 0;    // malloc_usable_size of what is allocated and not freed
};

/// heap_now: the counters at this moment (relaxed atomics: exact in a single thread).
heap_counters heap_now() noexcept;

/// heap_counting: whether the interposed allocator is the one in use (a malloc made here
/// was counted). False would mean the linker bound malloc elsewhere.
bool heap_counting() noexcept;

}  // namespace closenotify::bench

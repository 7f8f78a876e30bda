// counting_malloc.cpp — malloc and friends, counted, in front of glibc's allocator
// (counting_malloc.hpp). Each function forwards to the glibc entry point of the same
// allocator (__libc_malloc and friends, exported by glibc for exactly this purpose), so
// memory is never mixed between two allocators, and adds to two relaxed atomics.
#include "counting_malloc.hpp"

#include <malloc.h>

#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <new>

// Under AddressSanitizer (the CI's second build) the sanitizer owns malloc: defining our
// own would split allocations between two allocators. There the counts come from the
// sanitizer's allocation hooks instead, with sizes as requested.
#if defined(__SANITIZE_ADDRESS__)
#define CLOSENOTIFY_BENCH_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CLOSENOTIFY_BENCH_ASAN 1
#endif
#endif

namespace {

std::atomic<std::uint64_t> g_allocations{0};
std::atomic<std::int64_t> g_live{0};

}  // namespace

#if defined(CLOSENOTIFY_BENCH_ASAN)

// From <sanitizer/allocator_interface.h>, declared here because GCC's packages do not
// always install the sanitizer headers (the runtimes define these in both GCC and clang).
extern "C" {
int __sanitizer_install_malloc_and_free_hooks(void (*malloc_hook)(const volatile void*, std::size_t),
                                              void (*free_hook)(const volatile void*));
std::size_t __sanitizer_get_allocated_size(const volatile void* p);
}

namespace {

void on_malloc(const volatile void* /*p*/, std::size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  g_live.fetch_add(static_cast<std::int64_t>(n), std::memory_order_relaxed);
}

void on_free(const volatile void* p) {
  if (p == nullptr) return;
  const auto n = __sanitizer_get_allocated_size(p);
  g_live.fetch_sub(static_cast<std::int64_t>(n), std::memory_order_relaxed);
}

const int g_hooks_installed = __sanitizer_install_malloc_and_free_hooks(on_malloc, on_free);

}  // namespace

#else

extern "C" {
void* __libc_malloc(std::size_t);
void* __libc_calloc(std::size_t, std::size_t);
void* __libc_realloc(void*, std::size_t);
void __libc_free(void*);
void* __libc_memalign(std::size_t, std::size_t);
}

namespace {

inline void counted(void* p) noexcept {
  if (p == nullptr) return;
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  g_live.fetch_add(static_cast<std::int64_t>(malloc_usable_size(p)), std::memory_order_relaxed);
}

inline void uncounted(void* p) noexcept {
  if (p == nullptr) return;
  g_live.fetch_sub(static_cast<std::int64_t>(malloc_usable_size(p)), std::memory_order_relaxed);
}

}  // namespace

extern "C" {

void* malloc(std::size_t n) {
  void* p = __libc_malloc(n);
  counted(p);
  return p;
}

void* calloc(std::size_t n, std::size_t size) {
  void* p = __libc_calloc(n, size);
  counted(p);
  return p;
}

void* realloc(void* p, std::size_t n) {
  uncounted(p);
  void* q = __libc_realloc(p, n);
  if (q != nullptr) {
    counted(q);
  } else if (p != nullptr && n != 0) {
    // Failed: p is still allocated.
    g_live.fetch_add(static_cast<std::int64_t>(malloc_usable_size(p)), std::memory_order_relaxed);
  }
  return q;
}

void free(void* p) {
  uncounted(p);
  __libc_free(p);
}

void* memalign(std::size_t alignment, std::size_t n) {
  void* p = __libc_memalign(alignment, n);
  counted(p);
  return p;
}

void* aligned_alloc(std::size_t alignment, std::size_t n) { return memalign(alignment, n); }

int posix_memalign(void** out, std::size_t alignment, std::size_t n) {
  if (alignment % sizeof(void*) != 0 || (alignment & (alignment - 1)) != 0) return EINVAL;
  void* p = memalign(alignment, n);
  if (p == nullptr) return ENOMEM;
  *out = p;
  return 0;
}

}  // extern "C"

#endif  // CLOSENOTIFY_BENCH_ASAN

namespace closenotify::bench {

heap_counters heap_now() noexcept {
  return {g_allocations.load(std::memory_order_relaxed), g_live.load(std::memory_order_relaxed)};
}

bool heap_counting() noexcept {
  // ::operator new is called from here but defined in libstdc++, which calls malloc
  // through the dynamic linker: counted only if the interposition (or the hook) works.
  const auto before = g_allocations.load(std::memory_order_relaxed);
  void* p = ::operator new(24);
  const bool seen = g_allocations.load(std::memory_order_relaxed) != before;
  ::operator delete(p);
  return seen;
}

}  // namespace closenotify::bench

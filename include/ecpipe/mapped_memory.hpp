// Maps the pages of a large buffer in one call instead of one page fault per 4 kB: fresh heap in the core, and
// shared_buffers in the glue (src/pg/shared_buffers.cpp).
#pragma once
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <vector>

namespace ecpipe {

// A large allocation is fresh memory from the kernel, and its first touch takes a page fault per 4 kB page: about
// 10 µs each on this VM, or 0.25 s for the 100 MB a 1M-event batch's tables and rows go through (they grow by
// doubling, and each step starts afresh). madvise(MADV_POPULATE_WRITE) maps the same pages at once for a few
// percent of that. Below 256 kB, or on kernels before 5.14, it is left to the faults.
inline void map_pages(const void* data, size_t bytes) {
#ifdef MADV_POPULATE_WRITE
  if (bytes < (256u << 10)) return;
  const uintptr_t page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  const uintptr_t begin = (reinterpret_cast<uintptr_t>(data) + page - 1) & ~(page - 1);
  const uintptr_t end = (reinterpret_cast<uintptr_t>(data) + bytes) & ~(page - 1);
  if (end > begin) (void)madvise(reinterpret_cast<void*>(begin), end - begin, MADV_POPULATE_WRITE);
#else
  (void)data;
  (void)bytes;
#endif
}

namespace detail {

// v.reserve(n), with the new room mapped.
template <typename T>
void reserve_mapped(std::vector<T>& v, size_t n) {
  if (n <= v.capacity()) return;
  v.reserve(n);
  map_pages(v.data() + v.size(), (v.capacity() - v.size()) * sizeof(T));
}

// A vector of n value-initialised elements, its pages mapped before they are written.
template <typename T>
std::vector<T> mapped_vector(size_t n) {
  std::vector<T> v;
  reserve_mapped(v, n);
  v.resize(n);
  return v;
}

}  // namespace detail
}  // namespace ecpipe

// Maps the pages of a large buffer in one call instead of one page fault per 4 kB: fresh heap in the core, and
// shared_buffers in the glue (src/pg/shared_buffers.cpp).
#pragma once
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <vector>

namespace ecpipe {

// A large allocation is fresh memory from the kernel, and its first touch takes a page fault per 4 kB page: 10-17 µs
// each on a VM, 0.45 s for 100 MB. madvise(MADV_POPULATE_WRITE) maps the same pages in one call: 0.26 s for fresh
// memory (the kernel still zeroes it), 0.14 s for the 2 GB of shared_buffers that other processes have touched.
// Below 256 kB, or on kernels before 5.14, it is left to the faults.
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

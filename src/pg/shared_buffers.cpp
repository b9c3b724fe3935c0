// Maps the shared buffers other processes have touched into this backend in one call, before a step that will touch
// much of the pool.
#include "shared_buffers.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdlib>
#include <vector>

#include "pg_includes.hpp"

#include "ecpipe/mapped_memory.hpp"

extern "C" {
#include "storage/bufmgr.h"
}

namespace ecpipe::pg {

void map_shared_buffers(uint64_t bytes) {
  static bool mapped = false;
  const uint64_t pool = static_cast<uint64_t>(NBuffers) * BLCKSZ;
  if (mapped || bytes < pool / 100) return;
  mapped = true;
  const uintptr_t page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  const uintptr_t begin = (reinterpret_cast<uintptr_t>(BufferBlocks) + page - 1) & ~(page - 1);
  const uintptr_t end = (reinterpret_cast<uintptr_t>(BufferBlocks) + pool) & ~(page - 1);
  if (end <= begin) return;
  const size_t pages = (end - begin) / page;
  std::vector<unsigned char> resident(pages);
  if (mincore(reinterpret_cast<void*>(begin), end - begin, resident.data()) != 0) return;
  for (size_t i = 0; i < pages;) {
    if (!(resident[i] & 1)) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < pages && (resident[j] & 1)) ++j;
    map_pages(reinterpret_cast<void*>(begin + i * page), (j - i) * page);
    i = j;
  }
}

}  // namespace ecpipe::pg

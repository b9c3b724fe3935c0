// Maps shared_buffers into this backend in one call, before a step that will touch much of it.
#include "shared_buffers.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include "pg_includes.hpp"

extern "C" {
#include "storage/bufmgr.h"
}

namespace ecpipe::pg {

void map_shared_buffers(uint64_t bytes) {
  static bool mapped = false;
  const uint64_t pool = static_cast<uint64_t>(NBuffers) * BLCKSZ;
  if (mapped || bytes < pool / 100) return;
  mapped = true;
#ifdef MADV_POPULATE_WRITE
  const uintptr_t page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  const uintptr_t begin = (reinterpret_cast<uintptr_t>(BufferBlocks) + page - 1) & ~(page - 1);
  const uintptr_t end = (reinterpret_cast<uintptr_t>(BufferBlocks) + pool) & ~(page - 1);
  if (end > begin) (void)madvise(reinterpret_cast<void*>(begin), end - begin, MADV_POPULATE_WRITE);
#endif
}

}  // namespace ecpipe::pg

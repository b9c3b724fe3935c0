// Maps shared_buffers into this backend in one call, before a step that will touch much of it.
#include "shared_buffers.hpp"

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
  map_pages(BufferBlocks, pool);
}

}  // namespace ecpipe::pg

// Maps the shared buffers other processes have touched into this backend in one call, before a step that will touch
// much of the pool.
#pragma once
#include <cstdint>

namespace ecpipe::pg {

// A backend maps each 4 kB of shared memory on first touch, one page fault at a time: on a VM about 10 µs each,
// about 1.2 s for the 450 MB of a 1M-event batch. One madvise(MADV_POPULATE_WRITE) maps those pages for ~0.07 µs
// per buffer, so it pays for itself once a step touches more than ~1% of the pool: done once per backend when
// `bytes` (what the step is about to read or write) reaches that. Only the pages some process has touched already
// (mincore) are mapped: populating the rest would make the kernel zero them now, used or not (the whole pool of a
// server just started: 8 s for 2 GB here); those fault in as they are used. Contents are not touched; kernels
// without MADV_POPULATE_WRITE (before 5.14) just keep faulting.
void map_shared_buffers(uint64_t bytes);

}  // namespace ecpipe::pg

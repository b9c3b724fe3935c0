// Module entry: PG_MODULE_MAGIC and _PG_init, which defines the settings and registers the worker.
#include "pg_includes.hpp"
#include "settings.hpp"

#include "ecpipe/interrupts.hpp"

extern "C" {
PG_MODULE_MAGIC;
void _PG_init(void);
}

namespace ecpipe::pg {
void register_worker();
bool worker_preloaded = false;  // inherited by every backend the postmaster forks
}  // namespace ecpipe::pg

namespace {
// The core's cancellation probe: only the flags that make CHECK_FOR_INTERRUPTS raise an error (cancel, timeout,
// terminate), so a pending catch-up or barrier signal never stops a loop for nothing.
bool server_wants_stop() { return InterruptPending && (QueryCancelPending || ProcDiePending); }
}  // namespace

// The core's cancellation probe always; settings always; the notification worker only when loaded through
// shared_preload_libraries.
void _PG_init(void) {
  ecpipe::set_interrupt_probe(server_wants_stop);
  ecpipe::pg::define_settings();
  if (process_shared_preload_libraries_in_progress) {
    ecpipe::pg::register_worker();
    ecpipe::pg::worker_preloaded = true;
  }
}

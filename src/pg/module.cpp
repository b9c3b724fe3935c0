// Module entry: PG_MODULE_MAGIC and _PG_init, which defines the settings and registers the worker.
#include "pg_includes.hpp"
#include "settings.hpp"

extern "C" {
PG_MODULE_MAGIC;
void _PG_init(void);
}

namespace ecpipe::pg {
void register_worker();
}

// Settings always; the notification worker only when loaded through shared_preload_libraries.
void _PG_init(void) {
  ecpipe::pg::define_settings();
  if (process_shared_preload_libraries_in_progress) ecpipe::pg::register_worker();
}

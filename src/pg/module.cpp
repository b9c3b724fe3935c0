// Module entry: PG_MODULE_MAGIC and _PG_init, which defines the settings.
#include "pg_includes.hpp"
#include "settings.hpp"

extern "C" {
PG_MODULE_MAGIC;
void _PG_init(void);
}

void _PG_init(void) { ecpipe::pg::define_settings(); }

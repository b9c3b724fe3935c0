// Header firewall: every src/core file includes this last; the build fails if a PostgreSQL header came first.
#pragma once
#ifdef POSTGRES_H
static_assert(false, "ecpipe core files must not include PostgreSQL headers; put server calls in src/pg/");
#endif

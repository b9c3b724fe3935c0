// Header firewall, second line: the core's compile rule has no server include path (make firewall), and every
// src/core file includes this header last, so a PostgreSQL header reached some other way still fails the build.
#pragma once
#ifdef POSTGRES_H
static_assert(false, "ecpipe core files must not include PostgreSQL headers; put server calls in src/pg/");
#endif

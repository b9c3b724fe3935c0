// Reading files on the server: who may, and where (inside ecpipe.landing_dir when it is set).
#pragma once
#include <string>

namespace ecpipe::pg {

// Reading server files is the privilege of superusers and pg_read_server_files, as for COPY FROM a file; `what`
// names the caller in the error ("ecpipe_ingest reads server files: ...").
void require_read_privilege(const char* what);

// The path with every symbolic link resolved. With ecpipe.landing_dir set, a relative path is taken inside it and
// the resolved file must stay inside it. A LineReader then opens the resolved path without following a link, so a
// link put in its place afterwards is refused rather than followed.
std::string resolve_server_path(const std::string& path);

// Checks that the database can hold the lines as UTF-8 text (the event format is UTF-8).
void require_utf8_database();

}  // namespace ecpipe::pg

// ecpipe_ingest(ds, path): lands a server-side JSONL file as batch ds, replacing it, every byte of every line kept.
#include <climits>
#include <cstdlib>
#include <string>

#include "dates.hpp"
#include "settings.hpp"
#include "bulk_insert.hpp"

#include "ecpipe/error.hpp"
#include "ecpipe/line_reader.hpp"

namespace ecpipe::pg {

namespace {

// Reading server files is the privilege of superusers and pg_read_server_files, as for COPY FROM a file.
void require_read_privilege() {
  bool allowed = false;
  server_call([&] { allowed = superuser() || has_privs_of_role(GetUserId(), ROLE_PG_READ_SERVER_FILES); });
  if (!allowed)
    throw ServerError(ERRCODE_INSUFFICIENT_PRIVILEGE,
                      "ecpipe_ingest reads server files: it needs superuser or the pg_read_server_files role");
}

// With ecpipe.landing_dir set, a relative path is taken inside it and the resolved file must stay inside it.
std::string resolve_path(const std::string& path) {
  const std::string dir = landing_dir();
  if (dir.empty()) return path;
  const std::string joined = !path.empty() && path[0] == '/' ? path : dir + "/" + path;
  char real_dir[PATH_MAX], real_file[PATH_MAX];
  if (!realpath(dir.c_str(), real_dir)) throw Error(ErrorKind::Io, "ecpipe.landing_dir \"" + dir + "\" does not exist");
  if (!realpath(joined.c_str(), real_file)) throw Error(ErrorKind::Io, "could not open \"" + joined + "\": no such file");
  const std::string root = std::string(real_dir) + "/";
  if (std::string(real_file).compare(0, root.size(), root) != 0)
    throw ServerError(ERRCODE_INSUFFICIENT_PRIVILEGE,
                      ("\"" + path + "\" is outside ecpipe.landing_dir (" + dir + ")").c_str());
  return real_file;
}

}  // namespace

// Checks that the database can hold the lines as UTF-8 text (the event format is UTF-8).
void require_utf8_database() {
  if (GetDatabaseEncoding() != PG_UTF8)
    throw ServerError(ERRCODE_FEATURE_NOT_SUPPORTED, "ecpipe needs a database with UTF8 encoding");
}

}  // namespace ecpipe::pg

ECPIPE_FUNCTION(ecpipe_ingest) {
  using namespace ecpipe::pg;
  require_read_privilege();
  require_utf8_database();
  const DateADT batch = PG_GETARG_DATEADT(0);
  char* path_arg = nullptr;
  server_call([&] { path_arg = text_to_cstring(PG_GETARG_TEXT_PP(1)); });
  ecpipe::LineReader reader(resolve_path(path_arg));

  SpiConnection spi;
  spi_exec("DELETE FROM ecpipe.landing WHERE batch_date = $1", {DATEOID}, {DateADTGetDatum(batch)});
  BulkInsert writer(
      "INSERT INTO ecpipe.landing (batch_date, line_no, line, line_bytes) "
      "SELECT $1, u.n, u.l, u.b FROM unnest($2::int8[], $3::text[], $4::bytea[]) AS u(n, l, b)",
      {DATEOID}, {DateADTGetDatum(batch)}, {INT8OID, TEXTOID, BYTEAOID});
  std::string_view line;
  std::vector<Datum> values(3);
  std::vector<bool> nulls(3, false);
  int64_t line_no = 0;
  while (reader.next(line)) {
    values[0] = Int64GetDatum(++line_no);
    const bool as_text = ecpipe::storable_as_text(line);
    server_call([&] {
      CHECK_FOR_INTERRUPTS();
      MemoryContext old = MemoryContextSwitchTo(writer.chunk_context());
      values[as_text ? 1 : 2] = as_text ? text_datum(line) : bytea_datum(line);
      MemoryContextSwitchTo(old);
    });
    nulls[1] = !as_text;
    nulls[2] = as_text;
    writer.add_row(values, nulls, line.size());
  }
  const int64_t lines = writer.flush();
  spi.finish();
  return Int64GetDatum(lines);
}

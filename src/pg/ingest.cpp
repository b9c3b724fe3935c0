// ecpipe_ingest(ds, path): lands a server-side JSONL file as batch ds, replacing it, every byte of every line kept.
#include <cerrno>
#include <climits>
#include <cstring>
#include <cstdlib>
#include <string>

#include "dates.hpp"
#include "installed.hpp"
#include "settings.hpp"
#include "boundary.hpp"
#include "datums.hpp"
#include "spi.hpp"
#include "table_writer.hpp"

#include "ecpipe/error.hpp"
#include "ecpipe/line_reader.hpp"
#include "ecpipe/quote.hpp"

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

// The path with every symbolic link resolved. With ecpipe.landing_dir set, a relative path is taken inside it and
// the resolved file must stay inside it. The reader then opens the resolved path without following a link, so a
// link put in its place afterwards is refused rather than followed.
std::string resolve_path(const std::string& path) {
  const std::string dir = landing_dir();
  const std::string joined = dir.empty() || (!path.empty() && path[0] == '/') ? path : dir + "/" + path;
  char real_dir[PATH_MAX], real_file[PATH_MAX];
  if (!realpath(joined.c_str(), real_file))
    throw Error(ErrorKind::Io, "could not open \"" + cut_value(joined) + "\": " + strerror(errno));
  if (dir.empty()) return real_file;
  if (!realpath(dir.c_str(), real_dir))
    throw Error(ErrorKind::Io, "ecpipe.landing_dir \"" + cut_value(dir) + "\" does not exist");
  const std::string root = std::string(real_dir) + "/";
  if (std::string(real_file).compare(0, root.size(), root) != 0)
    throw ServerError(ERRCODE_INSUFFICIENT_PRIVILEGE,
                      ("\"" + cut_value(path) + "\" is outside ecpipe.landing_dir (" + cut_value(dir) + ")").c_str());
  return real_file;
}

// Checks that the database can hold the lines as UTF-8 text (the event format is UTF-8).
void require_utf8_database() {
  if (GetDatabaseEncoding() != PG_UTF8)
    throw ServerError(ERRCODE_FEATURE_NOT_SUPPORTED, "ecpipe needs a database with UTF8 encoding");
}

}  // namespace

}  // namespace ecpipe::pg

ECPIPE_FUNCTION(ecpipe_ingest) {
  using namespace ecpipe::pg;
  require_read_privilege();
  require_utf8_database();
  if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
    throw ecpipe::ServerError(ERRCODE_NULL_VALUE_NOT_ALLOWED, PG_ARGISNULL(0) ? "ecpipe_ingest: ds must not be NULL"
                                                                              : "ecpipe_ingest: path must not be NULL");
  const DateADT batch = PG_GETARG_DATEADT(0);
  require_pipeline_day(batch, "ecpipe_ingest");
  char* path_arg = nullptr;
  server_call([&] { path_arg = text_to_cstring(PG_GETARG_TEXT_PP(1)); });
  const int64_t max_line = current_settings().max_line_bytes;
  ecpipe::LineReader reader(resolve_path(path_arg), static_cast<uint64_t>(max_line));

  SpiConnection spi;
  // Straight into the table, as COPY does; every column is given (landed_at is the transaction's now()). The writer
  // checks INSERT on the table first.
  TableWriter writer("ecpipe", "landing");
  // A batch is never replaced under a run or load of its day: ingest takes the day's lock, waiting up to
  // ecpipe.run_lock_timeout as a second run would (a run collecting from landing_dir holds it already).
  if (has_lock_day()) spi_exec("SELECT ecpipe.lock_day($1, NULL)", {DATEOID}, {DateADTGetDatum(batch)});
  spi_exec("DELETE FROM ecpipe.landing WHERE batch_date = $1", {DATEOID}, {DateADTGetDatum(batch)});
  const std::vector<int> col = writer.columns({"batch_date", "line_no", "line", "line_bytes", "landed_at"});
  TimestampTz now = 0;
  server_call([&] { now = GetCurrentTransactionStartTimestamp(); });
  std::string_view line;
  std::string cut;
  int64_t line_no = 0;
  while (reader.next(line)) {
    if (reader.cut_from() != 0) {
      // Too long: its first bytes are landed with a note of its length, which makes it an unparseable line.
      cut = ecpipe::cut_line(line, reader.cut_from());
      line = cut;
    }
    const bool as_text = ecpipe::storable_as_text(line);
    TupleTableSlot* slot = writer.slot();
    ++line_no;
    server_call([&] {
      CHECK_FOR_INTERRUPTS();
      MemoryContext old = MemoryContextSwitchTo(writer.memory());
      Datum* v = slot->tts_values;
      bool* n = slot->tts_isnull;
      v[col[0]] = DateADTGetDatum(batch), n[col[0]] = false;
      v[col[1]] = Int64GetDatum(line_no), n[col[1]] = false;
      v[col[2]] = as_text ? text_datum(line) : (Datum)0, n[col[2]] = !as_text;
      v[col[3]] = as_text ? (Datum)0 : bytea_datum(line), n[col[3]] = as_text;
      v[col[4]] = TimestampTzGetDatum(now), n[col[4]] = false;
      MemoryContextSwitchTo(old);
    });
    writer.store();
  }
  const int64_t lines = writer.finish();
  spi.finish();
  return Int64GetDatum(lines);
}

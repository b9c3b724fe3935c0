// ecpipe_ingest(ds, path): lands a server-side JSONL file as batch ds, replacing it, every byte of every line kept.
#include <string>

#include "citus.hpp"
#include "dates.hpp"
#include "installed.hpp"
#include "server_files.hpp"
#include "settings.hpp"
#include "boundary.hpp"
#include "datums.hpp"
#include "spi.hpp"
#include "table_writer.hpp"

#include "ecpipe/error.hpp"
#include "ecpipe/line_reader.hpp"
#include "ecpipe/quote.hpp"

ECPIPE_FUNCTION(ecpipe_ingest) {
  using namespace ecpipe::pg;
  require_read_privilege("ecpipe_ingest");
  require_utf8_database();
  if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
    throw ecpipe::ServerError(ERRCODE_NULL_VALUE_NOT_ALLOWED, PG_ARGISNULL(0) ? "ecpipe_ingest: ds must not be NULL"
                                                                              : "ecpipe_ingest: path must not be NULL");
  const DateADT batch = PG_GETARG_DATEADT(0);
  require_pipeline_day(batch, "ecpipe_ingest");
  char* path_arg = nullptr;
  server_call([&] { path_arg = text_to_cstring(PG_GETARG_TEXT_PP(1)); });
  const int64_t max_line = current_settings().max_line_bytes;
  const std::string path = resolve_server_path(path_arg);
  if (tables_distributed()) {  // the lines go to the workers, each to its route key's shard
    SpiConnection spi;
    spi_exec("SELECT ecpipe.lock_day($1, NULL)", {DATEOID}, {DateADTGetDatum(batch)});
    const int64_t lines = route_file_to_landing(batch, path, static_cast<uint64_t>(max_line));
    spi.finish();
    return Int64GetDatum(lines);
  }
  ecpipe::LineReader reader(path, static_cast<uint64_t>(max_line));

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

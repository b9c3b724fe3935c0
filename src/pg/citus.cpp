// What ecpipe's C code knows of Citus: ecpipe.route_key(line, line_no), the distribution value of a landed line (see
// route_key.hpp); whether the tables are distributed; the routing of a batch's lines to the workers; the workers'
// fingerprint of a batch.
#include "citus.hpp"

#include <string>
#include <string_view>
#include <vector>

#include "boundary.hpp"
#include "batch_source.hpp"
#include "bulk_insert.hpp"
#include "extension_owner.hpp"
#include "datums.hpp"
#include "ecpipe/line_reader.hpp"
#include "ecpipe/route_key.hpp"
#include "spi.hpp"

namespace ecpipe::pg {

bool tables_distributed() {
  Oid citus = InvalidOid;
  server_call([&] { citus = get_extension_oid("citus", true); });
  if (!OidIsValid(citus)) return false;  // no Citus in this database: nothing is distributed
  SpiConnection spi;
  bool distributed = false, coordinator = true;
  spi_exec("SELECT ecpipe.distributed(), ecpipe.on_coordinator()", {}, {}, nullptr, true);
  server_call([&] {
    bool isnull = true;
    distributed = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull)) && !isnull;
    coordinator = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull)) || isnull;
  });
  spi.finish();
  // a worker's tables are shells, and its run record nobody's: the data path runs on the coordinator
  if (distributed && !coordinator)
    throw ecpipe::ServerError(ERRCODE_FEATURE_NOT_SUPPORTED,
                              "this is a worker of a distributed ecpipe; run the pipeline on the coordinator");
  return distributed;
}

void require_single_node(const char* function_name) {
  if (!tables_distributed()) return;
  const std::string message = std::string(function_name) +
                              ": ecpipe's tables in this database are distributed by Citus, and this version of "
                              "ecpipe does not run it on a distributed install (see docs/SCALING.md)";
  throw ecpipe::ServerError(ERRCODE_FEATURE_NOT_SUPPORTED, message.c_str());
}

int64_t route_file_to_landing(DateADT batch, const std::string& path, uint64_t max_line_bytes) {
  AsExtensionOwner owner;  // as the rest of the distributed data path
  LineReader reader(path, max_line_bytes);
  // the file replaces the day's batch, and so a client's copy of it that no run took yet (as on one node, where
  // landing_import's rows are part of landing)
  spi_exec("DELETE FROM ecpipe.landing WHERE batch_date = $1", {DATEOID}, {DateADTGetDatum(batch)});
  spi_exec("DELETE FROM ecpipe.landing_import WHERE batch_date = $1", {DATEOID}, {DateADTGetDatum(batch)});
  BulkInsert landing(
      "INSERT INTO ecpipe.landing (batch_date, line_no, line, line_bytes, route_key) "
      "SELECT $1, u.n, u.l, u.b, u.k FROM unnest($2::int8[], $3::text[], $4::bytea[], $5::text[]) AS u(n, l, b, k)",
      {DATEOID}, {DateADTGetDatum(batch)}, {INT8OID, TEXTOID, BYTEAOID, TEXTOID});
  std::string_view line;
  std::string cut;
  int64_t line_no = 0;
  std::vector<Datum> values(4);
  while (reader.next(line)) {
    if (reader.cut_from() != 0) {  // too long: its first bytes, with a note of its length (an unparseable line)
      cut = cut_line(line, reader.cut_from());
      line = cut;
    }
    ++line_no;
    const bool as_text = storable_as_text(line);
    const std::string key = as_text ? route_key(line, line_no) : std::to_string(line_no);
    server_call([&] {
      CHECK_FOR_INTERRUPTS();
      MemoryContext old = MemoryContextSwitchTo(landing.chunk_context());
      values[0] = Int64GetDatum(line_no);
      values[1] = as_text ? text_datum(line) : (Datum)0;
      values[2] = as_text ? (Datum)0 : bytea_datum(line);
      values[3] = text_datum(key);
      MemoryContextSwitchTo(old);
    });
    landing.add_row(values, {false, !as_text, as_text, false}, line.size());
  }
  return landing.flush();
}

BatchSource route_batch(DateADT batch, uint64_t max_line_bytes) {
  AsExtensionOwner owner;  // as the rest of the distributed data path
  // the landed lines are the copy an earlier validation routed from the file, unchanged, and no load consumed them
  spi_exec(
      "SELECT v.source = 'file' AND v.fingerprint = ecpipe.landing_fingerprint($1) FROM ecpipe.validations v "
      "WHERE v.batch_date = $1 ORDER BY v.run_id DESC LIMIT 1",
      {DATEOID}, {DateADTGetDatum(batch)}, nullptr, true);
  bool stale_copy = false;
  server_call([&] {
    bool isnull = true;
    if (SPI_processed == 1)
      stale_copy = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull)) && !isnull;
  });
  if (stale_copy) spi_exec("DELETE FROM ecpipe.landing WHERE batch_date = $1", {DATEOID}, {DateADTGetDatum(batch)});
  route_landing_import(batch);
  const BatchSource found = find_batch_source(batch);
  if (found.file) route_file_to_landing(batch, found.path, max_line_bytes);
  return found;
}

uint64_t route_landing_import(DateADT batch) {
  AsExtensionOwner owner;  // as the rest of the distributed data path
  // the day's latest statement (a client copied through some node) replaces the batch; the ones before it go
  const Datum day = DateADTGetDatum(batch);
  spi_exec("SELECT max(i.landed_at) FROM ecpipe.landing_import i WHERE i.batch_date = $1", {DATEOID}, {day}, nullptr,
           true);
  Datum latest = 0;
  bool none = true;
  server_call([&] { latest = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &none); });
  if (none) return 0;
  spi_exec("DELETE FROM ecpipe.landing WHERE batch_date = $1", {DATEOID}, {day});
  const uint64_t moved = spi_exec(
      "INSERT INTO ecpipe.landing (batch_date, line_no, line, line_bytes, landed_at, route_key) "
      "SELECT i.batch_date, i.line_no, i.line, i.line_bytes, i.landed_at, ecpipe.route_key(i.line, i.line_no) "
      "FROM ecpipe.landing_import i WHERE i.batch_date = $1 AND i.landed_at = $2",
      {DATEOID, TIMESTAMPTZOID}, {day, latest});
  // a statement that committed meanwhile with a later first line stays for the next run
  spi_exec("DELETE FROM ecpipe.landing_import i WHERE i.batch_date = $1 AND i.landed_at <= $2",
           {DATEOID, TIMESTAMPTZOID}, {day, latest});
  return moved;
}

uint64_t distributed_fingerprint(DateADT batch) {
  AsExtensionOwner owner;  // as the rest of the distributed data path
  spi_exec("SELECT ecpipe.landing_fingerprint($1)", {DATEOID}, {DateADTGetDatum(batch)}, nullptr, true);
  int64_t value = 0;
  server_call([&] {
    bool isnull = false;
    value = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
  });
  return static_cast<uint64_t>(value);
}

}  // namespace ecpipe::pg

// line is the text as landed, or NULL when the line was kept as line_bytes (not UTF-8 text: it never parses, so
// only its number matters).
ECPIPE_FUNCTION(ecpipe_route_key) {
  if (PG_ARGISNULL(1)) PG_RETURN_NULL();
  const int64 line_no = PG_GETARG_INT64(1);
  std::string_view line;
  if (!PG_ARGISNULL(0)) {
    text* t = nullptr;
    ecpipe::pg::server_call([&] { t = PG_GETARG_TEXT_PP(0); });
    line = std::string_view(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
  }
  return ecpipe::pg::text_datum(ecpipe::route_key(line, line_no));
}

// Cursor over ecpipe.landing for one batch; rows are detoasted into a per-fetch memory context.
#include "landing_scan.hpp"

#include <utility>
#include <vector>

#include "dates.hpp"
#include "progress.hpp"

#include "ecpipe/timestamp.hpp"

namespace ecpipe::pg {

void scan_landing(DateADT batch, const char* step, const std::function<void(int64_t, std::string_view)>& visit) {
  ProgressReporter progress(std::string(step) + " " + format_day(unix_day(batch)));
  int64_t lines = 0;
  Portal portal = nullptr;
  MemoryContext fetch_ctx = nullptr;
  server_call([&] {
    Oid types[1] = {DATEOID};
    Datum values[1] = {DateADTGetDatum(batch)};
    portal = SPI_cursor_open_with_args(
        nullptr, "SELECT line_no, line, line_bytes FROM ecpipe.landing "
                 "WHERE batch_date = $1 ORDER BY line_no",
        // A fast-start plan walks the (batch_date, line_no) key in order. Without it, the row estimate of a batch
        // landed since the last ANALYZE can pick a bitmap scan and an external sort of the whole batch on disk.
        1, types, values, nullptr, true, CURSOR_OPT_FAST_PLAN | CURSOR_OPT_NO_SCROLL);
    fetch_ctx = AllocSetContextCreate(CurrentMemoryContext, "ecpipe landing scan", ALLOCSET_DEFAULT_SIZES);
  });
  std::vector<std::pair<int64_t, std::string_view>> rows;
  // The fetched rows stay ours until the next fetch even if `visit` runs other SPI statements (which replace the
  // global SPI_tuptable), so keep our own pointer and free exactly that.
  SPITupleTable* fetched = nullptr;
  for (;;) {
    rows.clear();
    server_call([&] {
      CHECK_FOR_INTERRUPTS();
      MemoryContextReset(fetch_ctx);
      if (fetched) SPI_freetuptable(fetched);
      SPI_cursor_fetch(portal, true, 5000);
      fetched = SPI_tuptable;
      MemoryContext old = MemoryContextSwitchTo(fetch_ctx);
      for (uint64 i = 0; i < SPI_processed; ++i) {
        bool null_no = false, null_text = false, null_bytes = false;
        HeapTuple tuple = fetched->vals[i];
        const int64_t line_no = DatumGetInt64(SPI_getbinval(tuple, fetched->tupdesc, 1, &null_no));
        Datum d = SPI_getbinval(tuple, fetched->tupdesc, 2, &null_text);
        if (null_text) d = SPI_getbinval(tuple, fetched->tupdesc, 3, &null_bytes);
        struct varlena* b = null_bytes ? nullptr : pg_detoast_datum_packed(reinterpret_cast<struct varlena*>(DatumGetPointer(d)));
        rows.emplace_back(line_no, b ? std::string_view(VARDATA_ANY(b), VARSIZE_ANY_EXHDR(b)) : std::string_view());
      }
      MemoryContextSwitchTo(old);
    });
    if (rows.empty()) break;
    for (const auto& [line_no, bytes] : rows) visit(line_no, bytes);
    lines += static_cast<int64_t>(rows.size());
    progress.lines_done(lines);
  }
  server_call([&] {
    if (fetched) SPI_freetuptable(fetched);
    SPI_cursor_close(portal);
    MemoryContextDelete(fetch_ctx);
  });
}

size_t landing_lines_hint(DateADT batch) {
  // A heap tuple of landing takes at least 28 bytes (header, line pointer, date, line_no) whatever its line.
  spi_exec("SELECT least(max(line_no), pg_catalog.pg_relation_size('ecpipe.landing') / 28) FROM ecpipe.landing "
           "WHERE batch_date = $1",
           {DATEOID}, {DateADTGetDatum(batch)}, nullptr, true);
  int64_t hint = 0;
  server_call([&] {
    bool isnull = true;
    const Datum d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
    if (!isnull) hint = DatumGetInt64(d);
  });
  return hint > 0 ? static_cast<size_t>(hint) : 0;
}

}  // namespace ecpipe::pg

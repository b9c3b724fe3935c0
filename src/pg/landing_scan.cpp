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
  std::vector<std::pair<int64_t, std::string_view>> rows;
  spi_cursor_scan(
      "SELECT line_no, line, line_bytes FROM ecpipe.landing WHERE batch_date = $1 ORDER BY line_no", {DATEOID},
      {DateADTGetDatum(batch)},
      // A fast-start plan walks the (batch_date, line_no) key in order. Without it, the row estimate of a batch
      // landed since the last ANALYZE can pick a bitmap scan and an external sort of the whole batch on disk.
      CURSOR_OPT_FAST_PLAN | CURSOR_OPT_NO_SCROLL,
      [&](HeapTuple tuple, TupleDesc desc) {
        bool null_no = false, null_text = false, null_bytes = false;
        const int64_t line_no = DatumGetInt64(SPI_getbinval(tuple, desc, 1, &null_no));
        Datum d = SPI_getbinval(tuple, desc, 2, &null_text);
        if (null_text) d = SPI_getbinval(tuple, desc, 3, &null_bytes);
        struct varlena* b = null_bytes ? nullptr : pg_detoast_datum_packed(reinterpret_cast<struct varlena*>(DatumGetPointer(d)));
        rows.emplace_back(line_no, b ? std::string_view(VARDATA_ANY(b), VARSIZE_ANY_EXHDR(b)) : std::string_view());
      },
      [&] {
        for (const auto& [line_no, bytes] : rows) visit(line_no, bytes);
        lines += static_cast<int64_t>(rows.size());
        rows.clear();
        progress.lines_done(lines);
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

// The verdicts of a validation's failing lines, in bulk.
#include "verdict_writer.hpp"

#include <vector>

#include "bulk_insert.hpp"
#include "datums.hpp"

namespace ecpipe::pg {

int64_t write_line_verdicts(int64_t run_id, DateADT batch, const BatchReport& r, const std::string& insert_sql) {
  BulkInsert verdicts(insert_sql.c_str(), {INT8OID, DATEOID}, {Int64GetDatum(run_id), DateADTGetDatum(batch)},
                      {INT8OID, TEXTOID, INT2OID, TEXTOID, TEXTOID});
  std::vector<Datum> values(5);
  std::vector<bool> nulls(5, false);
  for (const auto& v : r.lines) {
    if (v.disposition == Disposition::Blank || (v.failed == 0 && !v.unparseable)) continue;
    const std::string codes = r.reason_codes(v);
    const std::string& detail = v.detail >= 0 ? r.details[v.detail] : codes;
    server_call([&] {
      MemoryContext old = MemoryContextSwitchTo(verdicts.chunk_context());
      values[0] = Int64GetDatum(v.line_no);
      values[1] = text_datum(v.disposition == Disposition::Quarantine ? "quarantine" : "raw");
      values[2] = Int16GetDatum(static_cast<int16>(v.failed));
      values[3] = text_datum(codes);
      values[4] = text_datum(detail);
      MemoryContextSwitchTo(old);
    });
    verdicts.add_row(values, nulls, detail.size());
  }
  return verdicts.flush();
}

}  // namespace ecpipe::pg

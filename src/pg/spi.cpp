// SPI statement helpers behind server_call.
#include "spi.hpp"

namespace ecpipe::pg {

uint64_t spi_exec(const char* sql, const std::vector<Oid>& types, const std::vector<Datum>& values, const char* nulls,
                  bool read_only) {
  uint64_t processed = 0;
  server_call([&] {
    int rc = SPI_execute_with_args(sql, static_cast<int>(types.size()), const_cast<Oid*>(types.data()),
                                   const_cast<Datum*>(values.data()), nulls, read_only, 0);
    if (rc < 0) elog(ERROR, "SPI failed (%s) running: %s", SPI_result_code_string(rc), sql);
    processed = SPI_processed;
  });
  return processed;
}

SPIPlanPtr spi_prepare(const char* sql, const std::vector<Oid>& types) {
  SPIPlanPtr plan = nullptr;
  server_call([&] {
    plan = SPI_prepare(sql, static_cast<int>(types.size()), const_cast<Oid*>(types.data()));
    if (!plan) elog(ERROR, "SPI_prepare failed (%s) for: %s", SPI_result_code_string(SPI_result), sql);
  });
  return plan;
}

uint64_t spi_exec_plan(SPIPlanPtr plan, const std::vector<Datum>& values, const char* nulls) {
  uint64_t processed = 0;
  server_call([&] {
    int rc = SPI_execute_plan(plan, const_cast<Datum*>(values.data()), nulls, false, 0);
    if (rc < 0) elog(ERROR, "SPI_execute_plan failed: %s", SPI_result_code_string(rc));
    processed = SPI_processed;
  });
  return processed;
}

void spi_cursor_scan(const char* sql, const std::vector<Oid>& types, const std::vector<Datum>& values,
                     int cursor_options, const std::function<void(HeapTuple, TupleDesc)>& row,
                     const std::function<void()>& fetched) {
  Portal portal = nullptr;
  MemoryContext fetch_ctx = nullptr;
  server_call([&] {
    portal = SPI_cursor_open_with_args(nullptr, sql, static_cast<int>(types.size()), const_cast<Oid*>(types.data()),
                                       const_cast<Datum*>(values.data()), nullptr, true, cursor_options);
    fetch_ctx = AllocSetContextCreate(CurrentMemoryContext, "ecpipe cursor scan", ALLOCSET_DEFAULT_SIZES);
  });
  // The fetched rows stay ours until the next fetch even if `fetched` runs other SPI statements (which replace the
  // global SPI_tuptable), so keep our own pointer and free exactly that.
  SPITupleTable* rows = nullptr;
  for (;;) {
    uint64 n = 0;
    server_call([&] {
      CHECK_FOR_INTERRUPTS();
      MemoryContextReset(fetch_ctx);
      if (rows) SPI_freetuptable(rows);
      SPI_cursor_fetch(portal, true, 5000);
      rows = SPI_tuptable;
      n = SPI_processed;
      MemoryContext old = MemoryContextSwitchTo(fetch_ctx);
      for (uint64 i = 0; i < n; ++i) row(rows->vals[i], rows->tupdesc);
      MemoryContextSwitchTo(old);
    });
    if (n == 0) break;
    fetched();
  }
  server_call([&] {
    if (rows) SPI_freetuptable(rows);
    SPI_cursor_close(portal);
    MemoryContextDelete(fetch_ctx);
  });
}

}  // namespace ecpipe::pg

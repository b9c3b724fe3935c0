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

}  // namespace ecpipe::pg

// SPI from C++: a connection that callers finish on the normal path (otherwise the transaction's end cleans up),
// and statement helpers whose server errors arrive as ServerError.
#pragma once
#include <functional>
#include <vector>

#include "boundary.hpp"

namespace ecpipe::pg {

class SpiConnection {
 public:
  SpiConnection() {
    server_call([] {
      if (SPI_connect() != SPI_OK_CONNECT) elog(ERROR, "SPI_connect failed");
    });
  }
  // Callers finish() on the normal path. A connection left open (an exception, or a forgotten finish) is
  // closed by the end of the transaction (AtEOXact_SPI); a destructor must not call SPI_finish, whose ERROR
  // would become a C++ exception thrown from a destructor, i.e. std::terminate.
  ~SpiConnection() = default;
  void finish() {
    server_call([] { SPI_finish(); });
  }
  SpiConnection(const SpiConnection&) = delete;
  SpiConnection& operator=(const SpiConnection&) = delete;
};

// Runs a statement with parameters (nulls: ' ' = value, 'n' = NULL). Returns SPI_processed.
uint64_t spi_exec(const char* sql, const std::vector<Oid>& types, const std::vector<Datum>& values,
                  const char* nulls = nullptr, bool read_only = false);

// Prepares and keeps a plan for the life of the SPI connection.
SPIPlanPtr spi_prepare(const char* sql, const std::vector<Oid>& types);
uint64_t spi_exec_plan(SPIPlanPtr plan, const std::vector<Datum>& values, const char* nulls = nullptr);

// Reads a query's rows through a cursor, 5,000 a fetch. `row` runs inside the server boundary for each fetched row
// and may allocate in CurrentMemoryContext, which holds until the next fetch; `fetched` then runs outside it, to
// use what `row` collected. Checks for interrupts between fetches.
void spi_cursor_scan(const char* sql, const std::vector<Oid>& types, const std::vector<Datum>& values,
                     int cursor_options, const std::function<void(HeapTuple, TupleDesc)>& row,
                     const std::function<void()>& fetched);

}  // namespace ecpipe::pg

// SPI from C++: a connection that is finished on the normal path (an ERROR path leaves cleanup to the aborting
// transaction), and statement helpers whose server errors arrive as ServerError.
#pragma once
#include <exception>
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
  ~SpiConnection() {
    // During unwinding the transaction is about to abort, and AtEOXact_SPI cleans up; calling SPI_finish then
    // could itself raise an ERROR inside a destructor.
    if (!finished_ && std::uncaught_exceptions() == 0) finish();
  }
  void finish() {
    finished_ = true;
    server_call([] { SPI_finish(); });
  }
  SpiConnection(const SpiConnection&) = delete;
  SpiConnection& operator=(const SpiConnection&) = delete;

 private:
  bool finished_ = false;
};

// Runs a statement with parameters (nulls: ' ' = value, 'n' = NULL). Returns SPI_processed.
uint64_t spi_exec(const char* sql, const std::vector<Oid>& types, const std::vector<Datum>& values,
                  const char* nulls = nullptr, bool read_only = false);

// Prepares and keeps a plan for the life of the SPI connection.
SPIPlanPtr spi_prepare(const char* sql, const std::vector<Oid>& types);
uint64_t spi_exec_plan(SPIPlanPtr plan, const std::vector<Datum>& values, const char* nulls = nullptr);

}  // namespace ecpipe::pg

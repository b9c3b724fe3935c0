// Row batches into one prepared INSERT ... SELECT FROM unnest(array params): bulk loading without per-row SPI,
// through the executor, so defaults, CHECK and foreign-key constraints apply. For the small or constrained tables
// (quality_log, line_verdicts, quarantine); the hot tables (landing, raw_events) use TableWriter.
#pragma once
#include <string>
#include <vector>

#include "spi.hpp"

namespace ecpipe::pg {

class BulkInsert {
 public:
  // `sql` takes the scalar parameters first ($1..$k), then one array parameter per column. Needs an open
  // SpiConnection for its whole life.
  BulkInsert(const char* sql, std::vector<Oid> scalar_types, std::vector<Datum> scalars, std::vector<Oid> column_types,
             size_t rows_per_chunk = 10000);

  // Memory for the Datums of the rows being buffered; reset after every flush.
  MemoryContext chunk_context() const { return chunk_ctx_; }
  // Buffers one row (one Datum per column, allocated in chunk_context()); flushes when the chunk is full.
  void add_row(const std::vector<Datum>& values, const std::vector<bool>& nulls, size_t bytes = 0);
  // Inserts what is buffered; returns the rows inserted so far.
  int64_t flush();

 private:
  struct Column {
    Oid type;
    int16 typlen;
    bool typbyval;
    char typalign;
    std::vector<Datum> values;
    std::vector<bool> nulls;
  };
  SPIPlanPtr plan_ = nullptr;
  MemoryContext chunk_ctx_ = nullptr;
  std::vector<Datum> scalars_;
  std::vector<Column> columns_;
  size_t rows_per_chunk_, pending_ = 0, pending_bytes_ = 0;
  int64_t written_ = 0;
};

}  // namespace ecpipe::pg

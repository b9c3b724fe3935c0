// Writes raw events straight into their event day's partition through a TableWriter per partition.
#pragma once
#include <map>
#include <memory>
#include <vector>

#include "pg_includes.hpp"
#include "table_writer.hpp"

#include "ecpipe/raw_event.hpp"

namespace ecpipe::pg {

// The attribute index, in a row of raw_events' layout, of each column a raw row fills (throws on a missing one).
std::vector<int> raw_column_positions(TupleDesc desc);
// Converts one event to raw_events' column types into values/nulls at those positions, in the current memory
// context. Server calls: run it inside server_call.
void fill_raw_row(const RawEvent& e, DateADT batch, int64_t line_no, int64_t run_id, int16 failed_checks,
                  const std::vector<int>& positions, Datum* values, bool* nulls);

class RawWriter {
 public:
  RawWriter(DateADT batch, int64_t run_id);
  ~RawWriter();
  RawWriter(const RawWriter&) = delete;
  RawWriter& operator=(const RawWriter&) = delete;

  // Writes the events of one event day into that day's partition (from ecpipe.raw_partition); frozen when
  // may_freeze and the partition was made in the writing subtransaction (TableWriter::Freeze::WhenNew).
  void open_partition(int32_t unix_day, Oid partition, bool may_freeze);
  // Buffers one event for the partition of its event day, which must have been opened.
  void add(const RawEvent& e, int64_t line_no, int16 failed_checks);
  // Writes what is buffered and closes the partitions; returns the number of rows written.
  int64_t finish();

 private:
  DateADT batch_;
  int64_t run_id_;
  std::map<int32_t, std::unique_ptr<TableWriter>> partitions_;
  std::vector<int> positions_;  // attribute index of each column RawWriter fills
};

}  // namespace ecpipe::pg

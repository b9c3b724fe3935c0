// Writes raw events straight into their event day's partition through a TableWriter per partition.
#pragma once
#include <map>
#include <memory>
#include <vector>

#include "pg_includes.hpp"
#include "table_writer.hpp"

#include "ecpipe/raw_event.hpp"

namespace ecpipe::pg {

class RawWriter {
 public:
  RawWriter(DateADT batch, int64_t run_id);
  ~RawWriter();
  RawWriter(const RawWriter&) = delete;
  RawWriter& operator=(const RawWriter&) = delete;

  // Buffers one event for the partition of its event day, which must exist already.
  void add(const RawEvent& e, int64_t line_no, int16 failed_checks);
  // Writes what is buffered and closes the partitions; returns the number of rows written.
  int64_t finish();

 private:
  TableWriter& partition_for(int32_t unix_day);

  DateADT batch_;
  int64_t run_id_;
  std::map<int32_t, std::unique_ptr<TableWriter>> partitions_;
  std::vector<int> positions_;  // attribute index of each column RawWriter fills
};

}  // namespace ecpipe::pg

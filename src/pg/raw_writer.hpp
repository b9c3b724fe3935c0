// Writes raw events straight into their event day's partition with table_multi_insert and index maintenance,
// the way COPY does, instead of an INSERT ... SELECT over arrays.
#pragma once
#include <map>
#include <memory>
#include <vector>

#include "pg_includes.hpp"

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
  struct Partition;
  Partition& partition_for(int32_t unix_day);
  void flush(Partition& p);

  DateADT batch_;
  int64_t run_id_;
  int64_t written_ = 0;
  std::map<int32_t, std::unique_ptr<Partition>> partitions_;
};

}  // namespace ecpipe::pg

// Inserts rows straight into one table with table_multi_insert and index maintenance, as COPY does: no SQL and no
// executor per statement. For ecpipe's own tables only: defaults, triggers and CHECK constraints are not applied,
// so callers give every column a valid value. Used for the hot tables (landing, raw_events partitions); tables
// with foreign keys or many defaults go through BulkInsert.
#pragma once
#include <string>
#include <vector>

#include "pg_includes.hpp"

extern "C" {
#include "access/heapam.h"
#include "nodes/execnodes.h"
}

namespace ecpipe::pg {

class TableWriter {
 public:
  // How written pages use shared_buffers: through COPY's 16 MB ring (a big write does not push other data out,
  // and whoever reads it next reads it from the OS cache), or kept there for a reader that comes right after.
  enum class Buffers { Ring, Keep };
  // Whether rows go in frozen when COPY FREEZE's rule allows it: the table was created (or given a new relfilenode)
  // in the current subtransaction, so if that subtransaction aborts the rows go with the table. WhenNew is for a
  // caller that has made sure no cursor is open that could read the table later with an older snapshot. Frozen rows
  // are visible to every snapshot once committed, as COPY FREEZE's are; vacuum never has to freeze them.
  enum class Freeze { Never, WhenNew };
  explicit TableWriter(Oid relid, Buffers buffers = Buffers::Ring, Freeze freeze = Freeze::Never);
  TableWriter(const char* schema, const char* table);
  TableWriter(const TableWriter&) = delete;
  TableWriter& operator=(const TableWriter&) = delete;

  // Attribute index (0-based) of each named column, in the order given; throws if one is missing.
  std::vector<int> columns(const std::vector<const char*>& names) const;
  // The names of the table's columns (dropped ones aside), in order.
  std::vector<std::string> column_names() const;
  // The cleared slot for the next row. Fill tts_values / tts_isnull with Datums allocated in memory().
  TupleTableSlot* slot();
  MemoryContext memory() const { return rows_; }
  // Marks the filled slot complete; writes a batch when the slots are full.
  void store();
  // Writes the rest and releases the table; returns the number of rows written.
  int64_t finish();

 private:
  static constexpr int kSlots = 1000;
  void flush();

  std::string name_;
  Relation rel_ = nullptr;
  EState* estate_ = nullptr;
  ResultRelInfo* rri_ = nullptr;
  BulkInsertState bistate_ = nullptr;
  MemoryContext rows_ = nullptr;  // the Datums of buffered rows; reset after each flush
  TupleTableSlot* slots_[kSlots] = {};
  int used_ = 0;
  int64_t written_ = 0;
  bool may_freeze_ = false;
};

}  // namespace ecpipe::pg

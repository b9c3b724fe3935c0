// RawWriter: one ResultRelInfo, bulk-insert state and slot batch per event-day partition; rows are converted to
// the table's types (numeric(14,2), jsonb, timestamptz) in C and inserted 1,000 at a time.
#include "raw_writer.hpp"

#include <cstring>
#include <string>

#include "boundary.hpp"
#include "dates.hpp"

extern "C" {
#include "access/heapam.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/namespace.h"
#include "executor/executor.h"
#include "nodes/makefuncs.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"
#include "utils/rel.h"
}

namespace ecpipe::pg {

namespace {

constexpr int kSlots = 1000;

// Where each column of raw_events takes its value from.
enum class Source { EventDay, BatchDate, LineNo, RunId, EventTime, Failed, IsRecommendation, ExtraData, Extras, Text, Int, Number };
struct Column {
  Source source;
  int index = 0;     // within RawEvent::text / ints / numbers
  int32 typmod = -1;
};

Column column_for(const char* name) {
  static const std::pair<const char*, Source> kFixed[] = {
      {"event_day", Source::EventDay}, {"batch_date", Source::BatchDate}, {"line_no", Source::LineNo},
      {"run_id", Source::RunId},       {"event_time", Source::EventTime}, {"failed_checks", Source::Failed},
      {"is_recommendation", Source::IsRecommendation}, {"extra_data", Source::ExtraData}, {"extras", Source::Extras}};
  for (const auto& [n, s] : kFixed)
    if (strcmp(name, n) == 0) return {s};
  for (int i = 0; i < RawEvent::kTextColumns; ++i)
    if (strcmp(name, raw_text_column(i)) == 0) return {Source::Text, i};
  for (int i = 0; i < RawEvent::kIntColumns; ++i)
    if (strcmp(name, raw_int_column(i)) == 0) return {Source::Int, i};
  for (int i = 0; i < RawEvent::kNumberColumns; ++i)
    if (strcmp(name, raw_number_column(i)) == 0) return {Source::Number, i};
  elog(ERROR, "ecpipe.raw_events has a column ecpipe does not fill: %s", name);
  pg_unreachable();
}

}  // namespace

struct RawWriter::Partition {
  Relation rel = nullptr;
  EState* estate = nullptr;
  ResultRelInfo* rri = nullptr;
  BulkInsertState bistate = nullptr;
  MemoryContext rows = nullptr;  // the Datums of the buffered rows; reset after each flush
  TupleTableSlot* slots[kSlots] = {};
  std::vector<Column> columns;
  int used = 0;
};

RawWriter::RawWriter(DateADT batch, int64_t run_id) : batch_(batch), run_id_(run_id) {}

// On the normal path finish() has released everything; on an error path the aborting transaction does.
RawWriter::~RawWriter() = default;

RawWriter::Partition& RawWriter::partition_for(int32_t unix_day) {
  auto found = partitions_.find(unix_day);
  if (found != partitions_.end()) return *found->second;
  auto p = std::make_unique<Partition>();
  const std::string name = "raw_events_" + [&] {
    int y, m, d;
    civil_from_days(unix_day, y, m, d);
    char buf[16];
    snprintf(buf, sizeof buf, "%04d%02d%02d", y, m, d);
    return std::string(buf);
  }();
  std::vector<Column> columns;
  server_call([&] {
    const Oid relid = get_relname_relid(name.c_str(), get_namespace_oid("ecpipe", false));
    if (!OidIsValid(relid)) elog(ERROR, "partition ecpipe.%s does not exist", name.c_str());
    p->rel = table_open(relid, RowExclusiveLock);
    p->estate = CreateExecutorState();
    p->rri = makeNode(ResultRelInfo);
    InitResultRelInfo(p->rri, p->rel, 1, nullptr, 0);
    ExecOpenIndices(p->rri, false);
    p->bistate = GetBulkInsertState();
    p->rows = AllocSetContextCreate(CurrentMemoryContext, "ecpipe raw rows", ALLOCSET_DEFAULT_SIZES);
    for (int i = 0; i < kSlots; ++i) p->slots[i] = table_slot_create(p->rel, nullptr);
  });
  const TupleDesc desc = RelationGetDescr(p->rel);
  for (int i = 0; i < desc->natts; ++i) {
    const Form_pg_attribute att = TupleDescAttr(desc, i);
    Column c{};
    server_call([&] { c = column_for(NameStr(att->attname)); });
    c.typmod = att->atttypmod;
    p->columns.push_back(c);
  }
  return *partitions_.emplace(unix_day, std::move(p)).first->second;
}

void RawWriter::add(const RawEvent& e, int64_t line_no, int16 failed) {
  Partition& p = partition_for(e.time.event_day);
  TupleTableSlot* slot = p.slots[p.used];
  server_call([&] {
    MemoryContext old = MemoryContextSwitchTo(p.rows);
    ExecClearTuple(slot);
    Datum* values = slot->tts_values;
    bool* nulls = slot->tts_isnull;
    for (size_t i = 0; i < p.columns.size(); ++i) {
      const Column& c = p.columns[i];
      nulls[i] = false;
      switch (c.source) {
        case Source::EventDay: values[i] = DateADTGetDatum(pg_date(e.time.event_day)); break;
        case Source::BatchDate: values[i] = DateADTGetDatum(batch_); break;
        case Source::LineNo: values[i] = Int64GetDatum(line_no); break;
        case Source::RunId: values[i] = Int64GetDatum(run_id_); break;
        case Source::EventTime: values[i] = TimestampTzGetDatum(pg_timestamptz(e.time.unix_micros)); break;
        case Source::Failed: values[i] = Int16GetDatum(failed); break;
        case Source::IsRecommendation:
          nulls[i] = !e.is_recommendation;
          values[i] = BoolGetDatum(e.is_recommendation.value_or(false));
          break;
        case Source::ExtraData:
        case Source::Extras: {
          const auto& json = c.source == Source::ExtraData ? e.extra_data : e.extras;
          nulls[i] = !json;
          values[i] = json ? DirectFunctionCall1(jsonb_in, CStringGetDatum(json->c_str())) : (Datum)0;
          break;
        }
        case Source::Text: {
          const auto& t = e.text[c.index];
          nulls[i] = !t;
          values[i] = t ? PointerGetDatum(cstring_to_text_with_len(t->data(), static_cast<int>(t->size()))) : (Datum)0;
          break;
        }
        case Source::Int:
          nulls[i] = !e.ints[c.index];
          values[i] = Int64GetDatum(e.ints[c.index].value_or(0));
          break;
        case Source::Number:
          nulls[i] = !e.numbers[c.index];
          values[i] = e.numbers[c.index]
                          ? DirectFunctionCall2(numeric, DirectFunctionCall1(float8_numeric, Float8GetDatum(*e.numbers[c.index])),
                                                Int32GetDatum(c.typmod))
                          : (Datum)0;
          break;
      }
    }
    ExecStoreVirtualTuple(slot);
    MemoryContextSwitchTo(old);
  });
  if (++p.used == kSlots) flush(p);
}

void RawWriter::flush(Partition& p) {
  if (p.used == 0) return;
  server_call([&] {
    table_multi_insert(p.rel, p.slots, p.used, GetCurrentCommandId(true), 0, p.bistate);
    for (int i = 0; i < p.used; ++i) {
      ResetPerTupleExprContext(p.estate);
      if (p.rri->ri_NumIndices > 0) {
        List* recheck = ExecInsertIndexTuples(p.rri, p.slots[i], p.estate, false, false, nullptr, NIL);
        list_free(recheck);
      }
      ExecClearTuple(p.slots[i]);
    }
  });
  written_ += p.used;
  p.used = 0;
  server_call([&] { MemoryContextReset(p.rows); });
}

int64_t RawWriter::finish() {
  for (auto& [day, p] : partitions_) flush(*p);
  server_call([&] {
    for (auto& [day, p] : partitions_) {
      for (int i = 0; i < kSlots; ++i) ExecDropSingleTupleTableSlot(p->slots[i]);
      ExecCloseIndices(p->rri);
      FreeBulkInsertState(p->bistate);
      table_finish_bulk_insert(p->rel, 0);
      FreeExecutorState(p->estate);
      table_close(p->rel, NoLock);
      MemoryContextDelete(p->rows);
    }
    CommandCounterIncrement();
  });
  partitions_.clear();
  return written_;
}

}  // namespace ecpipe::pg

// RawWriter: converts each RawEvent to raw_events' column types (numeric(14,2), jsonb, timestamptz) in C and hands
// the row to its event day's TableWriter.
#include "raw_writer.hpp"

#include <cstring>
#include <string>

#include "boundary.hpp"
#include "dates.hpp"
#include "ecpipe/error.hpp"

extern "C" {
#include "utils/numeric.h"
}

namespace ecpipe::pg {

namespace {

// Where each column of raw_events takes its value from.
enum class Source {
  EventDay,
  BatchDate,
  LineNo,
  RunId,
  EventTime,
  Failed,
  IsRecommendation,
  ExtraData,
  Extras,
  Text,
  Int,
  Number
};
struct Column {
  const char* name;
  Source source;
  int index;  // within RawEvent::text / ints / hundredths
};

std::vector<Column> all_columns() {
  std::vector<Column> c = {{"event_day", Source::EventDay, 0},
                           {"batch_date", Source::BatchDate, 0},
                           {"line_no", Source::LineNo, 0},
                           {"run_id", Source::RunId, 0},
                           {"event_time", Source::EventTime, 0},
                           {"failed_checks", Source::Failed, 0},
                           {"is_recommendation", Source::IsRecommendation, 0},
                           {"extra_data", Source::ExtraData, 0},
                           {"extras", Source::Extras, 0}};
  for (int i = 0; i < RawEvent::kTextColumns; ++i) c.push_back({raw_text_column(i), Source::Text, i});
  for (int i = 0; i < RawEvent::kIntColumns; ++i) c.push_back({raw_int_column(i), Source::Int, i});
  for (int i = 0; i < RawEvent::kNumberColumns; ++i) c.push_back({raw_number_column(i), Source::Number, i});
  return c;
}

}  // namespace

RawWriter::RawWriter(DateADT batch, int64_t run_id) : batch_(batch), run_id_(run_id) {}

// On the normal path finish() has released everything; on an error path the aborting transaction does.
RawWriter::~RawWriter() = default;

void RawWriter::open_partition(int32_t unix_day, Oid partition, bool may_freeze) {
  partitions_.emplace(
      unix_day, std::make_unique<TableWriter>(partition, TableWriter::Buffers::Keep,
                                              may_freeze ? TableWriter::Freeze::WhenNew : TableWriter::Freeze::Never));
}

std::vector<int> raw_column_positions(TupleDesc desc) {
  static const std::vector<Column> kColumns = all_columns();
  std::vector<int> positions;
  for (const auto& c : kColumns) {
    int found = -1;
    for (int i = 0; i < desc->natts && found < 0; ++i)
      if (!TupleDescAttr(desc, i)->attisdropped && strcmp(NameStr(TupleDescAttr(desc, i)->attname), c.name) == 0)
        found = i;
    if (found < 0) throw Error(ErrorKind::Internal, std::string("raw_events has no column ") + c.name);
    positions.push_back(found);
  }
  return positions;
}

void fill_raw_row(const RawEvent& e, DateADT batch, int64_t line_no, int64_t run_id, int16 failed,
                  const std::vector<int>& positions, Datum* values, bool* nulls) {
  static const std::vector<Column> kColumns = all_columns();
  for (size_t k = 0; k < kColumns.size(); ++k) {
    const Column& c = kColumns[k];
    Datum& value = values[positions[k]];
    bool& null = nulls[positions[k]];
    null = false;
    switch (c.source) {
      case Source::EventDay: value = DateADTGetDatum(pg_date(e.time.event_day)); break;
      case Source::BatchDate: value = DateADTGetDatum(batch); break;
      case Source::LineNo: value = Int64GetDatum(line_no); break;
      case Source::RunId: value = Int64GetDatum(run_id); break;
      case Source::EventTime: value = TimestampTzGetDatum(pg_timestamptz(e.time.unix_micros)); break;
      case Source::Failed: value = Int16GetDatum(failed); break;
      case Source::IsRecommendation:
        null = !e.is_recommendation;
        value = BoolGetDatum(e.is_recommendation.value_or(false));
        break;
      case Source::ExtraData:
      case Source::Extras: {
        const auto& json = c.source == Source::ExtraData ? e.extra_data : e.extras;
        null = !json;
        value = json ? DirectFunctionCall1(jsonb_in, CStringGetDatum(json->c_str())) : (Datum)0;
        break;
      }
      case Source::Text: {
        const auto& t = e.text[c.index];
        null = !t;
        value = t ? PointerGetDatum(cstring_to_text_with_len(t->data(), static_cast<int>(t->size()))) : (Datum)0;
        break;
      }
      case Source::Int:
        null = !e.ints[c.index];
        value = Int64GetDatum(e.ints[c.index].value_or(0));
        break;
      case Source::Number:  // hundredths as written in the line, so numeric(14,2) exactly
        null = !e.hundredths[c.index];
        value =
            e.hundredths[c.index] ? NumericGetDatum(int64_div_fast_to_numeric(*e.hundredths[c.index], 2)) : (Datum)0;
        break;
    }
  }
}

void RawWriter::add(const RawEvent& e, int64_t line_no, int16 failed) {
  const auto found = partitions_.find(e.time.event_day);
  if (found == partitions_.end())
    throw Error(ErrorKind::Internal, "raw_events partition of an event day was not opened");
  TableWriter& w = *found->second;
  if (positions_.empty()) positions_ = raw_column_positions(w.slot()->tts_tupleDescriptor);  // the parent's layout
  TupleTableSlot* slot = w.slot();
  server_call([&] {
    MemoryContext old = MemoryContextSwitchTo(w.memory());
    fill_raw_row(e, batch_, line_no, run_id_, failed, positions_, slot->tts_values, slot->tts_isnull);
    MemoryContextSwitchTo(old);
  });
  w.store();
}

int64_t RawWriter::finish() {
  int64_t written = 0;
  for (auto& [day, w] : partitions_) written += w->finish();
  partitions_.clear();
  return written;
}

}  // namespace ecpipe::pg

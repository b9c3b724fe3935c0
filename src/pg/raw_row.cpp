// ecpipe.raw_row(line, line_no, batch, run_id, failed_checks, zone): a landed line as a row of ecpipe.raw_events, for
// the distributed load, which runs it on the workers next to the lines (INSERT ... SELECT per shard); and
// ecpipe.line_event_day(line, zone), the day of its timestamp alone, with which that load first finds its partitions.
#include <memory>
#include <string>
#include <vector>

#include "boundary.hpp"
#include "dates.hpp"
#include "raw_writer.hpp"
#include "schema_cache.hpp"
#include "settings.hpp"

#include "ecpipe/line_day.hpp"
#include "ecpipe/line_reader.hpp"
#include "ecpipe/raw_event.hpp"

namespace {

// What one call site keeps between rows: the row type and where each column goes in it.
struct RowShape {
  TupleDesc desc;
  int* positions;
  int count;
};

// The extractor for the schema in use, and the zone last asked for: made once per backend, not once per line.
struct Extraction {
  const ecpipe::CompiledSchema* schema = nullptr;
  std::unique_ptr<ecpipe::RawEventExtractor> extractor;
  std::string zone_name;
  std::unique_ptr<ecpipe::pg::ServerTimeZone> zone;
};
Extraction extraction;

// The zone named by the load's settings, made again only when another is asked for.
const ecpipe::TimeZone& zone_named(const char* name) {
  if (!extraction.zone || extraction.zone_name != name) {
    extraction.zone = std::make_unique<ecpipe::pg::ServerTimeZone>(name);
    extraction.zone_name = name;
  }
  return *extraction.zone;
}

}  // namespace

// NULL for a line without a valid timestamp (a blank one, one that does not parse: never a raw row).
ECPIPE_FUNCTION(ecpipe_line_event_day) {
  using namespace ecpipe::pg;
  text* line_arg = nullptr;
  const char* zone_arg = nullptr;
  server_call([&] {
    line_arg = PG_GETARG_TEXT_PP(0);
    zone_arg = text_to_cstring(PG_GETARG_TEXT_PP(1));
  });
  const std::optional<int32_t> day = ecpipe::line_event_day(
      std::string_view(VARDATA_ANY(line_arg), VARSIZE_ANY_EXHDR(line_arg)), zone_named(zone_arg));
  if (!day) PG_RETURN_NULL();
  return DateADTGetDatum(ecpipe::pg::pg_date(*day));
}

// NULL for a blank line (nothing to load); an error, naming the line, for one that no longer parses (the batch
// changed after its validation).
ECPIPE_FUNCTION(ecpipe_raw_row) {
  using namespace ecpipe::pg;
  for (int i = 0; i < 6; ++i)
    if (PG_ARGISNULL(i) && i != 0)
      throw ecpipe::ServerError(ERRCODE_NULL_VALUE_NOT_ALLOWED, "ecpipe.raw_row: NULL argument");
  if (PG_ARGISNULL(0)) PG_RETURN_NULL();  // a line kept as bytes is never loaded raw
  text* line_arg = nullptr;
  const char* zone_arg = nullptr;
  auto* shape = static_cast<RowShape*>(fcinfo->flinfo->fn_extra);
  server_call([&] {
    line_arg = PG_GETARG_TEXT_PP(0);
    zone_arg = text_to_cstring(PG_GETARG_TEXT_PP(5));
    if (!shape) {
      TupleDesc desc = nullptr;
      if (get_call_result_type(fcinfo, nullptr, &desc) != TYPEFUNC_COMPOSITE)
        elog(ERROR, "ecpipe.raw_row: no row type");
      MemoryContext old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
      shape = static_cast<RowShape*>(palloc0(sizeof(RowShape)));
      shape->desc = BlessTupleDesc(CreateTupleDescCopy(desc));
      MemoryContextSwitchTo(old);
    }
  });
  if (!shape->positions) {
    const std::vector<int> positions = raw_column_positions(shape->desc);
    server_call([&] {
      shape->positions = static_cast<int*>(MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, sizeof(int) * positions.size()));
    });
    for (size_t i = 0; i < positions.size(); ++i) shape->positions[i] = positions[i];
    shape->count = static_cast<int>(positions.size());
    fcinfo->flinfo->fn_extra = shape;
  }
  const std::string_view line(VARDATA_ANY(line_arg), VARSIZE_ANY_EXHDR(line_arg));
  if (ecpipe::is_blank_line(line)) PG_RETURN_NULL();
  const ecpipe::CompiledSchema& schema = current_schema();
  if (extraction.schema != &schema) {
    extraction.extractor = std::make_unique<ecpipe::RawEventExtractor>(schema);
    extraction.schema = &schema;
  }
  const ecpipe::TimeZone& zone = zone_named(zone_arg);
  const int64 line_no = PG_GETARG_INT64(1);
  ecpipe::RawEvent event;
  std::string why;
  if (!extraction.extractor->extract(line, zone, event, why))
    throw ecpipe::ServerError(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
                              ("line " + std::to_string(line_no) +
                               " changed after its validation (it does not parse as an event now): validate the "
                               "batch again")
                                  .c_str());
  const std::vector<int> positions(shape->positions, shape->positions + shape->count);
  Datum result = 0;
  server_call([&] {
    Datum* values = static_cast<Datum*>(palloc0(sizeof(Datum) * shape->desc->natts));
    bool* nulls = static_cast<bool*>(palloc(sizeof(bool) * shape->desc->natts));
    for (int i = 0; i < shape->desc->natts; ++i) nulls[i] = true;
    fill_raw_row(event, PG_GETARG_DATEADT(2), line_no, PG_GETARG_INT64(3), PG_GETARG_INT16(4), positions, values,
                 nulls);
    result = HeapTupleGetDatum(heap_form_tuple(shape->desc, values, nulls));
  });
  return result;
}

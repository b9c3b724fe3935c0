// ecpipe.load_batch(ds, run_id): applies the batch's latest passed validation — replaces its rows in raw_events
// and quarantine in bulk, then rebuilds the marts of every event day it has rows in or had rows in before this load.
#include <climits>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>

#include "citus.hpp"
#include "extension_owner.hpp"
#include "bulk_insert.hpp"
#include "datums.hpp"
#include "dates.hpp"
#include "day_marts_stash.hpp"
#include "heap.hpp"
#include "installed.hpp"
#include "batch_source.hpp"
#include "raw_writer.hpp"
#include "schema_cache.hpp"
#include "settings.hpp"

#include "ecpipe/distinct.hpp"
#include "ecpipe/json_writer.hpp"
#include "ecpipe/mart_aggregator.hpp"
#include "ecpipe/marts.hpp"
#include "ecpipe/quote.hpp"
#include "ecpipe/line_reader.hpp"
#include "ecpipe/raw_event.hpp"
#include "ecpipe/validator.hpp"

namespace ecpipe::pg {

namespace {

// How many event days a load aggregates marts for as it writes them (the first ones met; only those whose partition
// it creates are used): a normal batch has one or two, and each builder holds a day's users and sessions.
constexpr size_t kMaxAggregatedDays = 4;

// The advisory-lock key with which ecpipe SQL at 0.1.0 or 0.2.0 (no ecpipe.lock_day: installed.hpp) serializes the
// runs of a day; the day, counted from 2000-01-01, is the second key.
constexpr int32_t kNotUpdatedRunLockKey = 1701864048;

struct Verdict {
  bool quarantine = false;
  int16 failed = 0;
  std::string reasons;  // comma-separated
  std::string detail;
};

struct Validation {
  bool found = false;
  int64_t run_id = 0;
  std::string status, timezone;
  uint64_t fingerprint = 0;
  std::string source = "landing";  // where its lines were read from
  std::string file[5];             // for a file, its identity: path, size, mtime, device, inode
};

// The batch's validation to load: the run's own when it has one (a run that waited for another run of its day
// validates after it, under a smaller run_id), else the latest.
Validation latest_validation(DateADT batch, int64_t run_id = 0) {
  Validation v;
  // ecpipe SQL at 0.1.0 or 0.2.0 (installed.hpp) validates landed lines only
  spi_exec(validations_record_source()
               ? "SELECT run_id, status, fingerprint, settings->>'timezone', source, source_file->>'path', "
                 "source_file->>'size', source_file->>'mtime', source_file->>'device', source_file->>'inode' "
                 "FROM ecpipe.validations WHERE batch_date = $1 ORDER BY run_id = $2 DESC, run_id DESC LIMIT 1"
               : "SELECT run_id, status, fingerprint, settings->>'timezone', 'landing', NULL, NULL, NULL, NULL, NULL "
                 "FROM ecpipe.validations WHERE batch_date = $1 ORDER BY run_id = $2 DESC, run_id DESC LIMIT 1",
           {DATEOID, INT8OID}, {DateADTGetDatum(batch), Int64GetDatum(run_id)}, nullptr, true);
  const char *status = nullptr, *zone = nullptr;
  const char* text[6] = {};
  server_call([&] {
    if (SPI_processed == 0) return;
    bool isnull = false;
    HeapTuple t = SPI_tuptable->vals[0];
    TupleDesc d = SPI_tuptable->tupdesc;
    v.found = true;
    v.run_id = DatumGetInt64(SPI_getbinval(t, d, 1, &isnull));
    status = SPI_getvalue(t, d, 2);
    v.fingerprint = static_cast<uint64_t>(DatumGetInt64(SPI_getbinval(t, d, 3, &isnull)));
    zone = SPI_getvalue(t, d, 4);
    for (int i = 0; i < 6; ++i) text[i] = SPI_getvalue(t, d, 5 + i);
  });
  if (status) v.status = status;
  v.timezone = zone ? zone : "UTC";
  if (text[0]) v.source = text[0];
  for (int i = 0; i < 5; ++i) v.file[i] = text[1 + i] ? text[1 + i] : "";
  return v;
}

// The batch's source now, which must be the one its validation read: else the batch changed since (a batch landed
// over a validated file, a file replaced, written to or removed) and nothing is loaded. Checked when the load starts,
// when it ends, and by the marts step of a run when it ends (ecpipe.check_batch_source).
BatchSource validated_source(DateADT batch, const Validation& validation) {
  const BatchSource now = validations_record_source() ? find_batch_source(batch) : BatchSource{};
  const std::string day = format_day(unix_day(batch));
  const std::string run = " (run " + std::to_string(validation.run_id) + ")";
  const std::string again = ": validate it again (or run the day again)";
  auto refuse = [](const std::string& message) {
    throw ServerError(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE, message.c_str());
  };
  if (validation.source == "file" && !now.file)
    refuse("file \"" + message_excerpt(validation.file[0]) + "\" of batch " + day + " was validated" + run + ", and " +
           (has_landed_lines(batch) ? "a batch was landed since (a landed batch takes precedence)" : "is gone now") +
           again);
  if (validation.source != "file" && now.file)
    refuse("the landed lines of batch " + day + " were validated" + run +
           " and are gone now (the day's file would be read instead)" + again);
  if (now.file) {
    const std::string identity[5] = {path_text(now), std::to_string(now.stamp.size), format_mtime(now.stamp),
                                     std::to_string(now.stamp.device), std::to_string(now.stamp.inode)};
    for (int i = 0; i < 5; ++i)
      if (!validation.file[i].empty() && identity[i] != validation.file[i])
        refuse("file \"" + message_excerpt(now.path) + "\" of batch " + day + " changed since its validation" + run +
               ": it had " + validation.file[1] + " bytes, modified " + validation.file[2] + "; now " + identity[1] +
               " bytes, modified " + identity[2] + (i >= 3 ? ", another file" : "") + again);
  }
  return now;
}

std::unordered_map<int64_t, Verdict> verdicts_of(int64_t validation_run) {
  std::unordered_map<int64_t, Verdict> out;
  spi_exec(
      "SELECT line_no, disposition = 'quarantine', failed_checks, array_to_string(reasons, ','), detail "
      "FROM ecpipe.line_verdicts WHERE run_id = $1",
      {INT8OID}, {Int64GetDatum(validation_run)}, nullptr, true);
  uint64_t n = 0;
  server_call([&] { n = SPI_processed; });
  for (uint64_t i = 0; i < n; ++i) {
    int64_t line_no = 0;
    Verdict v;
    const char *reasons = nullptr, *detail = nullptr;
    server_call([&] {
      bool isnull = false;
      HeapTuple t = SPI_tuptable->vals[i];
      TupleDesc d = SPI_tuptable->tupdesc;
      line_no = DatumGetInt64(SPI_getbinval(t, d, 1, &isnull));
      v.quarantine = DatumGetBool(SPI_getbinval(t, d, 2, &isnull));
      v.failed = DatumGetInt16(SPI_getbinval(t, d, 3, &isnull));
      reasons = SPI_getvalue(t, d, 4);
      detail = SPI_getvalue(t, d, 5);
    });
    v.reasons = reasons ? reasons : "";
    v.detail = detail ? detail : "";
    out.emplace(line_no, std::move(v));
  }
  return out;
}

// The event days the batch's rows were loaded into (ecpipe.batch_days), whose partitions still exist. Read from the
// map rather than from raw_events: a batch_date predicate prunes no partition, so it would lock every one of them.
// A day outside 0001..9999 (a BC partition) has no partition name and is skipped. ecpipe SQL at 0.1.0 or 0.2.0
// (installed.hpp) has no map: the days are then read from raw_events.
std::set<int64_t> days_of_batch(DateADT batch, bool mapped) {
  std::set<int64_t> days;
  spi_exec(mapped ? "SELECT b.event_day FROM ecpipe.batch_days b WHERE b.batch_date = $1 "
                    "AND CASE WHEN b.event_day BETWEEN '0001-01-01' AND '9999-12-31' THEN "
                    "pg_catalog.to_regclass('ecpipe.' || ecpipe.raw_partition_name(b.event_day)) END IS NOT NULL"
                  : "SELECT DISTINCT event_day FROM ecpipe.raw_events WHERE batch_date = $1",
           {DATEOID}, {DateADTGetDatum(batch)}, nullptr, true);
  server_call([&] {
    for (uint64 i = 0; i < SPI_processed; ++i) {
      bool isnull = false;
      days.insert(unix_day(DatumGetDateADT(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull))));
    }
  });
  return days;
}

// The partition of an event day (made when missing) and whether this call made it.
std::pair<Oid, bool> raw_partition(int64_t day) {
  AsExtensionOwner owner;
  spi_exec("SELECT part, created FROM ecpipe.raw_partition($1)", {DATEOID}, {DateADTGetDatum(pg_date(day))});
  Oid part = InvalidOid;
  bool created = false;
  server_call([&] {
    bool isnull = false;
    part = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
    created = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
  });
  return {part, created};
}

void index_raw_partition(Oid part) {
  AsExtensionOwner owner;
  spi_exec("SELECT ecpipe.index_raw_partition($1)", {REGCLASSOID}, {ObjectIdGetDatum(part)});
}

// Whether a cursor is open in this session: one could read a partition made by this load later, with its own
// snapshot, and frozen rows are visible to every snapshot (COPY FREEZE refuses then too).
bool cursors_open() {
  spi_exec("SELECT EXISTS (SELECT FROM pg_catalog.pg_cursors)", {}, {}, nullptr, true);
  bool open = true;
  server_call([&] {
    bool isnull = false;
    open = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
  });
  return open;
}

// The event days a load may make partitions for (ecpipe.raw_partition_days), as core day numbers.
std::pair<int64_t, int64_t> partition_days() {
  spi_exec("SELECT first, last FROM ecpipe.raw_partition_days()", {}, {}, nullptr, true);
  std::pair<int64_t, int64_t> range;
  server_call([&] {
    bool isnull = false;
    range.first = unix_day(DatumGetDateADT(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull)));
    range.second = unix_day(DatumGetDateADT(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull)));
  });
  return range;
}

// Deletes the batch's rows from the partitions of the given days only: each statement names its day, so the
// planner prunes to that one partition and locks nothing else.
void delete_batch_rows(DateADT batch, const std::set<int64_t>& days) {
  for (int64_t day : days)
    spi_exec("DELETE FROM ecpipe.raw_events WHERE event_day = $1 AND batch_date = $2", {DATEOID, DATEOID},
             {DateADTGetDatum(pg_date(day)), DateADTGetDatum(batch)});
}

// Records the event days the batch now has rows in (replacing what the previous load recorded). The map is the
// load's own: operators may read it, only the extension's owner writes it.
void record_batch_days(DateADT batch, const std::set<int64_t>& days) {
  AsExtensionOwner owner;
  spi_exec("DELETE FROM ecpipe.batch_days WHERE batch_date = $1", {DATEOID}, {DateADTGetDatum(batch)});
  for (int64_t day : days)
    spi_exec("INSERT INTO ecpipe.batch_days (batch_date, event_day) VALUES ($1, $2)", {DATEOID, DATEOID},
             {DateADTGetDatum(batch), DateADTGetDatum(pg_date(day))});
}

struct LoadCounts {
  int64_t loaded = 0, quarantined = 0, users = 0, sessions = 0, orders = 0;
  std::string revenue = "0";  // Σ total_amount of the loaded purchases, as a JSON number
};

std::string result_json(int64_t run_id, DateADT batch, const std::string& status, const LoadCounts& n,
                        const std::set<int64_t>& days) {
  std::string list = "[";
  for (int64_t d : days) {
    if (list.size() > 1) list += ", ";
    append_json_string(list, format_day(d));
  }
  list += "]";
  std::string out;
  JsonObjectWriter(out)
      .num("run_id", run_id)
      .str("batch_date", format_day(unix_day(batch)))
      .str("status", status)
      .num("loaded", n.loaded)
      .num("quarantined", n.quarantined)
      .num("users", n.users)
      .num("sessions", n.sessions)
      .num("orders", n.orders)
      .raw("revenue", n.revenue)
      .raw("days_rebuilt", list)
      .close();
  return out;
}

// Applies the batch's latest validation: its rows into raw_events and quarantine, then (when asked) its days' marts.
std::string load_batch(DateADT batch, int64_t run_id, bool build_marts) {
  // One loader per batch at a time; a second waits here up to ecpipe.run_lock_timeout (and then sees the first one's
  // result, and a validation a run of the day was making). It is the lock ecpipe_run takes for its day, a row lock
  // only ecpipe's roles can take (ecpipe.lock_day); ecpipe SQL at 0.1.0 or 0.2.0 (installed.hpp) has the advisory
  // lock its own ecpipe_run takes.
  if (has_lock_day())
    spi_exec("SELECT ecpipe.lock_day($1, $2)", {DATEOID, INT8OID}, {DateADTGetDatum(batch), Int64GetDatum(run_id)});
  else
    spi_exec("SELECT pg_advisory_xact_lock($1, $2)", {INT4OID, INT4OID},
             {Int32GetDatum(kNotUpdatedRunLockKey), Int32GetDatum(batch)});
  const Validation validation = latest_validation(batch, run_id);
  if (!validation.found)
    throw ServerError(
        ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
        ("batch " + format_day(unix_day(batch)) + " has not been validated: run ecpipe_validate first").c_str());
  if (validation.status != "passed") return result_json(run_id, batch, validation.status, LoadCounts{}, {});
  const BatchSource source = validated_source(batch, validation);
  const auto verdicts = verdicts_of(validation.run_id);
  const bool mapped = has_batch_days();  // the map, and the range of days a partition may be made for
  const std::pair<int64_t, int64_t> allowed =
      mapped ? partition_days() : std::pair<int64_t, int64_t>{INT32_MIN, INT32_MAX};
  int64_t outside_line = 0, outside_day = 0;  // the first event outside it (the batch or the settings changed)
  std::set<int64_t> days = days_of_batch(batch, mapped);
  delete_batch_rows(batch, days);
  spi_exec("DELETE FROM ecpipe.quarantine WHERE batch_date = $1", {DATEOID}, {DateADTGetDatum(batch)});

  RawWriter raw(batch, run_id);
  BulkInsert quarantine(
      "INSERT INTO ecpipe.quarantine (batch_date, run_id, line_no, line, line_bytes, reasons, detail) "
      "SELECT $1, $2, u.n, u.l, u.b, string_to_array(u.r, ','), u.d "
      "FROM unnest($3::int8[], $4::text[], $5::bytea[], $6::text[], $7::text[]) AS u(n, l, b, r, d)",
      {DATEOID, INT8OID}, {DateADTGetDatum(batch), Int64GetDatum(run_id)},
      {INT8OID, TEXTOID, BYTEAOID, TEXTOID, TEXTOID});

  ServerTimeZone zone(validation.timezone.c_str());
  RawEventExtractor extractor(current_schema());
  BatchFingerprint fingerprint;
  std::set<int64_t> partitions;
  std::vector<Oid> new_partitions;  // created by this load: indexed once filled
  // The event side of the marts of days whose partition this load creates: it writes every row of those days, so the
  // marts step builds their marts from these aggregates without reading the rows. Aggregated on a thread of its own,
  // with the distinct users and sessions of the run summary.
  MartAggregator aggregator(kMaxAggregatedDays);
  std::set<int64_t> created_days;
  std::optional<bool> may_freeze;  // its rows may be written frozen (no cursor open)
  RawEvent event;
  DistinctStrings orders;  // for the run summary, without a second pass over raw
  __int128 revenue = 0;
  bool any_revenue = false;
  std::string why;
  std::vector<Datum> q_values(5);
  std::vector<bool> q_nulls(5);
  bool changed = false;

  prepare_batch_step(batch, source);
  scan_batch(source, batch, "load", [&](int64_t line_no, std::string_view line) {
    fingerprint.add(line_no, line);
    const auto found = verdicts.find(line_no);
    if (found != verdicts.end() && found->second.quarantine) {
      const Verdict& v = found->second;
      const bool as_text = storable_as_text(line);
      server_call([&] {
        MemoryContext old = MemoryContextSwitchTo(quarantine.chunk_context());
        q_values[0] = Int64GetDatum(line_no);
        q_values[1] = as_text ? text_datum(line) : (Datum)0;
        q_values[2] = as_text ? (Datum)0 : bytea_datum(line);
        q_values[3] = text_datum(v.reasons);
        q_values[4] = text_datum(v.detail);
        MemoryContextSwitchTo(old);
      });
      q_nulls = {false, !as_text, as_text, false, false};
      quarantine.add_row(q_values, q_nulls, line.size());
      return;
    }
    if (is_blank_line(line)) return;
    if (!extractor.extract(line, zone, event, why)) {
      changed = true;  // validation sent it to raw, so it parsed then: the batch changed since
      return;
    }
    if (event.time.event_day < allowed.first || event.time.event_day > allowed.second) {
      if (outside_line == 0) outside_line = line_no, outside_day = event.time.event_day;
      return;
    }
    if (partitions.insert(event.time.event_day).second) {
      days.insert(event.time.event_day);
      const auto [part, created] = raw_partition(event.time.event_day);
      if (created && !may_freeze) may_freeze = !cursors_open();  // asked once, when the first partition is made
      raw.open_partition(event.time.event_day, part, created && *may_freeze);
      if (created) new_partitions.push_back(part);
      if (created) created_days.insert(event.time.event_day);
      // each new partition holds its locks (table, TOAST, indexes) to the end of the transaction: a batch with
      // events on thousands of new days would exhaust the lock table, so it is refused first, clearly
      if (new_partitions.size() > static_cast<size_t>(max_new_partitions()))
        throw ServerError(ERRCODE_PROGRAM_LIMIT_EXCEEDED,
                          ("ecpipe_load: batch " + format_day(unix_day(batch)) + " has events on more than " +
                           std::to_string(max_new_partitions()) +
                           " days without a raw_events partition (ecpipe.max_new_partitions; line " +
                           std::to_string(line_no) + " is on " + format_day(event.time.event_day) +
                           "): check its timestamps, or raise the setting for this load")
                              .c_str());
    }
    try {
      raw.add(event, line_no, found != verdicts.end() ? found->second.failed : 0);
    } catch (const ServerError& e) {
      // Validation should have sent any line PostgreSQL cannot store to quarantine; if one still slips through,
      // the error says which line it is, so that it can be found and fixed. Any other error (a cancel, a
      // statement_timeout, a full disk) is not the line's: it goes on as it is.
      const int category = ERRCODE_TO_CATEGORY(e.sqlstate());
      if (category != ERRCODE_DATA_EXCEPTION && category != ERRCODE_PROGRAM_LIMIT_EXCEEDED) throw;
      throw ServerError(e.sqlstate(), ("batch " + format_day(unix_day(batch)) + " line " + std::to_string(line_no) +
                                       " cannot be stored: " + e.what())
                                          .c_str());
    }
    aggregator.add(line_no, event);
    if (event.text[RawEvent::EventType] == std::string_view("purchase")) {
      if (const auto& order = event.text[RawEvent::OrderId]) orders.add(*order);
      if (const auto& amount = event.hundredths[RawEvent::TotalAmount]) revenue += *amount, any_revenue = true;
    }
  });
  if (changed || fingerprint.value() != validation.fingerprint)
    throw ServerError(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
                      ((source.file ? "file \"" + message_excerpt(source.path) + "\" of batch " : "batch ") +
                       format_day(unix_day(batch)) + " changed after its validation (run " +
                       std::to_string(validation.run_id) + "): its lines differ; validate it again")
                          .c_str());
  if (outside_line != 0)
    throw ServerError(
        ERRCODE_DATETIME_FIELD_OVERFLOW,
        ("ecpipe_load: line " + std::to_string(outside_line) + " of batch " + format_day(unix_day(batch)) +
         " has event day " + format_day(outside_day) + ", outside the days a load may hold (" +
         format_day(allowed.first) + " to " + format_day(allowed.second) +
         ", from ecpipe.min_year and ecpipe.max_future): validate the batch with this load's settings")
            .c_str());
  // The aggregates first: what counted them is freed (and given back) before the partitions' keys are sorted.
  Aggregates aggregates = aggregator.finish();
  for (auto& [day, aggregated] : aggregates.days)
    if (created_days.count(day))
      stash_day_marts(run_id, day,
                      StashedDay{std::move(aggregated.marts), unix_day(batch), std::move(aggregated.purchase_lines)});
  release_free_heap();  // the aggregator thread's heap arena keeps what it freed otherwise
  LoadCounts counts;
  counts.loaded = raw.finish();
  for (Oid part : new_partitions) index_raw_partition(part);
  if (mapped) record_batch_days(batch, partitions);
  counts.quarantined = quarantine.flush();
  counts.users = aggregates.users;
  counts.sessions = aggregates.sessions;
  counts.orders = static_cast<int64_t>(orders.size());
  counts.revenue = any_revenue ? format_cents(revenue) : "0";  // "0" as coalesce(sum, 0) shows none
  if (build_marts && !days.empty()) {
    // ecpipe.build_marts in ecpipe SQL at 0.1.0 or 0.2.0 (installed.hpp)
    const char* rebuild =
        has_rebuild_day_marts() ? "SELECT ecpipe.rebuild_day_marts($1, $2)" : "SELECT ecpipe.build_marts($1, $2)";
    for (int64_t day : days)
      spi_exec(rebuild, {DATEOID, INT8OID}, {DateADTGetDatum(pg_date(day)), Int64GetDatum(run_id)});
  }
  validated_source(batch, validation);  // a file replaced or written to since the read fails the load
  return result_json(run_id, batch, "loaded", counts, days);
}

}  // namespace

}  // namespace ecpipe::pg

ECPIPE_FUNCTION(ecpipe_load_batch) {
  using namespace ecpipe::pg;
  release_free_heap();
  const DateADT batch = PG_GETARG_DATEADT(0);
  require_pipeline_day(batch, "ecpipe_load");
  const int64_t run_id = PG_GETARG_INT64(1);
  const bool build_marts = PG_GETARG_BOOL(2);
  SpiConnection spi;
  if (tables_distributed()) {  // SQL that Citus runs on the workers (ecpipe.load_distributed), as the data path's role
    AsExtensionOwner owner;
    spi_exec("SELECT ecpipe.load_distributed($1, $2, $3)", {DATEOID, INT8OID, BOOLOID},
             {DateADTGetDatum(batch), Int64GetDatum(run_id), BoolGetDatum(build_marts)});
    Datum result = 0;
    server_call([&] {
      bool isnull = false;
      result = SPI_datumTransfer(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull), false, -1);
    });
    spi.finish();
    return result;
  }
  const std::string result = load_batch(batch, run_id, build_marts);
  spi.finish();
  return jsonb_result(result);
}

// ecpipe.check_batch_source(ds): the batch's source is still the one its latest validation read (see
// validated_source); else 55000. The marts step of a run calls it when it ends.
ECPIPE_FUNCTION(ecpipe_check_batch_source) {
  using namespace ecpipe::pg;
  const DateADT batch = PG_GETARG_DATEADT(0);
  require_pipeline_day(batch, "ecpipe_run");
  SpiConnection spi;
  std::optional<AsExtensionOwner> owner;  // on a distributed ecpipe its landing is read as the data path's role
  if (tables_distributed()) owner.emplace();
  const Validation validation = latest_validation(batch);
  if (validation.found) validated_source(batch, validation);
  spi.finish();
  PG_RETURN_VOID();
}

// ecpipe.check_batch(ds, run_id): the seven checks over a batch (its landed lines, else its file in landing_dir),
// recorded for a run: writes the validation with its source, the quality log (one row per check, with samples) and
// the verdicts of lines that failed anything.
#include <optional>
#include <string>

#include "citus.hpp"
#include "extension_owner.hpp"
#include "shard_validate.hpp"
#include "verdict_writer.hpp"
#include "bulk_insert.hpp"
#include "datums.hpp"
#include "batch_source.hpp"
#include "dates.hpp"
#include "heap.hpp"
#include "installed.hpp"
#include "schema_cache.hpp"
#include "settings.hpp"

#include "ecpipe/json_writer.hpp"
#include "ecpipe/validator.hpp"

namespace ecpipe::pg {

namespace {

std::string samples_json(const CheckResult& c) {
  std::string out = "[";
  for (const auto& s : c.samples) {
    if (out.size() > 1) out += ", ";
    JsonObjectWriter(out).num("line_no", s.line_no).str("event_id", s.event_id).str("reason", s.reason).close();
  }
  return out + "]";
}

std::string settings_json(const Settings& s) {
  std::string out;
  char rate[32], tol[32];
  snprintf(rate, sizeof rate, "%g", s.min_pass_rate);
  snprintf(tol, sizeof tol, "%g", s.amount_tolerance);
  const char* timezone = nullptr;
  const char* max_future = nullptr;
  server_call([&] {
    timezone = GetConfigOption("ecpipe.timezone", false, false);
    max_future = GetConfigOption("ecpipe.max_future", false, false);
  });
  JsonObjectWriter(out)
      .str("timezone", timezone)
      .raw("min_pass_rate", rate)
      .num("min_year", s.min_year)
      .str("max_future", max_future)
      .raw("amount_tolerance", tol)
      .close();
  return out;
}

// Writes the validation, its quality log and (unless verdicts_written) its line verdicts. lines and quarantined are
// the batch's counts (a distributed batch's report holds no lines: its shards counted them).
void write_validation(int64_t run_id, DateADT batch, const BatchSource& source, const BatchReport& r, const Settings& s,
                      int64_t lines, int64_t quarantined, bool verdicts_written) {
  const BatchStatus status = r.status(s.min_pass_rate);
  // the checks of an empty batch say no_data: nothing was checked (PASS where the log predates that status)
  const char* empty_status = status == BatchStatus::NoData && quality_log_takes_no_data() ? "no_data" : nullptr;
  // Older verdicts of this batch are superseded: only the latest validation can be loaded.
  if (!verdicts_written)
    spi_exec("DELETE FROM ecpipe.line_verdicts WHERE batch_date = $1", {DATEOID}, {DateADTGetDatum(batch)});
  Datum settings = 0, status_text = 0;
  const std::string settings_text = settings_json(s);
  server_call([&] {
    settings = DirectFunctionCall1(jsonb_in, CStringGetDatum(settings_text.c_str()));
    status_text = text_datum(batch_status_name(status));
  });
  const std::vector<Oid> types{INT8OID, DATEOID, TEXTOID, INT8OID, INT8OID, INT8OID, INT8OID, INT8OID, JSONBOID};
  std::vector<Datum> row{Int64GetDatum(run_id),
                         DateADTGetDatum(batch),
                         status_text,
                         Int64GetDatum(lines),
                         Int64GetDatum(r.blank_lines),
                         Int64GetDatum(r.parsed_events),
                         Int64GetDatum(quarantined),
                         Int64GetDatum(static_cast<int64_t>(r.fingerprint)),
                         settings};
  if (!validations_record_source()) {  // a database whose ecpipe SQL objects are not yet updated
    spi_exec(
        "INSERT INTO ecpipe.validations (run_id, batch_date, status, lines, blank_lines, events, quarantined, "
        "fingerprint, settings) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        types, row);
  } else {
    Datum source_text = 0, identity = 0;
    const std::string identity_text = source.file ? file_identity_json(source, r.fingerprint) : "";
    server_call([&] {
      source_text = text_datum(source_name(source));
      if (source.file) identity = DirectFunctionCall1(jsonb_in, CStringGetDatum(identity_text.c_str()));
    });
    std::vector<Oid> all_types = types;
    all_types.insert(all_types.end(), {TEXTOID, JSONBOID});
    row.insert(row.end(), {source_text, identity});
    spi_exec(
        "INSERT INTO ecpipe.validations (run_id, batch_date, status, lines, blank_lines, events, quarantined, "
        "fingerprint, settings, source, source_file) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        all_types, row, source.file ? nullptr : "          n");  // no file: source_file is NULL
  }

  BulkInsert log(
      "INSERT INTO ecpipe.quality_log (run_id, batch_date, check_no, check_name, population, failed, "
      "pass_rate, status, samples) "
      "SELECT $1, $2, u.no, u.name, u.pop, u.failed, "
      "CASE WHEN u.pop = 0 THEN 100 ELSE round(100 * (1 - u.failed::numeric / u.pop), 2) END, "
      "u.status, u.samples::jsonb FROM unnest($3::int4[], $4::text[], $5::int8[], $6::int8[], $7::text[], "
      "$8::text[]) AS u(no, name, pop, failed, status, samples)",
      {INT8OID, DATEOID}, {Int64GetDatum(run_id), DateADTGetDatum(batch)},
      {INT4OID, TEXTOID, INT8OID, INT8OID, TEXTOID, TEXTOID});
  for (const auto& c : r.checks) {
    std::vector<Datum> values(6);
    const std::string samples = samples_json(c);
    server_call([&] {
      MemoryContext old = MemoryContextSwitchTo(log.chunk_context());
      values[0] = Int32GetDatum(static_cast<int>(c.id));
      values[1] = text_datum(check_name(c.id));
      values[2] = Int64GetDatum(c.population);
      values[3] = Int64GetDatum(c.failed);
      values[4] = text_datum(empty_status ? empty_status : c.passed(s.min_pass_rate) ? "PASS" : "FAIL");
      values[5] = text_datum(samples);
      MemoryContextSwitchTo(old);
    });
    log.add_row(values, std::vector<bool>(6, false));
  }
  log.flush();

  if (verdicts_written) return;  // by the shards, on a distributed ecpipe
  write_line_verdicts(run_id, batch, r,
                      "INSERT INTO ecpipe.line_verdicts (run_id, batch_date, line_no, disposition, failed_checks, "
                      "reasons, detail) SELECT $1, $2, u.n, u.d, u.f, string_to_array(u.r, ','), u.t "
                      "FROM unnest($3::int8[], $4::text[], $5::int2[], $6::text[], $7::text[]) AS u(n, d, f, r, t)");
}

// Runs the checks over the batch's lines, from its source.
BatchReport validate_batch(DateADT batch, const BatchSource& source, const Settings& settings) {
  ServerTimeZone zone;
  BatchValidator validator(current_schema(), settings, zone);
  validator.reserve(prepare_batch_step(batch, source));
  scan_batch(source, batch, "validate", [&](int64_t line_no, std::string_view line) { validator.add(line_no, line); });
  return validator.finish();
}

}  // namespace

}  // namespace ecpipe::pg

ECPIPE_FUNCTION(ecpipe_check_batch) {
  using namespace ecpipe::pg;
  release_free_heap();
  const DateADT batch = PG_GETARG_DATEADT(0);
  require_pipeline_day(batch, "ecpipe_validate");
  const int64_t run_id = PG_GETARG_INT64(1);
  const ecpipe::Settings settings = current_settings();
  SpiConnection spi;
  const bool distributed = tables_distributed();
  std::optional<AsExtensionOwner> owner;  // a distributed data path reaches the workers as one role
  if (distributed) owner.emplace();
  BatchSource source;  // the landed lines
  if (distributed) {
    // a client's \copy or the day's file are routed to the workers first; a file stays the source (the load removes
    // its copy, once every line is in raw or quarantine)
    source = route_batch(batch, static_cast<uint64_t>(settings.max_line_bytes));
  } else if (validations_record_source()) {
    source = find_batch_source(batch);
  }  // else a database whose ecpipe SQL objects are not yet updated: its landed lines (its collect step lands files)
  ecpipe::BatchStatus verdict;
  if (distributed) {  // each shard's lines checked on its worker, what spans shards settled here
    // taken before the lines are read: a line landed meanwhile makes the load's fingerprint differ, and it refuses
    const uint64_t fingerprint = distributed_fingerprint(batch);
    DistributedValidation d = validate_distributed(batch, run_id, settings);
    d.report.fingerprint = fingerprint;
    write_validation(run_id, batch, source, d.report, settings, d.lines, d.quarantined, true);
    verdict = d.report.status(settings.min_pass_rate);
  } else {
    const ecpipe::BatchReport report = validate_batch(batch, source, settings);
    int64_t quarantined = 0;
    for (const auto& v : report.lines) quarantined += v.disposition == ecpipe::Disposition::Quarantine;
    write_validation(run_id, batch, source, report, settings, static_cast<int64_t>(report.lines.size()), quarantined,
                     false);
    verdict = report.status(settings.min_pass_rate);
  }
  spi.finish();
  Datum status = 0;
  server_call([&] { status = text_datum(ecpipe::batch_status_name(verdict)); });
  return status;
}

// The symbol the 0.1.0 and 0.2.0 scripts bind ecpipe.validate_batch to: a database not yet updated keeps working
// with this library, and CREATE EXTENSION ecpipe VERSION '0.1.0' still installs.
extern "C" {
PG_FUNCTION_INFO_V1(ecpipe_validate_batch);
Datum ecpipe_validate_batch(PG_FUNCTION_ARGS) { return ecpipe_check_batch(fcinfo); }
}

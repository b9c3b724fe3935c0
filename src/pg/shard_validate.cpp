// The seven checks on a distributed ecpipe: ecpipe.line_keys and ecpipe.validate_shard run on the workers, next to
// the lines; validate_distributed drives them from the coordinator and settles what spans shards.
#include "shard_validate.hpp"

#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "boundary.hpp"
#include "bulk_insert.hpp"
#include "datums.hpp"
#include "extension_owner.hpp"
#include "schema_cache.hpp"
#include "settings.hpp"
#include "spi.hpp"
#include "verdict_writer.hpp"

#include "ecpipe/shard_report.hpp"
#include "ecpipe/validator.hpp"

namespace ecpipe::pg {

namespace {

// A line's keys read once per backend's validator (the schema's field table, the parser): made once, reused.
struct KeyReader {
  const CompiledSchema* schema = nullptr;
  int64_t max_line_bytes = 0;
  std::unique_ptr<ServerTimeZone> zone;
  std::unique_ptr<BatchValidator> validator;
};
KeyReader key_reader;

BatchValidator& keys_validator(int64_t max_line_bytes) {
  const CompiledSchema& schema = current_schema();
  if (!key_reader.validator || key_reader.schema != &schema || key_reader.max_line_bytes != max_line_bytes) {
    Settings s;
    s.max_line_bytes = max_line_bytes;
    key_reader.zone = std::make_unique<ServerTimeZone>("UTC");
    key_reader.validator = std::make_unique<BatchValidator>(schema, s, *key_reader.zone);
    key_reader.schema = &schema;
    key_reader.max_line_bytes = max_line_bytes;
  }
  return *key_reader.validator;
}

std::string text_arg(FunctionCallInfo fcinfo, int i) {
  text* t = nullptr;
  server_call([&] { t = PG_GETARG_TEXT_PP(i); });
  return std::string(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
}

// The name of the shard of `table` that holds `route_key`, when that shard is on this node.
std::string local_shard(const char* table, const std::string& route_key) {
  Datum key = 0;
  server_call([&] { key = text_datum(route_key); });
  spi_exec(("SELECT pg_catalog.shard_name('" + std::string(table) +
            "'::pg_catalog.regclass, "
            "pg_catalog.get_shard_id_for_distribution_column('" +
            table +
            "', $1)), "
            "pg_catalog.to_regclass(pg_catalog.shard_name('" +
            table +
            "'::pg_catalog.regclass, "
            "pg_catalog.get_shard_id_for_distribution_column('" +
            table + "', $1))) IS NOT NULL")
               .c_str(),
           {TEXTOID}, {key}, nullptr, true);
  std::string name;
  bool here = false;
  server_call([&] {
    bool isnull = false;
    const char* n = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
    name = n ? n : "";
    here = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
  });
  if (!here)
    throw ServerError(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
                      ("ecpipe.validate_shard: shard " + name + " is not on this node").c_str());
  return name;
}

// Reads (line_no, bytes) of `sql` (one date parameter, then optional ones), in its order, into visit.
void scan_lines(const std::string& sql, const std::vector<Oid>& types, const std::vector<Datum>& values,
                const std::function<void(int64_t, std::string_view)>& visit) {
  struct Line {
    int64_t line_no;
    const char* bytes;
    size_t size;
  };
  std::vector<Line> fetched;
  spi_cursor_scan(
      sql.c_str(), types, values, CURSOR_OPT_NO_SCROLL,
      [&](HeapTuple row, TupleDesc desc) {
        bool isnull = false, no_text = false;
        const int64_t line_no = DatumGetInt64(SPI_getbinval(row, desc, 1, &isnull));
        Datum text = SPI_getbinval(row, desc, 2, &no_text);
        struct varlena* v =
            no_text ? PG_DETOAST_DATUM_PACKED(SPI_getbinval(row, desc, 3, &isnull)) : PG_DETOAST_DATUM_PACKED(text);
        fetched.push_back({line_no, VARDATA_ANY(v), VARSIZE_ANY_EXHDR(v)});
      },
      [&] {
        for (const Line& l : fetched) visit(l.line_no, std::string_view(l.bytes, l.size));
        fetched.clear();
      });
}

std::string settings_text(const Settings& s) {
  const char* zone = nullptr;
  server_call([&] { zone = GetConfigOption("ecpipe.timezone", false, false); });
  return settings_to_json(s, zone ? zone : "UTC");
}

// An int8[] Datum of the values, in the current memory context.
Datum int8_array(const std::vector<int64_t>& values) {
  Datum out = 0;
  server_call([&] {
    std::vector<Datum> d;
    d.reserve(values.size());
    for (int64_t n : values) d.push_back(Int64GetDatum(n));
    out = PointerGetDatum(construct_array(d.data(), static_cast<int>(d.size()), INT8OID, 8, true, TYPALIGN_DOUBLE));
  });
  return out;
}

}  // namespace

DistributedValidation validate_distributed(DateADT batch, int64_t run_id, const Settings& settings) {
  AsExtensionOwner owner;  // as the rest of the distributed data path
  const Datum day = DateADTGetDatum(batch);
  spi_exec("SELECT ecpipe.fill_shard_anchors()", {}, {});
  spi_exec("DELETE FROM ecpipe.line_verdicts WHERE batch_date = $1", {DATEOID}, {day});
  // every line's keys, repartitioned by key between the workers
  spi_exec("DELETE FROM ecpipe.batch_keys WHERE batch_date = $1", {DATEOID}, {day});
  spi_exec(
      "INSERT INTO ecpipe.batch_keys (batch_date, kind, key, line_no, route_key, event_id) "
      "SELECT $1, k.kind, k.key, l.line_no, l.route_key, k.event_id "
      "FROM ecpipe.landing l, LATERAL ecpipe.line_keys(l.line, $2) k WHERE l.batch_date = $1",
      {DATEOID, INT8OID}, {day, Int64GetDatum(settings.max_line_bytes)});
  // what spans shards: the keys of lines on more than one shard (grouped on the workers: only these come back)
  struct Spanning {
    char kind;
    std::string key;
    std::vector<int64_t> lines;
    std::vector<std::string> event_ids;
  };
  std::vector<Spanning> found;
  std::vector<Spanning> fetched;
  spi_cursor_scan(
      "SELECT b.kind, b.key, array_agg(b.line_no ORDER BY b.line_no), "
      "array_agg(coalesce(b.event_id, '') ORDER BY b.line_no) FROM ecpipe.batch_keys b WHERE b.batch_date = $1 "
      "GROUP BY b.kind, b.key "
      "HAVING count(DISTINCT pg_catalog.get_shard_id_for_distribution_column('ecpipe.landing', b.route_key)) > 1",
      {DATEOID}, {day}, CURSOR_OPT_NO_SCROLL,
      [&](HeapTuple row, TupleDesc desc) {
        bool isnull = false;
        Spanning s;
        const char* kind = SPI_getvalue(row, desc, 1);
        s.kind = kind && *kind ? kind[0] : '?';
        const char* key = SPI_getvalue(row, desc, 2);
        s.key = key ? key : "";
        Datum* lines = nullptr;
        int n = 0;
        deconstruct_array(DatumGetArrayTypeP(SPI_getbinval(row, desc, 3, &isnull)), INT8OID, 8, true, TYPALIGN_DOUBLE,
                          &lines, nullptr, &n);
        for (int i = 0; i < n; ++i) s.lines.push_back(DatumGetInt64(lines[i]));
        Datum* ids = nullptr;
        deconstruct_array(DatumGetArrayTypeP(SPI_getbinval(row, desc, 4, &isnull)), TEXTOID, -1, false, TYPALIGN_INT,
                          &ids, nullptr, &n);
        for (int i = 0; i < n; ++i) s.event_ids.push_back(TextDatumGetCString(ids[i]));
        fetched.push_back(std::move(s));
      },
      [&] {
        for (auto& s : fetched) found.push_back(std::move(s));
        fetched.clear();
      });
  SpanningKeys spanning;
  std::vector<int64_t> session_lines;
  for (const auto& s : found) {
    if (s.kind == 'e') {
      spanning.event_first_line[s.key] = s.lines.front();
    } else if (s.kind == 's') {
      spanning.sessions.insert(s.key);
      session_lines.insert(session_lines.end(), s.lines.begin(), s.lines.end());
    } else if (s.kind == 'o') {
      spanning.orders.insert(s.key);
      std::vector<std::pair<int64_t, std::string>> owners;
      for (size_t i = 0; i < s.lines.size(); ++i) owners.push_back({s.lines[i], s.event_ids[i]});
      for (const auto& [line, owner] : settle_orders(owners)) spanning.order_failures[line] = owner;
    }
  }
  std::sort(session_lines.begin(), session_lines.end());
  session_lines.erase(std::unique(session_lines.begin(), session_lines.end()), session_lines.end());

  // every shard validated on its worker, at once; each writes its lines' verdicts next to them
  const std::string settings_json = settings_text(settings), spanning_json = spanning_to_json(spanning);
  Datum settings_datum = 0, spanning_datum = 0;
  server_call([&] {
    settings_datum = text_datum(settings_json);
    spanning_datum = text_datum(spanning_json);
  });
  std::vector<BatchReport> shards;
  DistributedValidation out;
  std::vector<std::string> summaries;
  // The anchors are written first: every shard group's placements are then this transaction's, reached over the
  // connection that wrote them, so the verdicts each worker writes are seen by the load that follows.
  spi_exec("UPDATE ecpipe.shard_anchors SET run_id = $1", {INT8OID}, {Int64GetDatum(run_id)});
  spi_cursor_scan(
      "SELECT ecpipe.validate_shard(a.route_key, $1, $2, $3, $4)::text FROM ecpipe.shard_anchors a",
      {DATEOID, INT8OID, TEXTOID, TEXTOID}, {day, Int64GetDatum(run_id), settings_datum, spanning_datum}, 0,
      [&](HeapTuple row, TupleDesc desc) {
        const char* v = SPI_getvalue(row, desc, 1);
        summaries.push_back(v ? v : "");
      },
      [] {});
  for (const auto& text : summaries) {
    ShardSummary s = shard_summary_from_json(text);
    out.lines += s.lines;
    out.quarantined += s.quarantined;
    shards.push_back(std::move(s.report));
  }

  // the sessions that span shards, walked here over all of their lines
  ServerTimeZone zone;
  BatchValidator walk(current_schema(), settings, zone, nullptr, ValidatorScope::SessionsOnly);
  if (!session_lines.empty()) {
    const Datum lines = int8_array(session_lines);
    scan_lines(
        "SELECT l.line_no, l.line, l.line_bytes FROM ecpipe.landing l WHERE l.batch_date = $1 "
        "AND l.line_no = ANY ($2) ORDER BY l.line_no",
        {DATEOID, INT8ARRAYOID}, {day, lines},
        [&](int64_t line_no, std::string_view line) { walk.add(line_no, line); });
  }
  const BatchReport sessions = walk.finish();
  out.report = merge_shard_checks(shards, sessions);

  // their findings join their lines' verdicts in a few statements however many lines they are: the verdicts read,
  // then updated where a line has one, made (the line still goes to raw) where it has none
  std::map<int64_t, std::vector<const SessionFailureRecord*>> by_line;
  for (const auto& f : sessions.session_failures) by_line[f.line_no].push_back(&f);
  if (by_line.empty()) return out;
  std::vector<int64_t> line_nos;
  for (const auto& entry : by_line) line_nos.push_back(entry.first);
  std::map<int64_t, std::pair<uint8_t, std::string>> had;  // a line's verdict so far: failed checks and detail
  spi_exec(
      "SELECT v.line_no, v.failed_checks, v.detail FROM ecpipe.line_verdicts v "
      "WHERE v.run_id = $1 AND v.line_no = ANY ($2)",
      {INT8OID, INT8ARRAYOID}, {Int64GetDatum(run_id), int8_array(line_nos)}, nullptr, true);
  server_call([&] {
    for (uint64_t i = 0; i < SPI_processed; ++i) {
      bool isnull = false;
      const HeapTuple row = SPI_tuptable->vals[i];
      const int64_t line_no = DatumGetInt64(SPI_getbinval(row, SPI_tuptable->tupdesc, 1, &isnull));
      const auto failed = static_cast<uint8_t>(DatumGetInt16(SPI_getbinval(row, SPI_tuptable->tupdesc, 2, &isnull)));
      const char* detail = SPI_getvalue(row, SPI_tuptable->tupdesc, 3);
      had[line_no] = {failed, detail ? detail : ""};
    }
  });
  BulkInsert updated(
      "UPDATE ecpipe.line_verdicts v SET failed_checks = u.f, reasons = string_to_array(u.r, ','), detail = u.d "
      "FROM unnest($2::int8[], $3::int2[], $4::text[], $5::text[]) AS u(n, f, r, d) "
      "WHERE v.run_id = $1 AND v.line_no = u.n",
      {INT8OID}, {Int64GetDatum(run_id)}, {INT8OID, INT2OID, TEXTOID, TEXTOID});
  BulkInsert made(
      "INSERT INTO ecpipe.line_verdicts (run_id, batch_date, line_no, disposition, failed_checks, reasons, detail, "
      "route_key) SELECT $1, l.batch_date, l.line_no, 'raw', u.f, string_to_array(u.r, ','), u.d, l.route_key "
      "FROM ecpipe.landing l JOIN unnest($3::int8[], $4::int2[], $5::text[], $6::text[]) AS u(n, f, r, d) "
      "ON l.line_no = u.n WHERE l.batch_date = $2",
      {INT8OID, DATEOID}, {Int64GetDatum(run_id), day}, {INT8OID, INT2OID, TEXTOID, TEXTOID});
  for (const auto& [line_no, failures] : by_line) {
    LineVerdict v;
    v.line_no = line_no;
    std::string detail;
    const auto found = had.find(line_no);
    if (found != had.end()) std::tie(v.failed, detail) = found->second;
    for (const SessionFailureRecord* f : failures) apply_session_failure(v.failed, detail, *f);
    BatchReport codes;
    const std::string reasons = codes.reason_codes(v);
    BulkInsert& target = found != had.end() ? updated : made;
    std::vector<Datum> values(4);
    server_call([&] {
      MemoryContext old = MemoryContextSwitchTo(target.chunk_context());
      values = {Int64GetDatum(line_no), Int16GetDatum(static_cast<int16>(v.failed)), text_datum(reasons),
                text_datum(detail)};
      MemoryContextSwitchTo(old);
    });
    target.add_row(values, {false, false, false, false});
  }
  updated.flush();
  made.flush();
  return out;
}

}  // namespace ecpipe::pg

// ecpipe.line_keys(line, max_line_bytes): the keys a line is compared by across lines, one row per kind: 'e' its
// event_id, 's' its session_id, 'o' a purchase's order_id (with its event_id). None for a blank or unparseable line.
ECPIPE_FUNCTION(ecpipe_line_keys) {
  using namespace ecpipe::pg;
  ReturnSetInfo* rsinfo = reinterpret_cast<ReturnSetInfo*>(fcinfo->resultinfo);
  TupleDesc desc = nullptr;
  Tuplestorestate* store = nullptr;
  server_call([&] {
    if (!rsinfo || !IsA(rsinfo, ReturnSetInfo) || !(rsinfo->allowedModes & SFRM_Materialize))
      elog(ERROR, "ecpipe.line_keys: called in a context that cannot take a set");
    if (get_call_result_type(fcinfo, nullptr, &desc) != TYPEFUNC_COMPOSITE)
      elog(ERROR, "ecpipe.line_keys: no row type");
    MemoryContext old = MemoryContextSwitchTo(rsinfo->econtext->ecxt_per_query_memory);
    desc = CreateTupleDescCopy(desc);
    store = tuplestore_begin_heap(true, false, work_mem);
    MemoryContextSwitchTo(old);
    rsinfo->returnMode = SFRM_Materialize;
    rsinfo->setResult = store;
    rsinfo->setDesc = desc;
  });
  if (PG_ARGISNULL(0) || PG_ARGISNULL(1)) return (Datum)0;  // a line kept as bytes never parses
  const std::string line = text_arg(fcinfo, 0);
  const ecpipe::LineKeys k = keys_validator(PG_GETARG_INT64(1)).keys_of(line);
  if (!k.parsed) return (Datum)0;
  auto row = [&](const char* kind, const std::string& key, const std::string* event_id) {
    server_call([&] {
      Datum values[3] = {text_datum(kind), text_datum(key), event_id ? text_datum(*event_id) : (Datum)0};
      bool nulls[3] = {false, false, event_id == nullptr};
      tuplestore_putvalues(store, desc, values, nulls);
    });
  };
  if (!k.event_id.empty()) row("e", k.event_id, nullptr);
  if (!k.session_id.empty()) row("s", k.session_id, nullptr);
  if (k.order_id) row("o", *k.order_id, &k.event_id);
  return (Datum)0;
}

// ecpipe.validate_shard(anchor, ds, run_id, settings, spanning): on the worker holding the anchor's shard group, the
// seven checks over that shard's lines of batch ds, with the coordinator's settings and what spans shards; writes the
// failing lines' verdicts into the co-located shard of ecpipe.line_verdicts; returns the shard's summary (counts and
// samples). Reached through Citus (ecpipe.shard_anchors), inside the run's distributed transaction.
ECPIPE_FUNCTION(ecpipe_validate_shard) {
  using namespace ecpipe::pg;
  for (int i = 0; i < 5; ++i)
    if (PG_ARGISNULL(i))
      throw ecpipe::ServerError(ERRCODE_NULL_VALUE_NOT_ALLOWED, "ecpipe.validate_shard: NULL argument");
  const std::string anchor = text_arg(fcinfo, 0);
  const DateADT batch = PG_GETARG_DATEADT(1);
  const int64_t run_id = PG_GETARG_INT64(2);
  std::string zone_name;
  const ecpipe::Settings settings = ecpipe::settings_from_json(text_arg(fcinfo, 3), zone_name);
  const ecpipe::SpanningKeys spanning = ecpipe::spanning_from_json(text_arg(fcinfo, 4));
  SpiConnection spi;
  const std::string landing = local_shard("ecpipe.landing", anchor);
  const std::string verdicts = local_shard("ecpipe.line_verdicts", anchor);
  ServerTimeZone zone(zone_name.c_str());
  ecpipe::BatchValidator validator(current_schema(), settings, zone, &spanning);
  scan_lines("SELECT l.line_no, l.line, l.line_bytes FROM " + landing + " l WHERE l.batch_date = $1 ORDER BY l.line_no",
             {DATEOID}, {DateADTGetDatum(batch)},
             [&](int64_t line_no, std::string_view line) { validator.add(line_no, line); });
  const ecpipe::BatchReport report = validator.finish();
  write_line_verdicts(run_id, batch, report,
                      "INSERT INTO " + verdicts +
                          " (run_id, batch_date, line_no, disposition, failed_checks, reasons, detail, route_key) "
                          "SELECT $1, $2, u.n, u.d, u.f, string_to_array(u.r, ','), u.t, l.route_key "
                          "FROM unnest($3::int8[], $4::text[], $5::int2[], $6::text[], $7::text[]) AS u(n, d, f, r, t) "
                          "JOIN " +
                          landing + " l ON l.batch_date = $2 AND l.line_no = u.n");
  spi.finish();
  return jsonb_result(ecpipe::shard_summary_to_json(report));
}

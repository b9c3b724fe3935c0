// Finds a batch's source (landed lines, else the day's file in ecpipe.landing_dir) and reads it in line order.
#include "batch_source.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cinttypes>
#include <cstring>
#include <optional>
#include <ctime>

#include "citus.hpp"
#include "extension_owner.hpp"
#include "datums.hpp"
#include "dates.hpp"
#include "landing_scan.hpp"
#include "progress.hpp"
#include "server_files.hpp"
#include "settings.hpp"
#include "shared_buffers.hpp"

#include "ecpipe/error.hpp"
#include "ecpipe/json_writer.hpp"
#include "ecpipe/quote.hpp"
#include "ecpipe/timestamp.hpp"

namespace ecpipe::pg {

namespace {

constexpr int64_t kProgressEvery = 5000;  // lines between two progress reports

// "<landing_dir>/events_YYYYMMDD.jsonl"
std::string day_file(DateADT batch) {
  std::string name = format_day(unix_day(batch));  // YYYY-MM-DD
  name.erase(7, 1).erase(4, 1);
  return std::string(landing_dir()) + "/events_" + name + ".jsonl";
}

std::string stamp_text(const FileStamp& s) { return std::to_string(s.size) + " bytes, modified " + format_mtime(s); }

[[noreturn]] void file_changed(const BatchSource& source, DateADT batch, const FileStamp& now, const char* when) {
  throw ServerError(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
                    ("file \"" + message_excerpt(source.path) + "\" of batch " + format_day(unix_day(batch)) +
                     " changed " + when + " (" + stamp_text(source.stamp) + "; now " + stamp_text(now) +
                     "): nothing was written; run the day again once the file is complete")
                        .c_str());
}

void scan_file(const BatchSource& source, DateADT batch, const char* step,
               const std::function<void(int64_t, std::string_view)>& visit) {
  const uint64_t max_line = static_cast<uint64_t>(current_settings().max_line_bytes);
  LineReader reader(source.path, max_line);
  const FileStamp before = reader.stamp();
  if (before != source.stamp) file_changed(source, batch, before, "since it was found");
  ProgressReporter progress(std::string(step) + " " + format_day(unix_day(batch)));
  std::string_view line;
  std::string cut;
  int64_t line_no = 0;
  while (reader.next(line)) {
    if (reader.cut_from() != 0) {  // as ecpipe_ingest lands it: the first bytes and a note of the length
      cut = cut_line(line, reader.cut_from());
      line = cut;
    }
    visit(++line_no, line);
    if (line_no % kProgressEvery == 0) progress.lines_done(line_no);
  }
  progress.lines_done(line_no);
  const FileStamp after = reader.stamp();
  if (after != before) file_changed(source, batch, after, "while it was read");
}

}  // namespace

bool has_landed_lines(DateADT batch) {
  spi_exec("SELECT EXISTS (SELECT 1 FROM ecpipe.landing l WHERE l.batch_date = $1)", {DATEOID},
           {DateADTGetDatum(batch)}, nullptr, true);
  bool landed = false;
  server_call([&] {
    bool isnull = true;
    landed = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
  });
  return landed;
}

BatchSource find_batch_source(DateADT batch) {
  BatchSource source;
  const std::string dir = landing_dir();
  if (dir.empty() || has_landed_lines(batch)) return source;
  // A directory that is missing (unmounted, mistyped) must not read as a day without data.
  struct stat st;
  if (dir[0] != '/')
    throw ServerError(ERRCODE_INVALID_PARAMETER_VALUE,
                      ("ecpipe.landing_dir \"" + message_excerpt(dir) + "\" is not an absolute path").c_str());
  if (::stat(dir.c_str(), &st) != 0)
    throw Error(ErrorKind::Io, "ecpipe.landing_dir \"" + message_excerpt(dir) + "\": " + std::strerror(errno));
  if (!S_ISDIR(st.st_mode))
    throw Error(ErrorKind::Io, "ecpipe.landing_dir \"" + message_excerpt(dir) + "\" is not a directory");
  const std::string path = day_file(batch);
  if (::stat(path.c_str(), &st) != 0) {
    const int e = errno;
    if (e == ENOENT && ::lstat(path.c_str(), &st) == 0)
      throw Error(ErrorKind::Io, "\"" + message_excerpt(path) + "\" is a symbolic link to a file that does not exist");
    if (e == ENOENT) return source;  // no file: the batch is the (empty) landing
    throw Error(ErrorKind::Io, "could not stat \"" + message_excerpt(path) + "\": " + std::strerror(e));
  }
  source.file = true;
  source.path = resolve_server_path(path);
  source.stamp = LineReader(source.path, 1).stamp();  // a regular file, opened as the scan will open it
  return source;
}

void scan_batch(const BatchSource& source, DateADT batch, const char* step,
                const std::function<void(int64_t, std::string_view)>& visit) {
  if (source.file)
    scan_file(source, batch, step, visit);
  else
    scan_landing(batch, step, visit);
}

size_t prepare_batch_step(DateADT batch, const BatchSource& source) {
  // a landed line takes 128 bytes of heap or more
  const size_t lines =
      source.file ? static_cast<size_t>(LineReader(source.path, 1).estimated_lines()) : landing_lines_hint(batch);
  map_shared_buffers(static_cast<uint64_t>(lines) * 128);
  return lines;
}

const char* source_name(const BatchSource& source) { return source.file ? "file" : "landing"; }

std::string format_mtime(const FileStamp& stamp) {
  struct tm t;
  const time_t seconds = static_cast<time_t>(stamp.mtime_sec);
  char text[64];
  if (!gmtime_r(&seconds, &t) || strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &t) == 0)
    return std::to_string(stamp.mtime_sec) + "." + std::to_string(stamp.mtime_nsec);
  char nanos[16];
  snprintf(nanos, sizeof nanos, ".%09" PRId64 "Z", stamp.mtime_nsec);
  return std::string(text) + nanos;
}

std::string path_text(const BatchSource& source) {
  return storable_as_text(source.path) ? source.path : message_excerpt(source.path, 1000);
}

void write_file_identity(JsonObjectWriter& json, const BatchSource& source) {
  json.str("path", path_text(source))
      .num("size", static_cast<int64_t>(source.stamp.size))
      .str("mtime", format_mtime(source.stamp))
      .str("device", std::to_string(source.stamp.device))
      .str("inode", std::to_string(source.stamp.inode));
}

std::string file_identity_json(const BatchSource& source, uint64_t fingerprint) {
  char hash[24];
  snprintf(hash, sizeof hash, "%016" PRIx64, fingerprint);
  std::string out;
  JsonObjectWriter json(out);
  write_file_identity(json, source);
  json.str("hash", hash).close();
  return out;
}

}  // namespace ecpipe::pg

// ecpipe.batch_source(ds): where a run of ds would read its batch now, as jsonb: {"source": "landing"} or
// {"source": "file", "path", "size", "mtime"} (the collect step of ecpipe_run), and "landed": whether the batch has
// landed lines. On a distributed ecpipe a day's file is not read in place: the validation routes its lines to the
// workers ("routed": true); lines a client copied are taken to landing first ("copied": how many).
ECPIPE_FUNCTION(ecpipe_batch_source) {
  using namespace ecpipe::pg;
  const DateADT batch = PG_GETARG_DATEADT(0);
  require_pipeline_day(batch, "ecpipe_run");
  SpiConnection spi;
  const bool distributed = tables_distributed();
  std::optional<AsExtensionOwner> owner;  // a distributed data path reaches the workers as one role
  uint64_t copied = 0;
  if (distributed) {
    owner.emplace();
    copied = route_landing_import(batch);  // a client's \copy, through any node
  }
  const BatchSource source = find_batch_source(batch);
  const bool landed = !source.file && has_landed_lines(batch);
  owner.reset();
  spi.finish();
  std::string out;
  ecpipe::JsonObjectWriter json(out);
  json.str("source", source_name(source));
  if (source.file) write_file_identity(json, source);
  if (source.file && distributed) json.raw("routed", "true");  // by the validation, to the workers
  if (copied > 0) json.raw("copied", std::to_string(copied));  // taken from landing_import just now
  json.raw("landed", landed ? "true" : "false");
  json.close();
  return jsonb_result(out);
}

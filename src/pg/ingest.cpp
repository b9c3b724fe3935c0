// ecpipe_ingest(ds, path): lands a server-side JSONL file as batch ds, replacing it, every byte of every line kept.
#include <climits>
#include <cstdlib>
#include <string>

#include "dates.hpp"
#include "settings.hpp"
#include "spi.hpp"

#include "ecpipe/error.hpp"
#include "ecpipe/line_reader.hpp"

namespace ecpipe::pg {

namespace {

constexpr size_t kChunkLines = 10000;
constexpr size_t kChunkBytes = 16 << 20;

// Reading server files is the privilege of superusers and pg_read_server_files, as for COPY FROM a file.
void require_read_privilege() {
  bool allowed = false;
  server_call([&] { allowed = superuser() || has_privs_of_role(GetUserId(), ROLE_PG_READ_SERVER_FILES); });
  if (!allowed)
    throw ServerError(ERRCODE_INSUFFICIENT_PRIVILEGE,
                      "ecpipe_ingest reads server files: it needs superuser or the pg_read_server_files role");
}

// With ecpipe.landing_dir set, a relative path is taken inside it and the resolved file must stay inside it.
std::string resolve_path(const std::string& path) {
  const std::string dir = landing_dir();
  if (dir.empty()) return path;
  const std::string joined = !path.empty() && path[0] == '/' ? path : dir + "/" + path;
  char real_dir[PATH_MAX], real_file[PATH_MAX];
  if (!realpath(dir.c_str(), real_dir)) throw Error(ErrorKind::Io, "ecpipe.landing_dir \"" + dir + "\" does not exist");
  if (!realpath(joined.c_str(), real_file)) throw Error(ErrorKind::Io, "could not open \"" + joined + "\": no such file");
  const std::string root = std::string(real_dir) + "/";
  if (std::string(real_file).compare(0, root.size(), root) != 0)
    throw ServerError(ERRCODE_INSUFFICIENT_PRIVILEGE,
                      ("\"" + path + "\" is outside ecpipe.landing_dir (" + dir + ")").c_str());
  return real_file;
}

// Buffers lines and inserts them a chunk at a time through one prepared INSERT ... unnest.
class LandingWriter {
 public:
  explicit LandingWriter(DateADT batch) : batch_(batch) {
    plan_ = spi_prepare(
        "INSERT INTO ecpipe.landing (batch_date, line_no, line, line_bytes) "
        "SELECT $1, $2 + u.o - 1, u.l, u.b FROM unnest($3::text[], $4::bytea[]) WITH ORDINALITY AS u(l, b, o)",
        {DATEOID, INT8OID, TEXTARRAYOID, BYTEAARRAYOID});
    server_call([&] {
      chunk_ctx_ = AllocSetContextCreate(CurrentMemoryContext, "ecpipe landing chunk", ALLOCSET_DEFAULT_SIZES);
    });
  }

  void add(std::string_view line) {
    const bool text = storable_as_text(line);
    Datum d = 0;
    server_call([&] {
      MemoryContext old = MemoryContextSwitchTo(chunk_ctx_);
      d = text ? PointerGetDatum(cstring_to_text_with_len(line.data(), static_cast<int>(line.size())))
               : PointerGetDatum(bytea_from(line));
      MemoryContextSwitchTo(old);
    });
    texts_.push_back(text ? d : (Datum)0);
    text_nulls_.push_back(!text);
    bytes_.push_back(text ? (Datum)0 : d);
    byte_nulls_.push_back(text);
    chunk_bytes_ += line.size();
    if (texts_.size() >= kChunkLines || chunk_bytes_ >= kChunkBytes) flush();
  }

  int64_t flush() {
    if (texts_.empty()) return written_;
    const int64_t first = written_ + 1;
    Datum text_array = 0, byte_array = 0;
    server_call([&] {
      MemoryContext old = MemoryContextSwitchTo(chunk_ctx_);
      text_array = array_of(texts_, text_nulls_, TEXTOID);
      byte_array = array_of(bytes_, byte_nulls_, BYTEAOID);
      MemoryContextSwitchTo(old);
    });
    spi_exec_plan(plan_, {DateADTGetDatum(batch_), Int64GetDatum(first), text_array, byte_array});
    written_ += static_cast<int64_t>(texts_.size());
    texts_.clear(), bytes_.clear(), text_nulls_.clear(), byte_nulls_.clear();
    chunk_bytes_ = 0;
    server_call([&] { MemoryContextReset(chunk_ctx_); });
    return written_;
  }

 private:
  static bytea* bytea_from(std::string_view s) {
    bytea* b = static_cast<bytea*>(palloc(VARHDRSZ + s.size()));
    SET_VARSIZE(b, VARHDRSZ + s.size());
    memcpy(VARDATA(b), s.data(), s.size());
    return b;
  }
  static Datum array_of(std::vector<Datum>& values, std::vector<bool>& nulls, Oid type) {
    int dims[1] = {static_cast<int>(values.size())};
    int lbs[1] = {1};
    bool* isnull = static_cast<bool*>(palloc(sizeof(bool) * values.size()));
    for (size_t i = 0; i < values.size(); ++i) isnull[i] = nulls[i];
    return PointerGetDatum(construct_md_array(values.data(), isnull, 1, dims, lbs, type, -1, false, TYPALIGN_INT));
  }

  DateADT batch_;
  SPIPlanPtr plan_ = nullptr;
  MemoryContext chunk_ctx_ = nullptr;
  std::vector<Datum> texts_, bytes_;
  std::vector<bool> text_nulls_, byte_nulls_;
  size_t chunk_bytes_ = 0;
  int64_t written_ = 0;
};

}  // namespace

// Checks that the database can hold the lines as UTF-8 text (the event format is UTF-8).
void require_utf8_database() {
  if (GetDatabaseEncoding() != PG_UTF8)
    throw ServerError(ERRCODE_FEATURE_NOT_SUPPORTED, "ecpipe needs a database with UTF8 encoding");
}

}  // namespace ecpipe::pg

ECPIPE_FUNCTION(ecpipe_ingest) {
  using namespace ecpipe::pg;
  require_read_privilege();
  require_utf8_database();
  const DateADT batch = PG_GETARG_DATEADT(0);
  char* path_arg = nullptr;
  server_call([&] { path_arg = text_to_cstring(PG_GETARG_TEXT_PP(1)); });
  ecpipe::LineReader reader(resolve_path(path_arg));

  SpiConnection spi;
  spi_exec("DELETE FROM ecpipe.landing WHERE batch_date = $1", {DATEOID}, {DateADTGetDatum(batch)});
  LandingWriter writer(batch);
  std::string_view line;
  while (reader.next(line)) {
    writer.add(line);
    server_call([] { CHECK_FOR_INTERRUPTS(); });
  }
  const int64_t lines = writer.flush();
  spi.finish();
  return Int64GetDatum(lines);
}

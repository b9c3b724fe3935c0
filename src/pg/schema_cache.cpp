// Per-backend cache of the compiled event schema, keyed by the file's modification time and size; and
// ecpipe_schema_info(), which compiles a schema (given or installed) and summarises it.
#include "schema_cache.hpp"

#include <sys/stat.h>

#include <memory>

#include "boundary.hpp"
#include "datums.hpp"
#include "ecpipe/error.hpp"

namespace ecpipe::pg {

namespace {
struct Cached {
  std::unique_ptr<CompiledSchema> schema;
  struct timespec mtime = {};
  off_t size = -1;
};
Cached cache;
}  // namespace

std::string installed_schema_path() {
  char share[MAXPGPATH];
  get_share_path(my_exec_path, share);
  return std::string(share) + "/extension/ecpipe_event_schema.json";
}

const CompiledSchema& current_schema() {
  const std::string path = installed_schema_path();
  struct stat st;
  if (stat(path.c_str(), &st) != 0) throw Error(ErrorKind::Io, "event schema \"" + path + "\" is missing");
  // Refused before reading: a FIFO would block the open, a huge file would be read whole only to be refused.
  if (!S_ISREG(st.st_mode))
    throw Error(ErrorKind::SchemaInvalid, "event schema \"" + path + "\" is not a regular file");
  if (static_cast<uint64_t>(st.st_size) > CompiledSchema::kMaxSchemaBytes)
    throw Error(ErrorKind::SchemaInvalid, "event schema \"" + path + "\" is " + std::to_string(st.st_size) +
                                              " bytes; a schema may have at most " +
                                              std::to_string(CompiledSchema::kMaxSchemaBytes));
  if (!cache.schema || st.st_mtim.tv_sec != cache.mtime.tv_sec || st.st_mtim.tv_nsec != cache.mtime.tv_nsec ||
      st.st_size != cache.size) {
    auto fresh = std::make_unique<CompiledSchema>(CompiledSchema::compile(read_file(path)));
    cache.schema = std::move(fresh);
    cache.mtime = st.st_mtim;
    cache.size = st.st_size;
  }
  return *cache.schema;
}

}  // namespace ecpipe::pg

ECPIPE_FUNCTION(ecpipe_schema_info) {
  std::string summary;
  if (PG_ARGISNULL(0)) {
    summary = ecpipe::schema_summary(ecpipe::pg::current_schema());
  } else {
    // The detoasted argument lives until the call returns; compile() refuses an oversized one before parsing.
    std::string_view schema_text;
    ecpipe::pg::server_call([&] {
      text* arg = PG_GETARG_TEXT_PP(0);
      schema_text = std::string_view(VARDATA_ANY(arg), VARSIZE_ANY_EXHDR(arg));
    });
    summary = ecpipe::schema_summary(ecpipe::CompiledSchema::compile(schema_text));
  }
  return ecpipe::pg::jsonb_result(summary);
}

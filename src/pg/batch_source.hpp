// Where a batch's lines come from: lines landed in ecpipe.landing, else the day's file in ecpipe.landing_dir, read in
// place. Both give the same lines with the same numbers.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "spi.hpp"

#include "ecpipe/json_writer.hpp"
#include "ecpipe/line_reader.hpp"

namespace ecpipe::pg {

struct BatchSource {
  bool file = false;  // false: the lines landed in ecpipe.landing (perhaps none)
  std::string path;   // the file, every link resolved
  FileStamp stamp;    // its size and modification time when it was found (or validated)
};

// Whether lines of the batch are landed in ecpipe.landing (or ecpipe.landing_import).
bool has_landed_lines(DateADT batch);

// The batch's source now: its landed lines when it has any (a landed batch takes precedence); else
// <ecpipe.landing_dir>/events_YYYYMMDD.jsonl when that file exists; else the landing, empty. A landing_dir that is no
// absolute path to a directory, and a day's file that is a dangling link, are errors (not a day without data). The
// directory is the superuser's choice (the setting is superuser-only), so reading inside it needs no further
// privilege. Needs an open SpiConnection.
BatchSource find_batch_source(DateADT batch);

// Calls visit(line_no, bytes) for every line of the batch, in line order, reporting progress as "<step> <batch>".
// A file is read as ecpipe_ingest would land it (a line past ecpipe.max_line_bytes cut with a note), and must be
// the version `source.stamp` names, unchanged while it is read: else the call fails (55000) and the caller's
// transaction writes nothing.
void scan_batch(const BatchSource& source, DateADT batch, const char* step,
                const std::function<void(int64_t, std::string_view)>& visit);

// Called by a step over the whole batch (validate, load) before it starts: maps shared_buffers into the backend when
// the batch is big enough for that to pay (map_shared_buffers). Returns about how many lines the batch holds (a size
// hint for per-line state, not a count).
size_t prepare_batch_step(DateADT batch, const BatchSource& source);

// "landing" or "file".
const char* source_name(const BatchSource& source);
// A file's identity as recorded in ecpipe.validations.source_file and ecpipe.runs.source_file: {"path", "size",
// "mtime" (UTC, to the nanosecond), "device", "inode", "hash" (the 64-bit fingerprint of its numbered lines,
// hexadecimal)}.
std::string file_identity_json(const BatchSource& source, uint64_t fingerprint);
// The path as recorded: exactly, when it is valid UTF-8 (JSON escapes the rest), else escaped.
std::string path_text(const BatchSource& source);
// Writes "path", "size", "mtime", "device" and "inode" as file_identity_json does.
void write_file_identity(JsonObjectWriter& json, const BatchSource& source);
// The modification time as file_identity_json writes it: "2024-01-02T03:04:05.123456789Z".
std::string format_mtime(const FileStamp& stamp);

}  // namespace ecpipe::pg

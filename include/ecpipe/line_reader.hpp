// Streams a JSONL file line by line with a bounded buffer; every byte of every line is kept (CR included), up to
// a longest line: the first bytes of a longer line are kept and the rest is skipped.
#pragma once
#include <sys/stat.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace ecpipe {

// What identifies a file's version without reading it: which file it is (device, inode), its size and its
// modification time (nanoseconds).
struct FileStamp {
  uint64_t device = 0, inode = 0;
  uint64_t size = 0;
  int64_t mtime_sec = 0;
  int64_t mtime_nsec = 0;
  bool operator==(const FileStamp& o) const {
    return device == o.device && inode == o.inode && size == o.size && mtime_sec == o.mtime_sec &&
           mtime_nsec == o.mtime_nsec;
  }
  bool operator!=(const FileStamp& o) const { return !(*this == o); }
};

// The most lines estimated_lines() says: per-line state reserved up front stays under a GiB.
constexpr uint64_t kMaxEstimatedLines = 16u << 20;

// The stamp of the file at path (following symbolic links), as LineReader::stamp() gives it for an open file.
FileStamp stamp_of(const struct stat& st);

class LineReader {
 public:
  // Opens a regular file only: the path is opened without following a symbolic link in its last component and
  // without blocking (a FIFO never stalls the open), and the opened descriptor must be a regular file; anything
  // else (FIFO, device, directory, socket) throws Error(Io) naming the path. Lines longer than max_line_bytes
  // are cut to their first max_line_bytes bytes. Reading polls for interrupts.
  LineReader(const std::string& path, uint64_t max_line_bytes);
  ~LineReader();
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;

  // Next line without its '\n'; valid until the next call. A final line without '\n' is still a line;
  // the empty remainder after a final '\n' is not.
  bool next(std::string_view& line);
  // The full length in bytes of the line next() returned last when it was longer than max_line_bytes (and so
  // cut to its first max_line_bytes bytes); 0 when it was returned whole.
  uint64_t cut_from() const { return cut_from_; }
  // The open file's size and modification time now (fstat): taken before and after a read, equal stamps say the
  // file was not written meanwhile.
  FileStamp stamp() const;
  // About how many lines the file holds, from the newlines in its first MiB (a size hint, not a count), never more
  // than kMaxEstimatedLines whatever the file claims (a sparse or hostile file must not size memory); reads with
  // pread, so next() is not disturbed.
  uint64_t estimated_lines() const;

 private:
  bool fill();
  bool cut_long_line(std::string_view& line);
  int fd_ = -1;
  std::string path_;
  uint64_t max_line_;
  std::string buf_;
  size_t begin_ = 0, end_ = 0;
  bool eof_ = false;
  uint64_t cut_from_ = 0;
};

// A line longer than ecpipe.max_line_bytes as ecpipe_ingest lands it: its first bytes, then a NUL byte (so that it
// can never parse as JSON), then a note saying how long the line was.
std::string cut_line(std::string_view first_bytes, uint64_t length);
// The note of a line landed by cut_line(), or an empty view for any other line.
std::string_view cut_line_note(std::string_view landed);

// True when a line is blank: empty or only JSON whitespace (space, tab, CR, LF). Blank lines are ignored.
bool is_blank_line(std::string_view line);

// True when a line can be stored as PostgreSQL text in a UTF8 database: valid UTF-8 and no NUL byte.
bool storable_as_text(std::string_view line);

}  // namespace ecpipe

// Streams a JSONL file line by line with a bounded buffer; every byte of every line is kept (CR included).
#pragma once
#include <cstdio>
#include <string>
#include <string_view>

namespace ecpipe {

class LineReader {
 public:
  explicit LineReader(const std::string& path);  // throws Error(Io)
  ~LineReader();
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;

  // Next line without its '\n'; valid until the next call. A final line without '\n' is still a line;
  // the empty remainder after a final '\n' is not.
  bool next(std::string_view& line);

 private:
  bool fill();
  FILE* file_;
  std::string path_;
  std::string buf_;
  size_t begin_ = 0, end_ = 0;
  bool eof_ = false;
};

// True when a line is blank: empty or only JSON whitespace (space, tab, CR, LF). Blank lines are ignored.
bool is_blank_line(std::string_view line);

// True when a line can be stored as PostgreSQL text in a UTF8 database: valid UTF-8 and no NUL byte.
bool storable_as_text(std::string_view line);

}  // namespace ecpipe

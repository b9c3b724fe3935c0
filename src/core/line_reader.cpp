// Buffered line splitting of landing files, and the text-or-bytes decision for each line.
#include "ecpipe/line_reader.hpp"

#include <simdjson.h>

#include <cerrno>
#include <cstring>

#include "ecpipe/error.hpp"
#include "ecpipe/utf8.hpp"
#include "ecpipe/core_only.hpp"

namespace ecpipe {

LineReader::LineReader(const std::string& path) : file_(std::fopen(path.c_str(), "rb")), path_(path) {
  if (!file_) throw Error(ErrorKind::Io, "could not open \"" + path + "\": " + std::strerror(errno));
  buf_.resize(1 << 20);
}

LineReader::~LineReader() {
  if (file_) std::fclose(file_);
}

// Moves the unread tail to the front and reads more; grows the buffer when one line fills it.
bool LineReader::fill() {
  if (eof_) return false;
  if (begin_ > 0) {
    std::memmove(&buf_[0], &buf_[begin_], end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  if (end_ == buf_.size()) buf_.resize(buf_.size() * 2);
  size_t got = std::fread(&buf_[end_], 1, buf_.size() - end_, file_);
  if (got == 0) {
    if (std::ferror(file_)) throw Error(ErrorKind::Io, "could not read \"" + path_ + "\": " + std::strerror(errno));
    eof_ = true;
    return false;
  }
  end_ += got;
  return true;
}

bool LineReader::next(std::string_view& line) {
  size_t scanned = begin_;
  for (;;) {
    const void* nl = std::memchr(&buf_[scanned], '\n', end_ - scanned);
    if (nl) {
      size_t at = static_cast<const char*>(nl) - buf_.data();
      line = std::string_view(&buf_[begin_], at - begin_);
      begin_ = at + 1;
      return true;
    }
    size_t consumed = end_ - begin_;
    if (!fill()) {
      if (begin_ == end_) return false;
      line = std::string_view(&buf_[begin_], end_ - begin_);
      begin_ = end_;
      return true;
    }
    scanned = begin_ + consumed;
  }
}

bool is_blank_line(std::string_view line) {
  for (char c : line)
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n') return false;
  return true;
}

bool utf8_valid(std::string_view s) { return simdjson::validate_utf8(s.data(), s.size()); }

bool storable_as_text(std::string_view line) {
  return std::memchr(line.data(), '\0', line.size()) == nullptr && utf8_valid(line);
}

}  // namespace ecpipe

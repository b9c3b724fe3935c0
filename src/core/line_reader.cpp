// Buffered line splitting of landing files (regular files only, lines bounded), and the text-or-bytes decision.
#include "ecpipe/line_reader.hpp"

#include <fcntl.h>
#include <simdjson.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "ecpipe/error.hpp"
#include "ecpipe/interrupts.hpp"
#include "ecpipe/quote.hpp"
#include "ecpipe/utf8.hpp"
#include "ecpipe/core_only.hpp"

namespace ecpipe {

namespace {

constexpr size_t kChunk = 1 << 20;  // bytes read at a time; interrupts are polled between reads
constexpr std::string_view kCutNote = "ecpipe: line of ";

const char* file_kind(mode_t mode) {
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISLNK(mode)) return "a symbolic link";
  return "not a regular file";
}

}  // namespace

LineReader::LineReader(const std::string& path, uint64_t max_line_bytes)
    : path_(message_excerpt(path)), max_line_(max_line_bytes == 0 ? 1 : max_line_bytes) {
  // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer, past any cancel. O_NOFOLLOW: the
  // caller resolved the path (and checked where it leads); a symbolic link put there since is refused.
  fd_ = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
  if (fd_ < 0) {
    const int e = errno;
    if (e == ELOOP) throw Error(ErrorKind::Io, "could not open \"" + path_ + "\": it is a symbolic link");
    throw Error(ErrorKind::Io, "could not open \"" + path_ + "\": " + std::strerror(e));
  }
  struct stat st;
  if (::fstat(fd_, &st) != 0) {
    const int e = errno;
    ::close(fd_);
    throw Error(ErrorKind::Io, "could not stat \"" + path_ + "\": " + std::strerror(e));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd_);
    fd_ = -1;
    throw Error(ErrorKind::Io, "\"" + path_ + "\" is " + file_kind(st.st_mode) + ": ecpipe reads regular files only");
  }
  const int flags = ::fcntl(fd_, F_GETFL);
  if (flags >= 0) ::fcntl(fd_, F_SETFL, flags & ~O_NONBLOCK);
  buf_.resize(kChunk);
}

FileStamp stamp_of(const struct stat& st) {
  return FileStamp{static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino),
                   static_cast<uint64_t>(st.st_size), static_cast<int64_t>(st.st_mtim.tv_sec),
                   static_cast<int64_t>(st.st_mtim.tv_nsec)};
}

FileStamp LineReader::stamp() const {
  struct stat st;
  if (::fstat(fd_, &st) != 0) throw Error(ErrorKind::Io, "could not stat \"" + path_ + "\": " + std::strerror(errno));
  return stamp_of(st);
}

uint64_t LineReader::estimated_lines() const {
  const uint64_t size = stamp().size;
  std::string sample(static_cast<size_t>(std::min<uint64_t>(size, 1u << 20)), '\0');
  ssize_t got;
  do {
    got = ::pread(fd_, &sample[0], sample.size(), 0);
  } while (got < 0 && errno == EINTR);
  if (got <= 0) return 0;
  const uint64_t newlines = static_cast<uint64_t>(std::count(sample.begin(), sample.begin() + got, '\n'));
  if (newlines == 0) return 1;
  const unsigned __int128 estimate = static_cast<unsigned __int128>(size) * newlines / static_cast<uint64_t>(got) + 1;
  return estimate > kMaxEstimatedLines ? kMaxEstimatedLines : static_cast<uint64_t>(estimate);
}

LineReader::~LineReader() {
  if (fd_ >= 0) ::close(fd_);
}

// Moves the unread tail to the front and reads more; grows the buffer when one line fills it.
bool LineReader::fill() {
  poll_interrupts();
  if (eof_) return false;
  if (begin_ > 0) {
    std::memmove(&buf_[0], &buf_[begin_], end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  if (buf_.size() - end_ < kChunk / 2) buf_.resize(buf_.size() * 2);
  ssize_t got;
  do {
    got = ::read(fd_, &buf_[end_], buf_.size() - end_);
  } while (got < 0 && errno == EINTR && (poll_interrupts(), true));
  if (got < 0) throw Error(ErrorKind::Io, "could not read \"" + path_ + "\": " + std::strerror(errno));
  if (got == 0) {
    eof_ = true;
    return false;
  }
  end_ += static_cast<size_t>(got);
  return true;
}

bool LineReader::next(std::string_view& line) {
  cut_from_ = 0;
  size_t scanned = begin_;
  for (;;) {
    // A line of exactly max_line_ bytes has its '\n' at begin_ + max_line_: look no further than that.
    const size_t window = end_ - begin_ > max_line_ ? begin_ + static_cast<size_t>(max_line_) + 1 : end_;
    const void* nl = scanned < window ? std::memchr(&buf_[scanned], '\n', window - scanned) : nullptr;
    if (nl) {
      const size_t at = static_cast<const char*>(nl) - buf_.data();
      line = std::string_view(&buf_[begin_], at - begin_);
      begin_ = at + 1;
      return true;
    }
    if (end_ - begin_ > max_line_) return cut_long_line(line);
    const size_t consumed = window - begin_;
    if (!fill()) {
      if (begin_ == end_) return false;
      line = std::string_view(&buf_[begin_], end_ - begin_);
      begin_ = end_;
      return true;
    }
    scanned = begin_ + consumed;
  }
}

// The line at begin_ is longer than max_line_: its first max_line_ bytes move to the front of the buffer and stay,
// the rest is read and dropped up to its '\n' (polling for interrupts), and what follows is kept for the next call.
bool LineReader::cut_long_line(std::string_view& line) {
  const size_t keep = static_cast<size_t>(max_line_);
  if (begin_ > 0) {
    std::memmove(&buf_[0], &buf_[begin_], end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  uint64_t dropped = 0;  // bytes of the line after the kept ones, already read and dropped
  for (;;) {
    const void* nl = std::memchr(&buf_[keep], '\n', end_ - keep);
    if (nl) {
      const size_t at = static_cast<const char*>(nl) - buf_.data();
      cut_from_ = dropped + at;
      const size_t rest = end_ - (at + 1);
      std::memmove(&buf_[keep], &buf_[at + 1], rest);
      end_ = keep + rest;
      break;
    }
    dropped += end_ - keep;
    end_ = keep;
    if (!fill()) {
      cut_from_ = dropped + keep;
      break;
    }
  }
  line = std::string_view(&buf_[0], keep);
  begin_ = keep;
  return true;
}

std::string cut_line(std::string_view first_bytes, uint64_t length) {
  std::string out(first_bytes);
  out += '\0';
  out += kCutNote;
  out += std::to_string(length) + " bytes is longer than ecpipe.max_line_bytes; its first " +
         std::to_string(first_bytes.size()) + " bytes are kept";
  return out;
}

std::string_view cut_line_note(std::string_view landed) {
  const size_t nul = landed.rfind('\0');
  if (nul == std::string_view::npos) return {};
  const std::string_view note = landed.substr(nul + 1);
  if (note.substr(0, kCutNote.size()) != kCutNote || note.size() > 200) return {};
  return note.substr(std::string_view("ecpipe: ").size());
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

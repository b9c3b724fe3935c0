// The one exception type the core throws; its kind picks the SQLSTATE at the PostgreSQL boundary.
#pragma once
#include <stdexcept>
#include <string>

namespace ecpipe {

enum class ErrorKind {
  InvalidArgument,  // a caller passed a bad value (22023)
  SchemaInvalid,    // the event schema file cannot be compiled (F0000-like config error)
  Io,               // a file could not be read (58030)
  Internal,         // a bug or an impossible state (XX000)
};

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  ErrorKind kind() const noexcept { return kind_; }

 private:
  ErrorKind kind_;
};

}  // namespace ecpipe

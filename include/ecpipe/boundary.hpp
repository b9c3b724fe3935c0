// The C++ half of the error boundary: run a callable, and turn any exception into plain data (kind + message)
// held in a fixed buffer, so the PostgreSQL half can raise ERROR after every C++ object is gone.
#pragma once
#include <cstddef>
#include <cstring>
#include <exception>
#include <new>

#include "ecpipe/error.hpp"
#include "ecpipe/interrupts.hpp"

namespace ecpipe {

// Copies a C string into fixed storage, truncating; never allocates (snprintf is a macro once postgres.h is in).
inline void copy_message(char* dst, size_t capacity, const char* src) {
  size_t n = std::strlen(src);
  if (n >= capacity) n = capacity - 1;
  std::memcpy(dst, src, n);
  dst[n] = '\0';
}

enum class CaughtKind { None, InvalidArgument, SchemaInvalid, Io, OutOfMemory, Internal, Server, Interrupted };

struct CaughtError {
  CaughtKind kind = CaughtKind::None;
  int server_sqlstate = 0;   // for errors that came from PostgreSQL itself (ServerError)
  char message[1024] = {0};  // fixed storage: filling it cannot allocate or throw
  char detail[512] = {0};    // a server error's DETAIL and HINT, when it had them (else empty)
  char hint[512] = {0};

  explicit operator bool() const { return kind != CaughtKind::None; }
  void set(CaughtKind k, const char* text) {
    kind = k;
    copy_message(message, sizeof message, text);
  }
};

// A PostgreSQL error caught in a C++ frame (PG_TRY in the glue) travelling up to the boundary as C++, with its
// DETAIL and HINT.
class ServerError : public std::exception {
 public:
  ServerError(int sqlstate, const char* message, const char* detail = nullptr, const char* hint = nullptr)
      : sqlstate_(sqlstate) {
    copy_message(message_, sizeof message_, message ? message : "unknown server error");
    copy_message(detail_, sizeof detail_, detail ? detail : "");
    copy_message(hint_, sizeof hint_, hint ? hint : "");
  }
  const char* what() const noexcept override { return message_; }
  int sqlstate() const noexcept { return sqlstate_; }
  const char* detail() const noexcept { return detail_; }
  const char* hint() const noexcept { return hint_; }

 private:
  int sqlstate_;
  char message_[1024];
  char detail_[512];
  char hint_[512];
};

// Runs fn(); on exception fills `caught` instead of propagating. Returns fn's result or R{} on error.
template <typename R, typename Fn>
R run_catching(CaughtError& caught, Fn&& fn) noexcept {
  try {
    return fn();
  } catch (const Interrupted& e) {
    caught.set(CaughtKind::Interrupted, e.what());
  } catch (const ServerError& e) {
    caught.set(CaughtKind::Server, e.what());
    caught.server_sqlstate = e.sqlstate();
    copy_message(caught.detail, sizeof caught.detail, e.detail());
    copy_message(caught.hint, sizeof caught.hint, e.hint());
  } catch (const Error& e) {
    switch (e.kind()) {
      case ErrorKind::InvalidArgument: caught.set(CaughtKind::InvalidArgument, e.what()); break;
      case ErrorKind::SchemaInvalid: caught.set(CaughtKind::SchemaInvalid, e.what()); break;
      case ErrorKind::Io: caught.set(CaughtKind::Io, e.what()); break;
      case ErrorKind::Internal: caught.set(CaughtKind::Internal, e.what()); break;
    }
  } catch (const std::bad_alloc&) {
    caught.set(CaughtKind::OutOfMemory, "out of memory in ecpipe");
  } catch (const std::exception& e) {
    caught.set(CaughtKind::Internal, e.what());
  } catch (...) {
    caught.set(CaughtKind::Internal, "unknown C++ exception in ecpipe");
  }
  return R{};
}

}  // namespace ecpipe

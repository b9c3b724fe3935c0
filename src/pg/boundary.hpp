// The PostgreSQL half of the error boundary: ECPIPE_FUNCTION defines an SQL-callable function whose C++ body
// can throw; PG_CALL runs server code from C++ and turns its ERROR into a C++ exception.
#pragma once
#include <exception>

#include "pg_includes.hpp"

#include "ecpipe/boundary.hpp"

namespace ecpipe::pg {

// Raises the ERROR for a caught exception. Called only after the C++ body and all its objects are gone.
[[noreturn]] void raise_caught(const CaughtError& caught, const char* function_name);

// Runs a block of server calls; an ERROR inside becomes ServerError (message, SQLSTATE, DETAIL and HINT kept). The
// block must not own C++ objects with destructors: a longjmp out of it skips them. A C++ exception thrown inside is
// carried past PG_END_TRY before it is rethrown, so PostgreSQL's error stack is never left pointing at a dead frame.
template <typename Fn>
void server_call(Fn&& fn) {
  MemoryContext caller = CurrentMemoryContext;
  volatile int sqlstate = 0;
  char message[1024], detail[512], hint[512];
  volatile bool failed = false;
  std::exception_ptr cpp_error;
  PG_TRY();
  {
    try {
      fn();
    } catch (...) {
      cpp_error = std::current_exception();
    }
  }
  PG_CATCH();
  {
    MemoryContextSwitchTo(caller);
    ErrorData* e = CopyErrorData();
    FlushErrorState();
    sqlstate = e->sqlerrcode;
    strlcpy(message, e->message ? e->message : "server error", sizeof message);
    strlcpy(detail, e->detail ? e->detail : "", sizeof detail);
    strlcpy(hint, e->hint ? e->hint : "", sizeof hint);
    FreeErrorData(e);
    failed = true;
  }
  PG_END_TRY();
  if (cpp_error) std::rethrow_exception(cpp_error);
  if (failed) throw ServerError(sqlstate, message, detail, hint);
}

}  // namespace ecpipe::pg

// Defines `extern "C" Datum name(PG_FUNCTION_ARGS)` running `name##_impl(fcinfo)` behind the boundary.
#define ECPIPE_FUNCTION(name)                                                                  \
  static Datum name##_impl(FunctionCallInfo fcinfo);                                           \
  extern "C" {                                                                                 \
  PG_FUNCTION_INFO_V1(name);                                                                   \
  Datum name(PG_FUNCTION_ARGS) {                                                               \
    ecpipe::CaughtError caught;                                                                \
    Datum result = ecpipe::run_catching<Datum>(caught, [&]() { return name##_impl(fcinfo); }); \
    if (caught) ecpipe::pg::raise_caught(caught, #name);                                       \
    return result;                                                                             \
  }                                                                                            \
  }                                                                                            \
  static Datum name##_impl(FunctionCallInfo fcinfo)

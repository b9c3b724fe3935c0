// Maps caught C++ exceptions to SQLSTATEs and raises them as PostgreSQL ERRORs.
#include "boundary.hpp"

namespace ecpipe::pg {

void raise_caught(const CaughtError& caught, const char* function_name) {
  int code = ERRCODE_INTERNAL_ERROR;
  switch (caught.kind) {
    case CaughtKind::InvalidArgument: code = ERRCODE_INVALID_PARAMETER_VALUE; break;
    case CaughtKind::SchemaInvalid: code = ERRCODE_CONFIG_FILE_ERROR; break;
    case CaughtKind::Io: code = ERRCODE_IO_ERROR; break;
    case CaughtKind::OutOfMemory: code = ERRCODE_OUT_OF_MEMORY; break;
    case CaughtKind::Server: code = caught.server_sqlstate; break;
    case CaughtKind::Internal:
    case CaughtKind::Interrupted:
    case CaughtKind::None: break;
  }
  if (caught.kind == CaughtKind::Interrupted) {
    // The core stopped because the server asked it to: let the server raise its own error (canceling statement
    // due to user request / statement timeout, or terminating the connection).
    CHECK_FOR_INTERRUPTS();
    code = ERRCODE_QUERY_CANCELED;
  }
  if (caught.kind == CaughtKind::Server)
    ereport(ERROR, (errcode(code), errmsg("%s", caught.message), caught.detail[0] ? errdetail("%s", caught.detail) : 0,
                    caught.hint[0] ? errhint("%s", caught.hint) : 0, errcontext("ecpipe function %s", function_name)));
  ereport(ERROR,
          (errcode(code), errmsg("ecpipe: %s", caught.message), errcontext("ecpipe function %s", function_name)));
  pg_unreachable();
}

}  // namespace ecpipe::pg

// What ecpipe's C code knows of Citus: ecpipe.route_key(line, line_no), the distribution value of a landed line (see
// route_key.hpp), and the guard that keeps the single-node data path off distributed tables.
#include "citus.hpp"

#include <string>
#include <string_view>

#include "boundary.hpp"
#include "datums.hpp"
#include "ecpipe/route_key.hpp"
#include "spi.hpp"

namespace ecpipe::pg {

void require_single_node(const char* function_name) {
  Oid citus = InvalidOid;
  server_call([&] { citus = get_extension_oid("citus", true); });
  if (!OidIsValid(citus)) return;  // no Citus in this database: nothing is distributed
  SpiConnection spi;
  bool distributed = false;
  spi_exec("SELECT ecpipe.distributed()", {}, {}, nullptr, true);
  server_call([&] {
    bool isnull = true;
    distributed = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull)) && !isnull;
  });
  spi.finish();
  if (!distributed) return;
  const std::string message = std::string(function_name) +
                              ": ecpipe's tables in this database are distributed by Citus, and this version of "
                              "ecpipe does not run its data path on a distributed install yet (see docs/SCALING.md)";
  throw ecpipe::ServerError(ERRCODE_FEATURE_NOT_SUPPORTED, message.c_str());
}

}  // namespace ecpipe::pg

// line is the text as landed, or NULL when the line was kept as line_bytes (not UTF-8 text: it never parses, so
// only its number matters).
ECPIPE_FUNCTION(ecpipe_route_key) {
  if (PG_ARGISNULL(1)) PG_RETURN_NULL();
  const int64 line_no = PG_GETARG_INT64(1);
  std::string_view line;
  if (!PG_ARGISNULL(0)) {
    text* t = nullptr;
    ecpipe::pg::server_call([&] { t = PG_GETARG_TEXT_PP(0); });
    line = std::string_view(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
  }
  return ecpipe::pg::text_datum(ecpipe::route_key(line, line_no));
}

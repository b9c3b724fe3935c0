// The arrival number of a line a client's \copy lands into ecpipe.landing_import: a column default evaluated per
// line without a trigger or a query; the table's statement trigger restarts the numbering.
#include "boundary.hpp"

namespace {

// The number of the last line landed by this backend's current statement into ecpipe.landing_import.
int64 last_line = 0;

}  // namespace

ECPIPE_FUNCTION(ecpipe_landing_import_next_line) { return Int64GetDatum(++last_line); }

ECPIPE_FUNCTION(ecpipe_landing_import_restart) {
  last_line = 0;
  PG_RETURN_VOID();
}

// The batch and the arrival number of a line a client's \copy lands into ecpipe.landing_import: column defaults
// evaluated per line without a trigger or a query; the table's statement trigger restarts the numbering.
#include <cstring>
#include <string>

#include "boundary.hpp"

namespace {

// The number of the last line landed by this backend's current statement into ecpipe.landing_import.
int64 last_line = 0;

// ecpipe.landing_date as last read, and the date it names (parsed once per value, not once per line).
std::string landing_date_text;
DateADT landing_date = 0;

}  // namespace

// ecpipe.landing_import_date(): the date ecpipe.landing_date names, or NULL when it is not set (the column default
// then calls ecpipe.landing_import_batch(), which says so).
ECPIPE_FUNCTION(ecpipe_landing_import_date) {
  const char* text = nullptr;
  ecpipe::pg::server_call([&] { text = GetConfigOption("ecpipe.landing_date", true, false); });
  if (text == nullptr || *text == '\0') PG_RETURN_NULL();
  if (landing_date_text != text) {
    DateADT parsed = 0;
    ecpipe::pg::server_call([&] { parsed = DatumGetDateADT(DirectFunctionCall1(date_in, CStringGetDatum(text))); });
    landing_date = parsed;
    landing_date_text = text;
  }
  return DateADTGetDatum(landing_date);
}

ECPIPE_FUNCTION(ecpipe_landing_import_next_line) { return Int64GetDatum(++last_line); }

ECPIPE_FUNCTION(ecpipe_landing_import_restart) {
  last_line = 0;
  PG_RETURN_VOID();
}

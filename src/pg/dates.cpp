// require_pipeline_day: the range of days ecpipe accepts from callers (see dates.hpp).
#include "dates.hpp"

#include <string>

#include "boundary.hpp"
#include "ecpipe/timestamp.hpp"

extern "C" {
#include "utils/datetime.h"
}

namespace ecpipe::pg {

void require_pipeline_day(DateADT day, const char* function_name) {
  static const DateADT first = pg_date(days_from_civil(1, 1, 1));
  static const DateADT last = pg_date(days_from_civil(9999, 12, 31));
  if (!DATE_NOT_FINITE(day) && day >= first && day <= last) return;
  std::string shown;
  server_call([&] { shown = DatumGetCString(DirectFunctionCall1(date_out, DateADTGetDatum(day))); });
  throw ServerError(ERRCODE_DATETIME_FIELD_OVERFLOW, (std::string(function_name) + ": day " + shown +
                                                      " is outside the days ecpipe accepts (0001-01-01 to 9999-12-31)")
                                                         .c_str());
}

}  // namespace ecpipe::pg

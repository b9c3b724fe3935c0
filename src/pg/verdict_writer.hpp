// Writes the verdicts of a validation's failing lines (ecpipe.line_verdicts, or a shard of it on a worker).
#pragma once
#include <string>

#include "pg_includes.hpp"

#include "ecpipe/checks.hpp"

namespace ecpipe::pg {

// `insert_sql` takes $1 run_id, $2 batch, then the arrays $3 line_no, $4 disposition, $5 failed_checks, $6 reason
// codes (comma-separated), $7 detail. Needs an open SpiConnection. Returns the rows written.
int64_t write_line_verdicts(int64_t run_id, DateADT batch, const BatchReport& report, const std::string& insert_sql);

}  // namespace ecpipe::pg

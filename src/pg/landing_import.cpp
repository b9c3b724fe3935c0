// The batch and the arrival number of a line a client's \copy lands into ecpipe.landing_import: column defaults
// evaluated per line without a trigger or a query. The numbering restarts at 1 with each statement: the table's
// statement trigger says so on one node; a distributed landing_import (whose COPY fires no trigger) is numbered on
// the node the client copies through, which sees a new statement by its transaction, start time and command, and
// stamps its lines with when its first line came (landed_at), so that a run takes the day's latest statement.
#include <cstring>
#include <string>

#include "boundary.hpp"

extern "C" {
#include "access/xact.h"
#include "storage/proc.h"
}

namespace {

// The number of the last line landed by this backend's current statement into ecpipe.landing_import, and when its
// first line came.
int64 last_line = 0;
TimestampTz first_line_at = 0;

// The statement last_line counts for: its local transaction, its start time and its command (statements in one
// function or one query string share the first two).
struct StatementKey {
  LocalTransactionId transaction = InvalidLocalTransactionId;
  TimestampTz started = 0;
  CommandId command = InvalidCommandId;
  bool operator==(const StatementKey& other) const {
    return transaction == other.transaction && started == other.started && command == other.command;
  }
};
StatementKey numbered_statement;

// The command is marked used, as a write marks it, so that the next statement in this transaction gets another one
// (Citus's COPY into a distributed table writes nothing on this node).
StatementKey current_statement() {
  return {MyProc->lxid, GetCurrentStatementStartTimestamp(), GetCurrentCommandId(true)};
}

// A distributed landing_import is numbered on the node a client copies through; Citus evaluates the defaults of an
// INSERT ... SELECT over distributed tables in its tasks on the workers (application_name "citus_internal gpid=..."),
// where neither the client's ecpipe.landing_date nor one count of the lines exists.
void refuse_in_citus_task() {
  if (application_name == nullptr || strncmp(application_name, "citus_internal", 14) != 0) return;
  throw ecpipe::ServerError(
      ERRCODE_FEATURE_NOT_SUPPORTED,
      "ecpipe.landing_import: a distributed query's task cannot number or stamp a client's lines; copy "
      "them (\\copy or COPY), or insert rows computed on the node you are connected to");
}

// ecpipe.landing_date as last read, and the date it names (parsed once per value, not once per line).
std::string landing_date_text;
DateADT landing_date = 0;

}  // namespace

// ecpipe.landing_import_date(): the date ecpipe.landing_date names, or NULL when it is not set (the column default
// then calls ecpipe.landing_import_batch(), which says so).
ECPIPE_FUNCTION(ecpipe_landing_import_date) {
  const char* text = nullptr;
  ecpipe::pg::server_call([&] { text = GetConfigOption("ecpipe.landing_date", true, false); });
  if (text == nullptr || *text == '\0') {
    refuse_in_citus_task();  // rather than "not set" in a task
    PG_RETURN_NULL();
  }
  if (landing_date_text != text) {
    DateADT parsed = 0;
    ecpipe::pg::server_call([&] { parsed = DatumGetDateADT(DirectFunctionCall1(date_in, CStringGetDatum(text))); });
    landing_date = parsed;
    landing_date_text = text;
  }
  return DateADTGetDatum(landing_date);
}

namespace {

// Starts the numbering again on the first line of another statement.
void follow_statement() {
  const StatementKey statement = current_statement();
  if (statement == numbered_statement) return;
  refuse_in_citus_task();
  numbered_statement = statement;
  last_line = 0;
  first_line_at = GetCurrentTimestamp();
}

}  // namespace

ECPIPE_FUNCTION(ecpipe_landing_import_next_line) {
  follow_statement();
  return Int64GetDatum(++last_line);
}

ECPIPE_FUNCTION(ecpipe_landing_import_started) {
  follow_statement();
  return TimestampTzGetDatum(first_line_at);
}

ECPIPE_FUNCTION(ecpipe_landing_import_restart) {
  numbered_statement = current_statement();
  last_line = 0;
  first_line_at = GetCurrentTimestamp();
  PG_RETURN_VOID();
}

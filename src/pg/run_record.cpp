// A run's record outside its transaction: the `running` row is committed by a short-lived background worker before
// the run works, and a run whose transaction rolls back is closed as failed by another one after the rollback.
//
// PostgreSQL has no autonomous transactions. ecpipe.run_open() registers a dynamic background worker (library
// "ecpipe", so it works whether or not ecpipe is preloaded) that connects to this database as the function's owner,
// inserts the runs row (status running, this backend's pid), commits and exits; the caller waits for it with
// WaitForBackgroundWorkerShutdown. A kill -9 of the backend then leaves that row behind, and the notification worker
// (or the next ecpipe_run) marks it failed, 'server restarted'. When the run's own transaction aborts (an error
// outside the steps' subtransactions, a cancel, pg_terminate_backend, or a caller's ROLLBACK after ecpipe_run
// returned), an abort callback starts a worker that marks the row failed without waiting for it.
//
// When no worker can record it (no free slot in max_worker_processes, a REPEATABLE READ or SERIALIZABLE transaction
// whose snapshot could not see the committed row, the extension created in this very transaction, or the worker
// failed), the run's own transaction inserts the row, with a WARNING unless the extension is new in this
// transaction: the run works, but a crash during it leaves no row.
#include "spi.hpp"

extern "C" {
#include "access/subtrans.h"
#include "access/transam.h"
#include "access/xact.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "storage/ipc.h"
#include "storage/procarray.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"

PGDLLEXPORT void ecpipe_run_recorder_main(Datum arg);
}

namespace ecpipe::pg {
namespace {

enum RecordMode : int32 { OpenRun = 1, FailRun = 2 };

// Everything a recorder needs, copied into bgw_extra (128 bytes): the worker outlives nothing of its caller.
struct RecordRequest {
  int64 run_id;
  int64 first_run_id;  // FailRun: the transaction's runs are first_run_id .. run_id of this pid
  TimestampTz started;
  Oid database;
  Oid role;
  int32 pid;
  DateADT ds;
  int32 mode;
};
static_assert(sizeof(RecordRequest) <= BGW_EXTRALEN, "request fits bgw_extra");

// The runs opened by this backend in its current transaction (ids first_run_id .. last.run_id, drawn in order
// from the sequence); an abort closes them as failed, with one recorder whatever their number (a backfill).
bool have_open = false;
RecordRequest last_open;
bool callback_registered = false;
// The subtransaction the transaction's newest open run was opened in, and whether a subtransaction holding one of the
// open runs (ecpipe_run inside an exception block or a savepoint) rolled back: its runs' rows then stay `running`
// while the transaction goes on to commit, so the commit closes them as failed.
SubTransactionId last_open_subxact = InvalidSubTransactionId;
bool open_run_rolled_back = false;

bool start_recorder(const RecordRequest& r, bool notify_me, BackgroundWorkerHandle** handle) {
  BackgroundWorker w;
  memset(&w, 0, sizeof w);
  w.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
  w.bgw_start_time = BgWorkerStart_RecoveryFinished;
  w.bgw_restart_time = BGW_NEVER_RESTART;
  strlcpy(w.bgw_library_name, "ecpipe", BGW_MAXLEN);
  strlcpy(w.bgw_function_name, "ecpipe_run_recorder_main", BGW_MAXLEN);
  snprintf(w.bgw_name, BGW_MAXLEN, "ecpipe run recorder for run %lld", static_cast<long long>(r.run_id));
  strlcpy(w.bgw_type, "ecpipe run recorder", BGW_MAXLEN);
  w.bgw_notify_pid = notify_me ? MyProcPid : 0;
  memcpy(w.bgw_extra, &r, sizeof r);
  return RegisterDynamicBackgroundWorker(&w, handle);
}

// After an abort the open runs are closed by recorders nobody waits for; after a commit they are the run's own,
// unless a subtransaction that held some of them rolled back (the closer only touches rows still `running`).
void on_xact_end(XactEvent event, void*) {
  if (have_open && (event == XACT_EVENT_ABORT || (event == XACT_EVENT_COMMIT && open_run_rolled_back))) {
    RecordRequest r = last_open;
    r.mode = FailRun;
    (void)start_recorder(r, false, nullptr);  // no slot: the sweep closes them once this backend is gone
  }
  if (event == XACT_EVENT_ABORT || event == XACT_EVENT_COMMIT || event == XACT_EVENT_PREPARE) {
    have_open = false;
    open_run_rolled_back = false;
    last_open_subxact = InvalidSubTransactionId;
  }
}

// Subtransaction ids grow as they are assigned, so a subtransaction that rolls back while runs are open held one of
// them when the newest open run was opened in it or in one of its children (id >= its own).
void on_subxact_end(SubXactEvent event, SubTransactionId subxact, SubTransactionId, void*) {
  if (event == SUBXACT_EVENT_ABORT_SUB && have_open && subxact <= last_open_subxact) open_run_rolled_back = true;
}

// Why the run cannot be recorded by a worker, or nullptr when it can.
const char* why_not_autonomous(bool& quiet) {
  quiet = false;
  if (IsolationUsesXactSnapshot()) return "the transaction is REPEATABLE READ or SERIALIZABLE";
  // The extension (and so ecpipe.runs) created or updated by this transaction is invisible to any other session.
  spi_exec("SELECT xmin FROM pg_catalog.pg_extension WHERE extname = 'ecpipe'", {}, {}, nullptr, true);
  bool mine = false;
  server_call([&] {
    bool isnull = true;
    if (SPI_processed > 0) {
      Datum xmin = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
      mine = !isnull && TransactionIdIsCurrentTransactionId(DatumGetTransactionId(xmin));
    }
  });
  if (mine) {
    quiet = true;
    return "the extension was created in this transaction";
  }
  return nullptr;
}

}  // namespace
}  // namespace ecpipe::pg

// ecpipe.run_open(run_id, ds, started): records the run as running, committed on its own when it can; returns true
// then, false when the row is in the run's transaction (see the top of this file).
ECPIPE_FUNCTION(ecpipe_run_open) {
  using namespace ecpipe::pg;
  RecordRequest r{};
  r.run_id = PG_GETARG_INT64(0);
  r.ds = PG_GETARG_DATEADT(1);
  r.started = PG_GETARG_TIMESTAMPTZ(2);
  r.database = MyDatabaseId;
  r.role = GetUserId();  // the owner: the function is SECURITY DEFINER
  r.pid = MyProcPid;
  r.mode = OpenRun;
  SpiConnection spi;
  // Only the id this session drew last from the run id sequence: no session can take over another run's id.
  bool drawn = false;
  try {
    spi_exec("SELECT pg_catalog.currval('ecpipe.run_id_seq') = $1", {INT8OID}, {Int64GetDatum(r.run_id)}, nullptr,
             true);
    server_call([&] {
      bool isnull = true;
      drawn = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull)) && !isnull;
    });
  } catch (const ecpipe::ServerError&) {
    drawn = false;  // currval is not defined yet in this session
  }
  if (!drawn)
    throw ecpipe::ServerError(ERRCODE_INSUFFICIENT_PRIVILEGE,
                              ("ecpipe.run_open: run " + std::to_string(r.run_id) +
                               " is not the run id this session drew last from ecpipe.run_id_seq")
                                  .c_str());
  bool quiet = false;
  const char* why = why_not_autonomous(quiet);
  if (!why) {
    bool started = false;
    const bool had_open = have_open;
    const RecordRequest had_last = last_open;
    server_call([&] {
      if (!callback_registered) {
        RegisterXactCallback(on_xact_end, nullptr);
        RegisterSubXactCallback(on_subxact_end, nullptr);
        callback_registered = true;
      }
      last_open_subxact = GetCurrentSubTransactionId();
      // From here an abort closes it, whichever of the two recorders runs first (without a slot now, one may be
      // free then: the closer inserts the failed row itself).
      r.first_run_id = have_open ? last_open.first_run_id : r.run_id;
      last_open = r;
      have_open = true;
      BackgroundWorkerHandle* handle = nullptr;
      started = start_recorder(r, true, &handle);
      if (!started) return;
      // shown in ecpipe.current_runs as step "open" of the day while the recorder works
      char* day = DatumGetCString(DirectFunctionCall1(date_out, DateADTGetDatum(r.ds)));
      char activity[64];
      snprintf(activity, sizeof activity, "ecpipe: open %s", day);
      pgstat_report_activity(STATE_RUNNING, activity);
      (void)WaitForBackgroundWorkerShutdown(handle);
    });
    if (!started) {
      why = "no free background worker slot (max_worker_processes)";
    } else {
      spi_exec("SELECT pid, status FROM ecpipe.runs WHERE run_id = $1", {INT8OID}, {Int64GetDatum(r.run_id)});
      int32 pid = 0;
      bool found = false, running = false;
      server_call([&] {
        if (SPI_processed == 0) return;
        bool isnull = true;
        found = true;
        Datum p = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
        pid = isnull ? 0 : DatumGetInt32(p);
        char* status = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2);
        running = status && strcmp(status, "running") == 0;
      });
      if (found && (pid != MyProcPid || !running)) {
        have_open = had_open;  // that row is another backend's: never close it
        last_open = had_last;
        throw ecpipe::ServerError(ERRCODE_UNIQUE_VIOLATION,
                                  ("ecpipe_run: run " + std::to_string(r.run_id) + " is already recorded").c_str());
      }
      if (found) {
        spi.finish();
        return BoolGetDatum(true);
      }
      why = "the run recorder could not record it (see the server log)";
    }
  }
  if (!quiet)
    server_call([&] {
      ereport(WARNING, (errmsg("ecpipe_run: run %lld is recorded in its own transaction only: %s",
                               static_cast<long long>(r.run_id), why),
                        errdetail("A crash of this backend during the run leaves no runs row.")));
    });
  spi_exec("INSERT INTO ecpipe.runs (run_id, ds, status, started_at, pid) VALUES ($1, $2, 'running', $3, $4)",
           {INT8OID, DATEOID, TIMESTAMPTZOID, INT4OID},
           {Int64GetDatum(r.run_id), DateADTGetDatum(r.ds), TimestampTzGetDatum(r.started), Int32GetDatum(r.pid)});
  spi.finish();
  return BoolGetDatum(false);
}

// ecpipe.backend_alive(pid): whether a server process with this pid is running now (no privilege needed, no stats
// snapshot: a pid that ended a moment ago is gone).
ECPIPE_FUNCTION(ecpipe_backend_alive) {
  const int32 pid = PG_GETARG_INT32(0);
  bool alive = false;
  ecpipe::pg::server_call([&] { alive = pid > 0 && BackendPidGetProc(pid) != nullptr; });
  return BoolGetDatum(alive);
}

// ecpipe.xid_holder(xid): the pid of the backend whose transaction (or subtransaction) xid is in progress, else NULL.
// A row lock's xmax is the locker's subtransaction when it locked inside an exception block, and pg_locks does not
// show a subtransaction's xid after it has committed into its parent.
ECPIPE_FUNCTION(ecpipe_xid_holder) {
  const TransactionId xid = DatumGetTransactionId(PG_GETARG_DATUM(0));
  int pid = 0;
  ecpipe::pg::server_call([&] {
    if (!TransactionIdIsNormal(xid) || TransactionIdPrecedes(xid, TransactionXmin) || !TransactionIdIsInProgress(xid))
      return;
    pid = BackendXidGetPid(SubTransGetTopmostTransaction(xid));
  });
  if (pid == 0) PG_RETURN_NULL();
  return Int32GetDatum(pid);
}

// The failure alert of each run the recorder closes (`closed`): a rolled-back run's own messages are rolled back
// with it.
#define kQueueAlerts                                                                                 \
  "INSERT INTO ecpipe.notifications (run_id, kind, payload, last_error) SELECT c.run_id, 'failed', " \
  "ecpipe.failure_alert(c.run_id, c.ds, c.seconds, c.failed_step, c.error), ecpipe.delivery_note() FROM closed c"

// The recorder: one statement in one transaction, then exit. An error is logged by the server and the worker exits;
// the waiting caller then records the run in its own transaction.
void ecpipe_run_recorder_main(Datum) {
  ecpipe::pg::RecordRequest r;
  memcpy(&r, MyBgworkerEntry->bgw_extra, sizeof r);
  BackgroundWorkerUnblockSignals();
  BackgroundWorkerInitializeConnectionByOid(r.database, r.role, 0);
  SetCurrentStatementStartTimestamp();
  StartTransactionCommand();
  if (SPI_connect() != SPI_OK_CONNECT) elog(ERROR, "SPI_connect failed");
  PushActiveSnapshot(GetTransactionSnapshot());
  // not "ecpipe: ...", which ecpipe.current_runs lists as a run's step
  pgstat_report_activity(STATE_RUNNING, r.mode == ecpipe::pg::OpenRun
                                            ? "ecpipe run recorder: opening a run"
                                            : "ecpipe run recorder: closing rolled-back runs");
  Oid types[5] = {INT8OID, DATEOID, TIMESTAMPTZOID, INT4OID, INT8OID};
  Datum values[5] = {Int64GetDatum(r.run_id), DateADTGetDatum(r.ds), TimestampTzGetDatum(r.started),
                     Int32GetDatum(r.pid), Int64GetDatum(r.first_run_id)};
  // Either order of the two recorders ends failed: the opener never overwrites, the closer inserts when first.
  const char* sql =
      r.mode == ecpipe::pg::OpenRun
          ? "INSERT INTO ecpipe.runs (run_id, ds, status, started_at, pid) VALUES ($1, $2, 'running', $3, $4) "
            "ON CONFLICT (run_id) DO NOTHING"
          : "WITH closed AS (INSERT INTO ecpipe.runs AS r (run_id, ds, status, started_at, pid, finished_at, "
            "seconds, error) VALUES ($1, $2, 'failed', $3, $4, clock_timestamp(), "
            "round(extract(epoch FROM clock_timestamp() - $3)::numeric, 3), "
            "format('the run''s transaction was rolled back (backend %s; its error is in the server log)', $4)) "
            "ON CONFLICT (run_id) DO UPDATE SET status = excluded.status, finished_at = excluded.finished_at, "
            "seconds = excluded.seconds, error = excluded.error, failed_step = coalesce(r.failed_step, "
            "(SELECT s.name FROM ecpipe.run_steps s WHERE s.run_id = r.run_id ORDER BY s.step_no DESC LIMIT 1)) "
            "WHERE r.status = 'running' RETURNING r.*) " kQueueAlerts;
  if (SPI_execute_with_args(sql, 4, types, values, nullptr, false, 0) < 0)
    elog(ERROR, "ecpipe run recorder: SPI failed");
  // the transaction's other runs (a backfill): committed as running, their close rolled back with the transaction
  if (r.mode == ecpipe::pg::FailRun &&
      SPI_execute_with_args("WITH closed AS (UPDATE ecpipe.runs r SET status = 'failed', finished_at = "
                            "clock_timestamp(), seconds = round(extract(epoch FROM clock_timestamp() - "
                            "r.started_at)::numeric, 3), error = format('the run''s transaction was rolled back "
                            "(backend %s; its error is in the server log)', r.pid) WHERE r.pid = $4 AND r.status = "
                            "'running' AND r.run_id >= $5 AND r.run_id < $1 RETURNING r.*) " kQueueAlerts,
                            5, types, values, nullptr, false, 0) < 0)
    elog(ERROR, "ecpipe run recorder: SPI failed");
  SPI_finish();
  PopActiveSnapshot();
  CommitTransactionCommand();
  pgstat_report_activity(STATE_IDLE, nullptr);
  proc_exit(0);
}

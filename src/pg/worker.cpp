// The notification worker: started with the server when ecpipe is in shared_preload_libraries; every second it
// delivers the due messages of ecpipe.worker_database's outbox, each batch in its own transaction. On start and
// then every 10 seconds it also closes runs left `running` by a backend that is gone (ecpipe.fail_dead_runs).
// ecpipe.delivery_note() tells a session whose outbox no worker serves.
#include <string>

#include "deliver.hpp"
#include "settings.hpp"
#include "spi.hpp"

extern "C" {
#include "access/xact.h"
#include "commands/dbcommands.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "tcop/tcopprot.h"
#include "utils/snapmgr.h"
#include "utils/wait_event.h"

PGDLLEXPORT void ecpipe_worker_main(Datum arg);
}

namespace ecpipe::pg {

extern bool worker_preloaded;

void register_worker() {
  BackgroundWorker w;
  memset(&w, 0, sizeof w);
  w.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
  w.bgw_start_time = BgWorkerStart_RecoveryFinished;
  w.bgw_restart_time = 10;
  strlcpy(w.bgw_library_name, "ecpipe", BGW_MAXLEN);
  strlcpy(w.bgw_function_name, "ecpipe_worker_main", BGW_MAXLEN);
  strlcpy(w.bgw_name, "ecpipe notification worker", BGW_MAXLEN);
  strlcpy(w.bgw_type, "ecpipe worker", BGW_MAXLEN);
  RegisterBackgroundWorker(&w);
}

namespace {

// One delivery round in its own transaction. C++ errors (and server errors turned into C++ by server_call) are
// reported as a WARNING and the transaction is rolled back; the worker carries on.
void deliver_round(bool sweep_runs) {
  SetCurrentStatementStartTimestamp();
  StartTransactionCommand();
  PushActiveSnapshot(GetTransactionSnapshot());
  pgstat_report_activity(STATE_RUNNING, "ecpipe: delivering notifications");
  CaughtError caught;
  const bool ok = run_catching<bool>(caught, [sweep_runs] {
    SpiConnection spi;
    spi_exec("SELECT 1 FROM pg_extension WHERE extname = 'ecpipe'", {}, {}, nullptr, true);
    uint64_t installed = 0;
    server_call([&] { installed = SPI_processed; });
    if (installed && sweep_runs) {
      // the function exists from 0.3.0 on; a database still on an older version has nothing to sweep
      spi_exec(
          "SELECT ecpipe.fail_dead_runs() FROM pg_catalog.pg_proc p "
          "WHERE p.oid = pg_catalog.to_regprocedure('ecpipe.fail_dead_runs()')",
          {}, {});
    }
    if (installed) deliver_due(20);
    spi.finish();
    return true;
  });
  PopActiveSnapshot();
  if (ok) {
    CommitTransactionCommand();
  } else {
    AbortCurrentTransaction();
    ereport(WARNING, (errmsg("ecpipe worker: %s", caught.message)));
  }
  pgstat_report_activity(STATE_IDLE, nullptr);
}

}  // namespace
}  // namespace ecpipe::pg

void ecpipe_worker_main(Datum) {
  pqsignal(SIGHUP, SignalHandlerForConfigReload);
  pqsignal(SIGTERM, die);
  BackgroundWorkerUnblockSignals();
  BackgroundWorkerInitializeConnection(ecpipe::pg::worker_database(), nullptr, 0);
  ereport(LOG, (errmsg("ecpipe notification worker: serving database \"%s\" (ecpipe.worker_database); "
                       "other databases deliver with ecpipe_deliver_pending()",
                       ecpipe::pg::worker_database())));
  ecpipe::pg::deliver_round(true);
  for (int round = 1;; ++round) {
    (void)WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, 1000L, PG_WAIT_EXTENSION);
    ResetLatch(MyLatch);
    CHECK_FOR_INTERRUPTS();
    if (ConfigReloadPending) {
      ConfigReloadPending = false;
      ProcessConfigFile(PGC_SIGHUP);
    }
    ecpipe::pg::deliver_round(round % 10 == 0);
  }
}

// ecpipe.delivery_note(): NULL when the notification worker delivers this database's outbox, otherwise why not and
// what to do; ecpipe_notify stores it as the message's last_error so that a queued message never waits in silence.
ECPIPE_FUNCTION(ecpipe_delivery_note) {
  std::string note;
  if (!ecpipe::pg::worker_preloaded) {
    note =
        "no notification worker runs (ecpipe is not in shared_preload_libraries): deliver with "
        "SELECT ecpipe_deliver_pending() in this database, e.g. from a pg_cron job";
  } else {
    const char* db = nullptr;
    ecpipe::pg::server_call([&] { db = get_database_name(MyDatabaseId); });
    const std::string served = ecpipe::pg::worker_database();
    if (db && served == db) PG_RETURN_NULL();
    note = "the notification worker serves database \"" + served.substr(0, 200) +
           "\" (ecpipe.worker_database), not \"" + std::string(db ? db : "?").substr(0, 200) +
           "\": deliver with SELECT ecpipe_deliver_pending() in this database, e.g. from a pg_cron job";
  }
  Datum out = 0;
  ecpipe::pg::server_call([&] { out = CStringGetTextDatum(note.c_str()); });
  return out;
}

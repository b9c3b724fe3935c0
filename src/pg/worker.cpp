// The notification worker: started with the server when ecpipe is in shared_preload_libraries; every second it
// delivers the due messages of ecpipe.worker_database's outbox, each batch in its own transaction.
#include "deliver.hpp"
#include "settings.hpp"
#include "spi.hpp"

extern "C" {
#include "access/xact.h"
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
void deliver_round() {
  SetCurrentStatementStartTimestamp();
  StartTransactionCommand();
  PushActiveSnapshot(GetTransactionSnapshot());
  pgstat_report_activity(STATE_RUNNING, "ecpipe: delivering notifications");
  CaughtError caught;
  const bool ok = run_catching<bool>(caught, [] {
    SpiConnection spi;
    spi_exec("SELECT 1 FROM pg_extension WHERE extname = 'ecpipe'", {}, {}, nullptr, true);
    uint64_t installed = 0;
    server_call([&] { installed = SPI_processed; });
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
  for (;;) {
    (void)WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, 1000L, PG_WAIT_EXTENSION);
    ResetLatch(MyLatch);
    CHECK_FOR_INTERRUPTS();
    if (ConfigReloadPending) {
      ConfigReloadPending = false;
      ProcessConfigFile(PGC_SIGHUP);
    }
    ecpipe::pg::deliver_round();
  }
}

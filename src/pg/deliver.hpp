// Delivering due notifications from ecpipe.notifications: shared by ecpipe_deliver_pending() and the worker.
#pragma once
#include <cstdint>

namespace ecpipe::pg {

// Sends up to `limit` due, queued notifications (locked with SKIP LOCKED, so several deliverers never send one
// message twice at once) and records each outcome. Needs a transaction and an open SPI connection. Returns the
// number attempted; 0 when no webhook URL is set (messages stay queued and visible).
int64_t deliver_due(int limit);

}  // namespace ecpipe::pg

// The load's marts for the marts step of the same run (see day_marts_stash.hpp); forgotten at every transaction and
// subtransaction end that is not the marts step taking them.
#include "day_marts_stash.hpp"

#include <map>
#include <utility>

#include "boundary.hpp"

extern "C" {
#include "access/xact.h"
}

namespace ecpipe::pg {

namespace {

std::map<std::pair<int64_t, int64_t>, StashedDay>& stash() {
  static std::map<std::pair<int64_t, int64_t>, StashedDay> days;
  return days;
}
bool callbacks_registered = false;

// Called by the server at transaction end and at subtransaction abort: clear() frees memory and cannot fail.
void forget_all(XactEvent, void*) { stash().clear(); }
void forget_on_abort(SubXactEvent event, SubTransactionId, SubTransactionId, void*) {
  if (event == SUBXACT_EVENT_ABORT_SUB) stash().clear();
}

}  // namespace

void stash_day_marts(int64_t run_id, int64_t unix_day, StashedDay day) {
  server_call([] {
    if (callbacks_registered) return;
    RegisterXactCallback(forget_all, nullptr);
    RegisterSubXactCallback(forget_on_abort, nullptr);
    callbacks_registered = true;
  });
  stash()[{run_id, unix_day}] = std::move(day);
}

std::optional<StashedDay> take_day_marts(int64_t run_id, int64_t unix_day) {
  const auto found = stash().find({run_id, unix_day});
  if (found == stash().end()) return std::nullopt;
  std::optional<StashedDay> day(std::move(found->second));
  stash().erase(found);
  return day;
}

}  // namespace ecpipe::pg

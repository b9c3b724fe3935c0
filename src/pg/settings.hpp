// The ecpipe.* GUCs: definitions at load time and a snapshot of their values as core Settings.
#pragma once
#include <string>

#include "pg_includes.hpp"

#include "ecpipe/notify/wording.hpp"
#include "ecpipe/settings.hpp"
#include "ecpipe/timestamp.hpp"

namespace ecpipe::pg {

void define_settings();

// The settings a validation uses, with now() taken from the current transaction's start.
Settings current_settings();

// ecpipe.landing_dir, or "" when unset.
const char* landing_dir();

// ecpipe.max_new_partitions: how many raw_events partitions one load may make.
int max_new_partitions();

// ecpipe.language: the language of messages and of the report page.
ecpipe::Language language();

// What delivering notifications needs; the URL is read here and never leaves the delivery code.
struct DeliverySettings {
  std::string webhook_url, allowed_hosts;
  int max_attempts = 0;
  int64_t retry_base_seconds = 0;
  long timeout_ms = 0;
};
DeliverySettings delivery_settings();
const char* worker_database();

// ecpipe.timezone through the server's time-zone database.
class ServerTimeZone final : public TimeZone {
 public:
  ServerTimeZone();                           // the zone named by ecpipe.timezone now
  explicit ServerTimeZone(const char* name);  // a named zone (UTC when the server does not know it)
  int64_t offset_at_utc(int64_t utc_seconds) const override;
  int64_t offset_for_local(int64_t local_seconds) const override;

 private:
  pg_tz* zone_;
  bool utc_;
};

}  // namespace ecpipe::pg

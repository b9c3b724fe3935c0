// ecpipe.* GUC definitions, their check hooks, and the server-backed time zone for the core.
#include "settings.hpp"

#include <cctype>
#include <cstring>
#include <string>
#include <vector>

#include "boundary.hpp"
#include "dates.hpp"
#include "ecpipe/durations.hpp"
#include "ecpipe/error.hpp"
#include "ecpipe/notify/webhook.hpp"

extern "C" {
#include "access/xact.h"
#include "miscadmin.h"
#include "tcop/tcopprot.h"
#include "pgtime.h"
#include "utils/datetime.h"
}

namespace ecpipe::pg {

namespace {

// The defaults of the settings only the glue reads (those the checks read are in ecpipe/settings.hpp). Each is the
// boot value of its GUC, which sets the variable below when the module is loaded.
constexpr const char* kDefaultTimeZone = "UTC";
constexpr const char* kDefaultAllowedHosts = "hooks.slack.com";
constexpr int kDefaultNotifyMaxAttempts = 5;
constexpr int kDefaultNotifyRetryBaseSeconds = 30;
constexpr int kDefaultWebhookTimeoutMs = 5000;
constexpr const char* kDefaultWorkerDatabase = "postgres";
constexpr int kDefaultRunLockTimeoutMs = 600000;
constexpr int kDefaultMaxRetries = 3;
constexpr int kDefaultMaxNewPartitions = 366;

char* guc_timezone = nullptr;
double guc_min_pass_rate = kDefaultMinPassRate;
int guc_min_year = kDefaultMinYear;
int guc_max_line_bytes = kDefaultMaxLineBytes;
char* guc_max_future = nullptr;
int64_t max_future_us = default_max_future_us();  // ecpipe.max_future parsed (its assign hook keeps it current)
double guc_amount_tolerance = kDefaultAmountTolerance;
char* guc_landing_dir = nullptr;
char* guc_landing_date = nullptr;
char* guc_webhook_url = nullptr;
char* guc_allowed_hosts = nullptr;
int guc_notify_max_attempts = kDefaultNotifyMaxAttempts;
int guc_notify_retry_base = kDefaultNotifyRetryBaseSeconds;
int guc_webhook_timeout = kDefaultWebhookTimeoutMs;
char* guc_worker_database = nullptr;
int guc_run_lock_timeout = kDefaultRunLockTimeoutMs;
int guc_max_retries = kDefaultMaxRetries;
char* guc_raw_indexes = nullptr;
int guc_max_new_partitions = kDefaultMaxNewPartitions;
int guc_language = static_cast<int>(ecpipe::Language::Korean);
const struct config_enum_entry kLanguages[] = {{"ko", static_cast<int>(ecpipe::Language::Korean), false},
                                               {"en", static_cast<int>(ecpipe::Language::English), false},
                                               {nullptr, 0, false}};

bool check_timezone(char** newval, void** extra, GucSource source) {
  if (*newval == nullptr || pg_tzset(*newval) == nullptr) {
    GUC_check_errdetail("\"%s\" is not a time zone known to this server.", *newval ? *newval : "");
    return false;
  }
  return true;
}

bool check_max_future(char** newval, void** extra, GucSource source) {
  int64_t micros = 0;
  std::string why;
  if (*newval == nullptr || !parse_duration(*newval, micros, why)) {
    GUC_check_errdetail("%s", why.c_str());
    return false;
  }
  return true;
}

void assign_max_future(const char* newval, void* extra) {
  int64_t micros = 0;
  std::string why;
  if (newval && parse_duration(newval, micros, why)) max_future_us = micros;
}

bool check_landing_date(char** newval, void** extra, GucSource source) {
  if (*newval == nullptr || **newval == '\0') return true;
  int y, m, d;
  char tail;
  if (std::sscanf(*newval, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 || m < 1 || m > 12 || d < 1 || d > 31) {
    GUC_check_errdetail("Use a date written YYYY-MM-DD.");
    return false;
  }
  return true;
}

// "column[:method], ...": lower-case column names, methods btree (the default), hash or brin.
bool check_raw_indexes(char** newval, void** extra, GucSource source) {
  if (*newval == nullptr) return true;
  std::string list(*newval);
  size_t at = 0;
  while (at <= list.size()) {
    size_t end = list.find(',', at);
    if (end == std::string::npos) end = list.size();
    std::string item = list.substr(at, end - at);
    item.erase(0, item.find_first_not_of(' '));
    item.erase(item.find_last_not_of(' ') + 1);
    at = end + 1;
    if (item.empty()) continue;
    const size_t colon = item.find(':');
    const std::string column = item.substr(0, colon);
    const std::string method = colon == std::string::npos ? "btree" : item.substr(colon + 1);
    const bool column_ok =
        !column.empty() && column.find_first_not_of("abcdefghijklmnopqrstuvwxyz_0123456789") == std::string::npos;
    if (!column_ok || (method != "btree" && method != "hash" && method != "brin")) {
      GUC_check_errdetail("\"%s\" is not column[:method] with a lower-case column and a method btree, hash or brin.",
                          item.c_str());
      return false;
    }
  }
  return true;
}

// The webhook URL is a secret. pg_read_all_settings (pg_monitor) may read GUC_SUPERUSER_ONLY settings, and
// ALTER DATABASE / ALTER ROLE / a function's SET clause store values in catalogs every role can read
// (pg_db_role_setting, pg_proc.proconfig), and the postmaster logs a configuration file's changed values on
// reload. So: a URL itself is taken only from a session's SET (a test, an ad-hoc ecpipe_deliver_pending()); anything
// that persists must be file:<absolute path> (the first line of that file, read by the server, is the URL); and
// SHOW, current_setting() and set_config() show a literal URL as ******** to everybody, superusers included.
bool is_file_reference(const char* v) { return std::strncmp(v, "file:", 5) == 0; }

// Refuses a value of the webhook setting. A statement (ALTER DATABASE / ROLE, CREATE FUNCTION ... SET: PGC_S_TEST;
// ALTER SYSTEM: PGC_S_FILE while a client's statement runs, as opposed to reading the file on reload, which a session
// may do idle in a transaction block) fails here, without the statement in the server log (it may hold the URL).
// Reading the configuration file, or a stored database / role setting at connection: a warning, value ignored;
// GUC_check_errmsg replaces PostgreSQL's "invalid value for parameter ...: <value>", so the value is not repeated.
bool refuse_webhook_value(GucSource source, const char* why, const char* hint) {
  const bool alter_system =
      source == PGC_S_FILE && MyBackendType == B_BACKEND && debug_query_string != nullptr && IsTransactionState();
  if (source == PGC_S_TEST || alter_system)
    ereport(ERROR,
            (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("%s", why), errhint("%s", hint), errhidestmt(true)));
  GUC_check_errmsg("%s", why);
  GUC_check_errhint("%s", hint);
  return false;
}

bool check_webhook_url_setting(char** newval, void** extra, GucSource source) {
  const char* v = *newval ? *newval : "";
  if (*v == '\0') return true;
  constexpr const char* kHint =
      "Write the URL into a file only the server's operating-system user can read, and set "
      "ecpipe.slack_webhook_url = 'file:/path/to/that/file'.";
  if (is_file_reference(v)) {
    if (v[5] == '/') return true;
    return refuse_webhook_value(source, "ecpipe.slack_webhook_url: a file: reference needs an absolute path", kHint);
  }
  const bool session = source == PGC_S_SESSION || source == PGC_S_CLIENT || source == PGC_S_OVERRIDE ||
                       source == PGC_S_INTERACTIVE || source == PGC_S_DEFAULT || source == PGC_S_DYNAMIC_DEFAULT;
  if (session) return true;
  return refuse_webhook_value(
      source,
      "ecpipe.slack_webhook_url takes a URL only from SET in a session; in a configuration file, ALTER SYSTEM, "
      "ALTER DATABASE, ALTER ROLE or a function's SET it must be file:<absolute path>",
      kHint);
}

const char* show_webhook_url() {
  const char* v = guc_webhook_url ? guc_webhook_url : "";
  return *v == '\0' || is_file_reference(v) ? v : "********";
}

bool check_allowed_hosts(char** newval, void** extra, GucSource source) {
  std::vector<AllowedHost> hosts;
  std::string why;
  if (*newval != nullptr && !parse_allowed_hosts(*newval, hosts, why)) {
    GUC_check_errdetail("%s (entries are host or host:port, comma-separated).", why.c_str());
    return false;
  }
  return true;
}

}  // namespace

void define_settings() {
  DefineCustomStringVariable("ecpipe.timezone", "Time zone of naive event timestamps and of event days.", nullptr,
                             &guc_timezone, kDefaultTimeZone, PGC_USERSET, 0, check_timezone, nullptr, nullptr);
  DefineCustomRealVariable("ecpipe.min_pass_rate", "A check passes when its pass rate (percent) is at least this.",
                           nullptr, &guc_min_pass_rate, kDefaultMinPassRate, 0.0, 100.0, PGC_USERSET, 0, nullptr,
                           nullptr, nullptr);
  DefineCustomIntVariable("ecpipe.min_year", "Timestamps written with an earlier year fail check 5.", nullptr,
                          &guc_min_year, kDefaultMinYear, 1, 9999, PGC_USERSET, 0, nullptr, nullptr, nullptr);
  DefineCustomStringVariable("ecpipe.max_future", "How far after now() an event timestamp may be (e.g. '1 day').",
                             nullptr, &guc_max_future, kDefaultMaxFuture, PGC_USERSET, 0, check_max_future,
                             assign_max_future, nullptr);
  DefineCustomRealVariable("ecpipe.amount_tolerance", "Allowed gap between total_amount and the order's items.",
                           nullptr, &guc_amount_tolerance, kDefaultAmountTolerance, 0.0, 1e12, PGC_USERSET, 0, nullptr,
                           nullptr, nullptr);
  DefineCustomStringVariable("ecpipe.landing_dir",
                             "Directory of events_YYYYMMDD.jsonl files, which runs read in place; when set, "
                             "ecpipe_ingest reads only inside it.",
                             nullptr, &guc_landing_dir, "", PGC_SUSET, 0, nullptr, nullptr, nullptr);
  // 128 MB at most: a line's jsonb (numbers take more room than their text) then stays under jsonb's 256 MB limit.
  DefineCustomIntVariable("ecpipe.max_line_bytes",
                          "Longest line: ecpipe_ingest keeps only the first bytes of a longer line, and validation "
                          "counts a longer line as unparseable.",
                          nullptr, &guc_max_line_bytes, kDefaultMaxLineBytes, 64, 128 << 20, PGC_SUSET, GUC_UNIT_BYTE,
                          nullptr, nullptr, nullptr);
  DefineCustomStringVariable("ecpipe.landing_date", "Batch date that \\copy into ecpipe.landing_import lands as.",
                             nullptr, &guc_landing_date, "", PGC_USERSET, 0, check_landing_date, nullptr, nullptr);
  DefineCustomStringVariable("ecpipe.slack_webhook_url",
                             "Slack incoming-webhook URL: file:<absolute path> of a file holding it (a URL itself only "
                             "with SET in a session); a secret, never shown.",
                             nullptr, &guc_webhook_url, "", PGC_SUSET, GUC_SUPERUSER_ONLY | GUC_NO_SHOW_ALL,
                             check_webhook_url_setting, nullptr, show_webhook_url);
  DefineCustomStringVariable(
      "ecpipe.webhook_allowed_hosts", "Comma-separated hosts notifications may be sent to (port 443, or host:port).",
      nullptr, &guc_allowed_hosts, kDefaultAllowedHosts, PGC_SUSET, 0, check_allowed_hosts, nullptr, nullptr);
  DefineCustomIntVariable("ecpipe.notify_max_attempts", "Delivery attempts before a notification is marked dead.",
                          nullptr, &guc_notify_max_attempts, kDefaultNotifyMaxAttempts, 1, 100, PGC_SUSET, 0, nullptr,
                          nullptr, nullptr);
  DefineCustomIntVariable("ecpipe.notify_retry_base", "First retry delay; each further retry doubles it (max 1h).",
                          nullptr, &guc_notify_retry_base, kDefaultNotifyRetryBaseSeconds, 0, 3600, PGC_SUSET,
                          GUC_UNIT_S, nullptr, nullptr, nullptr);
  DefineCustomIntVariable("ecpipe.webhook_timeout", "How long one delivery attempt may take.", nullptr,
                          &guc_webhook_timeout, kDefaultWebhookTimeoutMs, 100, 600000, PGC_SUSET, GUC_UNIT_MS, nullptr,
                          nullptr, nullptr);
  // Read when the worker starts. PGC_SIGHUP rather than PGC_POSTMASTER: a backend that loads ecpipe without
  // shared_preload_libraries may not define postmaster-level settings (it would be a FATAL error).
  DefineCustomStringVariable("ecpipe.worker_database",
                             "Database whose ecpipe.notifications the worker delivers (read at server start).", nullptr,
                             &guc_worker_database, kDefaultWorkerDatabase, PGC_SIGHUP, 0, nullptr, nullptr, nullptr);
  DefineCustomIntVariable("ecpipe.run_lock_timeout", "How long ecpipe_run waits for another run of the same day.",
                          nullptr, &guc_run_lock_timeout, kDefaultRunLockTimeoutMs, 0, INT_MAX, PGC_USERSET,
                          GUC_UNIT_MS, nullptr, nullptr, nullptr);
  DefineCustomIntVariable("ecpipe.max_retries", "Retries of the load step after a serialization failure or deadlock.",
                          nullptr, &guc_max_retries, kDefaultMaxRetries, 0, 100, PGC_USERSET, 0, nullptr, nullptr,
                          nullptr);
  DefineCustomStringVariable("ecpipe.raw_indexes",
                             "Indexes each new raw_events partition gets once filled: column[:btree|hash|brin], ...",
                             nullptr, &guc_raw_indexes, "", PGC_SUSET, 0, check_raw_indexes, nullptr, nullptr);
  DefineCustomIntVariable(
      "ecpipe.max_new_partitions",
      "How many raw_events partitions one load may make (a batch with events on more new days fails).", nullptr,
      &guc_max_new_partitions, kDefaultMaxNewPartitions, 1, 100000, PGC_SUSET, 0, nullptr, nullptr, nullptr);
  DefineCustomEnumVariable("ecpipe.language", "Language of Slack messages and of the report page: ko or en.", nullptr,
                           &guc_language, static_cast<int>(ecpipe::Language::Korean), kLanguages, PGC_USERSET, 0,
                           nullptr, nullptr, nullptr);
  MarkGUCPrefixReserved("ecpipe");
}

Settings current_settings() {
  Settings s;
  s.min_pass_rate = guc_min_pass_rate;
  s.min_year = guc_min_year;
  s.max_future_us = max_future_us;
  s.amount_tolerance = guc_amount_tolerance;
  s.max_line_bytes = guc_max_line_bytes;
  s.now_us = unix_micros(GetCurrentTransactionStartTimestamp());
  return s;
}

const char* landing_dir() { return guc_landing_dir ? guc_landing_dir : ""; }

int max_new_partitions() { return guc_max_new_partitions; }

ecpipe::Language language() { return static_cast<ecpipe::Language>(guc_language); }

DeliverySettings delivery_settings() {
  DeliverySettings d;
  d.webhook_url = guc_webhook_url ? guc_webhook_url : "";
  d.allowed_hosts = guc_allowed_hosts ? guc_allowed_hosts : "";
  d.max_attempts = guc_notify_max_attempts;
  d.retry_base_seconds = guc_notify_retry_base;
  d.timeout_ms = guc_webhook_timeout;
  return d;
}

const char* worker_database() { return guc_worker_database ? guc_worker_database : kDefaultWorkerDatabase; }

ServerTimeZone::ServerTimeZone() : ServerTimeZone(guc_timezone ? guc_timezone : kDefaultTimeZone) {}

// The validator calls the offsets once or twice per event, so each goes through server_call (a sigsetjmp, no
// allocation) rather than trusting the time-zone code never to raise an ERROR into the validator's frames.
ServerTimeZone::ServerTimeZone(const char* name) : zone_(nullptr), utc_(true) {
  server_call([&] { zone_ = pg_tzset(name); });
  utc_ = zone_ == nullptr || pg_strcasecmp(name, "UTC") == 0;
}

int64_t ServerTimeZone::offset_at_utc(int64_t utc_seconds) const {
  if (utc_) return 0;
  int64_t offset = 0;
  const pg_time_t t = utc_seconds;
  server_call([&] {
    const struct pg_tm* tm = pg_localtime(&t, zone_);
    if (tm) offset = tm->tm_gmtoff;
  });
  return offset;
}

int64_t ServerTimeZone::offset_for_local(int64_t local_seconds) const {
  if (utc_) return 0;
  int y, m, d;
  const int64_t day = floor_div(local_seconds, SECS_PER_DAY);
  civil_from_days(day, y, m, d);
  const int64_t secs = local_seconds - day * SECS_PER_DAY;
  struct pg_tm tm = {};
  tm.tm_year = y;
  tm.tm_mon = m;
  tm.tm_mday = d;
  tm.tm_hour = static_cast<int>(secs / 3600);
  tm.tm_min = static_cast<int>(secs / 60 % 60);
  tm.tm_sec = static_cast<int>(secs % 60);
  int west_of_utc = 0;  // PostgreSQL counts offsets west of UTC
  server_call([&] { west_of_utc = DetermineTimeZoneOffset(&tm, zone_); });
  return -west_of_utc;
}

}  // namespace ecpipe::pg

ECPIPE_FUNCTION(ecpipe_setting) {
  char* name = nullptr;
  ecpipe::pg::server_call([&] { name = text_to_cstring(PG_GETARG_TEXT_PP(0)); });
  std::string n = name;
  for (auto& c : n) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));  // GUC names ignore case
  if (n.rfind("ecpipe.", 0) != 0 || n == "ecpipe.slack_webhook_url")
    throw ecpipe::Error(ecpipe::ErrorKind::InvalidArgument,
                        "ecpipe.setting() reads ecpipe.* settings other than the webhook URL");
  Datum out = 0;
  ecpipe::pg::server_call([&] { out = CStringGetTextDatum(GetConfigOptionByName(name, nullptr, false)); });
  return out;
}

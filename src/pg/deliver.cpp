// The delivery loop over the outbox, and ecpipe_deliver_pending(); ecpipe.slack_message() for payloads.
#include "deliver.hpp"

#include <string>
#include <vector>

#include "boundary.hpp"
#include "datums.hpp"
#include "settings.hpp"
#include "spi.hpp"

#include "ecpipe/error.hpp"
#include "ecpipe/notify/slack.hpp"
#include "ecpipe/notify/webhook.hpp"

namespace ecpipe::pg {

namespace {

struct Due {
  int64_t id;
  int attempts;
  std::string payload;
};

std::vector<Due> lock_due(int limit) {
  spi_exec(
      "SELECT id, attempts, payload::text FROM ecpipe.notifications "
      "WHERE status = 'queued' AND next_attempt_at <= now() ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED",
      {INT4OID}, {Int32GetDatum(limit)});
  std::vector<Due> due;
  uint64_t n = 0;
  server_call([&] { n = SPI_processed; });
  for (uint64_t i = 0; i < n; ++i) {
    Due d{};
    const char* payload = nullptr;
    server_call([&] {
      bool isnull = false;
      d.id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull));
      d.attempts = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2, &isnull));
      payload = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 3);
    });
    d.payload = payload ? payload : "{}";
    due.push_back(std::move(d));
  }
  return due;
}

void record(int64_t id, const char* status, long http_status, const std::string& error, int64_t delay_seconds,
            bool count_attempt) {
  Datum status_text = 0, error_text = 0;
  server_call([&] {
    status_text = CStringGetTextDatum(status);
    error_text = CStringGetTextDatum(error.c_str());
  });
  const char nulls[] = {' ', ' ', http_status ? ' ' : 'n', error.empty() ? 'n' : ' ', ' ', ' '};
  spi_exec(
      "UPDATE ecpipe.notifications SET status = $2, last_status = $3, last_error = $4, "
      "attempts = attempts + $6, next_attempt_at = now() + make_interval(secs => $5), "
      "delivered_at = CASE WHEN $2 = 'delivered' THEN now() END WHERE id = $1",
      {INT8OID, TEXTOID, INT4OID, TEXTOID, FLOAT8OID, INT4OID},
      {Int64GetDatum(id), status_text, Int32GetDatum(static_cast<int32>(http_status)), error_text,
       Float8GetDatum(static_cast<double>(delay_seconds)), Int32GetDatum(count_attempt ? 1 : 0)},
      nulls);
}

}  // namespace

int64_t deliver_due(int limit) {
  const DeliverySettings s = delivery_settings();
  if (s.webhook_url.empty()) return 0;
  const std::vector<Due> due = lock_due(limit);
  if (due.empty()) return 0;
  std::string url, unreadable;
  const bool resolved = resolve_webhook_url(s.webhook_url, url, unreadable);
  WebhookTarget target;
  if (resolved) {
    target = check_webhook_url(url, s.allowed_hosts);
  } else {
    target.why = unreadable;
  }
  for (const Due& d : due) {
    if (!target.allowed) {
      // Never contacted; kept queued so that fixing the setting delivers it. Re-checked after a minute.
      record(d.id, "queued", 0, target.why, 60, false);
      continue;
    }
    // Whatever wrote the row (ecpipe_notify sanitizes too, but a privileged role may INSERT directly), only the
    // sanitized form is sent: no live mention or link, no channel or username override, within Slack's limits.
    std::string payload;
    try {
      payload = slack_payload(d.payload);
    } catch (const Error& e) {
      record(d.id, "dead", 0, e.what(), 0, false);
      continue;
    }
    const HttpResult r = post_json(url, payload, s.timeout_ms, target.plain_http);
    const DeliveryDecision next = decide_delivery(r, d.attempts + 1, s.max_attempts, s.retry_base_seconds);
    const std::string error = r.timed_out ? "timed out" : r.error;
    const char* status = next.next == Delivery::Delivered ? "delivered"
                         : next.next == Delivery::Retry   ? "queued"
                                                          : "dead";
    record(d.id, status, r.status, error, next.delay_seconds, true);
  }
  return static_cast<int64_t>(due.size());
}

}  // namespace ecpipe::pg

ECPIPE_FUNCTION(ecpipe_deliver_pending) {
  const int limit = PG_GETARG_INT32(0);
  ecpipe::pg::SpiConnection spi;
  const int64_t n = ecpipe::pg::deliver_due(limit);
  spi.finish();
  return Int32GetDatum(static_cast<int32>(n));
}

ECPIPE_FUNCTION(ecpipe_slack_payload) {
  char* payload = nullptr;
  ecpipe::pg::server_call([&] { payload = DatumGetCString(DirectFunctionCall1(jsonb_out, PG_GETARG_DATUM(0))); });
  return ecpipe::pg::jsonb_result(ecpipe::slack_payload(payload));
}

ECPIPE_FUNCTION(ecpipe_slack_message) {
  char *kind = nullptr, *summary = nullptr;
  ecpipe::pg::server_call([&] {
    kind = text_to_cstring(PG_GETARG_TEXT_PP(0));
    summary = DatumGetCString(DirectFunctionCall1(jsonb_out, PG_GETARG_DATUM(1)));
  });
  const std::string payload = ecpipe::slack_message(kind, summary, ecpipe::pg::language());
  return ecpipe::pg::jsonb_result(payload);
}

// ecpipe.slack_digest(summaries jsonb): the one message of a backfill, from its days' run summaries (an array).
ECPIPE_FUNCTION(ecpipe_slack_digest) {
  char* summaries = nullptr;
  ecpipe::pg::server_call([&] { summaries = DatumGetCString(DirectFunctionCall1(jsonb_out, PG_GETARG_DATUM(0))); });
  return ecpipe::pg::jsonb_result(ecpipe::slack_digest(summaries, ecpipe::pg::language()));
}

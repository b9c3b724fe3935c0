// Webhook delivery with libcurl: the host allowlist, one POST, and what to do next (delivered, retry, dead).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace ecpipe {

struct WebhookTarget {
  bool allowed = false;
  std::string host;         // as libcurl will contact it: lower case, IPv4 numbers normalised, IPv6 in brackets
  long port = 0;            // explicit or the scheme's default
  bool plain_http = false;  // http (only ever to a loopback host)
  std::string why;          // when not allowed; never contains the URL (it is a secret)
};

// One entry of ecpipe.webhook_allowed_hosts: a host, or host:port ([v6]:port for an IPv6 literal).
struct AllowedHost {
  std::string host;  // lower case
  long port = 0;     // 0: only 443
};

// Parses ecpipe.webhook_allowed_hosts (comma-separated entries, blanks ignored). False with a reason naming the
// first bad entry (a port that is not 1-65535, an empty host, a host with '/', '@' or whitespace inside).
bool parse_allowed_hosts(const std::string& list, std::vector<AllowedHost>& hosts, std::string& why);

// The URL to post to from the ecpipe.slack_webhook_url setting: the setting itself, or, when it reads
// "file:<path>", the first non-blank line of that file (so the secret never sits in a configuration file, which
// the postmaster logs on reload). False with a reason naming the path (never the URL) when the file is unreadable
// or empty.
bool resolve_webhook_url(const std::string& setting, std::string& url, std::string& why);

// The URL must be https (http only to a loopback host), without user information, with a host listed in
// allowed_hosts (compared exactly, case-insensitively, after libcurl's own parsing: an IP literal is allowed only if
// it is itself listed; no trailing-dot or IDN folding) and port 443, or the port its entry names.
WebhookTarget check_webhook_url(const std::string& url, const std::string& allowed_hosts);

struct HttpResult {
  long status = 0;  // HTTP status, 0 when no response
  bool timed_out = false;
  std::string error;         // transport error text (no URL in it)
  int64_t retry_after = -1;  // seconds from a Retry-After header, -1 when absent
};

// POSTs a JSON body; redirects are not followed, only https is spoken (http too when allow_http, for the loopback
// test receiver), and nothing waits past timeout_ms. The server's cancel / terminate is observed while waiting
// (poll_interrupts: throws Interrupted once libcurl has let go).
HttpResult post_json(const std::string& url, const std::string& body, long timeout_ms, bool allow_http = false);

enum class Delivery { Delivered, Retry, Dead };
struct DeliveryDecision {
  Delivery next = Delivery::Dead;
  int64_t delay_seconds = 0;  // for Retry
};

// 2xx delivered; timeouts, transport errors, 5xx and 429 retried with exponential backoff (base × 2^(attempts−1),
// at most an hour; 429's Retry-After wins) until max_attempts, then dead; other statuses dead at once.
DeliveryDecision decide_delivery(const HttpResult& result, int attempts, int max_attempts, int64_t base_delay_seconds);

}  // namespace ecpipe

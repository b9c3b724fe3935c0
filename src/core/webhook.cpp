// libcurl POST for notifications, the allowlist check on the webhook URL, and the retry policy.
#include "ecpipe/webhook.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <mutex>

#include "ecpipe/core_only.hpp"

namespace ecpipe {

namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t"), e = s.find_last_not_of(" \t");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

bool loopback(const std::string& host) { return host == "127.0.0.1" || host == "localhost" || host == "[::1]" || host == "::1"; }

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

size_t discard(char*, size_t size, size_t n, void*) { return size * n; }

size_t header_line(char* data, size_t size, size_t n, void* user) {
  std::string line(data, size * n);
  auto* result = static_cast<HttpResult*>(user);
  if (lower(line.substr(0, 12)) == "retry-after:") {
    std::string v = trim(line.substr(12));
    while (!v.empty() && (v.back() == '\r' || v.back() == '\n')) v.pop_back();
    if (!v.empty() && std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; }) && v.size() < 10)
      result->retry_after = std::stoll(v);
  }
  return size * n;
}

}  // namespace

bool resolve_webhook_url(const std::string& setting, std::string& url, std::string& why) {
  constexpr std::string_view kFile = "file:";
  if (setting.compare(0, kFile.size(), kFile) != 0) {
    url = setting;
    return true;
  }
  const std::string path = setting.substr(kFile.size());
  std::ifstream in(path);
  if (!in.is_open()) {
    why = "cannot read the webhook URL file " + path;
    return false;
  }
  for (std::string line; std::getline(in, line);) {
    const auto first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos) continue;
    url = line.substr(first, line.find_last_not_of(" \t\r") - first + 1);
    return true;
  }
  why = "the webhook URL file " + path + " holds no URL";
  return false;
}

WebhookTarget check_webhook_url(const std::string& url, const std::string& allowed_hosts) {
  WebhookTarget t;
  global_init();
  CURLU* u = curl_url();
  char *scheme = nullptr, *host = nullptr;
  const bool parsed = u && curl_url_set(u, CURLUPART_URL, url.c_str(), 0) == CURLUE_OK &&
                      curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
                      curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK;
  if (parsed) {
    t.host = lower(host);
    const std::string s = lower(scheme);
    if (s != "https" && !(s == "http" && loopback(t.host))) {
      t.why = "the webhook URL must use https";
    } else {
      std::string list = allowed_hosts + ",";
      for (size_t start = 0, comma; (comma = list.find(',', start)) != std::string::npos; start = comma + 1) {
        if (lower(trim(list.substr(start, comma - start))) == t.host) t.allowed = true;
      }
      if (!t.allowed) t.why = "host " + t.host + " is not in ecpipe.webhook_allowed_hosts";
    }
  } else {
    t.why = "the webhook URL cannot be parsed";
  }
  curl_free(scheme);
  curl_free(host);
  curl_url_cleanup(u);
  return t;
}

HttpResult post_json(const std::string& url, const std::string& body, long timeout_ms) {
  HttpResult r;
  global_init();
  CURL* c = curl_easy_init();
  if (!c) {
    r.error = "curl_easy_init failed";
    return r;
  }
  char errbuf[CURL_ERROR_SIZE] = {0};
  struct curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json; charset=utf-8");
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.c_str());
  curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, header_line);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &r);
  curl_easy_setopt(c, CURLOPT_USERAGENT, "ecpipe/0.1");
  const CURLcode rc = curl_easy_perform(c);
  if (rc == CURLE_OK) {
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
  } else {
    r.timed_out = rc == CURLE_OPERATION_TIMEDOUT;
    r.error = curl_easy_strerror(rc);  // generic text: curl's errbuf may name the URL, which is a secret
  }
  curl_slist_free_all(headers);
  curl_easy_cleanup(c);
  return r;
}

DeliveryDecision decide_delivery(const HttpResult& r, int attempts, int max_attempts, int64_t base) {
  if (r.status >= 200 && r.status < 300) return {Delivery::Delivered, 0};
  const bool retryable = r.status == 0 || r.status == 429 || r.status >= 500;
  if (!retryable || attempts >= max_attempts) return {Delivery::Dead, 0};
  int64_t delay = base;
  for (int i = 1; i < attempts && delay < 3600; ++i) delay *= 2;
  delay = std::min<int64_t>(delay, 3600);
  if (r.status == 429 && r.retry_after >= 0) delay = std::min<int64_t>(r.retry_after, 86400);
  return {Delivery::Retry, delay};
}

}  // namespace ecpipe

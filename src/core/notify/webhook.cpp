// libcurl POST for notifications, the allowlist check on the webhook URL, and the retry policy.
#include "ecpipe/notify/webhook.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <mutex>

#include "ecpipe/interrupts.hpp"
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

bool loopback(const std::string& host) {
  return host == "127.0.0.1" || host == "localhost" || host == "[::1]" || host == "::1";
}

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

// libcurl's progress callback (several times a second while it waits): non-zero aborts the transfer.
int stop_requested(void*, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return detail::interrupt_probe != nullptr && detail::interrupt_probe() ? 1 : 0;
}

}  // namespace

bool resolve_webhook_url(const std::string& setting, std::string& url, std::string& why) {
  constexpr std::string_view kFile = "file:";
  if (setting.compare(0, kFile.size(), kFile) != 0) {
    url = setting;
    return true;
  }
  // Only a regular file, opened without waiting (a FIFO or a device would hang the worker), and only its start.
  const std::string path = setting.substr(kFile.size());
  const int fd = open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  struct stat st {};
  if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    if (fd >= 0) close(fd);
    why = "cannot read the webhook URL file " + path + (fd >= 0 ? " (not a regular file)" : "");
    return false;
  }
  char buf[4096];
  const ssize_t n = read(fd, buf, sizeof buf);
  close(fd);
  const std::string text(buf, n > 0 ? static_cast<size_t>(n) : 0);
  for (size_t at = 0; at < text.size();) {
    size_t end = text.find('\n', at);
    if (end == std::string::npos) end = text.size();
    const std::string line = text.substr(at, end - at);
    at = end + 1;
    const auto first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos) continue;
    url = line.substr(first, line.find_last_not_of(" \t\r") - first + 1);
    return true;
  }
  why = "the webhook URL file " + path + " holds no URL";
  return false;
}

bool parse_allowed_hosts(const std::string& list, std::vector<AllowedHost>& hosts, std::string& why) {
  hosts.clear();
  const std::string all = list + ",";
  for (size_t start = 0, comma; (comma = all.find(',', start)) != std::string::npos; start = comma + 1) {
    const std::string entry = lower(trim(all.substr(start, comma - start)));
    if (entry.empty()) continue;
    AllowedHost h;
    std::string port;
    if (entry[0] == '[') {  // [v6] or [v6]:port
      const size_t close = entry.find(']');
      if (close != std::string::npos) {
        h.host = entry.substr(0, close + 1);
        const std::string rest = entry.substr(close + 1);
        if (!rest.empty() && (rest[0] != ':' || rest.size() == 1)) h.host.clear();
        if (!rest.empty()) port = rest.substr(1);
      }
    } else {
      const size_t colon = entry.find(':');
      h.host = entry.substr(0, colon);
      if (colon != std::string::npos) {
        port = entry.substr(colon + 1);
        if (port.empty()) h.host.clear();
      }
    }
    if (!port.empty()) {
      const bool digits = port.size() <= 5 && port.find_first_not_of("0123456789") == std::string::npos;
      h.port = digits ? std::stol(port) : 0;
      if (h.port < 1 || h.port > 65535) {
        why = "\"" + entry + "\" has no port 1-65535 after its host";
        return false;
      }
    }
    if (h.host.empty() || h.host.find_first_of("/@ \t\\?#") != std::string::npos) {
      why = "\"" + entry + "\" is not a host or host:port";
      return false;
    }
    hosts.push_back(std::move(h));
  }
  return true;
}

WebhookTarget check_webhook_url(const std::string& url, const std::string& allowed_hosts) {
  WebhookTarget t;
  global_init();
  CURLU* u = curl_url();
  char *scheme = nullptr, *host = nullptr, *port = nullptr, *user = nullptr, *password = nullptr, *options = nullptr;
  const bool parsed = u && curl_url_set(u, CURLUPART_URL, url.c_str(), 0) == CURLUE_OK &&
                      curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
                      curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
                      curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK;
  const bool userinfo = parsed && (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK ||
                                   curl_url_get(u, CURLUPART_PASSWORD, &password, 0) == CURLUE_OK ||
                                   curl_url_get(u, CURLUPART_OPTIONS, &options, 0) == CURLUE_OK);
  std::vector<AllowedHost> hosts;
  std::string bad_list;
  if (!parsed) {
    t.why = "the webhook URL cannot be parsed";
  } else if (userinfo) {
    t.why = "the webhook URL must not carry user information (user@host)";
  } else if (!parse_allowed_hosts(allowed_hosts, hosts, bad_list)) {
    t.why = "ecpipe.webhook_allowed_hosts: " + bad_list;
  } else {
    t.host = lower(host);
    t.port = std::strtol(port, nullptr, 10);
    const std::string s = lower(scheme);
    t.plain_http = s == "http";
    if (s != "https" && !(s == "http" && loopback(t.host))) {
      t.why = "the webhook URL must use https";
    } else {
      for (const AllowedHost& h : hosts)
        if (h.host == t.host && t.port == (h.port == 0 ? 443 : h.port)) t.allowed = true;
      if (!t.allowed)
        t.why = "host " + t.host + (t.port == 443 ? "" : " port " + std::to_string(t.port)) +
                " is not in ecpipe.webhook_allowed_hosts";
    }
  }
  for (char* p : {scheme, host, port, user, password, options}) curl_free(p);
  curl_url_cleanup(u);
  return t;
}

HttpResult post_json(const std::string& url, const std::string& body, long timeout_ms, bool allow_http) {
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
  curl_easy_setopt(c, CURLOPT_MAXREDIRS, 0L);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, allow_http ? "http,https" : "https");
  curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "https");
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, stop_requested);
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
  if (rc == CURLE_ABORTED_BY_CALLBACK) poll_interrupts();  // the server asked to stop: its own error, not a retry
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

// Slack payloads, the webhook allowlist, the retry policy, and a real POST to an in-process HTTP responder.
#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <fstream>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "ecpipe/error.hpp"
#include "ecpipe/slack.hpp"
#include "ecpipe/webhook.hpp"

using namespace ecpipe;
using nlohmann::json;

namespace {
const char* kRun = R"({"run_id": 7, "ds": "2024-01-01", "status": "blocked", "loaded": 0, "quarantined": 0,
  "checks": [{"check_no": 1, "check_name": "required_fields", "pass_rate": 100.00, "status": "PASS"},
             {"check_no": 3, "check_name": "value_validity", "pass_rate": 97.5, "status": "FAIL",
              "sample": "quantity: 120 > maximum 99"}]})";
}  // namespace

TEST(Slack, QualityReportListsFailingChecksWithASample) {
  json m = json::parse(slack_message("quality_report", kRun));
  EXPECT_EQ(m["text"], "[FAIL] 품질 검증 결과 (2024-01-01)");
  EXPECT_EQ(m["blocks"][1]["fields"][0]["text"], "*통과*\n1/2");
  EXPECT_EQ(m["blocks"][2]["text"]["text"], "- *value_validity*: 97.50% (quantity: 120 > maximum 99)\n");
}

TEST(Slack, BlockedNeverSaysSuccessAndFailedCutsTheError) {
  json blocked = json::parse(slack_message("blocked", kRun));
  EXPECT_EQ(blocked["text"], "[BLOCKED] 품질 기준 미달로 적재 차단 (2024-01-01)");
  EXPECT_EQ(blocked.dump().find("SUCCESS"), std::string::npos);
  json run = json::parse(kRun);
  run["error"] = std::string(800, 'e');
  run["step"] = "marts";
  json failed = json::parse(slack_message("failed", run.dump()));
  EXPECT_EQ(failed["text"], "[ALERT] 파이프라인 실패");
  EXPECT_EQ(failed["blocks"][2]["text"]["text"], "```" + std::string(500, 'e') + "```");
  EXPECT_EQ(failed["blocks"][1]["fields"][1]["text"], "*Task*\nmarts");
}

TEST(Slack, SuccessSummaryCarriesTheCounts) {
  json run = {{"ds", "2024-01-02"}, {"loaded", 1905}, {"users", 288}, {"sessions", 420}, {"orders", 2},
              {"revenue", "125000.00"}, {"quarantined", 0}, {"seconds", 0.21}};
  json m = json::parse(slack_message("success", run.dump()));
  EXPECT_EQ(m["text"], "[SUCCESS] 파이프라인 완료 (2024-01-02)");
  EXPECT_EQ(m["blocks"][1]["fields"][0]["text"], "*이벤트*\n1905");
  EXPECT_EQ(m["blocks"][1]["fields"][4]["text"], "*매출*\n125000.00");
  EXPECT_THROW(slack_message("party", kRun), Error);
  EXPECT_THROW(slack_message("success", "[1]"), Error);
}

TEST(Webhook, AllowlistIsExactAndHttpsOnly) {
  EXPECT_TRUE(check_webhook_url("https://hooks.slack.com/services/T/B/x", "hooks.slack.com").allowed);
  EXPECT_TRUE(check_webhook_url("https://HOOKS.slack.com/x", " hooks.slack.com , other.example").allowed);
  EXPECT_FALSE(check_webhook_url("http://hooks.slack.com/x", "hooks.slack.com").allowed) << "plain http";
  EXPECT_FALSE(check_webhook_url("https://hooks.slack.com.evil.example/x", "hooks.slack.com").allowed);
  EXPECT_FALSE(check_webhook_url("https://evil.example/hooks.slack.com", "hooks.slack.com").allowed);
  EXPECT_FALSE(check_webhook_url("https://hooks.slack.com@evil.example/x", "hooks.slack.com").allowed);
  EXPECT_FALSE(check_webhook_url("https://127.0.0.1/x", "hooks.slack.com").allowed) << "IP literals need listing";
  // curl normalises numeric IPv4 spellings; the allowlist judges the address curl will actually contact.
  EXPECT_EQ(check_webhook_url("https://2130706433/x", "hooks.slack.com").host, "127.0.0.1");
  EXPECT_FALSE(check_webhook_url("https://0x7f000001/x", "hooks.slack.com").allowed);
  EXPECT_TRUE(check_webhook_url("http://127.0.0.1:8080/hook", "127.0.0.1").allowed) << "http only to loopback";
  EXPECT_FALSE(check_webhook_url("ftp://hooks.slack.com/x", "hooks.slack.com").allowed);
  EXPECT_FALSE(check_webhook_url("not a url", "hooks.slack.com").allowed);
  const auto t = check_webhook_url("https://evil.example/secret-token", "hooks.slack.com");
  EXPECT_EQ(t.why, "host evil.example is not in ecpipe.webhook_allowed_hosts");
  EXPECT_EQ(t.why.find("secret-token"), std::string::npos);
}

TEST(Webhook, UrlFromTheSettingOrFromAFile) {
  std::string url, why;
  ASSERT_TRUE(resolve_webhook_url("https://hooks.slack.com/services/T/B/x", url, why));
  EXPECT_EQ(url, "https://hooks.slack.com/services/T/B/x");
  const std::string path = testing::TempDir() + "ecpipe_webhook_url";
  std::ofstream(path) << "\n  https://hooks.slack.com/services/T/B/secret \r\n";
  ASSERT_TRUE(resolve_webhook_url("file:" + path, url, why));
  EXPECT_EQ(url, "https://hooks.slack.com/services/T/B/secret");
  std::ofstream(path) << " \n";
  EXPECT_FALSE(resolve_webhook_url("file:" + path, url, why));
  EXPECT_EQ(why, "the webhook URL file " + path + " holds no URL");
  EXPECT_FALSE(resolve_webhook_url("file:/nonexistent/ecpipe_url", url, why));
  EXPECT_EQ(why, "cannot read the webhook URL file /nonexistent/ecpipe_url");
}

TEST(Webhook, RetryPolicy) {
  HttpResult ok;
  ok.status = 204;
  EXPECT_EQ(decide_delivery(ok, 1, 5, 30).next, Delivery::Delivered);
  HttpResult busy;
  busy.status = 503;
  EXPECT_EQ(decide_delivery(busy, 1, 5, 30).delay_seconds, 30);
  EXPECT_EQ(decide_delivery(busy, 3, 5, 30).delay_seconds, 120);
  EXPECT_EQ(decide_delivery(busy, 5, 5, 30).next, Delivery::Dead);
  EXPECT_EQ(decide_delivery(busy, 4, 20, 3000).delay_seconds, 3600) << "capped at an hour";
  HttpResult limited;
  limited.status = 429;
  limited.retry_after = 7;
  EXPECT_EQ(decide_delivery(limited, 1, 5, 30).delay_seconds, 7);
  HttpResult bad;
  bad.status = 400;
  EXPECT_EQ(decide_delivery(bad, 1, 5, 30).next, Delivery::Dead);
  HttpResult down;
  down.timed_out = true;
  EXPECT_EQ(decide_delivery(down, 1, 5, 30).next, Delivery::Retry);
}

namespace {
// Answers one request with `reply`, records what it received.
struct OneShotServer {
  int fd = -1, port = 0;
  std::string received;
  std::thread worker;
  explicit OneShotServer(std::string reply) {
    fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
    listen(fd, 1);
    worker = std::thread([this, reply] {
      int c = accept(fd, nullptr, nullptr);
      char buf[4096];
      ssize_t n;
      while ((n = read(c, buf, sizeof buf)) > 0) {
        received.append(buf, static_cast<size_t>(n));
        auto h = received.find("\r\n\r\n");
        if (h != std::string::npos && received.size() >= h + 4 + 2) break;
      }
      (void)!write(c, reply.data(), reply.size());
      close(c);
    });
  }
  ~OneShotServer() {
    worker.join();
    close(fd);
  }
};
}  // namespace

TEST(Webhook, PostsJsonAndReadsRetryAfter) {
  OneShotServer s("HTTP/1.1 429 Too Many Requests\r\nRetry-After: 12\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
  HttpResult r = post_json("http://127.0.0.1:" + std::to_string(s.port) + "/hook", "{}", 3000);
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(r.retry_after, 12);
}

TEST(Webhook, RedirectsAreNotFollowed) {
  OneShotServer s("HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:1/elsewhere\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
  HttpResult r = post_json("http://127.0.0.1:" + std::to_string(s.port) + "/hook", "{\"a\":1}", 3000);
  EXPECT_EQ(r.status, 302);
  EXPECT_EQ(decide_delivery(r, 1, 5, 30).next, Delivery::Dead);
}

TEST(Webhook, RefusedConnectionIsRetryable) {
  HttpResult r = post_json("http://127.0.0.1:1/hook", "{}", 1000);
  EXPECT_EQ(r.status, 0);
  EXPECT_FALSE(r.error.empty());
  EXPECT_EQ(decide_delivery(r, 1, 5, 30).next, Delivery::Retry);
}

// Slack payloads, the webhook allowlist, the retry policy, and a real POST to an in-process HTTP responder.
#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <sys/stat.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "ecpipe/error.hpp"
#include "ecpipe/interrupts.hpp"
#include "ecpipe/notify/slack.hpp"
#include "ecpipe/notify/webhook.hpp"

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
  EXPECT_EQ(m["blocks"][2]["text"]["text"], "- *value_validity*: 97.50% `quantity: 120 &gt; maximum 99`\n");
}

TEST(Slack, BlockedNeverSaysSuccessAndFailedCutsTheError) {
  json blocked = json::parse(slack_message("blocked", kRun));
  EXPECT_EQ(blocked["text"], "[BLOCKED] 품질 기준 미달로 적재 차단 (2024-01-01)");
  EXPECT_EQ(blocked.dump().find("SUCCESS"), std::string::npos);
  json run = json::parse(kRun);
  run["error"] = std::string(800, 'e');
  run["step"] = "marts";
  json failed = json::parse(slack_message("failed", run.dump()));
  EXPECT_EQ(failed["text"], "[ALERT] 파이프라인 실패 (2024-01-01)");
  EXPECT_EQ(failed["blocks"][2]["text"]["text"], "```" + std::string(499, 'e') + "\xE2\x80\xA6```");
  EXPECT_EQ(failed["blocks"][1]["fields"][0]["text"], "*단계*\n`marts`");
  EXPECT_EQ(failed["blocks"][1]["fields"][2]["text"], "*실행 번호*\n7");
}

TEST(Slack, SuccessSummaryCarriesTheCounts) {
  json run = {{"ds", "2024-01-02"}, {"loaded", 1905},       {"users", 288},     {"sessions", 420},
              {"orders", 2},        {"revenue", 125000.00}, {"quarantined", 0}, {"seconds", 0.21}};
  json m = json::parse(slack_message("success", run.dump()));
  EXPECT_EQ(m["text"], "[SUCCESS] 파이프라인 완료 (2024-01-02)");
  EXPECT_EQ(m["blocks"][1]["fields"][0]["text"], "*이벤트*\n1,905");
  EXPECT_EQ(m["blocks"][1]["fields"][4]["text"], "*매출*\n125,000원");
  EXPECT_EQ(m["blocks"][1]["fields"][7]["text"], "*소요 시간*\n0.2초");
  json en = json::parse(slack_message("success", run.dump(), Language::English));
  EXPECT_EQ(en["text"], "[SUCCESS] Pipeline finished (2024-01-02)");
  EXPECT_EQ(en["blocks"][1]["fields"][0]["text"], "*Events*\n1,905");
  EXPECT_EQ(en["blocks"][1]["fields"][4]["text"], "*Revenue*\nKRW 125,000");
  EXPECT_EQ(en["blocks"][1]["fields"][7]["text"], "*Duration*\n0.2 s");
  run["revenue"] = "12.5 <b>";
  EXPECT_EQ(json::parse(slack_message("success", run.dump()))["blocks"][1]["fields"][4]["text"],
            "*매출*\n12.5 &lt;b&gt;")
      << "a revenue that is no number is shown as it is, escaped";
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
  EXPECT_TRUE(check_webhook_url("http://127.0.0.1:8080/hook", "127.0.0.1:8080").allowed) << "http only to loopback";
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
  OneShotServer s(
      "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 12\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
  HttpResult r = post_json("http://127.0.0.1:" + std::to_string(s.port) + "/hook", "{}", 3000, true);
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(r.retry_after, 12);
}

TEST(Webhook, RedirectsAreNotFollowed) {
  OneShotServer s(
      "HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:1/elsewhere\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
  HttpResult r = post_json("http://127.0.0.1:" + std::to_string(s.port) + "/hook", "{\"a\":1}", 3000, true);
  EXPECT_EQ(r.status, 302);
  EXPECT_EQ(decide_delivery(r, 1, 5, 30).next, Delivery::Dead);
}

TEST(Webhook, RefusedConnectionIsRetryable) {
  HttpResult r = post_json("http://127.0.0.1:1/hook", "{}", 1000, true);
  EXPECT_EQ(r.status, 0);
  EXPECT_FALSE(r.error.empty());
  EXPECT_EQ(decide_delivery(r, 1, 5, 30).next, Delivery::Retry);
}

// ---- Values from data in Slack messages: escaped, cut, kept in code spans ----

TEST(SlackText, EscapesWhatSlackParsesAndNothingElse) {
  EXPECT_EQ(slack_text("<!channel> <https://evil.example|sign in>", 200),
            "&lt;!channel&gt; &lt;https://evil.example|sign in&gt;");
  EXPECT_EQ(slack_text("AT&T <@U123> *bold* _it_", 200), "AT&amp;T &lt;@U123&gt; *bold* _it_");
  EXPECT_EQ(slack_text("&amp;", 200), "&amp;amp;") << "data is never taken for an entity";
  EXPECT_EQ(slack_text("a`b```c", 200),
            "a\xCB\x8B"
            "b\xCB\x8B\xCB\x8B\xCB\x8B"
            "c")
      << "no backtick survives";
  EXPECT_EQ(slack_text("a\nb\tc\x01\x7F"
                       "d",
                       200),
            "a b c  d");
  EXPECT_EQ(slack_text("a\nb\r", 200, true), "a\nb ");
  EXPECT_EQ(slack_text("\xE2\x80\xAE"
                       "lmth.exe",
                       200),
            " lmth.exe")
      << "a right-to-left override is blanked";
  EXPECT_EQ(slack_text("a\xFF", 200), "a\xEF\xBF\xBD");
  EXPECT_EQ(slack_code("<!here>`", 200), "`&lt;!here&gt;\xCB\x8B`");
  EXPECT_EQ(slack_code("", 200), "\xE2\x80\x94");
}

TEST(SlackText, CutsToACountOfCharactersWithAnEllipsisNeverInsideAnEntity) {
  EXPECT_EQ(slack_text(std::string(300, 'x'), 200), std::string(199, 'x') + "\xE2\x80\xA6");
  EXPECT_EQ(slack_text(std::string(200, 'x'), 200), std::string(200, 'x')) << "exactly 200 is not cut";
  EXPECT_EQ(slack_text("ab<", 6), "ab&lt;");
  EXPECT_EQ(slack_text("ab<c", 6), "ab\xE2\x80\xA6");
  EXPECT_EQ(slack_text("aaa&", 5), "aaa\xE2\x80\xA6");
  EXPECT_EQ(slack_text("품질검증", 3), "품질\xE2\x80\xA6") << "characters, not bytes";
  EXPECT_EQ(slack_text(std::string(1 << 20, '<'), 200).size(), 49 * 4 + 3u) << "a 1 MB value costs 200 characters";
}

namespace {
const std::string kHostile = "<!channel> <https://evil.example|sign in>";

json hostile_run() {
  return {
      {"run_id", 9},
      {"ds", "2024-03-01"},
      {"status", "blocked"},
      {"checks", json::array({{{"check_no", 7},
                               {"check_name", "platform_device"},
                               {"pass_rate", 50.0},
                               {"status", "FAIL"},
                               {"sample", "platform " + kHostile +
                                              " differs from `web` (event 00000000-0000-4000-8000-000000000002)"}}})}};
}
}  // namespace

TEST(Slack, AHostilePlatformInASampleIsInertAndQuoted) {
  const std::string payload = slack_message("quality_report", hostile_run().dump());
  EXPECT_EQ(json::parse(payload)["blocks"][2]["text"]["text"],
            "- *platform_device*: 50.00% `platform &lt;!channel&gt; &lt;https://evil.example|sign in&gt; differs from "
            "\xCB\x8B"
            "web\xCB\x8B (event 00000000-0000-4000-8000-000000000002)`\n");
  EXPECT_EQ(payload.find('<'), std::string::npos) << payload;
  EXPECT_EQ(
      payload,
      R"j({"blocks":[{"text":{"text":"[FAIL] 품질 검증 결과 (2024-03-01)","type":"plain_text"},"type":"header"},)j"
      R"({"fields":[{"text":"*통과*\n0/1","type":"mrkdwn"},{"text":"*날짜*\n2024-03-01","type":"mrkdwn"}],"type":"section"},)"
      R"({"text":{"text":"- *platform_device*: 50.00% `platform &lt;!channel&gt; &lt;https://evil.example|sign in&gt; differs from ˋwebˋ (event 00000000-0000-4000-8000-000000000002)`\n","type":"mrkdwn"},"type":"section"}],)"
      R"j("text":"[FAIL] 품질 검증 결과 (2024-03-01)","unfurl_links":false,"unfurl_media":false})j");
}

TEST(Slack, EveryValueOfTheSummaryIsData) {
  json run = hostile_run();
  run["ds"] = "<!here>";
  run["run_id"] = "<@U1>";
  run["step"] = "<#C1>";
  run["error"] = "invalid input syntax for type numeric: \"<!channel>\"\n```close`";
  run["checks"][0]["check_name"] = "<!everyone>";
  run["checks"][0]["pass_rate"] = "<b>";
  run["loaded"] = kHostile;
  const std::string failed = slack_message("failed", run.dump());
  EXPECT_EQ(json::parse(failed)["blocks"][2]["text"]["text"],
            "```invalid input syntax for type numeric: \"&lt;!channel&gt;\"\n\xCB\x8B\xCB\x8B\xCB\x8B"
            "close\xCB\x8B```");
  EXPECT_NE(failed.find(R"("text":"```invalid input syntax for type numeric: \"&lt;!channel&gt;\"\nˋˋˋcloseˋ```")"),
            std::string::npos)
      << "JSON-encoded: quotes and the newline escaped";
  EXPECT_EQ(json::parse(failed)["blocks"][1]["fields"][0]["text"], "*단계*\n`&lt;#C1&gt;`");
  EXPECT_EQ(json::parse(failed)["blocks"][1]["fields"][2]["text"], "*실행 번호*\n&lt;@U1&gt;");
  const std::string blocked = slack_message("blocked", json{{"ds", "<!here>"}, {"checks", run["checks"]}}.dump());
  EXPECT_EQ(json::parse(blocked)["text"], "[BLOCKED] 품질 기준 미달로 적재 차단 (&lt;!here&gt;)");
  EXPECT_EQ(json::parse(blocked)["blocks"][2]["text"]["text"], "```&lt;!everyone&gt; &lt;b&gt;%\n```");
  const std::string report = slack_message("quality_report", run.dump());
  EXPECT_EQ(json::parse(report)["blocks"][2]["text"]["text"].get<std::string>().substr(0, 36),
            "- *&lt;!everyone&gt;*: &lt;b&gt;% `p");
  EXPECT_EQ(json::parse(slack_message("success", run.dump()))["blocks"][1]["fields"][0]["text"],
            "*이벤트*\n&lt;!channel&gt; &lt;https://evil.examp\xE2\x80\xA6")
      << "40 characters";
  EXPECT_EQ(
      slack_message("no_data", R"({"ds": "<!here>"})"),
      R"j({"blocks":[{"text":{"text":"[NO DATA] 적재할 데이터 없음 (&lt;!here&gt;)","type":"plain_text"},"type":"header"},)j"
      R"j({"text":{"text":"이 날짜에 들어온 이벤트가 없어 아무것도 적재하지 않았습니다.","type":"mrkdwn"},"type":"section"}],)j"
      R"j("text":"[NO DATA] 적재할 데이터 없음 (&lt;!here&gt;)","unfurl_links":false,"unfurl_media":false})j");
  for (const char* kind : {"quality_report", "success", "blocked", "failed", "no_data"})
    EXPECT_EQ(slack_message(kind, run.dump()).find('<'), std::string::npos) << kind;
}

TEST(Slack, MessagesStayWithinSlacksLimits) {
  json run = hostile_run();
  run["ds"] = std::string(5000, '&');
  json checks = json::array();
  for (int i = 0; i < 12; ++i)
    checks.push_back({{"check_name", std::string(500, 'n')},
                      {"pass_rate", 1.0},
                      {"status", "FAIL"},
                      {"sample", std::string(100000, '>')}});
  run["checks"] = checks;
  run["error"] = std::string(100000, '<');
  const json report = json::parse(slack_message("quality_report", run.dump()));
  EXPECT_LE(report["blocks"][0]["text"]["text"].get<std::string>().size(), 150u);
  const std::string failures = report["blocks"][2]["text"]["text"];
  EXPECT_LE(failures.size(), 3000u);
  EXPECT_EQ(failures.substr(failures.size() - 13), "\xE2\x80\xA6 외 2개\n");
  const std::string english =
      json::parse(slack_message("quality_report", run.dump(), Language::English))["blocks"][2]["text"]["text"];
  EXPECT_EQ(english.substr(english.size() - 15), "\xE2\x80\xA6 and 2 more\n");
  const json failed = json::parse(slack_message("failed", run.dump()));
  EXPECT_EQ(failed["blocks"][2]["text"]["text"].get<std::string>().size(), 6 + 124 * 4 + 3u);
}

// ---- Any payload is sanitized before it is queued and again before it is sent (an operator's text is data) ----

TEST(SlackPayload, KeepsOnlyTextAndSimpleBlocksEscaped) {
  const std::string hostile = R"({"text": "<!channel> hi & bye &amp; ok", "channel": "#general", "username": "CEO",
    "icon_url": "https://evil.example/ceo.png", "link_names": 1, "parse": "full", "unfurl_links": true,
    "attachments": [{"text": "<!here>"}],
    "blocks": [{"type": "actions", "elements": [{"type": "button", "url": "https://evil.example", "text": {"type": "plain_text", "text": "sign in"}}]},
               {"type": "section", "text": {"type": "mrkdwn", "text": "<https://evil.example|sign in>", "verbatim": true},
                "accessory": {"type": "image", "image_url": "https://evil.example/x.png"}},
               {"type": "image", "image_url": "https://evil.example/x.png"},
               {"type": "header", "text": {"type": "mrkdwn", "text": "<!here>"}},
               {"type": "context", "elements": [{"type": "image"}, {"type": "mrkdwn", "text": "`x`"}]},
               {"type": "divider", "block_id": "x"}, "junk", 7, {"type": "section"}]})";
  EXPECT_EQ(slack_payload(hostile),
            R"({"blocks":[{"text":{"text":"&lt;https://evil.example|sign in&gt;","type":"mrkdwn"},"type":"section"},)"
            R"({"text":{"text":"&lt;!here&gt;","type":"plain_text"},"type":"header"},)"
            R"({"elements":[{"text":"`x`","type":"mrkdwn"}],"type":"context"},{"type":"divider"}],)"
            R"("text":"&lt;!channel&gt; hi &amp; bye &amp; ok","unfurl_links":false,"unfurl_media":false})");
  EXPECT_EQ(slack_payload(slack_payload(hostile)), slack_payload(hostile)) << "idempotent";
  EXPECT_EQ(slack_payload(R"({"text": "hello"})"), R"({"text":"hello","unfurl_links":false,"unfurl_media":false})");
  EXPECT_EQ(slack_payload(R"({"text": "hello", "n": 1e400})"), slack_payload(R"({"text": "hello"})"))
      << "jsonb holds 1e400; the payload is still an object";
  EXPECT_THROW(slack_payload("[1]"), Error);
  EXPECT_THROW(slack_payload("{}"), Error);
  EXPECT_THROW(slack_payload(R"({"text": 5, "blocks": [{"type": "image"}]})"), Error);
}

TEST(SlackPayload, LeavesEcpipesOwnMessagesAsTheyAre) {
  json run = hostile_run();
  run["error"] = "a \"<quoted>\" error & more\nline two";
  for (const char* kind : {"quality_report", "success", "blocked", "failed", "no_data"}) {
    const std::string m = slack_message(kind, run.dump());
    EXPECT_EQ(slack_payload(m), m) << kind;
  }
}

TEST(SlackPayload, CutsToSlacksLimits) {
  json blocks = json::array();
  for (int i = 0; i < 60; ++i) blocks.push_back({{"type", "divider"}});
  blocks[0] = {{"type", "header"}, {"text", {{"type", "plain_text"}, {"text", std::string(200, 'h')}}}};
  const json out = json::parse(slack_payload(json{{"blocks", blocks}, {"text", std::string(5000, 't')}}.dump()));
  EXPECT_EQ(out["blocks"].size(), 50u);
  EXPECT_EQ(out["blocks"][0]["text"]["text"], std::string(149, 'h') + "\xE2\x80\xA6");
  EXPECT_EQ(out["text"], std::string(2999, 't') + "\xE2\x80\xA6");
}

// ---- The allowlist: host and port, exactly ----

TEST(Webhook, OnlyPort443UnlessTheEntryNamesAPort) {
  const auto odd = check_webhook_url("https://HOOKS.SLACK.COM:8099/services/T/B/x", "hooks.slack.com");
  EXPECT_FALSE(odd.allowed);
  EXPECT_EQ(odd.why, "host hooks.slack.com port 8099 is not in ecpipe.webhook_allowed_hosts");
  EXPECT_TRUE(check_webhook_url("https://hooks.slack.com:443/x", "hooks.slack.com").allowed);
  EXPECT_EQ(check_webhook_url("https://hooks.slack.com/x", "hooks.slack.com").port, 443);
  EXPECT_TRUE(check_webhook_url("https://hooks.slack.com:8443/x", "hooks.slack.com:8443").allowed);
  EXPECT_FALSE(check_webhook_url("https://hooks.slack.com/x", "hooks.slack.com:8443").allowed) << "a listed port only";
  EXPECT_FALSE(check_webhook_url("https://hooks.slack.com:8444/x", "hooks.slack.com:8443").allowed);
  EXPECT_TRUE(check_webhook_url("https://hooks.slack.com:8443/x", "hooks.slack.com, HOOKS.slack.com:8443").allowed);
  EXPECT_FALSE(check_webhook_url("http://127.0.0.1:8080/hook", "127.0.0.1").allowed)
      << "the test receiver lists its port";
  EXPECT_FALSE(check_webhook_url("http://127.0.0.1/hook", "127.0.0.1").allowed) << "plain http is port 80, not 443";
  EXPECT_TRUE(check_webhook_url("http://127.0.0.1/hook", "127.0.0.1:80").allowed);
  EXPECT_TRUE(check_webhook_url("https://[::1]/x", "[::1]").allowed);
  EXPECT_TRUE(check_webhook_url("http://[::1]:8080/x", "[::1]:8080").allowed);
  EXPECT_FALSE(check_webhook_url("http://[::1]:8081/x", "[::1]:8080").allowed);
}

TEST(Webhook, HostTricksAreRefused) {
  const char* allow = "hooks.slack.com";
  const auto userinfo = check_webhook_url("https://hooks.slack.com@evil.example/x", allow);
  EXPECT_FALSE(userinfo.allowed);
  EXPECT_EQ(userinfo.why, "the webhook URL must not carry user information (user@host)");
  EXPECT_FALSE(check_webhook_url("https://user:pw@hooks.slack.com/x", allow).allowed) << "even to the right host";
  EXPECT_FALSE(check_webhook_url("https://hooks.slack.com:443@evil.example/x", allow).allowed);
  EXPECT_FALSE(check_webhook_url("https://hooks.slack.com./x", allow).allowed) << "a trailing dot is another name";
  EXPECT_FALSE(check_webhook_url("https://hooks.sl\xD0\xB0"
                                 "ck.com/x",
                                 allow)
                   .allowed)
      << "a Cyrillic a";
  // libcurl decodes a percent-encoded host name, and connects to the decoded one: that is the one judged.
  EXPECT_EQ(check_webhook_url("https://evil%2eexample/x", allow).host, "evil.example");
  EXPECT_FALSE(check_webhook_url("https://evil%2eexample/x", allow).allowed);
  EXPECT_FALSE(check_webhook_url("https://evil.example\\@hooks.slack.com/x", allow).allowed);
  EXPECT_FALSE(check_webhook_url("https://evil.example#@hooks.slack.com/x", allow).allowed);
  EXPECT_FALSE(check_webhook_url("https://evil.example?@hooks.slack.com/x", allow).allowed);
  EXPECT_FALSE(check_webhook_url("http://hooks.slack.com:443/x", allow).allowed) << "https only";
  EXPECT_EQ(check_webhook_url("http://hooks.slack.com:443/x", allow).why, "the webhook URL must use https");
  EXPECT_FALSE(check_webhook_url("https://0177.0.0.1/x", "127.0.0.1.evil").allowed);
  EXPECT_FALSE(check_webhook_url("https://[::ffff:127.0.0.1]/x", "127.0.0.1").allowed);
  EXPECT_FALSE(check_webhook_url("file:///etc/passwd", allow).allowed);
  EXPECT_FALSE(check_webhook_url("gopher://hooks.slack.com/x", allow).allowed);
}

TEST(Webhook, TheAllowlistItself) {
  std::vector<AllowedHost> hosts;
  std::string why;
  ASSERT_TRUE(parse_allowed_hosts(" , Hooks.Slack.com ,[::1]:8080, 127.0.0.1:5 ,", hosts, why));
  ASSERT_EQ(hosts.size(), 3u);
  EXPECT_EQ(hosts[0].host, "hooks.slack.com");
  EXPECT_EQ(hosts[0].port, 0);
  EXPECT_EQ(hosts[1].host, "[::1]");
  EXPECT_EQ(hosts[1].port, 8080);
  EXPECT_EQ(hosts[2].port, 5);
  EXPECT_FALSE(parse_allowed_hosts("hooks.slack.com:0", hosts, why));
  EXPECT_EQ(why, "\"hooks.slack.com:0\" has no port 1-65535 after its host");
  EXPECT_FALSE(parse_allowed_hosts("hooks.slack.com:99999", hosts, why));
  EXPECT_FALSE(parse_allowed_hosts("hooks.slack.com:", hosts, why));
  EXPECT_FALSE(parse_allowed_hosts("::1", hosts, why));
  EXPECT_FALSE(parse_allowed_hosts("evil.example/hooks", hosts, why));
  EXPECT_EQ(why, "\"evil.example/hooks\" is not a host or host:port");
  EXPECT_FALSE(parse_allowed_hosts("user@hooks.slack.com", hosts, why));
  EXPECT_FALSE(parse_allowed_hosts("[::1]x", hosts, why));
  const auto bad = check_webhook_url("https://hooks.slack.com/x", "hooks.slack.com:http");
  EXPECT_FALSE(bad.allowed);
  EXPECT_EQ(bad.why, "ecpipe.webhook_allowed_hosts: \"hooks.slack.com:http\" has no port 1-65535 after its host");
}

TEST(Webhook, PlainHttpIsSpokenOnlyWhenAsked) {
  HttpResult r = post_json("http://127.0.0.1:1/hook", "{}", 1000);
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.error, "Unsupported protocol");
}

TEST(Webhook, AFifoOrADeviceIsNoUrlFile) {
  const std::string fifo = testing::TempDir() + "ecpipe_webhook_fifo";
  unlink(fifo.c_str());
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  std::string url, why;
  EXPECT_FALSE(resolve_webhook_url("file:" + fifo, url, why));  // returns at once, no writer needed
  EXPECT_EQ(why, "cannot read the webhook URL file " + fifo + " (not a regular file)");
  unlink(fifo.c_str());
  EXPECT_FALSE(resolve_webhook_url("file:/dev/zero", url, why));
  EXPECT_FALSE(resolve_webhook_url("file:/", url, why));
}

TEST(Webhook, ACancelStopsAWaitingPost) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);  // listens, never answers
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  listen(fd, 1);
  static auto started = std::chrono::steady_clock::now();
  started = std::chrono::steady_clock::now();
  set_interrupt_probe([] { return std::chrono::steady_clock::now() - started > std::chrono::milliseconds(300); });
  const std::string url = "http://127.0.0.1:" + std::to_string(ntohs(a.sin_port)) + "/hook";
  EXPECT_THROW(post_json(url, "{}", 20000, true), Interrupted);
  set_interrupt_probe(nullptr);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(3));
  close(fd);
}

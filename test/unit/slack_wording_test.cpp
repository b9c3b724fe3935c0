// Slack messages in each language (ecpipe.language), numbers as people read them, and a backfill's one digest.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "ecpipe/error.hpp"
#include "ecpipe/notify/slack.hpp"
#include "ecpipe/notify/wording.hpp"

using namespace ecpipe;
using nlohmann::json;

namespace {

// Whether s holds a Hangul syllable (U+AC00..U+D7A3: UTF-8 lead bytes 0xEA..0xED).
bool has_hangul(const std::string& s) {
  for (unsigned char c : s)
    if (c >= 0xEA && c <= 0xED) return true;
  return false;
}

json run(const char* ds, const char* status) {
  return {{"run_id", 1},
          {"ds", ds},
          {"status", status},
          {"loaded", 0},
          {"quarantined", 0},
          {"users", 0},
          {"sessions", 0},
          {"orders", 0},
          {"revenue", 0},
          {"seconds", 1.5},
          {"checks", json::array({{{"check_name", "required_fields"}, {"pass_rate", 100.0}, {"status", "PASS"}}})}};
}

// A week: five days succeeded, one blocked on two checks, one failed in its marts step.
json week() {
  json days = json::array();
  for (const char* ds : {"2024-01-01", "2024-01-02", "2024-01-04", "2024-01-05", "2024-01-07"}) {
    json r = run(ds, "succeeded");
    r["loaded"] = 1000000;
    r["revenue"] = 51855000.5;
    days.push_back(r);
  }
  json blocked = run("2024-01-03", "blocked");
  blocked["checks"] = json::array({{{"check_name", "required_fields"}, {"pass_rate", 100.0}, {"status", "PASS"}},
                                   {{"check_name", "order_amount"}, {"pass_rate", 96.9}, {"status", "FAIL"}},
                                   {{"check_name", "funnel_sequence"}, {"pass_rate", 98.5}, {"status", "FAIL"}}});
  json failed = run("2024-01-06", "failed");
  failed["step"] = "marts";
  failed["error"] = "deadlock detected";
  days.insert(days.begin() + 2, blocked);
  days.insert(days.begin() + 5, failed);
  return days;
}

}  // namespace

TEST(Wording, ThousandsAndWon) {
  EXPECT_EQ(thousands(0), "0");
  EXPECT_EQ(thousands(999), "999");
  EXPECT_EQ(thousands(1000), "1,000");
  EXPECT_EQ(thousands(888852), "888,852");
  EXPECT_EQ(thousands(-1234567), "-1,234,567");
  EXPECT_EQ(thousands(INT64_MIN), "-9,223,372,036,854,775,808");
  EXPECT_EQ(won(12500000, Language::Korean), "125,000원");
  EXPECT_EQ(won(12500000, Language::English), "KRW 125,000");
  EXPECT_EQ(won(1250, Language::English), "KRW 12.50") << "hundredths only when there are any";
  EXPECT_EQ(won(5, Language::Korean), "0.05원");
  EXPECT_EQ(won(-300000, Language::English), "KRW -3,000");
  EXPECT_EQ(hundredths_of(125000.0), 12500000);
  EXPECT_EQ(hundredths_of(0.005), 1) << "half away from zero";
  EXPECT_FALSE(hundredths_of(1e300).has_value());
  EXPECT_EQ(language_named("en"), Language::English);
  EXPECT_EQ(language_named("ko"), Language::Korean);
  EXPECT_FALSE(language_named("fr").has_value());
}

TEST(Wording, EachLanguageSpeaksOnlyItselfAndNoAirflowWords) {
  json failed = run("2024-01-06", "failed");
  failed["step"] = "load";
  failed["error"] = "disk full";
  json blocked = week()[2];
  for (const auto& [kind, summary] :
       std::vector<std::pair<std::string, json>>{{"quality_report", blocked},
                                                 {"success", run("2024-01-01", "succeeded")},
                                                 {"blocked", blocked},
                                                 {"failed", failed},
                                                 {"no_data", run("2024-01-01", "no_data")}}) {
    const std::string en = slack_message(kind, summary.dump(), Language::English);
    const std::string ko = slack_message(kind, summary.dump(), Language::Korean);
    EXPECT_FALSE(has_hangul(en)) << kind << ": " << en;
    EXPECT_TRUE(has_hangul(ko)) << kind;
    for (const char* word : {"DAG", "Task", "Events", "Date", "Step", "Run", "Passed", "No events"})
      EXPECT_EQ(ko.find(word), std::string::npos) << kind << " says " << word << " in Korean: " << ko;
    for (const char* word : {"DAG", "Task"}) EXPECT_EQ(en.find(word), std::string::npos) << kind;
  }
  const std::string en_digest = slack_digest(week().dump(), Language::English);
  EXPECT_FALSE(has_hangul(en_digest)) << en_digest;
  EXPECT_TRUE(has_hangul(slack_digest(week().dump(), Language::Korean)));
}

TEST(Digest, OneMessageForAWeekWithItsBlockedAndFailedDays) {
  const json m = json::parse(slack_digest(week().dump(), Language::English));
  EXPECT_EQ(m["text"], "[ALERT] Backfill results (2024-01-01 \xE2\x80\x93 2024-01-07)") << "a day failed";
  const json& f = m["blocks"][1]["fields"];
  EXPECT_EQ(f[0]["text"], "*Succeeded*\n5 days");
  EXPECT_EQ(f[1]["text"], "*Blocked*\n1 day");
  EXPECT_EQ(f[2]["text"], "*Failed*\n1 day");
  EXPECT_EQ(f[3]["text"], "*No data*\n0 days");
  EXPECT_EQ(f[4]["text"], "*Events*\n5,000,000") << "the days that succeeded";
  EXPECT_EQ(f[5]["text"], "*Revenue*\nKRW 259,275,002.50") << "5 x 51,855,000.50";
  EXPECT_EQ(m["blocks"][2]["text"]["text"],
            "*Blocked days*\n- 2024-01-03: order_amount 96.90%, funnel_sequence 98.50%\n");
  EXPECT_EQ(m["blocks"][3]["text"]["text"], "*Failed days*\n- 2024-01-06: `marts` `deadlock detected`\n");
  const json ko = json::parse(slack_digest(week().dump(), Language::Korean));
  EXPECT_EQ(ko["text"], "[ALERT] 백필 결과 (2024-01-01 \xE2\x80\x93 2024-01-07)");
  EXPECT_EQ(ko["blocks"][1]["fields"][0]["text"], "*성공*\n5일");
  EXPECT_EQ(ko["blocks"][1]["fields"][5]["text"], "*매출*\n259,275,002.50원");
}

TEST(Digest, AllGoodSaysSuccessAndLongListsAreCut) {
  json days = json::array({run("2024-02-01", "succeeded")});
  EXPECT_EQ(json::parse(slack_digest(days.dump(), Language::English))["text"],
            "[SUCCESS] Backfill results (2024-02-01)");
  json many = json::array();
  for (int d = 1; d <= 13; ++d) {
    json r = week()[2];
    r["ds"] = "2024-03-" + std::string(d < 10 ? "0" : "") + std::to_string(d);
    many.push_back(r);
  }
  const std::string blocked = json::parse(slack_digest(many.dump(), Language::English))["blocks"][2]["text"]["text"];
  EXPECT_EQ(blocked.substr(blocked.size() - 20), "\xE2\x80\xA6 and 3 more days\n");
  EXPECT_EQ(json::parse(slack_digest(many.dump(), Language::Korean))["blocks"][1]["fields"][1]["text"], "*차단*\n13일");
}

TEST(Digest, EveryValueIsDataAndOnlyAnArrayOfSummariesIsTaken) {
  json days = week();
  days[2]["ds"] = "<!here>";
  days[2]["checks"][1]["check_name"] = "<@U1> `x`";
  days[5]["error"] = "```<!channel>";
  days[5]["step"] = "<#C1>";
  const std::string m = slack_digest(days.dump(), Language::English);
  EXPECT_EQ(m.find('<'), std::string::npos) << m;
  EXPECT_NE(m.find("- &lt;!here&gt;: &lt;@U1&gt; \xCB\x8Bx\xCB\x8B 96.90%"), std::string::npos) << m;
  EXPECT_NE(m.find("`&lt;#C1&gt;` `\xCB\x8B\xCB\x8B\xCB\x8B&lt;!channel&gt;`"), std::string::npos) << m;
  EXPECT_THROW(slack_digest("{}", Language::English), Error);
  EXPECT_THROW(slack_digest("[1]", Language::English), Error);
  EXPECT_THROW(slack_digest("not json", Language::English), Error);
  EXPECT_EQ(json::parse(slack_digest("[]", Language::English))["blocks"][1]["fields"][0]["text"],
            "*Succeeded*\n0 days");
}

TEST(Digest, ARangeAskedForAndWhereACancelStoppedIt) {
  json runs = week();
  runs.erase(runs.size() - 1);  // 01-06 and 01-07 never ran: 01-05 was cancelled
  runs.erase(runs.size() - 1);
  runs.back()["status"] = "failed";
  runs.back()["cancelled"] = true;
  runs.back()["error"] = "canceling statement due to user request";
  runs[0]["quarantined"] = 128;
  runs[1]["quarantined"] = 2;
  const json input = {{"from", "2024-01-01"}, {"to", "2024-01-07"}, {"runs", runs}};
  const json m = json::parse(slack_digest(input.dump(), Language::English));
  EXPECT_EQ(m["text"], "[ALERT] Backfill results (2024-01-01 \xE2\x80\x93 2024-01-07)") << "the range asked for";
  EXPECT_EQ(m["blocks"][1]["fields"][6]["text"], "*Quarantined*\n130");
  EXPECT_EQ(m["blocks"][2]["text"]["text"], "*Stopped after 2024-01-05: 2 days not run*");
  const json ko = json::parse(slack_digest(input.dump(), Language::Korean));
  EXPECT_EQ(ko["blocks"][2]["text"]["text"], "*중단됨: 2024-01-05까지 실행, 2일은 실행되지 않음*");
}

TEST(Digest, SumsNeverOverflowAndListsStayWithinASection) {
  json runs = json::array();
  for (int i = 0; i < 2; ++i) {
    json r = run("2024-01-01", "succeeded");
    r["loaded"] = INT64_MAX;
    runs.push_back(r);
  }
  for (int i = 0; i < 30; ++i) {
    json r = run("2024-02-01", "failed");
    r["error"] = std::string(1000, 'e');
    runs.push_back(r);
  }
  const json m = json::parse(slack_digest(runs.dump(), Language::English));
  EXPECT_EQ(m["blocks"][1]["fields"][4]["text"], "*Events*\n9,223,372,036,854,775,807") << "capped, not wrapped";
  const std::string failed = m["blocks"][2]["text"]["text"];
  EXPECT_LT(failed.size(), 3000u);
  EXPECT_NE(failed.find("\xE2\x80\xA6 and 20 more days"), std::string::npos) << failed.substr(failed.size() - 40);
}

TEST(Wording, TheRequiredPassRateIsShownWhenTheSummaryCarriesIt) {
  json blocked = week()[2];
  EXPECT_EQ(json::parse(slack_message("quality_report", blocked.dump()))["blocks"][1]["fields"].size(), 2u)
      << "a summary without it: passed and date only";
  blocked["min_pass_rate"] = 95;
  const json report = json::parse(slack_message("quality_report", blocked.dump()));
  EXPECT_EQ(report["blocks"][1]["fields"][2]["text"], "*기준*\n\xE2\x89\xA5 95.00%") << "a lowered bar says so";
  const json alert = json::parse(slack_message("blocked", blocked.dump(), Language::English));
  EXPECT_EQ(alert["blocks"][1]["fields"][3]["text"], "*Required*\n\xE2\x89\xA5 95.00%");
}

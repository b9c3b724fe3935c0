// Each rule of the seven checks (docs/CHECKS.md), each with a passing and a failing case and exact counts.
#include <gtest/gtest.h>

#include "event_fixture.hpp"

using namespace ecpipe;
using fixture::counts;
using fixture::detail_of;
using fixture::event;
using fixture::json;
using fixture::P;
using fixture::run;
using fixture::run_events;

namespace {
// The detail's first part: what the line failed first, before any session-ordered finding was appended.
std::string first_detail(const BatchReport& r, int line_no) {
  std::string d = detail_of(r, line_no);
  return d.substr(0, d.find("; "));
}
}  // namespace

// ---- check 1: required_fields -------------------------------------------------------------------------------
TEST(RequiredFields, ValidEventsPass) {
  auto r = run_events({event("page_view", 1), event("click", 2), event("search", 3)});
  EXPECT_EQ(counts(r, CheckId::RequiredFields), P(3, 0));
}

TEST(RequiredFields, AbsentNullAndEmptyAreMissing) {
  auto a = event("page_view", 1);
  a.erase("user_id");
  auto b = event("page_view", 2);
  b["user_id"] = nullptr;
  auto c = event("page_view", 3);
  c["user_id"] = "";
  auto d = event("page_view", 4);
  d.erase("page_url");  // type-specific
  auto r = run_events({a, b, c, d, event("page_view", 5)});
  EXPECT_EQ(counts(r, CheckId::RequiredFields), P(5, 4));
  EXPECT_EQ(detail_of(r, 1), "required_fields: missing required user_id");
  EXPECT_EQ(detail_of(r, 4), "required_fields: missing required page_url");
  EXPECT_EQ(counts(r, CheckId::ValueValidity), P(5, 0)) << "missing values are check 1's, not check 3's";
}

TEST(RequiredFields, AMemberFailsOnceHoweverManyFieldsAreMissing) {
  auto a = event("add_to_cart", 1);
  a.erase("quantity");
  a.erase("unit_price");
  a.erase("event_id");
  auto r = run_events({a});
  EXPECT_EQ(counts(r, CheckId::RequiredFields), P(1, 1));
  EXPECT_EQ(first_detail(r, 1), "required_fields: missing required event_id, quantity, unit_price");
}

TEST(RequiredFields, UnknownTypeNeedsOnlyCommonFields) {
  auto a = event("page_view", 1);
  a["event_type"] = "wishlist";
  a.erase("page_url");
  auto r = run_events({a});
  EXPECT_EQ(counts(r, CheckId::RequiredFields), P(1, 0));
  EXPECT_EQ(counts(r, CheckId::ValueValidity), P(1, 1));
}

TEST(RequiredFields, UnparseableLinesFailAndBlankLinesAreIgnored) {
  std::vector<std::string> ls = fixture::lines({event("page_view", 1)});
  ls.push_back("");
  ls.push_back("   \t\r");
  ls.push_back("{\"event_id\": ");
  ls.push_back("[1, 2]");
  auto r = run(ls);
  EXPECT_EQ(counts(r, CheckId::RequiredFields), P(3, 2));
  EXPECT_EQ(r.blank_lines, 2);
  EXPECT_EQ(r.parsed_events, 1);
  EXPECT_EQ(counts(r, CheckId::DuplicateEventId), P(1, 0)) << "only parsed events are in check 2";
  EXPECT_EQ(r.lines[3].disposition, Disposition::Quarantine);
  EXPECT_TRUE(r.lines[3].unparseable);
  EXPECT_EQ(r.lines[1].disposition, Disposition::Blank);
  EXPECT_EQ(detail_of(r, 5), "required_fields: unparseable: not a JSON object (a JSON array)");
  EXPECT_EQ(r.reason_codes(r.lines[3]), "unparseable");
}

// ---- check 2: duplicate_event_id -----------------------------------------------------------------------------
TEST(DuplicateEventId, FirstOccurrencePassesLaterOnesFail) {
  auto r =
      run_events({event("page_view", 1), event("page_view", 1, 1, 5), event("page_view", 1, 1, 9), event("click", 2)});
  EXPECT_EQ(counts(r, CheckId::DuplicateEventId), P(4, 2));
  EXPECT_EQ(r.lines[0].disposition, Disposition::Raw);
  EXPECT_EQ(r.lines[1].disposition, Disposition::Quarantine);
  EXPECT_EQ(detail_of(r, 3), "duplicate_event_id: event_id already seen at line 1");
}

TEST(DuplicateEventId, HundredCopiesGiveNinetyNineFailures) {
  std::vector<json> es(100, event("page_view", 7));
  auto r = run_events(es);
  EXPECT_EQ(counts(r, CheckId::DuplicateEventId), P(100, 99));
  EXPECT_EQ(r.check(CheckId::DuplicateEventId).samples.size(), 20u);
  EXPECT_EQ(r.check(CheckId::DuplicateEventId).samples.front().line_no, 2);
}

TEST(DuplicateEventId, EmptyOrMissingIdsAreNotDuplicates) {
  auto a = event("page_view", 1);
  a["event_id"] = "";
  auto b = event("page_view", 2);
  b["event_id"] = "";
  auto c = event("page_view", 3);
  c.erase("event_id");
  auto r = run_events({a, b, c, c});
  EXPECT_EQ(counts(r, CheckId::DuplicateEventId), P(4, 0));
}

// ---- check 3: value_validity ---------------------------------------------------------------------------------
TEST(ValueValidity, BoundsEnumsPatternsAndFormats) {
  struct Case {
    const char* type;
    const char* field;
    json value;
    const char* reason;  // "" = passes
  };
  const std::vector<Case> cases = {
      {"add_to_cart", "quantity", 0, "quantity: 0 < minimum 1"},
      {"add_to_cart", "quantity", 120, "quantity: 120 > maximum 99"},
      {"add_to_cart", "quantity", 99, ""},
      {"add_to_cart", "quantity", 2.0, ""},
      {"add_to_cart", "quantity", 2.5, "quantity: expected integer, got number 2.5"},
      {"add_to_cart", "quantity", "2", "quantity: expected integer, got string \"2\""},
      {"add_to_cart", "unit_price", -1000, "unit_price: -1000 < minimum 1"},
      {"add_to_cart", "category_id", "CAT1", "category_id: \"CAT1\" does not match ^CAT\\d{3}$"},
      {"add_to_cart", "category_id", nullptr, "category_id: null is not allowed"},
      {"add_to_cart", "is_recommendation", nullptr, ""},
      {"purchase", "total_amount", 999999999, "total_amount: 999999999 > maximum 100000000"},
      {"purchase", "payment_method", "paypal",
       "payment_method: \"paypal\" is not one of credit_card, bank_transfer, kakao_pay, naver_pay, toss_pay"},
      {"purchase", "order_id", "ORD123", "order_id: \"ORD123\" does not match ^ORD\\d{13,}$"},
      {"purchase", "extra_data", 5, "extra_data: expected string or object, got integer 5"},
      {"search", "result_count", -1, "result_count: -1 < minimum 0"},
      {"search", "search_query", "<script>alert(1)</script> 😀", ""},
      {"search", "search_query", std::string(201, 'a'), "search_query: 201 characters > maxLength 200"},
      {"search", "page_number", 0, "page_number: 0 < minimum 1"},
      {"search", "sort_type", nullptr, ""},
      {"search", "sort_type", "cheapest",
       "sort_type: \"cheapest\" is not one of relevance, price_asc, price_desc, latest, popular"},
      {"click", "position", "3", "position: expected integer or null, got string \"3\""},
      {"click", "product_id", nullptr, ""},
      {"click", "element_type", "div",
       "element_type: \"div\" is not one of button, link, banner, product_card, search_result, recommendation"},
      {"page_view", "page_url", "/relative/path", "page_url: \"/relative/path\" is not an absolute URI"},
      {"page_view", "page_url", "https://x.com/a b", "page_url: \"https://x.com/a b\" is not an absolute URI"},
      {"page_view", "page_url", "mailto:a@b.c", ""},
      {"page_view", "page_type", "landing",
       "page_type: \"landing\" is not one of home, category, product, cart, checkout, order_complete, mypage"},
      {"page_view", "os", nullptr, "os: null is not allowed"},
      {"page_view", "os", "BeOS", "os: \"BeOS\" is not one of Windows, macOS, Linux, iOS, Android"},
      {"page_view", "browser", 5, "browser: expected string, got integer 5"},
      {"page_view", "platform", "webx", "platform: \"webx\" is not one of web, ios, android"},
      {"page_view", "event_id", "not-a-uuid", "event_id: \"not-a-uuid\" is not a UUID"},
      {"page_view", "event_id", "ABCDEF00-0000-4000-8000-000000000001", ""},
      {"page_view", "user_id", "U12345", "user_id: \"U12345\" does not match ^U\\d{6}$"},
      {"page_view", "session_id", 12, "session_id: expected string, got integer 12"},
      {"page_view", "timestamp", "not-a-date", ""},  // check 5's business
      {"page_view", "referrer", nullptr, ""},
      {"page_view", "unknown_extra", json::array({1, 2}), ""},
      {"page_view", "quantity", 500, ""},  // not a page_view field: not judged
  };
  for (const auto& c : cases) {
    auto e = event(c.type, 1);
    e[c.field] = c.value;
    auto r = run_events({e});
    const bool should_fail = std::string(c.reason) != "";
    EXPECT_EQ(counts(r, CheckId::ValueValidity), P(1, should_fail ? 1 : 0))
        << c.type << "." << c.field << " = " << c.value;
    if (should_fail) {
      EXPECT_EQ(detail_of(r, 1).substr(0, 16 + std::string(c.reason).size()),
                std::string("value_validity: ") + c.reason);
    }
  }
}

TEST(ValueValidity, UnknownEventTypeFailsAndNonStringTypeFails) {
  auto a = event("page_view", 1);
  a["event_type"] = "wishlist";
  auto b = event("page_view", 2);
  b["event_type"] = 3;
  auto r = run_events({a, b, event("page_view", 3)});
  EXPECT_EQ(counts(r, CheckId::ValueValidity), P(3, 2));
  EXPECT_EQ(detail_of(r, 1),
            "value_validity: event_type: \"wishlist\" is not one of page_view, click, add_to_cart, purchase, search");
}

TEST(ValueValidity, EmptyRequiredStringIsCheckOnesOnly) {
  auto a = event("page_view", 1);
  a["page_type"] = "";
  auto r = run_events({a});
  EXPECT_EQ(counts(r, CheckId::RequiredFields), P(1, 1));
  EXPECT_EQ(counts(r, CheckId::ValueValidity), P(1, 0));
}

TEST(ValueValidity, NulAnywhereFails) {
  std::string with_nul_value = event("page_view", 1).dump();
  with_nul_value.insert(1, "\"note\": \"a\\u0000b\", ");
  std::string with_nul_key = event("page_view", 2).dump();
  with_nul_key.insert(1, "\"k\\u0000\": 1, ");
  auto r = run(std::vector<std::string>{with_nul_value, with_nul_key, event("page_view", 3).dump()});
  EXPECT_EQ(counts(r, CheckId::ValueValidity), P(3, 2));
  EXPECT_EQ(detail_of(r, 1), "value_validity: a string contains U+0000");
  EXPECT_EQ(r.lines[0].disposition, Disposition::Quarantine);
}

TEST(ValueValidity, LengthsCountCharactersNotBytes) {
  auto a = event("search", 1);
  std::string korean;
  for (int i = 0; i < 200; ++i) korean += "한";  // 600 bytes, 200 characters
  a["search_query"] = korean;
  auto b = event("search", 2);
  b["search_query"] = korean + "한";
  auto r = run_events({a, b});
  EXPECT_EQ(counts(r, CheckId::ValueValidity), P(2, 1));
}

// ---- check 4: funnel_sequence --------------------------------------------------------------------------------
TEST(FunnelSequence, CorrectFunnelPassesAndSessionsAreThePopulation) {
  auto r = run_events({event("page_view", 1, 1, 0), event("click", 2, 1, 10), event("add_to_cart", 3, 1, 20),
                       event("purchase", 4, 1, 30), event("page_view", 5, 2, 0), event("search", 6, 3, 0)});
  EXPECT_EQ(counts(r, CheckId::FunnelSequence), P(3, 0)) << "a session without purchase passes";
}

TEST(FunnelSequence, PurchaseWithoutCartFails) {
  auto r = run_events({event("page_view", 1, 1, 0), event("purchase", 2, 1, 10), event("page_view", 3, 2, 0)});
  EXPECT_EQ(counts(r, CheckId::FunnelSequence), P(2, 1));
  EXPECT_EQ(r.lines[1].disposition, Disposition::Raw) << "check 4 flags, it does not quarantine";
  EXPECT_EQ(r.lines[1].failed, check_bit(CheckId::FunnelSequence));
  EXPECT_EQ(r.check(CheckId::FunnelSequence).samples.at(0).reason,
            "purchase at line 2 has no add_to_cart before it in session " + fixture::uuid(900001));
}

TEST(FunnelSequence, OrderIsByTimestampNotByLine) {
  // The purchase is written first but happens after the cart: passes. Then a cart written after its purchase
  // but timed before it... also fine; what fails is a purchase timed before its cart.
  auto ok = run_events({event("purchase", 4, 1, 30), event("page_view", 1, 1, 0), event("add_to_cart", 3, 1, 20)});
  EXPECT_EQ(counts(ok, CheckId::FunnelSequence), P(1, 0));
  auto bad = run_events({event("page_view", 1, 1, 0), event("add_to_cart", 3, 1, 40), event("purchase", 4, 1, 30)});
  EXPECT_EQ(counts(bad, CheckId::FunnelSequence), P(1, 1));
}

TEST(FunnelSequence, OrderHoldsAcrossTheEpochAndOffsets) {
  // Session order compares instants, negative ones (before 1970, allowed by a low ecpipe.min_year) included, and an
  // offset moves the instant: 10:00:00+09:00 comes before 02:00:00Z.
  auto at = [](const char* type, int id, const char* ts) {
    auto e = event(type, id);
    e["timestamp"] = ts;
    return e;
  };
  auto s = fixture::settings();
  s.min_year = 1960;
  auto ok = fixture::run(
      fixture::lines({at("purchase", 1, "1970-01-01T00:00:00Z"), at("page_view", 2, "1969-12-31T23:59:58Z"),
                      at("add_to_cart", 3, "1969-12-31T23:59:59Z")}),
      s);
  EXPECT_EQ(counts(ok, CheckId::FunnelSequence), P(1, 0));
  auto bad = fixture::run(
      fixture::lines({at("page_view", 1, "1969-12-31T23:59:58Z"), at("add_to_cart", 2, "1970-01-01T00:00:01Z"),
                      at("purchase", 3, "1970-01-01T00:00:00Z")}),
      s);
  EXPECT_EQ(counts(bad, CheckId::FunnelSequence), P(1, 1));
  auto offsets = fixture::run(
      fixture::lines({at("page_view", 1, "2024-05-01T01:00:00Z"), at("purchase", 2, "2024-05-01T02:00:00Z"),
                      at("add_to_cart", 3, "2024-05-01T10:00:00+09:00")}));
  EXPECT_EQ(counts(offsets, CheckId::FunnelSequence), P(1, 0)) << "the cart happened at 01:00Z";
}

TEST(FunnelSequence, SamplesNameTheFailingEventIdExactly) {
  // Samples of the session checks get their event_id back from the compact id set: an id that is no UUID, a UUID
  // written in upper case, and an id repeated from an earlier line must all come back as written.
  auto plain = event("add_to_cart", 1, 1, 0);
  plain["event_id"] = "E-1";
  auto upper = event("add_to_cart", 2, 2, 0);
  upper["event_id"] = "0A1B2C3D-4E5F-4A6B-8C7D-9E0F1A2B3C4D";
  auto first_use = event("page_view", 7, 5, 0);
  auto repeated = event("add_to_cart", 7, 4, 0);
  auto r = run_events({plain, upper, first_use, repeated});
  EXPECT_EQ(counts(r, CheckId::FunnelSequence), P(4, 3));
  const auto& samples = r.check(CheckId::FunnelSequence).samples;
  ASSERT_EQ(samples.size(), 3u);
  EXPECT_EQ(samples[0].line_no, 1);
  EXPECT_EQ(samples[0].event_id, "E-1");
  EXPECT_EQ(samples[1].event_id, "0A1B2C3D-4E5F-4A6B-8C7D-9E0F1A2B3C4D");
  EXPECT_EQ(samples[2].line_no, 4);
  EXPECT_EQ(samples[2].event_id, fixture::uuid(7));
  EXPECT_EQ(r.check(CheckId::DuplicateEventId).samples.at(0).reason, "event_id already seen at line 3");
}

TEST(FunnelSequence, ReasonsNameTheSessionAsWritten) {
  // Session ids live packed (UUIDs) or interned (anything else) and are turned back into text only for reasons:
  // both must come back exactly, letter case included, and two spellings are two sessions.
  auto plain = event("purchase", 1, 1, 0);
  plain["session_id"] = "s-1";
  auto upper = event("purchase", 2, 2, 0);
  upper["session_id"] = "0A1B2C3D-4E5F-4A6B-8C7D-9E0F1A2B3C4D";
  upper["order_id"] = "ORD2024050100002";
  auto lower_view = event("page_view", 3, 1, 0);
  lower_view["session_id"] = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
  auto lower_cart = event("add_to_cart", 4, 1, 10);
  lower_cart["session_id"] = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
  lower_cart["platform"] = "ios";
  lower_cart["device_type"] = "mobile";
  auto r = run_events({plain, upper, lower_view, lower_cart});
  EXPECT_EQ(counts(r, CheckId::FunnelSequence), P(3, 2));
  EXPECT_EQ(detail_of(r, 1),
            "value_validity: session_id: \"s-1\" is not a UUID; "
            "funnel_sequence: purchase at line 1 has no add_to_cart before it in session s-1");
  EXPECT_EQ(detail_of(r, 2),
            "funnel_sequence: purchase at line 2 has no add_to_cart before it in session "
            "0A1B2C3D-4E5F-4A6B-8C7D-9E0F1A2B3C4D");
  EXPECT_EQ(counts(r, CheckId::PlatformDevice), P(4, 1));
  EXPECT_EQ(detail_of(r, 4),
            "platform_device: platform ios differs from web, the platform of session "
            "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d at line 3");
}

TEST(FunnelSequence, TiesAreOrderedByLine) {
  auto ok = run_events({event("page_view", 1, 1, 5), event("add_to_cart", 2, 1, 5), event("purchase", 3, 1, 5)});
  EXPECT_EQ(counts(ok, CheckId::FunnelSequence), P(1, 0));
  auto bad = run_events({event("page_view", 1, 1, 5), event("purchase", 3, 1, 5), event("add_to_cart", 2, 1, 5)});
  EXPECT_EQ(counts(bad, CheckId::FunnelSequence), P(1, 1));
}

TEST(FunnelSequence, CartNeedsAViewOrClickBefore) {
  auto r = run_events({event("add_to_cart", 1, 1, 0), event("page_view", 2, 1, 5), event("click", 3, 2, 0),
                       event("add_to_cart", 4, 2, 5)});
  EXPECT_EQ(counts(r, CheckId::FunnelSequence), P(2, 1));
}

TEST(FunnelSequence, SessionFailsOnceAndIgnoresUntimedOrUnknownEvents) {
  auto bad_time = event("add_to_cart", 2, 1, 0);
  bad_time["timestamp"] = "2015-01-01T00:00:00";
  auto unknown = event("page_view", 5, 2, 0);
  unknown["event_type"] = "wishlist";
  auto r = run_events(
      {event("page_view", 1, 1, 0), bad_time, event("purchase", 3, 1, 30), event("purchase", 4, 1, 40), unknown});
  EXPECT_EQ(counts(r, CheckId::FunnelSequence), P(1, 1)) << "session 2 has only an unknown type: not a member";
  EXPECT_EQ(r.lines[2].failed & check_bit(CheckId::FunnelSequence), check_bit(CheckId::FunnelSequence));
  EXPECT_EQ(r.lines[3].failed & check_bit(CheckId::FunnelSequence), check_bit(CheckId::FunnelSequence));
}

// ---- check 5: timestamp_validity -----------------------------------------------------------------------------
TEST(TimestampValidity, OriginalCasesAndBounds) {
  struct Case {
    json value;
    bool ok;
  };
  const std::vector<Case> cases = {{"2024-05-01T10:00:00", true},
                                   {"2024-05-01T10:00:00.123Z", true},
                                   {"2024-05-01T10:00:00+09:00", true},
                                   {"not-a-date", false},
                                   {nullptr, false},
                                   {"2015-01-01T00:00:00", false},
                                   {"2035-01-01T00:00:00", false},
                                   {"2024-02-30T00:00:00", false},
                                   {20240501, false},
                                   {"2024-06-01T23:59:59Z", true},
                                   {"2024-06-02T00:00:01Z", false},
                                   {"2020-01-01T00:00:00Z", true},
                                   {"2019-12-31T23:59:59-10:00", false}};
  for (const auto& c : cases) {
    auto e = event("page_view", 1);
    e["timestamp"] = c.value;
    auto r = run_events({e});
    EXPECT_EQ(counts(r, CheckId::TimestampValidity), P(1, c.ok ? 0 : 1)) << c.value;
    EXPECT_EQ(r.lines[0].disposition, c.ok ? Disposition::Raw : Disposition::Quarantine) << c.value;
  }
  auto e = event("page_view", 1);
  e.erase("timestamp");
  EXPECT_EQ(counts(run_events({e}), CheckId::TimestampValidity), P(1, 1));
}

TEST(TimestampValidity, SettingsMoveTheBounds) {
  auto e = event("page_view", 1);
  e["timestamp"] = "2019-06-01T00:00:00Z";
  Settings s = fixture::settings();
  s.min_year = 2019;
  EXPECT_EQ(counts(run(fixture::lines({e}), s), CheckId::TimestampValidity), P(1, 0));
  e["timestamp"] = "2024-06-05T00:00:00Z";
  s.max_future_us = 7LL * 86400 * 1000000;
  EXPECT_EQ(counts(run(fixture::lines({e}), s), CheckId::TimestampValidity), P(1, 0));
}

TEST(TimestampValidity, NaiveTimesAreReadInTheZoneForSessionOrder) {
  // The cart is written 10:00 local, the page view 09:30Z: in UTC the view comes first, in Seoul (+09:00) the
  // cart is 01:00Z, before it.
  auto view = event("page_view", 1, 1, 0);
  view["timestamp"] = "2024-05-01T09:30:00Z";
  auto cart = event("add_to_cart", 2, 1, 0);
  cart["timestamp"] = "2024-05-01T10:00:00";
  const auto lines = fixture::lines({view, cart});
  auto utc = validate_lines(lines, fixture::schema(), fixture::settings(), FixedOffsetZone(0));
  EXPECT_EQ(counts(utc, CheckId::FunnelSequence), P(1, 0));
  auto seoul = validate_lines(lines, fixture::schema(), fixture::settings(), FixedOffsetZone(9 * 3600));
  EXPECT_EQ(counts(seoul, CheckId::FunnelSequence), P(1, 1));
  EXPECT_TRUE(seoul.lines[1].has_time);
}

// ---- check 6: order_amount -----------------------------------------------------------------------------------
namespace {
json purchase(int id, json total, json extra, const char* order = "ORD2024050100001") {
  auto e = event("purchase", id);
  e["total_amount"] = total;
  e["extra_data"] = extra;
  e["order_id"] = order;
  return e;
}
json extra(json products, json discount = 0, json shipping = 0) {
  return {{"products", products}, {"discount_amount", discount}, {"shipping_fee", shipping}, {"coupon_code", nullptr}};
}
json item(json q, json p) { return {{"product_id", "P1001"}, {"quantity", q}, {"unit_price", p}}; }
}  // namespace

TEST(OrderAmount, OriginalCases) {
  auto one = json::array({item(1, 89000)});
  auto r = run_events({purchase(1, 89000, extra(one).dump(), "ORD2024050100001"),
                       purchase(2, 87000, extra(one, 5000, 3000).dump(), "ORD2024050100002"),
                       purchase(3, 999999, extra(one).dump(), "ORD2024050100003"),
                       purchase(4, 89000, "{not json", "ORD2024050100004"), event("page_view", 5)});
  EXPECT_EQ(counts(r, CheckId::OrderAmount), P(4, 2)) << "population is purchases only";
  EXPECT_EQ(first_detail(r, 3), "order_amount: total_amount 999999 != items 89000 - discount 0 + shipping 0 = 89000");
  EXPECT_EQ(r.lines[2].disposition, Disposition::Raw) << "check 6 flags, it does not quarantine";
}

TEST(OrderAmount, ExtraDataShapes) {
  auto one = json::array({item(2, 1000)});
  struct Case {
    json total;
    json extra_data;
    bool ok;
  };
  const std::vector<Case> cases = {
      {2000, extra(one), true},                                    // an object, not a string
      {2000, extra(one).dump(), true},                             // a string holding an object
      {2000, "[1, 2]", false},                                     // a string holding an array
      {2000, extra(json::array()), false},                         // no products
      {2000, json{{"discount_amount", 0}}, false},                 // products absent
      {2000, extra(json::array({item("2", 1000)})), false},        // quantity not numeric
      {2000, extra(json::array({json{{"quantity", 2}}})), false},  // unit_price absent
      {2000, extra(json::array({5})), false},                      // item not an object
      {2000, extra(one, "0", 0), false},                           // discount not numeric
      {2000, extra(one, nullptr, nullptr), true},                  // null = 0
      {2000, json{{"products", one}}, true},                       // absent = 0
      {2001, extra(one), true},                                    // within tolerance 1
      {2001.5, extra(one), false},                                 // beyond it
      {"2000", extra(one), false},                                 // total as a string
  };
  for (const auto& c : cases) {
    auto r = run_events({purchase(1, c.total, c.extra_data)});
    EXPECT_EQ(counts(r, CheckId::OrderAmount), P(1, c.ok ? 0 : 1)) << c.total << " " << c.extra_data;
  }
  auto no_extra = purchase(1, 2000, nullptr);
  no_extra.erase("extra_data");
  EXPECT_EQ(counts(run_events({no_extra}), CheckId::OrderAmount), P(1, 1));
}

TEST(OrderAmount, OrderIdBelongsToItsFirstEvent) {
  auto ok = json::array({item(1, 89000)});
  auto a = purchase(1, 89000, extra(ok).dump(), "ORD2024050100009");
  auto b = purchase(2, 89000, extra(ok).dump(), "ORD2024050100009");
  auto r = run_events({a, b, a});
  // line 2 reuses the order with another event; line 3 repeats line 1's event (check 2's business) but the order
  // was meanwhile claimed by another event, so it fails too.
  EXPECT_EQ(counts(r, CheckId::OrderAmount), P(3, 2));
  EXPECT_EQ(first_detail(r, 2), "order_amount: order_id ORD2024050100009 already used by another event at line 1");
  auto same = run_events({a, a});
  EXPECT_EQ(counts(same, CheckId::OrderAmount), P(2, 0)) << "the same event twice is a duplicate, not a reuse";
  EXPECT_EQ(counts(same, CheckId::DuplicateEventId), P(2, 1));
}

// ---- check 7: platform_device --------------------------------------------------------------------------------
TEST(PlatformDevice, AllowedPairs) {
  struct Case {
    json platform, device;
    bool member, ok;
  };
  const std::vector<Case> cases = {
      {"ios", "mobile", true, true},      {"android", "mobile", true, true}, {"web", "desktop", true, true},
      {"web", "tablet", true, true},      {"web", "mobile", true, true},     {"ios", "desktop", true, false},
      {"android", "tablet", true, false}, {"web", "tv", true, false},        {"web", nullptr, true, false},
      {"smart_tv", "tv", true, true},     {"", "mobile", false, true},       {nullptr, "mobile", false, true},
  };
  for (const auto& c : cases) {
    auto e = event("page_view", 1);
    e["platform"] = c.platform;
    e["device_type"] = c.device;
    auto r = run_events({e});
    EXPECT_EQ(counts(r, CheckId::PlatformDevice), P(c.member ? 1 : 0, c.ok ? 0 : 1)) << c.platform << "/" << c.device;
  }
  auto missing = event("page_view", 1);
  missing["platform"] = "ios";
  missing.erase("device_type");
  EXPECT_EQ(counts(run_events({missing}), CheckId::PlatformDevice), P(1, 1)) << "absent device_type is wrong";
}

TEST(PlatformDevice, PlatformSwitchInsideASessionFails) {
  auto first = event("page_view", 1, 1, 10);
  first["platform"] = "ios";
  first["device_type"] = "mobile";
  auto later = event("click", 2, 1, 20);            // web/desktop in the same session
  auto earlier_line = event("page_view", 3, 1, 0);  // written last, happened first: it sets the session platform
  earlier_line["platform"] = "android";
  earlier_line["device_type"] = "mobile";
  auto r = run_events({first, later, earlier_line, event("page_view", 4, 2, 0)});
  EXPECT_EQ(counts(r, CheckId::PlatformDevice), P(4, 2));
  EXPECT_EQ(r.lines[0].failed, check_bit(CheckId::PlatformDevice));
  EXPECT_EQ(r.lines[2].failed, 0);
  EXPECT_EQ(r.lines[1].disposition, Disposition::Raw);
}

TEST(PlatformDevice, AMemberFailsOnceForBothRules) {
  auto a = event("page_view", 1, 1, 0);
  auto b = event("page_view", 2, 1, 5);
  b["platform"] = "ios";  // switches platform and is on a desktop
  auto r = run_events({a, b});
  EXPECT_EQ(counts(r, CheckId::PlatformDevice), P(2, 1));
}

// ---- the gate and dispositions -------------------------------------------------------------------------------
TEST(Gate, StatusFromAllSevenChecks) {
  std::vector<json> clean;
  for (int i = 0; i < 100; ++i) clean.push_back(event("page_view", i, i));
  EXPECT_EQ(run_events(clean).status(99.0), BatchStatus::Passed);
  auto one_bad = clean;
  one_bad[5]["page_type"] = "nope";  // 99.00% exactly: passes
  EXPECT_EQ(run_events(one_bad).status(99.0), BatchStatus::Passed);
  auto two_bad = one_bad;
  two_bad[6]["page_type"] = "nope";  // 98.00%
  auto r = run_events(two_bad);
  EXPECT_EQ(r.status(99.0), BatchStatus::Failed);
  EXPECT_DOUBLE_EQ(r.check(CheckId::ValueValidity).pass_rate(), 98.0);
  EXPECT_EQ(r.status(98.0), BatchStatus::Passed);
  EXPECT_EQ(run(std::vector<std::string>{}).status(99.0), BatchStatus::NoData);
  EXPECT_EQ(run(std::vector<std::string>{"", "  "}).status(99.0), BatchStatus::NoData);
  EXPECT_DOUBLE_EQ(run(std::vector<std::string>{}).check(CheckId::OrderAmount).pass_rate(), 100.0);
}

TEST(Gate, SeveralChecksFailingAtOnce) {
  auto e = event("add_to_cart", 1, 1, 0);  // no view before: check 4
  e["quantity"] = 0;                       // check 3
  e["platform"] = "ios";                   // check 7 (desktop)
  auto r = run_events({e, e});             // and the copy: check 2
  EXPECT_EQ(counts(r, CheckId::ValueValidity), P(2, 2));
  EXPECT_EQ(counts(r, CheckId::DuplicateEventId), P(2, 1));
  EXPECT_EQ(counts(r, CheckId::FunnelSequence), P(1, 1));
  EXPECT_EQ(counts(r, CheckId::PlatformDevice), P(2, 2));
  EXPECT_EQ(r.reason_codes(r.lines[1]), "duplicate_event_id,value_validity,funnel_sequence,platform_device");
  EXPECT_EQ(r.lines[0].disposition, Disposition::Quarantine);
}

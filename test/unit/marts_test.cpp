// MartBuilder against hand-computed marts (docs/CHECKS.md): users, funnel per platform, products' clicks and carts.
#include <gtest/gtest.h>

#include "ecpipe/marts.hpp"

using namespace ecpipe;

namespace {

constexpr int64_t kSecond = 1000000;

MartEvent ev(EventType type, std::string_view user, std::string_view session, int64_t seconds,
             std::string_view platform = "web") {
  MartEvent e;
  e.type = type;
  e.user_id = user;
  e.session_id = session;
  e.platform = platform;
  e.micros = seconds * kSecond;
  return e;
}

MartEvent with_product(MartEvent e, std::string_view product) {
  e.product_id = product;
  return e;
}

}  // namespace

TEST(Marts, UserDayCountsSessionsAmountsAndTimes) {
  MartBuilder b;
  b.add(ev(EventType::PageView, "U000001", "s1", 100));
  b.add(ev(EventType::Click, "U000002", "s9", 50));
  b.add(ev(EventType::Click, "U000001", "s1", 160));
  MartEvent buy = ev(EventType::Purchase, "U000001", "s1", 220);
  buy.amount_cents = 12345;
  b.add(buy);
  buy.amount_cents = 55;
  buy.micros = 10 * kSecond;  // earlier than everything: the user's first event, and s1 now spans 10..220
  b.add(buy);
  b.add(ev(EventType::Search, "U000001", "s2", 1000));
  b.add(ev(EventType::Search, "U000001", "s2", 1030));
  const auto users = b.finish().users;
  ASSERT_EQ(users.size(), 2u);
  const UserDay& u = users[0];
  EXPECT_EQ(u.user_id, "U000001");
  EXPECT_EQ(u.sessions, 2);
  EXPECT_EQ(u.page_views, 1);
  EXPECT_EQ(u.clicks, 1);
  EXPECT_EQ(u.carts, 0);
  EXPECT_EQ(u.purchases, 2);
  EXPECT_EQ(u.searches, 2);
  EXPECT_EQ(u.amount_cents, 12400);
  EXPECT_EQ(u.first_micros, 10 * kSecond);
  EXPECT_EQ(u.last_micros, 1030 * kSecond);
  EXPECT_EQ(u.session_time.days, 0);
  EXPECT_EQ(u.session_time.micros, (210 + 30) * kSecond) << "s1: 220 - 10, s2: 1030 - 1000";
  EXPECT_EQ(users[1].user_id, "U000002");
  EXPECT_EQ(users[1].sessions, 1);
  EXPECT_EQ(users[1].session_time.micros, 0);
}

TEST(Marts, SessionsAreCountedPerUserAndLongSpansSplitOffDays) {
  MartBuilder b;
  b.add(ev(EventType::PageView, "U000001", "shared", 0));
  b.add(ev(EventType::PageView, "U000001", "shared", 25 * 3600 + 1));  // a 25-hour day (DST) allows this
  b.add(ev(EventType::PageView, "U000002", "shared", 7));
  b.add(ev(EventType::PageView, "U000001", "other", 0));
  b.add(ev(EventType::PageView, "U000001", "other", 23 * 3600));
  const auto users = b.finish().users;
  ASSERT_EQ(users.size(), 2u);
  EXPECT_EQ(users[0].sessions, 2);
  EXPECT_EQ(users[1].sessions, 1) << "a session id shared by two users is a session of each";
  // '1 day 01:00:01' + '23:00:00' is kept as PostgreSQL's sum(interval) keeps it: 1 day 24:00:01
  EXPECT_EQ(users[0].session_time.days, 1);
  EXPECT_EQ(users[0].session_time.micros, (24 * 3600 + 1) * kSecond);
}

TEST(Marts, UsersOfAnyShapeAndSessionsOfAnyShapeAreKeptApart) {
  // Users shaped U + 6 digits are found by number, others by text; sessions packed as UUIDs or interned. Rows come
  // in first-seen order with the user id as written, and a session shared by two users counts for each.
  const std::string upper = "0A1B2C3D-4E5F-4A6B-8C7D-9E0F1A2B3C4D", lower = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
  MartBuilder b;
  b.add(ev(EventType::PageView, "user-7", "s1", 0));
  b.add(ev(EventType::PageView, "U000007", upper, 10));
  b.add(ev(EventType::PageView, "U000007", lower, 20));
  b.add(ev(EventType::PageView, "u000007", "s1", 30));
  b.add(ev(EventType::PageView, "user-7", "s1", 40));
  b.add(ev(EventType::PageView, "U000007", upper, 70));
  b.add(ev(EventType::PageView, "", "s1", 50));
  const auto users = b.finish().users;
  ASSERT_EQ(users.size(), 4u);
  EXPECT_EQ(users[0].user_id, "user-7");
  EXPECT_EQ(users[0].page_views, 2);
  EXPECT_EQ(users[0].sessions, 1);
  EXPECT_EQ(users[0].session_time.micros, 40 * kSecond);
  EXPECT_EQ(users[1].user_id, "U000007");
  EXPECT_EQ(users[1].sessions, 2) << "two spellings of a UUID are two sessions";
  EXPECT_EQ(users[1].session_time.micros, 60 * kSecond) << "upper: 70 - 10, lower: 0";
  EXPECT_EQ(users[2].user_id, "u000007");
  EXPECT_EQ(users[2].sessions, 1);
  EXPECT_EQ(users[3].user_id, "");
  EXPECT_EQ(users[3].page_views, 1);
}

TEST(Marts, NumberedUserIdsComeBackAsWritten) {
  // Ids shaped U + 6 digits are counted by number and written back as text when the rows are made.
  MartBuilder b;
  for (const char* id : {"U000000", "U999999", "U000010", "U100000"}) b.add(ev(EventType::Search, id, "s", 1));
  const auto users = b.finish().users;
  ASSERT_EQ(users.size(), 4u);
  EXPECT_EQ(users[0].user_id, "U000000");
  EXPECT_EQ(users[1].user_id, "U999999");
  EXPECT_EQ(users[2].user_id, "U000010");
  EXPECT_EQ(users[3].user_id, "U100000");
  for (const auto& u : users) EXPECT_EQ(u.searches, 1);
}

TEST(Marts, FunnelCountsDistinctUsersPerStepAndPlatform) {
  MartBuilder b;
  b.add(ev(EventType::PageView, "U1", "a", 0));
  b.add(ev(EventType::PageView, "U1", "a", 1));
  b.add(ev(EventType::PageView, "U2", "b", 0));
  b.add(ev(EventType::PageView, "U3", "c", 0));
  b.add(ev(EventType::Click, "U1", "a", 2));
  b.add(ev(EventType::Click, "U2", "b", 2));
  b.add(ev(EventType::AddToCart, "U1", "a", 3));
  b.add(ev(EventType::Purchase, "U1", "a", 4));
  b.add(ev(EventType::PageView, "U1", "d", 0, "ios"));
  b.add(ev(EventType::Search, "U4", "e", 0, "android"));
  const auto f = b.finish().funnel;
  ASSERT_EQ(f.size(), 3u);
  EXPECT_EQ(f[0].platform, "web");
  EXPECT_EQ(f[0].viewers, 3);
  EXPECT_EQ(f[0].clickers, 2);
  EXPECT_EQ(f[0].cart_adders, 1);
  EXPECT_EQ(f[0].purchasers, 1);
  EXPECT_EQ(f[1].platform, "ios");
  EXPECT_EQ(f[1].viewers, 1) << "U1 is counted on each platform it used";
  EXPECT_EQ(f[2].platform, "android");
  EXPECT_EQ(f[2].viewers + f[2].clickers + f[2].cart_adders + f[2].purchasers, 0) << "searches only: a row of zeros";
}

TEST(Marts, ProductsCountClicksCartsAndDistinctClickers) {
  MartBuilder b;
  b.add(with_product(ev(EventType::Click, "U1", "a", 0), "P0001"));
  b.add(with_product(ev(EventType::Click, "U1", "a", 1), "P0001"));
  b.add(with_product(ev(EventType::Click, "U2", "b", 0), "P0001"));
  b.add(with_product(ev(EventType::AddToCart, "U3", "c", 0), "P0001"));
  b.add(with_product(ev(EventType::AddToCart, "U3", "c", 0), "P0002"));
  b.add(ev(EventType::Click, "U1", "a", 5));                            // no product: not a product click
  b.add(with_product(ev(EventType::PageView, "U1", "a", 6), "P0003"));  // only clicks and carts count
  const auto p = b.finish().products;
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[0].product_id, "P0001");
  EXPECT_EQ(p[0].clicks, 3);
  EXPECT_EQ(p[0].carts, 1);
  EXPECT_EQ(p[0].viewers, 2);
  EXPECT_EQ(p[1].product_id, "P0002");
  EXPECT_EQ(p[1].clicks, 0);
  EXPECT_EQ(p[1].carts, 1);
  EXPECT_EQ(p[1].viewers, 0);
}

TEST(Marts, RatesRoundLikeNumericAndMoneyPrints) {
  EXPECT_EQ(rate_text(1, 3).value(), "33.33");
  EXPECT_EQ(rate_text(2, 3).value(), "66.67");
  EXPECT_EQ(rate_text(1, 20000).value(), "0.01") << "0.005 rounds away from zero";
  EXPECT_EQ(rate_text(1, 20001).value(), "0.00");
  EXPECT_EQ(rate_text(0, 5).value(), "0.00");
  EXPECT_EQ(rate_text(7, 7).value(), "100.00");
  EXPECT_FALSE(rate_text(3, 0).has_value()) << "NULL when the denominator is 0";
  EXPECT_EQ(format_cents(0), "0.00");
  EXPECT_EQ(format_cents(-5), "-0.05");
  EXPECT_EQ(format_cents(123456), "1234.56");
  EXPECT_EQ(format_cents(static_cast<__int128>(INT64_MAX) * 10 + 5), "922337203685477580.75") << "past int64";
}

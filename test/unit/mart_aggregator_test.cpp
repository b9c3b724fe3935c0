// MartAggregator: the marts of the first days and the distinct users and sessions, from its thread, equal what a
// MartBuilder and direct counting give on the loader's thread; its errors and cancels reach the loader.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <set>
#include <string>

#include "ecpipe/interrupts.hpp"
#include "ecpipe/mart_aggregator.hpp"
#include "ecpipe/marts.hpp"
#include "ecpipe/raw_event.hpp"

using namespace ecpipe;

namespace {

constexpr int64_t kDay = 20000;  // 2024-10-04
constexpr int64_t kMicrosPerDay = 86400LL * 1000000;
const char* const kTypes[] = {"page_view", "click", "add_to_cart", "purchase", "search"};

// Event n of a synthetic batch: 3,000 users, sessions of ~7 events, five types, a product on clicks and carts, an
// amount on purchases, and every 1,000th event on one of three later days (late data).
RawEvent event(int n) {
  RawEvent e;
  const int day = n % 1000 == 999 ? 1 + n % 3 : 0;
  e.time.event_day = static_cast<int32_t>(kDay + day);
  e.time.unix_micros = (kDay + day) * kMicrosPerDay + (n % 86400) * 1000000LL;
  const std::string type = kTypes[n % 5];
  e.text[RawEvent::EventType] = type;
  char user[16];
  snprintf(user, sizeof user, "U%06d", n % 3000);
  e.text[RawEvent::UserId] = user;
  if (n % 50 != 7) e.text[RawEvent::SessionId] = "s" + std::to_string(n / 7);  // a few without a session
  e.text[RawEvent::Platform] = n % 3 ? "web" : "ios";
  if (type == "click" || type == "add_to_cart") e.text[RawEvent::ProductId] = "P" + std::to_string(n % 97);
  if (type == "purchase") e.hundredths[RawEvent::TotalAmount] = 100 + n % 5000;
  return e;
}

bool same(const DayMarts& a, const DayMarts& b) {
  if (a.users.size() != b.users.size() || a.funnel.size() != b.funnel.size() || a.products.size() != b.products.size())
    return false;
  for (size_t i = 0; i < a.users.size(); ++i) {
    const UserDay &x = a.users[i], &y = b.users[i];
    if (x.user_id != y.user_id || x.sessions != y.sessions || x.page_views != y.page_views || x.clicks != y.clicks ||
        x.carts != y.carts || x.purchases != y.purchases || x.searches != y.searches ||
        x.amount_cents != y.amount_cents || x.first_micros != y.first_micros || x.last_micros != y.last_micros ||
        x.session_time.days != y.session_time.days || x.session_time.micros != y.session_time.micros)
      return false;
  }
  for (size_t i = 0; i < a.funnel.size(); ++i) {
    const FunnelDay &x = a.funnel[i], &y = b.funnel[i];
    if (x.platform != y.platform || x.viewers != y.viewers || x.clickers != y.clickers ||
        x.cart_adders != y.cart_adders || x.purchasers != y.purchasers)
      return false;
  }
  for (size_t i = 0; i < a.products.size(); ++i) {
    const ProductActivity &x = a.products[i], &y = b.products[i];
    if (x.product_id != y.product_id || x.clicks != y.clicks || x.carts != y.carts || x.viewers != y.viewers)
      return false;
  }
  return true;
}

}  // namespace

TEST(MartAggregatorTest, EqualsABuilderPerDayAndExactDistinctCounts) {
  constexpr int kEvents = 50000;  // a dozen chunks
  MartAggregator aggregator(3);
  std::map<int64_t, MartBuilder> builders;
  std::map<int64_t, std::vector<int64_t>> purchases;
  std::set<std::string> users, sessions;
  for (int n = 0; n < kEvents; ++n) {
    const RawEvent e = event(n);
    aggregator.add(n + 1, e);
    if (builders.count(e.time.event_day) || builders.size() < 3) {
      builders[e.time.event_day].add(mart_event_of(e));
      if (*e.text[RawEvent::EventType] == "purchase") purchases[e.time.event_day].push_back(n + 1);
    }
    users.insert(*e.text[RawEvent::UserId]);
    if (e.text[RawEvent::SessionId]) sessions.insert(*e.text[RawEvent::SessionId]);
  }
  const Aggregates got = aggregator.finish();
  EXPECT_EQ(got.users, 3000);
  EXPECT_EQ(got.users, static_cast<int64_t>(users.size()));
  EXPECT_EQ(got.sessions, static_cast<int64_t>(sessions.size())) << "events without a session count in none";
  ASSERT_EQ(got.days.size(), 3u) << "the first three days met; the fourth counts in users and sessions only";
  for (auto& [day, builder] : builders) {
    ASSERT_TRUE(got.days.count(day)) << day;
    EXPECT_TRUE(same(got.days.at(day).marts, builder.finish())) << "day " << day;
    EXPECT_EQ(got.days.at(day).purchase_lines, purchases[day]) << "day " << day;
  }
  EXPECT_FALSE(got.days.count(kDay + 3));
}

TEST(MartAggregatorTest, NothingAddedGivesNothing) {
  MartAggregator aggregator(4);
  const Aggregates got = aggregator.finish();
  EXPECT_TRUE(got.days.empty());
  EXPECT_EQ(got.users, 0);
  EXPECT_EQ(got.sessions, 0);
}

namespace {
std::atomic<bool> stop_now{false};
struct StopProbe {
  StopProbe() {
    stop_now = false;
    set_interrupt_probe([] { return stop_now.load(); });
  }
  ~StopProbe() { set_interrupt_probe(nullptr); }
};
}  // namespace

TEST(MartAggregatorTest, ACancelSeenByItsThreadReachesTheLoader) {
  StopProbe probe;
  MartAggregator aggregator(4);
  stop_now = true;  // as the server's flags say after a cancel: the thread's next poll throws
  EXPECT_THROW(
      {
        for (int n = 0; n < 1000000; ++n) aggregator.add(n + 1, event(n));
        aggregator.finish();
      },
      Interrupted);
}

namespace {
size_t threads_of_this_process() {
  size_t n = 0;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/task")) n += entry.is_directory();
  return n;
}
}  // namespace

TEST(MartAggregatorTest, DroppedWithoutFinishStopsItsThread) {
  const size_t before = threads_of_this_process();
  for (int round = 0; round < 20; ++round) {
    MartAggregator aggregator(4);
    for (int n = 0; n < 10000; ++n) aggregator.add(n + 1, event(n));
    EXPECT_EQ(threads_of_this_process(), before + 1) << "its thread runs while it lives";
  }
  EXPECT_EQ(threads_of_this_process(), before) << "each destructor stopped and joined its thread";
}

// The event side of a day's marts (docs/CHECKS.md) from its raw events in one pass: mart_user_daily,
// mart_funnel_daily, and the click and cart columns of mart_product_daily. Purchases' line items and orders,
// which need exact decimals from extra_data, stay in SQL.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ecpipe/event_type.hpp"

namespace ecpipe {

// What the marts read of one raw event. The views need only live through add().
struct MartEvent {
  EventType type = EventType::Unknown;
  std::string_view user_id, session_id, platform;
  std::optional<std::string_view> product_id;
  int64_t micros = 0;                   // event_time, microseconds since 1970-01-01 UTC
  std::optional<int64_t> amount_cents;  // total_amount × 100 (numeric(14,2), so exact)
};

struct RawEvent;
// What the marts read of an event as the load writes it into raw_events (its columns event_type, user_id,
// session_id, platform, product_id, event_time and total_amount); the views point into e.
MartEvent mart_event_of(const RawEvent& e);

// A sum of PostgreSQL intervals, each made by timestamptz subtraction (whole days split off the time), kept as
// PostgreSQL sums them: days and microseconds apart.
struct IntervalSum {
  int64_t days = 0;
  int64_t micros = 0;
  void add_difference(int64_t micros_between);
};

struct UserDay {
  std::string user_id;
  int64_t sessions = 0, page_views = 0, clicks = 0, carts = 0, purchases = 0, searches = 0;
  int64_t amount_cents = 0;  // Σ total_amount of purchases
  int64_t first_micros = 0, last_micros = 0;
  IntervalSum session_time;  // Σ over the user's sessions of last − first
};

struct FunnelDay {
  std::string platform;
  int64_t viewers = 0, clickers = 0, cart_adders = 0, purchasers = 0;
};

struct ProductActivity {
  std::string product_id;
  int64_t clicks = 0, carts = 0, viewers = 0;  // viewers: distinct users who clicked it
};

// A day's rows, each list in order of first appearance.
struct DayMarts {
  std::vector<UserDay> users;
  std::vector<FunnelDay> funnel;
  std::vector<ProductActivity> products;
};

// "12.34" for 1234 cents (a 128-bit count: a whole batch's sum fits too).
std::string format_cents(__int128 cents);
// round(100 × n / d, 2) as PostgreSQL's numeric would print it, or nullopt when d = 0 (n, d ≥ 0).
std::optional<std::string> rate_text(int64_t n, int64_t d);

class MartBuilder {
 public:
  MartBuilder();
  ~MartBuilder();
  MartBuilder(const MartBuilder&) = delete;
  MartBuilder& operator=(const MartBuilder&) = delete;

  void add(const MartEvent& e);
  // The rows; the builder is spent afterwards.
  DayMarts finish();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ecpipe

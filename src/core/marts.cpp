// MartBuilder: per-day aggregation for the user and funnel marts and the product mart's click/cart side, over
// interned ids and packed keys (no copy of the events).
#include "ecpipe/marts.hpp"

#include <algorithm>
#include <array>

#include "ecpipe/interrupts.hpp"
#include "ecpipe/core_only.hpp"
#include "ecpipe/error.hpp"
#include "ecpipe/mapped_memory.hpp"
#include "ecpipe/raw_event.hpp"
#include "id_first_seen.hpp"
#include "interner.hpp"
#include "key_index.hpp"
#include "user_number.hpp"

namespace ecpipe {

using detail::IdFirstSeen;
using detail::KeyIndex;
using detail::KeySet;
using detail::pack_keys;
using detail::StringInterner;

void IntervalSum::add_difference(int64_t between) {
  constexpr int64_t kDay = 86400LL * 1000000;
  // timestamptz − timestamptz moves whole days out of the time part (interval_justify_hours); between ≥ 0 here.
  days += between / kDay;
  micros += between % kDay;
}

std::string format_cents(__int128 cents) {
  const bool negative = cents < 0;
  unsigned __int128 magnitude =
      negative ? -static_cast<unsigned __int128>(cents) : static_cast<unsigned __int128>(cents);
  std::string digits;
  do {
    digits.insert(digits.begin(), static_cast<char>('0' + static_cast<int>(magnitude % 10)));
    magnitude /= 10;
  } while (magnitude > 0);
  if (digits.size() < 3) digits.insert(0, 3 - digits.size(), '0');
  digits.insert(digits.size() - 2, ".");
  return negative ? "-" + digits : digits;
}

std::optional<std::string> rate_text(int64_t n, int64_t d) {
  if (d == 0) return std::nullopt;
  // 100 × n / d to 2 decimals, halves away from zero: exact in integers for counts.
  const unsigned __int128 scaled = static_cast<unsigned __int128>(n) * 10000;
  const int64_t hundredths =
      static_cast<int64_t>((scaled * 2 + static_cast<unsigned __int128>(d)) / (static_cast<unsigned __int128>(d) * 2));
  return format_cents(hundredths);
}

namespace {

enum Step { kView, kClick, kCart, kPurchase, kSteps };

int funnel_step(EventType t) {
  switch (t) {
    case EventType::PageView: return kView;
    case EventType::Click: return kClick;
    case EventType::AddToCart: return kCart;
    case EventType::Purchase: return kPurchase;
    default: return -1;
  }
}

void add_checked(int64_t& sum, int64_t value, const char* what) {
  if (__builtin_add_overflow(sum, value, &sum)) throw Error(ErrorKind::Internal, std::string(what) + " overflows");
}

}  // namespace

class MartBuilder::Impl {
 public:
  void add(const MartEvent& e) {
    interrupts_.tick();
    bool added = false;
    const uint32_t user = user_row(e.user_id, added);
    UserTally& u = tallies_[user];
    if (added) u.first_micros = u.last_micros = e.micros;
    u.first_micros = std::min(u.first_micros, e.micros);
    u.last_micros = std::max(u.last_micros, e.micros);
    switch (e.type) {
      case EventType::PageView: count(u.page_views); break;
      case EventType::Click: count(u.clicks); break;
      case EventType::AddToCart: count(u.carts); break;
      case EventType::Purchase:
        count(u.purchases);
        if (e.amount_cents) add_checked(u.amount_cents, *e.amount_cents, "total_purchase_amount");
        break;
      case EventType::Search: count(u.searches); break;
      case EventType::Unknown: break;
    }

    const uint32_t session = sessions_.first_seen(e.session_id, sessions_.size());
    const uint32_t pair = user_sessions_.find_or_add(pack_keys(user, session), added);
    if (added) session_spans_.push_back({user, e.micros, e.micros});
    Span& s = session_spans_[pair];
    s.first = std::min(s.first, e.micros);
    s.last = std::max(s.last, e.micros);

    const uint32_t platform = platform_of(e.platform);
    const int step = funnel_step(e.type);
    if (step >= 0) {
      if (funnel_users_.add(pack_keys(platform * kSteps + static_cast<uint32_t>(step), user)))
        ++funnel_counts_[platform][step];
    }

    if (e.product_id && (e.type == EventType::Click || e.type == EventType::AddToCart)) {
      const uint32_t product = products_.intern(*e.product_id, added);
      if (added) product_rows_.push_back({std::string(*e.product_id), 0, 0, 0});
      ProductActivity& p = product_rows_[product];
      if (e.type == EventType::AddToCart) {
        ++p.carts;
      } else {
        ++p.clicks;
        if (viewers_.add(pack_keys(product, user))) ++p.viewers;
      }
    }
  }

  DayMarts finish() {
    // What found the rows goes first, so that the day's rows are made in as little memory as the day needs.
    user_sessions_ = KeyIndex();
    funnel_users_ = KeySet();
    viewers_ = KeySet();
    sessions_ = IdFirstSeen();
    row_by_number_ = std::vector<uint32_t>();
    row_by_other_ = std::vector<uint32_t>();
    DayMarts out;
    out.users.reserve(tallies_.size());
    for (const UserTally& t : tallies_) {
      UserDay u;
      u.user_id = t.key >= kOtherUser ? std::string(other_users_.at(t.key - kOtherUser)) : user_text(t.key);
      u.page_views = t.page_views, u.clicks = t.clicks, u.carts = t.carts, u.purchases = t.purchases;
      u.searches = t.searches, u.amount_cents = t.amount_cents;
      u.first_micros = t.first_micros, u.last_micros = t.last_micros;
      out.users.push_back(std::move(u));
    }
    tallies_ = std::vector<UserTally>();
    other_users_ = StringInterner();
    for (const Span& s : session_spans_) {
      UserDay& u = out.users[s.user];
      ++u.sessions;
      u.session_time.add_difference(s.last - s.first);
    }
    session_spans_ = std::vector<Span>();
    for (size_t p = 0; p < platforms_.size(); ++p) {
      const auto& c = funnel_counts_[p];
      out.funnel.push_back({platforms_[p], c[kView], c[kClick], c[kCart], c[kPurchase]});
    }
    out.products = std::move(product_rows_);
    return out;
  }

 private:
  struct Span {
    uint32_t user;
    int64_t first, last;
  };

  // A user's counts while the day is added up, in 48 bytes (the UserDay rows are made at finish()).
  struct UserTally {
    uint32_t key = 0;  // the user number of an id shaped U + 6 digits, else kOtherUser + its interned number
    uint32_t page_views = 0, clicks = 0, carts = 0, purchases = 0, searches = 0;
    int64_t amount_cents = 0, first_micros = 0, last_micros = 0;
  };
  static constexpr uint32_t kOtherUser = 1u << 31;

  static void count(uint32_t& n) {
    if (++n == 0) throw Error(ErrorKind::Internal, "more than 4,294,967,295 events of one user in a day");
  }
  static std::string user_text(uint32_t number) {
    std::string id = "U000000";
    for (int i = 6; i >= 1; --i, number /= 10) id[i] = static_cast<char>('0' + number % 10);
    return id;
  }

  // The user's row: found by index for ids shaped U + 6 digits, through the interner for any other.
  uint32_t user_row(std::string_view id, bool& added) {
    uint32_t* slot = nullptr;  // row number + 1, or 0 for a user not seen yet
    uint32_t key = 0;          // as UserTally::key
    const int number = detail::user_number(id);
    if (number >= 0) {
      if (row_by_number_.empty()) row_by_number_ = detail::mapped_vector<uint32_t>(detail::kUserNumbers);
      slot = &row_by_number_[static_cast<size_t>(number)];
      key = static_cast<uint32_t>(number);
    } else {
      bool fresh = false;
      const uint32_t interned = other_users_.intern(id, fresh);
      if (fresh) row_by_other_.push_back(0);
      slot = &row_by_other_[interned];
      key = kOtherUser + interned;
    }
    added = *slot == 0;
    if (added) {
      if (tallies_.size() >= kOtherUser - 1) throw Error(ErrorKind::Internal, "more than 2 billion users in one day");
      UserTally t;
      t.key = key;
      tallies_.push_back(t);
      *slot = static_cast<uint32_t>(tallies_.size());
    }
    return *slot - 1;
  }

  // Platforms are few: a linear look-up.
  uint32_t platform_of(std::string_view p) {
    for (size_t i = 0; i < platforms_.size(); ++i)
      if (platforms_[i] == p) return static_cast<uint32_t>(i);
    if (platforms_.size() >= (1u << 20)) throw Error(ErrorKind::Internal, "more than a million platforms in one day");
    platforms_.emplace_back(p);
    funnel_counts_.push_back({});
    return static_cast<uint32_t>(platforms_.size() - 1);
  }

  std::vector<uint32_t> row_by_number_, row_by_other_;  // user rows (+ 1) by user number, by interned id
  StringInterner other_users_, products_;
  IdFirstSeen sessions_;            // session_id → dense session number
  std::vector<UserTally> tallies_;  // by user row
  KeyIndex user_sessions_;
  std::vector<Span> session_spans_;
  std::vector<std::string> platforms_;
  std::vector<std::array<int64_t, kSteps>> funnel_counts_;
  KeySet funnel_users_;
  std::vector<ProductActivity> product_rows_;
  KeySet viewers_;
  InterruptCounter interrupts_{1024};
};

MartEvent mart_event_of(const RawEvent& e) {
  static const std::string kEmpty;
  const auto text = [&](int column) -> std::string_view {
    const auto& t = e.text[column];
    return t ? std::string_view(*t) : std::string_view(kEmpty);
  };
  MartEvent m;
  m.type = event_type_of(text(RawEvent::EventType));
  m.user_id = text(RawEvent::UserId);
  m.session_id = text(RawEvent::SessionId);
  m.platform = text(RawEvent::Platform);
  if (e.text[RawEvent::ProductId]) m.product_id = *e.text[RawEvent::ProductId];
  m.micros = e.time.unix_micros;
  m.amount_cents = e.hundredths[RawEvent::TotalAmount];
  return m;
}

MartBuilder::MartBuilder() : impl_(std::make_unique<Impl>()) {}
MartBuilder::~MartBuilder() = default;
void MartBuilder::add(const MartEvent& e) { impl_->add(e); }
DayMarts MartBuilder::finish() { return impl_->finish(); }

}  // namespace ecpipe

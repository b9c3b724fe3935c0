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
    UserDay& u = user_rows_[user];
    if (added) u.first_micros = u.last_micros = e.micros;
    u.first_micros = std::min(u.first_micros, e.micros);
    u.last_micros = std::max(u.last_micros, e.micros);
    switch (e.type) {
      case EventType::PageView: ++u.page_views; break;
      case EventType::Click: ++u.clicks; break;
      case EventType::AddToCart: ++u.carts; break;
      case EventType::Purchase:
        ++u.purchases;
        if (e.amount_cents) add_checked(u.amount_cents, *e.amount_cents, "total_purchase_amount");
        break;
      case EventType::Search: ++u.searches; break;
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
      funnel_users_.find_or_add(pack_keys(platform * kSteps + static_cast<uint32_t>(step), user), added);
      if (added) ++funnel_counts_[platform][step];
    }

    if (e.product_id && (e.type == EventType::Click || e.type == EventType::AddToCart)) {
      const uint32_t product = products_.intern(*e.product_id, added);
      if (added) product_rows_.push_back({std::string(*e.product_id), 0, 0, 0});
      ProductActivity& p = product_rows_[product];
      if (e.type == EventType::AddToCart) {
        ++p.carts;
      } else {
        ++p.clicks;
        viewers_.find_or_add(pack_keys(product, user), added);
        if (added) ++p.viewers;
      }
    }
  }

  DayMarts finish() {
    DayMarts out;
    for (const Span& s : session_spans_) {
      UserDay& u = user_rows_[s.user];
      ++u.sessions;
      u.session_time.add_difference(s.last - s.first);
    }
    out.users = std::move(user_rows_);
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

  // The user's row: found by index for ids shaped U + 6 digits, through the interner for any other.
  uint32_t user_row(std::string_view id, bool& added) {
    uint32_t* slot = nullptr;  // row number + 1, or 0 for a user not seen yet
    const int number = detail::user_number(id);
    if (number >= 0) {
      if (row_by_number_.empty()) row_by_number_ = detail::mapped_vector<uint32_t>(detail::kUserNumbers);
      slot = &row_by_number_[static_cast<size_t>(number)];
    } else {
      bool fresh = false;
      const uint32_t key = other_users_.intern(id, fresh);
      if (fresh) row_by_other_.push_back(0);
      slot = &row_by_other_[key];
    }
    added = *slot == 0;
    if (added) {
      user_rows_.push_back(UserDay{});
      user_rows_.back().user_id = std::string(id);
      *slot = static_cast<uint32_t>(user_rows_.size());
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
  IdFirstSeen sessions_;  // session_id → dense session number
  std::vector<UserDay> user_rows_;
  KeyIndex user_sessions_;
  std::vector<Span> session_spans_;
  std::vector<std::string> platforms_;
  std::vector<std::array<int64_t, kSteps>> funnel_counts_;
  KeyIndex funnel_users_;
  std::vector<ProductActivity> product_rows_;
  KeyIndex viewers_;
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

// The original project's synthetic-traffic model: user profiles, catalogue, weekday/hour weights, funnel odds.
#include "ecpipe/generator/generator.hpp"

#include <algorithm>
#include <cstdio>
#include <unordered_set>

#include "ecpipe/error.hpp"
#include "ecpipe/json_writer.hpp"
#include "ecpipe/timestamp.hpp"
#include "ecpipe/interrupts.hpp"
#include "ecpipe/core_only.hpp"

namespace ecpipe {

namespace {

// splitmix64: tiny, fast, and identical on every platform (std distributions are not).
class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed) {}
  uint64_t next() {
    uint64_t z = (s_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  int range(int lo, int hi) { return lo + static_cast<int>(next() % static_cast<uint64_t>(hi - lo + 1)); }
  template <size_t N>
  size_t weighted(const int (&w)[N]) {
    int total = 0;
    for (int x : w) total += x;
    int r = static_cast<int>(next() % static_cast<uint64_t>(total));
    for (size_t i = 0; i < N; ++i) {
      if (r < w[i]) return i;
      r -= w[i];
    }
    return N - 1;
  }
  template <typename T, size_t N>
  const T& pick(const T (&items)[N]) {
    return items[next() % N];
  }

 private:
  uint64_t s_;
};

uint64_t mix(uint64_t a, uint64_t b) { return Rng(a * 0x2545F4914F6CDD1DULL ^ (b + 0x9E3779B97F4A7C15ULL)).next(); }

struct Product {
  const char* id;
  const char* category;
  int price;
};
const Product kCatalogue[] = {
    {"P1001", "CAT001", 89000},  {"P1002", "CAT001", 35000}, {"P1003", "CAT001", 29000}, {"P1004", "CAT001", 25000},
    {"P1005", "CAT001", 65000},  {"P2001", "CAT002", 49000}, {"P2002", "CAT002", 79000}, {"P2003", "CAT002", 129000},
    {"P2004", "CAT002", 59000},  {"P2005", "CAT002", 35000}, {"P3001", "CAT003", 45000}, {"P3002", "CAT003", 22000},
    {"P3003", "CAT003", 18000},  {"P3004", "CAT003", 32000}, {"P4001", "CAT004", 28000}, {"P4002", "CAT004", 89000},
    {"P4003", "CAT004", 199000}, {"P4004", "CAT004", 55000}, {"P5001", "CAT005", 22000}, {"P5002", "CAT005", 15000},
    {"P5003", "CAT005", 25000},
};
const char* const kQueries[] = {"이어폰", "노트북", "스마트폰", "태블릿", "키보드", "마우스", "모니터",
                                "충전기", "운동화", "티셔츠",   "청바지", "가방",   "시계",   "화장품",
                                "향수",   "커피",   "텀블러",   "책",     "헤드폰"};
const char* const kBrowsePages[] = {"home", "category", "product", "cart", "mypage"};
const char* const kElementTypes[] = {"product_card", "product_card", "banner", "recommendation", "search_result"};
const char* const kPayments[] = {"credit_card", "bank_transfer", "kakao_pay", "naver_pay", "toss_pay"};
const int kDiscounts[] = {0, 0, 0, 1000, 2000, 3000, 5000};
const double kWeekday[] = {0.80, 0.85, 0.90, 0.90, 1.00, 1.30, 1.20};  // Monday first
const int kHourWeights[] = {2, 1, 1, 0, 0, 1, 2, 4, 6, 8, 10, 9, 12, 11, 8, 7, 6, 7, 9, 12, 15, 14, 10, 5};
const int kPlatformWeights[] = {50, 25, 25};
const int kSessionWeights[] = {60, 30, 10};
const int kQuantityWeights[] = {70, 20, 10};

struct Profile {
  const char* platform;
  const char* device;
  const char* os;
  const char* browser;
};

// A user's platform, device, OS and browser depend only on the seed and the user, never on the day.
Profile profile_for(uint64_t seed, int user) {
  Rng r(mix(seed, static_cast<uint64_t>(user)));
  switch (r.weighted(kPlatformWeights)) {
    case 1: {
      static const char* const b[] = {"Safari", "Chrome"};
      return {"ios", "mobile", "iOS", r.pick(b)};
    }
    case 2: {
      static const char* const b[] = {"Chrome", "Samsung Internet"};
      return {"android", "mobile", "Android", r.pick(b)};
    }
    default: {
      static const char* const d[] = {"desktop", "mobile", "tablet"};
      static const char* const o[] = {"Windows", "macOS", "Linux"};
      static const char* const b[] = {"Chrome", "Safari", "Firefox", "Edge"};
      const char* device = r.pick(d);
      const char* os = r.pick(o);
      return {"web", device, os, r.pick(b)};
    }
  }
}

std::string uuid4(Rng& r) {
  uint64_t hi = r.next(), lo = r.next();
  hi = (hi & 0xFFFFFFFFFFFF0FFFULL) | 0x0000000000004000ULL;
  lo = (lo & 0x3FFFFFFFFFFFFFFFULL) | 0x8000000000000000ULL;
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(hi >> 32),
                static_cast<unsigned>((hi >> 16) & 0xFFFF), static_cast<unsigned>(hi & 0xFFFF),
                static_cast<unsigned>(lo >> 48), static_cast<unsigned long long>(lo & 0xFFFFFFFFFFFFULL));
  return buf;
}

struct Line {
  int seconds;   // seconds after midnight: the sort key
  uint64_t seq;  // generation order breaks ties, so a session's order survives the sort
  std::string text;
};

struct Context {
  std::string user_id, session_id;
  Profile profile;
};

class DayGenerator {
 public:
  explicit DayGenerator(const GeneratorOptions& o)
      : o_(o),
        rng_(mix(o.seed, static_cast<uint64_t>(o.day) + 1)),
        bad_rng_(mix(~o.seed, static_cast<uint64_t>(o.day))) {
    int y, m, d;
    civil_from_days(o.day, y, m, d);
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", y, m, d);
    date_ = buf;
    std::snprintf(buf, sizeof buf, "%04d%02d%02d", y, m, d);
    compact_date_ = buf;
  }

  std::vector<std::string> run() {
    const double multiplier = kWeekday[((o_.day % 7) + 10) % 7];  // 1970-01-01 was a Thursday
    const double ratio = std::min(1.0, (0.4 + 0.3 * rng_.uniform()) * multiplier);
    std::vector<int> users(o_.users);
    for (int i = 0; i < o_.users; ++i) users[i] = i + 1;
    const int active = static_cast<int>(o_.users * ratio + 0.5);
    for (int i = 0; i < active; ++i) std::swap(users[i], users[i + static_cast<int>(rng_.next() % (o_.users - i))]);
    std::sort(users.begin(), users.begin() + active);
    for (int i = 0; i < active; ++i) {
      Context c;
      char id[16];
      std::snprintf(id, sizeof id, "U%06d", users[i]);
      c.user_id = id;
      c.profile = profile_for(o_.seed, users[i]);
      const int sessions = static_cast<int>(rng_.weighted(kSessionWeights)) + 1;
      for (int s = 0; s < sessions; ++s) session(c);
      poll_interrupts();
    }
    std::stable_sort(lines_.begin(), lines_.end(), [](const Line& a, const Line& b) {
      return a.seconds != b.seconds ? a.seconds < b.seconds : a.seq < b.seq;
    });
    std::vector<std::string> out;
    out.reserve(lines_.size());
    for (auto& l : lines_) out.push_back(std::move(l.text));
    return out;
  }

 private:
  void session(Context& c) {
    c.session_id = uuid4(rng_);
    t_ = static_cast<int>(rng_.weighted(kHourWeights)) * 3600 + rng_.range(0, 59) * 60 + rng_.range(0, 59);
    const int views = rng_.range(1, 6);
    for (int i = 0; i < views; ++i) page_view(c, rng_.pick(kBrowsePages), nullptr);
    if (rng_.uniform() >= 0.35) return;
    std::vector<const Product*> clicked;
    const int clicks = rng_.range(1, 4);
    for (int i = 0; i < clicks; ++i) {
      const Product* p = &rng_.pick(kCatalogue);
      click(c, *p);
      if (std::find(clicked.begin(), clicked.end(), p) == clicked.end()) clicked.push_back(p);
    }
    if (rng_.uniform() < 0.20) search(c);
    if (rng_.uniform() >= 0.12) return;
    const int n = rng_.range(1, std::min<int>(3, static_cast<int>(clicked.size())));
    std::vector<std::pair<const Product*, int>> cart;
    for (int i = 0; i < n; ++i) {
      const int q = static_cast<int>(rng_.weighted(kQuantityWeights)) + 1;
      cart.push_back({clicked[i], q});
      add_to_cart(c, *clicked[i], q);
    }
    if (rng_.uniform() >= 0.45) return;
    page_view(c, "checkout", nullptr);
    purchase(c, cart, 0);
    page_view(c, "order_complete", nullptr);
  }

  void advance() { t_ = std::min(86399, t_ + rng_.range(10, 180)); }

  std::string timestamp(int seconds, const std::string& date) const {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%sT%02d:%02d:%02d", date.c_str(), seconds / 3600, seconds / 60 % 60, seconds % 60);
    return buf;
  }

  // Common fields in the original's order; the caller appends the type's own fields.
  JsonObjectWriter begin(std::string& out, const Context& c, const char* type, const char* anomaly,
                         const std::string& event_id, const std::string* date = nullptr) {
    JsonObjectWriter w(out);
    if (anomaly) w.str("anomaly", anomaly);
    w.str("event_id", event_id).str("event_type", type);
    if (!(anomaly && std::string_view(anomaly) == "missing_required")) w.str("user_id", c.user_id);
    w.str("session_id", c.session_id)
        .str("timestamp", timestamp(t_, date ? *date : date_))
        .str("platform", c.profile.platform)
        .str("device_type", c.profile.device)
        .str("os", c.profile.os)
        .str("browser", c.profile.browser);
    return w;
  }

  void push(std::string text) { lines_.push_back({t_, seq_++, std::move(text)}); }

  // Every regular event passes through here, which is where anomalies are injected next to it.
  void emitted() {
    if (o_.anomaly_rate > 0 && bad_rng_.uniform() < o_.anomaly_rate)
      inject(static_cast<Anomaly>(bad_rng_.next() % kAnomalyKinds));
  }

  void page_view(const Context& c, const char* page_type, const char* anomaly) {
    if (!anomaly) advance();
    std::string out;
    const std::string id = uuid4(anomaly ? bad_rng_ : rng_);
    auto w = begin(out, c, "page_view", anomaly, id);
    w.str("page_url", std::string("https://shop.example.com/") + page_type)
        .str("page_type", page_type)
        .null("referrer");
    w.close();
    if (!anomaly) last_page_view_ = out;
    push(std::move(out));
    if (!anomaly) emitted();
  }

  void click(const Context& c, const Product& p) {
    advance();
    std::string out;
    auto w = begin(out, c, "click", nullptr, uuid4(rng_));
    w.str("page_url", std::string("https://shop.example.com/category/") + p.category)
        .str("element_id", "elem_" + std::to_string(rng_.range(1, 100)))
        .str("element_type", rng_.pick(kElementTypes))
        .str("product_id", p.id)
        .str("category_id", p.category)
        .num("position", rng_.range(0, 19));
    w.close();
    push(std::move(out));
    emitted();
  }

  void search(const Context& c) {
    advance();
    std::string out;
    const char* q = rng_.pick(kQueries);
    auto w = begin(out, c, "search", nullptr, uuid4(rng_));
    w.str("search_query", q)
        .num("result_count", rng_.range(0, 150))
        .str("page_url", std::string("https://shop.example.com/search?q=") + q)
        .null("category_filter")
        .str("sort_type", "relevance")
        .num("page_number", 1);
    w.close();
    push(std::move(out));
    emitted();
  }

  void add_to_cart(const Context& c, const Product& p, int quantity, const char* anomaly = nullptr, Rng* r = nullptr) {
    if (!anomaly) advance();
    std::string out;
    auto w = begin(out, c, "add_to_cart", anomaly, uuid4(r ? *r : rng_));
    w.str("product_id", p.id)
        .num("quantity", quantity)
        .num("unit_price", p.price)
        .str("category_id", p.category)
        .str("source_page", "product")
        .boolean("is_recommendation", false);
    w.close();
    push(std::move(out));
    if (!anomaly) emitted();
  }

  std::string order_id(Rng& r) {
    for (;;) {
      const int n = r.range(0, 99999);
      if (used_orders_.insert(n).second) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "%05d", n);
        return "ORD" + compact_date_ + buf;
      }
      if (used_orders_.size() >= 100000) throw Error(ErrorKind::InvalidArgument, "more than 100,000 orders in one day");
    }
  }

  void purchase(const Context& c, const std::vector<std::pair<const Product*, int>>& cart, int64_t total_error,
                const char* anomaly = nullptr) {
    Rng& r = anomaly ? bad_rng_ : rng_;
    if (!anomaly) advance();
    int64_t items = 0;
    std::string products;
    for (const auto& [p, q] : cart) {
      items += static_cast<int64_t>(p->price) * q;
      if (!products.empty()) products += ", ";
      JsonObjectWriter(products).str("product_id", p->id).num("quantity", q).num("unit_price", p->price).close();
    }
    const int discount = r.pick(kDiscounts);
    const int shipping = items >= 50000 ? 0 : 3000;
    std::string extra;
    JsonObjectWriter e(extra);
    e.raw("products", "[" + products + "]").num("discount_amount", discount).num("shipping_fee", shipping);
    if (discount > 0) {
      char coupon[16];
      std::snprintf(coupon, sizeof coupon, "COUP%03d", r.range(1, 999));
      e.str("coupon_code", coupon);
    } else {
      e.null("coupon_code");
    }
    e.close();
    std::string out;
    auto w = begin(out, c, "purchase", anomaly, uuid4(r));
    w.str("order_id", order_id(r))
        .num("total_amount", items - discount + shipping + total_error)
        .str("payment_method", r.pick(kPayments))
        .str("extra_data", extra);  // a JSON string holding an object, as the original writes it
    w.close();
    push(std::move(out));
    if (!anomaly) emitted();
  }

  // A fresh session for an injected event, so it cannot disturb any real session's funnel or platform.
  Context anomaly_context(const Profile& profile) {
    Context c;
    char id[16];
    std::snprintf(id, sizeof id, "U%06d", bad_rng_.range(1, o_.users));
    c.user_id = id;
    c.session_id = uuid4(bad_rng_);
    c.profile = profile;
    return c;
  }

  void inject(Anomaly kind) {
    const char* name = anomaly_name(kind);
    const Profile web{"web", "desktop", "Windows", "Chrome"};
    Context c = anomaly_context(web);
    const Product& p = bad_rng_.pick(kCatalogue);
    switch (kind) {
      case Anomaly::Unparseable:
        push(std::string("{\"anomaly\": \"unparseable\", \"event_id\": \"") + uuid4(bad_rng_) +
             "\", \"event_type\": \"page_view\", \"timestamp\": ");
        break;
      case Anomaly::MissingRequired: page_view(c, "home", name); break;
      case Anomaly::DuplicateEventId: push("{\"anomaly\": \"duplicate_event_id\", " + last_page_view_.substr(1)); break;
      case Anomaly::InvalidValue: page_view(c, "landing", name); break;
      case Anomaly::FunnelViolation: purchase(c, {{&p, 1}}, 0, name); break;
      case Anomaly::BadTimestamp: {
        std::string out;
        const std::string old_date = "2015" + date_.substr(4);
        auto w = begin(out, c, "page_view", name, uuid4(bad_rng_), &old_date);
        w.str("page_url", "https://shop.example.com/home").str("page_type", "home").null("referrer");
        w.close();
        push(std::move(out));
        break;
      }
      case Anomaly::AmountMismatch:
        page_view(c, "product", "amount_mismatch");
        add_to_cart(c, p, 1, name, &bad_rng_);
        purchase(c, {{&p, 1}}, 5000, name);
        break;
      case Anomaly::PlatformDevice:
        c.profile = Profile{"ios", "desktop", "iOS", "Safari"};
        page_view(c, "home", name);
        break;
    }
  }

  const GeneratorOptions& o_;
  Rng rng_, bad_rng_;
  std::string date_, compact_date_, last_page_view_;
  std::vector<Line> lines_;
  std::unordered_set<int> used_orders_;
  int t_ = 0;
  uint64_t seq_ = 0;
};

}  // namespace

const char* anomaly_name(Anomaly a) {
  switch (a) {
    case Anomaly::Unparseable: return "unparseable";
    case Anomaly::MissingRequired: return "missing_required";
    case Anomaly::DuplicateEventId: return "duplicate_event_id";
    case Anomaly::InvalidValue: return "invalid_value";
    case Anomaly::FunnelViolation: return "funnel_violation";
    case Anomaly::BadTimestamp: return "bad_timestamp";
    case Anomaly::AmountMismatch: return "amount_mismatch";
    case Anomaly::PlatformDevice: return "platform_device";
  }
  return "unknown";
}

std::vector<std::string> generate_events(const GeneratorOptions& o) {
  if (o.users < 1 || o.users > 999999)
    throw Error(ErrorKind::InvalidArgument, "users must be between 1 and 999999 (user ids are U + 6 digits)");
  if (!(o.anomaly_rate >= 0.0 && o.anomaly_rate <= 1.0))
    throw Error(ErrorKind::InvalidArgument, "anomaly_rate must be between 0 and 1");
  return DayGenerator(o).run();
}

}  // namespace ecpipe

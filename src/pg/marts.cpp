// ecpipe.scan_day_events(day, run_id): the one scan of a day's raw events, through the core's MartBuilder. Writes
// mart_user_daily and mart_funnel_daily, and returns the products' click and cart counts for
// ecpipe.rebuild_day_marts, which writes mart_product_daily (with the line items) and mart_orders in SQL. Also
// serves 0.2.0's ecpipe.build_event_marts until that database's ecpipe SQL is updated.
#include <algorithm>
#include <cstring>
#include <iterator>
#include <optional>
#include <string>
#include <utility>

#include "citus.hpp"
#include "boundary.hpp"
#include "datums.hpp"
#include "spi.hpp"
#include "dates.hpp"
#include "day_marts_stash.hpp"
#include "heap.hpp"
#include "table_writer.hpp"

#include "ecpipe/error.hpp"
#include "ecpipe/json_writer.hpp"
#include "ecpipe/marts.hpp"
#include "ecpipe/timestamp.hpp"

extern "C" {
#include "utils/numeric.h"
}

namespace ecpipe::pg {

namespace {

constexpr int32 kMoneyTypmod = ((14 << 16) | 2) + VARHDRSZ;  // numeric(14,2)
constexpr int32 kRateTypmod = ((6 << 16) | 2) + VARHDRSZ;    // numeric(6,2)

Datum numeric_datum(const char* text, int32 typmod) {
  return DirectFunctionCall3(numeric_in, CStringGetDatum(text), ObjectIdGetDatum(InvalidOid), Int32GetDatum(typmod));
}

// Writes a mart's rows through a TableWriter, each cell by its column's name. The table's columns are resolved once,
// at construction; every row sets each of them exactly once, or it is refused.
class MartWriter {
 public:
  // The cells of one row. It is filled inside the server boundary, so it creates no C++ objects: a mistake (a name
  // the table does not have, a column set twice) is noted and reported once the row is filled.
  class Row {
   public:
    void set(const char* column, Datum value) { put(column, value, false); }
    void set_null(const char* column) { put(column, (Datum)0, true); }

   private:
    friend class MartWriter;
    Row(const MartWriter& w, TupleTableSlot* slot) : writer_(w), slot_(slot) {}
    void put(const char* column, Datum value, bool isnull) {
      const size_t n = writer_.names_.size();
      for (size_t k = 0; k < n; ++k) {
        const size_t i = (next_ + k) % n;  // columns are mostly set in table order: the next one is tried first
        if (std::strcmp(writer_.names_[i].c_str(), column) != 0) continue;
        const uint64_t bit = uint64_t{1} << i;
        if (set_ & bit) twice_ = column;
        set_ |= bit;
        slot_->tts_values[writer_.positions_[i]] = value;
        slot_->tts_isnull[writer_.positions_[i]] = isnull;
        next_ = i + 1;
        return;
      }
      unknown_ = column;
    }

    const MartWriter& writer_;
    TupleTableSlot* slot_;
    size_t next_ = 0;
    uint64_t set_ = 0;
    const char* unknown_ = nullptr;
    const char* twice_ = nullptr;
  };

  explicit MartWriter(const char* table) : writer_("ecpipe", table), names_(writer_.column_names()) {
    if (names_.size() > 64) throw Error(ErrorKind::Internal, std::string(table) + ": more than 64 columns");
    std::vector<const char*> names;
    for (const std::string& n : names_) names.push_back(n.c_str());
    positions_ = writer_.columns(names);
    table_ = table;
  }

  // Calls fill(Row&) to set the row's cells (Datums allocated in the writer's memory), then stores the row.
  template <typename Fill>
  void row(Fill&& fill) {
    TupleTableSlot* slot = writer_.slot();
    Row r(*this, slot);
    server_call([&] {
      MemoryContext old = MemoryContextSwitchTo(writer_.memory());
      for (int i = 0; i < slot->tts_tupleDescriptor->natts; ++i) slot->tts_isnull[i] = true;  // dropped columns
      fill(r);
      MemoryContextSwitchTo(old);
    });
    if (r.unknown_) throw Error(ErrorKind::Internal, table_ + " has no column " + r.unknown_);
    if (r.twice_) throw Error(ErrorKind::Internal, table_ + ": column " + r.twice_ + " set twice");
    for (size_t i = 0; i < names_.size(); ++i)
      if (!(r.set_ >> i & 1)) throw Error(ErrorKind::Internal, table_ + ": column " + names_[i] + " not set");
    writer_.store();
  }
  int64_t finish() { return writer_.finish(); }

 private:
  TableWriter writer_;
  std::vector<std::string> names_;
  std::vector<int> positions_;
  std::string table_;
};

// A rate column: the value from rate_text, or NULL when its denominator was 0.
void set_rate(MartWriter::Row& r, const char* column, const std::optional<std::string>& rate) {
  if (rate)
    r.set(column, numeric_datum(rate->c_str(), kRateTypmod));
  else
    r.set_null(column);
}

// A day's marts from its raw rows, with where its purchase rows are (for the line items, read in SQL).
struct ScannedDay {
  DayMarts marts;
  std::vector<std::pair<int64_t, int64_t>> purchases;  // (batch day, line_no) of each purchase row
};

ScannedDay scan_day(DateADT day) {
  MartBuilder builder;
  ScannedDay out;
  std::vector<MartEvent> events;
  spi_cursor_scan(
      "SELECT event_type, user_id, session_id, platform, event_time, product_id, (total_amount * 100)::int8, "
      "batch_date, line_no FROM ecpipe.raw_events WHERE event_day = $1",
      {DATEOID}, {DateADTGetDatum(day)}, CURSOR_OPT_NO_SCROLL,
      [&](HeapTuple t, TupleDesc d) {
        auto text = [&](int column, bool& isnull) {
          const Datum v = SPI_getbinval(t, d, column, &isnull);
          if (isnull) return std::string_view();
          struct varlena* b = pg_detoast_datum_packed(reinterpret_cast<struct varlena*>(DatumGetPointer(v)));
          return std::string_view(VARDATA_ANY(b), VARSIZE_ANY_EXHDR(b));
        };
        bool isnull = false;
        MartEvent e;
        e.type = event_type_of(text(1, isnull));
        e.user_id = text(2, isnull);
        e.session_id = text(3, isnull);
        e.platform = text(4, isnull);
        e.micros = unix_micros(DatumGetTimestampTz(SPI_getbinval(t, d, 5, &isnull)));
        const std::string_view product = text(6, isnull);
        if (!isnull) e.product_id = product;
        const Datum cents = SPI_getbinval(t, d, 7, &isnull);
        if (!isnull) e.amount_cents = DatumGetInt64(cents);
        if (e.type == EventType::Purchase)
          out.purchases.emplace_back(unix_day(DatumGetDateADT(SPI_getbinval(t, d, 8, &isnull))),
                                     DatumGetInt64(SPI_getbinval(t, d, 9, &isnull)));
        events.push_back(e);
      },
      [&] {
        for (const MartEvent& e : events) builder.add(e);
        events.clear();
      });
  out.marts = builder.finish();
  return out;
}

// Where the day's purchase rows are, as JSON for ecpipe.rebuild_day_marts: [{"batch_date", "line_no"}, ...].
std::string purchase_rows_json(const std::vector<std::pair<int64_t, int64_t>>& rows) {
  std::string out = "[";
  for (const auto& [batch, line_no] : rows) {
    if (out.size() > 1) out += ", ";
    JsonObjectWriter(out).str("batch_date", format_day(batch)).num("line_no", line_no).close();
  }
  return out += ']';
}

// mart_user_daily's event counts and the UserDay field each comes from.
constexpr std::pair<const char*, int64_t UserDay::*> kUserCounts[] = {
    {"session_count", &UserDay::sessions},   {"page_view_count", &UserDay::page_views},
    {"click_count", &UserDay::clicks},       {"add_to_cart_count", &UserDay::carts},
    {"purchase_count", &UserDay::purchases}, {"search_count", &UserDay::searches}};

// Rows in key order: each goes to the right edge of the key's B-tree (PostgreSQL's fast path for ascending keys)
// instead of down from its root to a random leaf (at 1M events, ecpipe_build_marts took 2.5-2.8 s instead of
// 2.9-3.5 s).
int64_t write_user_daily(DateADT day, int64_t run_id, const std::vector<UserDay>& users) {
  std::vector<const UserDay*> by_id;
  by_id.reserve(users.size());
  for (const UserDay& u : users) by_id.push_back(&u);
  std::sort(by_id.begin(), by_id.end(), [](const UserDay* a, const UserDay* b) { return a->user_id < b->user_id; });
  MartWriter mart("mart_user_daily");
  for (const UserDay* user : by_id) {
    const UserDay& u = *user;
    const std::string amount = format_cents(u.amount_cents);
    mart.row([&](MartWriter::Row& r) {
      Interval* spent = static_cast<Interval*>(palloc0(sizeof(Interval)));
      spent->day = static_cast<int32>(u.session_time.days);
      spent->time = u.session_time.micros;
      r.set("activity_date", DateADTGetDatum(day));
      r.set("user_id", text_datum(u.user_id));
      for (const auto& [column, count] : kUserCounts) r.set(column, Int64GetDatum(u.*count));
      r.set("total_purchase_amount", numeric_datum(amount.c_str(), kMoneyTypmod));
      r.set("first_event_at", TimestampTzGetDatum(pg_timestamptz(u.first_micros)));
      r.set("last_event_at", TimestampTzGetDatum(pg_timestamptz(u.last_micros)));
      r.set("session_duration_total", IntervalPGetDatum(spent));
      r.set("run_id", Int64GetDatum(run_id));
    });
  }
  return mart.finish();
}

// mart_funnel_daily's steps (distinct users) and its rates, each step over the one it follows and the last over the
// first: the FunnelDay fields they come from.
constexpr std::pair<const char*, int64_t FunnelDay::*> kFunnelSteps[] = {{"step1_viewers", &FunnelDay::viewers},
                                                                         {"step2_clickers", &FunnelDay::clickers},
                                                                         {"step3_cart_adders", &FunnelDay::cart_adders},
                                                                         {"step4_purchasers", &FunnelDay::purchasers}};
struct FunnelRate {
  const char* column;
  int64_t FunnelDay::*numerator;
  int64_t FunnelDay::*denominator;
};
constexpr FunnelRate kFunnelRates[] = {{"view_to_click_rate", &FunnelDay::clickers, &FunnelDay::viewers},
                                       {"click_to_cart_rate", &FunnelDay::cart_adders, &FunnelDay::clickers},
                                       {"cart_to_purchase_rate", &FunnelDay::purchasers, &FunnelDay::cart_adders},
                                       {"overall_conversion_rate", &FunnelDay::purchasers, &FunnelDay::viewers}};
constexpr size_t kRates = std::size(kFunnelRates);

int64_t write_funnel_daily(DateADT day, int64_t run_id, const std::vector<FunnelDay>& funnel) {
  MartWriter mart("mart_funnel_daily");
  for (const FunnelDay& f : funnel) {
    std::optional<std::string> rates[kRates];
    for (size_t i = 0; i < kRates; ++i)
      rates[i] = rate_text(f.*kFunnelRates[i].numerator, f.*kFunnelRates[i].denominator);
    mart.row([&](MartWriter::Row& r) {
      r.set("funnel_date", DateADTGetDatum(day));
      r.set("platform", text_datum(f.platform));
      for (const auto& [column, users] : kFunnelSteps) r.set(column, Int64GetDatum(f.*users));
      for (size_t i = 0; i < kRates; ++i) set_rate(r, kFunnelRates[i].column, rates[i]);
      r.set("run_id", Int64GetDatum(run_id));
    });
  }
  return mart.finish();
}

// The products' click and cart side as a JSON array, each entry keyed by the mart_product_daily column it feeds.
std::string product_activity_json(const std::vector<ProductActivity>& products) {
  std::string out = "[";
  for (const ProductActivity& p : products) {
    if (out.size() > 1) out += ", ";
    JsonObjectWriter(out)
        .str("product_id", p.product_id)
        .num("click_count", p.clicks)
        .num("cart_add_count", p.carts)
        .num("unique_viewers", p.viewers)
        .close();
  }
  return out += ']';
}

// Product rows as 0.2.0's ecpipe.build_marts expects them from its ecpipe.build_event_marts: the clicks and carts,
// no line items yet (build_marts adds them, and the conversion rate, by ON CONFLICT).
int64_t write_product_activity_0_2_0(DateADT day, int64_t run_id, const std::vector<ProductActivity>& products) {
  MartWriter mart("mart_product_daily");
  for (const ProductActivity& p : products) {
    const auto conversion = rate_text(0, p.viewers);
    mart.row([&](MartWriter::Row& r) {
      r.set("activity_date", DateADTGetDatum(day));
      r.set("product_id", text_datum(p.product_id));
      r.set("click_count", Int64GetDatum(p.clicks));
      r.set("cart_add_count", Int64GetDatum(p.carts));
      r.set("purchase_count", Int64GetDatum(0));
      r.set("units_sold", numeric_datum("0", -1));
      r.set("revenue", numeric_datum("0", kMoneyTypmod));
      r.set("unique_viewers", Int64GetDatum(p.viewers));
      r.set("unique_buyers", Int64GetDatum(0));
      set_rate(r, "conversion_rate", conversion);
      r.set("run_id", Int64GetDatum(run_id));
    });
  }
  return mart.finish();
}

// {"users": rows written, "platforms": rows written, "product_activity": [{"product_id", "click_count",
// "cart_add_count", "unique_viewers"}, ...], "purchase_rows": [{"batch_date", "line_no"}, ...], "events_from": "load"
// or "scan"}. The event side comes from the load of the same run when it wrote the day's every row
// (day_marts_stash.hpp), else from one scan.
std::string scan_day_events(DateADT day, int64_t run_id) {
  ScannedDay scanned;
  std::optional<StashedDay> stashed = take_day_marts(run_id, unix_day(day));
  if (stashed) {
    scanned.marts = std::move(stashed->marts);
    for (int64_t line_no : stashed->purchase_lines) scanned.purchases.emplace_back(stashed->batch_unix_day, line_no);
  } else {
    scanned = scan_day(day);
  }
  const DayMarts& marts = scanned.marts;
  const int64_t user_rows = write_user_daily(day, run_id, marts.users);
  const int64_t funnel_rows = write_funnel_daily(day, run_id, marts.funnel);
  std::string out;
  JsonObjectWriter(out)
      .num("users", user_rows)
      .num("platforms", funnel_rows)
      .raw("product_activity", product_activity_json(marts.products))
      .raw("purchase_rows", purchase_rows_json(scanned.purchases))
      .str("events_from", stashed ? "load" : "scan")
      .close();
  return out;
}

// 0.2.0's ecpipe.build_event_marts, for a database whose ecpipe SQL is not updated yet (ALTER EXTENSION ecpipe
// UPDATE replaces it and 0.2.0's ecpipe.build_marts with ecpipe.scan_day_events and ecpipe.rebuild_day_marts).
std::string build_event_marts_0_2_0(DateADT day, int64_t run_id) {
  const DayMarts marts = scan_day(day).marts;
  const int64_t user_rows = write_user_daily(day, run_id, marts.users);
  const int64_t funnel_rows = write_funnel_daily(day, run_id, marts.funnel);
  const int64_t product_rows = write_product_activity_0_2_0(day, run_id, marts.products);
  std::string out;
  JsonObjectWriter(out).num("users", user_rows).num("platforms", funnel_rows).num("products", product_rows).close();
  return out;
}

template <typename Scan>
Datum run_scan(FunctionCallInfo fcinfo, Scan&& scan) {
  release_free_heap();
  const DateADT day = PG_GETARG_DATEADT(0);
  const int64_t run_id = PG_GETARG_INT64(1);
  require_single_node("ecpipe_build_marts");
  SpiConnection spi;
  const std::string result = scan(day, run_id);
  spi.finish();
  return jsonb_result(result);
}

}  // namespace

}  // namespace ecpipe::pg

ECPIPE_FUNCTION(ecpipe_scan_day_events) { return ecpipe::pg::run_scan(fcinfo, ecpipe::pg::scan_day_events); }
ECPIPE_FUNCTION(ecpipe_build_event_marts) { return ecpipe::pg::run_scan(fcinfo, ecpipe::pg::build_event_marts_0_2_0); }

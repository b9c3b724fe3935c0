// ecpipe.build_event_marts(day, run_id): one scan of the day's raw events through the core's MartBuilder; writes
// mart_user_daily, mart_funnel_daily and mart_product_daily's click and cart columns (ecpipe.build_marts, in SQL,
// deletes the day first and adds line items and orders).
#include <string>

#include "boundary.hpp"
#include "datums.hpp"
#include "spi.hpp"
#include "dates.hpp"
#include "heap.hpp"
#include "table_writer.hpp"

#include "ecpipe/json_writer.hpp"
#include "ecpipe/marts.hpp"

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

// Writes rows through a TableWriter; `fill` sets the values of the columns named at construction, in that order.
// It runs inside the server boundary, so it must not create C++ objects: texts are prepared before.
class MartWriter {
 public:
  MartWriter(const char* table, const std::vector<const char*>& columns)
      : writer_("ecpipe", table), positions_(writer_.columns(columns)) {}

  template <typename Fill>
  void row(Fill&& fill) {
    TupleTableSlot* slot = writer_.slot();
    server_call([&] {
      MemoryContext old = MemoryContextSwitchTo(writer_.memory());
      for (int p : positions_) slot->tts_isnull[p] = false;
      fill(slot->tts_values, slot->tts_isnull, positions_);
      MemoryContextSwitchTo(old);
    });
    writer_.store();
  }
  int64_t finish() { return writer_.finish(); }

 private:
  TableWriter writer_;
  std::vector<int> positions_;
};

void set_rate(Datum* values, bool* nulls, int at, const std::optional<std::string>& rate) {
  nulls[at] = !rate;
  values[at] = rate ? numeric_datum(rate->c_str(), kRateTypmod) : (Datum)0;
}

}  // namespace

std::string build_event_marts(DateADT day, int64_t run_id) {
  MartBuilder builder;
  std::vector<MartEvent> events;
  spi_cursor_scan(
      "SELECT event_type, user_id, session_id, platform, event_time, product_id, (total_amount * 100)::int8 "
      "FROM ecpipe.raw_events WHERE event_day = $1",
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
        events.push_back(e);
      },
      [&] {
        for (const MartEvent& e : events) builder.add(e);
        events.clear();
      });

  const DayMarts marts = builder.finish();
  const Datum date = DateADTGetDatum(day);
  const Datum run = Int64GetDatum(run_id);
  MartWriter users("mart_user_daily",
                   {"activity_date", "user_id", "session_count", "page_view_count", "click_count", "add_to_cart_count",
                    "purchase_count", "search_count", "total_purchase_amount", "first_event_at", "last_event_at",
                    "session_duration_total", "run_id"});
  for (const UserDay& u : marts.users) {
    const std::string amount = format_cents(u.amount_cents);
    users.row([&](Datum* v, bool*, const std::vector<int>& at) {
      Interval* spent = static_cast<Interval*>(palloc0(sizeof(Interval)));
      spent->day = static_cast<int32>(u.session_time.days);
      spent->time = u.session_time.micros;
      const Datum row[] = {date, text_datum(u.user_id), Int64GetDatum(u.sessions), Int64GetDatum(u.page_views),
                           Int64GetDatum(u.clicks), Int64GetDatum(u.carts), Int64GetDatum(u.purchases),
                           Int64GetDatum(u.searches), numeric_datum(amount.c_str(), kMoneyTypmod),
                           TimestampTzGetDatum(pg_timestamptz(u.first_micros)),
                           TimestampTzGetDatum(pg_timestamptz(u.last_micros)), IntervalPGetDatum(spent), run};
      for (size_t i = 0; i < at.size(); ++i) v[at[i]] = row[i];
    });
  }
  const int64_t user_rows = users.finish();

  MartWriter funnel("mart_funnel_daily",
                    {"funnel_date", "platform", "step1_viewers", "step2_clickers", "step3_cart_adders",
                     "step4_purchasers", "view_to_click_rate", "click_to_cart_rate", "cart_to_purchase_rate",
                     "overall_conversion_rate", "run_id"});
  for (const FunnelDay& f : marts.funnel) {
    const auto view_to_click = rate_text(f.clickers, f.viewers), click_to_cart = rate_text(f.cart_adders, f.clickers),
               cart_to_purchase = rate_text(f.purchasers, f.cart_adders), overall = rate_text(f.purchasers, f.viewers);
    funnel.row([&](Datum* v, bool* n, const std::vector<int>& at) {
      const Datum row[] = {date, text_datum(f.platform), Int64GetDatum(f.viewers), Int64GetDatum(f.clickers),
                           Int64GetDatum(f.cart_adders), Int64GetDatum(f.purchasers)};
      for (size_t i = 0; i < 6; ++i) v[at[i]] = row[i];
      set_rate(v, n, at[6], view_to_click);
      set_rate(v, n, at[7], click_to_cart);
      set_rate(v, n, at[8], cart_to_purchase);
      set_rate(v, n, at[9], overall);
      v[at[10]] = run;
    });
  }
  const int64_t funnel_rows = funnel.finish();

  // Line items (purchase_count, units_sold, revenue, unique_buyers) are added by build_marts afterwards.
  MartWriter products("mart_product_daily",
                      {"activity_date", "product_id", "click_count", "cart_add_count", "purchase_count", "units_sold",
                       "revenue", "unique_viewers", "unique_buyers", "conversion_rate", "run_id"});
  for (const ProductActivity& p : marts.products) {
    const auto conversion = rate_text(0, p.viewers);  // line items, added later, update it
    products.row([&](Datum* v, bool* n, const std::vector<int>& at) {
      const Datum zero = Int64GetDatum(0);
      const Datum row[] = {date, text_datum(p.product_id), Int64GetDatum(p.clicks), Int64GetDatum(p.carts), zero,
                           numeric_datum("0", -1), numeric_datum("0", kMoneyTypmod), Int64GetDatum(p.viewers), zero};
      for (size_t i = 0; i < 9; ++i) v[at[i]] = row[i];
      set_rate(v, n, at[9], conversion);
      v[at[10]] = run;
    });
  }
  const int64_t product_rows = products.finish();

  std::string out;
  JsonObjectWriter(out).num("users", user_rows).num("platforms", funnel_rows).num("products", product_rows).close();
  return out;
}

}  // namespace ecpipe::pg

ECPIPE_FUNCTION(ecpipe_build_event_marts) {
  using namespace ecpipe::pg;
  release_free_heap();
  const DateADT day = PG_GETARG_DATEADT(0);
  const int64_t run_id = PG_GETARG_INT64(1);
  SpiConnection spi;
  const std::string result = build_event_marts(day, run_id);
  spi.finish();
  return jsonb_result(result);
}

// Internal: every word the report page says, in one language (ecpipe.language), and its small shared pieces.
#pragma once
#include <string>

#include <nlohmann/json.hpp>

#include "ecpipe/notify/wording.hpp"

namespace ecpipe::detail {

struct PageWords {
  const char *lang, *title, *range, *timezone, *generated_at, *database;
  const char *days_succeeded, *days_blocked, *days_failed, *days_no_data, *orders, *revenue, *quarantined;
  const char *grid_title, *run_row, *succeeded, *blocked, *failed, *no_data, *running, *not_run, *pass, *fail,
      *earlier_runs, *latest_run;
  const char *why_title, *why_none, *check, *population, *failed_count, *pass_rate, *required, *line, *reason, *step,
      *error, *no_checks;
  const char *funnel_title, *platform, *view, *click, *cart, *purchase, *view_to_click, *click_to_cart,
      *cart_to_purchase, *overall, *other_platforms;
  const char *orders_title, *not_loaded, *earlier_load, *quality_title, *products_title, *runs_title, *run, *day,
      *status, *started, *duration, *failed_step, *quarantine_title, *lines, *example, *no_quarantine, *empty;
  const char *revenue_won, *earlier_load_note, *days_not_run, *required_row, *lowered_bar;
};

const PageWords& page_words(Language language);

// The page's language from the report data ("language": "ko" or "en"; Korean otherwise, as ecpipe.language's default).
Language page_language(const nlohmann::json& doc);

// A run status as the page names it in `w` ("not run" for an empty one).
std::string status_word(const PageWords& w, const std::string& status);

}  // namespace ecpipe::detail

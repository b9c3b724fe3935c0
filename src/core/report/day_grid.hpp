// Internal: the report's day grid (a cell per day and check, and the run's status) and why each blocked or failed day
// was, with sample lines.
#pragma once
#include <string>

#include <nlohmann/json.hpp>

#include "page_words.hpp"

namespace ecpipe::detail {

std::string day_grid_section(const nlohmann::json& doc, const PageWords& w);
std::string why_section(const nlohmann::json& doc, const PageWords& w);

// Why a day's latest run loaded nothing, as the page says it (not loaded, no data, not run), or nullptr when it did
// (or when the document has no days): such a day's orders are never shown as 0.
const char* day_unloaded_word(const nlohmann::json& doc, const std::string& day, const PageWords& w);

}  // namespace ecpipe::detail

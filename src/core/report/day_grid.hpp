// Internal: the report's day grid (a cell per day and check, and the run's status) and why each blocked or failed day
// was, with sample lines.
#pragma once
#include <string>

#include <nlohmann/json.hpp>

#include "page_words.hpp"

namespace ecpipe::detail {

std::string day_grid_section(const nlohmann::json& doc, const PageWords& w);
std::string why_section(const nlohmann::json& doc, const PageWords& w);

// Days whose latest run loaded nothing (blocked, failed, no data, not run): their orders are "not loaded", not 0.
bool day_loaded(const nlohmann::json& doc, const std::string& day);

}  // namespace ecpipe::detail

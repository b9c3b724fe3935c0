// The five event types (docs/CHECKS.md), for the checks and the marts.
#pragma once
#include <cstdint>
#include <string_view>

namespace ecpipe {

enum class EventType : uint8_t { Unknown, PageView, Click, AddToCart, Purchase, Search };

inline EventType event_type_of(std::string_view s) {
  if (s == "page_view") return EventType::PageView;
  if (s == "click") return EventType::Click;
  if (s == "add_to_cart") return EventType::AddToCart;
  if (s == "purchase") return EventType::Purchase;
  if (s == "search") return EventType::Search;
  return EventType::Unknown;
}

}  // namespace ecpipe
